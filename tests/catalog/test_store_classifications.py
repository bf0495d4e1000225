"""Store verdicts: the current classification, re-classifying, and tools that need it."""

from __future__ import annotations

import pytest

from catalog.errors import NotFound
from catalog.records import (
    Access,
    Risk,
)
from catalog.store import Store
from tests.catalog.store_builders import (
    FILES,
    MAIL,
    count_rows,
    crawl_result,
    server_record,
    tool_record,
    verdict,
)


def test_newest_classifier_version_is_the_current_verdict(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("read_file")), {"read_file": verdict(Access.READ, Risk.LOW)})
        needing_before = [item.name for item in store.tools_needing("rules-2")]
        newer = verdict(Access.WRITE, Risk.MEDIUM, version="rules-2")
        written = store.save_classifications([(FILES, "read_file", newer)])
        current = store.tool("read_file").classification
        needing_after = store.tools_needing("rules-2")
        needing_old = store.tools_needing("rules-1")

    assert needing_before == ["read_file"]
    assert written == 1
    assert current == newer
    assert needing_after == needing_old == []
    assert count_rows(database_url, "classifications") == 2


def test_reclassifying_with_same_version_replaces_the_verdict(database_url: str) -> None:
    revised = verdict(Access.DESTRUCTIVE, Risk.CRITICAL)

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("read_file")), {"read_file": verdict(Access.READ, Risk.LOW)})
        store.save_classifications([(FILES, "read_file", revised)])
        current = store.tool("read_file").classification

    assert current == revised
    assert count_rows(database_url, "classifications") == 1


def test_changed_tool_needs_classifying_again(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(
            crawl_result(tool_record("read_file", "Reads.")), {"read_file": verdict(Access.READ, Risk.LOW)}
        )
        store.save_crawl(crawl_result(tool_record("read_file", "Reads and deletes.")), {})
        current = store.tool("read_file")
        needing = store.tools_needing("rules-1")

    assert current.classification is None
    assert needing == [current.tool]


def test_classifications_for_an_unknown_tool_write_nothing(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("read_file")), {})
        with pytest.raises(
            NotFound, match=r"^no tool named 'ghost' on server 'github:acme/files'$"
        ):
            store.save_classifications(
                [
                    (FILES, "read_file", verdict(Access.READ, Risk.LOW)),
                    (FILES, "ghost", verdict(Access.READ, Risk.LOW)),
                ]
            )
        current = store.tool("read_file").classification

    assert current is None
    assert count_rows(database_url, "classifications") == 0


def test_tools_needing_are_the_present_records_without_this_version_sorted_by_server_then_name(
    database_url: str,
) -> None:
    mail_tools = [tool_record(name, f"{name} mail.", server_key=MAIL) for name in ("send", "archive", "list")]
    with Store.open(database_url) as store:
        store.save_crawl(
            crawl_result(tool_record("write_file"), tool_record("read_file"), tool_record("delete_file")),
            {"read_file": verdict(Access.READ, Risk.LOW, version="rules-2")},
        )
        store.save_crawl(crawl_result(*mail_tools, server=server_record(MAIL)), {})
        # A complete crawl without `delete_file` removes it: removed tools are never classified.
        store.save_crawl(crawl_result(tool_record("write_file"), tool_record("read_file")), {})
        needing = store.tools_needing("rules-2")
        present = [item.tool for item in store.tools()]

    assert [(tool.server_key, tool.name) for tool in needing] == [
        (FILES, "write_file"), (MAIL, "archive"), (MAIL, "list"), (MAIL, "send"),
    ]
    # The very records the full read gives, field for field.
    assert needing == [tool for tool in present if tool.name != "read_file"]
