"""Static extraction of MCP tools from Go: mark3labs/mcp-go, the official go-sdk, run-time tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.golang import extract, extract_tools
from crawler.extract.tree import RUNTIME_NOTE, SourceFile, TreeExtraction, extract_tree

REPOS = Path(__file__).parents[2] / "fixtures" / "repos"
NEWTOOL_DEFAULTS = {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False,
                    "openWorldHint": True}


def _tool(name: str, where: str, description: str, schema: dict[str, Any], *,
          title: str | None = None, hints: dict[str, bool] | None = None) -> ToolRecord:
    file, line = where.rsplit(":", 1)
    return ToolRecord(
        server_key="local:go", name=name, title=title, description=description,
        input_schema=schema, hints=ToolHints.model_validate(hints or {}),
        location=Location(kind=LocationKind.STATIC, file=file, line=int(line)),
    )


def test_mcp_go_repo_yields_its_tools_with_options_and_default_hints() -> None:
    result = extract_tree(REPOS / "go-mcpgo", "local:go")

    assert result == TreeExtraction(tools=(
        _tool("fs_delete", "tools/delete.go:9", "Delete a file.\nCannot be undone.",
              {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
              hints={**NEWTOOL_DEFAULTS, "idempotentHint": True}),
        _tool("fs_read", "main.go:20", "Read a file", {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Path to read"},
                "limit": {"type": "number", "default": 100, "minimum": 1, "maximum": 1000},
            },
            "required": ["path"],
        }, hints={**NEWTOOL_DEFAULTS, "readOnlyHint": True, "destructiveHint": False}),
        _tool("fs_search", "main.go:33", "Search files by pattern", {
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "pattern": "^[^/]+$"},
                "kind": {"type": "string", "enum": ["file", "dir"], "default": "file"},
                "roots": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                "hidden": {"type": "boolean"},
                "filters": {"type": "object", "properties": {
                    "size": {"type": "integer", "description": "Minimum size"}}},
            },
            "required": ["pattern"],
        }, title="Search files", hints={"readOnlyHint": True, "openWorldHint": False}),
    ), notes=(), files_scanned=2, complete=True)


def test_go_sdk_tools_take_their_schema_from_the_handler_argument_struct() -> None:
    tools = extract_tree(REPOS / "go-sdk", "local:go").tools

    address = {"type": ["null", "object"],
               "properties": {"street": {"type": "string"},
                              "zip": {"type": "string", "description": "postal code"}},
               "required": ["street"], "additionalProperties": False}
    assert tools == (
        _tool("archive_items", "main.go:60", "Archive items by id", {
            "type": "object",
            "properties": {
                "ids": {"type": ["null", "array"], "items": {"type": "integer"},
                        "description": "items to archive"},
                "level": {"type": "integer", "minimum": 0, "maximum": 255},
            },
            "required": ["ids", "level"], "additionalProperties": False,
        }, title="Archive items",
            hints={"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True}),
        _tool("echo", "main.go:67", "Echo text", {
            "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"],
            "additionalProperties": False}),
        _tool("greet", "main.go:54", "Say hi to someone", {
            "type": "object",
            "properties": {
                "verbose": {"type": "boolean"},
                "name": {"type": "string", "description": "the person to greet"},
                "times": {"type": "integer"},
                "tags": {"type": ["null", "array"], "items": {"type": "string"}},
                "home": address,
                "extra": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["name"], "additionalProperties": False,
        }, hints={"readOnlyHint": True, "idempotentHint": False, "openWorldHint": False}),
        _tool("raw_schema", "main.go:74", "A tool with a hand-written schema", {
            "type": "object", "required": ["q"],
            "properties": {"q": {"type": "string", "description": "query"},
                           "limit": {"type": "integer", "minimum": 1.0}},
        }),
    )


def test_tools_named_at_run_time_are_reported_and_helper_calls_are_expanded() -> None:
    result = extract_tree(REPOS / "go-dynamic", "local:go")

    read_only = {**NEWTOOL_DEFAULTS, "readOnlyHint": True}
    empty = {"type": "object", "properties": {}}
    assert result == TreeExtraction(tools=(
        _tool("health", "main.go:18", "Report health", empty, hints=NEWTOOL_DEFAULTS),
        _tool("status", "main.go:26", "Report status", empty, hints=read_only),
        _tool("version", "main.go:27", "Report version", empty, hints=read_only),
    ), notes=(
        RUNTIME_NOTE.format(count=3),
        "tools built at run time: main.go:24: a tool name computed at run time (e.Name)",
    ), files_scanned=1, complete=False)


def test_raw_schema_tools_and_bare_strings_mentioning_tools() -> None:
    source = '''package main

import "github.com/mark3labs/mcp-go/mcp"

var doc = "call mcp.NewTool(\\"fake\\") to make a tool"

func raw() mcp.Tool {
	return mcp.NewToolWithRawSchema("run_query", "Run a " + "query",
		json.RawMessage(`{"type": "object", "properties": {"sql": {"type": "string"}}}`))
}
'''
    tools = extract_tools([SourceFile("raw.go", source)], "local:go")

    assert tools == [_tool("run_query", "raw.go:8", "Run a query", {
        "type": "object", "properties": {"sql": {"type": "string"}}})]


def test_go_file_with_syntax_errors_is_read_as_far_as_it_parses() -> None:
    source = 'package main\nfunc a() { s.AddTool(mcp.NewTool("kept", mcp.WithDescription("ok")), h) }\nfunc b( {\n'

    result = extract([SourceFile("broken.go", source)], "local:go")

    assert [tool.name for tool in result.tools] == ["kept"]
    assert result.notes == ("broken.go has Go syntax errors; read what parsed",)


def test_deep_nesting_and_self_referring_types_are_bounded() -> None:
    nested = "[]" * 3000 + "int"
    source = (
        "package main\ntype Loop struct { Next *Loop `json:\"next\"`; Deep " + nested + " `json:\"deep\"` }\n"
        "const A = B\nconst B = A\n"
        "func h(ctx context.Context, r *mcp.CallToolRequest, in Loop) {}\n"
        "func main() { mcp.AddTool(s, &mcp.Tool{Name: \"loop\"}, h); mcp.NewTool(A) }\n"
        + "var x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    )

    result = extract([SourceFile("deep.go", source)], "local:go")

    assert [tool.name for tool in result.tools] == ["loop"]
    properties = result.tools[0].input_schema["properties"]
    # A struct met again inside itself is left open rather than followed forever.
    assert properties["next"] == {}
    innermost, levels = properties["deep"], 0
    while "items" in innermost:
        innermost, levels = innermost["items"], levels + 1
    assert (innermost, levels) == ({}, 23)
    assert result.runtime_sites == ("deep.go:6: a tool name computed at run time (A)",)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_go_extractor_never_raises_on_arbitrary_text(text: str) -> None:
    wrapped = f'package main\nfunc f() {{ mcp.NewTool("t", {text}) }}\n'
    result = extract([SourceFile("a.go", text), SourceFile("b.go", wrapped)], "local:go")

    assert all(tool.server_key == "local:go" for tool in result.tools)


def test_go_test_files_and_testdata_are_not_read(tmp_path: Path) -> None:
    tool = 'package main\nvar t = mcp.NewTool("{name}")\n'
    (tmp_path / "testdata").mkdir()
    (tmp_path / "testdata" / "fixture.go").write_text(tool.format(name="from_testdata"), encoding="utf-8")
    (tmp_path / "server_test.go").write_text(tool.format(name="from_test"), encoding="utf-8")
    (tmp_path / "server.go").write_text(tool.format(name="real"), encoding="utf-8")

    result = extract_tree(tmp_path, "local:go")

    assert [t.name for t in result.tools] == ["real"]
    assert result.files_scanned == 1
