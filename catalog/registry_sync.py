"""Registries into the store: enumerate → dedupe → tools → classify → store, resumable and incremental."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from catalog.errors import CatalogError, ConfigError
from catalog.records import Classification, CrawlFailure
from catalog.store import SaveSummary, Store
from catalog.store_upstream import Upstream
from classifier.base import Classifier, default_classifier
from crawler.http import build_client
from crawler.registries.identity import IdentityIndex
from crawler.registries.source import (
    REGISTRIES,
    ListedServer,
    RegistryOptions,
    RegistrySource,
    registry_named,
)
from crawler.source import CrawlContext


class SyncProgress(Protocol):
    """What a crawl tells whoever watches it (the CLI's progress bar)."""

    def listed(self, registry: str, listed: ListedServer) -> None: ...

    def failed(self, failure: CrawlFailure) -> None: ...

    def message(self, text: str) -> None: ...


class _Silent:
    def listed(self, registry: str, listed: ListedServer) -> None:
        """Drop it."""

    def failed(self, failure: CrawlFailure) -> None:
        """Drop it."""

    def message(self, text: str) -> None:
        """Drop it."""


@dataclass
class RegistryReport:
    """What one registry crawl or sync did."""

    registry: str
    target: str
    saved: int = 0
    tools: int = 0
    ways: Counter[str] = field(default_factory=Counter)
    """How many servers had their tools found each way (registry, static, live, none)."""
    upstream: Counter[str] = field(default_factory=Counter)
    """Servers by upstream status as listed (active, deprecated, deleted)."""
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    failures: list[CrawlFailure] = field(default_factory=list)
    pages: int = 0
    requests: int = 0
    resumed_from: dict[str, Any] | None = None
    since: datetime | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when nothing was saved and something went wrong."""
        return not self.saved and bool(self.failures)

    def to_json(self) -> dict[str, Any]:
        """The --json form."""
        return {
            "registry": self.registry,
            "target": self.target,
            "servers": self.saved,
            "tools": self.tools,
            "tools_found_by": dict(sorted(self.ways.items())),
            "upstream": dict(sorted(self.upstream.items())),
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failures": [f.model_dump() for f in self.failures],
            "pages": self.pages,
            "requests": self.requests,
            "resumed_from": self.resumed_from,
            "since": self.since.isoformat() if self.since else None,
            "seconds": round(self.seconds, 3),
            "servers_per_second": round(self.saved / self.seconds, 1) if self.seconds > 0 else None,
        }


def last_sync_key(registry: str) -> str:
    """State key holding when the last complete walk of a registry started."""
    return f"registry:{registry}:last_sync"


def crawl_registries(
    names: Sequence[str], store: Store, options: RegistryOptions, *, sync: bool = False,
    classifier: Classifier | None = None, progress: SyncProgress | None = None,
) -> list[RegistryReport]:
    """Crawl (or, with sync, catch up with) each registry in turn; one failing does not stop the others."""
    registries = [registry_named(name) for name in names]
    if options.since is not None and options.since.tzinfo is None:
        options = replace(options, since=options.since.replace(tzinfo=UTC))
    if classifier is None and not options.servers_only:
        classifier = default_classifier()
    index = IdentityIndex.from_servers(store.servers())
    watcher = progress or _Silent()
    reports = []
    for registry in registries:
        run_options = replace(options)
        if sync:
            _catch_up(store, registry.name, registry.incremental, run_options)
        source = RegistrySource(registry, run_options, index=index)
        reports.append(_crawl_one(source, store, classifier, watcher))
    return reports


def sync_registries(
    store: Store, options: RegistryOptions, names: Sequence[str] | None = None, *,
    classifier: Classifier | None = None, progress: SyncProgress | None = None,
) -> list[RegistryReport]:
    """`catalog sync`: every registry crawled before (or the ones named), only what changed since."""
    chosen = list(names) if names else [name for name in REGISTRIES if store.get_state(last_sync_key(name))]
    if not chosen:
        raise ConfigError("no registry was crawled yet", hint="catalog crawl registry:official")
    return crawl_registries(chosen, store, options, sync=True, classifier=classifier, progress=progress)


def _catch_up(store: Store, registry: str, incremental: bool, options: RegistryOptions) -> None:
    """Ask only for what changed: updated_since where the registry filters, ETags everywhere."""
    last = store.get_state(last_sync_key(registry)) or {}
    at = last.get("at")
    if incremental and options.since is None and isinstance(at, str):
        options.since = datetime.fromisoformat(at)
    options.conditional = True


def _crawl_one(
    source: RegistrySource, store: Store, classifier: Classifier | None, progress: SyncProgress
) -> RegistryReport:
    report = RegistryReport(source.registry.name, source.target, since=source.options.since)
    run_id = store.begin_run(source.target)
    began = time.perf_counter()
    try:
        asyncio.run(_walk(source, store, classifier, report, run_id, progress))
    except ConfigError:
        store.finish_run(run_id, "failed", report.saved, 1)
        raise
    except CatalogError as error:
        failure = CrawlFailure(target=source.target, stage="list", reason=str(error))
        store.record_failure(failure, run_id)
        report.failures.append(failure)
        progress.failed(failure)
    report.seconds = time.perf_counter() - began
    _finish(source, store, report)
    status = "failed" if report.failed else ("partial" if report.failures else "ok")
    store.finish_run(run_id, status, report.saved, len(report.failures))
    return report


async def _walk(
    source: RegistrySource, store: Store, classifier: Classifier | None, report: RegistryReport,
    run_id: int, progress: SyncProgress,
) -> None:
    loop = asyncio.get_running_loop()
    # One writer thread: the event loop keeps fetching the next page while servers are stored.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-store") as writer:
        async with build_client() as http:
            context = CrawlContext(http=http, state=store, progress=progress.message)
            try:
                async for listed in source.items(context):
                    summary = await loop.run_in_executor(writer, _save, store, classifier, listed, run_id)
                    _count(report, listed, summary)
                    for failure in listed.result.failures:
                        report.failures.append(failure)
                        progress.failed(failure)
                    progress.listed(source.registry.name, listed)
            finally:
                report.pages, report.requests = source.stats.pages, source.stats.requests
                report.resumed_from = source.stats.resumed_from
                report.since = source.options.since


def _save(store: Store, classifier: Classifier | None, listed: ListedServer, run_id: int) -> SaveSummary:
    tools = list(listed.result.tools)
    verdicts: Mapping[str, Classification] = {}
    if tools and classifier is not None:
        verdicts = {t.name: v for t, v in zip(tools, classifier.classify_all(tools), strict=True)}
    upstream = Upstream(listed.entry.status, listed.entry.updated_at)
    return store.save_crawl(listed.result, verdicts, run_id, upstream=upstream)


def _count(report: RegistryReport, listed: ListedServer, summary: SaveSummary) -> None:
    report.saved += 1
    report.tools += len(listed.result.tools)
    report.ways[listed.way] += 1
    report.upstream[listed.entry.status] += 1


def _finish(source: RegistrySource, store: Store, report: RegistryReport) -> None:
    """Refresh unchanged pages' servers; mark those no longer listed; remember the sync time."""
    stats = source.stats
    if stats.unchanged:
        report.unchanged = store.touch_registry_origins(stats.unchanged)
    if report.failures and any(f.stage == "list" for f in report.failures):
        return
    if stats.completed:
        report.removed = store.mark_unlisted(source.registry.name, stats.started)
    if stats.finished:
        store.put_state(last_sync_key(source.registry.name), {"at": stats.started.isoformat()})
