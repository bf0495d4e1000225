"""The `catalog` command: parse arguments, call one catalog function, print."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from catalog import render
from catalog.errors import CatalogError
from catalog.paths import database_url
from catalog.records import Access, Risk
from catalog.store import Store

app = typer.Typer(
    name="catalog",
    help="A tool-risk catalog for MCP servers: crawl, classify, store, recommend gateway policies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The catalog database: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

err = Console(stderr=True, highlight=False, soft_wrap=True)
# A pipe gets wide lines rather than a table squeezed to 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)

P = ParamSpec("P")
R = TypeVar("R")


class _Settings:
    db: str | None = None
    debug: bool = False


settings = _Settings()


def _fail(message: str, hint: str | None, code: int) -> None:
    err.print(Text("error: ", style="red").append(render.one_line(message), style=""))
    if hint:
        err.print(Text(f"hint: {render.one_line(hint)}"))
    raise typer.Exit(code)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a CatalogError into one red line and exit 1; anything else into one line and exit 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except CatalogError as error:
            if settings.debug:
                raise
            _fail(str(error), error.hint, 1)
        except KeyboardInterrupt:
            _fail("interrupted", None, 130)
        except Exception as error:  # a bug: still one line, the traceback behind --debug
            if settings.debug:
                raise
            _fail(f"internal error: {type(error).__name__}: {error}", "run with --debug for the traceback", 2)
        raise AssertionError("unreachable")

    return wrapper


@contextmanager
def _store() -> Iterator[Store]:
    with Store.open(settings.db) as store:
        yield store


class AccessChoice(StrEnum):
    read = "read"
    write = "write"
    destructive = "destructive"


class RiskChoice(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="CATALOG_DATABASE_URL", help="Database URL (default: SQLite under $XDG_DATA_HOME/catalog/)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
ServerOption = Annotated[str | None, typer.Option("--server", help="A server key, e.g. github:owner/repo.")]


@app.callback()
def main_options(
    db: DbOption = None,
    debug: Annotated[bool, typer.Option("--debug", envvar="CATALOG_DEBUG", help="Show tracebacks.")] = False,
) -> None:
    """A tool-risk catalog for MCP servers."""
    settings.db = db
    settings.debug = debug


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


@app.command()
@reports_errors
def crawl(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="owner/repo[@ref], a local dir/.tar.gz/.zip, an http(s) MCP URL, a saved "
                       "tools/list .json, or `stdio -- CMD ARGS`."),
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from", help="An mcpServers config file (Claude Desktop / Cursor format).")
    ] = None,
    transport: Annotated[str | None, typer.Option(help="streamable-http (default) or sse, for URLs.")] = None,
    header: Annotated[list[str] | None, typer.Option("--header", help="`Name: value` for URLs; repeat.")] = None,
    bearer_env: Annotated[
        str | None, typer.Option("--bearer-env", help="Environment variable holding a bearer token for URLs.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Server name for stdio targets and saved listings.")] = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="K=V passed to a stdio server; repeat.")] = None,
    run: Annotated[bool, typer.Option("--run", help="Consent to run a package to list its tools.")] = False,
    timeout: Annotated[
        float, typer.Option(envvar="CATALOG_TIMEOUT", help="Seconds for each step of a live crawl.")
    ] = 30.0,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Servers crawled at once with --from.")] = 4,
    json_output: JsonOption = False,
) -> None:
    """Crawl targets, classify their tools and store them."""
    # Lazy: the crawler stack is not needed by the read commands.
    from catalog import pipeline
    from crawler.sources.live_spec import Timeouts
    from crawler.targets import TargetOptions

    given = list(targets or [])
    command: tuple[str, ...] = ()
    if given[:1] == ["stdio"]:
        given, command = ["stdio"], tuple(given[1:])
    if not given and from_file is None:
        raise typer.BadParameter("give at least one target, or --from FILE")
    timeouts = Timeouts(start=max(timeout, 60.0), initialize=timeout, page=timeout)
    options = TargetOptions(
        transport=transport, headers=tuple(header or ()), bearer_token_env=bearer_env, name=name,
        command=command, env=tuple(env or ()), run=run, timeouts=timeouts,
    )
    reports = []
    with _store() as store:
        if from_file is not None:
            with render.progress(err, f"crawling servers of {from_file.name}") as progress:
                reports += pipeline.crawl_config(
                    from_file, store, concurrency=concurrency, timeouts=timeouts, progress=progress
                )
        with render.progress(err, "crawling") as progress:
            reports += pipeline.crawl_targets(given, store, options=options, progress=progress)
    if json_output:
        _print_json([render.report_json(r) for r in reports])
    else:
        render.print_reports(out, err, reports)
    if any(r.failed for r in reports):
        raise typer.Exit(1)


@app.command("list")
@reports_errors
def list_tools(
    server: ServerOption = None,
    access: Annotated[AccessChoice | None, typer.Option(help="Only tools of this access class.")] = None,
    risk: Annotated[RiskChoice | None, typer.Option(help="Only tools of this risk level.")] = None,
    include_removed: Annotated[bool, typer.Option("--all", help="Include tools no longer seen.")] = False,
    json_output: JsonOption = False,
) -> None:
    """List catalogued tools."""
    with _store() as store:
        tools = store.tools(
            server=server,
            access=Access(access.value) if access else None,
            risk=Risk(risk.value) if risk else None,
            include_removed=include_removed,
        )
    if json_output:
        _print_json([render.tool_json(t) for t in tools])
    else:
        render.print_tools(out, tools)


@app.command()
@reports_errors
def servers(
    origin: Annotated[str | None, typer.Option(help="Only servers with an origin of this kind (github, npm, ...).")] = None,
    json_output: JsonOption = False,
) -> None:
    """List catalogued servers with their origins and tool counts."""
    with _store() as store:
        found = store.servers(origin=origin)
    if json_output:
        _print_json([render.server_json(s) for s in found])
    else:
        render.print_servers(out, found)


@app.command()
@reports_errors
def show(
    name: Annotated[str | None, typer.Argument(help="A tool name.")] = None,
    server: ServerOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show one tool (its definition, classification and history), or one server with --server."""
    with _store() as store:
        if name is None:
            if server is None:
                raise typer.BadParameter("give a tool name, or --server KEY")
            detail = store.server(server)
            tools = store.tools(server=server)
            failures = store.failures(server)
            if json_output:
                _print_json(render.server_detail_json(detail, tools, failures))
            else:
                render.print_server(out, detail, tools, failures)
            return
        item = store.tool(name, server)
        history = store.history(item.tool.server_key, item.tool.name)
    if json_output:
        _print_json(render.tool_detail_json(item, history))
    else:
        render.print_tool(out, item, history)


@app.command()
@reports_errors
def recommend(
    tool: Annotated[list[str], typer.Option("--tool", help="A tool name; repeat for several.")],
    server: ServerOption = None,
    profile: Annotated[str, typer.Option(envvar="CATALOG_PROFILE", help="Built-in profile name or a .toml file.")] = "balanced",
    indent: Annotated[int | None, typer.Option(help="Pretty-print with this indent.")] = None,
) -> None:
    """Print the recommended PolicyLayer policy (JSON) for tools on stdout."""
    from catalog.policy import recommend as recommend_policy

    with _store() as store:
        chosen = [store.tool(name, server) for name in tool]
    sys.stdout.write(recommend_policy(chosen, profile=profile, indent=indent) + "\n")


@app.command()
@reports_errors
def classify() -> None:
    """Re-classify stored tools that the current classifier version has not classified yet."""
    from catalog.pipeline import reclassify

    with _store() as store:
        count = reclassify(store)
    err.print(f"classified {count} tool definitions")


@db_app.command("upgrade")
@reports_errors
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Bring the database schema to a revision (head by default)."""
    from catalog import migrate

    url = database_url(settings.db)
    migrate.upgrade(url, revision)
    err.print(f"database at {migrate.current(url)}")


@db_app.command("current")
@reports_errors
def db_current() -> None:
    """Print the database's schema revision."""
    from catalog import migrate

    sys.stdout.write(f"{migrate.current(database_url(settings.db)) or 'empty'}\n")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
