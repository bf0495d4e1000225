"""Wire-format tool definitions (JSON dicts) to ToolRecords: one conversion for live and saved listings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.errors import CrawlError
from catalog.records import Location, ToolHints, ToolRecord

MAX_STRING_CHARS = 100_000
"""Longest string accepted anywhere in a tool definition; longer ones are hostile or broken."""
MAX_NAME_CHARS = 512
"""Longest tool name accepted (the spec asks for 128; real servers sometimes exceed it)."""
MAX_DEPTH = 64
"""Deepest nesting accepted in a schema or `_meta`."""

_HINT_FIELDS = {
    "readOnlyHint": "read_only",
    "destructiveHint": "destructive",
    "idempotentHint": "idempotent",
    "openWorldHint": "open_world",
}


class InvalidTool(CrawlError):
    """One tool definition does not have the shape tools/list promises."""


def tool_from_json(raw: object, *, server_key: str, location: Location) -> ToolRecord:
    """Convert one wire-format tool (`name`, `inputSchema`, `annotations`, `_meta`, ...) to a record."""
    if not isinstance(raw, Mapping):
        raise InvalidTool(f"a tool is {_kind(raw)}, not an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidTool("a tool has no name")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidTool(f"a tool name is longer than {MAX_NAME_CHARS} characters")
    _check_bounded(raw, where=name, depth=0)
    annotations = _optional_object(raw, "annotations", name) or {}
    return ToolRecord(
        server_key=server_key,
        name=name,
        title=_title(raw, annotations, name),
        description=_optional_string(raw, "description", name) or "",
        input_schema=_optional_object(raw, "inputSchema", name) or {"type": "object"},
        output_schema=_optional_object(raw, "outputSchema", name),
        hints=_hints(annotations, name),
        meta=_optional_object(raw, "_meta", name),
        location=location,
    )


def _title(raw: Mapping[str, Any], annotations: Mapping[str, Any], name: str) -> str | None:
    """The top-level title wins over annotations.title, as the spec's display precedence says."""
    return _optional_string(raw, "title", name) or _optional_string(
        annotations, "title", name, field_prefix="annotations."
    )


def _hints(annotations: Mapping[str, Any], name: str) -> ToolHints:
    """Hints as declared: a missing or null hint stays None, because absent is not false."""
    values: dict[str, bool] = {}
    for wire, field in _HINT_FIELDS.items():
        value = annotations.get(wire)
        if value is None:
            continue
        if not isinstance(value, bool):
            raise InvalidTool(f"tool {name!r}: annotations.{wire} is {_kind(value)}, not true or false")
        values[field] = value
    return ToolHints(**values)


def _optional_string(
    raw: Mapping[str, Any], key: str, name: str, *, field_prefix: str = ""
) -> str | None:
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidTool(f"tool {name!r}: {field_prefix}{key} is {_kind(value)}, not a string")


def _optional_object(raw: Mapping[str, Any], key: str, name: str) -> dict[str, Any] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidTool(f"tool {name!r}: {key} is {_kind(value)}, not an object")
    return dict(value)


def _check_bounded(value: object, *, where: str, depth: int) -> None:
    """Reject over-long strings and over-deep nesting anywhere in a definition, keys included."""
    if depth > MAX_DEPTH:
        raise InvalidTool(f"tool {where!r}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise InvalidTool(f"tool {where!r}: a string is longer than {MAX_STRING_CHARS} characters")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_bounded(key, where=where, depth=depth + 1)
            _check_bounded(item, where=where, depth=depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_bounded(item, where=where, depth=depth + 1)


def _kind(value: object) -> str:
    """A JSON-ish name for a value's type, for error messages."""
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list() | tuple():
            return "a list"
        case Mapping():
            return "an object"
        case _:
            return type(value).__name__


def tools_from_json(
    raw_tools: object, *, server_key: str, location: Location, max_tools: int
) -> list[ToolRecord]:
    """Convert a `tools` array, refusing more than max_tools and a name listed twice."""
    if not isinstance(raw_tools, list):
        raise InvalidTool(f"tools is {_kind(raw_tools)}, not a list")
    if len(raw_tools) > max_tools:
        raise InvalidTool(f"more than {max_tools} tools")
    tools = [tool_from_json(raw, server_key=server_key, location=location) for raw in raw_tools]
    check_unique_names(tools)
    return tools


def check_unique_names(tools: list[ToolRecord]) -> None:
    """A tool is (server, name): a listing naming one tool twice cannot be stored faithfully."""
    seen: set[str] = set()
    for tool in tools:
        if tool.name in seen:
            raise InvalidTool(f"tool {tool.name!r} is listed twice")
        seen.add(tool.name)
