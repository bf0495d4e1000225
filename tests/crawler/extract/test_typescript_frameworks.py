"""Task tools, FastMCP for TypeScript and mapped ListTools lists are read like any other registration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.tree import SourceFile, collect_files
from crawler.extract.typescript import extract, extract_tools

REPOS = Path(__file__).resolve().parents[2] / "fixtures" / "repos"
EMPTY = {"type": "object", "properties": {}}
CLOSED = {"type": "object", "properties": {}, "additionalProperties": False}
STRING = {"type": "string"}


def _tool(key: str, name: str, where: str, *, description: str = "", title: str | None = None,
          input_schema: dict[str, Any] | None = None, output_schema: dict[str, Any] | None = None,
          hints: dict[str, bool] | None = None) -> ToolRecord:
    file, line = where.split(":")
    return ToolRecord(
        server_key=key, name=name, title=title, description=description,
        input_schema=input_schema if input_schema is not None else EMPTY,
        output_schema=output_schema, hints=ToolHints.model_validate(hints or {}),
        location=Location(kind=LocationKind.STATIC, file=file, line=int(line)),
    )


def test_register_tool_task_reads_config_like_register_tool() -> None:
    key = "local:report-runner"
    files, _, _ = collect_files(REPOS / "ts-tasks")
    found = extract(files, key)
    assert found.tools == (
        _tool(key, "build_report", "src/index.ts:12", title="Build report",
              description="Build a long report in the background. Poll the task for progress.",
              input_schema={"type": "object", "properties": {
                  "dataset": {"type": "string", "description": "Dataset to summarise"},
                  "format": {"type": "string", "enum": ["pdf", "html"], "default": "pdf"},
              }, "required": ["dataset"]},
              output_schema={"type": "object", "properties": {"url": {"type": "string", "format": "uri"}},
                             "required": ["url"]},
              hints={"readOnlyHint": False, "destructiveHint": False, "openWorldHint": True}),
        _tool(key, "purge_reports", "src/index.ts:25", description="Delete every stored report.",
              hints={"destructiveHint": True}),
        _tool(key, "reindex", "src/index.ts:36",
              input_schema={"type": "object", "properties": {"full": {"type": "boolean"}}}),
    )
    assert found.runtime_sites == (
        "src/index.ts:41: registerToolTask(`schedule_${name}_${Date.now()}`, ...)",)


def test_register_tool_task_with_a_non_handler_third_argument_is_not_a_tool() -> None:
    source = ('tasks.registerToolTask("label", { description: "x" }, "text");\n'
              'tasks.registerToolTask("two_args", { description: "x" });\n')
    assert extract_tools([SourceFile("src/t.ts", source)], "local:t") == []


def test_fastmcp_add_tool_and_add_tools_read_parameters_as_closed_objects() -> None:
    key = "local:shelf-keeper"
    files, _, _ = collect_files(REPOS / "ts-fastmcp")
    found = extract(files, key)
    assert sorted(found.tools, key=lambda tool: tool.name) == [
        _tool(key, "discard_book", "src/books.ts:13",
              description="Remove a book from the catalogue for good.",
              input_schema={"type": "object"}, hints={"destructiveHint": True, "idempotentHint": True}),
        _tool(key, "find_book", "src/server.ts:7", title="Find book",
              description="Find books by title or author.",
              input_schema={"type": "object", "properties": {
                  "query": {"type": "string", "description": "Words from the title or author"},
                  "filters": {"type": "object", "properties": {"year": {"type": "integer"}, "lang": STRING},
                              "required": ["lang"], "additionalProperties": False},
              }, "required": ["query"], "additionalProperties": False},
              hints={"readOnlyHint": True, "openWorldHint": False}),
        _tool(key, "lend_book", "src/books.ts:7", description="Lend a book to a member.",
              input_schema={"type": "object", "properties": {
                  "isbn": STRING, "days": {"type": "number", "maximum": 30, "default": 14},
              }, "required": ["isbn"], "additionalProperties": False}),
        _tool(key, "shelf_stats", "src/server.ts:18", description="Count the books on each shelf.",
              input_schema=CLOSED),
    ]
    assert found.runtime_sites == ("src/server.ts:27: addTool({ name: label, ... })",)


def test_add_tool_without_execute_is_not_a_fastmcp_tool() -> None:
    source = ('cart.addTool({ name: "hammer", description: "A tool for nails." });\n'
              'shop.addTools([{ name: "saw" }]);\n')
    found = extract([SourceFile("src/cart.ts", source)], "local:cart")
    assert (found.tools, found.runtime_sites) == ((), ())


def test_mapped_listings_follow_the_known_array_and_the_callback_keys() -> None:
    key = "local:inventory"
    files, _, _ = collect_files(REPOS / "ts-mapped-listing")
    found = extract(files, key)
    read_only = {"readOnlyHint": True, "openWorldHint": False}
    assert found.tools == (
        _tool(key, "stock_level", "src/tools.ts:4", description="Current stock level of one product.",
              input_schema={"type": "object", "properties": {"sku": STRING}, "required": ["sku"]},
              hints=read_only),
        _tool(key, "stock_history", "src/tools.ts:9",
              description="Stock movements of one product over time.",
              input_schema={"type": "object", "properties": {"sku": STRING, "days": {"type": "number"}}},
              hints=read_only),
        _tool(key, "restock", "src/tools.ts:18", description="Order more units from the supplier.",
              input_schema={"type": "object", "properties": {
                  "sku": STRING, "units": {"type": "integer", "exclusiveMinimum": 0}},
                  "required": ["sku", "units"]}),
        _tool(key, "write_off", "src/tools.ts:23", description="Write damaged units off the books.",
              input_schema={"type": "object", "properties": {"sku": STRING, "units": {"type": "integer"}},
                            "required": ["sku", "units"]}),
    )
    assert found.runtime_sites == (
        "src/plugins.ts:7: ListTools tools: loadPlugins().map((plugin) => plugin.definition)",)


def test_map_returning_the_element_or_placing_the_spread_last() -> None:
    source = """
const TOOLS = [{ name: "a", description: "First." }, { name: "b", description: "Second." }];
server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS.map((t) => t) }));
other.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: TOOLS.map((t: Tool) => ({ description: "Overridden by the element.", title: "Kept", ...t })),
}));
"""
    tools = extract_tools([SourceFile("src/list.ts", source)], "local:map")
    assert [(tool.name, tool.title, tool.description) for tool in tools] == [
        ("a", None, "First."), ("b", None, "Second."),
        ("a", "Kept", "First."), ("b", "Kept", "Second."),
    ]


def test_map_with_a_destructured_callback_is_a_run_time_site() -> None:
    source = """
const TOOLS = [{ name: "a", description: "First." }];
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: TOOLS.map(({ name }) => ({ name, description: "x" })),
}));
"""
    found = extract([SourceFile("src/list.ts", source)], "local:map")
    assert (found.tools, found.runtime_sites) == ((), (
        "src/list.ts:4: ListTools tools: TOOLS.map(({ name }) => ({ name, description: \"x\" }))",))
