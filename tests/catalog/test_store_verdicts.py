"""Saving many verdicts at once: a row per tool version and classifier version, all or none, past the chunk size."""

from __future__ import annotations

import pytest

from catalog.errors import NotFound
from catalog.records import Access, Risk, ServerRecord, ToolRecord
from catalog.store import Store
from catalog.store_bulk import CHUNK
from tests.catalog.store_builders import (
    FILES,
    MAIL,
    crawl_result,
    server_record,
    tool_record,
    verdict,
    verdict_rows,
)

READ_V1 = verdict(Access.READ, Risk.LOW)
UNKNOWN_SERVER = "github:acme/nowhere"


def _files_and_mail(store: Store) -> None:
    """FILES with read_file and delete_file, MAIL with send, each classified by rules-1 as reads."""
    files = (tool_record("read_file"), tool_record("delete_file"))
    store.save_crawl(crawl_result(*files), {t.name: READ_V1 for t in files})
    send = tool_record("send", server_key=MAIL)
    store.save_crawl(crawl_result(send, server=server_record(MAIL)), {"send": READ_V1})


def test_a_new_classifier_version_adds_rows_and_the_same_version_replaces_its_own(database_url: str) -> None:
    writes_v2 = verdict(Access.WRITE, Risk.MEDIUM, "rules-2")
    sends_v2 = verdict(Access.WRITE, Risk.HIGH, "rules-2")
    deletes_v1 = verdict(Access.DESTRUCTIVE, Risk.CRITICAL)

    with Store.open(database_url) as store:
        _files_and_mail(store)
        first = store.save_classifications([(FILES, "read_file", writes_v2), (MAIL, "send", writes_v2)])
        second = store.save_classifications([(MAIL, "send", sends_v2), (FILES, "delete_file", deletes_v1)])
        current = {item.tool.name: item.classification for item in store.tools()}

    assert (first, second) == (2, 2)
    assert verdict_rows(database_url) == [
        (FILES, "read_file", "rules-1", "read", "low"),
        (FILES, "delete_file", "rules-1", "destructive", "critical"),
        (MAIL, "send", "rules-1", "read", "low"),
        (FILES, "read_file", "rules-2", "write", "medium"),
        (MAIL, "send", "rules-2", "write", "high"),
    ]
    assert current == {"read_file": writes_v2, "delete_file": deletes_v1, "send": sends_v2}


def test_a_tool_given_twice_by_one_version_keeps_the_last_verdict_in_the_first_place(database_url: str) -> None:
    first_look = verdict(Access.WRITE, Risk.MEDIUM, "rules-2")
    second_look = verdict(Access.DESTRUCTIVE, Risk.HIGH, "rules-2")

    with Store.open(database_url) as store:
        _files_and_mail(store)
        written = store.save_classifications(
            [
                (FILES, "read_file", first_look),
                (MAIL, "send", first_look),
                (FILES, "read_file", second_look),
            ]
        )
        current = store.tool("read_file").classification

    assert written == 3
    assert verdict_rows(database_url) == [
        (FILES, "read_file", "rules-1", "read", "low"),
        (FILES, "delete_file", "rules-1", "read", "low"),
        (MAIL, "send", "rules-1", "read", "low"),
        (FILES, "read_file", "rules-2", "destructive", "high"),
        (MAIL, "send", "rules-2", "write", "medium"),
    ]
    assert current == second_look


def test_a_tool_given_twice_by_two_versions_gets_both_rows_and_the_later_is_current(database_url: str) -> None:
    by_v2 = verdict(Access.WRITE, Risk.MEDIUM, "rules-2")
    by_v3 = verdict(Access.DESTRUCTIVE, Risk.HIGH, "rules-3")

    with Store.open(database_url) as store:
        _files_and_mail(store)
        store.save_classifications([(FILES, "read_file", by_v2), (FILES, "read_file", by_v3)])
        current = store.tool("read_file").classification

    assert verdict_rows(database_url)[3:] == [
        (FILES, "read_file", "rules-2", "write", "medium"),
        (FILES, "read_file", "rules-3", "destructive", "high"),
    ]
    assert current == by_v3


@pytest.mark.parametrize(
    ("items", "missing"),
    [
        (
            [(FILES, "read_file"), (UNKNOWN_SERVER, "send"), (FILES, "ghost")],
            f"no tool named 'send' on server '{UNKNOWN_SERVER}'",
        ),
        (
            [(MAIL, "send"), (FILES, "ghost"), (UNKNOWN_SERVER, "send")],
            f"no tool named 'ghost' on server '{FILES}'",
        ),
    ],
)
def test_an_unknown_tool_is_named_first_in_input_order_and_nothing_is_saved(
    database_url: str, items: list[tuple[str, str]], missing: str
) -> None:
    newer = verdict(Access.WRITE, Risk.HIGH, "rules-2")

    with Store.open(database_url) as store:
        _files_and_mail(store)
        before = verdict_rows(database_url)
        with pytest.raises(NotFound) as raised:
            store.save_classifications([(key, name, newer) for key, name in items])
        current = {item.tool.name: item.classification for item in store.tools()}

    assert str(raised.value) == missing
    assert verdict_rows(database_url) == before
    assert current == {"read_file": READ_V1, "delete_file": READ_V1, "send": READ_V1}


def test_a_batch_larger_than_a_chunk_of_servers_and_of_tools_saves_every_verdict_in_input_order(
    database_url: str,
) -> None:
    servers = CHUNK + 20
    keys = [f"github:acme/s{n:04d}" for n in range(servers)]
    tools = {key: [tool_record(f"tool_{n}", server_key=key) for n in range(10)] for key in keys}
    # Reversed, so the order rows are written in is the input's, not the order they were stored in.
    items = [(key, t.name) for key in reversed(keys) for t in tools[key]]
    by_v2 = verdict(Access.WRITE, Risk.MEDIUM, "rules-2")
    revised_v2 = verdict(Access.WRITE, Risk.HIGH, "rules-2")

    with Store.open(database_url) as store:
        for key in keys:
            server = ServerRecord(key=key, name=key.rsplit("/", 1)[-1])
            store.save_crawl(crawl_result(*tools[key], server=server), {})
        added = store.save_classifications([(key, name, by_v2) for key, name in items])
        after_adding = verdict_rows(database_url)
        replaced = store.save_classifications([(key, name, revised_v2) for key, name in items])
        stored: list[ToolRecord] = [item.tool for item in store.tools() if item.classification == revised_v2]

    assert (added, replaced) == (len(items), len(items)) == (servers * 10, servers * 10)
    assert after_adding == [(key, name, "rules-2", "write", "medium") for key, name in items]
    assert verdict_rows(database_url) == [(key, name, "rules-2", "write", "high") for key, name in items]
    assert len(stored) == len(items)
