"""The catalog's SQL schema as SQLAlchemy Core tables; Alembic revisions are built from this metadata."""

from __future__ import annotations

import sqlalchemy as sa

# Named constraints keep Alembic revisions portable: SQLite batch mode and PostgreSQL both need
# a constraint's name to drop or alter it.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

SERVER_STATUSES = ("ok", "partial", "failed")
RUN_STATUSES = ("running", "ok", "partial", "failed")
SIGHTING_KINDS = ("static", "live", "saved", "registry")


def _timestamp() -> sa.DateTime:
    """A timezone-aware timestamp; the store always writes UTC."""
    return sa.DateTime(timezone=True)


def _status_check(statuses: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{status}'" for status in statuses)
    return sa.CheckConstraint(f"status IN ({allowed})", name="status")


servers = sa.Table(
    "servers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("version", sa.String, nullable=True),
    sa.Column("instructions", sa.Text, nullable=True),
    sa.Column("notes", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("first_seen", _timestamp(), nullable=False),
    sa.Column("last_seen", _timestamp(), nullable=False),
    sa.Column("updated_at", _timestamp(), nullable=False),
    # What a registry last said about the server (active, deprecated, deleted, removed);
    # NULL for servers no registry listed. Added by revision 0002_upstream_status.
    sa.Column("upstream_status", sa.String(16), nullable=True),
    sa.Column("upstream_updated_at", _timestamp(), nullable=True),
    sa.UniqueConstraint("key"),
    _status_check(SERVER_STATUSES),
)

server_origins = sa.Table(
    "server_origins",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("server_id", sa.Integer, sa.ForeignKey("servers.id"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("version", sa.String, nullable=True),
    sa.Column("url", sa.Text, nullable=True),
    sa.Column("first_seen", _timestamp(), nullable=False),
    sa.Column("last_seen", _timestamp(), nullable=False),
    sa.UniqueConstraint("server_id", "kind", "value"),
    sa.Index(None, "kind"),
)

tools = sa.Table(
    "tools",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("server_id", sa.Integer, sa.ForeignKey("servers.id"), nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("input_schema", sa.JSON, nullable=False),
    sa.Column("output_schema", sa.JSON, nullable=True),
    sa.Column("hints", sa.JSON, nullable=False),
    sa.Column("meta", sa.JSON, nullable=True),
    # The current version is the tool_versions row with this (tool_id, definition_hash):
    # deriving it avoids a circular foreign key between tools and tool_versions.
    sa.Column("definition_hash", sa.String(64), nullable=False),
    sa.Column("location_kind", sa.String(16), nullable=False),
    sa.Column("location_file", sa.Text, nullable=True),
    sa.Column("location_line", sa.Integer, nullable=True),
    sa.Column("location_detail", sa.Text, nullable=True),
    sa.Column("first_seen", _timestamp(), nullable=False),
    sa.Column("last_seen", _timestamp(), nullable=False),
    sa.Column("removed_at", _timestamp(), nullable=True),
    sa.UniqueConstraint("server_id", "name"),
    sa.Index(None, "name"),
)

tool_versions = sa.Table(
    "tool_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tool_id", sa.Integer, sa.ForeignKey("tools.id"), nullable=False),
    sa.Column("definition_hash", sa.String(64), nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("first_seen", _timestamp(), nullable=False),
    sa.Column("last_seen", _timestamp(), nullable=False),
    sa.UniqueConstraint("tool_id", "definition_hash"),
)

# Which kinds of crawl see a tool in their latest crawl: a live crawl that misses a tool found by
# reading the source must not remove it, nor the other way round (see store_sightings.py).
tool_sightings = sa.Table(
    "tool_sightings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tool_id", sa.Integer, sa.ForeignKey("tools.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("definition_hash", sa.String(64), nullable=False),
    sa.Column("location_file", sa.Text, nullable=True),
    sa.Column("location_line", sa.Integer, nullable=True),
    sa.Column("location_detail", sa.Text, nullable=True),
    sa.Column("first_seen", _timestamp(), nullable=False),
    sa.Column("last_seen", _timestamp(), nullable=False),
    sa.Column("missing_since", _timestamp(), nullable=True),
    sa.UniqueConstraint("tool_id", "kind"),
    sa.CheckConstraint(
        "kind IN ({})".format(", ".join(f"'{kind}'" for kind in SIGHTING_KINDS)), name="kind"
    ),
)

classifications = sa.Table(
    "classifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tool_version_id", sa.Integer, sa.ForeignKey("tool_versions.id"), nullable=False),
    sa.Column("classifier_version", sa.String, nullable=False),
    sa.Column("access", sa.String(16), nullable=False),
    sa.Column("risk", sa.String(16), nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("capabilities", sa.JSON, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("flags", sa.JSON, nullable=False),
    sa.Column("created_at", _timestamp(), nullable=False),
    sa.UniqueConstraint("tool_version_id", "classifier_version"),
    sa.Index(None, "tool_version_id"),
)

crawl_runs = sa.Table(
    "crawl_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("started_at", _timestamp(), nullable=False),
    sa.Column("finished_at", _timestamp(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("servers_ok", sa.Integer, nullable=False),
    sa.Column("failure_count", sa.Integer, nullable=False),
    _status_check(RUN_STATUSES),
)

crawl_failures = sa.Table(
    "crawl_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id"), nullable=True),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("server_key", sa.String, nullable=True),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", _timestamp(), nullable=False),
    sa.Index(None, "server_key"),
)

sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", _timestamp(), nullable=False),
)
