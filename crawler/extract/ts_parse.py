"""Tree-sitter plumbing for the TypeScript extractor: cached grammars, parsing, small node helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import PurePosixPath

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

_GRAMMAR_BY_SUFFIX = {
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
}

# One query per grammar finds every candidate in C, so Python never walks the whole tree.
_QUERY_TEXT = """
((call_expression function: (member_expression property: (property_identifier) @method)) @call
  (#any-of? @method "tool" "registerTool" "registerToolTask" "setRequestHandler" "addTool"
                    "addTools"))
(variable_declarator) @declarator
((assignment_expression left: (member_expression) @target) @assignment)
((call_expression function: (member_expression object: (identifier) @object_name
                                               property: (property_identifier) @define)) @define_call
  (#eq? @object_name "Object") (#eq? @define "defineProperty"))
((call_expression function: (identifier) @star_helper) @star_call (#eq? @star_helper "__exportStar"))
((call_expression function: (member_expression property: (property_identifier) @star_helper))
  @star_call (#eq? @star_helper "__exportStar"))
((call_expression function: [(function_expression)
                             (parenthesized_expression [(function_expression) (arrow_function)])]
                  arguments: (arguments [(binary_expression) (assignment_expression) (object)]))
  @enum_call)
"""

FUNCTION_TYPES = frozenset({"arrow_function", "function_expression", "function",
                            "function_declaration", "generator_function",
                            "generator_function_declaration", "method_definition"})
"""Node types that open a function (and so a parameter scope)."""

_WRAPPER_TYPES = frozenset({"parenthesized_expression", "as_expression", "satisfies_expression",
                            "non_null_expression", "type_assertion", "await_expression"})

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")


def grammar_for(path: str) -> str | None:
    """The grammar name for a file path by suffix, or None for files the extractor does not read."""
    return _GRAMMAR_BY_SUFFIX.get(PurePosixPath(path).suffix.lower())


@cache
def language(grammar: str) -> Language:
    """The tree-sitter Language for a grammar name, loaded once."""
    if grammar == "typescript":
        return Language(tree_sitter_typescript.language_typescript())
    if grammar == "tsx":
        return Language(tree_sitter_typescript.language_tsx())
    return Language(tree_sitter_javascript.language())


@cache
def _parser(grammar: str) -> Parser:
    return Parser(language(grammar))


@cache
def _query(grammar: str) -> Query:
    return Query(language(grammar), _QUERY_TEXT)


def parse(text: str, grammar: str) -> Tree:
    """Parse source text; syntax errors leave ERROR nodes in an otherwise usable tree."""
    return _parser(grammar).parse(text.encode("utf-8", errors="replace"))


def captures(root: Node, grammar: str) -> dict[str, list[Node]]:
    """Every candidate node of the file, grouped by capture name, each group in source order."""
    found = QueryCursor(_query(grammar)).captures(root)
    # tree-sitter does not promise source order across patterns; registrations must come out stably.
    return {name: sorted(nodes, key=lambda node: (node.start_byte, -node.end_byte))
            for name, nodes in found.items()}


def node_text(node: Node) -> str:
    """The source text a node spans."""
    return (node.text or b"").decode("utf-8", errors="replace")


def line_of(node: Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_point.row + 1


def field(node: Node, name: str) -> Node | None:
    """A child by field name."""
    return node.child_by_field_name(name)


def named_args(call: Node) -> list[Node]:
    """The argument expressions of a call, comments left out."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return []
    return [child for child in arguments.named_children if child.type != "comment"]


def unwrap(node: Node) -> Node:
    """Strip parentheses, type assertions (`as const`, `satisfies`, `!`) and `await`."""
    for _ in range(64):
        if node.type not in _WRAPPER_TYPES:
            return node
        inner = [child for child in node.named_children if child.type != "comment"]
        if not inner:
            return node
        # `<T>x` puts the type first; everything else puts the expression first.
        node = inner[-1] if node.type == "type_assertion" else inner[0]
        # (0, zod_1.z) is a sequence whose value is its last element.
        if node.type == "sequence_expression" and node.named_children:
            node = node.named_children[-1]
    return node


def ancestors(node: Node) -> Iterator[Node]:
    """The parents of a node, nearest first."""
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def unescape(raw: str) -> str:
    """Decode JavaScript string escapes."""
    return _ESCAPE_RE.sub(_decode_escape, raw)


def _decode_escape(match: re.Match[str]) -> str:
    body = match.group(1)
    if body.startswith("u{"):
        code = int(body[2:-1], 16)
        return chr(code) if code <= 0x10FFFF else "\ufffd"
    if body[0] in "ux" and len(body) > 1:
        return chr(int(body[1:], 16))
    if body in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
        return ""  # a backslash before a newline continues the line
    return _ESCAPES.get(body, body)
