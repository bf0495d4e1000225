"""The CommonJS spellings of imports and exports that tsc, Babel and bundlers write."""

from __future__ import annotations

from tree_sitter import Node

from crawler.extract.ts_parse import FUNCTION_TYPES, named_args, node_text, unescape, unwrap

_INTEROP_HELPERS = frozenset({"__importDefault", "__importStar", "_interopRequireDefault",
                              "_interopRequireWildcard", "__toESM", "__toCommonJS"})
_EXPORT_HOLDERS = frozenset({"exports", "module.exports"})


def literal_string(node: Node) -> str:
    """The value of a plain string literal node."""
    parts = []
    for child in node.named_children:
        text = node_text(child)
        parts.append(unescape(text) if child.type == "escape_sequence" else text)
    return "".join(parts)


def property_key(key: Node | None) -> str | None:
    """The static name of an object key: identifier, string or number."""
    if key is None:
        return None
    if key.type in ("property_identifier", "identifier", "number",
                    "shorthand_property_identifier", "private_property_identifier"):
        return node_text(key)
    if key.type == "string":
        return literal_string(key)
    return None


def require_spec(node: Node) -> str | None:
    """The module of a `require("...")` call (interop helpers around it allowed), else None."""
    node = unwrap(node)
    for _ in range(4):
        if node.type != "call_expression":
            return None
        callee = node.child_by_field_name("function")
        args = named_args(node)
        if callee is None or callee.type != "identifier" or not args:
            return None
        if node_text(callee) == "require" and args[0].type == "string":
            return literal_string(args[0])
        if node_text(callee) not in _INTEROP_HELPERS:
            return None
        node = unwrap(args[0])
    return None


def assigned_export(assignment: Node) -> tuple[str, Node] | None:
    """`exports.X = value` as (X, value); `module.exports = {...}` as ("", the object)."""
    target = assignment.child_by_field_name("left")
    value = assignment.child_by_field_name("right")
    if target is None or value is None:
        return None
    holder = target.child_by_field_name("object")
    prop = target.child_by_field_name("property")
    if holder is None or prop is None:
        return None
    holder_text, prop_text = node_text(holder), node_text(prop)
    while value.type == "assignment_expression":  # exports.A = exports.B = void 0
        right = value.child_by_field_name("right")
        if right is None:
            return None
        value = right
    if value.type == "unary_expression" and node_text(value).startswith("void"):
        return None
    if holder_text in _EXPORT_HOLDERS:
        return prop_text, value
    if holder_text == "module" and prop_text == "exports" and value.type == "object":
        return "", value
    return None


def defined_export(call: Node) -> tuple[str, Node] | None:
    """`Object.defineProperty(exports, "X", { get: function () { return m.X; } })` as (X, m.X).

    tsc writes every `export { X } from "./m"` this way; a `value:` descriptor counts too.
    """
    args = named_args(call)
    if len(args) != 3 or node_text(args[0]) not in _EXPORT_HOLDERS or args[1].type != "string":
        return None
    descriptor = unwrap(args[2])
    if descriptor.type != "object":
        return None
    for entry in descriptor.named_children:
        value: Node | None
        if entry.type == "method_definition":  # { get() { return m.X; } }
            key, value = property_key(entry.child_by_field_name("name")), entry
        elif entry.type == "pair":
            key, value = property_key(entry.child_by_field_name("key")), entry.child_by_field_name("value")
        else:
            continue
        if key == "value" and value is not None and entry.type == "pair":
            return literal_string(args[1]), value
        if key == "get" and value is not None and unwrap(value).type in FUNCTION_TYPES:
            returned = _getter_result(unwrap(value))
            if returned is not None:
                return literal_string(args[1]), returned
    return None


def star_export_spec(call: Node) -> str | None:
    """The module of `__exportStar(require("./m"), exports)`, tsc's `export * from "./m"`."""
    args = named_args(call)
    if len(args) != 2 or node_text(args[1]) not in _EXPORT_HOLDERS:
        return None
    return require_spec(args[0])


def _getter_result(function: Node) -> Node | None:
    body = function.child_by_field_name("body")
    if body is None:
        return None
    if body.type != "statement_block":
        return body
    statements = [child for child in body.named_children if child.type != "comment"]
    if len(statements) != 1 or statements[0].type != "return_statement":
        return None
    returned = [child for child in statements[0].named_children if child.type != "comment"]
    return returned[0] if len(returned) == 1 else None
