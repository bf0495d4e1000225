"""Polite fetching for registries: per-host rate and concurrency limits, robots.txt, size caps, JSON checks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from catalog.errors import CrawlError, RateLimited
from crawler.http import describe_transport_error, get_capped, retry_after_seconds

DEFAULT_RATE = 2.0
"""Requests per second per host unless told otherwise: gentle, as registries ask of aggregators."""
DEFAULT_CONCURRENCY = 2
"""Requests in flight per host."""
MAX_PAGE_BYTES = 16 * 1024 * 1024
"""The largest answer read from a registry; a page of 100 servers is well under 1 MiB."""
MAX_ROBOTS_BYTES = 512 * 1024
MAX_WAIT = 60.0
"""Seconds we sleep on a Retry-After before reporting the rate limit instead."""


class HostLimiter:
    """Per-host limits: at most `concurrency` requests in flight, started at most `rate` per second.

    Starts are spaced evenly (a token bucket of depth one), which is what "2 requests/s" means
    to the operator reading the access log. A rate of 0 or less means unlimited.
    """

    def __init__(self, rate: float = DEFAULT_RATE, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.rate = rate
        self.concurrency = max(1, concurrency)
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _HostState(asyncio.Semaphore(self.concurrency))
        return state

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Wait for a free slot and for the rate to allow one more start on url's host."""
        state = self._state(urlsplit(url).netloc.lower())
        async with state.semaphore:
            if self.rate > 0:
                async with state.lock:
                    now = time.monotonic()
                    start = max(now, state.next_start)
                    state.next_start = start + 1.0 / self.rate
                # The loop's timer may wake a hair early; never start before the slot is due.
                while (delay := start - time.monotonic()) > 0:
                    await asyncio.sleep(delay)
            yield


@dataclass
class _HostState:
    semaphore: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


@dataclass(frozen=True)
class Fetched:
    """One successful answer: its body, status (200 or 304) and headers."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def etag(self) -> str | None:
        """The ETag header, when the server sent one."""
        return self.headers.get("etag")

    def json(self) -> Any:
        """The body parsed as JSON, or CrawlError saying it is cut short or not JSON."""
        text = self.text().rstrip()
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            # A document that breaks off at its very end (or inside a string) was cut short.
            if text and (error.pos >= len(text) or error.msg.startswith("Unterminated string")):
                raise CrawlError(
                    f"answer of {self.url} is truncated JSON ({len(self.body)} bytes)"
                ) from error
            raise CrawlError(f"answer of {self.url} is not JSON: {error.msg} at byte {error.pos}") from error

    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")


class PoliteFetcher:
    """The one way registry modules reach the network: shared client, limits, retries, caps, robots.txt."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        limiter: HostLimiter | None = None,
        *,
        max_bytes: int = MAX_PAGE_BYTES,
        attempts: int = 4,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.client = client
        self.limiter = limiter or HostLimiter()
        self.max_bytes = max_bytes
        self.attempts = attempts
        self.max_wait = max_wait
        self.requests = 0
        self._robots: dict[str, RobotFileParser | None] = {}

    async def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, allow_not_modified: bool = False
    ) -> Fetched:
        """GET url politely; any answer but 200 (or 304 when allowed) raises CrawlError/RateLimited."""
        self.requests += 1
        try:
            response, body = await get_capped(
                self.client, url, max_bytes=self.max_bytes, headers=headers,
                attempts=self.attempts, max_wait=self.max_wait, gate=lambda: self.limiter.slot(url),
            )
        except httpx.TransportError as error:
            raise CrawlError(f"cannot fetch {url}: {describe_transport_error(error)}") from error
        if response.status_code == 304 and allow_not_modified:
            return Fetched(url, 304, b"", dict(response.headers))
        if response.status_code == 429:
            wait = retry_after_seconds(response)
            after = f"; retry after {round(wait)} s" if wait is not None else ""
            raise RateLimited(f"{_host(url)} is rate limiting us (HTTP 429){after}")
        if response.status_code != 200:
            raise CrawlError(f"{_host(url)} answered HTTP {response.status_code} for {url}")
        return Fetched(url, 200, body, dict(response.headers))

    async def get_json(self, url: str, *, headers: Mapping[str, str] | None = None) -> Any:
        """GET url and parse JSON; truncated or non-JSON answers are CrawlErrors."""
        return (await self.get(url, headers=headers)).json()

    async def allowed(self, url: str) -> bool:
        """What the host's robots.txt says about our user agent fetching url (no robots.txt: allowed)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = await self._read_robots(origin)
        robots = self._robots[origin]
        agent = self.client.headers.get("user-agent", "*")
        return robots is None or robots.can_fetch(agent, url)

    async def get_html(self, url: str) -> str:
        """GET an HTML page after checking robots.txt; a disallowed page is a CrawlError."""
        if not await self.allowed(url):
            raise CrawlError(f"robots.txt of {_host(url)} disallows {urlsplit(url).path or '/'}")
        return (await self.get(url)).text()

    async def _read_robots(self, origin: str) -> RobotFileParser | None:
        try:
            response, body = await get_capped(
                self.client, origin + "/robots.txt", max_bytes=MAX_ROBOTS_BYTES,
                attempts=self.attempts, max_wait=self.max_wait,
                gate=lambda: self.limiter.slot(origin),
            )
        except (httpx.TransportError, CrawlError):
            return None
        if response.status_code in (401, 403):
            # The robots.txt convention: an origin that refuses robots.txt refuses everything.
            parser = RobotFileParser()
            parser.parse(["User-agent: *", "Disallow: /"])
            return parser
        if response.status_code != 200:
            return None
        parser = RobotFileParser()
        parser.parse(body.decode("utf-8", "replace").splitlines())
        return parser


def _host(url: str) -> str:
    return urlsplit(url).netloc or url
