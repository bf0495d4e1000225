"""Go composite literals for the Go extractor: struct literals and `jsonschema.Schema` values."""

from __future__ import annotations

import json
from typing import Any

from tree_sitter import Node

from crawler.extract.bounds import Memo, Sizes
from crawler.extract.go_parse import GoFile, GoIndex, GoValues, keyed_fields, text_of
from crawler.extract.py_values import UNKNOWN

_SCHEMA_FIELD_KEYS = {"Types": "type", "Ref": "$ref", "Defs": "$defs", "Schema": "$schema",
                      "ID": "$id", "Const": "const"}
_SUBSCHEMA_FIELDS = frozenset({"Items", "AdditionalProperties", "Not", "PropertyNames"})
_SCHEMA_MAP_FIELDS = frozenset({"Properties", "Defs", "PatternProperties"})
_MAX_NESTING = 16


class GoLiterals:
    """Follows expressions to the literals they stand for and reads schemas written as literals.

    A schema literal is read once however often it is referred to, and left open (`{}`) where it
    is met inside itself (`&S` among S's own properties) or is too big to hand on.
    """

    def __init__(self, index: GoIndex, values: GoValues) -> None:
        self.index, self.values = index, values
        self._schemas: Memo[dict[str, Any] | None] = Memo()
        self._sizes = Sizes()

    def literal(self, node: Node | None, near: GoFile, depth: int = 0) -> Node | None:
        """The composite literal an expression stands for: `&T{...}`, `T{...}`, or a variable."""
        while node is not None and node.type in ("unary_expression", "parenthesized_expression"):
            node = node.named_children[-1] if node.named_children else None
        if node is None or depth > 8:
            return None
        if node.type == "composite_literal":
            return node
        if node.type == "identifier":
            found = self.index.binding(text_of(node), near)
            return self.literal(found[1], found[0], depth + 1) if found else None
        return None

    def schema_value(self, node: Node, near: GoFile, depth: int = 0) -> dict[str, Any] | None:
        """An explicit schema: a `jsonschema.Schema` literal, a map literal, or raw JSON text."""
        literal = self.literal(node, near)
        if literal is not None and literal_type(literal) == "Schema":
            return self._schema_literal(literal.child_by_field_name("body"), near, depth)
        return json_object(self.values.value(node, near))

    def _schema_literal(self, body: Node | None, near: GoFile, depth: int) -> dict[str, Any] | None:
        if body is None or depth > _MAX_NESTING:
            return None
        # Met again inside itself it is left open, as a struct type is (go_schema).
        return self._schemas.remembered(body.id, depth, {},
                                        lambda: self._fitted(self._read_schema(body, near, depth)))

    def _fitted(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema if self._sizes.fits(schema) else {}

    def _read_schema(self, body: Node, near: GoFile, depth: int) -> dict[str, Any]:
        schema: dict[str, Any] = {}
        for field_name, value_node in keyed_fields(body).items():
            key = _SCHEMA_FIELD_KEYS.get(field_name, field_name[:1].lower() + field_name[1:])
            if field_name in _SUBSCHEMA_FIELDS:
                value: Any = self._sub_schema(value_node, near, depth)
            elif field_name in _SCHEMA_MAP_FIELDS:
                value = self._schema_map(value_node, near, depth)
            else:
                value = self.values.value(value_node, near)
            if value is not UNKNOWN and value is not None:
                schema[key] = value
        return schema

    def _sub_schema(self, node: Node, near: GoFile, depth: int) -> dict[str, Any] | None:
        if node.type == "literal_value":
            return self._schema_literal(node, near, depth + 1)
        return self.schema_value(node, near, depth + 1)

    def _schema_map(self, node: Node, near: GoFile, depth: int) -> dict[str, Any] | None:
        literal = self.literal(node, near)
        body = literal.child_by_field_name("body") if literal is not None else None
        if body is None:
            return None
        result: dict[str, Any] = {}
        for element in body.named_children:
            parts = [c for c in element.named_children if c.type != "comment"]
            if element.type != "keyed_element" or len(parts) != 2:
                continue
            key = self.values.value(parts[0], near)
            inner = parts[1].named_children[0] if parts[1].named_children else parts[1]
            sub = self._sub_schema(inner, near, depth)
            if isinstance(key, str) and sub is not None:
                result[key] = sub
        return result


def literal_type(literal: Node) -> str:
    type_node = literal.child_by_field_name("type")
    if type_node is None:
        return ""
    name = type_node.child_by_field_name("name") if type_node.type == "qualified_type" else type_node
    return text_of(name) if name is not None else ""


def json_object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # `[[[[...` nested past the recursion limit
            return None
    return value if isinstance(value, dict) else None
