"""mcp.so, a directory with no API: listing pages of server cards, detail pages with install JSON.

Cards are links to `/server/<name>/<owner>` holding a heading and a description; pagination is
a link to the next `?page=`. Detail pages link the repository and show an `mcpServers` config in
a code block, which names the package (`npx -y pkg`, `uvx pkg`) or remote URL. A page where none
of this can be found is a layout change and a clear failure, never an empty listing.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from catalog.errors import CrawlError
from crawler.registries.base import (
    ListingOptions,
    PackageRef,
    Page,
    PositionGuard,
    Registry,
    RegistryEntry,
    Remote,
    mapping,
    text_or_none,
)
from crawler.registries.identity import normalise_repo_url
from crawler.registries.polite import PoliteFetcher

_CARD_PATH = re.compile(r"^/server/(?P<name>[^/?#]+)/(?P<owner>[^/?#]+)/?$")
_RUNNERS = {"npx": "npm", "bunx": "npm", "pnpx": "npm", "uvx": "pypi", "pipx": "pypi"}


class McpSoRegistry(Registry):
    """mcp.so's HTML listing, read politely (robots.txt) and strictly (layout changes fail)."""

    name = "mcpso"
    default_url = "https://mcp.so"
    detail_for_identity = True

    async def pages(
        self, fetcher: PoliteFetcher, options: ListingOptions, start: dict[str, Any] | None
    ) -> AsyncIterator[Page]:
        guard = PositionGuard(self.name)
        number = int(start.get("page", 1)) if start else 1
        base = options.base_url.rstrip("/")
        while True:
            position = {"page": number}
            guard.check(position)
            url = f"{base}/servers?page={number}"
            tree = HTMLParser(await fetcher.get_html(url))
            entries = listing_entries(tree, base)
            has_next = _has_next(tree, number)
            if not entries and (number == 1 or has_next or not _looks_like_listing(tree)):
                raise CrawlError(
                    f"mcp.so page {url} shows no server cards: the page layout may have changed"
                )
            following = {"page": number + 1} if has_next and entries else None
            yield Page(entries, following, position, entry_ids=tuple(e.origin_value for e in entries))
            if following is None:
                return
            number += 1

    async def detail(self, fetcher: PoliteFetcher, entry: RegistryEntry) -> RegistryEntry:
        """The entry with the repository, packages and remotes its detail page shows."""
        if entry.detail_url is None:
            return entry
        tree = HTMLParser(await fetcher.get_html(entry.detail_url))
        if tree.css_first("h1") is None:
            raise CrawlError(f"mcp.so detail page {entry.detail_url} has no heading: the layout may have changed")
        packages, remotes = install_targets(tree)
        return RegistryEntry(
            **{
                **entry.__dict__,
                "repository_url": repository_link(tree) or entry.repository_url,
                "packages": packages,
                "remotes": remotes,
            }
        )


def listing_entries(tree: HTMLParser, base: str) -> tuple[RegistryEntry, ...]:
    """One entry per distinct server card link on a listing page."""
    seen: dict[str, RegistryEntry] = {}
    for link in tree.css("a[href]"):
        href = link.attributes.get("href") or ""
        match = _CARD_PATH.match(urlsplit(href).path) if href else None
        if match is None or urlsplit(urljoin(base + "/", href)).netloc != urlsplit(base).netloc:
            continue
        entry_id = f"{match['name']}/{match['owner']}"
        if entry_id in seen:
            continue
        title = _text(link.css_first("h2, h3, h4, .title")) or match["name"]
        seen[entry_id] = RegistryEntry(
            registry="mcpso",
            entry_id=entry_id,
            name=match["name"],
            title=title,
            description=_text(link.css_first("p")),
            link=f"https://mcp.so/server/{entry_id}",
            detail_url=urljoin(base + "/", href.lstrip("/")),
        )
    return tuple(seen.values())


def _has_next(tree: HTMLParser, number: int) -> bool:
    wanted = re.compile(rf"[?&]page={number + 1}(?:&|$)")
    for link in tree.css("a[href]"):
        href = link.attributes.get("href") or ""
        if link.attributes.get("rel") == "next" or wanted.search(href):
            return True
    return False


def _looks_like_listing(tree: HTMLParser) -> bool:
    """An empty page past the end still has the site's pagination or an empty-state message."""
    return tree.css_first("nav[aria-label*=pagination i], .pagination, [data-empty]") is not None


def _text(node: Node | None) -> str | None:
    return text_or_none(" ".join(node.text(separator=" ").split())) if node is not None else None


def repository_link(tree: HTMLParser) -> str | None:
    """The first link to a GitHub repository on a detail page."""
    for link in tree.css("a[href]"):
        repo = normalise_repo_url(link.attributes.get("href"))
        if repo is not None and repo.is_github:
            return link.attributes.get("href")
    return None


def install_targets(tree: HTMLParser) -> tuple[tuple[PackageRef, ...], tuple[Remote, ...]]:
    """Packages and remotes named by the `mcpServers` JSON in the page's code blocks."""
    packages: list[PackageRef] = []
    remotes: list[Remote] = []
    for block in tree.css("pre, code"):
        config = _servers_config(block.text())
        for server in config.values():
            spec = mapping(server)
            url = text_or_none(spec.get("url"))
            if url:
                needs = bool(mapping(spec.get("headers")))
                remotes.append(Remote(url=url, transport=str(spec.get("type") or "streamable-http"),
                                      needs_credentials=needs))
            package = _package(spec)
            if package is not None and package not in packages:
                packages.append(package)
        if config:
            break
    return tuple(packages), tuple(remotes)


def _servers_config(text: str) -> Mapping[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return mapping(mapping(parsed).get("mcpServers"))


def _package(spec: Mapping[str, Any]) -> PackageRef | None:
    command = text_or_none(spec.get("command"))
    args = [str(arg) for arg in spec.get("args", []) if isinstance(arg, (str, int))] if isinstance(
        spec.get("args"), list
    ) else []
    if command is None:
        return None
    words = shlex.split(command) + args if " " in command else [command, *args]
    kind = _RUNNERS.get(words[0].rsplit("/", 1)[-1])
    names = [word for word in words[1:] if not word.startswith("-")]
    if kind is None or not names:
        return None
    name, version = _split_version(names[0], kind)
    return PackageRef(kind, name, version)


def _split_version(spec: str, kind: str) -> tuple[str, str | None]:
    if kind == "pypi":
        name, _, version = spec.partition("==")
        return name, version or None
    at = spec.rfind("@")
    if at > 0:
        return spec[:at], spec[at + 1:] or None
    return spec, None
