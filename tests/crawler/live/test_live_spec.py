"""Server keys, URL normalisation, argument parsing, the scrubbed environment, and the CLI wiring."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.errors import ConfigError
from crawler.sources.live import LiveSource
from crawler.sources.live_spec import (
    HttpServer,
    StdioServer,
    Timeouts,
    Transport,
    normalise_url,
    parse_env,
    parse_headers,
    request_headers,
    server_key,
)
from crawler.sources.live_target import live_source_for
from crawler.sources.saved import SavedListingSource
from crawler.sources.stdio_process import scrubbed_environment


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("HTTPS://MCP.Example.COM/mcp/", "https://mcp.example.com/mcp"),
        ("https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp"),
        ("http://user:pw@127.0.0.1:8080/sse", "http://127.0.0.1:8080/sse"),
        ("https://h/mcp?api_key=s3cret&profile=eu&token=x#frag", "https://h/mcp?profile=eu"),
        ("https://h/", "https://h"),
    ],
)
def test_urls_normalise_without_secrets(url: str, normalised: str) -> None:
    assert normalise_url(url) == normalised


def test_non_http_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not an http\\(s\\) URL: 'ftp://h/x'"):
        normalise_url("ftp://h/x")


@pytest.mark.parametrize(
    ("command", "name", "key"),
    [
        (("npx", "-y", "@modelcontextprotocol/server-memory@2026.8.31"), None, "stdio:@modelcontextprotocol/server-memory"),
        (("uvx", "mcp-server-time==2026.10.19"), None, "stdio:mcp-server-time"),
        (("python", "-m", "mcp_server_git", "--repository", "."), None, "stdio:mcp_server_git"),
        (("node", "/opt/node_modules/@acme/crm-mcp/dist/index.js"), None, "stdio:@acme/crm-mcp"),
        (("/usr/local/bin/acme-mcp", "--stdio"), None, "stdio:acme-mcp"),
        (("npx", "-y", "@modelcontextprotocol/server-memory"), "memory", "stdio:memory"),
    ],
)
def test_stdio_key_is_the_given_name_or_the_package_run(command: tuple[str, ...], name: str | None, key: str) -> None:
    assert server_key(StdioServer(command=command, name=name)) == key


def test_env_and_header_arguments_parse_into_pairs() -> None:
    assert parse_env(["A=1", "B=x=y", "C="]) == (("A", "1"), ("B", "x=y"), ("C", ""))
    assert parse_headers(["Authorization: Bearer t", "X-Team:crm"]) == (("Authorization", "Bearer t"), ("X-Team", "crm"))


@pytest.mark.parametrize(("parse", "value"), [(parse_env, "NOEQUALS"), (parse_env, "1A=b"), (parse_headers, "no colon")])
def test_malformed_env_or_header_is_a_config_error(parse: object, value: str) -> None:
    with pytest.raises(ConfigError):
        parse([value])  # type: ignore[operator]


def test_bearer_token_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_TOKEN", "t0k")
    spec = HttpServer(url="https://h/mcp", headers=(("X-Team", "crm"),), bearer_token_env="ACME_TOKEN")
    assert request_headers(spec) == {"X-Team": "crm", "Authorization": "Bearer t0k"}
    monkeypatch.delenv("ACME_TOKEN")
    with pytest.raises(ConfigError, match="environment variable ACME_TOKEN is not set"):
        request_headers(spec)


def test_scrubbed_environment_keeps_only_the_minimum_plus_user_values(tmp_path: Path) -> None:
    inherited = {"PATH": "/bin", "LANG": "en_GB.UTF-8", "GITHUB_TOKEN": "x", "AWS_SECRET_ACCESS_KEY": "y", "HOME": "/root"}
    env = scrubbed_environment(tmp_path / "home", tmp_path / "tmp", {"ACME": "1"}, inherited=inherited)
    assert env == {
        "PATH": "/bin", "LANG": "en_GB.UTF-8", "HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp"),
        "TMP": str(tmp_path / "tmp"), "TEMP": str(tmp_path / "tmp"), "ACME": "1",
    }


def test_cli_url_target_maps_to_a_streamable_http_source() -> None:
    source = live_source_for("https://mcp.example.com/mcp", headers=["Authorization: Bearer t"])
    assert isinstance(source, LiveSource)
    assert source.spec == HttpServer(url="https://mcp.example.com/mcp", headers=(("Authorization", "Bearer t"),))
    assert source.server_key == "url:https://mcp.example.com/mcp"


def test_cli_sse_transport_maps_to_an_sse_source() -> None:
    source = live_source_for("https://host/sse", transport="sse")
    assert isinstance(source, LiveSource)
    assert source.spec == HttpServer(url="https://host/sse", transport=Transport.SSE)


def test_cli_stdio_target_maps_to_a_stdio_source_with_name_env_and_timeouts() -> None:
    timeouts = Timeouts(start=5, initialize=6, page=7)
    source = live_source_for(
        "stdio", name="memory", command=["npx", "-y", "@modelcontextprotocol/server-memory"],
        env=["K=v"], timeouts=timeouts, max_pages=3,
    )
    assert isinstance(source, LiveSource)
    assert source.spec == StdioServer(
        command=("npx", "-y", "@modelcontextprotocol/server-memory"), name="memory", env=(("K", "v"),)
    )
    assert (source.server_key, source.timeouts, source.max_pages) == ("stdio:memory", timeouts, 3)


def test_cli_saved_listing_maps_to_a_saved_source(tmp_path: Path) -> None:
    path = tmp_path / "tools-list.json"
    path.write_text('{"tools": []}', encoding="utf-8")
    source = live_source_for(str(path), name="acme-crm")
    assert isinstance(source, SavedListingSource)
    assert (source.server_key, source.path) == ("local:acme-crm", path)


def test_cli_targets_that_are_not_live_are_left_to_others(tmp_path: Path) -> None:
    assert [live_source_for(t) for t in ("owner/repo", "npm:@scope/pkg", str(tmp_path))] == [None, None, None]


@pytest.mark.parametrize(
    ("target", "options", "reason"),
    [
        ("stdio", {}, "stdio needs the server command after --"),
        ("npm:not a package", {"run": True}, "not an npm package: 'npm:not a package'"),
        ("https://h/mcp", {"transport": "websocket"}, "unknown transport 'websocket': use streamable-http or sse"),
    ],
)
def test_cli_arguments_that_cannot_work_are_config_errors(target: str, options: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        live_source_for(target, **options)  # type: ignore[arg-type]
    assert str(caught.value) == reason
