"""Smithery's registry API: `/servers?q=&page=&pageSize=`, details with tools at `/servers/{qualifiedName}`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from catalog.errors import ConfigError, CrawlError
from crawler.registries.base import (
    ListingOptions,
    Page,
    Registry,
    RegistryEntry,
    Remote,
    mapping,
    objects,
    parse_time,
    require_list,
    text_or_none,
    walk,
)
from crawler.registries.polite import PoliteFetcher

API_KEY_ENV = "SMITHERY_API_KEY"
MAX_PAGE_SIZE = 100


def _headers() -> dict[str, str]:
    key = os.environ.get(API_KEY_ENV, "").strip()
    if not key:
        raise ConfigError(
            f"Smithery's registry API needs an API key: set {API_KEY_ENV}",
            hint="create one at https://smithery.ai/account/api-keys",
        )
    return {"Authorization": f"Bearer {key}", "Accept": "application/json"}


class SmitheryRegistry(Registry):
    """registry.smithery.ai: page-numbered listing, tools in each server's detail."""

    name = "smithery"
    default_url = "https://registry.smithery.ai"

    def pages(
        self, fetcher: PoliteFetcher, options: ListingOptions, start: dict[str, Any] | None
    ) -> AsyncIterator[Page]:
        base = options.base_url.rstrip("/")
        size = min(MAX_PAGE_SIZE, options.page_size)

        def url_for(position: dict[str, Any]) -> str:
            return f"{base}/servers?{urlencode({'q': '', 'page': position['page'], 'pageSize': size})}"

        def parse(body: Any, position: dict[str, Any], url: str) -> Page:
            entries = tuple(self._entry(item, base) for item in objects(require_list(body, "servers", url)))
            total_pages = mapping(body.get("pagination")).get("totalPages")
            page = int(position["page"])
            last = not entries or (isinstance(total_pages, int) and page >= total_pages)
            following = None if last else {"page": page + 1}
            return Page(entries, following, position, entry_ids=tuple(e.origin_value for e in entries))

        start_page = int((start or {}).get("page", 1))
        return walk(self.name, fetcher, options, {"page": start_page}, url_for, parse, _headers())

    def _entry(self, item: Mapping[str, Any], base: str) -> RegistryEntry:
        name = text_or_none(item.get("qualifiedName"))
        if name is None:
            raise CrawlError("smithery listed a server without a qualifiedName")
        homepage = text_or_none(item.get("homepage"))
        return RegistryEntry(
            registry=self.name,
            entry_id=name,
            name=name,
            title=text_or_none(item.get("displayName")),
            description=text_or_none(item.get("description")),
            repository_url=homepage if homepage and "github.com" in homepage.lower() else None,
            updated_at=parse_time(item.get("createdAt")),
            link=f"https://smithery.ai/server/{name}",
            detail_url=f"{base}/servers/{quote(name, safe='@/')}",
        )

    async def detail(self, fetcher: PoliteFetcher, entry: RegistryEntry) -> RegistryEntry:
        """The server's detail: its tools (None when Smithery has not listed them) and remote."""
        if entry.detail_url is None:
            return entry
        body = await fetcher.get_json(entry.detail_url, headers=_headers())
        if not isinstance(body, Mapping):
            raise CrawlError(f"smithery answered a detail for {entry.entry_id} that is not an object")
        raw_tools = body.get("tools")
        tools = tuple(objects(raw_tools)) if isinstance(raw_tools, list) and raw_tools else None
        deployment = text_or_none(body.get("deploymentUrl"))
        remotes = entry.remotes
        if deployment and body.get("remote") is True:
            # Smithery-hosted servers take a per-user configuration: never anonymous.
            remotes = (Remote(url=deployment, needs_credentials=True),)
        return RegistryEntry(**{**entry.__dict__, "tools": tools, "remotes": remotes})
