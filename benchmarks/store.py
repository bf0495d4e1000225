"""Time the store's writes and history reads on SQLite (and PostgreSQL when set); compare with bare executemany.

    .venv/bin/python benchmarks/store.py [--tools 5000] [--servers 2000] [--per-server 10] [--verdicts 20000]

Cases, each on a fresh database: one server of N tools saved new, re-saved unchanged, re-saved
with 10% of its tools changed (a verdict for every tool, as the pipeline passes); M servers of
K tools each, one `save_crawl` (one transaction) per server; M servers with no tools and an
upstream status, as a `--servers-only` registry crawl stores them; and reading every tool's
history; and `save_classifications` of N verdicts (100 tools a server) by a new classifier
version (new rows), then by the same version again (replacing them), as `catalog classify`
stores them. The baseline, timed in the same run on the same database, is a bare executemany of
the same tools' rows into a scratch table (one transaction for the big server, one per server
for the many, one of all N tools for the verdicts). The ratio says how many times slower than
that baseline the store is. `--case` and `--backend` pick a subset.

PostgreSQL runs when CATALOG_TEST_POSTGRES_URL is set, in a schema of its own dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from catalog.records import (
    Access,
    Category,
    Classification,
    CrawlResult,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    Risk,
    ServerRecord,
    ToolRecord,
)
from catalog.store import Store
from catalog.store_engine import make_engine
from catalog.store_upstream import Upstream

POSTGRES_ENV = "CATALOG_TEST_POSTGRES_URL"
VERDICT = Classification(
    access=Access.READ, risk=Risk.LOW, category=Category.READ, confidence=0.9,
    reasons=("reads only",), classifier_version="bench-1",
)
REVISED = VERDICT.model_copy(update={"risk": Risk.MEDIUM, "classifier_version": "bench-2"})

scratch_metadata = sa.MetaData()
scratch = sa.Table(
    "bench_scratch",
    scratch_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("server", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("input_schema", sa.JSON, nullable=False),
    sa.Column("definition_hash", sa.String(64), nullable=False),
    sa.Column("seen", sa.DateTime(timezone=True), nullable=False),
)


def tool(server_key: str, number: int, revision: int = 0) -> ToolRecord:
    """A tool with a schema of a few parameters; `revision` changes its description."""
    properties = {f"arg_{n}": {"type": "string", "description": f"Argument {n} of tool {number}."} for n in range(4)}
    note = f" Revised {revision}." if revision else ""
    return ToolRecord(
        server_key=server_key,
        name=f"tool_{number:05d}",
        description=f"Does thing number {number} to the workspace and returns the result as JSON.{note}",
        input_schema={"type": "object", "properties": properties, "required": ["arg_0"]},
        location=Location(kind=LocationKind.STATIC, file=f"src/tools/t{number % 97}.ts", line=number % 400 + 1),
    )


def server(key: str, kind: OriginKind = OriginKind.GITHUB) -> ServerRecord:
    return ServerRecord(key=key, name=key.rsplit("/", 1)[-1], origins=(Origin(kind=kind, value=key.split(":", 1)[1]),))


def crawl(key: str, tools: list[ToolRecord]) -> tuple[CrawlResult, dict[str, Classification]]:
    return CrawlResult(server=server(key), tools=tuple(tools)), {item.name: VERDICT for item in tools}


def scratch_rows(tools: list[ToolRecord]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {"server": item.server_key, "name": item.name, "description": item.description,
         "input_schema": item.input_schema, "definition_hash": item.definition_hash, "seen": now}
        for item in tools
    ]


def timed(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def bare_insert(url: str, batches: list[list[dict[str, Any]]]) -> float:
    """One transaction per batch, one executemany each: the floor a store write is compared with.

    The engine is built as the store builds its own (same SQLite pragmas, same JSON serializer).
    """
    engine = make_engine(url)
    scratch_metadata.create_all(engine)

    def go() -> None:
        for rows in batches:
            with engine.begin() as connection:
                connection.execute(sa.insert(scratch), rows)

    try:
        return timed(go)
    finally:
        scratch_metadata.drop_all(engine)
        engine.dispose()


def report(label: str, seconds: float, baseline: float | None, unit: str = "", count: int = 0) -> None:
    rate = f"{count / seconds:10,.0f} {unit}/s" if count else " " * 17
    ratio = f"{seconds / baseline:7.1f}× bare" if baseline else ""
    print(f"  {label:<40} {seconds * 1000:9.1f} ms {rate}  {ratio}")


def big_server(url: str, count: int) -> None:
    key = "github:bench/big"
    first = [tool(key, n) for n in range(count)]
    changed = [tool(key, n, revision=1 if n % 10 == 0 else 0) for n in range(count)]
    with Store.open(url) as store:
        bare = bare_insert(url, [scratch_rows(first)])
        report(f"bare executemany of {count} rows", bare, None, "rows", count)
        for label, tools in (("new", first), ("unchanged re-save", first), ("10% changed", changed)):
            result, verdicts = crawl(key, tools)
            report(f"save 1 server × {count} tools, {label}", timed(partial(store.save_crawl, result, verdicts)),
                   bare, "tools", count)
        histories = getattr(store, "histories", None)
        if histories is not None:
            report(f"histories() of all {count} tools", timed(histories), None, "tools", count)
            keys = [(key, item.name) for item in first]
            report(f"histories(keys) of {count} tools", timed(lambda: histories(keys)), None, "tools", count)
        names = [item.name for item in first[: min(count, 500)]]
        seconds = timed(lambda: [store.history(key, name) for name in names])
        report(f"history() × {len(names)}", seconds, None, "tools", len(names))


def many_servers(url: str, servers: int, per_server: int) -> None:
    crawls = [crawl(f"github:bench/s{n:05d}", [tool(f"github:bench/s{n:05d}", t) for t in range(per_server)])
              for n in range(servers)]
    with Store.open(url) as store:
        bare = bare_insert(url, [scratch_rows(list(result.tools)) for result, _ in crawls])
        report(f"bare: {servers} transactions of {per_server} rows", bare, None, "servers", servers)

        def save_all() -> None:
            for result, verdicts in crawls:
                store.save_crawl(result, verdicts)

        report(f"save {servers} servers × {per_server} tools", timed(save_all), bare, "servers", servers)
        report(f"re-save {servers} servers unchanged", timed(save_all), bare, "servers", servers)


def registry_servers(url: str, servers: int) -> None:
    results = [CrawlResult(server=server(f"registry:bench/r{n:05d}", OriginKind.REGISTRY)) for n in range(servers)]
    upstream = Upstream("active")
    with Store.open(url) as store:
        bare = bare_insert(url, [[{"server": r.server.key, "name": "-", "description": "",
                                             "input_schema": {}, "definition_hash": "", "seen": datetime.now(UTC)}]
                                           for r in results])
        report(f"bare: {servers} transactions of 1 row", bare, None, "servers", servers)

        def save_all() -> None:
            for result in results:
                store.save_crawl(result, {}, upstream=upstream)

        report(f"save {servers} servers-only (registry)", timed(save_all), bare, "servers", servers)
        report(f"re-save {servers} servers-only", timed(save_all), bare, "servers", servers)


def classifications(url: str, count: int, per_server: int = 100) -> None:
    keys = [f"github:bench/c{n:05d}" for n in range(max(1, count // per_server))]
    crawls = [crawl(key, [tool(key, t) for t in range(per_server)]) for key in keys]
    items = [(result.server.key, item.name, REVISED) for result, _ in crawls for item in result.tools]
    with Store.open(url) as store:
        for result, verdicts in crawls:
            store.save_crawl(result, verdicts)
        bare = bare_insert(url, [scratch_rows([item for result, _ in crawls for item in result.tools])])
        report(f"bare executemany of {len(items)} rows", bare, None, "rows", len(items))
        report(f"tools_needing, {len(items)} tools", timed(lambda: store.tools_needing("bench-2")),
               bare, "tools", len(items))
        for label in ("new rows", "replacing"):
            seconds = timed(partial(store.save_classifications, items))
            report(f"save_classifications × {len(items)}, {label}", seconds, bare, "verdicts", len(items))


def fresh_sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as folder:
        yield f"sqlite:///{folder}/catalog.db"


def fresh_postgres(base_url: str) -> Iterator[str]:
    schema = f"catalog_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=5000, help="tools of the one big server")
    parser.add_argument("--servers", type=int, default=2000, help="servers of the many-servers cases")
    parser.add_argument("--per-server", type=int, default=10, help="tools of each of the many servers")
    parser.add_argument("--verdicts", type=int, default=20000, help="verdicts of the save_classifications case")
    parser.add_argument("--case", action="append", choices=("big", "many", "registry", "verdicts"),
                        help="run only this case (repeatable; default: all)")
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"),
                        help="run only on this backend (repeatable; default: SQLite, and PostgreSQL when set)")
    args = parser.parse_args()
    backends: list[tuple[str, Callable[[], Iterator[str]]]] = [("sqlite", fresh_sqlite)]
    postgres = os.environ.get(POSTGRES_ENV)
    if postgres:
        backends.append(("postgresql", lambda: fresh_postgres(postgres)))
    cases: dict[str, Callable[[str], None]] = {
        "big": partial(big_server, count=args.tools),
        "many": partial(many_servers, servers=args.servers, per_server=args.per_server),
        "registry": partial(registry_servers, servers=args.servers),
        "verdicts": partial(classifications, count=args.verdicts),
    }
    chosen = args.case or list(cases)
    for label, fresh in backends:
        if args.backend and label not in args.backend:
            continue
        print(f"{label}:")
        for name in chosen:
            for url in fresh():
                cases[name](url)


if __name__ == "__main__":
    main()
