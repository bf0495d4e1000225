"""TypeScript enums and tsc's CommonJS re-exports resolve to the values a tool definition uses."""

from __future__ import annotations

from pathlib import Path

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.tree import SourceFile, extract_tree
from crawler.extract.typescript import extract_tools

REPOS = Path(__file__).resolve().parents[2] / "fixtures" / "repos"


def test_native_enums_of_ts_enums_and_const_objects_become_json_enums() -> None:
    key = "local:ticket-desk"
    assert extract_tree(REPOS / "ts-native-enum", key).tools == (
        ToolRecord(
            server_key=key, name="close_ticket", description="Close a ticket.",
            input_schema={"type": "object", "properties": {
                "status": {"type": "string", "const": "closed"},
                "escalateTo": {"type": "integer", "const": 10},
                "filter": {"type": "string", "enum": ["open", "closed"]},
            }, "required": ["status", "filter"]},
            location=Location(kind=LocationKind.STATIC, file="src/index.ts", line=20)),
        ToolRecord(
            server_key=key, name="open_ticket", description="Open a support ticket.",
            input_schema={"type": "object", "properties": {
                "priority": {"type": "string", "enum": ["low", "normal", "urgent"]},
                "severity": {"type": "number", "enum": [1, 2, 10]},
                "channel": {"type": "number", "enum": [0, 1]},
                "region": {"type": "string", "enum": ["eu", "us"], "default": "eu"},
                "mode": {"enum": [0, "on"]},
            }, "required": ["priority", "channel", "mode"]},
            location=Location(kind=LocationKind.STATIC, file="src/index.ts", line=9)),
    )


def test_enum_members_name_tools_and_unknown_members_stop_counting() -> None:
    source = """
declare enum Names { First = "enum_first", Second = "enum_" + "second" }
enum Counted { A = compute(), B }
server.tool(Names.First, async () => 1);
server.tool(Names["Second"], async () => 1);
server.tool("counted", { c: z.nativeEnum(Counted) }, async () => 1);
"""
    tools = extract_tools([SourceFile("src/e.ts", source)], "local:e")
    assert [(tool.name, tool.input_schema) for tool in tools] == [
        ("enum_first", {"type": "object", "properties": {}}),
        ("enum_second", {"type": "object", "properties": {}}),
        ("counted", {"type": "object", "properties": {"c": {}}, "required": ["c"]}),
    ]


def test_tsc_define_property_reexports_and_export_star_are_followed() -> None:
    key = "npm:ledger-mcp"
    found = extract_tree(REPOS / "ts-commonjs-reexports", key)
    assert found.tools == (
        ToolRecord(
            server_key=key, name="ledger_post_entry", description="Post a journal entry to the ledger.",
            input_schema={"type": "object", "properties": {
                "account": {"type": "string"}, "amountCents": {"type": "integer"}},
                "required": ["account", "amountCents"]},
            location=Location(kind=LocationKind.STATIC, file="dist/index.js", line=9)),
        ToolRecord(
            server_key=key, name="ledger_void_entry",
            description="Void a posted entry. The entry stays visible but no longer counts.",
            input_schema={"type": "object", "properties": {"entryId": {"type": "string"}},
                          "required": ["entryId"]},
            hints=ToolHints.model_validate({"destructiveHint": False}),
            location=Location(kind=LocationKind.STATIC, file="dist/index.js", line=13)),
    )
    assert (found.notes, found.complete) == ((), True)


def test_define_property_on_another_object_or_with_a_busy_getter_is_not_an_export() -> None:
    files = [
        SourceFile("lib/names.js", 'Object.defineProperty(target, "A", { get: function () { return "no"; } });\n'
                                   'Object.defineProperty(exports, "B", { get() { log(); return "no"; } });\n'
                                   'Object.defineProperty(exports, "C", { value: "tool_c" });\n'
                                   'Object.defineProperty(module.exports, "D", { get() { return "tool_d"; } });\n'),
        SourceFile("lib/index.js", 'const n = require("./names");\nserver.tool(n.A, async () => 1);\n'
                                   'server.tool(n.B, async () => 1);\nserver.tool(n.C, async () => 1);\n'
                                   'server.tool(n.D, async () => 1);\n'),
    ]
    assert [tool.name for tool in extract_tools(files, "local:d")] == ["tool_c", "tool_d"]
