"""Live crawls of real MCP servers installed by scripts/install-test-servers.sh, over stdio, HTTP and SSE."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest

from catalog.records import CrawlResult, Location, LocationKind, Origin, OriginKind
from crawler.sources.live import LiveSource
from crawler.sources.live_spec import HttpServer, LiveSpec, StdioServer, Transport

REPO = Path(__file__).resolve().parents[3]
SERVERS = Path(os.environ.get("CATALOG_TEST_SERVERS", REPO / ".test-servers"))
LOOPBACK_ONLY = REPO / "tests/fixtures/servers/loopback_only.cjs"
NPM = SERVERS / "npm/node_modules/@modelcontextprotocol"
EVERYTHING = NPM / "server-everything/dist/index.js"

# Read once from the pinned versions' real listings (see the install script), hints as declared.
RO = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}
TIME_TOOLS = {"get_current_time": RO, "convert_time": RO}
GIT_TOOLS = {
    "git_status": RO, "git_diff_unstaged": RO, "git_diff_staged": RO, "git_diff": RO, "git_log": RO,
    "git_show": RO, "git_branch": RO,
    "git_commit": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": False},
    "git_add": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False},
    "git_reset": {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True, "openWorldHint": False},
    "git_create_branch": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": False},
    "git_checkout": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": False},
}
MUTATING = {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": False}
EVERYTHING_TOOLS = {
    "echo": RO, "get-annotated-message": RO, "get-env": RO, "get-resource-links": RO,
    "get-resource-reference": RO, "get-structured-content": RO, "get-sum": RO, "get-tiny-image": RO,
    "trigger-long-running-operation": RO,
    "gzip-file-as-resource": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": True, "openWorldHint": True},
    "toggle-simulated-logging": MUTATING, "toggle-subscriber-updates": MUTATING, "simulate-research-query": MUTATING,
}
DELETES = {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True, "openWorldHint": False}
MEMORY_TOOLS = {
    "create_entities": MUTATING, "create_relations": MUTATING, "add_observations": MUTATING,
    "delete_entities": DELETES, "delete_observations": DELETES, "delete_relations": DELETES,
    "read_graph": RO, "search_nodes": RO, "open_nodes": RO,
}
FS_READ = {"readOnlyHint": True, "openWorldHint": False}
FILESYSTEM_TOOLS = {
    "read_file": FS_READ, "read_text_file": FS_READ, "read_media_file": FS_READ, "read_multiple_files": FS_READ,
    "list_directory": FS_READ, "list_directory_with_sizes": FS_READ, "directory_tree": FS_READ,
    "search_files": FS_READ, "get_file_info": FS_READ, "list_allowed_directories": FS_READ,
    "write_file": DELETES,
    "edit_file": {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False, "openWorldHint": False},
    "move_file": {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False, "openWorldHint": False},
    "create_directory": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False},
}


def require(path: Path) -> Path:
    """Skip when a server is not installed here; in CI (CI set) that is a failure, never a skip."""
    if not path.exists():
        message = f"{path} is missing: run scripts/install-test-servers.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def crawl(spec: LiveSpec) -> CrawlResult:
    return anyio.run(LiveSource(spec).list_server)


def hints_by_name(result: CrawlResult) -> dict[str, dict[str, bool]]:
    return {tool.name: tool.hints.declared() for tool in result.tools}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def everything_over(mode: str) -> Iterator[int]:
    """server-everything in HTTP or SSE mode on a free loopback port, its process group killed after."""
    port = free_port()
    server = subprocess.Popen(
        ["node", "--require", str(LOOPBACK_ONLY), str(require(EVERYTHING)), mode],
        env={"PATH": os.environ["PATH"], "PORT": str(port), "HOME": os.environ.get("HOME", "/tmp")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"server-everything {mode} did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def test_mcp_server_time_lists_its_two_read_only_tools() -> None:
    command = (str(require(SERVERS / "py-time/bin/mcp-server-time")),)
    result = crawl(StdioServer(command=command))
    assert result.server.key == "stdio:mcp-server-time"
    assert (result.server.name, result.server.version) == ("mcp-time", "2026.10.19")
    assert result.server.origins == (Origin(kind=OriginKind.STDIO, value="mcp-server-time", version="2026.10.19"),)
    assert hints_by_name(result) == TIME_TOOLS
    assert {tool.location for tool in result.tools} == {Location(kind=LocationKind.LIVE, detail="mcp-server-time")}


def test_mcp_server_git_lists_twelve_tools_with_their_hints() -> None:
    command = (str(require(SERVERS / "py-git/bin/mcp-server-git")),)
    result = crawl(StdioServer(command=command, name="git"))
    assert result.server.key == "stdio:git"
    assert hints_by_name(result) == GIT_TOOLS


def test_server_everything_over_stdio_lists_thirteen_tools_and_counts_resources_and_prompts() -> None:
    result = crawl(StdioServer(command=("node", str(require(EVERYTHING)), "stdio")))
    assert result.server.key == "stdio:@modelcontextprotocol/server-everything"
    assert (result.server.name, result.server.title) == ("mcp-servers/everything", "Everything Reference Server")
    assert result.server.instructions is not None and "Server Instructions" in result.server.instructions
    assert result.server.notes == ("protocol version 2025-11-25", "offers 7 resources and 4 prompts")
    assert hints_by_name(result) == EVERYTHING_TOOLS
    echo = next(tool for tool in result.tools if tool.name == "echo")
    assert (echo.title, echo.input_schema["required"]) == ("Echo Tool", ["message"])


def test_server_everything_over_streamable_http_lists_the_same_thirteen_tools() -> None:
    with everything_over("streamableHttp") as port:
        result = crawl(HttpServer(url=f"http://127.0.0.1:{port}/mcp/"))
    assert result.server.key == f"url:http://127.0.0.1:{port}/mcp"
    assert result.server.origins == (
        Origin(kind=OriginKind.URL, value=f"http://127.0.0.1:{port}/mcp", version="2.0.0"),
    )
    assert hints_by_name(result) == EVERYTHING_TOOLS


def test_server_everything_over_sse_lists_the_same_thirteen_tools() -> None:
    with everything_over("sse") as port:
        result = crawl(HttpServer(url=f"http://127.0.0.1:{port}/sse", transport=Transport.SSE))
    assert result.server.key == f"url:http://127.0.0.1:{port}/sse"
    assert hints_by_name(result) == EVERYTHING_TOOLS


def test_server_memory_lists_nine_tools_with_destructive_deletes() -> None:
    result = crawl(StdioServer(command=("node", str(require(NPM / "server-memory/dist/index.js")))))
    assert result.server.key == "stdio:@modelcontextprotocol/server-memory"
    assert hints_by_name(result) == MEMORY_TOOLS


def test_server_filesystem_lists_fourteen_tools_and_leaves_undeclared_hints_absent(tmp_path: Path) -> None:
    script = require(NPM / "server-filesystem/dist/index.js")
    result = crawl(StdioServer(command=("node", str(script), str(tmp_path)), name="filesystem"))
    assert result.server.key == "stdio:filesystem"
    assert hints_by_name(result) == FILESYSTEM_TOOLS
    read_file = next(tool for tool in result.tools if tool.name == "read_text_file")
    assert (read_file.hints.destructive, read_file.hints.idempotent) == (None, None)
