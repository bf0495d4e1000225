"""Store behaviour: versions, removals, origins, lookups, filters and all-or-nothing saves."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path

import pytest

from catalog import store_write
from catalog.errors import ConfigError, NotFound, StoreError
from catalog.records import (
    Access,
    Origin,
    OriginKind,
    Risk,
    ToolVersion,
)
from catalog.store import SaveSummary, Store
from tests.catalog.store_builders import (
    FILES,
    MAIL,
    count_rows,
    crawl_result,
    server_record,
    tool_record,
    verdict,
)


def test_first_crawl_stores_every_tool_as_new(database_url: str) -> None:
    read, delete = tool_record("read_file"), tool_record("delete_file")
    verdicts = {"read_file": verdict(Access.READ, Risk.LOW)}

    with Store.open(database_url) as store:
        summary = store.save_crawl(crawl_result(read, delete), verdicts)
        stored = store.tools()

    assert summary == SaveSummary(server_key=FILES, new=2, changed=0, unchanged=0, removed=0)
    assert [(item.tool, item.classification, item.server_name) for item in stored] == [
        (delete, None, "files"),
        (read, verdicts["read_file"], "files"),
    ]
    assert all(not item.removed and item.first_seen == item.last_seen for item in stored)
    assert all(item.first_seen.tzinfo == UTC for item in stored)


def test_unchanged_recrawl_adds_no_version_rows(database_url: str) -> None:
    crawl = crawl_result(tool_record("read_file"), tool_record("delete_file"))

    with Store.open(database_url) as store:
        store.save_crawl(crawl, {})
        before = store.tool("read_file")
        summary = store.save_crawl(crawl, {})
        after = store.tool("read_file")

    assert summary == SaveSummary(server_key=FILES, new=0, changed=0, unchanged=2, removed=0)
    assert count_rows(database_url, "tool_versions") == 2
    assert count_rows(database_url, "tools") == 2
    assert after.first_seen == before.first_seen
    assert after.last_seen > before.last_seen


def test_changed_description_adds_version_and_history_lists_both_oldest_first(
    database_url: str,
) -> None:
    old, new = (
        tool_record("read_file", "Reads a file."),
        tool_record("read_file", "Reads any file, even secrets."),
    )

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(old), {})
        summary = store.save_crawl(crawl_result(new), {})
        history = store.history(FILES, "read_file")
        current = store.tool("read_file")

    assert summary == SaveSummary(server_key=FILES, new=0, changed=1, unchanged=0, removed=0)
    assert [(version.definition_hash, version.definition) for version in history] == [
        (old.definition_hash, old.definition()),
        (new.definition_hash, new.definition()),
    ]
    assert history[0].first_seen < history[1].first_seen
    assert current.tool == new
    assert count_rows(database_url, "tool_versions") == 2


def test_tool_missing_from_complete_recrawl_is_removed(database_url: str) -> None:
    read, delete = tool_record("read_file"), tool_record("delete_file")

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(read, delete), {})
        summary = store.save_crawl(crawl_result(read), {})
        present = store.tools()
        everything = store.tools(include_removed=True)
        server = store.server(FILES)

    assert summary == SaveSummary(server_key=FILES, new=0, changed=0, unchanged=1, removed=1)
    assert [item.tool.name for item in present] == ["read_file"]
    assert [(item.tool.name, item.removed) for item in everything] == [
        ("delete_file", True),
        ("read_file", False),
    ]
    assert server.tool_count == 1


def test_tool_missing_from_partial_recrawl_is_kept(database_url: str) -> None:
    read, delete = tool_record("read_file"), tool_record("delete_file")

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(read, delete), {})
        summary = store.save_crawl(crawl_result(read, complete=False), {})
        present = store.tools()
        server = store.server(FILES)

    assert summary == SaveSummary(server_key=FILES, new=0, changed=0, unchanged=1, removed=0)
    assert [item.tool.name for item in present] == ["delete_file", "read_file"]
    assert (server.status, server.tool_count) == ("partial", 2)


def test_removed_tool_that_returns_is_present_again(database_url: str) -> None:
    read, delete = tool_record("read_file"), tool_record("delete_file")

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(read, delete), {})
        store.save_crawl(crawl_result(read), {})
        store.save_crawl(crawl_result(read, delete), {})
        present = store.tools()

    assert [(item.tool.name, item.removed) for item in present] == [
        ("delete_file", False),
        ("read_file", False),
    ]


def test_origins_are_the_union_of_every_crawl(database_url: str) -> None:
    github = Origin(kind=OriginKind.GITHUB, value="acme/files", version="v1.0.0")
    npm = Origin(kind=OriginKind.NPM, value="@acme/files", version="1.0.0")
    github_again = Origin(kind=OriginKind.GITHUB, value="acme/files")

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("read_file"), server=server_record(FILES, github)), {})
        store.save_crawl(crawl_result(tool_record("read_file"), server=server_record(FILES, npm, github_again)), {})
        server = store.server(FILES)
        from_npm = store.servers(origin="npm")
        from_pypi = store.servers(origin="pypi")

    assert server.origins == (github, npm)
    assert from_npm == [server]
    assert from_pypi == []


def test_unknown_origin_kind_is_config_error(database_url: str) -> None:
    with (
        Store.open(database_url) as store,
        pytest.raises(ConfigError, match="unknown originkind 'ftp'"),
    ):
        store.servers(origin="ftp")


def test_name_on_several_servers_asks_for_a_server(database_url: str) -> None:
    mail_server = server_record(MAIL, Origin(kind=OriginKind.NPM, value="@acme/mail"))

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("search")), {})
        store.save_crawl(crawl_result(tool_record("search", server_key=MAIL), server=mail_server), {})
        with pytest.raises(ConfigError) as caught:
            store.tool("search")
        chosen = store.tool("search", server=MAIL)

    assert str(caught.value) == (
        "tool 'search' exists on several servers: github:acme/files, npm:@acme/mail; "
        "choose one with --server"
    )
    assert (chosen.tool.server_key, chosen.server_name) == (MAIL, "mail")


def test_unknown_names_raise_not_found_with_clear_messages(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("read_file")), {})
        errors = []
        for lookup in (
            lambda: store.tool("nope"),
            lambda: store.tool("read_file", server=MAIL),
            lambda: store.server(MAIL),
            lambda: store.history(FILES, "nope"),
        ):
            with pytest.raises(NotFound) as caught:
                lookup()
            errors.append(str(caught.value))

    assert errors == [
        "no tool named 'nope'",
        "no tool named 'read_file' on server 'npm:@acme/mail'",
        "no server 'npm:@acme/mail'",
        "no tool named 'nope' on server 'github:acme/files'",
    ]


def test_filters_by_server_access_and_risk_combine(database_url: str) -> None:
    mail_server = server_record(MAIL, Origin(kind=OriginKind.NPM, value="@acme/mail"))

    with Store.open(database_url) as store:
        store.save_crawl(
            crawl_result(tool_record("read_file"), tool_record("delete_file"), tool_record("unclassified")),
            {
                "read_file": verdict(Access.READ, Risk.LOW),
                "delete_file": verdict(Access.DESTRUCTIVE, Risk.HIGH),
            },
        )
        store.save_crawl(
            crawl_result(tool_record("send_mail", server_key=MAIL), server=mail_server),
            {"send_mail": verdict(Access.WRITE, Risk.HIGH)},
        )

        def names(**filters: object) -> list[tuple[str, str]]:
            return [(item.tool.server_key, item.tool.name) for item in store.tools(**filters)]  # type: ignore[arg-type]

        assert names() == [
            (FILES, "delete_file"),
            (FILES, "read_file"),
            (FILES, "unclassified"),
            (MAIL, "send_mail"),
        ]
        assert names(server=MAIL) == [(MAIL, "send_mail")]
        assert names(risk=Risk.HIGH) == [(FILES, "delete_file"), (MAIL, "send_mail")]
        assert names(access=Access.READ) == [(FILES, "read_file")]
        assert names(server=FILES, risk=Risk.HIGH) == [(FILES, "delete_file")]
        assert names(access=Access.WRITE, risk=Risk.LOW) == []
        with pytest.raises(ConfigError, match="unknown risk 'severe'"):
            store.tools(risk="severe")  # type: ignore[arg-type]


def test_failed_save_leaves_previous_state_intact(database_url: str) -> None:
    first = crawl_result(tool_record("read_file", "Reads."), tool_record("delete_file"))
    # A set is not JSON: hashing the third tool fails after the first two were written.
    broken = tool_record("broken").model_copy(update={"input_schema": {"enum": {"a", "b"}}})
    second = crawl_result(tool_record("read_file", "Reads more."), tool_record("new_tool"), broken)

    with Store.open(database_url) as store:
        store.save_crawl(first, {"read_file": verdict(Access.READ, Risk.LOW)})
        before = (
            store.tools(include_removed=True),
            store.servers(),
            store.history(FILES, "read_file"),
        )
        with pytest.raises(StoreError, match=r"^cannot save server github:acme/files in .*JSON"):
            store.save_crawl(second, {})
        after = (
            store.tools(include_removed=True),
            store.servers(),
            store.history(FILES, "read_file"),
        )

    assert after == before
    assert count_rows(database_url, "tool_versions") == 2


def test_failure_in_last_step_of_save_rolls_back_everything(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("disk on fire")

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("read_file")), {})
        before = (store.tools(include_removed=True), store.servers())
        monkeypatch.setattr(store_write, "insert_failures", explode)
        with pytest.raises(StoreError, match=r"disk on fire$"):
            store.save_crawl(
                crawl_result(tool_record("other"), complete=True), {"other": verdict(Access.READ, Risk.LOW)}
            )
        after = (store.tools(include_removed=True), store.servers())

    assert after == before
    assert count_rows(database_url, "classifications") == 0


def test_duplicate_name_in_one_crawl_keeps_the_first(database_url: str) -> None:
    first, second = tool_record("search", "First registration."), tool_record("search", "Second one.")

    with Store.open(database_url) as store:
        summary = store.save_crawl(crawl_result(first, second), {})
        stored = store.tool("search")

    assert summary == SaveSummary(server_key=FILES, new=1, changed=0, unchanged=0, removed=0)
    assert stored.tool == first


def test_history_keeps_one_row_per_definition_when_a_tool_flips_back(database_url: str) -> None:
    first, second = tool_record("read_file", "One."), tool_record("read_file", "Two.")

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(first), {})
        store.save_crawl(crawl_result(second), {})
        summary = store.save_crawl(crawl_result(first), {})
        history = store.history(FILES, "read_file")
        current = store.tool("read_file")

    assert summary.changed == 1
    assert [version.definition_hash for version in history] == [
        first.definition_hash,
        second.definition_hash,
    ]
    assert history[0].last_seen > history[1].last_seen
    assert current.tool == first
    assert isinstance(history[0], ToolVersion)


def test_two_stores_on_one_sqlite_file_save_concurrently(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    keys = [f"github:acme/server-{index}" for index in range(8)]

    def save(key: str) -> SaveSummary:
        with Store.open(url) as store:
            tools = tuple(tool_record(f"tool_{n}", server_key=key) for n in range(20))
            return store.save_crawl(crawl_result(*tools, server=server_record(key)), {})

    with ThreadPoolExecutor(max_workers=4) as pool:
        summaries = list(pool.map(save, keys))

    with Store.open(url) as store:
        servers = store.servers()
    assert [summary.new for summary in summaries] == [20] * 8
    assert [(server.key, server.tool_count) for server in servers] == [(key, 20) for key in keys]
