"""What every registry module speaks: entries as registries list them, pages, positions, the Registry seam."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from catalog.errors import CrawlError
from crawler.registries.polite import PoliteFetcher
from crawler.source import StateCache

MAX_PAGES = 100_000
"""A registry that pages on past this is broken; 100,000 pages of 100 is ten million servers."""


@dataclass(frozen=True)
class PackageRef:
    """A package a server is distributed as: npm, pypi, oci, nuget, mcpb..."""

    registry_type: str
    identifier: str
    version: str | None = None


@dataclass(frozen=True)
class Remote:
    """An endpoint where the server runs for anyone to connect."""

    url: str
    transport: str = "streamable-http"
    needs_credentials: bool = False
    """True when the registry lists required headers or the URL has template variables."""


@dataclass(frozen=True)
class RegistryEntry:
    """One server as one registry lists it, before identity resolution; all text untrusted."""

    registry: str
    """official, smithery, glama, pulsemcp, mcpso, npm."""
    entry_id: str
    """The registry's own identity of the entry: official name, qualifiedName, slug..."""
    name: str
    title: str | None = None
    description: str | None = None
    version: str | None = None
    repository_url: str | None = None
    subfolder: str | None = None
    packages: tuple[PackageRef, ...] = ()
    remotes: tuple[Remote, ...] = ()
    tools: tuple[Mapping[str, Any], ...] | None = None
    """Wire-format tool definitions when the registry carries them; None when it does not say."""
    status: str = "active"
    """active, deprecated or deleted as the registry says."""
    updated_at: datetime | None = None
    link: str | None = None
    """A page a person can open about the entry."""
    mcp_name: str | None = None
    """The official-registry name the package declares (`mcpName` / `mcp-name:`), when known."""
    detail_url: str | None = None
    """Where more (tools) can be read about the entry, when the listing is a summary."""

    @property
    def origin_value(self) -> str:
        """The REGISTRY origin value: `<registry>:<entry id>`."""
        return f"{self.registry}:{self.entry_id}"


@dataclass(frozen=True)
class Page:
    """One page of a listing and where the next one starts (None: this was the last)."""

    entries: tuple[RegistryEntry, ...]
    next_position: dict[str, Any] | None
    position: dict[str, Any]
    """Where this page started, as it would be persisted."""
    not_modified: bool = False
    """The registry said (304) the page is as it was; its entries are those remembered."""
    entry_ids: tuple[str, ...] = ()
    """The REGISTRY origin values of the page, also for not-modified pages."""


@dataclass
class ListingOptions:
    """What the caller wants from a listing."""

    base_url: str
    since: datetime | None = None
    """Only entries updated after this (registries that can filter; others list everything)."""
    page_size: int = 100
    state: StateCache | None = None
    """Where page ETags are remembered; None: no conditional requests."""
    conditional: bool = False
    """Send If-None-Match for pages fetched before (a sync): a 304 page is skipped, not re-read."""

    def etag_key(self, registry: str, url: str) -> str:
        """The state key remembering one page's ETag."""
        return f"registry:{registry}:etag:{url}"


@dataclass(frozen=True)
class Listed:
    """A listing page's JSON body, or what was remembered of it when the registry said 304."""

    body: Any
    remembered: Mapping[str, Any] | None = None
    etag: str | None = None


async def fetch_listing(
    fetcher: PoliteFetcher, registry: str, url: str, options: ListingOptions,
    headers: Mapping[str, str] | None = None,
) -> Listed:
    """GET one listing page, conditionally when options allow and an ETag is remembered."""
    remembered = options.state.get_state(options.etag_key(registry, url)) if options.state else None
    sent = dict(headers or {})
    if options.conditional and remembered and isinstance(remembered.get("etag"), str):
        sent["If-None-Match"] = remembered["etag"]
    fetched = await fetcher.get(url, headers=sent, allow_not_modified="If-None-Match" in sent)
    if fetched.status == 304 and remembered is not None:
        return Listed(None, remembered)
    return Listed(fetched.json(), etag=fetched.etag)


def remember_page(options: ListingOptions, registry: str, url: str, listed: Listed, page: Page) -> None:
    """Store a freshly read page's ETag with its next position and entries, for a later 304."""
    if options.state is None or listed.etag is None or listed.remembered is not None:
        return
    options.state.put_state(
        options.etag_key(registry, url),
        {"etag": listed.etag, "next": page.next_position, "ids": list(page.entry_ids)},
    )


def remembered_page(remembered: Mapping[str, Any], position: dict[str, Any]) -> Page:
    """The page a 304 stands for: no entries to read again, the ids and next position remembered."""
    following = remembered.get("next")
    ids = remembered.get("ids")
    return Page(
        (), dict(following) if isinstance(following, Mapping) else None, position, not_modified=True,
        entry_ids=tuple(str(i) for i in ids) if isinstance(ids, list) else (),
    )


class Registry(ABC):
    """One registry: how to walk its listing from a position and how to read more about an entry."""

    name: str
    default_url: str
    incremental: bool = False
    """True when the listing filters by `since` itself (updated_since)."""

    def base_url(self) -> str:
        """Where the registry lives unless --registry-url says otherwise."""
        return self.default_url

    @abstractmethod
    def pages(
        self, fetcher: PoliteFetcher, options: ListingOptions, start: dict[str, Any] | None
    ) -> AsyncIterator[Page]:
        """Pages from `start` (None: the beginning) to the end, each naming where the next begins."""

    async def detail(self, fetcher: PoliteFetcher, entry: RegistryEntry) -> RegistryEntry:
        """The entry completed from its detail endpoint (tools); the listing entry when there is none."""
        return entry


class PositionGuard:
    """Stops a walk whose next position repeats one already visited, or that never ends."""

    def __init__(self, registry: str, max_pages: int = MAX_PAGES) -> None:
        self.registry = registry
        self.max_pages = max_pages
        self._seen: set[str] = set()

    def check(self, position: Mapping[str, Any]) -> None:
        """Raise CrawlError when position was seen before in this walk."""
        marker = repr(sorted(position.items()))
        if marker in self._seen:
            shown = ", ".join(f"{key}={value!r}" for key, value in sorted(position.items()))
            raise CrawlError(
                f"{self.registry} registry repeated a page position ({shown[:200]}); stopping to avoid a loop"
            )
        if len(self._seen) >= self.max_pages:
            raise CrawlError(f"{self.registry} registry listed more than {self.max_pages} pages; stopping")
        self._seen.add(marker)


def text_or_none(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value.strip() else None


def objects(value: object) -> list[Mapping[str, Any]]:
    """The objects of a JSON list (other items dropped); [] for anything that is not a list."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def require_list(body: object, field_name: str, where: str) -> list[Any]:
    """body[field_name] as a list, or CrawlError naming the layout change."""
    value = body.get(field_name) if isinstance(body, Mapping) else None
    if not isinstance(value, list):
        raise CrawlError(f"{where} answered without a `{field_name}` list: the API may have changed")
    return value


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp, or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def mapping(value: object) -> Mapping[str, Any]:
    """value when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


async def walk(
    registry: str,
    fetcher: PoliteFetcher,
    options: ListingOptions,
    position: dict[str, Any],
    url_for: Callable[[dict[str, Any]], str],
    parse: Callable[[Any, dict[str, Any], str], Page],
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[Page]:
    """Follow a JSON listing from `position` until a page names no next position.

    `url_for` turns a position into a page URL; `parse` turns a page body into a Page. A
    position seen twice stops the walk with a CrawlError instead of looping.
    """
    guard = PositionGuard(registry)
    while True:
        guard.check(position)
        url = url_for(position)
        listed = await fetch_listing(fetcher, registry, url, options, headers)
        if listed.remembered is not None:
            page = remembered_page(listed.remembered, position)
        else:
            page = parse(listed.body, position, url)
            remember_page(options, registry, url, listed, page)
        yield page
        if page.next_position is None:
            return
        position = page.next_position
