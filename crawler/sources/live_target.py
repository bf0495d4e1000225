"""Turning the CLI's live-crawl arguments (URL, `stdio -- CMD`, saved listing, --from) into Sources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from catalog.errors import ConfigError
from crawler.source import Source
from crawler.sources.live import DEFAULT_MAX_PAGES, LiveSource
from crawler.sources.live_spec import (
    HttpServer,
    StdioServer,
    Timeouts,
    Transport,
    parse_env,
    parse_headers,
)
from crawler.sources.mcp_config import read_config
from crawler.sources.run_package import RunPackageSource, parse_package
from crawler.sources.saved import SavedListingSource

STDIO_TARGET = "stdio"


def live_source_for(
    target: str,
    *,
    transport: str | None = None,
    headers: Sequence[str] = (),
    bearer_token_env: str | None = None,
    name: str | None = None,
    command: Sequence[str] | None = None,
    env: Sequence[str] = (),
    cwd: Path | None = None,
    run: bool = False,
    timeouts: Timeouts | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Source | None:
    """The live or saved-listing Source for target, or None when the target is not one of ours.

    `http(s)://…` → LiveSource over streamable HTTP (`transport="sse"` for SSE); `stdio` with the
    command after `--` → LiveSource running it; `npm:…`/`pypi:…` with `run` (the user's consent)
    → RunPackageSource; an existing `*.json` file → SavedListingSource.
    """
    if target.startswith(("http://", "https://")):
        return LiveSource(
            HttpServer(
                url=target,
                transport=_transport(transport),
                headers=parse_headers(headers),
                bearer_token_env=bearer_token_env,
            ),
            timeouts=timeouts,
            max_pages=max_pages,
            target=target,
        )
    if target == STDIO_TARGET:
        if not command:
            raise ConfigError("stdio needs the server command after --", hint="catalog crawl stdio -- npx -y PKG")
        spec = StdioServer(command=tuple(command), name=name, env=parse_env(env), cwd=cwd)
        return LiveSource(spec, timeouts=timeouts, max_pages=max_pages)
    if run and target.lower().startswith(("npm:", "pypi:")):
        # Only with --run: without it, a package target is read statically and nothing runs.
        return RunPackageSource(
            parse_package(target), executable=name, env=parse_env(env), timeouts=timeouts,
            max_pages=max_pages, target=target,
        )
    path = Path(target)
    if path.suffix.lower() == ".json" and path.is_file():
        return SavedListingSource(path, name=name)
    return None


def sources_from_config(
    path: Path, *, timeouts: Timeouts | None = None, max_pages: int = DEFAULT_MAX_PAGES
) -> list[Source]:
    """One LiveSource per enabled entry of an mcpServers file (`catalog crawl --from servers.json`)."""
    return [
        LiveSource(server.spec, timeouts=timeouts, max_pages=max_pages, target=f"{path}#{server.name}")
        for server in read_config(path)
    ]


def _transport(value: str | None) -> Transport:
    if value is None:
        return Transport.STREAMABLE_HTTP
    try:
        return Transport(value.lower().replace("_", "-"))
    except ValueError as error:
        raise ConfigError(f"unknown transport {value!r}: use streamable-http or sse") from error
