"""What registries say about servers: upstream status writes and the registry-origin queries sync needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from catalog import tables
from catalog.records import OriginKind

UPSTREAM_STATUSES = ("active", "deprecated", "deleted", "removed")
"""active/deprecated/deleted as a registry reports them; removed: no longer listed at all."""


@dataclass(frozen=True)
class Upstream:
    """A registry's word on one server."""

    status: str
    """One of UPSTREAM_STATUSES."""
    updated_at: datetime | None = None
    """When the registry says the entry last changed, when it says."""


def registry_prefix(registry: str) -> str:
    """The start of a REGISTRY origin value of that registry: `official:`."""
    return f"{registry}:"


def registry_origin_condition(registry: str) -> sa.ColumnElement[bool]:
    """True for servers with an origin of kind registry whose value starts with `<registry>:`."""
    origins = tables.server_origins.alias("registry_origins")
    prefix = registry_prefix(registry)
    return sa.exists().where(
        origins.c.server_id == tables.servers.c.id,
        origins.c.kind == OriginKind.REGISTRY.value,
        sa.func.substr(origins.c.value, 1, len(prefix)) == prefix,
    )


def upstream_values(upstream: Upstream, now: datetime) -> dict[str, object]:
    """The `servers` columns that hold a registry's word, set with the server row in one statement."""
    if upstream.status not in UPSTREAM_STATUSES:
        raise ValueError(f"unknown upstream status {upstream.status!r}")
    return {"upstream_status": upstream.status, "upstream_updated_at": upstream.updated_at or now}


def touch_registry_origins(connection: sa.Connection, values: Sequence[str], now: datetime) -> int:
    """Move last_seen of REGISTRY origins with these values to now (a page the registry said is unchanged)."""
    origins = tables.server_origins
    touched = 0
    # Chunks keep SQLite under its bound-parameter limit.
    for start in range(0, len(values), 500):
        chunk = list(values[start : start + 500])
        result = connection.execute(
            sa.update(origins)
            .where(origins.c.kind == OriginKind.REGISTRY.value, origins.c.value.in_(chunk))
            .values(last_seen=now)
        )
        touched += result.rowcount
    return touched


def mark_unlisted(connection: sa.Connection, registry: str, since: datetime, now: datetime) -> list[str]:
    """Mark `removed` the servers whose only sightings in this registry predate `since`; returns their keys.

    A server still listed by another registry keeps its row and tools; only its upstream status
    says the registry dropped it.
    """
    origins, servers = tables.server_origins, tables.servers
    prefix = registry_prefix(registry)
    stale = (
        sa.select(origins.c.server_id)
        .where(
            origins.c.kind == OriginKind.REGISTRY.value,
            sa.func.substr(origins.c.value, 1, len(prefix)) == prefix,
        )
        .group_by(origins.c.server_id)
        .having(sa.func.max(origins.c.last_seen) < since)
    )
    fresh = sa.or_(servers.c.upstream_status.is_(None), servers.c.upstream_status != "removed")
    keys = sorted(
        str(key) for key in connection.scalars(sa.select(servers.c.key).where(servers.c.id.in_(stale), fresh))
    )
    if keys:
        connection.execute(
            sa.update(servers)
            .where(servers.c.id.in_(stale), fresh)
            .values(upstream_status="removed", upstream_updated_at=now)
        )
    return keys
