"""npm's search API: `/-/v1/search?text=keywords:mcp&size=&from=`, each package one entry."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

from catalog.errors import CrawlError
from crawler.registries.base import (
    ListingOptions,
    PackageRef,
    Page,
    Registry,
    RegistryEntry,
    mapping,
    objects,
    parse_time,
    require_list,
    text_or_none,
    walk,
)
from crawler.registries.polite import PoliteFetcher

MAX_SIZE = 250
"""npm refuses a larger page."""
QUERY = "keywords:mcp"


def default_npm_url() -> str:
    """`npm_config_registry` when set (mirrors), else the public registry."""
    # npm's own spelling is lower-case; the upper-case form is not what npm users set.
    return os.environ.get("npm_config_registry") or NpmSearchRegistry.default_url  # noqa: SIM112


class NpmSearchRegistry(Registry):
    """Packages tagged `mcp` on npm, paged by offset until `total` is reached."""

    name = "npm"
    default_url = "https://registry.npmjs.org"

    def base_url(self) -> str:
        """`npm_config_registry` when set, like npm itself."""
        return default_npm_url()

    def pages(
        self, fetcher: PoliteFetcher, options: ListingOptions, start: dict[str, Any] | None
    ) -> AsyncIterator[Page]:
        base = options.base_url.rstrip("/")
        size = min(MAX_SIZE, options.page_size)

        def url_for(position: dict[str, Any]) -> str:
            return f"{base}/-/v1/search?{urlencode({'text': QUERY, 'size': size, 'from': position['from']})}"

        return walk(self.name, fetcher, options, {"from": int((start or {}).get("from", 0))}, url_for, _page)

def _entry(item: Mapping[str, Any]) -> RegistryEntry:
    package = item.get("package")
    if not isinstance(package, Mapping) or text_or_none(package.get("name")) is None:
        raise CrawlError("npm search listed an object without package.name")
    name = str(package["name"])
    links = mapping(package.get("links"))
    version = text_or_none(package.get("version"))
    return RegistryEntry(
        registry="npm",
        entry_id=name,
        name=name,
        description=text_or_none(package.get("description")),
        version=version,
        repository_url=text_or_none(links.get("repository")),
        packages=(PackageRef("npm", name, version),),
        updated_at=parse_time(package.get("date")),
        link=text_or_none(links.get("npm")) or f"https://www.npmjs.com/package/{name}",
        mcp_name=text_or_none(package.get("mcpName")),
    )


def _page(body: Any, position: dict[str, Any], url: str) -> Page:
    entries = tuple(_entry(item) for item in objects(require_list(body, "objects", url)))
    total = body.get("total") if isinstance(body.get("total"), int) else None
    offset = int(position["from"]) + len(entries)
    more = bool(entries) and (total is None or offset < total)
    following = {"from": offset} if more else None
    return Page(entries, following, position, entry_ids=tuple(e.origin_value for e in entries))
