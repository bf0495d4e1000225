"""Every text a tool shows an agent (name, title, description, schema strings) and where it sits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from catalog.records import ToolRecord
from classifier.poisoning_hidden import inert_span

MAX_SCHEMA_DEPTH = 12
MAX_SCHEMA_TEXTS = 1000
"""Strings of one schema worth scanning; a bigger schema is scanned up to here."""
MAX_PATH = 48
"""Longest parameter path quoted in a message."""
_SCHEMA_BRANCHES = ("items", "additionalProperties", "contains", "not", "if", "then", "else")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAPS = ("$defs", "definitions", "patternProperties")
_VALUE_KEYS = ("enum", "const", "default", "examples")
_NESTING = frozenset(
    (*_VALUE_KEYS, "properties", *_SCHEMA_BRANCHES, *_SCHEMA_LISTS, *_SCHEMA_MAPS)
)
"""The keys below which a schema can hold further text."""
_DEEPER = frozenset((*_SCHEMA_BRANCHES, *_SCHEMA_LISTS, *_SCHEMA_MAPS))
"""The keys of subschemas other than properties: most schemas have none."""

Where = str | tuple[str, ...]
"""Where a text sits: a sentence, or the parts of one, put together only if a flag needs it."""
Texts = list[tuple[Where, str]]


def tool_texts(tool: ToolRecord) -> Texts:
    """(where, text) for the name, title, description and every string of the schemas, in order."""
    texts: Texts = [("name", tool.name)]
    if tool.title:
        texts.append(("title", tool.title))
    texts.append(("description", tool.description))
    texts += schema_texts(tool.input_schema, "input schema", "parameter")
    if tool.output_schema is not None:
        texts += schema_texts(tool.output_schema, "output schema", "output schema")
    return texts


def schema_texts(schema: Any, root: str, prefix: str) -> Texts:
    """(where, text) for the first MAX_SCHEMA_TEXTS human-readable strings of a JSON Schema."""
    found: Texts = []
    _walk(schema, root, prefix, "", 0, found)
    return found if len(found) <= MAX_SCHEMA_TEXTS else found[:MAX_SCHEMA_TEXTS]


def where_text(where: Where) -> str:
    """The sentence naming where a text sits: "parameter `path` description"."""
    if isinstance(where, str):
        return where
    if where[0] == "name":
        _, prefix, child = where
        return f"{prefix} name `{inert_span(child, MAX_PATH)}`"
    _, root, prefix, path, key = where
    label = f"{prefix} `{inert_span(path, MAX_PATH)}`" if path else root
    return f"{label} {key}"


def _walk(schema: Any, root: str, prefix: str, path: str, depth: int, found: Texts) -> None:
    # A list built in place rather than nested generators: this runs for every tool classified.
    if len(found) >= MAX_SCHEMA_TEXTS or not _is_mapping(schema) or depth > MAX_SCHEMA_DEPTH:
        return
    for key in ("description", "title"):
        value = schema.get(key)
        if isinstance(value, str):
            found.append((("key", root, prefix, path, key), value))
    if _NESTING.isdisjoint(schema):
        return  # a plain parameter, the usual case: nothing else in it holds text
    for key in _VALUE_KEYS:
        if key in schema:
            _strings(schema[key], depth, ("key", root, prefix, path, key), found)
    properties = schema.get("properties")
    if _is_mapping(properties):
        for name, spec in properties.items():
            if len(found) >= MAX_SCHEMA_TEXTS:
                return
            child = f"{path}.{name}" if path else str(name)
            found.append((("name", prefix, child), str(name)))
            if type(spec) is dict and _NESTING.isdisjoint(spec) and depth < MAX_SCHEMA_DEPTH:
                # A plain parameter, the usual case: its texts without a call of its own.
                for key in ("description", "title"):
                    value = spec.get(key)
                    if isinstance(value, str):
                        found.append((("key", root, prefix, child, key), value))
            else:
                _walk(spec, root, prefix, child, depth + 1, found)
    if _DEEPER.isdisjoint(schema):
        return  # an object with properties only, the usual top level
    for key in _SCHEMA_BRANCHES:
        if key in schema:
            _walk(schema[key], root, prefix, path, depth + 1, found)
    for key in _SCHEMA_LISTS:
        branches = schema.get(key)
        if isinstance(branches, list):
            for branch in branches:
                _walk(branch, root, prefix, path, depth + 1, found)
    for key in _SCHEMA_MAPS:
        named = schema.get(key)
        if _is_mapping(named):
            for name, spec in named.items():
                _walk(spec, root, prefix, f"{key}.{name}", depth + 1, found)


def _strings(value: Any, depth: int, where: Where, found: Texts) -> None:
    """Every string inside an enum, default or examples value."""
    if depth > MAX_SCHEMA_DEPTH or len(found) >= MAX_SCHEMA_TEXTS:
        return
    if isinstance(value, str):
        found.append((where, value))
    elif isinstance(value, list):
        for item in value:
            _strings(item, depth + 1, where, found)
    elif _is_mapping(value):
        for key, item in value.items():
            found.append((where, str(key)))
            _strings(item, depth + 1, where, found)


def _is_mapping(value: Any) -> TypeGuard[Mapping[Any, Any]]:
    # JSON gives dicts; the dict test first spares the slow abstract-class check.
    return isinstance(value, dict) or (value is not None and isinstance(value, Mapping))
