"""The `mcpServers` config file (Claude Desktop, Cursor) as live crawl specs, and crawling many at once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from catalog.errors import CatalogError, ConfigError
from catalog.records import CrawlFailure, CrawlResult
from crawler.source import CrawlContext, Source
from crawler.sources.live_spec import HttpServer, LiveSpec, StdioServer, Transport

MAX_CONFIG_BYTES = 5 * 1024 * 1024
"""Largest config file read; real ones are a few kilobytes."""
_SSE_TYPES = frozenset({"sse"})
_HTTP_TYPES = frozenset({"http", "streamable-http", "streamablehttp", "streamable_http"})


@dataclass(frozen=True)
class ConfiguredServer:
    """One entry of an mcpServers file: the name it is listed under and how to reach it."""

    name: str
    spec: LiveSpec


def read_config(path: Path) -> list[ConfiguredServer]:
    """Read an mcpServers file; a ConfigError names the file and the entry at fault."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes, not a server config")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: not valid JSON ({_first_line(error)})") from error
    return parse_config(data, source=str(path))


def parse_config(data: object, *, source: str = "config") -> list[ConfiguredServer]:
    """The entries of `{"mcpServers": {name: entry}}`, in file order, disabled ones left out."""
    servers = data.get("mcpServers") if isinstance(data, Mapping) else None
    if not isinstance(servers, Mapping):
        raise ConfigError(f"{source}: no \"mcpServers\" object")
    configured = []
    for name, entry in servers.items():
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{source}: server {name!r} is not an object")
        if entry.get("disabled") is True:
            continue
        configured.append(ConfiguredServer(name=name, spec=_spec(name, entry, source)))
    return configured


def _spec(name: str, entry: Mapping[str, Any], source: str) -> LiveSpec:
    where = f"{source}: server {name!r}"
    kind = str(entry.get("type") or entry.get("transport") or "").lower()
    if "command" in entry:
        command = entry["command"]
        args = entry.get("args", [])
        if not isinstance(command, str) or not command:
            raise ConfigError(f"{where}: command must be a non-empty string")
        cwd = entry.get("cwd")
        if cwd is not None and not isinstance(cwd, str):
            raise ConfigError(f"{where}: cwd must be a string")
        return StdioServer(
            command=(command, *_strings(args, f"{where}: args")),
            name=name,
            env=tuple(_string_map(entry.get("env", {}), f"{where}: env").items()),
            cwd=Path(cwd) if cwd else None,
        )
    url = entry.get("url") or entry.get("serverUrl")
    if isinstance(url, str) and url:
        if kind and kind not in _SSE_TYPES | _HTTP_TYPES:
            raise ConfigError(f"{where}: unknown type {kind!r} (expected sse or http)")
        return HttpServer(
            url=url,
            transport=Transport.SSE if kind in _SSE_TYPES else Transport.STREAMABLE_HTTP,
            headers=tuple(_string_map(entry.get("headers", {}), f"{where}: headers").items()),
        )
    raise ConfigError(f"{where}: has neither a command nor a url")


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} must be a list of strings")
    return list(value)


def _string_map(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    ):
        raise ConfigError(f"{where} must map strings to strings")
    return dict(value)


async def crawl_many(
    sources: Sequence[Source], context: CrawlContext, concurrency: int = 4
) -> AsyncIterator[CrawlResult | CrawlFailure]:
    """Crawl sources with at most `concurrency` at a time, yielding each outcome as it completes.

    A source that raises a CatalogError becomes a CrawlFailure; the others carry on.
    """
    if concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    limiter = anyio.CapacityLimiter(concurrency)
    send, receive = anyio.create_memory_object_stream[CrawlResult | CrawlFailure](len(sources) + 1)

    async def crawl_one(source: Source, outcomes: MemoryObjectSendStream[CrawlResult | CrawlFailure]) -> None:
        async with outcomes, limiter:
            results: list[CrawlResult] = []
            try:
                # Collected before sending: a source failing half-way gives a failure and nothing else.
                results = [result async for result in source.crawl(context)]
            except CatalogError as error:
                await outcomes.send(_failure(source, error))
                return
            for result in results:
                await outcomes.send(result)
            context.progress(f"done {source.target}")

    async with anyio.create_task_group() as group:
        async with send:
            for source in sources:
                group.start_soon(crawl_one, source, send.clone())
        async with receive:
            async for outcome in receive:
                yield outcome


def _failure(source: Source, error: CatalogError) -> CrawlFailure:
    server_key = getattr(source, "server_key", None)
    return CrawlFailure(
        target=source.target,
        server_key=server_key if isinstance(server_key, str) else None,
        stage="list",
        reason=_first_line(error),
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
