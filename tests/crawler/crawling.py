"""Run a crawl source to completion in tests, with the catalog's own HTTP client."""

from __future__ import annotations

import asyncio

from catalog.records import CrawlResult
from crawler.http import build_client
from crawler.source import CrawlContext, Source, StateCache


def crawl_all(source: Source, state: StateCache | None = None) -> list[CrawlResult]:
    """Every result the source yields, with a short-timeout client (and `state` when given)."""

    async def run() -> list[CrawlResult]:
        async with build_client(timeout=5.0) as client:
            context = CrawlContext(http=client) if state is None else CrawlContext(http=client, state=state)
            return [result async for result in source.crawl(context)]

    return asyncio.run(run())


def crawl_one(source: Source) -> CrawlResult:
    """The single result of a source that crawls one server."""
    [result] = crawl_all(source)
    return result
