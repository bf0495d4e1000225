"""The catalog's SQL store: a handful of verbs over servers, tools, their history and verdicts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from catalog import tables
from catalog.errors import CatalogError, ConfigError, NotFound, StoreError
from catalog.migrate import upgrade_engine
from catalog.records import (
    Access,
    Classification,
    CrawlFailure,
    CrawlResult,
    OriginKind,
    Risk,
    StoredServer,
    StoredTool,
    ToolRecord,
    ToolVersion,
)
from catalog.store_engine import (
    ANALYZE_AFTER_ROWS,
    analyze,
    make_engine,
    mask_url,
    one_line,
    open_error,
    resolve_url,
    wants_analyze,
    write_engine,
)
from catalog.store_read import (
    fetch_servers,
    fetch_tools,
    read_histories,
    tools_needing,
    tools_query,
)
from catalog.store_records import (
    clean_json,
    clean_record,
    clean_text,
    failure_record,
    tool_version,
)
from catalog.store_upstream import (
    Upstream,
    mark_unlisted,
    registry_origin_condition,
    touch_registry_origins,
    upstream_values,
)
from catalog.store_verdicts import save_verdicts
from catalog.store_write import (
    SaveSummary,
    insert_failures,
    inserted_id,
    save_result,
)

__all__ = ["SaveSummary", "Store"]

_FINAL_RUN_STATUSES = ("ok", "partial", "failed")
REGISTRY_NAMES = ("official", "smithery", "glama", "pulsemcp", "mcpso")
"""Registries whose name `servers(origin=...)` accepts besides the origin kinds (`npm` stays the kind)."""


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The catalog database; open it with Store.open(url)."""

    url: str
    """The database URL with any password masked."""

    def __init__(self, engine: Engine, url: str) -> None:
        self._engine = engine
        self._writer = write_engine(engine)
        self.url = url
        self._written = 0
        self._analyze_at = ANALYZE_AFTER_ROWS if wants_analyze(engine) else None

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (creating if need be) the database and bring its schema to the newest revision."""
        resolved = resolve_url(url)
        engine = make_engine(resolved)
        try:
            upgrade_engine(engine)
        except StoreError:
            engine.dispose()
            raise
        except (sa.exc.SQLAlchemyError, OSError) as error:
            engine.dispose()
            raise open_error(resolved, error) from error
        return cls(engine, mask_url(resolved))

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self, doing: str, *, write: bool = False) -> Iterator[sa.Connection]:
        """One transaction; any failure rolls it back and surfaces as a StoreError."""
        try:
            with (self._writer if write else self._engine).begin() as connection:
                yield connection
        except CatalogError:
            raise
        except Exception as error:
            raise StoreError(f"cannot {doing} in {self.url}: {one_line(error)}") from error

    def _wrote(self, rows: int) -> None:
        """Count rows written; past each threshold (doubling) refresh PostgreSQL's statistics.

        Tables loaded from near empty are otherwise planned as if still tiny until autovacuum's
        next analyze: re-saving 2,000 just-loaded servers spent ten times longer on version lookups.
        """
        self._written += rows
        if self._analyze_at is None or self._written < self._analyze_at:
            return
        self._analyze_at = self._written * 2
        # Only an optimisation: a save that committed is not reported as failed because of it.
        with suppress(StoreError), self._transaction("refresh statistics", write=True) as connection:
            analyze(connection)

    # Crawl runs and crawl results.

    def begin_run(self, target: str) -> int:
        """Record the start of a crawl run; returns its id."""
        with self._transaction("start a crawl run", write=True) as connection:
            inserted = connection.execute(
                sa.insert(tables.crawl_runs).values(
                    target=clean_text(target),
                    started_at=_now(),
                    status="running",
                    servers_ok=0,
                    failure_count=0,
                )
            )
            return inserted_id(inserted)

    def finish_run(self, run_id: int, status: str, servers_ok: int, failure_count: int) -> None:
        """Record how a crawl run ended: ok, partial or failed."""
        if status not in _FINAL_RUN_STATUSES:
            raise StoreError(f"a crawl run ends ok, partial or failed, not {status!r}")
        runs = tables.crawl_runs
        with self._transaction("finish a crawl run", write=True) as connection:
            updated = connection.execute(
                sa.update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status=status,
                    servers_ok=servers_ok,
                    failure_count=failure_count,
                    finished_at=_now(),
                )
            )
            if updated.rowcount == 0:
                raise NotFound(f"no crawl run {run_id}")

    def save_crawl(
        self,
        result: CrawlResult,
        classifications: Mapping[str, Classification],
        run_id: int | None = None,
        *,
        upstream: Upstream | None = None,
    ) -> SaveSummary:
        """Store one server's crawl in one transaction: all of it, or nothing on any error.

        Classifications are keyed by tool name; names not among the result's tools are ignored.
        `upstream` is what a registry says about the server (status), written in the same transaction.
        """
        with self._transaction(f"save server {result.server.key}", write=True) as connection:
            verdicts = {
                clean_text(name): clean_record(verdict) for name, verdict in classifications.items()
            }
            now = _now()
            extra = upstream_values(upstream, now) if upstream is not None else {}
            summary = save_result(connection, clean_record(result), verdicts, run_id, now, extra)
        self._wrote(1 + len(result.tools))
        return summary

    def record_failure(self, failure: CrawlFailure, run_id: int | None = None) -> None:
        """Store a failure; a known server it names is marked failed, its tools left as they are."""
        failure = clean_record(failure)
        servers = tables.servers
        now = _now()
        with self._transaction("record a crawl failure", write=True) as connection:
            insert_failures(connection, [failure], run_id, now)
            if failure.server_key is not None:
                connection.execute(
                    sa.update(servers)
                    .where(servers.c.key == failure.server_key)
                    .values(status="failed", updated_at=now)
                )

    # Reading.

    def tools(
        self,
        *,
        server: str | None = None,
        access: Access | None = None,
        risk: Risk | None = None,
        include_removed: bool = False,
    ) -> list[StoredTool]:
        """Stored tools, sorted by (server key, name); filters combine with AND."""
        query = tools_query()
        if server is not None:
            query = query.where(tables.servers.c.key == server)
        if access is not None:
            query = query.where(tables.classifications.c.access == _choice(Access, access).value)
        if risk is not None:
            query = query.where(tables.classifications.c.risk == _choice(Risk, risk).value)
        if not include_removed:
            query = query.where(tables.tools.c.removed_at.is_(None))
        with self._transaction("list tools") as connection:
            return fetch_tools(connection, query)

    def tool(self, name: str, server: str | None = None) -> StoredTool:
        """One tool by name; present tools win over removed ones of the same name."""
        query = tools_query().where(tables.tools.c.name == name)
        if server is not None:
            query = query.where(tables.servers.c.key == server)
        with self._transaction("read a tool") as connection:
            found = fetch_tools(connection, query)
        present = [item for item in found if not item.removed] or found
        if not present:
            on_server = f" on server '{server}'" if server is not None else ""
            raise NotFound(f"no tool named '{name}'{on_server}")
        if len(present) > 1:
            keys = ", ".join(item.tool.server_key for item in present)
            raise ConfigError(
                f"tool '{name}' exists on several servers: {keys}; choose one with --server"
            )
        return present[0]

    def servers(self, *, origin: str | None = None) -> list[StoredServer]:
        """Stored servers sorted by key; `origin` keeps those with an origin of that kind.

        `origin` may also name a registry (official, smithery, ...): servers that registry listed.
        """
        where: list[sa.ColumnElement[bool]] = []
        if origin is not None and origin in REGISTRY_NAMES:
            where.append(registry_origin_condition(origin))
        elif origin is not None:
            # An alias, so the subquery does not correlate with the origins listed alongside.
            origins = tables.server_origins.alias("origins_of_kind")
            kind = _choice(OriginKind, origin).value
            where.append(
                sa.exists().where(
                    origins.c.server_id == tables.servers.c.id, origins.c.kind == kind
                )
            )
        with self._transaction("list servers") as connection:
            return fetch_servers(connection, where)

    def server(self, key: str) -> StoredServer:
        """One server by key."""
        with self._transaction("read a server") as connection:
            found = fetch_servers(connection, [tables.servers.c.key == key])
        if not found:
            raise NotFound(f"no server '{key}'")
        return found[0]

    def history(self, server_key: str, name: str) -> list[ToolVersion]:
        """Every definition the tool has had, oldest first."""
        tools, servers, versions = tables.tools, tables.servers, tables.tool_versions
        query = (
            sa.select(versions)
            .join(tools, versions.c.tool_id == tools.c.id)
            .join(servers, tools.c.server_id == servers.c.id)
            .where(servers.c.key == server_key, tools.c.name == name)
            .order_by(versions.c.first_seen, versions.c.id)
        )
        with self._transaction("read a tool's history") as connection:
            rows = connection.execute(query).mappings().all()
        if not rows:
            raise NotFound(f"no tool named '{name}' on server '{server_key}'")
        return [tool_version(row) for row in rows]

    def histories(
        self, keys: Sequence[tuple[str, str]] | None = None
    ) -> dict[tuple[str, str], list[ToolVersion]]:
        """Every definition of many tools at once, oldest first, by (server key, tool name).

        Without keys: every stored tool, removed ones included. Keys naming no stored tool are
        left out of the answer rather than raising.
        """
        with self._transaction("read tools' histories") as connection:
            return read_histories(connection, keys)

    def failures(self, server_key: str | None = None) -> list[CrawlFailure]:
        """Recorded crawl failures, oldest first, optionally for one server."""
        table = tables.crawl_failures
        query = sa.select(table).order_by(table.c.id)
        if server_key is not None:
            query = query.where(table.c.server_key == server_key)
        with self._transaction("list crawl failures") as connection:
            return [failure_record(row) for row in connection.execute(query).mappings()]

    # Classifying stored tools again.

    def tools_needing(self, classifier_version: str) -> list[ToolRecord]:
        """Present tools whose current version has no verdict by this classifier version."""
        with self._transaction("list tools to classify") as connection:
            return tools_needing(connection, classifier_version)

    def save_classifications(self, items: Sequence[tuple[str, str, Classification]]) -> int:
        """Store (server key, tool name, verdict) against each tool's current version, all or none.

        An unknown tool raises NotFound, naming the first in input order. A verdict replaces one
        by the same classifier version (the last wins when a tool comes twice) and adds to the
        tool's history otherwise.
        """
        with self._transaction("save classifications", write=True) as connection:
            cleaned = [(key, name, clean_record(verdict)) for key, name, verdict in items]
            save_verdicts(connection, cleaned, _now())
        self._wrote(len(items))
        return len(items)

    # Registry bookkeeping (upstream status, sightings).

    def touch_registry_origins(self, values: Sequence[str]) -> int:
        """Mark REGISTRY origins (`official:name`, ...) as seen now, for pages a registry says are unchanged."""
        with self._transaction("refresh registry origins", write=True) as connection:
            return touch_registry_origins(connection, values, _now())

    def mark_unlisted(self, registry: str, since: datetime) -> list[str]:
        """Mark `removed` the servers this registry has not listed since `since`; returns their keys."""
        with self._transaction(f"mark servers no longer in {registry}", write=True) as connection:
            return mark_unlisted(connection, registry, since, _now())

    # StateCache for sources (ETags, registry cursors).

    def get_state(self, key: str) -> dict[str, Any] | None:
        """The value stored under key, or None."""
        table = tables.sync_state
        with self._transaction("read sync state") as connection:
            value = connection.scalar(sa.select(table.c.value).where(table.c.key == key))
        return dict(value) if value is not None else None

    def put_state(self, key: str, value: dict[str, Any]) -> None:
        """Store a value under key, committed at once."""
        table = tables.sync_state
        value = clean_json(value)
        now = _now()
        with self._transaction("write sync state", write=True) as connection:
            exists = connection.scalar(sa.select(table.c.key).where(table.c.key == key))
            if exists is None:
                connection.execute(sa.insert(table).values(key=key, value=value, updated_at=now))
            else:
                connection.execute(
                    sa.update(table).where(table.c.key == key).values(value=value, updated_at=now)
                )


_Choice = TypeVar("_Choice", Access, Risk, OriginKind)


def _choice(enum: type[_Choice], value: str) -> _Choice:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise ConfigError(
            f"unknown {enum.__name__.lower()} {value!r}; choose one of {choices}"
        ) from None
