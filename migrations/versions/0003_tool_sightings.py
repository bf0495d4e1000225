"""Tool sightings: which kinds of crawl (static, live, saved, registry) see each tool, and since when.

Revision ID: 0003_tool_sightings
Revises: 0002_upstream_status
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_tool_sightings"
down_revision: str | None = "0002_upstream_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create tool_sightings and give every stored tool the sighting its current definition came from."""
    op.create_table(
        "tool_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("definition_hash", sa.String(length=64), nullable=False),
        sa.Column("location_file", sa.Text(), nullable=True),
        sa.Column("location_line", sa.Integer(), nullable=True),
        sa.Column("location_detail", sa.Text(), nullable=True),
        _timestamp("first_seen"),
        _timestamp("last_seen"),
        _timestamp("missing_since", nullable=True),
        sa.CheckConstraint(
            "kind IN ('static', 'live', 'saved', 'registry')", name=op.f("ck_tool_sightings_kind")
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"], ["tools.id"], name=op.f("fk_tool_sightings_tool_id_tools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_sightings")),
        sa.UniqueConstraint("tool_id", "kind", name=op.f("uq_tool_sightings_tool_id_kind")),
    )
    # Before this revision one kind of crawl saw each tool: the one that wrote its current row.
    # A removed tool is one that kind stopped seeing, so removed_at becomes missing_since.
    op.execute(
        "INSERT INTO tool_sightings (tool_id, kind, definition_hash, location_file, location_line,"
        " location_detail, first_seen, last_seen, missing_since)"
        " SELECT id, location_kind, definition_hash, location_file, location_line, location_detail,"
        " first_seen, last_seen, removed_at FROM tools"
    )


def downgrade() -> None:
    """Drop tool_sightings; tools keep their current definitions and removal dates."""
    op.drop_table("tool_sightings")
