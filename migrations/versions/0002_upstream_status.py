"""Upstream status of registry-listed servers: active, deprecated, deleted or removed, and when it changed.

Revision ID: 0002_upstream_status
Revises: 0001_initial
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_upstream_status"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add two nullable columns to servers; existing rows keep NULL (never listed by a registry)."""
    with op.batch_alter_table("servers") as batch:
        batch.add_column(sa.Column("upstream_status", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("upstream_updated_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Drop the two columns again."""
    with op.batch_alter_table("servers") as batch:
        batch.drop_column("upstream_updated_at")
        batch.drop_column("upstream_status")
