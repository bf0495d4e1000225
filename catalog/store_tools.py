"""Writing one crawl's tools in bulk: load what the server has stored, diff in Python, write in batches.

A save costs a handful of statements whatever the number of tools: a few SELECTs of the server's
tool rows, sightings, version ids and verdicts, then one executemany (or a few chunked updates)
per table, instead of several statements per tool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from catalog import tables
from catalog.records import Classification, ToolRecord, definition_hash
from catalog.store_bulk import update_by_ids, update_each
from catalog.store_records import tool_values
from catalog.store_sightings import SightingRows, SightingWriter, load_sightings, outranked
from catalog.store_verdicts import version_ids, write_verdicts

_SHOWN = ("definition_hash", "location_kind", "location_file", "location_line", "location_detail")
"""Columns that, equal in the stored row, mean the row already shows the definition."""


@dataclass(frozen=True)
class StoredTools:
    """What a server had stored before this save."""

    rows: dict[str, sa.Row[Any]] = field(default_factory=dict)
    """Tool rows by name (id, name, removed_at and the _SHOWN columns)."""
    sightings: dict[int, SightingRows] = field(default_factory=dict)
    """Tool id → kind → sighting row."""
    versions: dict[tuple[int, str], int] = field(default_factory=dict)
    """(tool id, definition hash) → version id."""


@dataclass(frozen=True)
class _Incoming:
    """A tool of the crawl with its definition and hash computed once."""

    tool: ToolRecord
    definition: dict[str, Any]
    definition_hash: str

    @property
    def kind(self) -> str:
        return self.tool.location.kind.value


def load_stored(connection: sa.Connection, server_id: int) -> StoredTools:
    """The server's tool rows, then their sightings and version ids looked up by tool id."""
    tools = tables.tools
    columns = [tools.c.id, tools.c.name, tools.c.removed_at, *(tools.c[name] for name in _SHOWN)]
    query = sa.select(*columns).where(tools.c.server_id == server_id)
    rows = {row.name: row for row in connection.execute(query)}
    if not rows:
        return StoredTools()
    tool_ids = [row.id for row in rows.values()]
    return StoredTools(rows, load_sightings(connection, tool_ids), version_ids(connection, tool_ids))


def save_tools(
    connection: sa.Connection,
    server_id: int,
    tools: Sequence[ToolRecord],
    stored: StoredTools,
    classifications: Mapping[str, Classification],
    now: datetime,
) -> dict[str, int]:
    """Write the crawl's tools (one per name), versions, sightings and verdicts; returns the counts.

    The outcome (new, changed, unchanged) compares with what this kind of crawl saw last, else
    with the current definition. The tools row takes this definition unless a kind that knows
    better still sees the tool (see store_sightings.PRIORITY).
    """
    incoming = [_incoming(tool) for tool in tools]
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    touched: list[int] = []
    for item in incoming:
        values = tool_values(item.tool, item.definition_hash)
        previous = stored.rows.get(item.tool.name)
        if previous is None:
            counts["new"] += 1
            inserts.append(
                {"server_id": server_id, "name": item.tool.name, "first_seen": now,
                 "last_seen": now, "removed_at": None, **values}
            )
            continue
        own = stored.sightings.get(previous.id, {})
        seen_before = own[item.kind]["definition_hash"] if item.kind in own else previous.definition_hash
        counts["unchanged" if seen_before == item.definition_hash else "changed"] += 1
        if outranked(item.kind, own) or _shows(previous, values):
            touched.append(previous.id)
        else:
            updates.append({"tool_id": previous.id, "last_seen": now, "removed_at": None, **values})
    tool_ids = _write_tools(connection, server_id, stored, inserts, updates, touched, now)
    # In crawl order, so verdict rows get their ids in the order the tools came.
    wanted = [item.tool.name for item in incoming if item.tool.name in classifications]
    versions = _write_versions(connection, incoming, tool_ids, stored, wanted, now)
    writer = SightingWriter(now)
    for item in incoming:
        tool_id = tool_ids[item.tool.name]
        existing = stored.sightings.get(tool_id, {}).get(item.kind)
        writer.add(tool_id, item.tool, existing, item.definition_hash)
    writer.flush(connection)
    # A version created by this save has no verdict yet; only older ones need looking up.
    created = set(versions.values()) - set(stored.versions.values())
    write_verdicts(connection, [(versions[name], classifications[name]) for name in wanted], now,
                   new_versions=created)
    return counts


def _incoming(tool: ToolRecord) -> _Incoming:
    definition = tool.definition()
    return _Incoming(tool, definition, definition_hash(definition))


def _shows(previous: sa.Row[Any], values: Mapping[str, Any]) -> bool:
    """True when the stored row already holds this definition and location.

    The hash covers every definition column, so equal hashes mean equal JSON columns too.
    """
    mapping = previous._mapping
    return all(mapping[name] == values[name] for name in _SHOWN)


def _write_tools(
    connection: sa.Connection,
    server_id: int,
    stored: StoredTools,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    touched: list[int],
    now: datetime,
) -> dict[str, int]:
    """Insert, update and touch tool rows; returns every tool id of the server by name."""
    table = tables.tools
    ids = {name: row.id for name, row in stored.rows.items()}
    if inserts:
        connection.execute(sa.insert(table), inserts)
        query = sa.select(table.c.id, table.c.name).where(table.c.server_id == server_id)
        ids = {row.name: row.id for row in connection.execute(query)}
    update_each(connection, table, "tool_id", updates)
    update_by_ids(connection, table, touched, {"last_seen": now, "removed_at": None})
    return ids


def _write_versions(
    connection: sa.Connection,
    incoming: Sequence[_Incoming],
    tool_ids: Mapping[str, int],
    stored: StoredTools,
    wanted: Sequence[str],
    now: datetime,
) -> dict[str, int]:
    """Insert new versions and touch known ones; returns the version ids of the `wanted` names."""
    inserts: list[dict[str, Any]] = []
    touched: list[int] = []
    found: dict[str, int] = {}
    for item in incoming:
        tool_id = tool_ids[item.tool.name]
        version_id = stored.versions.get((tool_id, item.definition_hash))
        if version_id is None:
            inserts.append(
                {"tool_id": tool_id, "definition_hash": item.definition_hash,
                 "definition": item.definition, "first_seen": now, "last_seen": now}
            )
        else:
            touched.append(version_id)
            found[item.tool.name] = version_id
    table = tables.tool_versions
    update_by_ids(connection, table, touched, {"last_seen": now})
    if inserts:
        connection.execute(sa.insert(table), inserts)
        if any(name not in found for name in wanted):  # new ids are read back only when needed
            fresh = version_ids(connection, sorted({row["tool_id"] for row in inserts}))
            for item in incoming:
                if item.tool.name not in found:
                    found[item.tool.name] = fresh[(tool_ids[item.tool.name], item.definition_hash)]
    return {name: found[name] for name in wanted}
