"""mcpServers config files as live specs, and crawling many servers where one failure spares the rest."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest

from catalog.errors import ConfigError
from catalog.records import CrawlFailure, CrawlResult
from crawler.http import build_client
from crawler.source import CrawlContext
from crawler.sources.live import LiveSource
from crawler.sources.live_spec import HttpServer, StdioServer, Timeouts, Transport
from crawler.sources.live_target import sources_from_config
from crawler.sources.mcp_config import ConfiguredServer, crawl_many, parse_config, read_config

MISBEHAVING = Path(__file__).resolve().parents[2] / "fixtures/servers/misbehaving.py"


def test_config_entries_become_stdio_http_and_sse_specs_in_file_order() -> None:
    config = {
        "mcpServers": {
            "memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"], "env": {"K": "v"}},
            "remote": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer t"}},
            "legacy": {"type": "sse", "url": "https://host/sse"},
            "off": {"command": "x", "disabled": True},
        }
    }
    assert parse_config(config) == [
        ConfiguredServer(
            name="memory",
            spec=StdioServer(command=("npx", "-y", "@modelcontextprotocol/server-memory"), name="memory", env=(("K", "v"),)),
        ),
        ConfiguredServer(
            name="remote",
            spec=HttpServer(url="https://mcp.example.com/mcp", headers=(("Authorization", "Bearer t"),)),
        ),
        ConfiguredServer(name="legacy", spec=HttpServer(url="https://host/sse", transport=Transport.SSE)),
    ]


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"servers": {}}, 'servers.json: no "mcpServers" object'),
        ({"mcpServers": {"a": 1}}, "servers.json: server 'a' is not an object"),
        ({"mcpServers": {"a": {"args": []}}}, "servers.json: server 'a': has neither a command nor a url"),
        ({"mcpServers": {"a": {"command": "x", "args": "y"}}}, "servers.json: server 'a': args must be a list of strings"),
        ({"mcpServers": {"a": {"command": "x", "env": {"K": 1}}}}, "servers.json: server 'a': env must map strings to strings"),
        ({"mcpServers": {"a": {"url": "https://h", "type": "ws"}}}, "servers.json: server 'a': unknown type 'ws' (expected sse or http)"),
    ],
)
def test_bad_config_entry_is_a_config_error_naming_it(tmp_path: Path, config: object, reason: str) -> None:
    path = tmp_path / "servers.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    assert str(caught.value) == reason.replace("servers.json", str(path))


def test_config_that_is_not_json_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    path.write_text("{mcpServers", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"servers\.json: not valid JSON \(Expecting property name"):
        read_config(path)


def test_one_failing_server_is_a_failure_and_the_others_complete(tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    entry = {"command": sys.executable, "args": [str(MISBEHAVING)]}
    config = {
        "mcpServers": {
            "rich": {**entry, "args": [*entry["args"], "rich"]},
            "dies": {**entry, "args": [*entry["args"], "exit-mid-listing"]},
            "pages": {**entry, "args": [*entry["args"], "many-pages"]},
        }
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    sources = sources_from_config(path, timeouts=Timeouts(start=5, initialize=5, page=5))

    async def run() -> list[CrawlResult | CrawlFailure]:
        async with build_client() as http:
            return [outcome async for outcome in crawl_many(sources, CrawlContext(http=http), concurrency=2)]

    outcomes = anyio.run(run)
    results = sorted((o.server.key, len(o.tools)) for o in outcomes if isinstance(o, CrawlResult))
    failures = [o for o in outcomes if isinstance(o, CrawlFailure)]
    assert results == [("stdio:pages", 5000), ("stdio:rich", 3)]
    assert failures == [
        CrawlFailure(
            target=f"{path}#dies",
            server_key="stdio:dies",
            stage="list",
            reason="server exited with code 3 during tools/list: "
            "loading page 2 | fatal: lost the connection to the records database",
        )
    ]


def test_crawl_many_refuses_zero_concurrency() -> None:
    source = LiveSource(StdioServer(command=("true",)))

    async def run() -> None:
        async with build_client() as http:
            async for _ in crawl_many([source], CrawlContext(http=http), concurrency=0):
                pass

    with pytest.raises(ConfigError, match="concurrency must be at least 1"):
        anyio.run(run)
