"""Recognise MCP tool registrations in a parsed file: `.tool`, `.registerTool(Task)`, `.addTool`, ListTools."""

from __future__ import annotations

import re

from tree_sitter import Node

from crawler.extract.ts_definition import (
    ANNOTATION_KEYS,
    UNKNOWN_INPUT,
    FoundTool,
    from_definition,
    json_object,
    schema_of,
    string_or_none,
)
from crawler.extract.ts_fastmcp import fastmcp_runtime_site, fastmcp_tools
from crawler.extract.ts_listing import read_listing
from crawler.extract.ts_parse import FUNCTION_TYPES, line_of, named_args, node_text, unwrap
from crawler.extract.ts_scope import Bound, FileScope
from crawler.extract.ts_values import object_entries, resolve, string_value
from crawler.extract.zod_schema import convert, is_raw_shape

_LITERAL_TYPES = frozenset({"string", "template_string", "number", "true", "false", "null",
                            "object", "array", "regex", "undefined"})
_SCHEMA_NAME = re.compile(r"(schema|shape|params|args|input|parameters)$", re.IGNORECASE)
_CONFIG_METHODS = ("registerTool", "registerToolTask")
_TASK_HANDLER_KEYS = frozenset({"createTask", "getTask", "getTaskResult"})


def tools_in_call(call: Node, scope: FileScope) -> list[FoundTool]:
    """The tools one candidate call registers (none, one, or a ListTools handler's list)."""
    method = _method(call)
    args = named_args(call)
    if method in ("addTool", "addTools"):
        return fastmcp_tools(method, args, scope)
    if method == "tool":
        found = _tool_overload(call, args, scope)
    elif method in _CONFIG_METHODS:
        found = _register_tool(call, args, scope, task=method == "registerToolTask")
    else:
        listing = read_listing(args, scope)
        return [] if listing is None else listing.tools
    return [] if found is None else [found]


def runtime_site(call: Node, scope: FileScope) -> str | None:
    """`path:line: what` for a registration whose shape fits but whose name is only known at run time."""
    method = _method(call)
    args = named_args(call)
    if method == "setRequestHandler":
        return _listing_site(args, scope)
    if method == "addTool":
        return fastmcp_runtime_site(method, args, scope)
    if method not in ("tool", *_CONFIG_METHODS) or not 2 <= len(args) <= 5:
        return None
    handler_fits = _is_task_handler(args[-1], scope) if method == "registerToolTask" \
        else _is_handler(args[-1], scope)
    if not handler_fits or string_value(args[0], scope) is not None:
        return None
    if unwrap(args[0]).type in _LITERAL_TYPES - {"template_string"}:
        return None
    argument = " ".join(node_text(args[0]).split())[:60]
    return f"{scope.path}:{line_of(call)}: {method}({argument}, ...)"


def _method(call: Node) -> str:
    callee = call.child_by_field_name("function")
    prop = callee.child_by_field_name("property") if callee is not None else None
    return node_text(prop) if prop is not None else ""


def _listing_site(args: list[Node], scope: FileScope) -> str | None:
    listing = read_listing(args, scope)
    if listing is None or listing.tools or not listing.unread:
        return None
    unread = listing.unread[0]
    expression = " ".join(node_text(unread.node).split())[:60]
    return f"{unread.scope.path}:{line_of(unread.node)}: ListTools tools: {expression}"


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
            tool.annotations = json_object(arg, scope)
        elif kind in ("shape", "unknown"):
            tool.input_schema = schema_of(arg, scope) or dict(UNKNOWN_INPUT)
    tool.title = string_or_none(tool.annotations.get("title"))
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


def _is_task_handler(node: Node, scope: FileScope) -> bool:
    """registerToolTask takes an object of createTask/getTask/getTaskResult functions."""
    found = resolve(node, scope)
    if isinstance(found, Bound) and found.node.type == "object":
        return bool(_TASK_HANDLER_KEYS & set(object_entries(found.node, found.scope)))
    return _is_handler(node, scope)


def _register_tool(call: Node, args: list[Node], scope: FileScope, *, task: bool) -> FoundTool | None:
    if len(args) != 3:
        return None
    if not (_is_task_handler(args[2], scope) if task else _is_handler(args[2], scope)):
        return None
    name = string_value(args[0], scope)
    config = resolve(args[1], scope)
    if not name or not isinstance(config, Bound) or config.node.type != "object":
        return None
    return from_definition(name, scope.path, line_of(call),
                           object_entries(config.node, config.scope), low_level=False)
