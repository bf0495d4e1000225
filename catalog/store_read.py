"""Read queries of the store: tools with their current verdict, servers with origins, history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from catalog import tables
from catalog.records import Origin, StoredServer, StoredTool, ToolRecord, ToolVersion
from catalog.store_bulk import chunks
from catalog.store_records import (
    CLASSIFICATION_PREFIX,
    origin_record,
    prefixed,
    stored_server,
    stored_tool,
    tool_record,
    tool_version,
)
from catalog.store_sightings import sightings_for


def tools_query() -> sa.Select[tuple[object, ...]]:
    """Every tool with its server key and name and the newest verdict on its current version.

    The current version is the tool_versions row with the tool's definition hash; the newest
    verdict is the one inserted last (highest id) among the classifier versions stored for it.
    """
    tools, servers, versions = tables.tools, tables.servers, tables.tool_versions
    verdicts = tables.classifications
    latest = (
        sa.select(
            verdicts.c.tool_version_id,
            sa.func.max(verdicts.c.id).label("classification_id"),
        )
        .group_by(verdicts.c.tool_version_id)
        .subquery("latest")
    )
    joined = (
        tools.join(servers, tools.c.server_id == servers.c.id)
        .outerjoin(
            versions,
            sa.and_(
                versions.c.tool_id == tools.c.id,
                versions.c.definition_hash == tools.c.definition_hash,
            ),
        )
        .outerjoin(latest, latest.c.tool_version_id == versions.c.id)
        .outerjoin(verdicts, verdicts.c.id == latest.c.classification_id)
    )
    return sa.select(
        *tools.c,
        servers.c.key.label("server_key"),
        servers.c.name.label("server_name"),
        versions.c.id.label("version_id"),
        *prefixed(verdicts, CLASSIFICATION_PREFIX),
    ).select_from(joined)


def lacking_verdict(classifier_version: str) -> sa.ColumnElement[bool]:
    """True for tools whose current version has no verdict by this classifier version."""
    # An alias, so the subquery does not correlate with the classifications the query joins.
    verdicts = tables.classifications.alias("verdicts_by_version")
    return ~sa.exists().where(
        verdicts.c.tool_version_id == tables.tool_versions.c.id,
        verdicts.c.classifier_version == classifier_version,
    )


def tools_needing(connection: sa.Connection, classifier_version: str) -> list[ToolRecord]:
    """Present tools whose current version has no verdict by this classifier version, as records.

    Only what classifying needs: no verdict join, no sightings (`fetch_tools` reads both, which
    cost four fifths of the time on 20k tools). Sorted like `fetch_tools`.
    """
    tools, servers, versions = tables.tools, tables.servers, tables.tool_versions
    query = (
        sa.select(*tools.c, servers.c.key.label("server_key"))
        .select_from(
            tools.join(servers, tools.c.server_id == servers.c.id).outerjoin(
                versions,
                sa.and_(versions.c.tool_id == tools.c.id, versions.c.definition_hash == tools.c.definition_hash),
            )
        )
        .where(tools.c.removed_at.is_(None), lacking_verdict(classifier_version))
    )
    found = [tool_record(row, row["server_key"]) for row in connection.execute(query).mappings()]
    return sorted(found, key=lambda item: (item.server_key, item.name))


def fetch_tools(
    connection: sa.Connection, query: sa.Select[tuple[object, ...]]
) -> list[StoredTool]:
    """Run a tools query; sorted in Python so the order does not depend on the database collation."""
    sightings = sightings_for(connection, query)
    items = [
        stored_tool(row._mapping, sightings.get(row._mapping["id"], ()))
        for row in connection.execute(query)
    ]
    return sorted(items, key=lambda item: (item.tool.server_key, item.tool.name))


def fetch_servers(
    connection: sa.Connection, where: list[sa.ColumnElement[bool]]
) -> list[StoredServer]:
    """Servers matching the conditions, each with its origins and count of tools still present."""
    servers = tables.servers
    rows = connection.execute(sa.select(servers).where(*where)).mappings().all()
    origins = _origins_by_server(connection, where)
    counts = _tool_counts(connection, where)
    items = [
        stored_server(row, tuple(origins[row["id"]]), counts.get(row["id"], 0)) for row in rows
    ]
    return sorted(items, key=lambda item: item.key)


# The two helpers repeat the servers condition in a join rather than passing a list of ids,
# which would hit SQLite's limit on bound parameters in a large catalog.
def _origins_by_server(
    connection: sa.Connection, where: list[sa.ColumnElement[bool]]
) -> dict[int, list[Origin]]:
    origins, servers = tables.server_origins, tables.servers
    query = (
        sa.select(origins)
        .join(servers, origins.c.server_id == servers.c.id)
        .where(*where)
        .order_by(origins.c.id)
    )
    found: dict[int, list[Origin]] = defaultdict(list)
    for row in connection.execute(query).mappings():
        found[row["server_id"]].append(origin_record(row))
    return found


def _tool_counts(connection: sa.Connection, where: list[sa.ColumnElement[bool]]) -> dict[int, int]:
    tools, servers = tables.tools, tables.servers
    query = (
        sa.select(tools.c.server_id, sa.func.count())
        .join(servers, tools.c.server_id == servers.c.id)
        .where(tools.c.removed_at.is_(None), *where)
        .group_by(tools.c.server_id)
    )
    return {int(server_id): int(count) for server_id, count in connection.execute(query)}


def read_histories(
    connection: sa.Connection, keys: Sequence[tuple[str, str]] | None
) -> dict[tuple[str, str], list[ToolVersion]]:
    """Versions of the given tools (all tools when None), oldest first, by (server key, name)."""
    tools, servers, versions = tables.tools, tables.servers, tables.tool_versions
    query = (
        sa.select(servers.c.key.label("server_key"), tools.c.name.label("tool_name"), *versions.c)
        .join(tools, versions.c.tool_id == tools.c.id)
        .join(servers, tools.c.server_id == servers.c.id)
        .order_by(versions.c.first_seen, versions.c.id)
    )
    # Sorted by first_seen across tools, so each tool's list comes out oldest first; chunks of
    # keys keep a long list under SQLite's bound-parameter limit.
    if keys is None:
        selections = [query]
    else:
        wanted = list(dict.fromkeys(keys))
        selections = [
            query.where(sa.tuple_(servers.c.key, tools.c.name).in_(list(chunk)))
            for chunk in chunks(wanted)
        ]
    found: dict[tuple[str, str], list[ToolVersion]] = defaultdict(list)
    for selection in selections:
        for row in connection.execute(selection).mappings():
            found[(row["server_key"], row["tool_name"])].append(tool_version(row))
    return dict(found)
