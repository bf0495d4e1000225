"""Static and live crawls of one server: merged, each speaking only for itself, live shown first."""

from __future__ import annotations

import sqlalchemy as sa

from catalog import migrate
from catalog.records import (
    CrawlResult,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    ServerRecord,
    ToolRecord,
    ToolSighting,
)
from catalog.store import SaveSummary, Store
from catalog.store_sightings import disagreements, summary

KEY = "npm:@acme/notes"
STATIC_AT = Location(kind=LocationKind.STATIC, file="src/server.ts", line=12)
LIVE_AT = Location(kind=LocationKind.LIVE, detail="npm @acme/notes@1.2.0")
NPM = Origin(kind=OriginKind.NPM, value="@acme/notes", version="1.2.0")


def _tool(name: str, location: Location, description: str = "") -> ToolRecord:
    return ToolRecord(
        server_key=KEY, name=name, description=description or f"The {name} tool.", location=location
    )


def _static(*names: str, description: str = "") -> CrawlResult:
    server = ServerRecord(key=KEY, name="@acme/notes", description="Notes for teams.", origins=(NPM,))
    return CrawlResult(server=server, tools=tuple(_tool(n, STATIC_AT, description) for n in names))


def _live(*names: str, description: str = "") -> CrawlResult:
    server = ServerRecord(key=KEY, name="@acme/notes", instructions="Be kind.", origins=(NPM,))
    return CrawlResult(
        server=server,
        tools=tuple(_tool(n, LIVE_AT, description) for n in names),
        seen_by=LocationKind.LIVE,
    )


def _seen(store: Store, *, include_removed: bool = False) -> dict[str, tuple[str, ...]]:
    """Tool name → the kinds still seeing it."""
    return {
        item.tool.name: tuple(s.kind.value for s in item.sightings if s.seeing)
        for item in store.tools(server=KEY, include_removed=include_removed)
    }


def test_static_and_live_crawls_of_one_key_are_one_server_with_both_origins(database_url: str) -> None:
    stdio = Origin(kind=OriginKind.STDIO, value="notes")
    live = _live("b", "c").model_copy(
        update={"server": ServerRecord(key=KEY, name="@acme/notes", origins=(NPM, stdio))}
    )

    with Store.open(database_url) as store:
        store.save_crawl(_static("a", "b"), {})
        store.save_crawl(live, {})
        servers = store.servers()
        seen = _seen(store)

    assert [(s.key, s.origins, s.tool_count, s.description) for s in servers] == [
        (KEY, (NPM, stdio), 3, "Notes for teams.")
    ]
    assert seen == {"a": ("static",), "b": ("static", "live"), "c": ("live",)}


def test_live_crawl_does_not_remove_tools_only_static_reading_found(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("a", "b"), {})
        summary_live = store.save_crawl(_live("b", "c"), {})
        summary_static = store.save_crawl(_static("a", "b"), {})
        present = [item.tool.name for item in store.tools(server=KEY)]

    assert summary_live == SaveSummary(server_key=KEY, new=1, changed=0, unchanged=1, removed=0)
    assert summary_static == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=2, removed=0)
    assert present == ["a", "b", "c"]


def test_tool_is_removed_only_when_no_kind_of_crawl_still_sees_it(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("a", "b"), {})
        store.save_crawl(_live("b", "c"), {})
        static_drops_b = store.save_crawl(_static("a"), {})
        after_static = _seen(store, include_removed=True)
        live_drops_b = store.save_crawl(_live("c"), {})
        removed = [item.tool.name for item in store.tools(server=KEY, include_removed=True) if item.removed]
        b = next(item for item in store.tools(server=KEY, include_removed=True) if item.tool.name == "b")

    assert static_drops_b == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=1, removed=0, missing=1)
    assert after_static == {"a": ("static",), "b": ("live",), "c": ("live",)}
    assert live_drops_b == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=1, removed=1)
    assert removed == ["b"]
    assert [(s.kind, s.seeing) for s in b.sightings] == [(LocationKind.STATIC, False), (LocationKind.LIVE, False)]


def test_removed_tool_seen_again_by_either_kind_is_present_again(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("a", "b"), {})
        store.save_crawl(_static("a"), {})
        store.save_crawl(_live("b"), {})
        seen = _seen(store)

    assert seen == {"a": ("static",), "b": ("live",)}


def test_current_definition_is_the_live_one_whatever_the_order(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_live("b", description="What the server says."), {})
        again = store.save_crawl(_static("b", description="What the source says."), {})
        current = store.tool("b")
        history = store.history(KEY, "b")

    assert again == SaveSummary(server_key=KEY, new=0, changed=1, unchanged=0, removed=0)
    assert (current.tool.description, current.tool.location) == ("What the server says.", LIVE_AT)
    assert [v.definition["description"] for v in history] == ["What the server says.", "What the source says."]


def test_static_recrawl_of_an_unchanged_definition_is_unchanged_even_when_live_differs(
    database_url: str,
) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("b", description="Source."), {})
        store.save_crawl(_live("b", description="Server."), {})
        recrawl = store.save_crawl(_static("b", description="Source."), {})
        current = store.tool("b")

    assert recrawl == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=1, removed=0)
    assert current.tool.description == "Server."


def test_static_definition_is_shown_again_once_live_stops_seeing_the_tool(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("a", "b", description="Source."), {})
        store.save_crawl(_live("a", "b", description="Server."), {})
        store.save_crawl(_live("a", description="Server."), {})
        b = store.tool("b")

    assert (b.tool.description, b.tool.location, b.removed) == ("Source.", STATIC_AT, False)
    assert b.tool.definition_hash == _tool("b", STATIC_AT, "Source.").definition_hash


def test_live_run_that_lists_nothing_leaves_statically_found_tools_alone(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("a"), {})
        empty = store.save_crawl(_live(), {})
        seen = _seen(store)

    assert empty == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=0, removed=0)
    assert seen == {"a": ("static",)}


def test_stdio_crawl_that_lists_nothing_speaks_for_live_crawls(database_url: str) -> None:
    server = ServerRecord(key=KEY, name="notes", origins=(Origin(kind=OriginKind.STDIO, value="notes"),))

    with Store.open(database_url) as store:
        store.save_crawl(_static("a"), {})
        store.save_crawl(_live("a", "c"), {})
        empty = store.save_crawl(CrawlResult(server=server), {})
        seen = _seen(store, include_removed=True)

    assert empty == SaveSummary(server_key=KEY, new=0, changed=0, unchanged=0, removed=1, missing=1)
    assert seen == {"a": ("static",), "c": ()}


def test_disagreements_name_the_tools_only_one_kind_sees(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("a", "b", "d"), {})
        store.save_crawl(_live("b", "c"), {})
        tools = store.tools(server=KEY)

    found = disagreements(tools)

    assert [(d.tool.tool.name, d.seen_by, d.not_seen_by) for d in found] == [
        ("a", (LocationKind.STATIC,), (LocationKind.LIVE,)),
        ("d", (LocationKind.STATIC,), (LocationKind.LIVE,)),
        ("c", (LocationKind.LIVE,), (LocationKind.STATIC,)),
    ]
    assert summary(found) == "only static: a, d; only live: c"


def test_one_kind_of_crawl_has_nothing_to_disagree_about(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("a", "b"), {})
        store.save_crawl(_static("a"), {})
        tools = store.tools(server=KEY, include_removed=True)

    assert disagreements(tools) == []


def test_sightings_say_what_each_kind_saw_where_and_when(database_url: str) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("b", description="Source."), {})
        store.save_crawl(_live("b", description="Server."), {})
        b = store.tool("b")

    static, live = b.sightings
    assert static == ToolSighting(
        kind=LocationKind.STATIC, definition_hash=_tool("b", STATIC_AT, "Source.").definition_hash,
        location=STATIC_AT, first_seen=static.first_seen, last_seen=static.first_seen,
    )
    assert live == ToolSighting(
        kind=LocationKind.LIVE, definition_hash=_tool("b", LIVE_AT, "Server.").definition_hash,
        location=LIVE_AT, first_seen=live.first_seen, last_seen=live.first_seen,
    )
    assert static.first_seen < live.first_seen
    assert static.first_seen.tzinfo is not None


def test_migration_gives_every_existing_tool_the_sighting_of_its_current_definition(
    database_url: str,
) -> None:
    with Store.open(database_url) as store:
        store.save_crawl(_static("a", "b"), {})
        store.save_crawl(_static("a"), {})
        before = store.tools(server=KEY, include_removed=True)
    migrate.downgrade(database_url, "0002_upstream_status")
    assert _sighting_rows(database_url) is None

    migrate.upgrade(database_url)
    with Store.open(database_url) as store:
        after = store.tools(server=KEY, include_removed=True)

    assert after == before
    assert [(t.tool.name, t.removed, [s.kind for s in t.sightings]) for t in after] == [
        ("a", False, [LocationKind.STATIC]), ("b", True, [LocationKind.STATIC]),
    ]
    assert after[1].sightings[0].missing_since is not None
    assert _sighting_rows(database_url) == 2


def _sighting_rows(url: str) -> int | None:
    """How many tool_sightings rows there are; None when the table does not exist."""
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("tool_sightings"):
            return None
        with engine.connect() as connection:
            return int(connection.scalar(sa.text("SELECT count(*) FROM tool_sightings")) or 0)
    finally:
        engine.dispose()
