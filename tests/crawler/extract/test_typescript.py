"""Fixture repos in every TypeScript/JavaScript definition style yield exactly their registered tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.tree import collect_files, extract_tree
from crawler.extract.typescript import extract

REPOS = Path(__file__).resolve().parents[2] / "fixtures" / "repos"
EMPTY = {"type": "object", "properties": {}}


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


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


STRING = {"type": "string"}


def test_cortex_hub_tools_come_from_src_registrations_only() -> None:
    key = "github:lktiep/cortex-hub"
    found = extract_tree(REPOS / "cortex-hub", key)
    kind = {"type": "string", "enum": ["doc", "recipe", "decision"]}
    assert found.tools == (
        _tool(key, "cortex_health", "src/tools/health.ts:6",
              description="Check that the hub and its backing services are reachable."),
        _tool(key, "cortex_knowledge_search", "src/tools/knowledge.ts:20",
              description="Search the knowledge base and return the best matching passages.",
              input_schema=_obj({"query": STRING, "kinds": {"type": "array", "items": kind}},
                                ["query"])),
        _tool(key, "cortex_knowledge_store", "src/tools/knowledge.ts:8",
              description="Add a document to the shared knowledge base.",
              input_schema=_obj({
                  "title": {"type": "string", "maxLength": 200},
                  "body": STRING,
                  "kind": {**kind, "default": "doc"},
                  "source": {"anyOf": [{"type": "string", "format": "uri"}, {"type": "null"}]},
              }, ["title", "body"])),
        _tool(key, "cortex_memory_delete", "src/tools/memory.ts:27",
              description="Delete one stored memory permanently.",
              input_schema=_obj({"memoryId": {"type": "string", "format": "uuid"}}, ["memoryId"])),
        _tool(key, "cortex_memory_search", "src/tools/memory.ts:17",
              description="Search stored memories by meaning.",
              input_schema=_obj({
                  "query": {"type": "string", "description": "What to look for"},
                  "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
              }, ["query"])),
        _tool(key, "cortex_memory_store", "src/tools/memory.ts:6",
              description="Remember a fact, decision or preference so later sessions can recall it.",
              input_schema=_obj({
                  "content": {"type": "string", "minLength": 1, "description": "The text to remember"},
                  "tags": {"type": "array", "items": STRING, "default": []},
                  "scope": {"type": "string", "enum": ["project", "user"]},
              }, ["content"])),
        _tool(key, "cortex_quality_report", "src/tools/health.ts:13",
              description="Record build, test and lint results for the current session.",
              input_schema=_obj({
                  "sessionId": STRING,
                  "results": {"type": "object", "additionalProperties": {
                      "type": "string", "enum": ["pass", "fail", "skip"]}},
              }, ["sessionId", "results"])),
        _tool(key, "cortex_session_end", "src/tools/session.ts:17",
              description="Close a session with a summary of work done. "
                          "Reports session duration and compliance.",
              input_schema=_obj({
                  "sessionId": {"type": "string",
                                "description": "The session ID returned by cortex_session_start"},
                  "summary": {"type": "string", "description": "What was done in this session"},
                  "filesChanged": {"type": "array", "items": STRING,
                                   "description": "Paths touched during the session"},
              }, ["sessionId", "summary"])),
        _tool(key, "cortex_session_start", "src/tools/session.ts:6",
              description="Open a working session for this repository and return recent context "
                          "to resume from.",
              input_schema=_obj({
                  "repo": {"type": "string", "description": "Repository URL or local path"},
                  "agentId": {"type": "string", "description": "Which agent is working"},
                  "mode": {"type": "string", "enum": ["development", "review", "onboarding"],
                           "default": "development"},
              }, ["repo"])),
    )
    assert (found.notes, found.files_scanned, found.complete) == ((), 7, True)


def test_cortex_hub_decoy_names_are_not_tools() -> None:
    names = {tool.name for tool in extract_tree(REPOS / "cortex-hub", "local:cortex").tools}
    assert names.isdisjoint({"cortex_legacy_sync", "cortex_admin_wipe", "cortex_fake_tool"})


def test_registertool_reads_title_schemas_and_annotations() -> None:
    key = "local:weather-desk"
    forecast_day = _obj({"date": STRING, "highC": {"type": "number"}, "lowC": {"type": "number"}},
                        ["date", "highC", "lowC"])
    assert extract_tree(REPOS / "ts-registertool", key).tools == (
        _tool(key, "get_forecast", "src/server.ts:11", title="Weather forecast",
              description="Daily forecast for a city.",
              input_schema=_obj({
                  "city": {"type": "string", "description": "City name"},
                  "days": {"type": "integer", "minimum": 1, "maximum": 14, "default": 3},
              }, ["city"]),
              output_schema=_obj({"city": STRING, "days": {"type": "array", "items": forecast_day}},
                                 ["city", "days"]),
              hints={"readOnlyHint": True, "openWorldHint": True}),
        _tool(key, "list_alerts", "src/server.ts:40", description="List active alerts."),
        _tool(key, "set_alert", "src/server.ts:26", title="Create alert",
              description="Create a weather alert for a city.",
              input_schema=_obj({
                  "city": STRING,
                  "kind": {"anyOf": [{"type": "string", "const": "storm"},
                                     {"type": "string", "const": "heat"}]},
                  "threshold": {"type": ["number", "null"]},
              }, ["city", "kind", "threshold"], additionalProperties=False),
              hints={"destructiveHint": False, "idempotentHint": False}),
    )


def test_lowlevel_list_tools_handler_yields_its_array_and_not_decoy_arrays() -> None:
    key = "local:notes"
    assert extract_tree(REPOS / "ts-lowlevel", key).tools == (
        _tool(key, "delete_note", "src/index.ts:19", title="Delete note",
              description="Delete a note. This cannot be undone.",
              input_schema=_obj({"id": STRING, "force": {"type": "boolean", "default": False}},
                                ["id"]),
              hints={"destructiveHint": True, "readOnlyHint": False}),
        _tool(key, "read_note", "src/index.ts:12", description="Read one note by id.",
              input_schema=_obj({
                  "id": {"type": "string", "description": "Note identifier"},
                  "includeHistory": {"type": "boolean", "default": False},
              }, ["id"]),
              hints={"readOnlyHint": True}),
        _tool(key, "search_notes", "src/index.ts:33", description="Full-text search over notes.",
              input_schema=_obj({"text": STRING, "tags": {"type": "array", "items": STRING}},
                                ["text"])),
    )


def test_names_and_descriptions_resolve_through_constants_and_imports() -> None:
    key = "local:acme"
    item_id = {"type": "string", "pattern": r"^[A-Z]{3}-\d+$", "description": "Item code like ABC-123"}
    assert extract_tree(REPOS / "ts-constants", key).tools == (
        _tool(key, "acme_adjust_stock", "src/index.ts:15",
              description="Change the stock level of an item. Negative amounts remove stock.",
              input_schema=_obj({"id": item_id, "amount": {"type": "integer"}}, ["id", "amount"])),
        _tool(key, "acme_archive_item", "src/index.ts:20", description="Archive an item.",
              input_schema=_obj({"id": item_id}, ["id"])),
        _tool(key, "acme_get_item", "src/index.ts:13", description="Fetch one item.",
              input_schema=_obj({"id": item_id}, ["id"])),
        _tool(key, "acme_list_items", "src/index.ts:11", description="List items in the warehouse."),
        _tool(key, "acme_stats", "src/index.ts:22", description="Stock statistics."),
    )


def test_commonjs_output_resolves_zod_1_and_required_constants() -> None:
    key = "npm:file-butler"
    assert extract_tree(REPOS / "js-commonjs", key).tools == (
        _tool(key, "butler_delete_file", "index.js:9", description="Delete a file from the workspace.",
              input_schema=_obj({"path": STRING}, ["path"]),
              hints={"destructiveHint": True, "idempotentHint": True}),
        _tool(key, "butler_move_file", "tools/files.js:12",
              description="Move or rename a file inside the workspace.",
              input_schema=_obj({"from": STRING, "to": STRING, "overwrite": {"type": "boolean"}},
                                ["from", "to"])),
        _tool(key, "butler_read_file", "tools/files.js:8",
              description="Read a text file from the workspace.",
              input_schema=_obj({
                  "path": {"type": "string", "description": "Path relative to the workspace root"},
                  "encoding": {"type": "string", "enum": ["utf-8", "latin1"], "default": "utf-8"},
              }, ["path"]),
              hints={"readOnlyHint": True}),
    )


def test_esm_javascript_class_receivers_and_imported_listing() -> None:
    key = "local:calendar"
    assert extract_tree(REPOS / "js-esm", key).tools == (
        _tool(key, "calendar_cancel_event", "src/index.js:17",
              description="Cancel an event and notify attendees.",
              input_schema=_obj({"eventId": STRING, "notify": {"type": "boolean", "default": True}},
                                ["eventId"]),
              hints={"destructiveHint": True}),
        _tool(key, "calendar_create_event", "src/index.js:12", title="Create event",
              description="Create a calendar event.",
              input_schema=_obj({
                  "title": STRING,
                  "start": {"type": "string", "format": "date-time"},
                  "attendees": {"type": "array", "items": {"type": "string", "format": "email"},
                                "maxItems": 20},
              }, ["title", "start"])),
        _tool(key, "calendar_free_busy", "src/tools.js:12",
              description="Report busy slots for a set of people.",
              input_schema=_obj({"emails": {"type": "array", "items": STRING}}, ["emails"]),
              hints={"readOnlyHint": True, "openWorldHint": True}),
    )


def test_every_server_tool_overload_is_told_apart() -> None:
    key = "local:overloads"
    assert extract_tree(REPOS / "ts-overloads", key).tools == (
        _tool(key, "add", "src/index.ts:12",
              input_schema=_obj({"a": {"type": "number"}, "b": {"type": "number"}}, ["a", "b"])),
        _tool(key, "echo", "src/index.ts:10", description="Echo the input back."),
        _tool(key, "lookup", "src/index.ts:24", input_schema=_obj({"key": STRING}, ["key"]),
              hints={"readOnlyHint": True}),
        _tool(key, "ping", "src/index.ts:8"),
        _tool(key, "purge", "src/index.ts:16", title="Purge cache",
              description="Remove every cached document.",
              input_schema=_obj({"confirm": {"type": "boolean", "const": True}}, ["confirm"]),
              hints={"destructiveHint": True, "idempotentHint": True, "openWorldHint": False}),
        _tool(key, "search", "src/index.ts:14", description="Search documents.",
              input_schema=_obj({"query": STRING, "limit": {"type": "number"}}, ["query"])),
        _tool(key, "status", "src/index.ts:26", title="Status", description="Report server status.",
              hints={"readOnlyHint": True}),
        _tool(key, "trace", "src/index.ts:28", description="Trace a route.",
              input_schema=_obj({"target": STRING}, ["target"])),
    )


def test_registrations_with_run_time_names_are_reported_as_sites() -> None:
    files, _, _ = collect_files(REPOS / "ts-constants")
    found = extract(files, "local:acme")
    assert found.runtime_sites == (
        "src/index.ts:26: tool(name, ...)",
        'src/index.ts:30: tool(process.env.ACME_EXTRA ?? "fallback", ...)',
    )
    assert len(found.tools) == 5
