"""Crawl → classify → store: the one place the stages are joined."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import CatalogError, ConfigError
from catalog.records import CrawlFailure, CrawlResult
from catalog.store import SaveSummary, Store
from classifier.base import Classifier, default_classifier
from crawler.http import build_client
from crawler.source import CrawlContext, Source
from crawler.sources.live_spec import Timeouts
from crawler.sources.live_target import sources_from_config
from crawler.sources.mcp_config import crawl_many
from crawler.targets import TargetOptions, resolve


@dataclass
class CrawlReport:
    """What one target's crawl did: servers saved, failures recorded, notes to show."""

    target: str
    saved: list[SaveSummary] = field(default_factory=list)
    failures: list[CrawlFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when the target produced no server at all."""
        return not self.saved and bool(self.failures)


Progress = Callable[[str], None]


def _ignore(message: str) -> None:
    """A progress sink that drops messages."""


def save_result(
    store: Store, classifier: Classifier, result: CrawlResult, run_id: int | None
) -> SaveSummary:
    """Classify one server's tools and save them in one transaction."""
    verdicts = classifier.classify_all(list(result.tools))
    by_name = {tool.name: verdict for tool, verdict in zip(result.tools, verdicts, strict=True)}
    return store.save_crawl(result, by_name, run_id)


async def _crawl_source(
    source: Source, store: Store, classifier: Classifier, report: CrawlReport, run_id: int,
    progress: Progress,
) -> None:
    async with build_client() as http:
        context = CrawlContext(http=http, state=store, progress=progress)
        async for result in source.crawl(context):
            progress(f"classifying {len(result.tools)} tools of {result.server.key}")
            report.saved.append(save_result(store, classifier, result, run_id))
            report.failures.extend(result.failures)
            report.notes.extend(result.server.notes)


def crawl_target(
    target: str, store: Store, *, options: TargetOptions | None = None,
    classifier: Classifier | None = None, progress: Progress = _ignore,
) -> CrawlReport:
    """Crawl one target into the store; a target that cannot be read becomes a stored failure.

    A bad target (syntax, missing path) raises ConfigError before anything is recorded.
    """
    source = resolve(target, options)
    classifier = classifier or default_classifier()
    report = CrawlReport(target)
    run_id = store.begin_run(target)
    try:
        asyncio.run(_crawl_source(source, store, classifier, report, run_id, progress))
    except ConfigError:
        store.finish_run(run_id, "failed", 0, 1)
        raise
    except CatalogError as error:
        failure = CrawlFailure(target=target, stage="crawl", reason=str(error))
        store.record_failure(failure, run_id)
        report.failures.append(failure)
    status = "failed" if report.failed else ("partial" if report.failures else "ok")
    store.finish_run(run_id, status, len(report.saved), len(report.failures))
    return report


def crawl_targets(
    targets: Sequence[str], store: Store, *, options: TargetOptions | None = None,
    classifier: Classifier | None = None, progress: Progress = _ignore,
) -> list[CrawlReport]:
    """Crawl several targets one after another; one failing target does not stop the others."""
    classifier = classifier or default_classifier()
    return [
        crawl_target(t, store, options=options, classifier=classifier, progress=progress) for t in targets
    ]


async def _crawl_many(
    sources: Sequence[Source], store: Store, classifier: Classifier, run_id: int,
    concurrency: int, progress: Progress,
) -> list[CrawlReport]:
    reports = {source.target: CrawlReport(source.target) for source in sources}
    async with build_client() as http:
        context = CrawlContext(http=http, state=store)
        async for outcome in crawl_many(sources, context, concurrency):
            if isinstance(outcome, CrawlFailure):
                store.record_failure(outcome, run_id)
                reports[outcome.target].failures.append(outcome)
                progress(f"failed {outcome.target}")
                continue
            target = next((s.target for s in sources if _same_server(s, outcome)), outcome.server.key)
            report = reports.setdefault(target, CrawlReport(target))
            report.saved.append(save_result(store, classifier, outcome, run_id))
            report.notes.extend(outcome.server.notes)
            progress(f"saved {outcome.server.key}")
    return list(reports.values())


def _same_server(source: Source, result: CrawlResult) -> bool:
    key = getattr(source, "server_key", None)
    return key == result.server.key


def crawl_config(
    path: Path, store: Store, *, concurrency: int = 4, timeouts: Timeouts | None = None,
    classifier: Classifier | None = None, progress: Progress = _ignore,
) -> list[CrawlReport]:
    """Crawl every server of an mcpServers config file, a few at a time; failures are stored, not raised."""
    sources = sources_from_config(path, timeouts=timeouts)
    if not sources:
        raise ConfigError(f"{path.name} lists no servers under mcpServers")
    classifier = classifier or default_classifier()
    run_id = store.begin_run(f"--from {path.name}")
    reports = asyncio.run(_crawl_many(sources, store, classifier, run_id, concurrency, progress))
    failures = sum(len(r.failures) for r in reports)
    saved = sum(len(r.saved) for r in reports)
    store.finish_run(run_id, "failed" if not saved else ("partial" if failures else "ok"), saved, failures)
    return reports


def reclassify(store: Store, *, classifier: Classifier | None = None) -> int:
    """Classify every stored tool whose current definition lacks this classifier version's verdict."""
    classifier = classifier or default_classifier()
    pending = store.tools_needing(classifier.version)
    verdicts = classifier.classify_all(pending)
    return store.save_classifications(
        [(tool.server_key, tool.name, verdict) for tool, verdict in zip(pending, verdicts, strict=True)]
    )
