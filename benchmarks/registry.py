"""Crawl a mock official registry of 50,000 servers with 20 ms latency per request; compare with the ideal.

    .venv/bin/python benchmarks/registry.py [--servers 50000] [--latency 0.02] [--page-size 100]

The official listing pages by cursor, so pages come one after another: the ideal is
concurrency / latency × page size with a concurrency of 1 (5,000 servers/s at 20 ms, pages of
100). Two runs over the same mock: the walk alone (fetch and parse, nothing stored), and the
whole `crawl registry:official --servers-only` into a fresh SQLite file (one transaction per
server). Both print servers/s and their ratio to the ideal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.registry_sync import crawl_registries
from catalog.store import Store
from crawler.http import build_client
from crawler.registries.official import OfficialRegistry
from crawler.registries.source import RegistryOptions, RegistrySource
from crawler.source import CrawlContext, MemoryState
from tests.crawler.registries.mock import MockRegistry, OfficialApp, official_server

LISTING_CONCURRENCY = 1
"""Cursor pages cannot be fetched before the previous page names the cursor."""


def items(count: int) -> list[dict[str, object]]:
    """Servers with a repository, a package or neither, so identity resolution does real work."""
    made = []
    for number in range(count):
        name = f"io.github.org{number % 997}/server-{number:06d}"
        if number % 3 == 0:
            made.append(official_server(name, repository=f"https://github.com/org{number % 997}/server-{number:06d}"))
        elif number % 3 == 1:
            made.append(official_server(name, npm=f"@org{number % 997}/server-{number:06d}"))
        else:
            made.append(official_server(name, remote=f"https://r{number}.example/mcp", remote_needs_key=True))
    return made


def walk_only(url: str, page_size: int) -> tuple[int, float]:
    source = RegistrySource(OfficialRegistry(), RegistryOptions(base_url=url, servers_only=True, rate=0,
                                                                page_size=page_size))

    async def go() -> int:
        async with build_client() as http:
            return sum([1 async for _ in source.items(CrawlContext(http=http, state=MemoryState()))])

    began = time.perf_counter()
    count = asyncio.run(go())
    return count, time.perf_counter() - began


def end_to_end(url: str, page_size: int) -> tuple[int, float]:
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as folder, \
            Store.open(f"sqlite:///{folder}/catalog.db") as store:
        options = RegistryOptions(base_url=url, servers_only=True, rate=0, page_size=page_size)
        began = time.perf_counter()
        [report] = crawl_registries(["official"], store, options)
        elapsed = time.perf_counter() - began
        stored = len(store.servers())
    if report.failures or stored != report.saved:
        raise SystemExit(f"benchmark crawl went wrong: {report.failures[:1]} stored={stored} saved={report.saved}")
    return report.saved, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=50_000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every answer")
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    ideal = LISTING_CONCURRENCY / args.latency * args.page_size
    print(f"mock official registry: {args.servers} servers, {args.latency * 1000:.0f} ms per request, "
          f"pages of {args.page_size}; ideal {ideal:,.0f} servers/s")
    with MockRegistry(OfficialApp(items(args.servers)), latency=args.latency) as mock:
        for label, run in (("walk only", walk_only), ("crawl --servers-only", end_to_end)):
            count, elapsed = run(mock.url, args.page_size)
            rate = count / elapsed
            print(f"{label:>22}: {count} servers in {elapsed:6.1f} s = {rate:8,.0f} servers/s "
                  f"({rate / ideal:6.1%} of ideal)")


if __name__ == "__main__":
    main()
