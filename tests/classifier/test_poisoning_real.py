"""False positives of the suspicious-instruction scan, measured on real servers: the target is none."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import pytest

from catalog.records import Location, LocationKind, ToolRecord
from classifier.dataset import load_labels
from classifier.poisoning import scan_server, scan_tool
from crawler.sources.live import LiveSource
from crawler.sources.live_spec import StdioServer
from crawler.sources.tool_json import tools_from_json

REPO = Path(__file__).resolve().parents[2]
# The team's shared data folder sits beside the checkout (CI clones main with shared/ beside it).
DOCKER_CATALOG = (
    Path(os.environ.get("CATALOG_SHARED_DATA", str(REPO.parent / "shared" / "data")))
    / "docker-mcp-catalog"
)
SERVERS = Path(os.environ.get("CATALOG_TEST_SERVERS", REPO / ".test-servers")).resolve()
NPM = SERVERS / "npm/node_modules/@modelcontextprotocol"


def require(path: Path) -> Path:
    """Skip when the data or a server is not here; in CI (CI set) that is a failure, never a skip."""
    if not path.exists():
        message = f"{path} is missing (shared data beside the checkout, or scripts/install-test-servers.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def docker_catalog_tools() -> list[ToolRecord]:
    tools: list[ToolRecord] = []
    for path in sorted(require(DOCKER_CATALOG).glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        location = Location(kind=LocationKind.SAVED, detail=path.name)
        tools += tools_from_json(
            raw, server_key=f"saved:{path.stem}", location=location, max_tools=10_000
        )
    return tools


def test_the_722_docker_catalog_tools_raise_no_suspicious_instruction_flag() -> None:
    tools = docker_catalog_tools()
    assert len(tools) == 722
    assert {tool.name: scan_tool(tool) for tool in tools if scan_tool(tool)} == {}


def test_the_4621_tools_of_the_weak_label_servers_raise_no_flag() -> None:
    # 117 real servers' listings, kept in the repository (data/labels/weak), descriptions and
    # parameter descriptions included: the broadest real sample that needs nothing installed.
    rows = load_labels(REPO / "data" / "labels" / "weak")
    assert len(rows) == 4621
    assert {row.id: scan_tool(row.record) for row in rows if scan_tool(row.record)} == {}


def test_the_installed_reference_servers_raise_no_flag_on_tools_or_instructions(
    tmp_path: Path,
) -> None:
    commands = [
        (str(require(SERVERS / "py-time/bin/mcp-server-time")),),
        (str(require(SERVERS / "py-git/bin/mcp-server-git")),),
        ("node", str(require(NPM / "server-everything/dist/index.js")), "stdio"),
        ("node", str(require(NPM / "server-memory/dist/index.js"))),
        ("node", str(require(NPM / "server-filesystem/dist/index.js")), str(tmp_path)),
    ]
    results = [
        anyio.run(LiveSource(StdioServer(command=command)).list_server) for command in commands
    ]
    assert sum(len(result.tools) for result in results) == 50
    # server-everything is the one with instructions: a page of directions about its own tools.
    assert [result.server.instructions is not None for result in results] == [
        False,
        False,
        True,
        False,
        False,
    ]
    flagged = {
        f"{result.server.key} {tool.name}": scan_tool(tool)
        for result in results
        for tool in result.tools
        if scan_tool(tool)
    }
    flagged |= {
        result.server.key: scan_server(result.server.instructions)
        for result in results
        if scan_server(result.server.instructions)
    }
    assert flagged == {}
