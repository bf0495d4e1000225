"""Alembic environment: migrates to catalog.tables.metadata, on the store's own connection when given."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from catalog.store_engine import make_engine, resolve_url, write_engine
from catalog.tables import metadata

config = context.config


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or resolve_url(None)


def _migrate(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit SQL for `alembic upgrade --sql` without a database."""
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate on the connection the store passed in, else on a fresh engine for the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(_database_url())
    try:
        with write_engine(engine).begin() as fresh_connection:
            _migrate(fresh_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
