"""Alembic migrations: an empty database reaches head, matches tables.py, and goes down and up again."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from catalog import migrate
from catalog.errors import StoreError
from catalog.store import Store
from catalog.tables import metadata

HEAD = "0003_tool_sightings"

ALL_TABLES = {
    "servers",
    "server_origins",
    "tools",
    "tool_versions",
    "tool_sightings",
    "classifications",
    "crawl_runs",
    "crawl_failures",
    "sync_state",
}


def _schema_differences(url: str) -> list[object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_empty_database_has_no_revision(database_url: str) -> None:
    assert migrate.current(database_url) is None


def test_upgrade_to_head_matches_tables_module(database_url: str) -> None:
    migrate.upgrade(database_url)

    assert migrate.current(database_url) == HEAD
    assert _table_names(database_url) == ALL_TABLES | {"alembic_version"}
    assert _schema_differences(database_url) == []


def test_downgrade_to_base_then_upgrade_again_restores_schema(database_url: str) -> None:
    migrate.upgrade(database_url)

    migrate.downgrade(database_url, "base")
    assert migrate.current(database_url) is None
    assert _table_names(database_url) == {"alembic_version"}

    migrate.upgrade(database_url, "0001_initial")
    assert migrate.current(database_url) == "0001_initial"
    migrate.upgrade(database_url, HEAD)
    assert migrate.current(database_url) == HEAD
    assert _schema_differences(database_url) == []


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.upgrade(database_url)

    assert migrate.current(database_url) == HEAD


def test_store_open_brings_schema_to_head(database_url: str) -> None:
    with Store.open(database_url):
        pass

    assert migrate.current(database_url) == HEAD
    assert _schema_differences(database_url) == []


def test_unknown_revision_is_a_store_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"

    with pytest.raises(StoreError, match=r"^cannot migrate database sqlite:///.*: .*9999_future"):
        migrate.upgrade(url, "9999_future")


def test_sqlite_store_creates_missing_parent_folders(tmp_path: Path) -> None:
    database = tmp_path / "deep" / "er" / "catalog.db"

    with Store.open(f"sqlite:///{database}") as store:
        assert store.servers() == []

    assert database.is_file()


def test_database_url_comes_from_environment_when_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("CATALOG_DATABASE_URL", url)

    with Store.open() as store:
        assert store.url == url


def test_default_database_lives_under_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CATALOG_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    with Store.open() as store:
        assert store.url == f"sqlite:///{tmp_path / 'catalog' / 'catalog.db'}"

    assert (tmp_path / "catalog" / "catalog.db").is_file()


def test_unreachable_server_is_one_line_error_with_password_masked() -> None:
    port = _closed_port()

    with pytest.raises(StoreError) as caught:
        Store.open(f"postgresql+psycopg://reader:s3cret@127.0.0.1:{port}/catalog")

    message = str(caught.value)
    assert message.startswith(
        f"cannot open database postgresql+psycopg://reader:***@127.0.0.1:{port}/catalog: "
    )
    assert "s3cret" not in message
    assert "\n" not in message


def test_url_of_unknown_dialect_is_store_error() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open("nosuchdb://admin:hunter2@host/db")

    assert str(caught.value).startswith("cannot open database nosuchdb://admin:***@host/db: ")
    assert "hunter2" not in str(caught.value)


def test_garbage_url_is_store_error_with_password_masked() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open("not a url://user:pw@x")

    assert str(caught.value).startswith("cannot open database not a url://user:***@x: ")


def test_sqlite_file_that_is_not_a_database_is_store_error(tmp_path: Path) -> None:
    impostor = tmp_path / "notes.db"
    impostor.write_bytes(b"this is plain text, not a SQLite database" * 100)

    with pytest.raises(StoreError, match=r"^cannot open database sqlite:///.*notes\.db: .*"):
        Store.open(f"sqlite:///{impostor}")


def test_store_url_hides_the_password(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite URLs carry no password")
    # The test server trusts local connections, so any password is accepted and must not show.
    with_password = sa.make_url(database_url).set(password="s3cret")

    with Store.open(with_password.render_as_string(hide_password=False)) as store:
        assert store.url == with_password.render_as_string(hide_password=True)
        assert "s3cret" not in store.url


def test_concurrent_opens_of_a_fresh_database_both_succeed(database_url: str) -> None:
    def open_and_list(_: int) -> int:
        with Store.open(database_url) as store:
            return len(store.servers())

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(open_and_list, range(4)))

    assert counts == [0, 0, 0, 0]
    assert migrate.current(database_url) == HEAD


def test_many_fresh_sqlite_files_opened_by_four_threads_at_once_all_open(tmp_path: Path) -> None:
    # Switching a new file to WAL is refused at once ("database is locked") while another
    # connection holds it; before the retry this test failed in 3 of 4 runs.
    def open_and_list(url: str) -> int:
        with Store.open(url) as store:
            return len(store.servers())

    urls = [f"sqlite:///{tmp_path / f'fresh-{number}.db'}" for number in range(30)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for url in urls:
            assert list(pool.map(open_and_list, [url] * 4)) == [0, 0, 0, 0]
    assert {migrate.current(url) for url in urls} == {HEAD}
