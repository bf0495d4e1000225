"""Tools of a listed server, found one way or another: the registry payload, the code, or a live endpoint.

The order is cheapest and most faithful first: tools a registry recorded (Smithery, Glama), then
a static read of the repository or package (reusing the ordinary targets), then a live
`tools/list` of a remote that needs no credentials. Each tool's Location says which way it was
found; when no way works the server is saved without tools and a note says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from catalog.errors import CatalogError
from catalog.records import CrawlResult, Location, LocationKind, ToolRecord
from crawler.registries.base import RegistryEntry, Remote
from crawler.registries.identity import entry_repo, package_key
from crawler.source import CrawlContext, Source
from crawler.sources.live import LiveSource
from crawler.sources.live_spec import HttpServer, Timeouts, Transport
from crawler.sources.tool_json import InvalidTool, tool_from_json
from crawler.targets import resolve

LIVE_TIMEOUT = 20.0
"""Seconds for each step of listing a remote's tools."""


@dataclass(frozen=True)
class FoundTools:
    """The tools of one server and how they were found; `tools` is None when no way worked."""

    tools: tuple[ToolRecord, ...] | None
    way: str
    """registry, static, live, or none."""
    notes: tuple[str, ...] = ()
    complete: bool = True


Resolver = Callable[[str], Source]
"""Target → Source; crawler.targets.resolve unless a test passes another."""


async def find_tools(
    entry: RegistryEntry, server_key: str, context: CrawlContext, resolver: Resolver = resolve
) -> FoundTools:
    """Try each way in turn and return the first that yields tools; reasons for the others become notes."""
    reasons: list[str] = []
    if entry.tools is not None:
        try:
            return FoundTools(registry_tools(entry, server_key), "registry")
        except InvalidTool as error:
            reasons.append(f"{entry.registry} listed an invalid tool: {error}")
    for target in static_targets(entry):
        found = await _from_source(target, server_key, context, resolver, entry.subfolder, reasons)
        if found is not None:
            return found
    for remote in entry.remotes:
        if remote.needs_credentials:
            reasons.append(f"remote {remote.url} needs credentials")
            continue
        found = await _from_remote(remote, server_key, reasons)
        if found is not None:
            return found
    if not reasons:
        reasons.append(f"{entry.registry} gives no tools, repository, package or remote")
    return FoundTools(None, "none", (f"tools not fetched: {'; '.join(reasons)}",), complete=False)


def registry_tools(entry: RegistryEntry, server_key: str) -> tuple[ToolRecord, ...]:
    """The registry's wire-format tools as records located at the registry."""
    location = Location(kind=LocationKind.REGISTRY, detail=entry.registry)
    seen: dict[str, ToolRecord] = {}
    for raw in entry.tools or ():
        tool = tool_from_json(raw, server_key=server_key, location=location)
        seen.setdefault(tool.name, tool)
    return tuple(seen.values())


def static_targets(entry: RegistryEntry) -> list[str]:
    """Targets `crawler.targets.resolve` understands for a static read: the repository, then packages."""
    targets: list[str] = []
    repo = entry_repo(entry)
    if repo is not None and repo.is_github:
        targets.append(f"github:{repo.slug}")
    for package in entry.packages:
        key = package_key(package.registry_type, package.identifier)
        if key is None:
            continue
        kind = key.split(":", 1)[0]
        version = f"@{package.version}" if kind == "npm" and package.version else ""
        version = f"=={package.version}" if kind == "pypi" and package.version else version
        targets.append(f"{kind}:{package.identifier}{version}")
    return targets


async def _from_source(
    target: str, server_key: str, context: CrawlContext, resolver: Resolver, subfolder: str | None,
    reasons: list[str],
) -> FoundTools | None:
    try:
        source = resolver(target)
        results = [result async for result in source.crawl(context)]
    except CatalogError as error:
        reasons.append(f"{target}: {error}")
        return None
    if not results:
        reasons.append(f"{target}: no server found")
        return None
    result = results[0]
    tools = _rekeyed(result, server_key, subfolder)
    way = tools[0].location.kind.value if tools else LocationKind.STATIC.value
    return FoundTools(tools, way, tuple(result.server.notes), result.complete)


def _rekeyed(result: CrawlResult, server_key: str, subfolder: str | None) -> tuple[ToolRecord, ...]:
    """The tools under our server key; a monorepo server keeps only the tools under its subfolder."""
    prefix = f"{subfolder.strip('/')}/" if subfolder else None
    kept = [
        tool for tool in result.tools
        if prefix is None or tool.location.file is None or tool.location.file.startswith(prefix)
    ]
    return tuple(tool.model_copy(update={"server_key": server_key}) for tool in kept)


async def _from_remote(remote: Remote, server_key: str, reasons: list[str]) -> FoundTools | None:
    transport = Transport.SSE if remote.transport.lower() == "sse" else Transport.STREAMABLE_HTTP
    timeouts = Timeouts(start=LIVE_TIMEOUT, initialize=LIVE_TIMEOUT, page=LIVE_TIMEOUT)
    try:
        source = LiveSource(HttpServer(url=remote.url, transport=transport), timeouts=timeouts)
        result = await source.list_server()
    except CatalogError as error:
        reasons.append(f"remote {remote.url}: {error}")
        return None
    tools = tuple(tool.model_copy(update={"server_key": server_key}) for tool in result.tools)
    return FoundTools(tools, "live", tuple(result.server.notes), result.complete)
