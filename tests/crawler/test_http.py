"""The shared HTTP client and its retry and download helpers, against a real loopback server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

import crawler.http
from catalog.errors import CrawlError
from crawler.http import (
    build_client,
    default_user_agent,
    describe_transport_error,
    download,
    get_with_retries,
    retry_after_seconds,
)
from tests.crawler.fake_github import Canned, FakeGitHub

T = TypeVar("T")


def run(action: Callable[[httpx.AsyncClient], Awaitable[T]], timeout: float = 5.0) -> T:
    async def go() -> T:
        async with build_client(timeout=timeout) as client:
            return await action(client)

    return asyncio.run(go())


def instant_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(crawler.http, "sleep", record)
    return waits


def test_client_sends_a_versioned_user_agent_and_extra_headers() -> None:
    with FakeGitHub() as fake:
        fake.script("/hello", Canned(200, body=b"hi"))
        response = run(lambda c: c.get(f"{fake.url}/hello", headers={"X-Extra": "1"}))
        seen = fake.seen[0].headers
    assert response.text == "hi"
    assert default_user_agent() == f"catalog/{version('mcp-tool-catalog')} (+https://github.com/mcp-catalog/catalog)"
    assert (seen["user-agent"], seen["x-extra"]) == (default_user_agent(), "1")


def test_client_user_agent_and_default_headers_can_be_replaced() -> None:
    async def fetch(url: str) -> httpx.Response:
        async with build_client(user_agent="probe/1", headers={"X-Team": "catalog"}) as client:
            return await client.get(url)

    with FakeGitHub() as fake:
        fake.script("/who", Canned(204))
        asyncio.run(fetch(f"{fake.url}/who"))
        seen = fake.seen[0].headers
    assert (seen["user-agent"], seen["x-team"]) == ("probe/1", "catalog")


def test_client_follows_up_to_five_redirects_and_no_more() -> None:
    with FakeGitHub() as fake:
        for hop in range(5):
            fake.script(f"/near{hop}", Canned(302, {"Location": f"/near{hop + 1}"}))
        for hop in range(6):
            fake.script(f"/far{hop}", Canned(302, {"Location": f"/far{hop + 1}"}))
        fake.script("/near5", Canned(200, body=b"arrived"))
        fake.script("/far6", Canned(200, body=b"never"))
        assert run(lambda c: c.get(f"{fake.url}/near0")).text == "arrived"
        with pytest.raises(httpx.TooManyRedirects):
            run(lambda c: c.get(f"{fake.url}/far0"))
        assert "/far6" not in fake.paths()


def test_client_read_timeout_applies_to_a_silent_server() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(httpx.ReadTimeout) as raised:
            run(lambda c: c.get(f"http://127.0.0.1:{port}/"), timeout=0.2)
    assert describe_transport_error(raised.value) == "timed out waiting for an answer"


def test_retry_after_as_an_http_date_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    with FakeGitHub() as fake:
        fake.script("/busy", Canned(503, {"Retry-After": later}), Canned(200, body=b"ok"))
        response = run(lambda c: get_with_retries(c, f"{fake.url}/busy"))
    assert response.text == "ok"
    assert len(waits) == 1 and 1.0 < waits[0] <= 3.0


def test_last_response_is_returned_when_attempts_run_out(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with FakeGitHub() as fake:
        fake.script("/limited", *[Canned(429, {"Retry-After": "1"}, b"later")] * 3)
        response = run(lambda c: get_with_retries(c, f"{fake.url}/limited", attempts=2))
        assert len(fake.seen) == 2
    assert (response.status_code, response.text, waits) == (429, "later", [1.0])


def test_client_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with FakeGitHub() as fake:
        fake.script("/gone", Canned(404), Canned(200))
        response = run(lambda c: get_with_retries(c, f"{fake.url}/gone"))
        assert len(fake.seen) == 1
    assert (response.status_code, waits) == (404, [])


def test_backoff_waits_are_capped_by_max_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with FakeGitHub() as fake:
        fake.script("/flaky", *[Canned(500)] * 5, Canned(200))
        response = run(lambda c: get_with_retries(c, f"{fake.url}/flaky", attempts=6, max_wait=1.5))
    assert response.status_code == 200
    assert len(waits) == 5 and max(waits) <= 1.5


def test_connection_errors_are_raised_after_the_last_try(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(httpx.ConnectError) as raised:
        run(lambda c: get_with_retries(c, f"http://127.0.0.1:{port}/", attempts=3))
    assert len(waits) == 2
    assert describe_transport_error(raised.value) == "connection refused"


def test_download_streams_the_body_into_the_file(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 1000
    with FakeGitHub() as fake:
        fake.script("/blob", Canned(200, {"Content-Type": "application/octet-stream"}, payload))
        response = run(lambda c: download(c, f"{fake.url}/blob", tmp_path / "blob.bin", max_bytes=len(payload)))
    assert response.status_code == 200
    assert (tmp_path / "blob.bin").read_bytes() == payload


def test_download_refuses_a_declared_length_over_the_cap_without_writing(tmp_path: Path) -> None:
    with FakeGitHub() as fake:
        fake.script("/big", Canned(200, body=b"x" * 5000))
        with pytest.raises(CrawlError, match=rf"^download of {fake.url}/big exceeds 4999 bytes$"):
            run(lambda c: download(c, f"{fake.url}/big", tmp_path / "big.bin", max_bytes=4999))
    assert list(tmp_path.iterdir()) == []


def test_download_stops_an_undeclared_body_at_the_cap_and_removes_the_file(tmp_path: Path) -> None:
    with FakeGitHub() as fake:
        fake.script("/stream", Canned(200, body=b"y" * 300_000, send_length=False))
        with pytest.raises(CrawlError, match=r"exceeds 100000 bytes$"):
            run(lambda c: download(c, f"{fake.url}/stream", tmp_path / "s.bin", max_bytes=100_000))
    assert list(tmp_path.iterdir()) == []


def test_download_of_an_error_answer_returns_it_and_writes_nothing(tmp_path: Path) -> None:
    with FakeGitHub() as fake:
        fake.script("/missing", Canned.json(404, {"message": "Not Found"}))
        response = run(lambda c: download(c, f"{fake.url}/missing", tmp_path / "m.bin", max_bytes=10))
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})
    assert list(tmp_path.iterdir()) == []


def test_download_retries_a_server_error_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with FakeGitHub() as fake:
        fake.script("/archive", Canned(502, body=b"bad gateway"), Canned(200, body=b"data"))
        run(lambda c: download(c, f"{fake.url}/archive", tmp_path / "a.bin", max_bytes=10))
    assert (tmp_path / "a.bin").read_bytes() == b"data"
    assert len(waits) == 1


@pytest.mark.parametrize(("header", "expected"), [
    ("7", 7.0),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ("soon", None),
    ("", None),
])
def test_retry_after_reads_seconds_and_dates(header: str, expected: float | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": header} if header else {})
    assert retry_after_seconds(response) == expected
