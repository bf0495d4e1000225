"""The site's HTML pages as (path, template, data): tool, server, home, category listings, A–Z, search."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from catalog.records import Access, Capability, Risk, StoredTool
from catalog.site.model import SiteMap, risk_rank
from catalog.site.policies import Policies
from catalog.site.text import ascii_fold, clean, snippet
from catalog.site.views import server_view, tool_row, tool_view

PAGE_SIZE = 100
RECENT_DAYS = 30
RECENT_SHOWN = 12
SITE_NAME = "MCP tool catalog"
_INTROS = {
    "access": "Tools the catalog classifies as {value}.",
    "risk": "Tools of {value} risk.",
    "capability": "Tools that can reach this capability: {value}.",
}


@dataclass(frozen=True)
class Page:
    """One output file: rendered from a template and its data, or given as bytes."""

    path: str
    template: str | None = None
    context: dict[str, Any] | None = None
    content: bytes | None = None


def root_of(path: str) -> str:
    """The relative prefix from a page back to the site root: `./`, `../`, `../../`."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def html_page(path: str, template: str, title: str, description: str, base_url: str | None,
              **data: Any) -> Page:
    """A page whose common head data (title, description, canonical URL, root prefix) is filled in."""
    canonical = f"{base_url}{path.removesuffix('index.html')}" if base_url else None
    head = {"title": title, "description": snippet(description, 200), "canonical": canonical, "path": path}
    return Page(path, template, {"page": head, "root": root_of(path), **data})


def tool_pages(site: SiteMap, policies: Policies, base_url: str | None) -> Iterator[Page]:
    """One page per tool."""
    servers = {server.key: server for server in site.servers}
    for index in range(len(site.tools)):
        view = tool_view(index, site, policies, servers)
        title = f"{view['name']} ({view['server']})"
        description = (f"{view['name']}: a {view['access'] or 'unclassified'} MCP tool of "
                       f"{view['risk'] or 'unknown'} risk. {view['summary']}")
        yield html_page(f"{view['url']}index.html", "tool.html", title, description, base_url, tool=view)


def server_pages(site: SiteMap, policies: Policies, base_url: str | None) -> Iterator[Page]:
    """One page per server."""
    for server in site.servers:
        view = server_view(server, site, policies)
        description = f"{view['name']}: {view['tool_count']} MCP tools with risk and recommended policies."
        path = f"{site.server_path(server.key)}index.html"
        yield html_page(path, "server.html", f"{view['name']} MCP server", description, base_url, server=view)


def listing_pages(kind: str, value: str, tools: Sequence[StoredTool], site: SiteMap,
                  base_url: str | None) -> Iterator[Page]:
    """A category's tools, PAGE_SIZE per page: `kind/value/`, then `kind/value/2/`, ..."""
    chunks = [tools[n:n + PAGE_SIZE] for n in range(0, len(tools), PAGE_SIZE)] or [[]]
    urls = [f"{kind}/{value}/" + (f"{n}/" if n > 1 else "") for n in range(1, len(chunks) + 1)]
    for number, chunk in enumerate(chunks, 1):
        pager = {"current": number, "total": len(chunks),
                 "prev": urls[number - 2] if number > 1 else None,
                 "next": urls[number] if number < len(chunks) else None,
                 "pages": [{"number": n, "url": url} for n, url in enumerate(urls, 1)]}
        heading = f"{value} tools" if kind != "capability" else f"Capability: {value}"
        yield html_page(f"{urls[number - 1]}index.html", "listing.html", heading,
                        _INTROS[kind].format(value=value), base_url,
                        heading=heading, intro=_INTROS[kind].format(value=value), count=len(tools),
                        rows=[tool_row(t, site) for t in chunk], pager=pager)


def category_pages(site: SiteMap, base_url: str | None) -> Iterator[Page]:
    """Listings per access class, risk level and capability."""
    for access in Access:
        yield from listing_pages("access", access.value, site.by_access(access), site, base_url)
    for risk in Risk:
        yield from listing_pages("risk", risk.value, site.by_risk(risk), site, base_url)
    for capability in Capability:
        yield from listing_pages("capability", capability.value, site.by_capability(capability), site, base_url)


def _recent_riskiest(site: SiteMap) -> list[StoredTool]:
    if not site.tools:
        return []
    newest = max(item.first_seen for item in site.tools)
    recent = [t for t in site.tools if t.first_seen >= newest - timedelta(days=RECENT_DAYS) and risk_rank(t)]
    return sorted(recent, key=lambda t: (-risk_rank(t), -t.first_seen.timestamp()))[:RECENT_SHOWN]


def home_page(site: SiteMap, base_url: str | None) -> Page:
    """Totals, the riskiest recent additions, and the ways into the catalog."""
    counts = {
        "access": [{"value": a.value, "count": len(site.by_access(a))} for a in Access],
        "risk": [{"value": r.value, "count": len(site.by_risk(r))} for r in Risk],
        "capability": [{"value": c.value, "count": len(site.by_capability(c))} for c in Capability],
    }
    total = f"{len(site.tools)} tools catalogued across {len(site.servers)} servers"
    return html_page("index.html", "home.html", SITE_NAME, f"{total}, each with its risk and a gateway policy.",
                     base_url, total=total, counts=counts,
                     recent=[tool_row(t, site) for t in _recent_riskiest(site)])


def servers_index_page(site: SiteMap, base_url: str | None) -> Page:
    """Every server, A to Z, grouped by initial."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for server in sorted(site.servers, key=lambda s: (ascii_fold(s.name).lower(), s.key)):
        initial = ascii_fold(server.name)[:1].upper()
        groups[initial if initial.isalpha() else "#"].append(
            {"name": clean(server.name, 200), "key": clean(server.key, 300),
             "url": site.server_path(server.key), "tools": len(site.by_server.get(server.key, []))})
    letters = [{"letter": letter, "anchor": "other" if letter == "#" else letter.lower(), "servers": groups[letter]}
               for letter in sorted(groups, key=lambda g: (g == "#", g))]
    return html_page("servers/index.html", "servers.html", "Servers A–Z",
                     f"All {len(site.servers)} catalogued MCP servers.", base_url, letters=letters)


def search_page(base_url: str | None) -> Page:
    """The search page; its script reads the static index under search/."""
    return html_page("search/index.html", "search.html", "Search",
                     "Search MCP tools and servers by name and description.", base_url)


def html_pages(site: SiteMap, policies: Policies, base_url: str | None) -> Iterator[Page]:
    """Every HTML page of the site."""
    yield home_page(site, base_url)
    yield servers_index_page(site, base_url)
    yield search_page(base_url)
    yield from category_pages(site, base_url)
    yield from server_pages(site, policies, base_url)
    yield from tool_pages(site, policies, base_url)
