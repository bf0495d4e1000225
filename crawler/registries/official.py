"""The official MCP Registry: `GET /v0.1/servers` with cursor, limit, version=latest and updated_since."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

from catalog.errors import CrawlError
from crawler.registries.base import (
    ListingOptions,
    PackageRef,
    Page,
    Registry,
    RegistryEntry,
    Remote,
    objects,
    parse_time,
    require_list,
    text_or_none,
    walk,
)
from crawler.registries.polite import PoliteFetcher

OFFICIAL_META = "io.modelcontextprotocol.registry/official"
MAX_LIMIT = 100
"""The API refuses a larger page."""
STATUSES = ("active", "deprecated", "deleted")


class OfficialRegistry(Registry):
    """registry.modelcontextprotocol.io and any mirror speaking the same API."""

    name = "official"
    default_url = "https://registry.modelcontextprotocol.io"
    incremental = True

    def pages(
        self, fetcher: PoliteFetcher, options: ListingOptions, start: dict[str, Any] | None
    ) -> AsyncIterator[Page]:
        return walk(
            self.name, fetcher, options, {"cursor": (start or {}).get("cursor")},
            lambda position: self._url(options, position.get("cursor")), _page,
        )

    def _url(self, options: ListingOptions, cursor: str | None) -> str:
        query: dict[str, str] = {"limit": str(min(MAX_LIMIT, options.page_size)), "version": "latest"}
        if cursor:
            query["cursor"] = cursor
        if options.since is not None:
            since = options.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            query["updated_since"] = since
        return f"{options.base_url.rstrip('/')}/v0.1/servers?{urlencode(query)}"


def _page(body: Any, position: dict[str, Any], url: str) -> Page:
    entries = tuple(server_entry(item) for item in require_list(body, "servers", url))
    cursor = next_cursor(body)
    following = {"cursor": cursor} if cursor else None
    return Page(entries, following, position, entry_ids=tuple(e.origin_value for e in entries))


def next_cursor(body: Mapping[str, Any]) -> str | None:
    """`metadata.nextCursor`, or the older `metadata.next_cursor`; None (or empty) ends the walk."""
    metadata = body.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    cursor = metadata.get("nextCursor", metadata.get("next_cursor"))
    return cursor if isinstance(cursor, str) and cursor else None


def server_entry(item: object) -> RegistryEntry:
    """One `servers[]` item (`{server: server.json, _meta: {...}}`) as an entry."""
    if not isinstance(item, Mapping):
        raise CrawlError("official registry listed a server that is not an object")
    # Older answers put server.json at the top level with _meta inside it.
    nested = item.get("server")
    server: Mapping[str, Any] = nested if isinstance(nested, Mapping) else item
    name = text_or_none(server.get("name"))
    if name is None:
        raise CrawlError("official registry listed a server without a name")
    meta = _official_meta(item) or _official_meta(server)
    raw_repository = server.get("repository")
    repository: Mapping[str, Any] = raw_repository if isinstance(raw_repository, Mapping) else {}
    status = str(meta.get("status") or "active").lower()
    return RegistryEntry(
        registry="official",
        entry_id=name,
        name=name,
        title=text_or_none(server.get("title")),
        description=text_or_none(server.get("description")),
        version=text_or_none(server.get("version")),
        repository_url=text_or_none(repository.get("url")),
        subfolder=text_or_none(repository.get("subfolder")),
        packages=tuple(p for raw in objects(server.get("packages")) if (p := _package(raw)) is not None),
        remotes=tuple(_remote(r) for r in objects(server.get("remotes")) if text_or_none(r.get("url"))),
        status=status if status in STATUSES else "active",
        updated_at=parse_time(meta.get("updatedAt")) or parse_time(meta.get("publishedAt")),
        link=text_or_none(server.get("websiteUrl")),
        mcp_name=name,
    )


def _official_meta(item: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = item.get("_meta")
    official = meta.get(OFFICIAL_META) if isinstance(meta, Mapping) else None
    return official if isinstance(official, Mapping) else {}


def _package(raw: Mapping[str, Any]) -> PackageRef | None:
    kind = text_or_none(raw.get("registryType") or raw.get("registry_type") or raw.get("registry_name"))
    identifier = text_or_none(raw.get("identifier") or raw.get("name"))
    if kind is None or identifier is None:
        return None
    return PackageRef(kind.lower(), identifier, text_or_none(raw.get("version")))


def _remote(raw: Mapping[str, Any]) -> Remote:
    url = str(raw.get("url"))
    headers = objects(raw.get("headers"))
    needs = "{" in url or any(h.get("isRequired") is True or h.get("isSecret") is True for h in headers)
    return Remote(url=url, transport=str(raw.get("type") or "streamable-http"), needs_credentials=needs)
