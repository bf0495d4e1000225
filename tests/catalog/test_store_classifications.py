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
    count_rows,
    crawl_result,
    tool_record,
    verdict,
)


def test_newest_classifier_version_is_the_current_verdict(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("read_file")), {"read_file": verdict(Access.READ, Risk.LOW)})
        needing_before = [item.tool.name for item in store.stored_tools_needing("rules-2")]
        newer = verdict(Access.WRITE, Risk.MEDIUM, version="rules-2")
        written = store.save_classifications([(FILES, "read_file", newer)])
        current = store.tool("read_file").classification
        needing_after = store.stored_tools_needing("rules-2")
        needing_old = store.stored_tools_needing("rules-1")

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
        needing = store.stored_tools_needing("rules-1")

    assert current.classification is None
    assert [item.tool for item in needing] == [current.tool]


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
