"""Schema migrations through Alembic, configured in code: upgrade, downgrade, current revision."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util.exc import CommandError
from sqlalchemy.engine import Engine

from catalog.errors import StoreError
from catalog.paths import migrations_dir
from catalog.store_engine import make_engine, mask_url, one_line, open_error, write_engine

# Any constant shared by every catalog process; "cata" in ASCII.
_PG_LOCK = 0x63617461


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic Config pointing at the shipped scripts, with no alembic.ini needed."""
    config = Config()
    # Config values go through configparser interpolation, so a literal % must be doubled.
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the engine's database to `revision` in one transaction that holds the write lock."""
    _migrate(engine, lambda config: command.upgrade(config, revision))


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default: the newest)."""
    _with_engine(url, lambda engine: upgrade_engine(engine, revision))


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision` (`base` removes every table)."""
    _with_engine(
        url, lambda engine: _migrate(engine, lambda config: command.downgrade(config, revision))
    )


def current(url: str) -> str | None:
    """The revision the database at `url` is at, None for a database never migrated."""
    revisions: list[str | None] = []

    def read(engine: Engine) -> None:
        with engine.connect() as connection:
            revisions.append(MigrationContext.configure(connection).get_current_revision())

    _with_engine(url, read)
    return revisions[0]


def _migrate(engine: Engine, step: Callable[[Config], None]) -> None:
    try:
        with write_engine(engine).begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two processes opening a fresh database at once would both create the tables;
                # the lock (released at commit) makes the second wait and then find head.
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
            step(alembic_config(connection))
    except CommandError as error:
        raise StoreError(f"cannot migrate database {mask_url(str(engine.url))}: {error}") from error


def _with_engine(url: str, action: Callable[[Engine], None]) -> None:
    engine = make_engine(url)
    try:
        action(engine)
    except sa.exc.OperationalError as error:
        raise open_error(url, error) from error
    except sa.exc.SQLAlchemyError as error:
        raise StoreError(f"cannot migrate database {mask_url(url)}: {one_line(error)}") from error
    finally:
        engine.dispose()
