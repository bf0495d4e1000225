"""Static extraction of MCP tools from Python: every FastMCP spelling, the low-level server, decoys."""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.python import extract, extract_tools
from crawler.extract.tree import RUNTIME_NOTE, SourceFile, TreeExtraction, extract_tree

REPOS = Path(__file__).parents[2] / "fixtures" / "repos"


def _tool(name: str, where: str, description: str, schema: dict[str, Any], *,
          title: str | None = None, hints: dict[str, bool] | None = None,
          key: str = "local:py") -> ToolRecord:
    file, line = where.rsplit(":", 1)
    return ToolRecord(
        server_key=key, name=name, title=title, description=description, input_schema=schema,
        hints=ToolHints.model_validate(hints or {}),
        location=Location(kind=LocationKind.STATIC, file=file, line=int(line)),
    )


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}


def test_fastmcp_repo_yields_every_registration_spelling_exactly() -> None:
    result = extract_tree(REPOS / "py-fastmcp", "local:py")

    server = "notes_server/server.py"
    note_defs = {
        "NoteDraft": _obj(
            {"title": {"type": "string", "description": "Short title"},
             "body": {"type": "string", "default": ""},
             "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}}},
            ["title"], description="A note before it is saved."),
        "Priority": {"enum": ["low", "high"], "type": "string", "description": "How urgent a note is."},
        "Tag": _obj({"label": {"type": "string"}, "colour": NULLABLE_STRING}, ["label"]),
    }
    assert result == TreeExtraction(tools=(
        _tool("archive_notes", f"{server}:67", "Archive notes.", _obj(
            {"note_ids": {"type": "array", "items": {"type": "string"}},
             "before": {"type": "number", "description": "Cutoff", "minimum": 0, "default": 0.0}},
            ["note_ids"])),
        _tool("delete_note", f"{server}:55", "Delete a note for good.", _obj(
            {"note_id": {"type": "string"}, "force": {"type": "boolean", "default": False}}, ["note_id"]),
            hints={"readOnlyHint": False, "destructiveHint": True}),
        _tool("export_notes", "notes_server/extra.py:7", "Export every note as JSON",
              _obj({"include_deleted": {"type": "boolean", "default": False}})),
        _tool("list_notes", f"{server}:17", "List the most recent notes.\n\nNewest first.",
              _obj({"limit": {"type": "integer", "default": 20}})),
        _tool("read_note", f"{server}:26", "Read one note by id.",
              _obj({"note_id": {"type": "string"}}, ["note_id"])),
        _tool("save_note", f"{server}:42", "Save a note", _obj(
            {"draft": {"$ref": "#/$defs/NoteDraft"},
             "priority": {"$ref": "#/$defs/Priority", "default": "low"}},
            ["draft"], **{"$defs": note_defs}),
            hints={"destructiveHint": False, "idempotentHint": False}),
        _tool("search_notes", f"{server}:32",
              "Not the description: the decorator has none, so this docstring is used.", _obj(
                  {"query": {"type": "string", "description": "Words to look for", "minLength": 1},
                   "mode": {"enum": ["any", "all"], "type": "string", "default": "any"},
                   "since": NULLABLE_STRING},
                  ["query"]),
              title="Search notes", hints={"readOnlyHint": True, "openWorldHint": False}),
    ), notes=(), files_scanned=3, complete=True)


def test_lowlevel_server_lists_the_tools_its_handler_reaches() -> None:
    tools = extract_tree(REPOS / "py-lowlevel", "local:py").tools

    server = "src/weather_server/server.py"
    assert tools == (
        _tool("current_weather", f"{server}:55", "Current weather for a city", _obj(
            {"city": {"type": "string", "description": "City name"},
             "metric": {"type": "boolean", "default": True}}, ["city"])),
        _tool("purge_cache", f"{server}:44", "Drop every cached forecast", _obj({}),
              hints={"destructiveHint": True, "idempotentHint": True}),
        _tool("radar_image", f"{server}:29", "Radar image of a region", _obj(
            {"region": {"type": "string", "enum": ["eu", "us"]}}, ["region"]),
            hints={"readOnlyHint": True}),
        _tool("weather_history", f"{server}:62", "Past observations",
              _obj({"days": {"type": "integer"}}), title="Weather history"),
    )


def test_decoys_are_not_tools_and_run_time_registration_is_reported() -> None:
    result = extract_tree(REPOS / "py-decoys-and-dynamic", "local:py")

    assert [tool.name for tool in result.tools] == ["first", "menu", "ping", "second"]
    assert result.notes == (
        "skipped app/broken.py: not valid Python (invalid syntax)",
        RUNTIME_NOTE.format(count=4),
        "tools built at run time: app/server.py:12: FastMCP.from_openapi(...) builds tools from "
        "data, app/server.py:40: a tool function known only at run time (plugin.handler)",
    )
    assert result.complete is False
    assert RUNTIME_NOTE.format(count=4) == (
        "4 tools found statically; this server builds tools at run time: use --run or a live URL")


def test_non_utf8_file_is_read_with_replacement_characters() -> None:
    tools = extract_tree(REPOS / "py-decoys-and-dynamic", "local:py").tools

    menu = next(tool for tool in tools if tool.name == "menu")
    assert menu.description == "Caf\ufffd menu."
    assert menu.location == Location(kind=LocationKind.STATIC, file="app/encoded.py", line=7)


def _strip_titles(value: Any) -> Any:
    """pydantic's automatic titles, which the static extractor leaves out by design."""
    if isinstance(value, dict):
        return {k: _strip_titles(v) for k, v in value.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(value, list):
        return [_strip_titles(item) for item in value]
    return value


def test_static_schemas_equal_what_mcpserver_itself_builds_without_titles() -> None:
    path = REPOS / "py-mcpserver" / "server.py"
    spec = importlib.util.spec_from_file_location("fixture_weather_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own fixture, written to be run
    live = asyncio.run(module.server.list_tools())

    static = extract_tools([SourceFile("server.py", path.read_text(encoding="utf-8"))], "local:py")

    assert {tool.name: _strip_titles(tool.input_schema) for tool in live} == {
        tool.name: tool.input_schema for tool in static}
    assert {tool.name: (tool.description, tool.title) for tool in live} == {
        tool.name: (tool.description, tool.title) for tool in static}
    assert {tool.name: (tool.annotations.model_dump(by_alias=True, exclude_none=True)
                        if tool.annotations else {}) for tool in live} == {
        tool.name: tool.hints.declared() for tool in static}


def test_annotation_constants_and_small_factories_give_hints() -> None:
    source = '''
from enum import Enum
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

class GitTools(str, Enum):
    STATUS = "git_status"
    RESET = "git_reset"

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False)

def writes(*, destructive: bool, idempotent: bool = False) -> ToolAnnotations:
    return ToolAnnotations(read_only_hint=False, destructive_hint=destructive,
                           idempotent_hint=idempotent)

def create_server() -> MCPServer:
    server = MCPServer("git")

    @server.tool(name=GitTools.STATUS.value, description="Status", annotations=READ_ONLY)
    def status(repo_path: str) -> str:
        return ""

    @server.tool(name=GitTools.RESET, annotations=writes(destructive=True))
    def reset(repo_path: str) -> str:
        return ""

    return server
'''
    tools = extract_tools([SourceFile("git/server.py", source)], "pypi:git")

    assert [(tool.name, tool.hints.declared()) for tool in tools] == [
        ("git_status", {"readOnlyHint": True, "destructiveHint": False}),
        ("git_reset", {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False}),
    ]


def test_file_with_a_syntax_error_is_skipped_with_a_note_and_others_still_read() -> None:
    good = SourceFile("ok.py", "from fastmcp import FastMCP\nmcp = FastMCP('x')\n@mcp.tool\ndef a() -> None: ...\n")
    bad = SourceFile("bad.py", "@mcp.tool(\ndef broken(:\n")

    result = extract([bad, good], "local:x")

    assert [tool.name for tool in result.tools] == ["a"]
    assert result.notes == ("skipped bad.py: not valid Python (invalid syntax)",)
    assert result.complete is False


def test_deeply_nested_or_self_referring_code_is_bounded() -> None:
    deep_annotation = "list[" * 150 + "int" + "]" * 150
    source = (
        "from fastmcp import FastMCP\nmcp = FastMCP('x')\nA = B\nB = A\n"
        f"@mcp.tool(name=A)\ndef loops(x: {deep_annotation}) -> None: ...\n"
        "class Node(BaseModel):\n    child: 'Node | None' = None\n"
        "@mcp.tool\ndef tree(root: Node) -> None: ...\n"
    )
    too_deep = SourceFile("deep.py", "x = " + "(" * 100_000 + ")" * 100_000)

    result = extract([SourceFile("s.py", source), too_deep], "local:x")

    assert [tool.name for tool in result.tools] == ["tree"]
    assert result.runtime_sites == ("s.py:5: a tool name computed at run time",)
    assert result.notes[0].startswith("skipped deep.py: not valid Python")
    assert result.tools[0].input_schema["$defs"] == {"Node": {"type": "object", "properties": {
        "child": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}], "default": None}}}}


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_python_extractor_never_raises_on_arbitrary_text(text: str) -> None:
    result = extract([SourceFile("any.py", text), SourceFile("t.py", "@mcp.tool\n" + text)], "local:x")

    assert all(tool.server_key == "local:x" for tool in result.tools)


def test_pytest_and_packaging_files_are_not_read(tmp_path: Path) -> None:
    registration = "from fastmcp import FastMCP\nmcp = FastMCP('x')\n@mcp.tool\ndef {name}() -> None: ...\n"
    for file_name in ("test_tools.py", "tools_test.py", "conftest.py", "setup.py", "real.py"):
        stem = file_name.removesuffix(".py")
        (tmp_path / file_name).write_text(registration.format(name=stem), encoding="utf-8")

    result = extract_tree(tmp_path, "local:x")

    assert [tool.name for tool in result.tools] == ["real"]
    assert result.files_scanned == 1


def test_unpacked_wheel_and_sdist_layouts_are_extracted_alike(tmp_path: Path) -> None:
    package = REPOS / "py-lowlevel" / "src" / "weather_server"
    wheel = tmp_path / "wheel"
    shutil.copytree(package, wheel / "weather_server")
    (wheel / "weather_server-1.0.dist-info").mkdir()
    (wheel / "weather_server-1.0.dist-info" / "METADATA").write_text("Name: weather-server\n", encoding="utf-8")
    sdist = tmp_path / "sdist" / "weather_server-1.0"
    shutil.copytree(package, sdist / "src" / "weather_server")
    (sdist / "PKG-INFO").write_text("Name: weather-server\n", encoding="utf-8")

    from_wheel = extract_tree(wheel, "pypi:weather-server")
    from_sdist = extract_tree(tmp_path / "sdist", "pypi:weather-server")

    names = ["current_weather", "purge_cache", "radar_image", "weather_history"]
    assert [tool.name for tool in from_wheel.tools] == names
    assert [tool.name for tool in from_sdist.tools] == names
    assert [t.location.file for t in from_sdist.tools] == [
        "weather_server-1.0/src/weather_server/server.py"] * 4
    assert [t.definition_hash for t in from_wheel.tools] == [t.definition_hash for t in from_sdist.tools]
