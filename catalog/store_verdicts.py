"""Verdicts written in bulk, and the version ids they attach to looked up by chunks of ids.

Both `save_crawl` (verdicts for one server's tools) and `save_classifications` (verdicts for any
stored tools, as `catalog classify` saves them) write through `write_verdicts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from catalog import tables
from catalog.errors import NotFound
from catalog.records import Classification
from catalog.store_bulk import chunks, update_each
from catalog.store_records import classification_values

ToolKey = tuple[str, str]
"""(server key, tool name)."""


def save_verdicts(
    connection: sa.Connection, items: Sequence[tuple[str, str, Classification]], now: datetime
) -> None:
    """Store each (server key, tool name, verdict) against the tool's current version.

    Every version id is looked up before anything is written, so an unknown tool raises NotFound
    (naming the first one in input order) with nothing written by this call.
    """
    found = current_version_ids(connection, [(key, name) for key, name, _ in items])
    for key, name, _ in items:
        if (key, name) not in found:
            raise NotFound(f"no tool named '{name}' on server '{key}'")
    write_verdicts(connection, [(found[(key, name)], verdict) for key, name, verdict in items], now)


def current_version_ids(connection: sa.Connection, keys: Sequence[ToolKey]) -> dict[ToolKey, int]:
    """(server key, tool name) → id of the tool's current version, for those of the keys stored.

    Servers by key, then every tool of those servers by server id, then the wanted tools'
    versions by tool id: each a plain IN on an indexed column. A list of (server id, name)
    pairs would read fewer tools, but SQLite answers `(a, b) IN (VALUES ...)` by scanning the
    whole table.
    """
    servers, tools = tables.servers, tables.tools
    server_keys: dict[int, str] = {}
    for key_chunk in chunks(sorted({key for key, _ in keys})):
        query = sa.select(servers.c.id, servers.c.key).where(servers.c.key.in_(list(key_chunk)))
        server_keys.update({row.id: row.key for row in connection.execute(query)})
    wanted = set(keys)
    current: dict[int, tuple[ToolKey, str]] = {}
    for id_chunk in chunks(sorted(server_keys)):
        query = sa.select(tools.c.id, tools.c.server_id, tools.c.name, tools.c.definition_hash).where(
            tools.c.server_id.in_(list(id_chunk))
        )
        for row in connection.execute(query):
            key = (server_keys[row.server_id], row.name)
            if key in wanted:
                current[row.id] = (key, row.definition_hash)
    versions = version_ids(connection, sorted(current))
    return {
        key: versions[(tool_id, definition_hash)]
        for tool_id, (key, definition_hash) in current.items()
        if (tool_id, definition_hash) in versions
    }


def version_ids(connection: sa.Connection, tool_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """(tool id, definition hash) → version id for every version of these tools.

    Looked up by lists of tool ids, not by a join on the server, so that the (tool_id, hash)
    index is used even when PostgreSQL's statistics are stale (a catalog just bulk-loaded).
    """
    versions = tables.tool_versions
    found: dict[tuple[int, str], int] = {}
    for chunk in chunks(tool_ids):
        query = sa.select(versions.c.id, versions.c.tool_id, versions.c.definition_hash).where(
            versions.c.tool_id.in_(list(chunk))
        )
        found.update({(row.tool_id, row.definition_hash): row.id for row in connection.execute(query)})
    return found


def write_verdicts(
    connection: sa.Connection,
    verdicts: Iterable[tuple[int, Classification]],
    now: datetime,
    *,
    new_versions: Set[int] = frozenset(),
) -> None:
    """Store (version id, verdict) pairs, a verdict replacing one by the same classifier version.

    A pair repeating a (version, classifier version) of an earlier one replaces its values but
    keeps its place, so rows get their ids in the order the pairs first came. `new_versions` were
    created by this transaction and have no verdict to look up.
    """
    latest: dict[tuple[int, str], Classification] = {}
    for version_id, verdict in verdicts:
        latest[(version_id, verdict.classifier_version)] = verdict
    if not latest:
        return
    table = tables.classifications
    existing = _existing_ids(connection, [pair for pair in latest if pair[0] not in new_versions])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for (version_id, classifier_version), verdict in latest.items():
        values = {**classification_values(verdict), "created_at": now}
        known = existing.get((version_id, classifier_version))
        if known is None:
            inserts.append({"tool_version_id": version_id, **values})
        else:
            updates.append({"classification_id": known, **values})
    if inserts:
        connection.execute(sa.insert(table), inserts)
    update_each(connection, table, "classification_id", updates)


def _existing_ids(
    connection: sa.Connection, pairs: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """Ids of the verdict rows stored for these (version id, classifier version) pairs.

    One query per chunk of version ids for each classifier version (usually there is one).
    """
    by_classifier: dict[str, list[int]] = defaultdict(list)
    for version_id, classifier_version in pairs:
        by_classifier[classifier_version].append(version_id)
    table = tables.classifications
    found: dict[tuple[int, str], int] = {}
    for classifier_version, version_ids in by_classifier.items():
        for chunk in chunks(version_ids):
            query = sa.select(table.c.id, table.c.tool_version_id).where(
                table.c.classifier_version == classifier_version,
                table.c.tool_version_id.in_(list(chunk)),
            )
            found.update({(row.tool_version_id, classifier_version): row.id for row in connection.execute(query)})
    return found
