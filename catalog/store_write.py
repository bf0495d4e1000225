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
    failure_values,
    origin_values,
    server_values,
)
from catalog.store_sightings import crawl_kinds, mark_unseen
from catalog.store_tools import StoredTools, load_stored, save_tools


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
    server_extra: Mapping[str, Any] | None = None,
) -> SaveSummary:
    """Write one CrawlResult; the caller owns the transaction.

    Each tool's sighting by this kind of crawl is refreshed; a complete crawl marks the tools it
    did not see as missing for its kind, and removed only when no other kind still sees them.
    `server_extra` are further `servers` columns to set with the server row (upstream status).
    """
    status = "ok" if result.complete and not result.failures else "partial"
    servers = tables.servers
    known_id = connection.scalar(sa.select(servers.c.id).where(servers.c.key == result.server.key))
    server_id = write_server(connection, known_id, result, status, now, server_extra or {})
    upsert_origins(connection, server_id, result.server.origins, now, known=known_id is not None)
    tools = first_of_each_name(result.tools)
    # A server created just now has nothing stored; one listed without tools and not complete
    # (a registry's --servers-only) touches none of its stored tools.
    stored = StoredTools()
    if known_id is not None and (tools or result.complete):
        stored = load_stored(connection, server_id)
    counts = save_tools(connection, server_id, tools, stored, classifications, now)
    removed = missing = 0
    if result.complete:
        names = {tool.name for tool in tools}
        unseen = [row for name, row in stored.rows.items() if name not in names]
        marked = mark_unseen(connection, unseen, crawl_kinds(result), stored.sightings, now)
        removed, missing = marked.removed, marked.missing
    insert_failures(connection, result.failures, run_id, now)
    return SaveSummary(server_key=result.server.key, removed=removed, missing=missing, **counts)


def first_of_each_name(tools: Iterable[ToolRecord]) -> list[ToolRecord]:
    """The tools with repeated names dropped.

    A source may report one name twice (two registrations in a tree); the first one wins, as it
    would for a client listing the server's tools.
    """
    firsts: dict[str, ToolRecord] = {}
    for tool in tools:
        firsts.setdefault(tool.name, tool)
    return list(firsts.values())


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database reported no primary key for an insert")
    return int(key[0])


def write_server(
    connection: sa.Connection,
    server_id: int | None,
    result: CrawlResult,
    status: str,
    now: datetime,
    extra: Mapping[str, Any],
) -> int:
    """Insert the server row, or update the one with this id; returns its id."""
    servers = tables.servers
    values = {**server_values(result.server), "status": status, "last_seen": now, "updated_at": now}
    if server_id is None:
        inserted = connection.execute(
            sa.insert(servers).values(key=result.server.key, first_seen=now, **values, **extra)
        )
        return inserted_id(inserted)
    # Crawls of different kinds know different things (a package's description, a live server's
    # instructions): one that does not know a field leaves what another found.
    known = {name: value for name, value in values.items() if value is not None}
    connection.execute(
        sa.update(servers).where(servers.c.id == server_id).values(**known, **extra)
    )
    return int(server_id)


def upsert_origins(
    connection: sa.Connection,
    server_id: int,
    origins: Iterable[Origin],
    now: datetime,
    *,
    known: bool = True,
) -> None:
    """Add origins not stored yet and refresh the ones seen again; never drops an origin.

    `known=False` says the server is new, so none of its origins can be stored yet.
    """
    table = tables.server_origins
    stored: dict[tuple[str, str], int] = {}
    if known:
        query = sa.select(table.c.id, table.c.kind, table.c.value).where(table.c.server_id == server_id)
        stored = {(row.kind, row.value): row.id for row in connection.execute(query)}
    inserts: dict[tuple[str, str], dict[str, Any]] = {}
    refreshes: dict[int, dict[str, Any]] = {}
    for origin in origins:
        values = origin_values(origin)
        identity = (values["kind"], values["value"])
        # A later sighting without a version or link should not erase what an earlier one knew.
        described = {name: values[name] for name in ("version", "url") if values[name] is not None}
        if identity in stored:
            refresh = refreshes.setdefault(stored[identity], {"version": None, "url": None})
            refresh.update(described)
        elif identity in inserts:
            inserts[identity].update(described)
        else:
            inserts[identity] = {"server_id": server_id, "first_seen": now, "last_seen": now, **values}
    if inserts:
        connection.execute(sa.insert(table), list(inserts.values()))
    if refreshes:
        version, url = sa.bindparam("new_version", type_=sa.String), sa.bindparam("new_url", type_=sa.Text)
        connection.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("origin_id", type_=sa.Integer))
            .values(
                last_seen=now,
                version=sa.func.coalesce(version, table.c.version),
                url=sa.func.coalesce(url, table.c.url),
            ),
            [
                {"origin_id": origin_id, "new_version": refresh["version"], "new_url": refresh["url"]}
                for origin_id, refresh in refreshes.items()
            ],
        )


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
