"""TypeScript enums: the members of a declaration, and the objects compiled JavaScript builds instead."""

from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from crawler.extract.ts_commonjs import literal_string, property_key
from crawler.extract.ts_parse import named_args, node_text, unwrap

_FUNCTIONS = frozenset({"function_expression", "function", "arrow_function"})
_TARGETS = ("identifier", "member_expression")


class EnumMembers(NamedTuple):
    """The members of one enum declaration, in source order, with lookups by name and by node."""

    nodes: tuple[Node, ...]
    """Each member: an `enum_assignment`, or a bare name counting up from the one before."""
    by_name: dict[str, int]
    by_node: dict[int, int]


class CompiledEnum(NamedTuple):
    """An enum object built by an immediately called function, as compiled JavaScript writes it."""

    name: str
    """The variable the enum is bound to outside the function."""
    members: dict[str, Node]
    """Member name → the expression of its value, in source order; tsc's reverse entries left out."""


def declared_enum_members(declaration: Node) -> EnumMembers:
    """The members of a TypeScript `enum` declaration."""
    body = declaration.child_by_field_name("body")
    nodes: list[Node] = []
    by_name: dict[str, int] = {}
    for member in body.named_children if body is not None else ():
        key = member.child_by_field_name("name") if member.type == "enum_assignment" else member
        name = property_key(key)
        if name is not None:
            by_name[name] = len(nodes)
            nodes.append(member)
    return EnumMembers(tuple(nodes), by_name, {node.id: index for index, node in enumerate(nodes)})


def compiled_enum(call: Node) -> CompiledEnum | None:
    """The enum a call builds, when the call has exactly the shape a compiler emits for one.

    tsc writes `(function (E) {...})(E || (E = {}))`, with `exports.E = E = {}` or the older
    `E = exports.E || (exports.E = {})` when the enum is exported; esbuild writes
    `var E = ((E2) => {...; return E2; })(E || {})` and Babel `let E = function (E) {...}({})`.
    Any other statement in the body (a namespace's functions, a call) means the function is not
    an enum, so nothing is guessed from it.
    """
    function = call.child_by_field_name("function")
    function = unwrap(function) if function is not None else None
    args = named_args(call)
    if function is None or function.type not in _FUNCTIONS or len(args) != 1:
        return None
    parameter = _sole_parameter(function)
    body = function.child_by_field_name("body")
    name = _enum_name(call, args[0])
    if parameter is None or name is None or body is None or body.type != "statement_block":
        return None
    members: dict[str, Node] = {}
    returned = False
    for statement in body.named_children:
        if statement.type in ("comment", "empty_statement"):
            continue
        if _returns(statement, parameter):
            returned = True
            continue
        found = _statement_members(statement, parameter)
        if found is None:
            return None
        members.update(found)
    # A call whose result is stored must hand the enum back; tsc's bare call fills its argument.
    if declared_name(call) is not None and not returned:
        return None
    return CompiledEnum(name, members)


def declared_name(call: Node) -> str | None:
    """X when the call is the value of `var X = ...`, possibly through `X = exports.X = ...`."""
    node = call
    for _ in range(4):
        parent = node.parent
        if parent is None:
            return None
        if parent.type == "variable_declarator" and parent.child_by_field_name("value") == node:
            name = parent.child_by_field_name("name")
            return node_text(name) if name is not None and name.type == "identifier" else None
        if parent.type != "assignment_expression" or parent.child_by_field_name("right") != node:
            return None
        node = parent
    return None


def _enum_name(call: Node, argument: Node) -> str | None:
    """The one variable the argument names; it must be assigned there unless a declaration
    receives the returned enum (esbuild's `var E = (...)(E || {})`, Babel's `(...)({})`)."""
    declared = declared_name(call)
    argument = unwrap(argument)
    if argument.type == "object":
        return declared if not argument.named_children else None
    names = _argument_names(argument)
    if names is None or len(names[0]) != 1:
        return None
    name = next(iter(names[0]))
    if declared is not None:
        return name if name == declared else None
    return name if names[1] else None


def export_targets(call: Node) -> list[Node]:
    """The `exports.E = ...` assignments inside a compiled enum's argument."""
    found: list[Node] = []
    stack = list(named_args(call))
    while stack and len(found) < 8:
        node = stack.pop()
        if node.type == "assignment_expression":
            target = node.child_by_field_name("left")
            if target is not None and target.type == "member_expression":
                found.append(node)
        if node.type in ("assignment_expression", "binary_expression", "parenthesized_expression"):
            stack.extend(node.named_children)
    return found


def _sole_parameter(function: Node) -> str | None:
    single = function.child_by_field_name("parameter")  # `E2 => {...}` without parentheses
    if single is not None:
        return node_text(single) if single.type == "identifier" else None
    params = function.child_by_field_name("parameters")
    found = [child for child in params.named_children if child.type != "comment"] \
        if params is not None else []
    if len(found) != 1:
        return None
    param = found[0]
    if param.type == "required_parameter":  # a .ts file: `(function (E: any) {...})`
        pattern = param.child_by_field_name("pattern")
        param = pattern if pattern is not None else param
    return node_text(param) if param.type == "identifier" else None


def _argument_names(argument: Node) -> tuple[set[str], bool] | None:
    """The variables in `E || (E = {})`, `E || (exports.E = E = {})`,
    `E = exports.E || (exports.E = {})` or `E || {}`, and whether one is assigned; None for any
    other shape. Minifiers rename E but not the exported name, so `exports.X` may differ."""
    names: set[str] = set()
    assigned = False
    if argument.type == "assignment_expression":
        left = argument.child_by_field_name("left")
        right = argument.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier":
            return None
        names.add(node_text(left))
        assigned, argument = True, unwrap(right)
    operator = argument.child_by_field_name("operator")
    if argument.type != "binary_expression" or operator is None or node_text(operator) != "||":
        return None
    first = argument.child_by_field_name("left")
    fallback = argument.child_by_field_name("right")
    if first is None or fallback is None or first.type not in _TARGETS:
        return None
    if first.type == "identifier":
        names.add(node_text(first))
    fallback = unwrap(fallback)
    for _ in range(4):
        if fallback.type == "object":
            return (names, assigned) if not fallback.named_children else None
        target = fallback.child_by_field_name("left")
        value = fallback.child_by_field_name("right")
        if fallback.type != "assignment_expression" or target is None or value is None \
                or target.type not in _TARGETS:
            return None
        if target.type == "identifier":
            names.add(node_text(target))
            assigned = True
        fallback = unwrap(value)
    return None


def _returns(statement: Node, parameter: str) -> bool:
    values = [child for child in statement.named_children if child.type != "comment"]
    return statement.type == "return_statement" and len(values) == 1 \
        and values[0].type == "identifier" and node_text(values[0]) == parameter


def _statement_members(statement: Node, parameter: str) -> list[tuple[str, Node]] | None:
    """The members one statement sets; a minifier joins them: `e.A="a",e.B="b"`."""
    expressions = [child for child in statement.named_children if child.type != "comment"]
    if statement.type != "expression_statement" or len(expressions) != 1:
        return None
    found: list[tuple[str, Node]] = []
    pending = [expressions[0]]
    while pending:
        expression = pending.pop()
        if expression.type == "sequence_expression":
            pending.extend(reversed([child for child in expression.named_children
                                     if child.type != "comment"]))
            continue
        member = _member_assignment(expression, parameter)
        if member is None:
            return None
        found.append(member)
    return found


def _member_assignment(assignment: Node, parameter: str) -> tuple[str, Node] | None:
    """`E["A"] = value` or `E.A = value`; numeric members `E[E["A"] = 0] = "A"`."""
    if assignment.type != "assignment_expression":
        return None
    target = assignment.child_by_field_name("left")
    value = assignment.child_by_field_name("right")
    if target is None or value is None:
        return None
    reverse = _reverse_entry(target, parameter)
    if reverse is None:
        key = _member_key(target, parameter)
        return None if key is None else (key, value)
    key, forward = reverse
    # The reverse entry must name the member it maps back to, as tsc always writes it.
    if value.type != "string" or literal_string(value) != key:
        return None
    return key, forward


def _reverse_entry(target: Node, parameter: str) -> tuple[str, Node] | None:
    """(A, 0) from the left side `E[E["A"] = 0]`."""
    index = target.child_by_field_name("index") if target.type == "subscript_expression" else None
    holder = target.child_by_field_name("object")
    if index is None or holder is None or node_text(holder) != parameter:
        return None
    index = unwrap(index)
    inner = index.child_by_field_name("left") if index.type == "assignment_expression" else None
    value = index.child_by_field_name("right")
    key = None if inner is None else _member_key(inner, parameter)
    return None if key is None or value is None else (key, value)


def _member_key(target: Node, parameter: str) -> str | None:
    holder = target.child_by_field_name("object")
    if holder is None or holder.type != "identifier" or node_text(holder) != parameter:
        return None
    if target.type == "member_expression":
        prop = target.child_by_field_name("property")
        return None if prop is None else node_text(prop)
    index = target.child_by_field_name("index") if target.type == "subscript_expression" else None
    if index is None or index.type != "string":
        return None
    return literal_string(index)
