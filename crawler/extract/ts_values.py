"""Static evaluation of JavaScript expressions: literals, constants, concatenations, objects, imports.

Crawled code is untrusted, so the work stays linear however it is written: each file remembers
what its nodes evaluate to (`FileScope.memo`), a value reached again while it is being evaluated
is UNKNOWN (`const A = A + A`), one call visits at most MAX_STEPS nodes, and a value bigger than
MAX_VALUE_SIZE is UNKNOWN rather than built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

from tree_sitter import Node

from crawler.extract.bounds import MAX_VALUE_SIZE
from crawler.extract.ts_commonjs import literal_string, property_key
from crawler.extract.ts_literals import (
    UNKNOWN,
    Unknown,
    is_number,
    joined,
    js_number,
    js_string,
    number,
)
from crawler.extract.ts_parse import named_args, node_text, unescape, unwrap
from crawler.extract.ts_scope import Bound, FileScope, Namespace, Resolved

MAX_DEPTH: Final = 60
"""How deep evaluation follows nested expressions and references before giving up."""
MAX_STEPS: Final = 200_000
"""Nodes one call from outside may visit before the rest is UNKNOWN; real code needs hundreds."""
MAX_ITEMS: Final = 10_000
"""Elements an array may have once spreads are inlined; a longer one has no value."""

Entries = dict[str, tuple[Node, FileScope]]
Elements = list[tuple[Node, FileScope]]
T = TypeVar("T")


def resolve(node: Node, scope: FileScope, depth: int = 0) -> Resolved | None:
    """Follow identifiers, member accesses and imports to the expression that defines a value."""
    return _bounded(node, scope, None, lambda run: run.resolve(node, scope, depth))


def evaluate(node: Node, scope: FileScope, depth: int = 0) -> Any:
    """The JSON-like value of an expression (str, int, float, bool, None, list, dict) or UNKNOWN;
    a list or dict returned is the caller's own."""
    return _copied(_bounded(node, scope, UNKNOWN, lambda run: run.value(node, scope, depth)))


def string_value(node: Node, scope: FileScope, depth: int = 0) -> str | None:
    """The string an expression always evaluates to, or None."""
    value = _bounded(node, scope, UNKNOWN, lambda run: run.value(node, scope, depth))
    return value if isinstance(value, str) else None


def object_entries(node: Node, scope: FileScope, depth: int = 0) -> Entries:
    """The statically named entries of an object literal, spreads of known objects merged in."""
    return dict(_bounded(node, scope, Entries(), lambda run: run.entries(node, scope, depth)))


def array_elements(node: Node, scope: FileScope, depth: int = 0) -> Elements:
    """The elements of an array literal, spreads of known arrays inlined (MAX_ITEMS + 1 at most)."""
    return list(_bounded(node, scope, Elements(), lambda run: run.elements(node, scope, depth)))


def closed_enum(node: Node, scope: FileScope, depth: int = 0) -> Any:
    """The value of what `z.nativeEnum` is given, except that an enum (declared or compiled) with a
    member we cannot compute is UNKNOWN: its known members alone would reject valid input."""
    return _copied(_bounded(node, scope, UNKNOWN, lambda run: run.closed_enum(node, scope, depth)))


def _bounded(node: Node, scope: FileScope, unknown: T, work: Callable[[_Evaluation], T]) -> T:
    """What work finds, or unknown once it has run out of steps on this node: from then on, so
    that whoever asks again (a registration is read more than once) gets the same answer."""
    if node.id in scope.memo.spent:
        return unknown
    run = _Evaluation()
    found = work(run)
    if run.steps <= MAX_STEPS:
        return found
    scope.memo.spent.add(node.id)
    return unknown


class _Evaluation:
    """One call from outside, and the steps it has taken.

    When the steps run out, what is left is UNKNOWN and the values being worked out keep what
    was known by then, remembered all the same, so that the next call does not start again.
    """

    def __init__(self) -> None:
        self.steps = 0

    def _step(self) -> bool:
        self.steps += 1
        return self.steps <= MAX_STEPS

    def resolve(self, node: Node, scope: FileScope, depth: int) -> Resolved | None:
        if depth > MAX_DEPTH:
            return None
        for _ in range(MAX_DEPTH):
            if not self._step():
                return None
            node = _unfreeze(unwrap(node))
            found: Resolved | None
            if node.type in ("identifier", "shorthand_property_identifier"):
                found = scope.resolve_name(node_text(node), node)
            elif node.type in ("member_expression", "subscript_expression"):
                found = self._member(node, scope, depth)
            else:
                return scope.project.module_value(node, scope)
            if not isinstance(found, Bound):
                return found
            node, scope = found.node, found.scope
        return None

    def _member(self, node: Node, scope: FileScope, depth: int) -> Resolved | None:
        return scope.memo.members.remembered(
            node.id, depth, None, lambda: self._member_target(node, scope, depth))

    def _member_target(self, node: Node, scope: FileScope, depth: int) -> Resolved | None:
        holder = node.child_by_field_name("object")
        key = None if holder is None else self._member_key(node, scope, depth)
        if holder is None or key is None:
            return None
        if node_text(holder) == "module" and key == "exports":
            return Namespace(scope.path, scope)
        target = self.resolve(holder, scope, depth + 1)
        if isinstance(target, Namespace):
            return None if target.scope is None else scope.project.export(target.scope, key, set())
        if not isinstance(target, Bound):
            return None
        if target.node.type == "object":
            entry = self.entries(target.node, target.scope, depth + 1).get(key)
            return None if entry is None else Bound(*entry)
        if target.node.type == "array" and key.isascii() and key.isdigit() and len(key) < 10:
            elements = self.elements(target.node, target.scope, depth + 1)
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

    def _member_key(self, node: Node, scope: FileScope, depth: int) -> str | None:
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            return None if prop is None else node_text(prop)
        index = node.child_by_field_name("index")
        if index is None:
            return None
        value = self.value(index, scope, depth + 1)
        if isinstance(value, bool) or not isinstance(value, str | int):
            return None
        return str(value)

    def entries(self, node: Node, scope: FileScope, depth: int) -> Entries:
        if depth > MAX_DEPTH or node.type != "object":
            return {}
        return scope.memo.entries.remembered(
            node.id, depth, {}, lambda: self._entries(node, scope, depth))

    def _entries(self, node: Node, scope: FileScope, depth: int) -> Entries:
        entries: Entries = {}
        for child in node.named_children:
            if not self._step():
                break
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                key = property_key(key_node)
                if key is None and key_node is not None and key_node.type == "computed_property_name":
                    computed = self.value(key_node.named_children[0], scope, depth + 1) \
                        if key_node.named_children else UNKNOWN
                    key = computed if isinstance(computed, str) else None
                if key is not None and value is not None:
                    entries[key] = (value, scope)
            elif child.type == "shorthand_property_identifier":
                entries[node_text(child)] = (child, scope)
            elif child.type == "spread_element" and child.named_children:
                spread = self.resolve(child.named_children[0], scope, depth + 1)
                if isinstance(spread, Bound) and spread.node.type == "object":
                    entries.update(self.entries(spread.node, spread.scope, depth + 1))
        return entries

    def elements(self, node: Node, scope: FileScope, depth: int) -> Elements:
        if depth > MAX_DEPTH or node.type != "array":
            return []
        return scope.memo.elements.remembered(
            node.id, depth, [], lambda: self._elements(node, scope, depth))

    def _elements(self, node: Node, scope: FileScope, depth: int) -> Elements:
        elements: Elements = []
        for child in node.named_children:
            if len(elements) > MAX_ITEMS or not self._step():
                break
            if child.type == "comment":
                continue
            if child.type == "spread_element" and child.named_children:
                spread = self.resolve(child.named_children[0], scope, depth + 1)
                if isinstance(spread, Bound) and spread.node.type == "array":
                    elements.extend(self.elements(spread.node, spread.scope, depth + 1))
                continue
            elements.append((child, scope))
        return elements[: MAX_ITEMS + 1]

    def value(self, node: Node, scope: FileScope, depth: int) -> Any:
        if depth > MAX_DEPTH or not self._step():
            return UNKNOWN
        found = self.resolve(node, scope, depth + 1)
        if not isinstance(found, Bound):
            return UNKNOWN
        return found.scope.memo.values.remembered(
            found.node.id, depth, UNKNOWN, lambda: self._computed(found.node, found.scope, depth))

    def _computed(self, node: Node, scope: FileScope, depth: int) -> Any:
        kind = node.type
        body = node.parent
        if body is not None and body.type == "enum_body" and body.parent is not None:
            return self._enum_member(node, body.parent, scope, depth)
        if kind == "enum_declaration":
            return self._enum_values(node, scope, depth + 1)
        if kind == "call_expression" and node.id in scope.compiled_enums:
            return self._compiled_enum_values(node, scope, depth)
        if kind == "string":
            return literal_string(node)
        if kind == "template_string":
            return self._template(node, scope, depth)
        if kind == "number":
            return number(node_text(node))
        if kind in ("true", "false"):
            return kind == "true"
        if kind == "null":
            return None
        if kind == "unary_expression":
            return self._unary(node, scope, depth)
        if kind == "binary_expression":
            return self._binary(node, scope, depth)
        if kind == "object":
            return self._object(node, scope, depth)
        if kind == "array":
            elements = self.elements(node, scope, depth + 1)
            if len(elements) > MAX_ITEMS:
                return UNKNOWN
            values = [self.value(element, owner, depth + 1) for element, owner in elements]
            return _fitted([value for value in values if value is not UNKNOWN], scope)
        return UNKNOWN

    def _enum_member(self, member: Node, declaration: Node, scope: FileScope, depth: int) -> Any:
        """One member's value, reading only the initializer it counts from (members may refer to
        each other, so evaluating the whole enum here would multiply the work at every reference)."""
        members = scope.enum_members(declaration)
        index = members.by_node.get(member.id)
        if index is None:
            return UNKNOWN
        for steps, node in enumerate(reversed(members.nodes[: index + 1])):
            if not self._step():
                return UNKNOWN
            initializer = node.child_by_field_name("value") if node.type == "enum_assignment" \
                else None
            if initializer is None:
                continue
            base = self.value(initializer, scope, depth + 1)
            if steps == 0:
                return UNKNOWN if base is None else base
            return js_number(base + steps) if is_number(base) else UNKNOWN
        return index

    def _enum_values(self, declaration: Node, scope: FileScope, depth: int) -> Any:
        """Member name → value of a TypeScript enum; bare members count up from the last number."""
        values: dict[str, Any] = {}
        following: Any = 0
        members = scope.enum_members(declaration)
        for name, index in members.by_name.items():
            member = members.nodes[index]
            initializer = member.child_by_field_name("value") if member.type == "enum_assignment" \
                else None
            value = following if initializer is None else self.value(initializer, scope, depth + 1)
            if value is None or value is UNKNOWN:
                following = None  # a later bare member would count from a value we do not know
                continue
            values[name] = value
            following = js_number(value + 1) if is_number(value) else None
        return _fitted(values, scope)

    def _compiled_enum_values(self, call: Node, scope: FileScope, depth: int) -> Any:
        """Member name → value of an enum compiled to a function call; tsc wrote the numbers out."""
        values: dict[str, Any] = {}
        for name, initializer in scope.compiled_enums[call.id].members.items():
            value = self.value(initializer, scope, depth + 1)
            if value is not None and value is not UNKNOWN:
                values[name] = value
        return _fitted(values, scope)

    def closed_enum(self, node: Node, scope: FileScope, depth: int) -> Any:
        found = self.resolve(node, scope, depth + 1)
        if not isinstance(found, Bound):
            return UNKNOWN
        values = self.value(found.node, found.scope, depth + 1)
        size: int | None = None
        if found.node.type == "enum_declaration":
            size = len(found.scope.enum_members(found.node).by_name)
        elif found.node.id in found.scope.compiled_enums:
            size = len(found.scope.compiled_enums[found.node.id].members)
        if size is not None and (not isinstance(values, dict) or len(values) != size):
            return UNKNOWN
        return values

    def _object(self, node: Node, scope: FileScope, depth: int) -> Any:
        result: dict[str, Any] = {}
        for key, (value_node, owner) in self.entries(node, scope, depth + 1).items():
            value = self.value(value_node, owner, depth + 1)
            if value is not UNKNOWN:
                result[key] = value
        return _fitted(result, scope)

    def _template(self, node: Node, scope: FileScope, depth: int) -> str | Unknown:
        parts: list[str] = []
        length = 0
        substituted = False
        for child in node.named_children:
            if child.type == "string_fragment":
                part = node_text(child)
            elif child.type == "escape_sequence":
                part = unescape(node_text(child))
            elif child.type == "template_substitution":
                inner = [part for part in child.named_children if part.type != "comment"]
                value = self.value(inner[0], scope, depth + 1) if len(inner) == 1 else UNKNOWN
                if isinstance(value, bool) or not isinstance(value, str | int | float):
                    return UNKNOWN
                part, substituted = js_string(value), True
            else:
                continue
            parts.append(part)
            length += len(part)
            if substituted and length > MAX_VALUE_SIZE:
                return UNKNOWN  # a built string, unlike a literal, must stay small
        return "".join(parts)

    def _unary(self, node: Node, scope: FileScope, depth: int) -> Any:
        operator = node.child_by_field_name("operator")
        argument = node.child_by_field_name("argument")
        if operator is None or argument is None:
            return UNKNOWN
        value = self.value(argument, scope, depth + 1)
        symbol = node_text(operator)
        if symbol == "!" and isinstance(value, int | float | bool | str):
            return not value  # minifiers write !0 and !1 for true and false
        if symbol in ("-", "+") and is_number(value):
            return -value if symbol == "-" else value
        return UNKNOWN

    def _binary(self, node: Node, scope: FileScope, depth: int) -> Any:
        operator = node.child_by_field_name("operator")
        if operator is None or node_text(operator) != "+":
            return UNKNOWN
        left_node = node.child_by_field_name("left")
        right_node = node.child_by_field_name("right")
        if left_node is None or right_node is None:
            return UNKNOWN
        left = self.value(left_node, scope, depth + 1)
        right = self.value(right_node, scope, depth + 1)
        plain = (str, int, float)
        if isinstance(left, bool) or isinstance(right, bool):
            return UNKNOWN
        if isinstance(left, str) and isinstance(right, plain):
            return joined(left, js_string(right))
        if isinstance(right, str) and isinstance(left, plain):
            return joined(js_string(left), right)
        if isinstance(left, int | float) and isinstance(right, int | float):
            return js_number(left + right)
        return UNKNOWN


def _is_freeze(node: Node) -> bool:
    callee = node.child_by_field_name("function")
    return callee is not None and node_text(callee) == "Object.freeze" and len(named_args(node)) == 1


def _unfreeze(node: Node) -> Node:
    """`Object.freeze(x)` is x for our purposes."""
    while node.type == "call_expression" and _is_freeze(node):
        node = unwrap(named_args(node)[0])
    return node


def _fitted(value: list[Any] | dict[str, Any], scope: FileScope) -> Any:
    """The value, or UNKNOWN when it is too big or nested too deep to hand on."""
    return value if scope.project.sizes.fits(value) else UNKNOWN


def _copied(value: Any) -> Any:
    """A fresh copy of a list or dict, so that no caller can change what the memo holds."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value
