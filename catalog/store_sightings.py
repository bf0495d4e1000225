"""Which kinds of crawl see a tool: static reading, live listing, saved listing, registry payload.

A static and a live crawl of one server each speak only for themselves: a complete crawl of one
kind marks the tools it no longer sees as missing *for that kind*, and a tool is removed only when
no kind still sees it. When several kinds see a tool, the current definition is the one from the
kind that knows best (the server's own live answer over a recorded one, over a registry's copy,
over what reading the source found).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from catalog import tables
from catalog.records import (
    CrawlResult,
    Location,
    LocationKind,
    OriginKind,
    StoredTool,
    ToolRecord,
    ToolSighting,
)
from catalog.store_bulk import chunks, update_by_ids, update_each
from catalog.store_records import RowLike, utc

PRIORITY = (LocationKind.STATIC, LocationKind.REGISTRY, LocationKind.SAVED, LocationKind.LIVE)
"""Whose definition is current when several kinds see a tool: later in the tuple wins."""

_KIND_OF_ORIGIN = {
    OriginKind.STDIO: LocationKind.LIVE,
    OriginKind.URL: LocationKind.LIVE,
    OriginKind.SAVED: LocationKind.SAVED,
    OriginKind.REGISTRY: LocationKind.REGISTRY,
}
"""For a crawl that found no tools: the kind its origin implies (everything else is static)."""

SightingRows = dict[str, RowLike]
"""One tool's sighting rows by kind."""


def rank(kind: str) -> int:
    """The kind's place in PRIORITY; higher wins."""
    return PRIORITY.index(LocationKind(kind))


def crawl_kinds(result: CrawlResult) -> set[str]:
    """The kinds of crawl a result speaks for: its own word, else its tools' locations, else its origins."""
    if result.seen_by is not None:
        return {result.seen_by.value}
    kinds = {tool.location.kind.value for tool in result.tools}
    if kinds:
        return kinds
    implied = {_KIND_OF_ORIGIN.get(origin.kind, LocationKind.STATIC) for origin in result.server.origins}
    return {kind.value for kind in implied} or {LocationKind.STATIC.value}


def load_sightings(connection: sa.Connection, tool_ids: Sequence[int]) -> dict[int, SightingRows]:
    """Every sighting of these tools: tool id → kind → row."""
    table = tables.tool_sightings
    found: dict[int, SightingRows] = defaultdict(dict)
    # Lists of ids rather than a join on the server: the planner then always takes the
    # (tool_id, kind) index, even on a PostgreSQL table whose statistics are stale.
    for chunk in chunks(tool_ids):
        for row in connection.execute(sa.select(table).where(table.c.tool_id.in_(list(chunk)))).mappings():
            found[row["tool_id"]][row["kind"]] = row
    return found


def outranked(kind: str, sightings: SightingRows) -> bool:
    """True when a kind that knows better than `kind` still sees the tool."""
    return any(
        row["missing_since"] is None and rank(other) > rank(kind)
        for other, row in sightings.items()
        if other != kind
    )


class SightingWriter:
    """Sightings of one crawl, written in two statements at the end rather than one per tool."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []

    def add(
        self,
        tool_id: int,
        tool: ToolRecord,
        existing: RowLike | None,
        definition_hash: str | None = None,
    ) -> None:
        """Record that the tool's location kind saw this definition now (its hash, when known)."""
        values = {
            "definition_hash": definition_hash or tool.definition_hash,
            "location_file": tool.location.file,
            "location_line": tool.location.line,
            "location_detail": tool.location.detail,
            "last_seen": self.now,
            "missing_since": None,
        }
        if existing is None:
            self.inserts.append(
                {"tool_id": tool_id, "kind": tool.location.kind.value, "first_seen": self.now, **values}
            )
        else:
            self.updates.append({"sighting_id": existing["id"], **values})

    def flush(self, connection: sa.Connection) -> None:
        table = tables.tool_sightings
        if self.inserts:
            connection.execute(sa.insert(table), self.inserts)
        update_each(connection, table, "sighting_id", self.updates)
        self.inserts, self.updates = [], []


@dataclass(frozen=True)
class Unseen:
    """What a complete crawl did to the stored tools it did not see."""

    missing: int
    """Tools it no longer sees that another kind of crawl still sees: kept."""
    removed: int
    """Tools no kind of crawl sees any more: marked removed."""


def mark_unseen(
    connection: sa.Connection,
    unseen_tools: Iterable[sa.Row[Any]],
    kinds: set[str],
    sightings: Mapping[int, SightingRows],
    now: datetime,
) -> Unseen:
    """Mark the crawl's kinds as no longer seeing these tools; remove the ones nobody sees."""
    missing = removed = 0
    stopped_ids: list[int] = []
    removed_ids: list[int] = []
    for row in unseen_tools:
        own = sightings.get(row.id, {})
        stopped = [s["id"] for kind, s in own.items() if kind in kinds and s["missing_since"] is None]
        stopped_ids.extend(stopped)
        still = {k: s for k, s in own.items() if k not in kinds and s["missing_since"] is None}
        if still:
            missing += bool(stopped)
            if row.location_kind in kinds:
                _show_best(connection, row.id, still)
        elif row.removed_at is None:
            removed_ids.append(row.id)
            removed += 1
    update_by_ids(connection, tables.tool_sightings, stopped_ids, {"missing_since": now})
    update_by_ids(connection, tables.tools, removed_ids, {"removed_at": now})
    return Unseen(missing=missing, removed=removed)


def _show_best(connection: sa.Connection, tool_id: int, still: SightingRows) -> None:
    """Make the best remaining sighting's definition the tool's current one."""
    kind, sighting = max(still.items(), key=lambda item: rank(item[0]))
    versions = tables.tool_versions
    definition = connection.scalar(
        sa.select(versions.c.definition).where(
            versions.c.tool_id == tool_id,
            versions.c.definition_hash == sighting["definition_hash"],
        )
    )
    if definition is None:  # every sighting's definition has a version row; be safe regardless
        return
    connection.execute(
        sa.update(tables.tools)
        .where(tables.tools.c.id == tool_id)
        .values(
            title=definition["title"],
            description=definition["description"],
            input_schema=definition["input_schema"],
            output_schema=definition["output_schema"],
            hints=definition["hints"],
            meta=definition["meta"],
            definition_hash=sighting["definition_hash"],
            location_kind=kind,
            location_file=sighting["location_file"],
            location_line=sighting["location_line"],
            location_detail=sighting["location_detail"],
        )
    )


# Reading.


def sightings_for(
    connection: sa.Connection, tools_query: sa.Select[tuple[object, ...]]
) -> dict[int, tuple[ToolSighting, ...]]:
    """The sightings of every tool a tools query selects, by tool id, in kind order."""
    table = tables.tool_sightings
    # A subquery, not a list of ids: a large catalog would pass SQLite's bound-parameter limit.
    tool_ids = tools_query.with_only_columns(tables.tools.c.id)
    rows = connection.execute(sa.select(table).where(table.c.tool_id.in_(tool_ids))).mappings()
    found: dict[int, list[ToolSighting]] = defaultdict(list)
    for row in rows:
        found[row["tool_id"]].append(sighting_record(row))
    order = list(LocationKind)
    return {
        tool_id: tuple(sorted(items, key=lambda item: order.index(item.kind)))
        for tool_id, items in found.items()
    }


def sighting_record(row: RowLike) -> ToolSighting:
    """A ToolSighting from a `tool_sightings` row."""
    missing_since = row["missing_since"]
    return ToolSighting(
        kind=row["kind"],
        definition_hash=row["definition_hash"],
        location=Location(
            kind=row["kind"],
            file=row["location_file"],
            line=row["location_line"],
            detail=row["location_detail"],
        ),
        first_seen=utc(row["first_seen"]),
        last_seen=utc(row["last_seen"]),
        missing_since=utc(missing_since) if missing_since is not None else None,
    )


@dataclass(frozen=True)
class Disagreement:
    """A tool some kinds of crawl of its server see and others do not."""

    tool: StoredTool
    seen_by: tuple[LocationKind, ...]
    not_seen_by: tuple[LocationKind, ...]

    @property
    def group(self) -> str:
        """`only static`, `only live`, `only static+saved`: how the summary line groups it."""
        return "only " + "+".join(kind.value for kind in self.seen_by)


def disagreements(tools: Sequence[StoredTool]) -> list[Disagreement]:
    """The present tools that not every kind of crawl of their server sees, sorted by group and name.

    The kinds compared are those that ever saw a tool of the server; with fewer than two there
    is nothing to disagree about.
    """
    order = list(LocationKind)
    kinds = {sighting.kind for item in tools for sighting in item.sightings}
    if len(kinds) < 2:
        return []
    found = []
    for item in tools:
        seeing = {sighting.kind for sighting in item.sightings if sighting.seeing}
        if item.removed or not seeing or seeing == kinds:
            continue
        found.append(
            Disagreement(
                tool=item,
                seen_by=tuple(sorted(seeing, key=order.index)),
                not_seen_by=tuple(sorted(kinds - seeing, key=order.index)),
            )
        )
    return sorted(found, key=lambda d: ([order.index(k) for k in d.seen_by], d.tool.tool.name))


def summary(found: Sequence[Disagreement]) -> str:
    """`only static: a, b; only live: c`."""
    groups: dict[str, list[str]] = {}
    for item in found:
        groups.setdefault(item.group, []).append(item.tool.tool.name)
    return "; ".join(f"{group}: {', '.join(names)}" for group, names in groups.items())
