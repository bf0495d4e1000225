"""Writing one crawled server inside an open transaction: server, origins, tools, versions, verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from catalog import tables
from catalog.records import Classification, CrawlFailure, CrawlResult, Origin, ToolRecord
from catalog.store_records import (
    classification_values,
    failure_values,
    origin_values,
    server_values,
    tool_values,
)
from catalog.store_sightings import (
    SightingRows,
    SightingWriter,
    crawl_kinds,
    load_sightings,
    mark_unseen,
    outranked,
)


@dataclass(frozen=True)
class SaveSummary:
    """What saving one server's crawl changed."""

    server_key: str
    new: int
    """Tools never stored before for this server."""
    changed: int
    """Tools whose definition hash differs from the stored one (a new version row)."""
    unchanged: int
    """Tools with the same definition as stored (only last_seen moves)."""
    removed: int
    """Stored tools this complete crawl no longer saw and no other kind of crawl sees: removed."""
    missing: int = 0
    """Stored tools this complete crawl no longer saw that another kind of crawl still sees: kept."""


def save_result(
    connection: sa.Connection,
    result: CrawlResult,
    classifications: Mapping[str, Classification],
    run_id: int | None,
    now: datetime,
) -> SaveSummary:
    """Write one CrawlResult; the caller owns the transaction.

    Each tool's sighting by this kind of crawl is refreshed; a complete crawl marks the tools it
    did not see as missing for its kind, and removed only when no other kind still sees them.
    """
    status = "ok" if result.complete and not result.failures else "partial"
    server_id = upsert_server(connection, result, status, now)
    upsert_origins(connection, server_id, result.server.origins, now)
    stored = {
        row.name: row
        for row in connection.execute(
            sa.select(tables.tools).where(tables.tools.c.server_id == server_id)
        )
    }
    sightings = load_sightings(connection, server_id)
    writer = SightingWriter(now)
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    seen: set[str] = set()
    for tool in result.tools:
        # A source may report one name twice (two registrations in a tree); the first one wins,
        # as it would for a client listing the server's tools.
        if tool.name in seen:
            continue
        seen.add(tool.name)
        previous = stored.get(tool.name)
        own = sightings.get(previous.id, {}) if previous is not None else {}
        outcome, version_id = _save_tool(connection, server_id, tool, previous, own, writer)
        counts[outcome] += 1
        classification = classifications.get(tool.name)
        if classification is not None:
            upsert_classification(connection, version_id, classification, now)
    writer.flush(connection)
    removed = missing = 0
    if result.complete:
        unseen = [row for name, row in stored.items() if name not in seen]
        marked = mark_unseen(connection, unseen, crawl_kinds(result), sightings, now)
        removed, missing = marked.removed, marked.missing
    insert_failures(connection, result.failures, run_id, now)
    return SaveSummary(server_key=result.server.key, removed=removed, missing=missing, **counts)


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database reported no primary key for an insert")
    return int(key[0])


def upsert_server(
    connection: sa.Connection, result: CrawlResult, status: str, now: datetime
) -> int:
    """Insert or update the server row; returns its id."""
    servers = tables.servers
    values = {**server_values(result.server), "status": status, "last_seen": now, "updated_at": now}
    server_id = connection.scalar(sa.select(servers.c.id).where(servers.c.key == result.server.key))
    if server_id is None:
        inserted = connection.execute(
            sa.insert(servers).values(key=result.server.key, first_seen=now, **values)
        )
        return inserted_id(inserted)
    # Crawls of different kinds know different things (a package's description, a live server's
    # instructions): one that does not know a field leaves what another found.
    known = {name: value for name, value in values.items() if value is not None}
    connection.execute(sa.update(servers).where(servers.c.id == server_id).values(**known))
    return int(server_id)


def upsert_origins(
    connection: sa.Connection, server_id: int, origins: Iterable[Origin], now: datetime
) -> None:
    """Add origins not stored yet and refresh the ones seen again; never drops an origin."""
    table = tables.server_origins
    for origin in origins:
        values = origin_values(origin)
        origin_id = connection.scalar(
            sa.select(table.c.id).where(
                table.c.server_id == server_id,
                table.c.kind == values["kind"],
                table.c.value == values["value"],
            )
        )
        if origin_id is None:
            connection.execute(
                sa.insert(table).values(
                    server_id=server_id, first_seen=now, last_seen=now, **values
                )
            )
            continue
        # A later sighting without a version or link should not erase what an earlier one knew.
        refreshed = {name: values[name] for name in ("version", "url") if values[name] is not None}
        connection.execute(
            sa.update(table).where(table.c.id == origin_id).values(last_seen=now, **refreshed)
        )


def _save_tool(
    connection: sa.Connection,
    server_id: int,
    tool: ToolRecord,
    previous: sa.Row[Any] | None,
    sightings: SightingRows,
    writer: SightingWriter,
) -> tuple[str, int]:
    """Upsert the tools row, its sighting and its version row; returns (outcome, version id).

    The outcome (new, changed, unchanged) compares with what this kind of crawl saw last, else
    with the current definition. The tools row takes this definition unless a kind that knows
    better still sees the tool (see store_sightings.PRIORITY).
    """
    table = tables.tools
    definition = tool_values(tool)
    kind = tool.location.kind.value
    now = writer.now
    if previous is None:
        inserted = connection.execute(
            sa.insert(table).values(
                server_id=server_id, name=tool.name, first_seen=now, last_seen=now,
                removed_at=None, **definition,
            )
        )
        tool_id = inserted_id(inserted)
        outcome = "new"
    else:
        tool_id = previous.id
        own = sightings.get(kind)
        before = own["definition_hash"] if own is not None else previous.definition_hash
        outcome = "unchanged" if before == definition["definition_hash"] else "changed"
        shown = {} if outranked(kind, sightings) else definition
        connection.execute(
            sa.update(table).where(table.c.id == tool_id).values(
                last_seen=now, removed_at=None, **shown
            )
        )
    writer.add(tool_id, tool, sightings.get(kind))
    return outcome, _upsert_version(connection, tool_id, tool, now)


def _upsert_version(
    connection: sa.Connection, tool_id: int, tool: ToolRecord, now: datetime
) -> int:
    table = tables.tool_versions
    definition_hash = tool.definition_hash
    version_id = connection.scalar(
        sa.select(table.c.id).where(
            table.c.tool_id == tool_id, table.c.definition_hash == definition_hash
        )
    )
    if version_id is None:
        inserted = connection.execute(
            sa.insert(table).values(
                tool_id=tool_id,
                definition_hash=definition_hash,
                definition=tool.definition(),
                first_seen=now,
                last_seen=now,
            )
        )
        return inserted_id(inserted)
    connection.execute(sa.update(table).where(table.c.id == version_id).values(last_seen=now))
    return int(version_id)


def upsert_classification(
    connection: sa.Connection, version_id: int, classification: Classification, now: datetime
) -> None:
    """Store a verdict for a tool version, replacing one by the same classifier version."""
    table = tables.classifications
    values = {**classification_values(classification), "created_at": now}
    existing = connection.scalar(
        sa.select(table.c.id).where(
            table.c.tool_version_id == version_id,
            table.c.classifier_version == classification.classifier_version,
        )
    )
    if existing is None:
        connection.execute(sa.insert(table).values(tool_version_id=version_id, **values))
    else:
        connection.execute(sa.update(table).where(table.c.id == existing).values(**values))


def insert_failures(
    connection: sa.Connection,
    failures: Iterable[CrawlFailure],
    run_id: int | None,
    now: datetime,
) -> None:
    """Record crawl failures, tied to a run when there is one."""
    rows = [
        {**failure_values(failure), "run_id": run_id, "created_at": now} for failure in failures
    ]
    if rows:
        connection.execute(sa.insert(tables.crawl_failures), rows)
