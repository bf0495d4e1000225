"""Convert zod schema expressions (`z.object({...})`, `zod_1.z.string()`) to JSON Schema statically."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from tree_sitter import Node

from crawler.extract.ts_literals import UNKNOWN
from crawler.extract.ts_parse import named_args, node_text, unwrap
from crawler.extract.ts_scope import Bound, External, FileScope, Namespace
from crawler.extract.ts_values import (
    MAX_DEPTH,
    array_elements,
    closed_enum,
    evaluate,
    object_entries,
    resolve,
)

_PRIMITIVES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"}, "number": {"type": "number"}, "boolean": {"type": "boolean"},
    "bigint": {"type": "integer", "format": "int64"}, "date": {"type": "string", "format": "date-time"},
    "null": {"type": "null"}, "any": {}, "unknown": {}, "never": {"not": {}},
    "undefined": {"not": {}}, "void": {"not": {}}, "nan": {"type": "number"},
    "int": {"type": "integer"}, "email": {"type": "string", "format": "email"},
    "url": {"type": "string", "format": "uri"}, "uuid": {"type": "string", "format": "uuid"},
}
_FORMATS = {"email": "email", "url": "uri", "uuid": "uuid", "cuid": "cuid", "datetime": "date-time",
            "date": "date", "time": "time", "ip": "ip", "emoji": "emoji", "ulid": "ulid"}
_BOUNDS = {  # method -> (keyword for strings, numbers, arrays)
    "min": ("minLength", "minimum", "minItems"), "gte": ("minLength", "minimum", "minItems"),
    "max": ("maxLength", "maximum", "maxItems"), "lte": ("maxLength", "maximum", "maxItems"),
    "gt": (None, "exclusiveMinimum", None), "lt": (None, "exclusiveMaximum", None),
}
_SIGNS = {"positive": ("exclusiveMinimum", 0), "nonnegative": ("minimum", 0),
          "negative": ("exclusiveMaximum", 0), "nonpositive": ("maximum", 0)}
_SIMPLE_TYPES = frozenset({"string", "number", "integer", "boolean"})
_ZOD_MODULE = re.compile(r"^zod(/|$)")
_ZOD_NAMES = frozenset({"z", "zod"})


@dataclass(frozen=True)
class Zod:
    """A converted schema and whether it may be left out of its parent object."""

    schema: dict[str, Any]
    optional: bool = False


def is_zod_namespace(node: Node, scope: FileScope) -> bool:
    """True for `z`, `zod`, `zod_1.z`, `(0, zod_1.z)`, `z.coerce` and aliases imported from zod."""
    node = unwrap(node)
    if node.type == "identifier":
        name = node_text(node)
        found = scope.resolve_name(name, node)
        if isinstance(found, External | Namespace):
            return bool(_ZOD_MODULE.match(found.spec))
        return found is None and name in _ZOD_NAMES
    if node.type == "member_expression":
        holder = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        if holder is None or prop is None:
            return False
        if node_text(prop) == "coerce":
            return is_zod_namespace(holder, scope)
        if node_text(prop) == "z":
            # `zod_1.z` from tsc, or `o.z` from a bundler that renamed the module variable.
            found = resolve(holder, scope)
            if isinstance(found, Namespace | External):
                return bool(_ZOD_MODULE.match(found.spec))
            return unwrap(holder).type == "identifier" and not isinstance(found, Bound)
    return False


def convert(node: Node, scope: FileScope, depth: int = 0) -> Zod | None:
    """The JSON Schema of a zod expression, or None when the expression is not zod.

    A schema used in many places is converted once (again only where it is met nearer the top,
    see bounds.Memo), one met inside its own conversion is None there, and one too big to hand
    on is left open (`{}`).
    """
    if depth > MAX_DEPTH:
        return None
    node = unwrap(node)
    return scope.memo.schemas.remembered(
        node.id, depth, None, lambda: _fitted(_convert(node, scope, depth), scope))


def _fitted(converted: Zod | None, scope: FileScope) -> Zod | None:
    if converted is None or scope.project.sizes.fits(converted.schema):
        return converted
    return Zod({}, converted.optional)


def _convert(node: Node, scope: FileScope, depth: int) -> Zod | None:
    if node.type in ("identifier", "member_expression", "subscript_expression"):
        if node.type == "member_expression" and _property(node) == "shape":
            holder = node.child_by_field_name("object")
            return None if holder is None else convert(holder, scope, depth + 1)
        found = resolve(node, scope, depth + 1)
        if isinstance(found, Bound) and found.node != node:
            return convert(found.node, found.scope, depth + 1)
        return None
    if node.type != "call_expression":
        return None
    callee = node.child_by_field_name("function")
    callee = unwrap(callee) if callee is not None else None
    if callee is None or callee.type != "member_expression":
        return None
    holder = callee.child_by_field_name("object")
    method = _property(callee)
    if holder is None or method is None:
        return None
    args = named_args(node)
    if is_zod_namespace(holder, scope):
        return _base(method, args, scope, depth)
    inner = convert(holder, scope, depth + 1)
    if inner is None:
        return None
    return _modify(inner, method, args, scope, depth)


def shape_schema(node: Node, scope: FileScope, depth: int = 0) -> dict[str, Any]:
    """The object schema of a zod raw shape `{ a: z.string(), ... }`."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for key, (value, owner) in object_entries(node, scope, depth + 1).items():
        converted = convert(value, owner, depth + 1) or Zod({})
        properties[key] = converted.schema
        if not converted.optional:
            required.append(key)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def is_raw_shape(node: Node, scope: FileScope) -> bool:
    """True for an object literal whose values are zod schemas (an empty object counts)."""
    entries = object_entries(node, scope)
    return node.type == "object" and all(
        convert(value, owner) is not None for value, owner in entries.values())


def _property(member: Node) -> str | None:
    prop = member.child_by_field_name("property")
    return None if prop is None else node_text(prop)


def _base(method: str, args: list[Node], scope: FileScope, depth: int) -> Zod:
    first = args[0] if args else None
    if method in _PRIMITIVES:
        schema = dict(_PRIMITIVES[method])
        params = evaluate(first, scope, depth + 1) if first is not None else UNKNOWN
        if isinstance(params, dict) and isinstance(params.get("description"), str):
            schema["description"] = params["description"]
        return Zod(schema)
    if first is None:
        return Zod({})
    if method in ("object", "strictObject", "looseObject"):
        found = resolve(first, scope, depth + 1)
        if isinstance(found, Bound) and found.node.type == "object":
            return Zod(shape_schema(found.node, found.scope, depth + 1))
        return Zod({"type": "object"})
    if method in ("optional", "nullable", "nullish", "array"):
        inner = convert(first, scope, depth + 1) or Zod({})
        return _modify(inner, method, [], scope, depth)
    return Zod(_compound(method, args, scope, depth))


def _compound(method: str, args: list[Node], scope: FileScope, depth: int) -> dict[str, Any]:
    first = args[0]
    if method == "enum":
        values = evaluate(first, scope, depth + 1)
        if isinstance(values, dict):  # zod 4 accepts an enum-like object
            values = list(values.values())
        if isinstance(values, list) and values:
            return {"type": "string", "enum": values}
        return {"type": "string"}
    if method == "nativeEnum":
        return _native_enum(closed_enum(first, scope, depth + 1))
    if method == "literal":
        value = evaluate(first, scope, depth + 1)
        if value is UNKNOWN:
            return {}
        return {"type": _json_type(value), "const": value} if value is not None else {"type": "null"}
    if method in ("union", "discriminatedUnion"):
        members = args[1] if method == "discriminatedUnion" and len(args) > 1 else first
        return {"anyOf": _members(members, scope, depth)}
    if method == "intersection":
        return {"allOf": [(convert(arg, scope, depth + 1) or Zod({})).schema for arg in args]}
    if method == "tuple":
        items = _members(first, scope, depth)
        return {"type": "array", "minItems": len(items), "maxItems": len(items), "items": items}
    if method == "record":
        value = args[1] if len(args) > 1 else first
        return {"type": "object",
                "additionalProperties": (convert(value, scope, depth + 1) or Zod({})).schema}
    return {}


def _native_enum(enum: Any) -> dict[str, Any]:
    """`z.nativeEnum(E)`: the values of a TypeScript enum or an enum-like object."""
    if not isinstance(enum, dict):
        return {}
    # zod drops the reverse entries tsc adds to numeric enums (E[E.A = 0] = "A")
    values = [value for value in enum.values() if not _is_number(enum.get(str(value)))]
    if not values:
        return {}
    if all(isinstance(value, str) for value in values):
        return {"type": "string", "enum": values}
    if all(_is_number(value) for value in values):
        return {"type": "number", "enum": values}
    return {"enum": values}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _members(node: Node, scope: FileScope, depth: int) -> list[dict[str, Any]]:
    found = resolve(node, scope, depth + 1)
    if not isinstance(found, Bound):
        return []
    return [(convert(element, owner, depth + 1) or Zod({})).schema
            for element, owner in array_elements(found.node, found.scope, depth + 1)]


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _modify(inner: Zod, method: str, args: list[Node], scope: FileScope, depth: int) -> Zod:
    schema = copy.deepcopy(inner.schema)
    first = evaluate(args[0], scope, depth + 1) if args else UNKNOWN
    optional = inner.optional
    if method in ("optional", "nullish"):
        optional = True
    if method in ("nullable", "nullish"):
        schema = _nullable(schema)
    elif method == "default":
        optional = True
        if first is not UNKNOWN:
            schema["default"] = first
    elif method == "describe" and isinstance(first, str):
        schema["description"] = first
    elif method == "array":
        schema = {"type": "array", "items": schema}
    elif method in ("or", "and") and args:
        other = (convert(args[0], scope, depth + 1) or Zod({})).schema
        schema = {"anyOf" if method == "or" else "allOf": [schema, other]}
    elif method in ("extend", "merge", "partial", "required", "strict", "passthrough",
                    "strip", "pick", "omit", "catchall"):
        schema = _object_method(schema, method, args, scope, depth)
    else:
        _constrain(schema, method, first, args, scope)
    return Zod(schema, optional)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _SIMPLE_TYPES and set(schema) <= {"type", "description"}:
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _object_method(schema: dict[str, Any], method: str, args: list[Node], scope: FileScope,
                   depth: int) -> dict[str, Any]:
    if schema.get("type") != "object":
        return schema
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    required: list[str] = list(schema.get("required", []))
    if method in ("extend", "merge") and args:
        found = resolve(args[0], scope, depth + 1)
        other: dict[str, Any] = {}
        if isinstance(found, Bound) and found.node.type == "object":
            other = shape_schema(found.node, found.scope, depth + 1)
        elif isinstance(found, Bound):
            other = (convert(found.node, found.scope, depth + 1) or Zod({})).schema
        extra = other.get("properties", {})
        properties.update(extra)
        required = [key for key in required if key not in extra] + list(other.get("required", []))
    elif method == "partial":
        required = []
    elif method == "required":
        required = list(properties)
    elif method in ("pick", "omit") and args:
        chosen = evaluate(args[0], scope, depth + 1)
        keys = set(chosen) if isinstance(chosen, dict) else set()
        picking = method == "pick"
        properties = {key: value for key, value in properties.items() if (key in keys) == picking}
        required = [key for key in required if (key in keys) == picking]
    result = {key: value for key, value in schema.items() if key not in ("properties", "required")}
    result["properties"] = properties
    if required:
        result["required"] = required
    if method in ("strict", "passthrough"):
        result["additionalProperties"] = method == "passthrough"
    return result


def _constrain(schema: dict[str, Any], method: str, first: Any, args: list[Node],
               scope: FileScope) -> None:
    kind = schema.get("type")
    number = isinstance(first, int | float) and not isinstance(first, bool)
    if method in _BOUNDS and number:
        slot = {"string": 0, "array": 2}.get(kind if isinstance(kind, str) else "", 1)
        keyword = _BOUNDS[method][slot]
        if keyword is not None:
            schema[keyword] = first
    elif method == "length" and number:
        prefix = "Items" if kind == "array" else "Length"
        schema[f"min{prefix}"] = first
        schema[f"max{prefix}"] = first
    elif method == "nonempty":
        schema["minItems" if kind == "array" else "minLength"] = 1
    elif method == "int" and kind == "number":
        schema["type"] = "integer"
    elif method in _SIGNS:
        keyword, bound = _SIGNS[method]
        schema[keyword] = bound
    elif method in _FORMATS:
        schema["format"] = _FORMATS[method]
    elif method == "regex" and args:
        pattern = args[0].child_by_field_name("pattern") if args[0].type == "regex" else None
        if pattern is not None:
            schema["pattern"] = node_text(pattern)
    elif method in ("startsWith", "endsWith") and isinstance(first, str):
        escaped = re.escape(first)
        schema["pattern"] = f"^{escaped}" if method == "startsWith" else f"{escaped}$"
