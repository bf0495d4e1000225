"""The official MCP Registry walk against a loopback registry: paging pitfalls, retries, broken answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

import crawler.http
from catalog.errors import CrawlError, RateLimited
from crawler.http import build_client
from crawler.registries.base import PackageRef, RegistryEntry, Remote
from crawler.registries.official import OfficialRegistry, server_entry
from crawler.registries.source import ListedServer, RegistryOptions, RegistrySource, walk_key
from crawler.source import CrawlContext, MemoryState
from tests.crawler.registries.mock import (
    MockRegistry,
    OfficialApp,
    Reply,
    json_reply,
    official_server,
)


def instant_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(crawler.http, "sleep", record)
    return waits


def walk(url: str, state: MemoryState | None = None, **options: Any) -> list[ListedServer]:
    source = RegistrySource(
        OfficialRegistry(), RegistryOptions(base_url=url, servers_only=True, rate=0, **options)
    )

    async def go() -> list[ListedServer]:
        async with build_client(timeout=5) as http:
            context = CrawlContext(http=http, state=state or MemoryState())
            return [item async for item in source.items(context)]

    return asyncio.run(go())


def names(items: list[ListedServer]) -> list[str]:
    return [item.entry.entry_id for item in items]


def test_total_a_multiple_of_the_page_size_ends_on_an_empty_page() -> None:
    app = OfficialApp([official_server(f"io.github.acme/s{i}") for i in range(6)])
    with MockRegistry(app) as mock:
        items = walk(mock.url, page_size=3)
    assert names(items) == [f"io.github.acme/s{i}" for i in range(6)]
    assert [r.query.get("cursor") for r in mock.seen] == [None, "io.github.acme/s2:1.0.0", "io.github.acme/s5:1.0.0"]


def test_cursors_with_slashes_and_colons_travel_intact_in_both_spellings() -> None:
    for old_spelling in (False, True):
        app = OfficialApp([official_server(f"com.example:team/srv-{i}") for i in range(5)], old_spelling=old_spelling)
        with MockRegistry(app) as mock:
            items = walk(mock.url, page_size=2)
        assert len(items) == 5
        assert [r.query.get("cursor") for r in mock.seen] == [
            None, "com.example:team/srv-1:1.0.0", "com.example:team/srv-3:1.0.0"
        ]


def test_listing_asks_for_latest_versions_in_pages_of_at_most_100() -> None:
    app = OfficialApp([official_server("io.github.acme/one")])
    with MockRegistry(app) as mock:
        walk(mock.url, page_size=500)
    assert mock.seen[0].query == {"limit": "100", "version": "latest"}


def test_429_with_retry_after_is_waited_out_then_the_walk_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    app = OfficialApp([official_server(f"io.github.acme/s{i}") for i in range(3)])
    app.faults[2] = json_reply({"error": "slow down"}, status=429, headers={"Retry-After": "7"})
    with MockRegistry(app) as mock:
        items = walk(mock.url, page_size=2)
    assert (len(items), waits, len(mock.seen)) == (3, [7.0], 3)


def test_429_asking_for_too_long_a_wait_is_reported_as_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    instant_sleeps(monkeypatch)
    app = OfficialApp([official_server("io.github.acme/s")])
    app.faults[1] = json_reply({"error": "later"}, status=429, headers={"Retry-After": "3600"})
    with MockRegistry(app) as mock, pytest.raises(RateLimited) as raised:
        walk(mock.url)
    assert str(raised.value) == f"{mock.url.removeprefix('http://')} is rate limiting us (HTTP 429); retry after 3600 s"


def test_a_burst_of_5xx_is_retried_with_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    app = OfficialApp([official_server("io.github.acme/s")])
    for number in (1, 2, 3):
        app.faults[number] = Reply(503, b"upstream busy")
    with MockRegistry(app) as mock:
        items = walk(mock.url)
    assert names(items) == ["io.github.acme/s"]
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]


def test_truncated_json_is_a_clear_failure_and_the_walk_resumes_at_that_page() -> None:
    app = OfficialApp([official_server(f"io.github.acme/s{i}") for i in range(4)])
    state = MemoryState()
    with MockRegistry(app) as mock:
        app.faults[2] = Reply(200, b'{"servers": [{"server": {"name": "io.github.acme/s2"', {"Content-Type": "application/json"})
        with pytest.raises(CrawlError) as raised:
            walk(mock.url, state, page_size=2)
        assert str(raised.value).startswith(f"answer of {mock.url}/v0.1/servers?limit=2&version=latest&cursor=")
        assert "is truncated JSON" in str(raised.value)
        assert (state.get_state(walk_key("official")) or {}).get("position") == {"cursor": "io.github.acme/s1:1.0.0"}
        resumed = walk(mock.url, state, page_size=2)
    assert names(resumed) == ["io.github.acme/s2", "io.github.acme/s3"]
    assert (state.get_state(walk_key("official")) or {}).get("done") is True


def test_a_cursor_that_repeats_stops_the_walk_instead_of_looping() -> None:
    def same_cursor_forever(request: Any) -> Reply:
        return json_reply({"servers": [official_server("io.github.acme/loop")], "metadata": {"nextCursor": "again"}})

    with MockRegistry(same_cursor_forever) as mock, pytest.raises(CrawlError) as raised:
        walk(mock.url)
    assert str(raised.value) == (
        "official registry repeated a page position (cursor='again'); stopping to avoid a loop"
    )
    assert [r.query.get("cursor") for r in mock.seen] == [None, "again"]


def test_an_answer_without_servers_list_names_the_api_change() -> None:
    with MockRegistry(lambda request: json_reply({"items": []})) as mock, pytest.raises(CrawlError) as raised:
        walk(mock.url)
    assert str(raised.value) == (
        f"{mock.url}/v0.1/servers?limit=100&version=latest answered without a `servers` list: the API may have changed"
    )


def test_server_json_fields_and_official_meta_become_an_entry() -> None:
    item = official_server(
        "io.github.acme/weather", version="2.1.0", status="deprecated", updated="2026-11-02T10:00:00Z",
        repository="https://github.com/Acme/Weather.git", subfolder="servers/weather", npm="@acme/weather",
        remote="https://weather.example.com/mcp", remote_needs_key=True,
    )
    entry = server_entry(item)
    assert entry == RegistryEntry(
        registry="official", entry_id="io.github.acme/weather", name="io.github.acme/weather",
        description="The weather server", version="2.1.0", repository_url="https://github.com/Acme/Weather.git",
        subfolder="servers/weather", packages=(PackageRef("npm", "@acme/weather", "2.1.0"),),
        remotes=(Remote("https://weather.example.com/mcp", "streamable-http", needs_credentials=True),),
        status="deprecated", updated_at=entry.updated_at, mcp_name="io.github.acme/weather",
    )
    assert entry.updated_at is not None and entry.updated_at.isoformat() == "2026-11-02T10:00:00+00:00"


def test_updated_since_is_sent_in_rfc3339_utc() -> None:
    app = OfficialApp([official_server("io.github.acme/old"), official_server("io.github.acme/new", updated="2026-11-05T00:00:00Z")])
    with MockRegistry(app) as mock:
        items = walk(mock.url, since=datetime(2026, 11, 1, tzinfo=UTC))
    assert names(items) == ["io.github.acme/new"]
    assert mock.seen[0].query["updated_since"] == "2026-11-01T00:00:00Z"
