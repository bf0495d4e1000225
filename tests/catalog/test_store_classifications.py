"""Store verdicts: the current classification, re-classifying, and tools that need it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalog.errors import NotFound
from catalog.records import (
    Access,
    Category,
    Classification,
    CrawlResult,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    Risk,
    ServerRecord,
    ToolRecord,
)
from catalog.store import Store

FILES = "github:acme/files"
MAIL = "npm:@acme/mail"


def _server(key: str = FILES, *origins: Origin) -> ServerRecord:
    if not origins:
        origins = (Origin(kind=OriginKind.GITHUB, value=key.split(":", 1)[1]),)
    return ServerRecord(key=key, name=key.rsplit("/", 1)[-1], origins=origins)


def _tool(name: str, description: str = "", server_key: str = FILES) -> ToolRecord:
    return ToolRecord(
        server_key=server_key,
        name=name,
        description=description or f"The {name} tool.",
        input_schema={"type": "object", "properties": {"path": {"type": "string"}}},
        location=Location(kind=LocationKind.STATIC, file="src/index.ts", line=10),
    )


def _crawl(
    *tools: ToolRecord, server: ServerRecord | None = None, complete: bool = True
) -> CrawlResult:
    return CrawlResult(server=server or _server(), tools=tools, complete=complete)


def _verdict(access: Access, risk: Risk, version: str = "rules-1") -> Classification:
    return Classification(
        access=access,
        risk=risk,
        category=Category(access.value.capitalize()),
        confidence=0.8,
        reasons=(f"looks {access.value}",),
        classifier_version=version,
    )


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
    finally:
        engine.dispose()


def test_newest_classifier_version_is_the_current_verdict(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool("read_file")), {"read_file": _verdict(Access.READ, Risk.LOW)})
        needing_before = [item.tool.name for item in store.stored_tools_needing("rules-2")]
        newer = _verdict(Access.WRITE, Risk.MEDIUM, version="rules-2")
        written = store.save_classifications([(FILES, "read_file", newer)])
        current = store.tool("read_file").classification
        needing_after = store.stored_tools_needing("rules-2")
        needing_old = store.stored_tools_needing("rules-1")

    assert needing_before == ["read_file"]
    assert written == 1
    assert current == newer
    assert needing_after == needing_old == []
    assert _count(database_url, "classifications") == 2


def test_reclassifying_with_same_version_replaces_the_verdict(database_url: str) -> None:
    revised = _verdict(Access.DESTRUCTIVE, Risk.CRITICAL)

    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool("read_file")), {"read_file": _verdict(Access.READ, Risk.LOW)})
        store.save_classifications([(FILES, "read_file", revised)])
        current = store.tool("read_file").classification

    assert current == revised
    assert _count(database_url, "classifications") == 1


def test_changed_tool_needs_classifying_again(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(
            _crawl(_tool("read_file", "Reads.")), {"read_file": _verdict(Access.READ, Risk.LOW)}
        )
        store.save_crawl(_crawl(_tool("read_file", "Reads and deletes.")), {})
        current = store.tool("read_file")
        needing = store.stored_tools_needing("rules-1")

    assert current.classification is None
    assert [item.tool for item in needing] == [current.tool]


def test_classifications_for_an_unknown_tool_write_nothing(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool("read_file")), {})
        with pytest.raises(
            NotFound, match=r"^no tool named 'ghost' on server 'github:acme/files'$"
        ):
            store.save_classifications(
                [
                    (FILES, "read_file", _verdict(Access.READ, Risk.LOW)),
                    (FILES, "ghost", _verdict(Access.READ, Risk.LOW)),
                ]
            )
        current = store.tool("read_file").classification

    assert current is None
    assert _count(database_url, "classifications") == 0
