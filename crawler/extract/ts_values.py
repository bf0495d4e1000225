"""Static evaluation of JavaScript expressions: literals, constants, concatenations, objects, imports."""

from __future__ import annotations

import math
from typing import Any, Final

from tree_sitter import Node

from crawler.extract.ts_commonjs import literal_string, property_key
from crawler.extract.ts_parse import named_args, node_text, unescape, unwrap
from crawler.extract.ts_scope import Bound, FileScope, Namespace, Resolved

MAX_DEPTH: Final = 60
"""How deep evaluation follows nested expressions and references before giving up."""


class Unknown:
    """A value that cannot be known without running the code."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()


def resolve(node: Node, scope: FileScope, depth: int = 0) -> Resolved | None:
    """Follow identifiers, member accesses and imports to the expression that defines a value."""
    if depth > MAX_DEPTH:
        return None
    for _ in range(MAX_DEPTH):
        node = _unfreeze(unwrap(node))
        found: Resolved | None
        if node.type in ("identifier", "shorthand_property_identifier"):
            found = scope.resolve_name(node_text(node), node)
        elif node.type in ("member_expression", "subscript_expression"):
            found = _member(node, scope, depth)
        else:
            return scope.project.module_value(node, scope)
        if not isinstance(found, Bound):
            return found
        node, scope = found.node, found.scope
    return None


def _member(node: Node, scope: FileScope, depth: int) -> Resolved | None:
    holder = node.child_by_field_name("object")
    if holder is None:
        return None
    key = _member_key(node, scope, depth)
    if key is None:
        return None
    if node_text(holder) == "module" and key == "exports":
        return Namespace(scope.path, scope)
    target = resolve(holder, scope, depth + 1)
    if isinstance(target, Namespace):
        if target.scope is None:
            return None
        return scope.project.export(target.scope, key, set())
    if isinstance(target, Bound):
        if target.node.type == "object":
            entry = object_entries(target.node, target.scope, depth + 1).get(key)
            return None if entry is None else Bound(*entry)
        if target.node.type == "array" and key.isdigit():
            elements = array_elements(target.node, target.scope, depth + 1)
            index = int(key)
            return Bound(*elements[index]) if index < len(elements) else None
        if target.node.type == "enum_declaration":
            members = target.scope.enum_members(target.node)
            position = members.by_name.get(key)
            return None if position is None else Bound(members.nodes[position], target.scope)
        compiled = target.scope.compiled_enums.get(target.node.id)
        if compiled is not None and key in compiled.members:
            return Bound(compiled.members[key], target.scope)
    return None


def _enum_member_value(member: Node, declaration: Node, scope: FileScope, depth: int) -> Any:
    """One member's value, reading only the initializer it counts from (members may refer to each
    other, so evaluating the whole enum here would multiply the work at every reference)."""
    members = scope.enum_members(declaration)
    index = members.by_node.get(member.id)
    if index is None:
        return UNKNOWN
    for steps, node in enumerate(reversed(members.nodes[: index + 1])):
        initializer = node.child_by_field_name("value") if node.type == "enum_assignment" else None
        if initializer is None:
            continue
        base = evaluate(initializer, scope, depth + 1)
        if steps == 0:
            return UNKNOWN if base is None else base
        numeric = isinstance(base, int | float) and not isinstance(base, bool)
        return base + steps if numeric else UNKNOWN
    return index


def enum_values(declaration: Node, scope: FileScope, depth: int = 0) -> dict[str, Any]:
    """Member name → value of a TypeScript enum; bare members count up from the last number."""
    values: dict[str, Any] = {}
    following: int | float | None = 0
    members = scope.enum_members(declaration)
    for name, index in members.by_name.items():
        member = members.nodes[index]
        initializer = member.child_by_field_name("value") if member.type == "enum_assignment" \
            else None
        value = following if initializer is None else evaluate(initializer, scope, depth + 1)
        if value is None or value is UNKNOWN:
            following = None  # a later bare member would count from a value we do not know
            continue
        values[name] = value
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        following = value + 1 if numeric else None
    return values


def _compiled_enum_values(call: Node, scope: FileScope, depth: int) -> dict[str, Any]:
    """Member name → value of an enum compiled to a function call; tsc wrote the numbers out."""
    values: dict[str, Any] = {}
    for name, initializer in scope.compiled_enums[call.id].members.items():
        value = evaluate(initializer, scope, depth + 1)
        if value is not None and value is not UNKNOWN:
            values[name] = value
    return values


def closed_enum(node: Node, scope: FileScope, depth: int = 0) -> Any:
    """The value of what `z.nativeEnum` is given, except that an enum (declared or compiled) with a
    member we cannot compute is UNKNOWN: its known members alone would reject valid input."""
    found = resolve(node, scope, depth + 1)
    if not isinstance(found, Bound):
        return UNKNOWN
    values = evaluate(found.node, found.scope, depth + 1)
    size: int | None = None
    if found.node.type == "enum_declaration":
        size = len(found.scope.enum_members(found.node).by_name)
    elif found.node.id in found.scope.compiled_enums:
        size = len(found.scope.compiled_enums[found.node.id].members)
    if size is not None and (not isinstance(values, dict) or len(values) != size):
        return UNKNOWN
    return values


def _member_key(node: Node, scope: FileScope, depth: int) -> str | None:
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return None if prop is None else node_text(prop)
    index = node.child_by_field_name("index")
    if index is None:
        return None
    value = evaluate(index, scope, depth + 1)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def _is_freeze(node: Node) -> bool:
    callee = node.child_by_field_name("function")
    return callee is not None and node_text(callee) == "Object.freeze" and len(named_args(node)) == 1


def _unfreeze(node: Node) -> Node:
    """`Object.freeze(x)` is x for our purposes."""
    while node.type == "call_expression" and _is_freeze(node):
        node = unwrap(named_args(node)[0])
    return node


def object_entries(node: Node, scope: FileScope, depth: int = 0) -> dict[str, tuple[Node, FileScope]]:
    """The statically named entries of an object literal, spreads of known objects merged in."""
    entries: dict[str, tuple[Node, FileScope]] = {}
    if depth > MAX_DEPTH or node.type != "object":
        return entries
    for child in node.named_children:
        if child.type == "pair":
            key_node = child.child_by_field_name("key")
            value = child.child_by_field_name("value")
            key = property_key(key_node)
            if key is None and key_node is not None and key_node.type == "computed_property_name":
                computed = evaluate(key_node.named_children[0], scope, depth + 1) \
                    if key_node.named_children else UNKNOWN
                key = computed if isinstance(computed, str) else None
            if key is not None and value is not None:
                entries[key] = (value, scope)
        elif child.type == "shorthand_property_identifier":
            entries[node_text(child)] = (child, scope)
        elif child.type == "spread_element" and child.named_children:
            spread = resolve(child.named_children[0], scope, depth + 1)
            if isinstance(spread, Bound) and spread.node.type == "object":
                entries.update(object_entries(spread.node, spread.scope, depth + 1))
    return entries


def array_elements(node: Node, scope: FileScope, depth: int = 0) -> list[tuple[Node, FileScope]]:
    """The elements of an array literal, spreads of known arrays inlined."""
    elements: list[tuple[Node, FileScope]] = []
    if depth > MAX_DEPTH or node.type != "array":
        return elements
    for child in node.named_children:
        if child.type == "comment":
            continue
        if child.type == "spread_element" and child.named_children:
            spread = resolve(child.named_children[0], scope, depth + 1)
            if isinstance(spread, Bound) and spread.node.type == "array":
                elements.extend(array_elements(spread.node, spread.scope, depth + 1))
            continue
        elements.append((child, scope))
    return elements


def string_value(node: Node, scope: FileScope, depth: int = 0) -> str | None:
    """The string an expression always evaluates to, or None."""
    value = evaluate(node, scope, depth)
    return value if isinstance(value, str) else None


def evaluate(node: Node, scope: FileScope, depth: int = 0) -> Any:
    """The JSON-like value of an expression (str, int, float, bool, None, list, dict) or UNKNOWN."""
    if depth > MAX_DEPTH:
        return UNKNOWN
    found = resolve(node, scope, depth + 1)
    if not isinstance(found, Bound):
        return UNKNOWN
    node, scope = found.node, found.scope
    kind = node.type
    body = node.parent
    if body is not None and body.type == "enum_body" and body.parent is not None:
        return _enum_member_value(node, body.parent, scope, depth)
    if kind == "enum_declaration":
        return enum_values(node, scope, depth + 1)
    if kind == "call_expression" and node.id in scope.compiled_enums:
        return _compiled_enum_values(node, scope, depth)
    if kind == "string":
        return literal_string(node)
    if kind == "template_string":
        return _template(node, scope, depth)
    if kind == "number":
        return _number(node_text(node))
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "null":
        return None
    if kind == "unary_expression":
        return _unary(node, scope, depth)
    if kind == "binary_expression":
        return _binary(node, scope, depth)
    if kind == "object":
        return _object(node, scope, depth)
    if kind == "array":
        values = [evaluate(element, owner, depth + 1)
                  for element, owner in array_elements(node, scope, depth + 1)]
        return [value for value in values if value is not UNKNOWN]
    return UNKNOWN


def _object(node: Node, scope: FileScope, depth: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, (value_node, owner) in object_entries(node, scope, depth + 1).items():
        value = evaluate(value_node, owner, depth + 1)
        if value is not UNKNOWN:
            result[key] = value
    return result


def _template(node: Node, scope: FileScope, depth: int) -> str | Unknown:
    parts: list[str] = []
    for child in node.named_children:
        if child.type == "string_fragment":
            parts.append(node_text(child))
        elif child.type == "escape_sequence":
            parts.append(unescape(node_text(child)))
        elif child.type == "template_substitution":
            inner = [part for part in child.named_children if part.type != "comment"]
            value = evaluate(inner[0], scope, depth + 1) if len(inner) == 1 else UNKNOWN
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                return UNKNOWN
            parts.append(_js_string(value))
    return "".join(parts)


def _js_string(value: str | int | float) -> str:
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    return str(value)


def _number(text: str) -> int | float | Unknown:
    cleaned = text.replace("_", "").lower().rstrip("n")
    try:
        if cleaned.startswith(("0x", "0o", "0b")):
            return int(cleaned, 0)
        if any(marker in cleaned for marker in (".", "e")):
            number = float(cleaned)
            return number if math.isfinite(number) else UNKNOWN
        return int(cleaned)
    except ValueError:
        return UNKNOWN


def _unary(node: Node, scope: FileScope, depth: int) -> Any:
    operator = node.child_by_field_name("operator")
    argument = node.child_by_field_name("argument")
    if operator is None or argument is None:
        return UNKNOWN
    value = evaluate(argument, scope, depth + 1)
    symbol = node_text(operator)
    if symbol == "!" and isinstance(value, int | float | bool | str):
        return not value  # minifiers write !0 and !1 for true and false
    if symbol in ("-", "+") and isinstance(value, int | float) and not isinstance(value, bool):
        return -value if symbol == "-" else value
    return UNKNOWN


def _binary(node: Node, scope: FileScope, depth: int) -> Any:
    operator = node.child_by_field_name("operator")
    if operator is None or node_text(operator) != "+":
        return UNKNOWN
    left_node = node.child_by_field_name("left")
    right_node = node.child_by_field_name("right")
    if left_node is None or right_node is None:
        return UNKNOWN
    left = evaluate(left_node, scope, depth + 1)
    right = evaluate(right_node, scope, depth + 1)
    plain = (str, int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return UNKNOWN
    if isinstance(left, str) and isinstance(right, plain):
        return left + _js_string(right)
    if isinstance(right, str) and isinstance(left, plain):
        return _js_string(left) + right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left + right
    return UNKNOWN
