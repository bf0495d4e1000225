"""Loopback registries: a real ThreadingHTTPServer answering like the official MCP Registry and others."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackHTTP, send

OFFICIAL_META = "io.modelcontextprotocol.registry/official"


@dataclass(frozen=True)
class Request:
    """What the mock saw: path, query (first value of each), headers."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Reply:
    """What the mock answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(value: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    """A JSON answer."""
    return Reply(status, json.dumps(value).encode("utf-8"), {"Content-Type": "application/json", **(headers or {})})


App = Callable[[Request], Reply]


class MockRegistry(LoopbackHTTP):
    """A loopback HTTP server calling `app` for each GET; records every request; optional latency."""

    def __init__(self, app: App, *, latency: float = 0.0) -> None:
        self.app = app
        self.latency = latency
        self.seen: list[Request] = []
        self._lock = threading.Lock()
        super().__init__(self._handle, keep_alive=True)

    def paths(self) -> list[str]:
        """Every request as `path?query` in order, query keys sorted."""
        return [r.path + ("?" + "&".join(f"{k}={v}" for k, v in sorted(r.query.items())) if r.query else "")
                for r in self.seen]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        request = Request(
            parts.path,
            {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            {k.lower(): v for k, v in handler.headers.items()},
        )
        with self._lock:
            self.seen.append(request)
        if self.latency:
            time.sleep(self.latency)
        reply = self.app(request)
        send(handler, reply.status, reply.headers, reply.body)


def official_server(
    name: str, *, version: str = "1.0.0", status: str = "active", updated: str = "2026-10-01T00:00:00Z",
    repository: str | None = None, subfolder: str | None = None, npm: str | None = None,
    pypi: str | None = None, remote: str | None = None, remote_needs_key: bool = False,
) -> dict[str, Any]:
    """One `servers[]` item as GET /v0.1/servers lists it."""
    server: dict[str, Any] = {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-10-17/server.schema.json",
        "name": name, "description": f"The {name.rsplit('/', 1)[-1]} server", "version": version,
    }
    if repository:
        server["repository"] = {"url": repository, "source": "github", **({"subfolder": subfolder} if subfolder else {})}
    packages = []
    if npm:
        packages.append({"registryType": "npm", "identifier": npm, "version": version, "transport": {"type": "stdio"}})
    if pypi:
        packages.append({"registryType": "pypi", "identifier": pypi, "version": version, "transport": {"type": "stdio"}})
    if packages:
        server["packages"] = packages
    if remote:
        headers = [{"name": "Authorization", "isRequired": True, "isSecret": True}] if remote_needs_key else []
        server["remotes"] = [{"type": "streamable-http", "url": remote, "headers": headers}]
    meta = {"status": status, "publishedAt": "2026-09-01T00:00:00Z", "updatedAt": updated, "isLatest": True}
    return {"server": server, "_meta": {OFFICIAL_META: meta}}


class OfficialApp:
    """GET /v0.1/servers over a list of items: cursor `name:version`, limit, updated_since, version=latest.

    Like the real registry, a full page always names a next cursor, so a total that is a
    multiple of the page size ends with an empty page. A cursor the app never issued is a 400.
    """

    def __init__(self, items: list[dict[str, Any]], *, old_spelling: bool = False) -> None:
        self.items = items
        self.old_spelling = old_spelling
        self.faults: dict[int, Reply] = {}
        """Request number (1-based, listing requests only) → the answer given instead."""
        self.count = 0
        self._lock = threading.Lock()
        self._ordered: list[dict[str, Any]] | None = None
        self._cursors: dict[str, int] | None = None

    def __call__(self, request: Request) -> Reply:
        if request.path != "/v0.1/servers":
            return json_reply({"error": "not found"}, status=404)
        with self._lock:
            self.count += 1
            fault = self.faults.get(self.count)
        if fault is not None:
            return fault
        if request.query.get("version") != "latest":
            return json_reply({"error": "this mock only serves version=latest"}, status=400)
        chosen = self._window(request.query.get("updated_since"))
        limit = int(request.query.get("limit", "30"))
        start = 0
        cursor = request.query.get("cursor")
        if cursor:
            positions = self._positions(chosen)
            if cursor not in positions:
                return json_reply({"error": f"unknown cursor {cursor}"}, status=400)
            start = positions[cursor] + 1
        page = chosen[start:start + limit]
        metadata: dict[str, Any] = {"count": len(page)}
        if len(page) == limit:
            metadata["next_cursor" if self.old_spelling else "nextCursor"] = self._cursor(page[-1])
        return json_reply({"servers": page, "metadata": metadata})

    def _window(self, since: str | None) -> list[dict[str, Any]]:
        # The order is cached (the benchmark lists 50,000 servers) until servers are added or removed;
        # tests that edit an item's status or date still see the edit, since items are shared.
        if self._ordered is None or len(self._ordered) != len(self.items):
            self._ordered = sorted(self.items, key=lambda item: item["server"]["name"])
            self._cursors = None
        ordered = self._ordered
        if not since:
            return ordered
        return [i for i in ordered if i["_meta"][OFFICIAL_META]["updatedAt"] > since]

    def _positions(self, chosen: list[dict[str, Any]]) -> dict[str, int]:
        if chosen is self._ordered:
            if self._cursors is None:
                self._cursors = {self._cursor(item): number for number, item in enumerate(chosen)}
            return self._cursors
        return {self._cursor(item): number for number, item in enumerate(chosen)}

    @staticmethod
    def _cursor(item: dict[str, Any]) -> str:
        return f"{item['server']['name']}:{item['server']['version']}"
