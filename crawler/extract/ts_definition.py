"""A tool read from a definition object (`{ description, inputSchema, annotations, ... }`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from crawler.extract.ts_parse import FUNCTION_TYPES, named_args, node_text
from crawler.extract.ts_scope import Bound, FileScope
from crawler.extract.ts_values import MAX_DEPTH, evaluate, object_entries, resolve, string_value
from crawler.extract.zod_schema import convert, is_raw_shape, shape_schema

HINT_KEYS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
ANNOTATION_KEYS = frozenset({"title", *HINT_KEYS})
EMPTY_INPUT: dict[str, Any] = {"type": "object", "properties": {}}
"""What the SDK advertises for a tool registered without a schema."""
UNKNOWN_INPUT: dict[str, Any] = {"type": "object"}
"""What we record when a schema exists but cannot be read statically."""

Entries = dict[str, tuple[Node, FileScope]]
"""An object's statically named entries, each value with the file it sits in."""

_JSON_SCHEMA_CALL = re.compile(r"json_?schema", re.IGNORECASE)
_MAX_RETURN_SCAN = 20_000


@dataclass
class FoundTool:
    """One registration as read from source, before it becomes a ToolRecord."""

    name: str
    path: str
    """The file holding the definition (a ListTools list may live in another module)."""
    line: int
    description: str = ""
    title: str | None = None
    input_schema: dict[str, Any] = field(default_factory=lambda: dict(EMPTY_INPUT))
    output_schema: dict[str, Any] | None = None
    annotations: dict[str, Any] = field(default_factory=dict)


def from_definition(name: str, path: str, line: int, entries: Entries, *,
                    low_level: bool) -> FoundTool:
    """A tool from an object with description, title, inputSchema, outputSchema, annotations."""
    tool = FoundTool(name, path, line, input_schema=dict(UNKNOWN_INPUT if low_level else EMPTY_INPUT))

    def text(key: str) -> str | None:
        entry = entries.get(key)
        return None if entry is None else string_value(*entry)

    tool.description = text("description") or ""
    if "annotations" in entries:
        tool.annotations = json_object(*entries["annotations"])
    tool.title = text("title") or string_or_none(tool.annotations.get("title"))
    if "inputSchema" in entries:
        tool.input_schema = schema_of(*entries["inputSchema"], literal_json=low_level) \
            or dict(UNKNOWN_INPUT)
    if "outputSchema" in entries:
        tool.output_schema = schema_of(*entries["outputSchema"], literal_json=low_level) \
            or dict(UNKNOWN_INPUT)
    return tool


def schema_of(node: Node, scope: FileScope, *, literal_json: bool = False) -> dict[str, Any] | None:
    """JSON Schema from a zod raw shape, a zod schema, zodToJsonSchema(...) or a JSON literal.

    Object literals are zod raw shapes for the McpServer API; the low-level API (literal_json)
    takes JSON Schema literals, though a shape of zod values is still read as one.
    """
    # A loop, not recursion, through `zodToJsonSchema(...)`: `const S = zodToJsonSchema(S)` is
    # crawled code too, and must come to an end.
    for _ in range(MAX_DEPTH):
        found = resolve(node, scope)
        if not isinstance(found, Bound):
            converted = convert(node, scope)  # `Schema.shape` and other zod-only spellings
            return None if converted is None else converted.schema
        node, scope = found.node, found.scope
        if node.type == "object":
            if not literal_json or (object_entries(node, scope) and is_raw_shape(node, scope)):
                return shape_schema(node, scope)
            value = evaluate(node, scope)
            if value == {}:
                return dict(EMPTY_INPUT)
            return value if isinstance(value, dict) else None
        if node.type != "call_expression":
            return None
        callee = node.child_by_field_name("function")
        args = named_args(node)
        if callee is None or not args or not _JSON_SCHEMA_CALL.search(node_text(callee)):
            converted = convert(node, scope)
            return None if converted is None else converted.schema
        node = args[0]
    return None


def json_object(node: Node, scope: FileScope) -> dict[str, Any]:
    """The value of an expression when it is a static object, else {}."""
    value = evaluate(node, scope)
    return value if isinstance(value, dict) else {}


def string_or_none(value: Any) -> str | None:
    """The value when it is a string."""
    return value if isinstance(value, str) else None


def definition_object(node: Node, scope: FileScope) -> Bound | None:
    """The object literal an expression stands for, if static."""
    found = resolve(node, scope)
    return found if isinstance(found, Bound) and found.node.type == "object" else None


def returned_expressions(function: Node) -> list[Node]:
    """What a function returns: its expression body, or the values of its own return statements."""
    body = function.child_by_field_name("body")
    if body is None:
        return []
    if body.type != "statement_block":
        return [body]
    returned: list[Node] = []
    stack = list(reversed(body.named_children))
    visited = 0
    while stack and visited < _MAX_RETURN_SCAN:
        node = stack.pop()
        visited += 1
        if node.type in FUNCTION_TYPES or node.type == "class_declaration":
            continue  # nested functions return to someone else
        if node.type == "return_statement":
            returned.extend(child for child in node.named_children if child.type != "comment")
            continue
        stack.extend(reversed(node.named_children))
    return returned
