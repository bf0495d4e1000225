"""Everything the site shows, read from the store once: servers, present tools, histories, failures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from catalog.records import CrawlFailure, StoredServer, StoredTool, ToolVersion
from catalog.store import Store

ToolKey = tuple[str, str]
"""(server key, tool name): a tool's identity."""


@dataclass(frozen=True)
class SiteData:
    """The catalog as the site sees it; tools no longer seen by their server's last crawl are left out."""

    servers: tuple[StoredServer, ...]
    tools: tuple[StoredTool, ...]
    histories: dict[ToolKey, tuple[ToolVersion, ...]] = field(default_factory=dict)
    failures: dict[str, tuple[CrawlFailure, ...]] = field(default_factory=dict)


def load_site_data(store: Store, progress: Callable[[str], None] | None = None) -> SiteData:
    """Read servers, present tools, every tool's history and the failures of known servers."""
    servers = tuple(store.servers())
    tools = tuple(store.tools())
    keys = [(item.tool.server_key, item.tool.name) for item in tools]
    if progress is not None:
        progress(f"reading the history of {len(tools)} tools")
    # One query for every tool (removed ones too) beats many of chunked keys; most tools are present.
    versions = store.histories()
    histories: dict[ToolKey, tuple[ToolVersion, ...]] = {key: tuple(versions.get(key, ())) for key in keys}
    grouped: dict[str, list[CrawlFailure]] = defaultdict(list)
    for failure in store.failures():
        if failure.server_key is not None:
            grouped[failure.server_key].append(failure)
    return SiteData(servers, tools, histories, {key: tuple(found) for key, found in grouped.items()})
