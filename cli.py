"""The `catalog` command: parse arguments, call one catalog function, print."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
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
policy_app = typer.Typer(help="Gateway policy files: validation.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
classifier_app = typer.Typer(help="The access classifier: train the model, measure it.", no_args_is_help=True)
app.add_typer(classifier_app, name="classifier")
site_app = typer.Typer(help="The static site: a page per tool, server and category.", no_args_is_help=True)
app.add_typer(site_app, name="site")

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
SinceOption = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="Registries: only servers updated after this (UTC)."),
]
ServersOnlyOption = Annotated[
    bool, typer.Option("--servers-only", help="Registries: list servers, crawl none of their tools.")
]
RegistryUrlOption = Annotated[
    str | None,
    typer.Option("--registry-url", envvar="CATALOG_REGISTRY_URL", help="Registries: base URL of a mirror or test server."),
]
RateOption = Annotated[
    float, typer.Option(envvar="CATALOG_REGISTRY_RATE", help="Registries: requests per second per host (0: no limit).")
]


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
        typer.Argument(help="owner/repo[@ref], npm:PKG[@VER], pypi:PKG[==VER], a local dir/.tar.gz/.zip, an http(s) MCP URL, a saved "
                       "tools/list .json, `stdio -- CMD ARGS`, or registry:NAME (official, smithery, glama, "
                       "pulsemcp, mcpso, npm)."),
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from", help="An mcpServers config file (Claude Desktop / Cursor format).")
    ] = None,
    transport: Annotated[str | None, typer.Option(help="streamable-http (default) or sse, for URLs.")] = None,
    header: Annotated[list[str] | None, typer.Option("--header", help="`Name: value` for URLs; repeat.")] = None,
    bearer_env: Annotated[
        str | None, typer.Option("--bearer-env", help="Environment variable holding a bearer token for URLs.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Server name for stdio targets and saved listings; with --run, the executable to run when a package has several.")] = None,
    env: Annotated[list[str] | None, typer.Option("--env", help="K=V passed to a stdio server; repeat.")] = None,
    run: Annotated[bool, typer.Option("--run", help="Consent to run a package to list its tools.")] = False,
    npm_registry: Annotated[
        str | None, typer.Option("--npm-registry", envvar="CATALOG_NPM_REGISTRY",
                                 help="npm registry for npm: targets (else npm_config_registry, else the public one).")
    ] = None,
    pypi_url: Annotated[
        str | None, typer.Option("--pypi-url", envvar="CATALOG_PYPI_URL",
                                 help="PyPI base URL for pypi: targets (else PIP_INDEX_URL without /simple, else pypi.org).")
    ] = None,
    timeout: Annotated[
        float, typer.Option(envvar="CATALOG_TIMEOUT", help="Seconds for each step of a live crawl.")
    ] = 30.0,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Servers crawled at once with --from.")] = 4,
    since: SinceOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Registries: stop after this many servers.")] = None,
    servers_only: ServersOnlyOption = False,
    registry_url: RegistryUrlOption = None,
    rate: RateOption = 2.0,
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
    registry_targets = [t for t in given if t.lower().startswith("registry:")]
    given = [t for t in given if t not in registry_targets]
    if not given and from_file is None and not registry_targets:
        raise typer.BadParameter("give at least one target, or --from FILE")
    timeouts = Timeouts(start=max(timeout, 60.0), initialize=timeout, page=timeout)
    options = TargetOptions(
        transport=transport, headers=tuple(header or ()), bearer_token_env=bearer_env, name=name,
        command=command, env=tuple(env or ()), run=run, timeouts=timeouts,
        npm_registry=npm_registry, pypi_url=pypi_url,
    )
    reports = []
    with _store() as store:
        if from_file is not None:
            with render.progress(err, f"crawling servers of {from_file.name}") as progress:
                reports += pipeline.crawl_config(
                    from_file, store, concurrency=concurrency, timeouts=timeouts, progress=progress
                )
        if given:
            with render.progress(err, "crawling") as progress:
                reports += pipeline.crawl_targets(given, store, options=options, progress=progress)
        listed = _crawl_registries(store, registry_targets, since, limit, servers_only, registry_url, rate)
    if json_output:
        _print_json([render.report_json(r) for r in reports] + [r.to_json() for r in listed])
    else:
        render.print_reports(out, err, reports)
        _print_registry_summaries(listed)
    if any(r.failed for r in reports) or any(r.failed for r in listed):
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
    tool: Annotated[
        list[str] | None, typer.Option("--tool", help="A tool name; repeat for several. Without it: every tool of --server.")
    ] = None,
    server: ServerOption = None,
    format: Annotated[
        str, typer.Option("--format", envvar="CATALOG_POLICY_FORMAT", help="policylayer (JSON), intercept (YAML) or claude-code.")
    ] = "policylayer",
    profile: Annotated[str, typer.Option(envvar="CATALOG_PROFILE", help="strict, balanced, permissive, or a .toml file.")] = "balanced",
    root: Annotated[
        str | None, typer.Option(envvar="CATALOG_POLICY_ROOT", help="Absolute directory path arguments must stay under.")
    ] = None,
    merge: Annotated[
        Path | None, typer.Option("--merge", help="A Claude Code settings.json to merge the permissions into (printed, not written).")
    ] = None,
    mcp_name: Annotated[
        list[str] | None,
        typer.Option(
            "--mcp-name",
            help="claude-code: the name a server is registered under in Claude Code, as KEY=NAME "
            "(repeatable) or just NAME when the policy covers one server.",
        ),
    ] = None,
    indent: Annotated[int | None, typer.Option(help="Pretty-print JSON with this indent.")] = None,
) -> None:
    """Print the recommended gateway policy for tools, or a whole server, on stdout."""
    from catalog.policy import recommend as recommend_policy
    from catalog.policy import select_tools

    with _store() as store:
        chosen = select_tools(store, tool or [], server)
    text = recommend_policy(
        chosen, profile=profile, format=format, indent=indent, root=root, merge=merge,
        mcp_names=mcp_name or (),
    )
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@policy_app.command("check")
@reports_errors
def policy_check(
    file: Annotated[Path, typer.Argument(help="A policy file: PolicyLayer JSON, Intercept YAML or Claude Code settings.")],
    format: Annotated[
        str | None, typer.Option("--format", help="policylayer, intercept or claude-code (default: guessed from the file).")
    ] = None,
) -> None:
    """Validate a policy file: one line per problem and exit 1 when it is invalid."""
    from catalog.policy import check_policy

    dialect, problems = check_policy(file, format)
    for problem in problems:
        err.print(Text(f"{file}: {problem}"))
    if problems:
        raise typer.Exit(1)
    sys.stdout.write(f"{file}: valid {dialect.value} policy\n")


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


LabelsOption = Annotated[
    Path | None, typer.Option("--labels", help="Labelled data folder with hand/ and weak/ (default: the shipped data/labels).")
]
ModelDirOption = Annotated[
    Path | None, typer.Option("--model-dir", help="Model folder (default: the shipped data/model).")
]


@classifier_app.command("train")
@reports_errors
def classifier_train(labels: LabelsOption = None, model_dir: ModelDirOption = None, json_output: JsonOption = False) -> None:
    """Train the access model on the hand labels; write it (skops) with meta.json and CV metrics."""
    from catalog.paths import data_dir
    from classifier.train import train

    meta = train(labels or data_dir() / "labels", model_dir or data_dir() / "model")
    if json_output:
        _print_json(meta)
    else:
        cv = meta["cv"]
        err.print(
            f"trained on {meta['rows']} rows: CV macro-F1 {cv['macro_f1']:.3f}, "
            f"destructive recall {cv['destructive_recall']:.3f}, policy {meta['policy']}"
        )


@classifier_app.command("eval")
@reports_errors
def classifier_eval(
    labels: LabelsOption = None,
    model_dir: ModelDirOption = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Folds of the cross-validation on hand labels.")] = 5,
    worst: Annotated[int, typer.Option(min=0, help="How many worst mistakes to list.")] = 10,
    server: Annotated[
        list[str] | None,
        typer.Option("--server", metavar="NAME", help="Limit (b) and (b′) to this weak server's rows (repeatable)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Measure the classifier: (a) CV on hand labels; (b) real servers' hints, hidden; (b′) reviewed."""
    from catalog.paths import data_dir
    from classifier.evaluate import evaluate, format_report

    report = evaluate(
        labels or data_dir() / "labels", model_dir or data_dir() / "model", folds=folds, worst=worst,
        servers=server or (),
    )
    if json_output:
        _print_json(report)
    else:
        out.print(format_report(report), end="", markup=False)


@site_app.command("build")
@reports_errors
def site_build(
    out_dir: Annotated[Path, typer.Option("--out", envvar="CATALOG_SITE_OUT", help="Folder to build the site in.")],
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", envvar="CATALOG_SITE_BASE_URL",
                     help="Where the site will be served, e.g. https://catalog.example.org/ (absolute URLs, sitemap)."),
    ] = None,
    profile: Annotated[str, typer.Option(envvar="CATALOG_PROFILE", help="Built-in profile name or a .toml file.")] = "balanced",
) -> None:
    """Build the static site (HTML, search index, JSON API, feeds); rewrites only what changed."""
    from catalog.site import build_site, load_site_data

    with _store() as store, render.progress(err, "reading the catalog") as progress:
        data = load_site_data(store, progress)
    with render.progress(err, "building the site") as progress:
        report = build_site(data, out_dir, base_url=base_url, profile=profile, progress=progress)
    err.print(f"{report.files} files in {out_dir}: {len(report.written)} written, {report.unchanged} unchanged, "
              f"{len(report.deleted)} removed ({report.seconds:.1f}s)")

def _crawl_registries(
    store: Store, targets: list[str], since: datetime | None, limit: int | None, servers_only: bool,
    registry_url: str | None, rate: float, *, sync: bool = False,
) -> list[Any]:
    """Crawl (or sync) `registry:NAME` targets with a progress bar; [] when there are none."""
    if not targets and not sync:
        return []
    from catalog.registry_progress import RichSyncProgress
    from catalog.registry_sync import crawl_registries, sync_registries
    from crawler.registries.source import RegistryOptions

    options = RegistryOptions(base_url=registry_url, since=since, limit=limit, servers_only=servers_only, rate=rate)
    names = [t.split(":", 1)[1] for t in targets]
    with RichSyncProgress(err) as watcher:
        if sync:
            return sync_registries(store, options, names, progress=watcher)
        return crawl_registries(names, store, options, progress=watcher)


def _print_registry_summaries(reports: list[Any]) -> None:
    if reports:
        from catalog.registry_progress import print_summaries

        print_summaries(out, err, reports)


@app.command()
@reports_errors
def sync(
    registries: Annotated[
        list[str] | None, typer.Argument(help="Registries to catch up with (default: every one crawled before).")
    ] = None,
    servers_only: ServersOnlyOption = False,
    registry_url: RegistryUrlOption = None,
    rate: RateOption = 2.0,
    json_output: JsonOption = False,
) -> None:
    """Catch up with registries: only what changed since the last run; mark servers gone or deprecated upstream."""
    targets = [name if name.startswith("registry:") else f"registry:{name}" for name in registries or []]
    with _store() as store:
        reports = _crawl_registries(store, targets, None, None, servers_only, registry_url, rate, sync=True)
    if json_output:
        _print_json([r.to_json() for r in reports])
    else:
        _print_registry_summaries(reports)
    if any(r.failed for r in reports):
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
