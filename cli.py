"""The `catalog` command: parse arguments, call one catalog function, print."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from catalog import render
from catalog.cli_groups import classifier_app, db_app, policy_app, site_app
from catalog.cli_support import (
    DbOption,
    JsonOption,
    RateOption,
    RegistryUrlOption,
    ServerOption,
    ServersOnlyOption,
    SinceOption,
    err,
    open_store,
    out,
    print_json,
    reports_errors,
    settings,
)
from catalog.records import Access, Risk
from catalog.store import Store

app = typer.Typer(
    name="catalog",
    help="A tool-risk catalog for MCP servers: crawl, classify, store, recommend gateway policies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.add_typer(policy_app, name="policy")
app.add_typer(classifier_app, name="classifier")
app.add_typer(site_app, name="site")


class AccessChoice(StrEnum):
    read = "read"
    write = "write"
    destructive = "destructive"


class RiskChoice(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


@app.callback()
def main_options(
    db: DbOption = None,
    debug: Annotated[bool, typer.Option("--debug", envvar="CATALOG_DEBUG", help="Show tracebacks.")] = False,
) -> None:
    """A tool-risk catalog for MCP servers."""
    settings.db = db
    settings.debug = debug


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
    with open_store() as store:
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
        print_json([render.report_json(r) for r in reports] + [r.to_json() for r in listed])
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
    with open_store() as store:
        tools = store.tools(
            server=server,
            access=Access(access.value) if access else None,
            risk=Risk(risk.value) if risk else None,
            include_removed=include_removed,
        )
    if json_output:
        print_json([render.tool_json(t) for t in tools])
    else:
        render.print_tools(out, tools)


@app.command()
@reports_errors
def servers(
    origin: Annotated[str | None, typer.Option(help="Only servers with an origin of this kind (github, npm, ...).")] = None,
    json_output: JsonOption = False,
) -> None:
    """List catalogued servers with their origins and tool counts."""
    with open_store() as store:
        found = store.servers(origin=origin)
    if json_output:
        print_json([render.server_json(s) for s in found])
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
    with open_store() as store:
        if name is None:
            if server is None:
                raise typer.BadParameter("give a tool name, or --server KEY")
            detail = store.server(server)
            tools = store.tools(server=server)
            failures = store.failures(server)
            if json_output:
                print_json(render.server_detail_json(detail, tools, failures))
            else:
                render.print_server(out, detail, tools, failures)
            return
        item = store.tool(name, server)
        history = store.history(item.tool.server_key, item.tool.name)
    if json_output:
        print_json(render.tool_detail_json(item, history))
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

    with open_store() as store:
        chosen = select_tools(store, tool or [], server)
    text = recommend_policy(
        chosen, profile=profile, format=format, indent=indent, root=root, merge=merge,
        mcp_names=mcp_name or (),
    )
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command()
@reports_errors
def classify() -> None:
    """Re-classify stored tools that the current classifier version has not classified yet."""
    from catalog.pipeline import reclassify

    with open_store() as store:
        count = reclassify(store)
    err.print(f"classified {count} tool definitions")


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
    with open_store() as store:
        reports = _crawl_registries(store, targets, None, None, servers_only, registry_url, rate, sync=True)
    if json_output:
        print_json([r.to_json() for r in reports])
    else:
        _print_registry_summaries(reports)
    if any(r.failed for r in reports):
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
