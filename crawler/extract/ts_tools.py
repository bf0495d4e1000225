"""Recognise MCP tool registrations in a parsed file: `.tool(...)`, `.registerTool(...)`, ListTools handlers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from crawler.extract.ts_parse import FUNCTION_TYPES, line_of, named_args, node_text, unwrap
from crawler.extract.ts_scope import Bound, FileScope
from crawler.extract.ts_values import (
    array_elements,
    evaluate,
    object_entries,
    resolve,
    string_value,
)
from crawler.extract.zod_schema import convert, is_raw_shape, shape_schema

HINT_KEYS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
ANNOTATION_KEYS = frozenset({"title", *HINT_KEYS})
EMPTY_INPUT: dict[str, Any] = {"type": "object", "properties": {}}
"""What the SDK advertises for a tool registered without a schema."""
UNKNOWN_INPUT: dict[str, Any] = {"type": "object"}
"""What we record when a schema exists but cannot be read statically."""

_LITERAL_TYPES = frozenset({"string", "template_string", "number", "true", "false", "null",
                            "object", "array", "regex", "undefined"})
_SCHEMA_NAME = re.compile(r"(schema|shape|params|args|input|parameters)$", re.IGNORECASE)
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


def tools_in_call(call: Node, scope: FileScope) -> list[FoundTool]:
    """The tools one candidate call registers (none, one, or a ListTools handler's list)."""
    callee = call.child_by_field_name("function")
    prop = callee.child_by_field_name("property") if callee is not None else None
    method = node_text(prop) if prop is not None else ""
    args = named_args(call)
    if method == "tool":
        found = _tool_overload(call, args, scope)
    elif method == "registerTool":
        found = _register_tool(call, args, scope)
    else:
        return _list_tools_handler(args, scope)
    return [] if found is None else [found]


def runtime_site(call: Node, scope: FileScope) -> str | None:
    """`path:line: what` for a registration whose shape fits but whose name is only known at run time."""
    callee = call.child_by_field_name("function")
    prop = callee.child_by_field_name("property") if callee is not None else None
    method = node_text(prop) if prop is not None else ""
    args = named_args(call)
    if method not in ("tool", "registerTool") or not 2 <= len(args) <= 5:
        return None
    if not _is_handler(args[-1], scope) or string_value(args[0], scope) is not None:
        return None
    if unwrap(args[0]).type in _LITERAL_TYPES - {"template_string"}:
        return None
    argument = " ".join(node_text(args[0]).split())[:60]
    return f"{scope.path}:{line_of(call)}: {method}({argument}, ...)"


def _tool_overload(call: Node, args: list[Node], scope: FileScope) -> FoundTool | None:
    if len(args) < 2 or len(args) > 5 or not _is_handler(args[-1], scope):
        return None
    name = string_value(args[0], scope)
    if not name:
        return None
    tool = FoundTool(name, scope.path, line_of(call))
    rest = args[1:-1]
    kinds = [_argument_kind(arg, scope) for arg in rest]
    # The SDK takes a leading string as the description; with three middle arguments it must be one.
    if rest and (kinds[0] == "string" or (kinds[0] == "unknown" and len(rest) == 3)):
        tool.description = string_value(rest[0], scope) or ""
        rest, kinds = rest[1:], kinds[1:]
    for arg, kind in zip(rest, kinds, strict=True):
        if kind == "annotations":
            tool.annotations = _json_object(arg, scope)
        elif kind in ("shape", "unknown"):
            tool.input_schema = schema_of(arg, scope) or dict(UNKNOWN_INPUT)
    tool.title = _string_or_none(tool.annotations.get("title"))
    return tool


def _argument_kind(arg: Node, scope: FileScope) -> str:
    """string, annotations, shape, or unknown, the way the SDK tells its overloads apart."""
    if string_value(arg, scope) is not None:
        return "string"
    found = resolve(arg, scope)
    if isinstance(found, Bound) and found.node.type == "object":
        keys = set(object_entries(found.node, found.scope))
        if keys and keys <= ANNOTATION_KEYS and not is_raw_shape(found.node, found.scope):
            return "annotations"
        return "shape"
    if isinstance(found, Bound) and convert(found.node, found.scope) is not None:
        return "shape"
    if _SCHEMA_NAME.search(node_text(unwrap(arg)).split(".")[-1]):
        return "shape"
    return "unknown"


def _is_handler(node: Node, scope: FileScope) -> bool:
    node = unwrap(node)
    if node.type in FUNCTION_TYPES:
        return True
    if node.type not in ("identifier", "member_expression", "call_expression"):
        return False
    found = resolve(node, scope)
    if isinstance(found, Bound):
        return found.node.type not in _LITERAL_TYPES and found.node.type != "template_string"
    return True


def _register_tool(call: Node, args: list[Node], scope: FileScope) -> FoundTool | None:
    if len(args) != 3 or not _is_handler(args[2], scope):
        return None
    name = string_value(args[0], scope)
    config = resolve(args[1], scope)
    if not name or not isinstance(config, Bound) or config.node.type != "object":
        return None
    return _from_definition(name, scope.path, line_of(call), config, low_level=False)


def _from_definition(name: str, path: str, line: int, definition: Bound, *,
                     low_level: bool) -> FoundTool:
    """A tool from an object with description, title, inputSchema, outputSchema, annotations."""
    entries = object_entries(definition.node, definition.scope)
    tool = FoundTool(name, path, line, input_schema=dict(UNKNOWN_INPUT if low_level else EMPTY_INPUT))

    def text(key: str) -> str | None:
        entry = entries.get(key)
        return None if entry is None else string_value(*entry)

    tool.description = text("description") or ""
    if "annotations" in entries:
        tool.annotations = _json_object(*entries["annotations"])
    tool.title = text("title") or _string_or_none(tool.annotations.get("title"))
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
    if node.type == "call_expression":
        callee = node.child_by_field_name("function")
        args = named_args(node)
        if callee is not None and args and _JSON_SCHEMA_CALL.search(node_text(callee)):
            return schema_of(args[0], scope, literal_json=literal_json)
        converted = convert(node, scope)
        return None if converted is None else converted.schema
    return None


def _json_object(node: Node, scope: FileScope) -> dict[str, Any]:
    value = evaluate(node, scope)
    return value if isinstance(value, dict) else {}


def _string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _list_tools_handler(args: list[Node], scope: FileScope) -> list[FoundTool]:
    if len(args) != 2 or not node_text(unwrap(args[0])).endswith("ListToolsRequestSchema"):
        return []
    handler = resolve(args[1], scope)
    if not isinstance(handler, Bound) or handler.node.type not in FUNCTION_TYPES:
        return []
    tools: list[FoundTool] = []
    for returned in _returned_expressions(handler.node):
        result = resolve(returned, handler.scope)
        if not isinstance(result, Bound) or result.node.type != "object":
            continue
        listed = object_entries(result.node, result.scope).get("tools")
        if listed is not None:
            tools.extend(_tools_in_list(*listed))
    return tools


def _returned_expressions(function: Node) -> list[Node]:
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


def _tools_in_list(node: Node, scope: FileScope) -> list[FoundTool]:
    found = resolve(node, scope)
    if isinstance(found, Bound) and found.node.type == "call_expression":
        holder = _object_values_argument(found)
        if holder is None or holder.node.type != "object":
            return []
        elements = list(object_entries(holder.node, holder.scope).values())
    elif isinstance(found, Bound) and found.node.type == "array":
        elements = array_elements(found.node, found.scope)
    else:
        return []
    tools = []
    for element, owner in elements:
        definition = resolve(element, owner)
        if not isinstance(definition, Bound) or definition.node.type != "object":
            continue
        name_entry = object_entries(definition.node, definition.scope).get("name")
        name = string_value(*name_entry) if name_entry is not None else None
        if name:
            tools.append(_from_definition(name, definition.scope.path, line_of(definition.node),
                                          definition, low_level=True))
    return tools


def _object_values_argument(call: Bound) -> Bound | None:
    """`Object.values(TOOLS)` lists the values of a known object."""
    callee = call.node.child_by_field_name("function")
    args = named_args(call.node)
    if callee is None or node_text(callee) != "Object.values" or len(args) != 1:
        return None
    found = resolve(args[0], call.scope)
    return found if isinstance(found, Bound) else None

