"""JSON Schema from Go: argument structs (as google/jsonschema-go infers them) and mcp-go options.

Struct rules follow jsonschema-go's `For[T]`, which the official go-sdk uses: a struct is
`{"type": "object", "properties", "required", "additionalProperties": false}`; a field without
`omitempty`/`omitzero` in its `json` tag is required; the `jsonschema` tag is the description;
a slice is `{"type": ["null", "array"]}`, a pointer adds "null" to its target's type; nested
structs are inlined. Types from other modules are `{}` (time.Time is a string, as there).
"""

from __future__ import annotations

import re
from typing import Any

from tree_sitter import Node

from crawler.extract.go_parse import (
    MAX_DEPTH,
    GoFile,
    GoIndex,
    GoValues,
    arguments,
    callee_name,
    text_of,
)
from crawler.extract.py_values import UNKNOWN

MAX_SCHEMA_NODES = 10_000
"""Types one tool's schema may be read from; past that (struct types whose fields share types,
nested: hostile code) the rest is left open, as past MAX_DEPTH."""

_INTEGER_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "int": (None, None), "int64": (None, None), "uint": (0, None), "uint64": (0, None),
    "uintptr": (0, None), "int8": (-128, 127), "uint8": (0, 255), "byte": (0, 255),
    "int16": (-32768, 32767), "uint16": (0, 65535), "int32": (-2147483648, 2147483647),
    "rune": (-2147483648, 2147483647), "uint32": (0, 4294967295),
}
_BASIC = {"string": {"type": "string"}, "bool": {"type": "boolean"}, "float32": {"type": "number"},
          "float64": {"type": "number"}, "any": {}, "error": {}}
_QUALIFIED = {"time.Time": {"type": "string"}, "json.RawMessage": {}}
_TAG_RE = re.compile(r'(\w+):"((?:[^"\\]|\\.)*)"')

# mcp-go property options that copy their one argument into the schema under a key.
_PROPERTY_KEYS = {
    "Description": "description", "Title": "title", "DefaultString": "default",
    "DefaultNumber": "default", "DefaultBool": "default", "DefaultArray": "default",
    "MaxLength": "maxLength", "MinLength": "minLength", "Pattern": "pattern", "Max": "maximum",
    "Min": "minimum", "MultipleOf": "multipleOf", "MinItems": "minItems", "MaxItems": "maxItems",
    "UniqueItems": "uniqueItems", "Items": "items", "Properties": "properties",
    "AdditionalProperties": "additionalProperties", "MinProperties": "minProperties",
    "MaxProperties": "maxProperties", "PropertyNames": "propertyNames",
}
_ITEM_OPTIONS = {"WithStringItems": "string", "WithNumberItems": "number",
                 "WithIntegerItems": "integer", "WithBooleanItems": "boolean"}
PROPERTY_TYPES = {"WithString": "string", "WithNumber": "number", "WithInteger": "integer",
                  "WithBoolean": "boolean", "WithObject": "object", "WithArray": "array",
                  "WithAny": None}
"""mcp-go tool options that add one property, and the JSON type each starts with."""


def struct_tags(raw: str) -> dict[str, str]:
    """`json:"name,omitempty" jsonschema:"desc"` as a dict."""
    return {key: value.replace('\\"', '"') for key, value in _TAG_RE.findall(raw)}


class GoSchemas:
    """Schemas for one extraction run, over one repo index."""

    def __init__(self, index: GoIndex) -> None:
        self.index = index
        self.values = GoValues(index)
        self._nodes_left = MAX_SCHEMA_NODES

    def of_type(self, node: Node | None, near: GoFile, seen: frozenset[str] = frozenset(),
                depth: int = 0) -> dict[str, Any]:
        """The schema jsonschema-go infers for a Go type expression."""
        if depth == 0:
            self._nodes_left = MAX_SCHEMA_NODES
        self._nodes_left -= 1
        if node is None or depth > MAX_DEPTH or self._nodes_left < 0:
            return {}
        kind = node.type
        if kind == "pointer_type":
            inner = self.of_type(node.named_children[-1], near, seen, depth + 1)
            return _nullable(inner)
        if kind == "slice_type":
            items = self.of_type(node.child_by_field_name("element"), near, seen, depth + 1)
            return {"type": ["null", "array"], "items": items}
        if kind == "array_type":
            return self._array(node, near, seen, depth)
        if kind == "map_type":
            values = self.of_type(node.child_by_field_name("value"), near, seen, depth + 1)
            return {"type": "object", "additionalProperties": values}
        if kind == "struct_type":
            return self.struct(node, near, seen, depth)
        if kind == "interface_type":
            return {}
        if kind == "qualified_type":
            return self._named(node, near, seen, depth, text_of(node))
        if kind in ("type_identifier", "identifier"):
            return self._named(node, near, seen, depth, text_of(node))
        if kind == "generic_type":
            return self.of_type(node.child_by_field_name("type"), near, seen, depth + 1)
        return {}

    def _array(self, node: Node, near: GoFile, seen: frozenset[str], depth: int) -> dict[str, Any]:
        items = self.of_type(node.child_by_field_name("element"), near, seen, depth + 1)
        schema: dict[str, Any] = {"type": "array", "items": items}
        length = self.values.value(node.child_by_field_name("length"), near)
        if isinstance(length, int) and not isinstance(length, bool):
            schema["minItems"] = schema["maxItems"] = length
        return schema

    def _named(self, node: Node, near: GoFile, seen: frozenset[str], depth: int, name: str) -> dict[str, Any]:
        if name in _QUALIFIED:
            return dict(_QUALIFIED[name])
        short = name.split(".")[-1]
        if "." not in name:
            if name in _BASIC:
                return dict(_BASIC[name])
            if name in _INTEGER_BOUNDS:
                return _integer(name)
        found = self.index.type(short, near)
        if found is None or short in seen:
            return {}
        return self.of_type(found[1], found[0], seen | {short}, depth + 1)

    def struct(self, node: Node, near: GoFile, seen: frozenset[str], depth: int) -> dict[str, Any]:
        """An object schema from a struct type's exported fields."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        field_list = next((c for c in node.named_children if c.type == "field_declaration_list"), None)
        for declaration in field_list.named_children if field_list is not None else []:
            if declaration.type != "field_declaration":
                continue
            self._field(declaration, near, seen, depth, properties, required)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        return schema

    def _field(self, declaration: Node, near: GoFile, seen: frozenset[str], depth: int,
               properties: dict[str, Any], required: list[str]) -> None:
        names = [text_of(n) for n in declaration.children_by_field_name("name")]
        type_node = declaration.child_by_field_name("type")
        tag_node = declaration.child_by_field_name("tag")
        tags = struct_tags(text_of(tag_node)[1:-1]) if tag_node is not None else {}
        if not names:
            # An embedded struct: its fields are promoted into this one.
            embedded = self.of_type(type_node, near, seen, depth + 1)
            for key, value in embedded.get("properties", {}).items():
                properties.setdefault(key, value)
            required.extend(r for r in embedded.get("required", []) if r not in required)
            return
        json_tag = tags.get("json", "")
        json_name, _, options = json_tag.partition(",")
        if json_name == "-" and not options:
            return
        for name in names:
            if not name[:1].isupper():
                continue
            key = json_name or name
            schema = self.of_type(type_node, near, seen, depth + 1)
            if tags.get("jsonschema"):
                schema["description"] = tags["jsonschema"]
            properties[key] = schema
            flags = set(options.split(",")) if options else set()
            if not flags & {"omitempty", "omitzero"} and key not in required:
                required.append(key)

    def property_options(self, schema: dict[str, Any], options: list[Node], near: GoFile,
                         depth: int = 0) -> dict[str, Any]:
        """Apply mcp-go PropertyOptions (`mcp.Required()`, `mcp.Description(...)`, ...) to a schema."""
        for option in options:
            if option.type != "call_expression" or depth > MAX_DEPTH:
                continue
            name = callee_name(option) or ""
            args = arguments(option)
            if name == "Required":
                schema["required"] = True
            elif name == "Enum":
                values = [self.values.value(arg, near) for arg in args]
                spread = args[0].named_children[0] if len(args) == 1 and args[0].type == "variadic_argument" else None
                if spread is not None:
                    values = self.values.value(spread, near)
                if isinstance(values, list) and UNKNOWN not in values:
                    schema["enum"] = values
            elif name in _ITEM_OPTIONS:
                items = {"type": _ITEM_OPTIONS[name]}
                schema["items"] = self.property_options(items, args, near, depth + 1)
                schema["items"].pop("required", None)
            elif name == "WithStringEnumItems" and args:
                values = self.values.value(args[0], near)
                if isinstance(values, list):
                    schema["items"] = {"type": "string", "enum": values}
            elif name in _PROPERTY_KEYS and args:
                key = _PROPERTY_KEYS[name]
                value = self.values.text(args[0], near) if key in ("description", "title") else self.values.value(args[0], near)
                if value is not UNKNOWN and value is not None:
                    schema[key] = value
        return schema


def _integer(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    low, high = _INTEGER_BOUNDS[name]
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": ["null", kind]}
    if isinstance(kind, list) and "null" not in kind:
        return {**schema, "type": ["null", *kind]}
    return schema
