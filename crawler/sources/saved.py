"""Saved tools/list answers read from a file, so servers that cannot be reached here can be catalogued."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from catalog.errors import CrawlError
from catalog.records import (
    CrawlResult,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    ServerRecord,
)
from crawler.source import CrawlContext, Source
from crawler.sources.tool_json import InvalidTool, tools_from_json

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest listing file read; real listings are kilobytes, a few megabytes at most."""
MAX_TOOLS = 100_000
"""Most tools one listing may hold."""
MAX_SERVER_FIELD_CHARS = 10_000
"""Longest serverInfo name or version accepted."""


class NotAListing(CrawlError):
    """The file is not a tools/list answer in any of the accepted shapes."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a tools/list listing: {reason}")


class SavedListingSource(Source):
    """A saved tools/list answer: a JSON-RPC response, its `result`, `{"tools": [...]}` or a bare array."""

    def __init__(self, path: Path | str, name: str | None = None) -> None:
        self.path = Path(path)
        self.target = str(path)
        self.name = name or self.path.stem

    @property
    def server_key(self) -> str:
        """`local:<name>`: a saved listing names its server, it cannot say where it lives."""
        return f"local:{self.name}"

    async def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """Yield the one server the listing describes, or raise CrawlError with one line."""
        context.progress(f"reading saved listing {self.path}")
        yield self.read()

    def read(self) -> CrawlResult:
        """Read, validate and convert the listing file."""
        payload = _load_json(self.path)
        raw_tools, server_info = _unwrap(payload)
        location = Location(kind=LocationKind.SAVED, detail=self.path.name)
        try:
            tools = tools_from_json(
                raw_tools, server_key=self.server_key, location=location, max_tools=MAX_TOOLS
            )
        except InvalidTool as error:
            raise NotAListing(str(error)) from error
        server = ServerRecord(
            key=self.server_key,
            name=_server_field(server_info, "name") or self.name,
            title=_server_field(server_info, "title"),
            version=_server_field(server_info, "version"),
            # The file name only: a machine path says nothing to anyone else and must not be published.
            origins=(Origin(kind=OriginKind.SAVED, value=self.path.name),),
        )
        return CrawlResult(server=server, tools=tuple(tools))


def _load_json(path: Path) -> object:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise CrawlError(f"cannot read {path}: {error.strerror or error}") from error
    if size > MAX_FILE_BYTES:
        raise NotAListing(f"{path.name} is {size} bytes, more than the {MAX_FILE_BYTES} accepted")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise NotAListing(f"{path.name} is not UTF-8 text") from error
    except OSError as error:
        raise CrawlError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise NotAListing(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from error
    except RecursionError as error:
        raise NotAListing("JSON nested too deeply") from error


def _unwrap(payload: object) -> tuple[object, Mapping[str, Any] | None]:
    """The tools array and optional serverInfo, from whichever accepted shape the file has."""
    if isinstance(payload, list):
        return payload, None
    if not isinstance(payload, Mapping):
        raise NotAListing("the top level is neither an object nor an array")
    if "error" in payload and "result" not in payload:
        raise NotAListing(f"it is a JSON-RPC error response: {_error_message(payload['error'])}")
    body = payload.get("result", payload) if "jsonrpc" in payload or "result" in payload else payload
    if not isinstance(body, Mapping):
        raise NotAListing("result is not an object")
    if "tools" not in body:
        raise NotAListing("no tools array (expected result.tools, tools, or a bare array)")
    server_info = body.get("serverInfo", payload.get("serverInfo"))
    if server_info is not None and not isinstance(server_info, Mapping):
        raise NotAListing("serverInfo is not an object")
    return body["tools"], server_info


def _server_field(server_info: Mapping[str, Any] | None, key: str) -> str | None:
    if server_info is None:
        return None
    value = server_info.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_SERVER_FIELD_CHARS:
        raise NotAListing(f"serverInfo.{key} is not a string of at most {MAX_SERVER_FIELD_CHARS} characters")
    return value


def _error_message(error: object) -> str:
    if isinstance(error, Mapping):
        return f"{error.get('code')} {str(error.get('message', ''))[:200]}".strip()
    return str(error)[:200]
