"""A tool's JSON Schema turned into rows of a parameters table: nested fields, required, enum, default."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from catalog.site.text import clean, snippet

MAX_DEPTH = 6
MAX_ROWS = 200
_CONSTRAINTS = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "pattern", "format", "minItems", "maxItems", "const",
)


@dataclass(frozen=True)
class ParamRow:
    """One parameter: its path (`a.b`, `items[]`), type, whether required, and what it accepts."""

    path: str
    depth: int
    type: str
    required: bool
    description: str
    enum: list[str]
    default: str | None
    constraints: list[str]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for a template context."""
        return asdict(self)


def _show(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return snippet(text, limit)


def type_of(schema: Any) -> str:
    """A short human type: `string`, `integer | null`, `array of string`, `one of 2 shapes`."""
    if not isinstance(schema, dict):
        return "any"
    declared = schema.get("type")
    if isinstance(declared, list):
        return " | ".join(str(t) for t in declared) or "any"
    if declared == "array" and isinstance(schema.get("items"), dict):
        return f"array of {type_of(schema['items'])}"
    if isinstance(declared, str):
        return declared
    for union in ("anyOf", "oneOf"):
        options = schema.get(union)
        if isinstance(options, list) and options:
            return " | ".join(dict.fromkeys(type_of(option) for option in options))
    if isinstance(schema.get("$ref"), str):
        return f"ref {clean(schema['$ref'], 80)}"
    if "enum" in schema:
        return "enum"
    return "object" if isinstance(schema.get("properties"), dict) else "any"


def parameter_rows(schema: Any) -> list[ParamRow]:
    """Rows for every property, depth first in declared order, nested objects and arrays included."""
    rows: list[ParamRow] = []
    _walk(schema, "", 0, rows)
    return rows


def _walk(schema: Any, prefix: str, depth: int, rows: list[ParamRow]) -> None:
    if not isinstance(schema, dict) or depth >= MAX_DEPTH:
        return
    properties = schema.get("properties")
    required = schema.get("required")
    needed = {str(name) for name in required} if isinstance(required, list) else set()
    if isinstance(properties, dict):
        for name, child in properties.items():
            if len(rows) >= MAX_ROWS:
                return
            path = f"{prefix}.{name}" if prefix else str(name)
            rows.append(_row(clean(path, 200), depth, child, str(name) in needed))
            _walk(child, path, depth + 1, rows)
    items = schema.get("items")
    if isinstance(items, dict) and isinstance(items.get("properties"), dict):
        _walk(items, f"{prefix}[]" if prefix else "[]", depth, rows)


def _row(path: str, depth: int, schema: Any, required: bool) -> ParamRow:
    spec = schema if isinstance(schema, dict) else {}
    enum = spec.get("enum")
    items = spec.get("items")
    if not isinstance(enum, list) and isinstance(items, dict):
        enum = items.get("enum")
    constraints = [f"{name} {_show(spec[name], 60)}" for name in _CONSTRAINTS if name in spec]
    return ParamRow(
        path=path,
        depth=depth,
        type=clean(type_of(spec), 200),
        required=required,
        description=clean(spec.get("description") if isinstance(spec.get("description"), str) else "", 2000),
        enum=[_show(value, 60) for value in enum[:50]] if isinstance(enum, list) else [],
        default=_show(spec["default"]) if "default" in spec else None,
        constraints=constraints,
    )
