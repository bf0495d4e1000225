"""Servers that misbehave on purpose: each crawl ends with its documented outcome and nothing half-listed."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
import pytest

from catalog.errors import CrawlError
from catalog.records import CrawlResult, Location, LocationKind, ToolHints, ToolRecord
from crawler.http import build_client
from crawler.source import CrawlContext
from crawler.sources.live import LiveSource
from crawler.sources.live_spec import HttpServer, LiveSpec, StdioServer, Timeouts, Transport

MISBEHAVING = Path(__file__).resolve().parents[2] / "fixtures/servers/misbehaving.py"
FAST = Timeouts(start=5, initialize=5, page=5)


def server(mode: str, *env: tuple[str, str]) -> StdioServer:
    return StdioServer(command=(sys.executable, str(MISBEHAVING), mode), name=mode, env=env)


def crawl(spec: LiveSpec, timeouts: Timeouts = FAST, max_pages: int = 100) -> list[CrawlResult]:
    """Everything the source yields, through the Source seam the pipeline uses."""

    async def run() -> list[CrawlResult]:
        async with build_client() as http:
            source = LiveSource(spec, timeouts=timeouts, max_pages=max_pages)
            return [result async for result in source.crawl(CrawlContext(http=http))]

    return anyio.run(run)


def crawl_error(spec: LiveSpec, timeouts: Timeouts = FAST, max_pages: int = 100) -> str:
    with pytest.raises(CrawlError) as caught:
        crawl(spec, timeouts, max_pages)
    return str(caught.value)


def process_gone(pid: int) -> bool:
    """Gone, or a zombie nobody reaps yet (it runs no code any more)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_rich_server_keeps_every_part_of_each_tool_definition() -> None:
    [result] = crawl(server("rich"))
    location = Location(kind=LocationKind.LIVE, detail="rich")
    assert result.tools == (
        ToolRecord(
            server_key="stdio:rich",
            name="delete_record",
            title="Delete a record",
            description="Deletes one record for good.",
            input_schema={"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            output_schema={"type": "object", "properties": {"deleted": {"type": "boolean"}}},
            hints=ToolHints(destructive=True, read_only=False),
            meta={"example.com/owner": "records-team"},
            location=location,
        ),
        ToolRecord(
            server_key="stdio:rich",
            name="read_record",
            title="Read a record",
            description="Reads one record.",
            input_schema={"type": "object", "properties": {"id": {"type": "string"}}},
            hints=ToolHints(read_only=True),
            location=location,
        ),
        ToolRecord(server_key="stdio:rich", name="bare", input_schema={"type": "object"}, location=location),
    )
    assert (result.server.name, result.server.title, result.server.version) == (
        "misbehaving-rich", "Misbehaving test server", "1.2.3",
    )
    assert result.server.instructions == "Use read_record before delete_record."
    assert result.server.notes == ("protocol version 2025-11-25", "offers 3 resources and 2 prompts")


def test_junk_on_stdout_is_skipped_and_noted() -> None:
    [result] = crawl(server("junk-stdout"))
    assert [tool.name for tool in result.tools] == ["echo", "ping"]
    assert result.server.notes == ("protocol version 2025-11-25", "ignored 4 stdout lines that were not JSON-RPC")


def test_failing_prompts_list_is_a_note_and_the_tools_are_kept() -> None:
    [result] = crawl(server("broken-prompts"))
    assert [tool.name for tool in result.tools] == ["echo", "ping"]
    assert result.server.notes == (
        "protocol version 2025-11-25",
        "prompts/list failed: server answered prompts/list with error -32603: prompt store offline",
    )


def test_server_hanging_after_initialize_times_out_during_tools_list() -> None:
    started = time.monotonic()
    reason = crawl_error(server("hang-after-initialize"), Timeouts(start=5, initialize=5, page=1))
    assert reason == "timed out after 1s during tools/list"
    assert time.monotonic() - started < 5


def test_server_exiting_mid_listing_reports_its_code_and_stderr() -> None:
    assert crawl_error(server("exit-mid-listing")) == (
        "server exited with code 3 during tools/list: "
        "loading page 2 | fatal: lost the connection to the records database"
    )


def test_repeated_cursor_stops_the_crawl() -> None:
    assert crawl_error(server("cursor-loop")) == "server repeated pagination cursor 'page-again'; stopping"


def test_five_thousand_tools_over_fifty_pages_all_arrive() -> None:
    [result] = crawl(server("many-pages"))
    assert [tool.name for tool in result.tools] == [f"tool_{index:04d}" for index in range(5000)]


def test_more_pages_than_the_bound_stops_the_crawl() -> None:
    assert crawl_error(server("many-pages"), max_pages=10) == "more than 10 pages of tools; stopping"


def test_command_that_does_not_exist_fails_with_one_line() -> None:
    spec = StdioServer(command=("no-such-mcp-server-anywhere",))
    assert crawl_error(spec) == "cannot start 'no-such-mcp-server-anywhere': command not found"


def test_stdio_server_sees_only_the_scrubbed_environment_and_an_empty_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "must-not-leak")
    [result] = crawl(server("report-environment", ("ACME_REGION", "eu-1")))
    meta = result.tools[0].meta
    assert meta is not None
    environ = meta["environ"]
    scratch = Path(environ["HOME"]).parent
    assert environ == {
        "PATH": os.environ["PATH"],
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(scratch / "home"),
        "TMPDIR": str(scratch / "tmp"),
        "TMP": str(scratch / "tmp"),
        "TEMP": str(scratch / "tmp"),
        "ACME_REGION": "eu-1",
    } | {key: os.environ[key] for key in ("LC_ALL", "TZ") if key in os.environ}
    assert (meta["cwd"], meta["cwd_entries"]) == (str(scratch / "work"), [])
    assert not scratch.exists()


def test_grandchild_process_is_killed_when_the_crawl_ends(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    [result] = crawl(server("grandchild", ("GRANDCHILD_PID_FILE", str(pid_file))))
    assert [tool.name for tool in result.tools] == ["echo", "ping"]
    assert process_gone(int(pid_file.read_text(encoding="utf-8")))


def test_grandchild_process_is_killed_on_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    spec = server("grandchild", ("GRANDCHILD_PID_FILE", str(pid_file)), ("HANG", "1"))
    assert crawl_error(spec, Timeouts(start=5, initialize=5, page=0.5)) == "timed out after 0.5s during tools/list"
    assert process_gone(int(pid_file.read_text(encoding="utf-8")))


def test_grandchild_process_is_killed_when_the_crawl_is_cancelled(tmp_path: Path) -> None:
    """Ctrl-C reaches an asyncio program as cancellation of its task; the server must not survive it."""
    pid_file = tmp_path / "grandchild.pid"
    spec = server("grandchild", ("GRANDCHILD_PID_FILE", str(pid_file)), ("HANG", "1"))

    async def cancel_mid_listing() -> None:
        with anyio.move_on_after(1.0):
            await LiveSource(spec, timeouts=Timeouts(start=30, initialize=30, page=30)).list_server()

    anyio.run(cancel_mid_listing)
    assert process_gone(int(pid_file.read_text(encoding="utf-8")))


@contextmanager
def http_server_answering(status: int) -> Iterator[str]:
    """A loopback HTTP server refusing every request with the given status."""

    class Refuse(BaseHTTPRequestHandler):
        def refuse(self) -> None:
            self.send_response(status)
            self.send_header("WWW-Authenticate", 'Bearer realm="mcp"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = do_DELETE = refuse

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.mark.parametrize("status", [401, 403])
def test_streamable_http_server_refusing_access_needs_authentication(status: int) -> None:
    with http_server_answering(status) as base:
        assert crawl_error(HttpServer(url=f"{base}/mcp")) == f"needs authentication (HTTP {status})"


def test_sse_server_refusing_access_needs_authentication() -> None:
    with http_server_answering(401) as base:
        spec = HttpServer(url=f"{base}/sse", transport=Transport.SSE)
        assert crawl_error(spec) == "needs authentication (HTTP 401)"


def test_http_server_failing_otherwise_names_the_status_and_stage() -> None:
    with http_server_answering(500) as base:
        assert crawl_error(HttpServer(url=f"{base}/mcp")) == "server answered HTTP 500 during initialize"


def test_nothing_listening_fails_with_one_line() -> None:
    with http_server_answering(401) as base:
        closed = base  # the port is free again once the server is closed
    reason = crawl_error(HttpServer(url=f"{closed}/mcp"))
    assert reason.startswith(f"cannot connect to {closed}/mcp: ")
