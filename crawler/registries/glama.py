"""Glama's MCP API: `/v1/servers?first=&after=` with `pageInfo{endCursor, hasNextPage}` and tools per server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

from catalog.errors import CrawlError
from crawler.registries.base import (
    ListingOptions,
    Page,
    Registry,
    RegistryEntry,
    mapping,
    objects,
    require_list,
    text_or_none,
    walk,
)
from crawler.registries.polite import PoliteFetcher

MAX_FIRST = 100


class GlamaRegistry(Registry):
    """glama.ai/api/mcp: a Relay-style cursor listing whose servers carry their tools."""

    name = "glama"
    default_url = "https://glama.ai/api/mcp"

    def pages(
        self, fetcher: PoliteFetcher, options: ListingOptions, start: dict[str, Any] | None
    ) -> AsyncIterator[Page]:
        base = options.base_url.rstrip("/")
        first = str(min(MAX_FIRST, options.page_size))

        def url_for(position: dict[str, Any]) -> str:
            after = position.get("after")
            query = {"first": first, **({"after": after} if after else {})}
            return f"{base}/v1/servers?{urlencode(query)}"

        return walk(self.name, fetcher, options, {"after": (start or {}).get("after")}, url_for, _page)

def _entry(item: Mapping[str, Any]) -> RegistryEntry:
    namespace, slug = text_or_none(item.get("namespace")), text_or_none(item.get("slug"))
    entry_id = f"{namespace}/{slug}" if namespace and slug else text_or_none(item.get("id"))
    if entry_id is None:
        raise CrawlError("glama listed a server without namespace/slug or id")
    repository = mapping(item.get("repository"))
    raw_tools = item.get("tools")
    # An empty list is what Glama shows before it has inspected a server: unknown, not zero.
    tools = tuple(objects(raw_tools)) if isinstance(raw_tools, list) and raw_tools else None
    return RegistryEntry(
        registry="glama",
        entry_id=entry_id,
        name=text_or_none(item.get("name")) or entry_id,
        description=text_or_none(item.get("description")),
        repository_url=text_or_none(repository.get("url")),
        tools=tools,
        link=text_or_none(item.get("url")),
    )


def _page(body: Any, position: dict[str, Any], url: str) -> Page:
    entries = tuple(_entry(item) for item in objects(require_list(body, "servers", url)))
    info = mapping(body.get("pageInfo"))
    cursor = text_or_none(info.get("endCursor"))
    more = info.get("hasNextPage") is True and cursor is not None and bool(entries)
    following = {"after": cursor} if more else None
    return Page(entries, following, position, entry_ids=tuple(e.origin_value for e in entries))
