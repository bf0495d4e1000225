"""The store's bulk paths: many tools per save, chunked updates, histories at once, merged origin writes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalog.errors import StoreError
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
from catalog.store import SaveSummary, Store
from catalog.store_bulk import CHUNK
from catalog.store_records import needs_cleaning
from catalog.store_upstream import Upstream
from tests.catalog.store_builders import count_rows

KEY = "github:acme/big"
REPO = Origin(kind=OriginKind.GITHUB, value="acme/big")


def _tool(number: int, revision: int = 0, line: int = 1, key: str = KEY) -> ToolRecord:
    note = f" Revised {revision}." if revision else ""
    return ToolRecord(
        server_key=key,
        name=f"tool_{number:04d}",
        description=f"Does thing {number}.{note}",
        input_schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        location=Location(kind=LocationKind.STATIC, file="src/tools.ts", line=line),
    )


def _crawl(*tools: ToolRecord, key: str = KEY, origins: tuple[Origin, ...] = (REPO,),
           complete: bool = True) -> CrawlResult:
    server = ServerRecord(key=key, name=key.rsplit("/", 1)[-1], origins=origins)
    return CrawlResult(server=server, tools=tools, complete=complete)


def _verdict(risk: Risk, version: str = "rules-1") -> Classification:
    return Classification(
        access=Access.READ, risk=risk, category=Category.READ, confidence=0.7,
        reasons=(f"risk {risk.value}",), classifier_version=version,
    )



def test_save_of_more_tools_than_one_chunk_diffs_like_a_small_one(database_url: str) -> None:
    count = CHUNK * 2 + 100
    first = [_tool(n) for n in range(count)]
    changed = [_tool(n, revision=1 if n % 10 == 0 else 0) for n in range(count)]

    with Store.open(database_url) as store:
        new = store.save_crawl(_crawl(*first), {t.name: _verdict(Risk.LOW) for t in first})
        again = store.save_crawl(_crawl(*changed), {t.name: _verdict(Risk.MEDIUM) for t in changed})
        dropped = store.save_crawl(_crawl(*changed[: count - CHUNK - 50]), {})
        present = store.tools()
        gone = [item for item in store.tools(include_removed=True) if item.removed]

    assert new == SaveSummary(server_key=KEY, new=count, changed=0, unchanged=0, removed=0)
    assert again == SaveSummary(server_key=KEY, new=0, changed=count // 10, unchanged=count - count // 10, removed=0)
    assert dropped == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=count - CHUNK - 50,
                                  removed=CHUNK + 50)
    assert [item.tool for item in present] == changed[: count - CHUNK - 50]
    assert {item.classification for item in present} == {_verdict(Risk.MEDIUM)}
    assert [item.tool.name for item in gone] == [t.name for t in changed[count - CHUNK - 50 :]]
    # Unchanged tools had their rules-1 verdict replaced; changed ones got a new version and verdict.
    assert count_rows(database_url, "tool_versions") == count + count // 10
    assert count_rows(database_url, "classifications") == count + count // 10


def test_same_definition_seen_at_another_line_is_unchanged_but_moves_the_location(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool(1, line=10)), {})
        summary = store.save_crawl(_crawl(_tool(1, line=20)), {})
        stored = store.tool("tool_0001")

    assert summary == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=1, removed=0)
    assert stored.tool == _tool(1, line=20)
    assert count_rows(database_url, "tool_versions") == 1


def test_verdict_by_the_same_classifier_is_replaced_and_a_newer_one_added(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool(1)), {"tool_0001": _verdict(Risk.LOW)})
        store.save_crawl(_crawl(_tool(1)), {"tool_0001": _verdict(Risk.HIGH)})
        replaced = store.tool("tool_0001").classification
        replaced_rows = count_rows(database_url, "classifications")
        store.save_crawl(_crawl(_tool(1)), {"tool_0001": _verdict(Risk.CRITICAL, "rules-2")})
        newest = store.tool("tool_0001").classification

    assert (replaced, replaced_rows) == (_verdict(Risk.HIGH), 1)
    assert newest == _verdict(Risk.CRITICAL, "rules-2")
    assert count_rows(database_url, "classifications") == 2


def test_origin_named_twice_in_one_crawl_is_one_row_with_what_either_knew(database_url: str) -> None:
    bare = Origin(kind=OriginKind.NPM, value="@acme/big")
    versioned = Origin(kind=OriginKind.NPM, value="@acme/big", version="1.0.0")
    linked = Origin(kind=OriginKind.NPM, value="@acme/big", url="https://example.test/big")

    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool(1), origins=(bare, versioned)), {})
        first = store.server(KEY).origins
        store.save_crawl(_crawl(_tool(1), origins=(linked, bare)), {})
        second = store.server(KEY).origins

    assert first == (versioned,)
    assert second == (Origin(kind=OriginKind.NPM, value="@acme/big", version="1.0.0",
                             url="https://example.test/big"),)


def test_upstream_status_is_saved_with_the_server_and_an_unknown_one_saves_nothing(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool(1)), {}, upstream=Upstream("active"))
        created = store.server(KEY).upstream_status
        store.save_crawl(_crawl(_tool(1)), {}, upstream=Upstream("deprecated"))
        updated = store.server(KEY)
        with pytest.raises(StoreError, match="unknown upstream status 'gone'"):
            store.save_crawl(_crawl(_tool(2)), {}, upstream=Upstream("gone"))
        after = store.server(KEY)
        names = [item.tool.name for item in store.tools()]

    assert (created, updated.upstream_status) == ("active", "deprecated")
    assert after == updated
    assert names == ["tool_0001"]


def test_listing_without_tools_that_is_not_complete_leaves_stored_tools_alone(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool(1), _tool(2)), {})
        before = store.tools()
        summary = store.save_crawl(_crawl(complete=False), {})
        after = store.tools()
        server = store.server(KEY)

    assert summary == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=0, removed=0)
    assert after == before
    assert (server.status, server.tool_count) == ("partial", 2)


def test_histories_read_every_tool_oldest_first_removed_ones_included(database_url: str) -> None:
    other = "github:acme/other"
    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool(1), _tool(2)), {})
        store.save_crawl(_crawl(_tool(1, revision=1)), {})
        elsewhere = (Origin(kind=OriginKind.GITHUB, value="acme/other"),)
        store.save_crawl(_crawl(_tool(1, key=other), key=other, origins=elsewhere), {})
        every = store.histories()
        one_by_one = {key: store.history(*key) for key in every}

    assert sorted(every) == [(KEY, "tool_0001"), (KEY, "tool_0002"), (other, "tool_0001")]
    assert every == one_by_one
    assert [v.definition["description"] for v in every[(KEY, "tool_0001")]] == [
        "Does thing 1.", "Does thing 1. Revised 1."
    ]


def test_histories_of_keys_reads_more_than_one_chunk_and_leaves_out_unknown_tools(database_url: str) -> None:
    tools = [_tool(n) for n in range(CHUNK + 20)]
    keys = [(KEY, t.name) for t in tools]

    with Store.open(database_url) as store:
        store.save_crawl(_crawl(*tools), {})
        found = store.histories([*keys, (KEY, "ghost"), ("github:acme/none", "tool_0001"), keys[0]])

    assert sorted(found) == sorted(keys)
    assert [[v.definition_hash for v in found[key]] for key in keys] == [[t.definition_hash] for t in tools]


def test_text_that_only_looks_escaped_is_stored_as_it_is(database_url: str) -> None:
    odd = _tool(1).model_copy(update={"description": "Writes \\u0000 and \\ud800 literally; 😀 é."})
    dirty = _tool(2).model_copy(update={"description": "NUL\x00 and lone \ud800 here."})

    with Store.open(database_url) as store:
        store.save_crawl(_crawl(odd, dirty), {})
        stored = {item.tool.name: item.tool.description for item in store.tools()}

    assert stored == {
        "tool_0001": "Writes \\u0000 and \\ud800 literally; 😀 é.",
        "tool_0002": "NUL and lone \ufffd here.",
    }


def test_needs_cleaning_spots_nul_and_lone_surrogates_in_keys_and_values() -> None:
    assert [
        needs_cleaning(value)
        for value in (
            {"a": "x\x00"}, {"k\x00": 1}, ["\udc00"], {"a": ["ok", {"b": "😀"}]}, {"set": {"x"}}, 3.5,
        )
    ] == [True, True, True, False, False, False]


def _planner_rows(url: str) -> dict[str, float]:
    """PostgreSQL's row estimate of the server and tool tables (-1: never analyzed); SQLite's sqlite_stat1 rows."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                query = sa.text(
                    "SELECT relname, reltuples FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
                    " AND relname IN ('servers', 'tools', 'tool_versions')"
                )
            elif connection.scalar(sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
                query = sa.text("SELECT tbl, count(*) FROM sqlite_stat1 GROUP BY tbl")
            else:
                return {}
            return {str(name): float(rows) for name, rows in connection.execute(query)}
    finally:
        engine.dispose()


def test_a_large_load_refreshes_postgresql_statistics_and_leaves_sqlite_alone(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("catalog.store.ANALYZE_AFTER_ROWS", 5)
    with Store.open(database_url) as store:
        store.save_crawl(_crawl(_tool(1)), {})  # a server and a tool: 2 rows, under the threshold
        before = _planner_rows(database_url)
        store.save_crawl(_crawl(*(_tool(n) for n in range(6))), {})  # 7 more: past it
        after = _planner_rows(database_url)

    if database_url.startswith("postgresql"):
        assert before == {"servers": -1, "tools": -1, "tool_versions": -1}
        assert after == {"servers": 1, "tools": 6, "tool_versions": 6}
    else:
        assert before == after == {}
