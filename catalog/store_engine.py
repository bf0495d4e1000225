"""Building the store's SQLAlchemy engine: URL resolution, SQLite pragmas, masked URLs, open errors."""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from catalog import tables
from catalog.errors import StoreError
from catalog.paths import default_database_url

DATABASE_URL_ENV = "CATALOG_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 10_000
ANALYZE_AFTER_ROWS = 10_000
"""Rows a store writes before it first refreshes PostgreSQL's planner statistics (then at twice as many)."""

# NaN and Infinity are not JSON; PostgreSQL refuses them, so refuse them everywhere alike.
_json_serializer = functools.partial(json.dumps, allow_nan=False, ensure_ascii=False)
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def resolve_url(url: str | None) -> str:
    """The given URL, else $CATALOG_DATABASE_URL, else the default SQLite file."""
    return url or os.environ.get(DATABASE_URL_ENV) or default_database_url()


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to print."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return _PASSWORD_IN_URL.sub(r"\1***@", url)


def one_line(error: BaseException) -> str:
    """A driver error's first line, without SQLAlchemy's statement dump and background link."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip() or type(cause).__name__
    return text.splitlines()[0]


def open_error(url: str, error: BaseException) -> StoreError:
    """The one StoreError for a database that cannot be opened."""
    return StoreError(f"cannot open database {mask_url(url)}: {one_line(error)}")


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets its folder created, foreign keys, WAL and a busy timeout."""
    try:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            _create_sqlite_folder(parsed)
            engine = sa.create_engine(parsed, json_serializer=_json_serializer)
            _configure_sqlite(engine)
        else:
            engine = sa.create_engine(parsed, json_serializer=_json_serializer, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError, OSError, ValueError) as error:
        raise open_error(url, error) from error
    return engine


def write_engine(engine: Engine) -> Engine:
    """The same engine, but SQLite transactions take the write lock at BEGIN.

    A deferred transaction that reads and then writes can fail with "database is locked" when
    another writer committed in between; BEGIN IMMEDIATE waits for the lock up front instead.
    """
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def _create_sqlite_folder(parsed: URL) -> None:
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and only before DML, so a read followed by a write is
    # not one snapshot and DDL runs outside any transaction. SQLAlchemy's documented recipe:
    # switch pysqlite's own handling off and emit BEGIN ourselves.
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            _switch_to_wal(cursor)
            # With WAL, NORMAL keeps the database consistent after a crash (a power cut may lose
            # the last commits, never corrupt the file) and saves an fsync per transaction,
            # which is most of a one-server save's cost.
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, retried while another connection holds the file.

    Switching a fresh file to WAL needs it to itself, and SQLite answers "database is locked" at
    once instead of calling the busy handler: two processes opening a new database together hit
    this about one time in six. The mode is persistent, so once one wins the others find WAL.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if ("locked" not in str(error) and "busy" not in str(error)) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def wants_analyze(engine: Engine) -> bool:
    """True on PostgreSQL, whose plans went bad on tables loaded faster than autovacuum analyzes them.

    SQLite's planner picks the same indexes without statistics; `PRAGMA optimize` after a load
    measured no gain, so SQLite is left alone.
    """
    return engine.dialect.name == "postgresql"


def analyze(connection: sa.Connection) -> None:
    """Refresh the planner statistics of the catalog's tables (and of no other schema's)."""
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.name) for table in tables.metadata.sorted_tables)
    connection.execute(sa.text(f"ANALYZE {names}"))
