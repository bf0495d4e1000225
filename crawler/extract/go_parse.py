"""Tree-sitter plumbing for the Go extractor: parsing, a repo-wide index, constant evaluation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePosixPath
from typing import Any

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from crawler.extract.bounds import MAX_VALUE_SIZE, Memo, Sizes
from crawler.extract.py_values import UNKNOWN
from crawler.extract.tree import SourceFile

MAX_DEPTH = 24
"""How many name hops or nested literals one evaluation may follow."""

# One query finds every candidate in C, so Python never walks whole files.
_QUERY_TEXT = """
((call_expression function: (selector_expression field: (field_identifier) @fn)) @call
  (#any-of? @fn "NewTool" "NewToolWithRawSchema"))
((call_expression function: (identifier) @fn) @call
  (#any-of? @fn "NewTool" "NewToolWithRawSchema"))
((composite_literal type: (qualified_type name: (type_identifier) @type_name)) @tool_literal
  (#eq? @type_name "Tool"))
(const_spec) @binding
(var_spec) @binding
(short_var_declaration) @short
(type_spec) @type
(function_declaration) @function
(method_declaration) @function
"""

_CALLS_OF = """
((call_expression function: [(identifier) @fn (selector_expression field: (field_identifier) @fn)]) @call
  (#eq? @fn "{name}"))
"""

_ESCAPE_RE = re.compile(r"\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{3}|.)", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_WRAPPER_HINTS = ("ptr", "Ptr", "RawMessage", "string")


@cache
def _language() -> Language:
    return Language(tree_sitter_go.language())


@cache
def _parser() -> Parser:
    return Parser(_language())


@cache
def _query() -> Query:
    return Query(_language(), _QUERY_TEXT)


def text_of(node: Node) -> str:
    """The source text a node spans."""
    return (node.text or b"").decode("utf-8", errors="replace")


def line_of(node: Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_point.row + 1


def arguments(call: Node) -> list[Node]:
    """A call's argument expressions, comments left out."""
    args = call.child_by_field_name("arguments")
    return [c for c in args.named_children if c.type != "comment"] if args is not None else []


def callee_name(call: Node) -> str | None:
    """`NewTool` for `mcp.NewTool(...)`, `WithInputSchema` for `mcp.WithInputSchema[T]()`."""
    function = call.child_by_field_name("function")
    if function is not None and function.type == "index_expression":
        function = function.child_by_field_name("operand")
    if function is None:
        return None
    if function.type == "selector_expression":
        selected = function.child_by_field_name("field")
        return text_of(selected) if selected is not None else None
    return text_of(function) if function.type == "identifier" else None


def type_argument(call: Node) -> Node | None:
    """The `T` of `F[T]()`."""
    function = call.child_by_field_name("function")
    if function is not None and function.type == "index_expression":
        return function.child_by_field_name("index")
    return None


def unescape(raw: str) -> str:
    """Decode Go string escapes."""
    return _ESCAPE_RE.sub(_decode_escape, raw)


def _decode_escape(match: re.Match[str]) -> str:
    body = match.group(1)
    if body[0] in "uUx" and len(body) > 1:
        code = int(body[1:], 16)
        return chr(code) if code <= 0x10FFFF else "\ufffd"
    if len(body) == 3 and body.isdigit():
        return chr(int(body, 8))
    return _ESCAPES.get(body, body)


@dataclass
class GoFile:
    """One parsed Go file and the candidate nodes the query found in it."""

    path: str
    root: Node
    captures: dict[str, list[Node]]

    @property
    def package_dir(self) -> str:
        return str(PurePosixPath(self.path).parent)


@dataclass
class GoIndex:
    """Every Go file of a tree, with constants, types and functions by name."""

    files: list[GoFile] = field(default_factory=list)
    bindings: dict[str, list[tuple[GoFile, Node]]] = field(default_factory=dict)
    types: dict[str, list[tuple[GoFile, Node]]] = field(default_factory=dict)
    functions: dict[str, list[tuple[GoFile, Node]]] = field(default_factory=dict)

    def _pick(self, table: dict[str, list[tuple[GoFile, Node]]], name: str,
              near: GoFile | None) -> tuple[GoFile, Node] | None:
        """Same file first, then same package folder, then anywhere (path order)."""
        found = table.get(name)
        if not found:
            return None
        if near is not None:
            for rank in (lambda f: f is near, lambda f: f.package_dir == near.package_dir):
                for entry in found:
                    if rank(entry[0]):
                        return entry
        return found[0]

    def binding(self, name: str, near: GoFile | None) -> tuple[GoFile, Node] | None:
        return self._pick(self.bindings, name, near)

    def type(self, name: str, near: GoFile | None) -> tuple[GoFile, Node] | None:
        return self._pick(self.types, name, near)

    def function(self, name: str, near: GoFile | None) -> tuple[GoFile, Node] | None:
        return self._pick(self.functions, name, near)

    def call_sites(self, name: str) -> list[tuple[GoFile, Node]]:
        """Every call of a function or method by name, in path order (queried only when needed)."""
        query = Query(_language(), _CALLS_OF.format(name=name))
        sites: list[tuple[GoFile, Node]] = []
        for go_file in self.files:
            for call in QueryCursor(query).captures(go_file.root).get("call", []):
                sites.append((go_file, call))
        return sites


def _add(table: dict[str, list[tuple[GoFile, Node]]], name: str, entry: tuple[GoFile, Node]) -> None:
    table.setdefault(name, []).append(entry)


def _index_file(index: GoIndex, go_file: GoFile) -> None:
    for node in go_file.captures.get("binding", []):
        names = [c for c in node.children_by_field_name("name")]
        values = node.child_by_field_name("value")
        value_nodes = values.named_children if values is not None else []
        for name_node, value in zip(names, value_nodes, strict=False):
            _add(index.bindings, text_of(name_node), (go_file, value))
    for node in go_file.captures.get("short", []):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None:
            for name_node, value in zip(left.named_children, right.named_children, strict=False):
                _add(index.bindings, text_of(name_node), (go_file, value))
    for node in go_file.captures.get("type", []):
        type_name, type_node = node.child_by_field_name("name"), node.child_by_field_name("type")
        if type_name is not None and type_node is not None:
            _add(index.types, text_of(type_name), (go_file, type_node))
    for node in go_file.captures.get("function", []):
        function_name = node.child_by_field_name("name")
        if function_name is not None:
            _add(index.functions, text_of(function_name), (go_file, node))


def load_index(files: Sequence[SourceFile]) -> tuple[GoIndex, list[str]]:
    """Parse every Go file; a file with syntax errors is still read, with a note."""
    index = GoIndex()
    notes: list[str] = []
    for source in files:
        tree = _parser().parse(source.text.encode("utf-8", errors="replace"))
        if tree.root_node.has_error:
            notes.append(f"{source.path} has Go syntax errors; read what parsed")
        go_file = GoFile(source.path, tree.root_node, QueryCursor(_query()).captures(tree.root_node))
        index.files.append(go_file)
        _index_file(index, go_file)
    return index, notes


class GoValues:
    """Evaluates Go expressions to JSON-like values, UNKNOWN where only running the code would tell.

    The code is untrusted: each definition a name leads to is evaluated once, is UNKNOWN inside
    itself (`const A = A + A`), and a value bigger than MAX_VALUE_SIZE is UNKNOWN, not built.
    """

    def __init__(self, index: GoIndex, bindings: dict[str, tuple[Node, GoFile]] | None = None) -> None:
        self.index = index
        # Parameter name to the argument one call passes, when reading a helper's body for it.
        self.bindings = bindings or {}
        # Per instance, not per index: a definition's value depends on the bindings above.
        self._definitions: Memo[Any] = Memo()
        self._sizes = Sizes()

    def value(self, node: Node | None, near: GoFile, depth: int = 0) -> Any:
        if node is None or depth > MAX_DEPTH:
            return UNKNOWN
        kind = node.type
        if kind == "interpreted_string_literal":
            return unescape(text_of(node)[1:-1])
        if kind == "raw_string_literal":
            return text_of(node)[1:-1].replace("\r", "")
        if kind in ("int_literal", "float_literal"):
            return _number(text_of(node))
        if kind in ("true", "false"):
            return kind == "true"
        if kind == "nil":
            return None
        if kind in ("parenthesized_expression", "literal_element") and node.named_children:
            return self.value(node.named_children[0], near, depth + 1)
        if kind == "unary_expression":
            return self._unary(node, near, depth)
        if kind == "binary_expression":
            left = self.value(node.child_by_field_name("left"), near, depth + 1)
            right = self.value(node.child_by_field_name("right"), near, depth + 1)
            operator = node.child_by_field_name("operator")
            if operator is not None and text_of(operator) == "+" and isinstance(left, str) and isinstance(right, str):
                return left + right if len(left) + len(right) <= MAX_VALUE_SIZE else UNKNOWN
            return UNKNOWN
        if kind in ("identifier", "selector_expression"):
            return self._name(node, near, depth)
        if kind == "call_expression":
            return self._wrapper(node, near, depth)
        if kind == "composite_literal":
            return self.literal(node.child_by_field_name("body"), near, depth + 1)
        if kind == "literal_value":
            return self.literal(node, near, depth + 1)
        return UNKNOWN

    def text(self, node: Node | None, near: GoFile) -> str | None:
        """A lenient string for descriptions: a helper call (`t("KEY", "text")`, `fmt.Sprintf`)
        stands for the literal text it is given."""
        found = self.value(node, near)
        if isinstance(found, str):
            return found
        if node is not None and node.type == "call_expression":
            literals = [self.value(arg, near) for arg in arguments(node)]
            strings = [item for item in literals if isinstance(item, str)]
            if strings:
                return strings[0] if callee_name(node) in ("Sprintf", "Sprint") else strings[-1]
        return None

    def _unary(self, node: Node, near: GoFile, depth: int) -> Any:
        operand = node.child_by_field_name("operand")
        operator = node.child_by_field_name("operator")
        inner = self.value(operand, near, depth + 1)
        symbol = text_of(operator) if operator is not None else ""
        if symbol == "&":
            return inner
        if symbol == "-" and isinstance(inner, int | float) and not isinstance(inner, bool):
            return -inner
        if symbol == "!" and isinstance(inner, bool):
            return not inner
        return UNKNOWN

    def _name(self, node: Node, near: GoFile, depth: int) -> Any:
        if node.type == "selector_expression":
            selected = node.child_by_field_name("field")
            if selected is None:
                return UNKNOWN
            node = selected
        name = text_of(node)
        if name in ("true", "false"):
            return name == "true"
        bound = self.bindings.get(name) if node.type == "identifier" else None
        if bound is not None:
            return self._definition(bound[0], bound[1], depth + 1)
        found = self.index.binding(name, near)
        if found is None:
            return UNKNOWN
        return self._definition(found[1], found[0], depth + 1)

    def _definition(self, node: Node, near: GoFile, depth: int) -> Any:
        return self._definitions.remembered(node.id, depth, UNKNOWN,
                                            lambda: self.value(node, near, depth))

    def _wrapper(self, node: Node, near: GoFile, depth: int) -> Any:
        """`mcp.ToBoolPtr(true)`, `jsonschema.Ptr(false)`, `json.RawMessage(s)`: the inner value."""
        name = callee_name(node) or ""
        args = arguments(node)
        if len(args) == 1 and any(hint in name for hint in _WRAPPER_HINTS):
            return self.value(args[0], near, depth + 1)
        return UNKNOWN

    def literal(self, body: Node | None, near: GoFile, depth: int = 0) -> Any:
        """A `{...}` literal body: keyed elements with string keys give a dict, others a list."""
        if body is None or depth > MAX_DEPTH:
            return UNKNOWN
        elements = [c for c in body.named_children if c.type != "comment"]
        if elements and all(e.type == "keyed_element" for e in elements):
            result: dict[str, Any] = {}
            for element in elements:
                parts = [c for c in element.named_children if c.type != "comment"]
                if len(parts) != 2:
                    return UNKNOWN
                key, value = self.value(parts[0], near, depth + 1), self.value(parts[1], near, depth + 1)
                if not isinstance(key, str) or value is UNKNOWN:
                    return UNKNOWN
                result[key] = value
            return self._fitted(result)
        items = [self.value(element, near, depth + 1) for element in elements]
        return UNKNOWN if any(item is UNKNOWN for item in items) else self._fitted(items)

    def _fitted(self, value: list[Any] | dict[str, Any]) -> Any:
        """The value, unless it is too big or nested too deep to hand on."""
        return value if self._sizes.fits(value) else UNKNOWN


def keyed_fields(body: Node | None) -> dict[str, Node]:
    """Field name to value node of a struct literal body (`{Name: x, Description: y}`)."""
    fields: dict[str, Node] = {}
    if body is None:
        return fields
    for element in body.named_children:
        if element.type != "keyed_element":
            continue
        parts = [c for c in element.named_children if c.type != "comment"]
        if len(parts) == 2:
            key = parts[0].named_children[0] if parts[0].named_children else parts[0]
            value = parts[1].named_children[0] if parts[1].named_children else parts[1]
            fields[text_of(key)] = value
    return fields


def _number(raw: str) -> Any:
    cleaned = raw.replace("_", "")
    try:
        return int(cleaned, 0)
    except ValueError:
        try:
            return float(cleaned)
        except ValueError:
            return UNKNOWN
