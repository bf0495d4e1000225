"""The one HTTP client every source shares: user agent, timeouts, retries honouring Retry-After, size caps."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx

from catalog.errors import CrawlError

PROJECT_URL = "https://github.com/mcp-catalog/catalog"
DISTRIBUTION = "mcp-tool-catalog"
CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection; reads get the caller's (longer) timeout."""
BACKOFF_BASE = 0.5
"""Seconds before the first retry without Retry-After; doubled on each further try."""
ERROR_BODY_BYTES = 64 * 1024
"""How much of an error answer download() keeps for the caller to read a message from."""

sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
"""How retries wait; tests replace it to keep backoff instant."""


def catalog_version() -> str:
    """The installed version of the catalog, or 0.0.0 when running from an uninstalled tree."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0"


def default_user_agent() -> str:
    """`catalog/<version> (+<project url>)`, so remote operators can tell who is calling."""
    return f"catalog/{catalog_version()} (+{PROJECT_URL})"


def build_client(
    *,
    timeout: float = 30.0,
    user_agent: str | None = None,
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The AsyncClient every source receives: TLS verified, bounded redirects and timeouts."""
    merged = {"User-Agent": user_agent or default_user_agent()}
    merged.update(headers or {})
    return httpx.AsyncClient(
        headers=merged,
        timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
        follow_redirects=True,
        max_redirects=5,
        verify=True,
        transport=transport,
    )


def describe_transport_error(error: httpx.RequestError) -> str:
    """A short human reason for a failed exchange: refused, timed out, name not found."""
    match error:
        case httpx.ConnectTimeout():
            return "connection timed out"
        case httpx.ReadTimeout() | httpx.WriteTimeout() | httpx.PoolTimeout():
            return "timed out waiting for an answer"
        case httpx.TooManyRedirects():
            return "too many redirects"
        case _:
            cause = _root_cause(error)
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused"
            if isinstance(cause, socket.gaierror):
                return f"cannot resolve host name ({cause.strerror})"
            detail = str(cause).strip() or str(error).strip()
            return detail.splitlines()[0] if detail else type(error).__name__


def _root_cause(error: BaseException) -> BaseException:
    """The innermost exception httpx and anyio wrapped (the OS error that says what happened)."""
    seen: set[int] = set()
    while (inner := error.__cause__ or error.__context__) is not None and id(inner) not in seen:
        seen.add(id(error))
        error = inner
    return error


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The wait a Retry-After header asks for (seconds or an HTTP date), or None when absent/unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _retriable(response: httpx.Response) -> bool:
    # A 403 carrying Retry-After is GitHub's secondary rate limit: worth one more try like a 429.
    if response.status_code == 403:
        return "retry-after" in response.headers
    return response.status_code == 429 or response.status_code >= 500


def _backoff(attempt: int) -> float:
    base = BACKOFF_BASE * 2**attempt
    return float(base + random.uniform(0, base))


async def _send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    attempts: int,
    max_wait: float,
) -> httpx.Response:
    """Call send until it answers something not worth retrying, or attempts run out.

    Transport errors are re-raised after the last attempt so callers can name the host.
    A streamed response that is retried is closed before the next try.
    """
    attempts = max(1, attempts)
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            response = await send()
        except httpx.TransportError:
            if last:
                raise
            await sleep(min(_backoff(attempt), max_wait))
            continue
        if last or not _retriable(response):
            return response
        wait = retry_after_seconds(response)
        if wait is not None and wait > max_wait:
            # The server wants longer than we are willing to block: let the caller report it.
            return response
        await response.aclose()
        await sleep(wait if wait is not None else min(_backoff(attempt), max_wait))
    raise AssertionError("unreachable: the last attempt always returns or raises")


async def get_with_retries(
    client: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    attempts: int = 4,
    max_wait: float = 60.0,
) -> httpx.Response:
    """GET url, retrying connection errors, 429 and 5xx; the last response is returned whatever its status."""
    return await _send_with_retries(
        lambda: client.get(url, headers=headers), attempts=attempts, max_wait=max_wait
    )


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    kept = bytearray()
    async for chunk in response.aiter_bytes():
        kept.extend(chunk[: limit - len(kept)])
        if len(kept) >= limit:
            break
    return bytes(kept)


async def download(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    attempts: int = 4,
    max_wait: float = 60.0,
) -> httpx.Response:
    """Stream url into dest, refusing more than max_bytes; retries like get_with_retries.

    A non-2xx answer writes nothing and is returned (with up to 64 KiB of its body) for the
    caller to interpret; a body over the cap removes dest and raises CrawlError.
    """
    request = client.build_request("GET", url, headers=headers)
    response = await _send_with_retries(
        lambda: client.send(request, stream=True), attempts=attempts, max_wait=max_wait
    )
    try:
        if not response.is_success:
            body = await _read_capped(response, ERROR_BODY_BYTES)
            return httpx.Response(
                response.status_code, headers=response.headers, content=body, request=response.request
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise CrawlError(f"download of {url} exceeds {max_bytes} bytes")
        await _stream_to_file(response, dest, url, max_bytes)
        return response
    finally:
        await response.aclose()


async def _stream_to_file(response: httpx.Response, dest: Path, url: str, max_bytes: int) -> None:
    written = 0
    try:
        with dest.open("wb") as out:
            async for chunk in response.aiter_bytes():
                written += len(chunk)
                if written > max_bytes:
                    raise CrawlError(f"download of {url} exceeds {max_bytes} bytes")
                out.write(chunk)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


Gate = Callable[[], AbstractAsyncContextManager[object]]
"""Something each attempt passes through before it is sent (a per-host rate limiter)."""


async def get_capped(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    attempts: int = 4,
    max_wait: float = 60.0,
    gate: Gate | None = None,
) -> tuple[httpx.Response, bytes]:
    """GET url with retries like get_with_retries, each attempt through `gate`; returns (response, body).

    The body is read up to max_bytes; a longer one (declared or streamed) raises CrawlError, so a
    runaway answer never fills memory. Error answers keep up to 64 KiB for the caller to read.
    """

    async def send() -> httpx.Response:
        request = client.build_request("GET", url, headers=headers)
        if gate is None:
            return await client.send(request, stream=True)
        async with gate():
            return await client.send(request, stream=True)

    response = await _send_with_retries(send, attempts=attempts, max_wait=max_wait)
    try:
        if not response.is_success:
            return response, await _read_capped(response, min(max_bytes, ERROR_BODY_BYTES))
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise CrawlError(f"answer of {url} exceeds {max_bytes} bytes")
        body = await _read_capped(response, max_bytes + 1)
        if len(body) > max_bytes:
            raise CrawlError(f"answer of {url} exceeds {max_bytes} bytes")
        return response, body
    finally:
        await response.aclose()
