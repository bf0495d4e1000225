"""Saved tools/list listings: the accepted shapes, the refusals, and the 26 recorded Docker catalog files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import pytest

from catalog.errors import CrawlError
from catalog.records import (
    CrawlResult,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    ServerRecord,
    ToolHints,
    ToolRecord,
)
from crawler.http import build_client
from crawler.source import CrawlContext
from crawler.sources.saved import MAX_FILE_BYTES, SavedListingSource
from crawler.sources.tool_json import MAX_STRING_CHARS

REPO = Path(__file__).resolve().parents[3]
# The team's shared data folder sits beside the checkout (CI clones main with shared/ beside it).
DOCKER_CATALOG = (
    Path(os.environ.get("CATALOG_SHARED_DATA", str(REPO.parent / "shared" / "data"))) / "docker-mcp-catalog"
)
TOOLS = [
    {
        "name": "delete_customer",
        "title": "Delete customer",
        "description": "Removes a customer.",
        "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
        "annotations": {"destructiveHint": True, "readOnlyHint": False},
        "_meta": {"acme/team": "crm"},
    },
    {"name": "list_customers", "inputSchema": {"type": "object"}, "annotations": {"title": "List customers"}},
]


def write(tmp_path: Path, payload: object, name: str = "tools-list.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def expected_result(path: Path, server_name: str = "acme-crm", version: str | None = None) -> CrawlResult:
    location = Location(kind=LocationKind.SAVED, detail=path.name)
    return CrawlResult(
        server=ServerRecord(
            key="local:acme-crm",
            name=server_name,
            version=version,
            origins=(Origin(kind=OriginKind.SAVED, value=path.name),),
        ),
        tools=(
            ToolRecord(
                server_key="local:acme-crm",
                name="delete_customer",
                title="Delete customer",
                description="Removes a customer.",
                input_schema={"type": "object", "properties": {"id": {"type": "string"}}},
                hints=ToolHints(destructive=True, read_only=False),
                meta={"acme/team": "crm"},
                location=location,
            ),
            ToolRecord(
                server_key="local:acme-crm",
                name="list_customers",
                title="List customers",
                input_schema={"type": "object"},
                location=location,
            ),
        ),
    )


def crawl(path: Path, name: str | None = "acme-crm") -> list[CrawlResult]:
    async def run() -> list[CrawlResult]:
        async with build_client() as http:
            return [result async for result in SavedListingSource(path, name).crawl(CrawlContext(http=http))]

    return anyio.run(run)


def test_jsonrpc_response_listing_reads_every_part_of_each_tool(tmp_path: Path) -> None:
    path = write(tmp_path, {"jsonrpc": "2.0", "id": 1, "result": {"tools": TOOLS}})
    assert crawl(path) == [expected_result(path)]


def test_bare_result_listing_reads_the_same_records(tmp_path: Path) -> None:
    path = write(tmp_path, {"tools": TOOLS, "nextCursor": None})
    assert crawl(path) == [expected_result(path)]


def test_bare_array_listing_reads_the_same_records(tmp_path: Path) -> None:
    path = write(tmp_path, TOOLS)
    assert crawl(path) == [expected_result(path)]


def test_server_info_gives_the_server_name_and_version(tmp_path: Path) -> None:
    payload = {"jsonrpc": "2.0", "id": 1, "result": {"serverInfo": {"name": "acme", "version": "4.1"}, "tools": TOOLS}}
    path = write(tmp_path, payload)
    assert crawl(path) == [expected_result(path, server_name="acme", version="4.1")]


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    path = write(tmp_path, {"tools": []}, name="acme-crm.json")
    assert crawl(path, name=None) == [expected_result(path).model_copy(update={"tools": ()})]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"tools": [', "not a tools/list listing: invalid JSON at line 1 column 12: Expecting value"),
        ('"tools"', "not a tools/list listing: the top level is neither an object nor an array"),
        ('{"result": 3}', "not a tools/list listing: result is not an object"),
        ('{"servers": []}', "not a tools/list listing: no tools array (expected result.tools, tools, or a bare array)"),
        ('{"tools": {"a": 1}}', "not a tools/list listing: tools is an object, not a list"),
        ('{"tools": [{"description": "x"}]}', "not a tools/list listing: a tool has no name"),
        ('{"tools": ["echo"]}', "not a tools/list listing: a tool is a string, not an object"),
        (
            '{"tools": [{"name": "a", "annotations": {"readOnlyHint": "yes"}}]}',
            "not a tools/list listing: tool 'a': annotations.readOnlyHint is a string, not true or false",
        ),
        (
            '{"tools": [{"name": "a", "inputSchema": []}]}',
            "not a tools/list listing: tool 'a': inputSchema is a list, not an object",
        ),
        ('{"tools": [{"name": "a"}, {"name": "a"}]}', "not a tools/list listing: tool 'a' is listed twice"),
        (
            '{"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found"}}',
            "not a tools/list listing: it is a JSON-RPC error response: -32601 Method not found",
        ),
        ('{"tools": [], "serverInfo": "acme"}', "not a tools/list listing: serverInfo is not an object"),
    ],
)
def test_malformed_listing_fails_with_one_line(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CrawlError) as caught:
        crawl(path)
    assert str(caught.value) == reason


def test_huge_description_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, {"tools": [{"name": "a", "description": "x" * (MAX_STRING_CHARS + 1)}]})
    with pytest.raises(CrawlError) as caught:
        crawl(path)
    assert str(caught.value) == f"not a tools/list listing: tool 'a': a string is longer than {MAX_STRING_CHARS} characters"


def test_huge_string_deep_in_a_schema_is_refused(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"q": {"enum": ["ok", "y" * (MAX_STRING_CHARS + 1)]}}}
    path = write(tmp_path, {"tools": [{"name": "a", "inputSchema": schema}]})
    with pytest.raises(CrawlError, match="a string is longer than"):
        crawl(path)


def test_file_over_the_size_bound_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(CrawlError) as caught:
        crawl(path)
    assert str(caught.value) == (
        f"not a tools/list listing: big.json is {MAX_FILE_BYTES + 1} bytes, more than the {MAX_FILE_BYTES} accepted"
    )


def test_missing_file_fails_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(CrawlError, match=r"^cannot read .*absent\.json: No such file or directory$"):
        crawl(tmp_path / "absent.json")


def require_docker_catalog() -> None:
    """Skip when the recorded listings are absent here; in CI (CI set) that is a failure."""
    if not DOCKER_CATALOG.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{DOCKER_CATALOG} is missing")
        pytest.skip(f"{DOCKER_CATALOG} is missing")


def test_every_recorded_docker_catalog_listing_loads() -> None:
    require_docker_catalog()
    files = sorted(DOCKER_CATALOG.glob("*.json"))
    counts = {path.stem: len(crawl(path, name=path.stem)[0].tools) for path in files}
    assert len(counts) == 26
    assert sum(counts.values()) == 722
    assert counts["okta-mcp-server"] == 108
    assert counts["zscaler-mcp-server"] == 302


def test_docker_catalog_hints_keep_absent_apart_from_false() -> None:
    require_docker_catalog()
    raw = {
        (path.stem, tool["name"]): tool.get("annotations", {})
        for path in sorted(DOCKER_CATALOG.glob("*.json"))
        for tool in json.loads(path.read_text(encoding="utf-8"))
    }
    tools = [tool for path in sorted(DOCKER_CATALOG.glob("*.json")) for tool in crawl(path, name=path.stem)[0].tools]
    declared = {(tool.location.detail.removesuffix(".json"), tool.name): tool.hints.declared() for tool in tools if tool.hints.any_declared}
    # 24 tools carry annotations; 4 of them (buildkite) only a title, so 20 declare hints.
    assert len(declared) == 20
    assert declared == {key: {k: v for k, v in value.items() if k.endswith("Hint")} for key, value in raw.items() if any(k.endswith("Hint") for k in value)}
