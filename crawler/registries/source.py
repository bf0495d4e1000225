"""A registry as a Source: walk its pages, resolve each entry to a server, find its tools, resume on restart.

The walk's position is persisted (state key `registry:<name>:walk`) only once every server of
a page has been handed on and the consumer asked for more, which with a consumer that saves
before asking means: once they are stored. A crawl killed at any point starts again at the first
page not fully stored; saving is an idempotent upsert, so no server is stored twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalog.errors import CatalogError, ConfigError
from catalog.records import CrawlFailure, CrawlResult, ServerRecord
from crawler.registries.base import ListingOptions, Page, Registry, RegistryEntry
from crawler.registries.glama import GlamaRegistry
from crawler.registries.identity import IdentityIndex, entry_origins
from crawler.registries.mcpso import McpSoRegistry
from crawler.registries.npm_search import NpmSearchRegistry
from crawler.registries.official import OfficialRegistry
from crawler.registries.polite import DEFAULT_CONCURRENCY, DEFAULT_RATE, HostLimiter, PoliteFetcher
from crawler.registries.pulsemcp import PulseMcpRegistry
from crawler.registries.smithery import SmitheryRegistry
from crawler.registries.tools import FoundTools, Resolver, find_tools
from crawler.source import CrawlContext, Source
from crawler.targets import resolve

REGISTRIES: dict[str, type[Registry]] = {
    "official": OfficialRegistry,
    "smithery": SmitheryRegistry,
    "glama": GlamaRegistry,
    "pulsemcp": PulseMcpRegistry,
    "mcpso": McpSoRegistry,
    "npm": NpmSearchRegistry,
}
TOOL_CONCURRENCY = 8
"""Servers of one page whose tools are looked for at once."""


def registry_named(name: str) -> Registry:
    """The Registry for a name as in `registry:NAME`, or ConfigError listing the known ones."""
    cls = REGISTRIES.get(name.strip().lower())
    if cls is None:
        raise ConfigError(f"unknown registry {name!r}; choose one of {', '.join(REGISTRIES)}")
    return cls()


def walk_key(registry: str) -> str:
    """State key of a registry walk in progress (or finished)."""
    return f"registry:{registry}:walk"


@dataclass
class RegistryOptions:
    """How to walk a registry: where, from when, how much, how gently."""

    base_url: str | None = None
    since: datetime | None = None
    limit: int | None = None
    servers_only: bool = False
    page_size: int = 100
    rate: float = DEFAULT_RATE
    concurrency: int = DEFAULT_CONCURRENCY
    conditional: bool = False
    """A sync: ask with If-None-Match and skip pages the registry says are unchanged."""


@dataclass(frozen=True)
class ListedServer:
    """One server as the walk hands it on: the entry, the result to store, how its tools were found."""

    entry: RegistryEntry
    result: CrawlResult
    way: str


@dataclass
class WalkStats:
    """Counts of one walk, for progress and the report."""

    pages: int = 0
    listed: int = 0
    unchanged: list[str] = field(default_factory=list)
    """Registry origin values of pages the registry said were not modified."""
    requests: int = 0
    resumed_from: dict[str, Any] | None = None
    finished: bool = False
    """The walk reached the registry's last page."""
    completed: bool = False
    """Finished, and saw the whole listing (no --since window): what is missing is gone upstream."""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))


class RegistrySource(Source):
    """`registry:NAME`: every server a registry lists, with tools unless servers_only."""

    def __init__(
        self, registry: Registry, options: RegistryOptions | None = None, *,
        index: IdentityIndex | None = None, resolver: Resolver = resolve, target: str | None = None,
    ) -> None:
        self.registry = registry
        self.options = options or RegistryOptions()
        self.index = index or IdentityIndex()
        self.resolver = resolver
        self.target = target or f"registry:{registry.name}"
        self.stats = WalkStats()

    async def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """Yield one CrawlResult per listed server (see items for the whole story)."""
        async for listed in self.items(context):
            yield listed.result

    async def items(self, context: CrawlContext) -> AsyncIterator[ListedServer]:
        """Walk from the persisted position, yielding servers; the position moves once a page is consumed."""
        limiter = HostLimiter(self.options.rate, self.options.concurrency)
        fetcher = PoliteFetcher(context.http, limiter)
        start = self._resume(context)
        listing = ListingOptions(  # after _resume, which may restore `since`
            base_url=self.options.base_url or self.registry.base_url(), since=self.options.since,
            page_size=self.options.page_size, state=context.state, conditional=self.options.conditional,
        )
        handed = 0
        try:
            async for page in _prefetched(self.registry.pages(fetcher, listing, start)):
                self.stats.pages += 1
                if page.not_modified:
                    self.stats.unchanged.extend(page.entry_ids)
                entries = page.entries
                if self.options.limit is not None:
                    entries = entries[: max(0, self.options.limit - handed)]
                self.stats.listed += len(entries)
                context.progress(f"{self.registry.name}: page {self.stats.pages}, {len(entries)} servers")
                for listed in await self._page_servers(entries, fetcher, context):
                    yield listed
                handed += len(entries)
                self._save_position(context, page.next_position)
                if page.next_position is None:
                    self.stats.finished = len(entries) == len(page.entries)
                    break
                if self.options.limit is not None and handed >= self.options.limit:
                    break
        finally:
            self.stats.requests = fetcher.requests
        self.stats.completed = self.stats.finished and self.options.since is None
        # A walk cut short by --limit is finished too: the next run starts from the beginning.
        self._save_position(context, None)

    def _resume(self, context: CrawlContext) -> dict[str, Any] | None:
        saved = context.state.get_state(walk_key(self.registry.name)) or {}
        if saved.get("done") or not isinstance(saved.get("position"), dict):
            self._save_position(context, None, first=True)
            return None
        started, since = saved.get("started"), saved.get("since")
        if isinstance(started, str):
            self.stats.started = datetime.fromisoformat(started)
        # A resumed walk keeps the window it began with, or it would skip or repeat servers.
        self.options.since = datetime.fromisoformat(since) if isinstance(since, str) else None
        self.stats.resumed_from = dict(saved["position"])
        return self.stats.resumed_from

    def _save_position(self, context: CrawlContext, position: dict[str, Any] | None, first: bool = False) -> None:
        since = self.options.since.isoformat() if self.options.since else None
        value: dict[str, Any] = {"started": self.stats.started.isoformat(), "since": since}
        if position is not None or first:
            value["position"] = position or {}
        else:
            value["done"] = True
        context.state.put_state(walk_key(self.registry.name), value)

    async def _page_servers(
        self, entries: tuple[RegistryEntry, ...], fetcher: PoliteFetcher, context: CrawlContext
    ) -> list[ListedServer]:
        gate = asyncio.Semaphore(TOOL_CONCURRENCY)

        async def one(entry: RegistryEntry) -> ListedServer:
            async with gate:
                return await self._server(entry, fetcher, context)

        return list(await asyncio.gather(*(one(entry) for entry in entries)))

    async def _server(self, entry: RegistryEntry, fetcher: PoliteFetcher, context: CrawlContext) -> ListedServer:
        failures: list[CrawlFailure] = []
        wants_tools = not self.options.servers_only
        if wants_tools or getattr(self.registry, "detail_for_identity", False):
            try:
                entry = await self.registry.detail(fetcher, entry)
            except CatalogError as error:
                failures.append(self._failure(entry, "detail", str(error)))
        key = self.index.key_for(entry)
        found = FoundTools(None, "none", ("tools not fetched: --servers-only",), complete=False)
        if wants_tools:
            found = await find_tools(entry, key, context, self.resolver)
        server = ServerRecord(
            key=key, name=entry.name, title=entry.title, description=entry.description, version=entry.version,
            origins=entry_origins(entry), notes=(*found.notes, *_status_note(entry)),
        )
        result = CrawlResult(
            server=server, tools=found.tools or (), failures=tuple(f.model_copy(update={"server_key": key}) for f in failures),
            complete=found.tools is not None and found.complete,
        )
        return ListedServer(entry, result, found.way)

    def _failure(self, entry: RegistryEntry, stage: str, reason: str) -> CrawlFailure:
        return CrawlFailure(target=self.target, stage=stage, reason=f"{entry.origin_value}: {reason}")


def _status_note(entry: RegistryEntry) -> tuple[str, ...]:
    if entry.status == "active":
        return ()
    return (f"{entry.registry} registry marks this server {entry.status}",)


async def _prefetched(pages: AsyncIterator[Page]) -> AsyncIterator[Page]:
    """The same pages, the next one fetched while the caller works on the current one."""
    pending: asyncio.Task[Page] | None = asyncio.ensure_future(anext(pages))
    try:
        while pending is not None:
            try:
                page = await pending
            except StopAsyncIteration:
                pending = None
                return
            pending = asyncio.ensure_future(anext(pages)) if page.next_position is not None else None
            yield page
    finally:
        if pending is not None:
            pending.cancel()
            with suppress(asyncio.CancelledError, StopAsyncIteration, CatalogError):
                await pending
        aclose = getattr(pages, "aclose", None)
        if aclose is not None:
            await aclose()
