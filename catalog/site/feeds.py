"""Files for crawlers and agents: the Atom feed of definition changes, sitemaps, robots.txt, llms.txt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from catalog.records import StoredTool
from catalog.site.model import SiteMap, key_of
from catalog.site.pages import SITE_NAME, Page
from catalog.site.policies import Policies
from catalog.site.schema import parameter_rows
from catalog.site.text import clean, snippet

FEED_ENTRIES = 200
SITEMAP_LIMIT = 50_000
"""The sitemaps protocol's cap on URLs per file; more go into numbered files under a sitemap index."""
_NAMESPACE = uuid.UUID("6f9e4f2a-3c1b-5d7e-9a0b-2c4d6e8f0a1b")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(path: str, base_url: str | None) -> str:
    return f"{base_url}{path}" if base_url else path


def feed_entries(site: SiteMap, base_url: str | None) -> list[dict[str, Any]]:
    """The newest definition events (a tool added, a definition changed), newest first."""
    events: list[tuple[datetime, int, str, dict[str, Any]]] = []
    for order, item in enumerate(site.tools):
        key = key_of(item)
        versions = site.data.histories.get(key, ())
        for number, version in enumerate(versions):
            verb = "added" if number == 0 else "changed"
            name, server = clean(item.tool.name, 200), clean(item.server_name, 200)
            text = snippet(str(version.definition.get("description") or ""), 400)
            identity = "\0".join((key[0], key[1], version.definition_hash))
            events.append((version.first_seen, order, version.definition_hash, {
                "id": f"urn:uuid:{uuid.uuid5(_NAMESPACE, identity)}",
                "title": f"{name} on {server} {verb}",
                "updated": _stamp(version.first_seen),
                "link": _link(site.tool_path(key), base_url),
                "summary": text or f"{name} has no description.",
            }))
    events.sort(key=lambda e: (-e[0].timestamp(), e[1], e[2]))
    return [event[3] for event in events[:FEED_ENTRIES]]


def feed_page(site: SiteMap, base_url: str | None) -> Page:
    """feed.xml: Atom 1.0; its `updated` is the newest entry's date, so equal catalogs give equal feeds."""
    entries = feed_entries(site, base_url)
    feed = {
        "id": _link("feed.xml", base_url) if base_url else f"urn:uuid:{uuid.uuid5(_NAMESPACE, 'feed')}",
        "title": f"{SITE_NAME}: definition changes",
        "updated": entries[0]["updated"] if entries else _stamp(_EPOCH),
        "self": _link("feed.xml", base_url),
        "home": _link("", base_url) or "./",
    }
    return Page("feed.xml", "feed.xml", {"feed": feed, "entries": entries})


def sitemap_pages(html_paths: list[str], lastmod: dict[str, str], base_url: str | None,
                  limit: int = SITEMAP_LIMIT) -> list[Page]:
    """sitemap.xml with absolute URLs, only when a base URL is known (the protocol requires absolute URLs)."""
    if not base_url:
        return []
    urls = [{"loc": f"{base_url}{path.removesuffix('index.html')}", "lastmod": lastmod.get(path)}
            for path in sorted(html_paths)]
    chunks = [urls[n:n + limit] for n in range(0, len(urls), limit)] or [[]]
    if len(chunks) == 1:
        return [Page("sitemap.xml", "sitemap.xml", {"urls": chunks[0]})]
    parts = [Page(f"sitemap-{n}.xml", "sitemap.xml", {"urls": chunk}) for n, chunk in enumerate(chunks, 1)]
    index = Page("sitemap.xml", "sitemap-index.xml", {"sitemaps": [f"{base_url}{p.path}" for p in parts]})
    return [index, *parts]


def robots_txt(base_url: str | None) -> bytes:
    """Everything may be crawled; the sitemap is named when its absolute URL is known."""
    lines = ["User-agent: *", "Allow: /"]
    if base_url:
        lines.append(f"Sitemap: {base_url}sitemap.xml")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _markdown_text(text: str) -> str:
    """Crawled text on one line with the characters that would start Markdown links escaped."""
    flat = " ".join(clean(text, 4000).split())
    return flat.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;")


def llms_txt(site: SiteMap, base_url: str | None) -> bytes:
    """llms.txt (llmstxt.org): what the site is, and links to every server and the machine-readable files."""
    lines = [
        f"# {SITE_NAME}", "",
        f"> {len(site.tools)} MCP tools catalogued across {len(site.servers)} servers, each classified read, "
        "write or destructive with a risk level and a recommended gateway policy.", "",
        "Crawled names and descriptions are untrusted text quoted from the servers.", "",
        "## Data", "",
        f"- [API index]({_link('api/index.json', base_url)}): every server and tool with its JSON file",
        f"- [Definition changes]({_link('feed.xml', base_url)}): Atom feed", "",
        "## Servers", "",
    ]
    for server in site.servers:
        count = len(site.by_server.get(server.key, []))
        lines.append(f"- [{_markdown_text(server.name)}]({_link(site.server_path(server.key), base_url)}): "
                     f"{count} tools; {_markdown_text(server.key)}")
    lines += ["", "## Optional", "",
              f"- [Full text]({_link('llms-full.txt', base_url)}): every tool with its description, "
              "classification, parameters and recommended action"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _tool_section(item: StoredTool, policies: Policies) -> list[str]:
    verdict = item.classification
    action = policies.action(item)
    lines = [f"### {_markdown_text(item.tool.name)}", ""]
    if verdict:
        capabilities = ", ".join(c.value for c in verdict.capabilities) or "none"
        lines.append(f"Access: {verdict.access.value}. Risk: {verdict.risk.value}. Capabilities: {capabilities}.")
    if action:
        lines.append(f"Recommended action ({policies.profile.name}): {action.kind.value}.")
    if item.tool.description:
        lines.append(f"Description: {_markdown_text(item.tool.description)}")
    params = [f"{_markdown_text(r.path)} ({r.type}{', required' if r.required else ''})"
              for r in parameter_rows(item.tool.input_schema) if r.depth == 0]
    if params:
        lines.append("Parameters: " + "; ".join(params))
    return [*lines, ""]


def llms_full_txt(site: SiteMap, policies: Policies) -> bytes:
    """llms-full.txt: the whole catalog as Markdown text, server by server."""
    lines = [f"# {SITE_NAME}: full text", "",
             "> Every tool with its classification. Quoted descriptions are untrusted text.", ""]
    for server in site.servers:
        lines += [f"## {_markdown_text(server.name)} ({_markdown_text(server.key)})", ""]
        for item in site.by_server.get(server.key, []):
            lines += _tool_section(item, policies)
    return ("\n".join(lines) + "\n").encode("utf-8")

