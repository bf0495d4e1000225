"""Smithery, PulseMCP, npm search and mcp.so against loopback registries; the per-host limiter."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import pytest

from catalog.errors import ConfigError, CrawlError
from crawler.http import build_client
from crawler.registries.base import PackageRef, Registry, Remote
from crawler.registries.mcpso import McpSoRegistry
from crawler.registries.npm_search import NpmSearchRegistry
from crawler.registries.polite import HostLimiter
from crawler.registries.pulsemcp import PulseMcpRegistry
from crawler.registries.smithery import SmitheryRegistry
from crawler.registries.source import ListedServer, RegistryOptions, RegistrySource
from crawler.source import CrawlContext, MemoryState
from tests.crawler.registries.mock import MockRegistry, Reply, Request, json_reply


def walk(registry: Registry, url: str, **options: Any) -> list[ListedServer]:
    source = RegistrySource(registry, RegistryOptions(base_url=url, rate=0, **{"servers_only": True, **options}))

    async def go() -> list[ListedServer]:
        async with build_client(timeout=5) as http:
            return [item async for item in source.items(CrawlContext(http=http, state=MemoryState()))]

    return asyncio.run(go())


def test_smithery_pages_by_number_with_the_bearer_key_and_reads_tools_from_details(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMITHERY_API_KEY", "sk-test")
    servers = [{"qualifiedName": f"@acme/s{i}", "displayName": f"S{i}", "description": "d", "useCount": 3,
                "homepage": "https://github.com/acme/s0" if i == 0 else "https://acme.example"} for i in range(3)]
    tool = {"name": "lookup", "description": "Look a thing up", "inputSchema": {"type": "object"}}

    def answer(request: Request) -> Reply:
        if request.path.startswith("/repos/"):  # GITHUB_API_URL points here: no such repository
            return json_reply({"message": "Not Found"}, status=404)
        if request.path.startswith("/servers/"):
            name = request.path.removeprefix("/servers/")
            return json_reply({"qualifiedName": name, "tools": [tool] if name == "@acme/s1" else None})
        page, size = int(request.query["page"]), int(request.query["pageSize"])
        chunk = servers[(page - 1) * size:page * size]
        return json_reply({"servers": chunk, "pagination": {"currentPage": page, "pageSize": size,
                                                            "totalPages": 2, "totalCount": 3}})

    with MockRegistry(answer) as mock:
        monkeypatch.setenv("GITHUB_API_URL", mock.url)
        items = walk(SmitheryRegistry(), mock.url, page_size=2, servers_only=False)
    assert [(i.entry.entry_id, i.way, [t.name for t in i.result.tools]) for i in items] == [
        ("@acme/s0", "none", []), ("@acme/s1", "registry", ["lookup"]), ("@acme/s2", "none", [])]
    assert {r.headers.get("authorization") for r in mock.seen if not r.path.startswith("/repos/")} == {
        "Bearer sk-test"}
    assert items[0].result.server.key == "github:acme/s0"


def test_smithery_without_a_key_says_which_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMITHERY_API_KEY", raising=False)
    with pytest.raises(ConfigError) as raised:
        walk(SmitheryRegistry(), "http://127.0.0.1:9")
    assert str(raised.value) == "Smithery's registry API needs an API key: set SMITHERY_API_KEY"


def test_pulsemcp_follows_next_offsets_and_reads_packages_and_open_remotes() -> None:
    servers = [{"name": "Weather", "url": "https://www.pulsemcp.com/servers/acme-weather",
                "short_description": "forecasts", "source_code_url": "https://github.com/acme/weather",
                "package_registry": "npm", "package_name": "acme-weather",
                "remotes": [{"url_direct": "https://w.example/mcp", "transport": "streamable_http",
                             "authentication_method": "open"}]},
               {"name": "Mail", "url": "https://www.pulsemcp.com/servers/acme-mail", "short_description": None}]

    def answer(request: Request) -> Reply:
        offset, count = int(request.query["offset"]), int(request.query["count_per_page"])
        following = offset + count
        next_url = f"https://api.pulsemcp.com/v0beta/servers?count_per_page={count}&offset={following}"
        return json_reply({"servers": servers[offset:following], "total_count": 2,
                           "next": next_url if following < len(servers) else None})

    with MockRegistry(answer) as mock:
        items = walk(PulseMcpRegistry(), mock.url, page_size=1)
    first = items[0].entry
    assert [i.entry.entry_id for i in items] == ["acme-weather", "acme-mail"]
    assert (first.packages, first.remotes) == ((PackageRef("npm", "acme-weather"),),
                                               (Remote("https://w.example/mcp", "streamable-http", False),))
    assert mock.seen[0].headers["user-agent"].startswith("catalog/")


def test_npm_search_stops_at_the_total_and_keys_packages_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    packages = [{"package": {"name": f"mcp-thing-{i}", "version": "0.1.0", "description": "x",
                             "links": {"npm": f"https://www.npmjs.com/package/mcp-thing-{i}"}}} for i in range(5)]

    def answer(request: Request) -> Reply:
        start, size = int(request.query["from"]), int(request.query["size"])
        return json_reply({"objects": packages[start:start + size], "total": 5, "time": "now"})

    with MockRegistry(answer) as mock:
        monkeypatch.setenv("npm_config_registry", mock.url)
        items = walk(NpmSearchRegistry(), NpmSearchRegistry().base_url(), page_size=2)
    assert [i.result.server.key for i in items] == [f"npm:mcp-thing-{i}" for i in range(5)]
    assert [r.query["from"] for r in mock.seen] == ["0", "2", "4"]
    assert mock.seen[0].query["text"] == "keywords:mcp"


def card(name: str, owner: str) -> str:
    return (f'<a href="/server/{name}/{owner}" class="card"><div><h3>{name.title()}</h3>'
            f"<p>{name} by {owner}</p></div></a>")


def listing(cards: list[str], page: int, last: int) -> str:
    pager = f'<a href="/servers?page={page + 1}">Next</a>' if page < last else ""
    return (f'<html><body><header><a href="/">MCP</a></header><main><div class="grid">{"".join(cards)}</div>'
            f'<nav aria-label="pagination">{pager}</nav></main></body></html>')


def detail(name: str, config: dict[str, Any]) -> str:
    return (f"<html><body><h1>{name}</h1><a href=\"https://github.com/acme/{name}\">GitHub</a>"
            f"<section><h2>Server Config</h2><pre><code>{json.dumps(config)}</code></pre></section></body></html>")


def mcpso_app(pages: dict[int, str], details: dict[str, str], robots: str = "User-agent: *\nAllow: /\n") -> Any:
    def answer(request: Request) -> Reply:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if request.path == "/robots.txt":
            return Reply(200, robots.encode(), {"Content-Type": "text/plain"})
        if request.path == "/servers":
            return Reply(200, pages[int(request.query.get("page", "1"))].encode(), html)
        return Reply(200, details[request.path].encode(), html) if request.path in details else Reply(404)
    return answer


def test_mcpso_reads_cards_pagination_and_install_json_of_detail_pages() -> None:
    pages = {1: listing([card("weather", "acme"), card("weather", "acme"), card("files", "acme")], 1, 2),
             2: listing([card("search", "bob")], 2, 2)}
    details = {
        "/server/weather/acme": detail("weather", {"mcpServers": {"w": {"command": "npx", "args": ["-y", "@acme/weather@1.2.0"]}}}),
        "/server/files/acme": detail("files", {"mcpServers": {"f": {"command": "uvx", "args": ["acme-files"]}}}),
        "/server/search/bob": detail("search", {"mcpServers": {"s": {"url": "https://s.example/mcp"}}}),
    }
    with MockRegistry(mcpso_app(pages, details)) as mock:
        items = walk(McpSoRegistry(), mock.url)
    assert [(i.entry.entry_id, i.entry.packages, i.entry.remotes, i.result.server.key) for i in items] == [
        ("weather/acme", (PackageRef("npm", "@acme/weather", "1.2.0"),), (), "github:acme/weather"),
        ("files/acme", (PackageRef("pypi", "acme-files"),), (), "github:acme/files"),
        ("search/bob", (), (Remote("https://s.example/mcp"),), "github:acme/search"),
    ]
    assert mock.paths()[0] == "/robots.txt"


def test_mcpso_with_a_changed_layout_fails_clearly_instead_of_listing_nothing() -> None:
    redesigned = '<html><body><div data-v2-list><span data-slug="weather">Weather</span></div></body></html>'
    with MockRegistry(mcpso_app({1: redesigned}, {})) as mock, pytest.raises(CrawlError) as raised:
        walk(McpSoRegistry(), mock.url)
    assert str(raised.value) == (
        f"mcp.so page {mock.url}/servers?page=1 shows no server cards: the page layout may have changed")


def test_mcpso_honours_robots_txt() -> None:
    with MockRegistry(mcpso_app({}, {}, robots="User-agent: *\nDisallow: /servers\n")) as mock, \
            pytest.raises(CrawlError) as raised:
        walk(McpSoRegistry(), mock.url)
    assert str(raised.value) == f"robots.txt of {mock.url.removeprefix('http://')} disallows /servers"
    assert mock.paths() == ["/robots.txt"]


def test_host_limiter_spaces_request_starts_at_the_rate() -> None:
    limiter = HostLimiter(rate=20, concurrency=4)
    starts: list[float] = []

    async def one() -> None:
        async with limiter.slot("http://registry.example/x"):
            starts.append(time.monotonic())

    async def go() -> None:
        await asyncio.gather(*(one() for _ in range(5)))

    asyncio.run(go())
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 4 and all(gap >= 0.045 for gap in gaps)
