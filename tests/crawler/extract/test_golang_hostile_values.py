"""Constants, literals and struct types defined through themselves, or doubling, never hang the Go extractor."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.go_schema import MAX_SCHEMA_NODES
from crawler.extract.golang import extract
from crawler.extract.tree import LanguageExtraction, SourceFile

HEADER = 'package main\n\nimport "github.com/mark3labs/mcp-go/mcp"\n\n'
NEWTOOL_DEFAULTS = {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False,
                    "openWorldHint": True}
KEY = "local:hostile"


def _tool(name: str, where: str, schema: dict[str, Any] | None = None) -> ToolRecord:
    file, line = where.rsplit(":", 1)
    return ToolRecord(server_key=KEY, name=name, input_schema=schema or {"type": "object", "properties": {}},
                      hints=ToolHints.model_validate(NEWTOOL_DEFAULTS),
                      location=Location(kind=LocationKind.STATIC, file=file, line=int(line)))


def _extract(*files: tuple[str, str]) -> LanguageExtraction:
    return extract([SourceFile(path, text) for path, text in files], KEY)


def _schemas_in(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(_schemas_in(item) for item in value.values())
    if isinstance(value, list):
        return sum(_schemas_in(item) for item in value)
    return 0


@pytest.mark.timeout(10)
def test_a_constant_defined_through_itself_is_unknown_and_its_tool_reported() -> None:
    source = HEADER + ("const A = A + A\n\nfunc register(s *server.MCPServer) {\n"
                       '\ts.AddTool(mcp.NewTool(A), handle)\n'
                       '\ts.AddTool(mcp.NewTool("kept", mcp.WithDescription(A)), handle)\n}\n')

    assert _extract(("self.go", source)) == LanguageExtraction(
        tools=(_tool("kept", "self.go:9"),),
        runtime_sites=("self.go:8: a tool name computed at run time (A)",))


@pytest.mark.timeout(10)
def test_a_wide_slice_of_itself_is_unknown() -> None:
    source = HEADER + ("var A = []string{" + ", ".join(["A"] * 16) + "}\n\n"
                       "func register(s *server.MCPServer) {\n"
                       '\ts.AddTool(mcp.NewTool("wide", mcp.WithString("mode", mcp.Enum(A...))), handle)\n}\n')

    assert _extract(("wide.go", source)) == LanguageExtraction(tools=(_tool(
        "wide", "wide.go:8", {"type": "object", "properties": {"mode": {"type": "string"}}}),))


@pytest.mark.timeout(10)
def test_constants_and_slices_doubling_at_every_step_finish() -> None:
    strings = "".join(f"const A{i} = A{i - 1} + A{i - 1}\n" for i in range(1, 81))
    slices = "".join(f"var L{i} = []any{{" + ", ".join([f"L{i - 1}"] * 16) + "}\n" for i in range(1, 41))
    source = HEADER + (f'const A0 = "x"\n{strings}var L0 = []any{{"x"}}\n{slices}\n'
                       "func register(s *server.MCPServer) {\n"
                       "\ts.AddTool(mcp.NewTool(A80), handle)\n\ts.AddTool(mcp.NewTool(A3), handle)\n"
                       '\ts.AddTool(mcp.NewTool("listed", mcp.WithString("mode", mcp.Enum(L40...))), handle)\n}\n')

    found = _extract(("dag.go", source))

    assert sorted(found.tools, key=lambda tool: tool.location.line or 0) == [
        _tool("xxxxxxxx", "dag.go:130"),
        _tool("listed", "dag.go:131", {"type": "object", "properties": {"mode": {"type": "string"}}})]
    assert found.runtime_sites == ("dag.go:129: a tool name computed at run time (A80)",)


@pytest.mark.timeout(10)
def test_struct_types_of_eight_fields_of_the_type_before_finish_with_a_bounded_schema() -> None:
    fields = "; ".join(f'F{j} T{{}} `json:"f{j}"`' for j in range(8))
    types = "".join(f"type T{i} struct {{ {fields.format(*[i - 1] * 8)} }}\n" for i in range(1, 40))
    source = ('package main\n\ntype T0 struct {\n\tName string `json:"name"`\n}\n' + types
              + "\nfunc handle(ctx context.Context, req *mcp.CallToolRequest, in T39) (*mcp.CallToolResult, any, error) {\n"
              + '\treturn nil, nil, nil\n}\n\nfunc main() {\n\tmcp.AddTool(server, &mcp.Tool{Name: "nested"}, handle)\n}\n')

    (tool,) = _extract(("nested.go", source)).tools

    assert (tool.name, tool.input_schema["required"]) == ("nested", [f"f{j}" for j in range(8)])
    assert _schemas_in(tool.input_schema) <= 2 * MAX_SCHEMA_NODES


@pytest.mark.timeout(10)
def test_a_schema_literal_whose_properties_are_itself_leaves_them_open() -> None:
    properties = ", ".join(f'"k{i}": &S' for i in range(10))
    source = ('package main\n\nvar S = jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{'
              + properties + '}}\n\nfunc main() {\n\tmcp.AddTool(server, &mcp.Tool{Name: "loop", InputSchema: &S}, handle)\n}\n')

    assert _extract(("loop.go", source)) == LanguageExtraction(tools=(ToolRecord(
        server_key=KEY, name="loop",
        input_schema={"type": "object", "properties": {f"k{i}": {} for i in range(10)}},
        location=Location(kind=LocationKind.STATIC, file="loop.go", line=6)),))


@pytest.mark.timeout(10)
def test_constants_in_sibling_files_defined_through_each_other_are_unknown() -> None:
    first = 'package main\n\nconst A = B + B\nconst Own = "own"\n'
    second = HEADER + ("const B = A + A\n\nfunc register(s *server.MCPServer) {\n"
                       "\ts.AddTool(mcp.NewTool(B), handle)\n\ts.AddTool(mcp.NewTool(Own), handle)\n}\n")

    assert _extract(("a.go", first), ("b.go", second)) == LanguageExtraction(
        tools=(_tool("own", "b.go:9"),),
        runtime_sites=("b.go:8: a tool name computed at run time (B)",))
