"""PulseMCP's API: `/v0beta/servers?count_per_page=&offset=` with `next`, called with a versioned User-Agent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from catalog.errors import CrawlError
from crawler.registries.base import (
    ListingOptions,
    PackageRef,
    Page,
    Registry,
    RegistryEntry,
    Remote,
    objects,
    require_list,
    text_or_none,
    walk,
)
from crawler.registries.polite import PoliteFetcher

MAX_COUNT = 5000


class PulseMcpRegistry(Registry):
    """api.pulsemcp.com: offset pages; `next` is the URL of the following page or null."""

    name = "pulsemcp"
    default_url = "https://api.pulsemcp.com"

    def pages(
        self, fetcher: PoliteFetcher, options: ListingOptions, start: dict[str, Any] | None
    ) -> AsyncIterator[Page]:
        base = options.base_url.rstrip("/")
        count = min(MAX_COUNT, options.page_size)

        def url_for(position: dict[str, Any]) -> str:
            return f"{base}/v0beta/servers?{urlencode({'count_per_page': count, 'offset': position['offset']})}"

        return walk(self.name, fetcher, options, {"offset": int((start or {}).get("offset", 0))}, url_for, _page)

def _next_offset(next_url: object, fallback: int) -> int | None:
    """The offset the `next` URL names (else the count so far); None when there is no next page."""
    if not isinstance(next_url, str) or not next_url:
        return None
    values = parse_qs(urlsplit(next_url).query).get("offset", [])
    return int(values[0]) if values and values[0].isdigit() else fallback


def _slug(url: str | None) -> str | None:
    if not url:
        return None
    path = urlsplit(url).path.rstrip("/")
    return path.rsplit("/", 1)[-1] or None


def _entry(item: Mapping[str, Any]) -> RegistryEntry:
    name = text_or_none(item.get("name"))
    page = text_or_none(item.get("url"))
    entry_id = _slug(page) or name
    if entry_id is None or name is None:
        raise CrawlError("pulsemcp listed a server without a name")
    registry, package = text_or_none(item.get("package_registry")), text_or_none(item.get("package_name"))
    packages = (PackageRef(registry.lower(), package),) if registry and package else ()
    remotes = tuple(
        Remote(
            url=str(remote.get("url_direct")),
            transport=str(remote.get("transport") or "streamable-http").lower().replace("_", "-"),
            needs_credentials=str(remote.get("authentication_method") or "open").lower() not in ("open", "none"),
        )
        for remote in objects(item.get("remotes"))
        if text_or_none(remote.get("url_direct"))
    )
    return RegistryEntry(
        registry="pulsemcp",
        entry_id=entry_id,
        name=name,
        description=text_or_none(item.get("short_description")),
        repository_url=text_or_none(item.get("source_code_url")),
        packages=packages,
        remotes=remotes,
        link=page,
    )


def _page(body: Any, position: dict[str, Any], url: str) -> Page:
    entries = tuple(_entry(item) for item in objects(require_list(body, "servers", url)))
    following = _next_offset(body.get("next"), int(position["offset"]) + len(entries)) if entries else None
    next_position = {"offset": following} if following is not None else None
    return Page(entries, next_position, position, entry_ids=tuple(e.origin_value for e in entries))
