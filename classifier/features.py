"""What the classifier looks at in a tool: name words, description sentences, parameters, hints."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from catalog.records import ToolHints, ToolRecord

MAX_DESCRIPTION_CHARS = 4000
"""Descriptions are untrusted and sometimes huge; evidence comes from the start."""
MAX_PARAM_DEPTH = 3
"""Nested `properties` are followed this deep (top-level parameters are depth 0)."""
MAX_PARAMS = 64
"""At most this many parameters are read from one schema."""
MAX_PROPERTY_DESCRIPTION_CHARS = 500

_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")
# lower->Upper ("getFile"), ACRONYM->Word ("HTTPServer"), letter<->digit ("s3Bucket", "v2")
_CAMEL = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n\s*[-*•]\s+|\n(?=[A-Z])")
_TEXT_WORD = re.compile(r"[a-z][a-z'-]*[a-z]|[a-z]")


def split_name(name: str) -> list[str]:
    """The lowercase words of an identifier: snake_case, camelCase, kebab, dotted, slashes, digits."""
    words: list[str] = []
    for chunk in _SEPARATORS.split(name):
        if chunk:
            words.extend(part.lower() for part in _CAMEL.split(chunk) if part)
    return words


def tool_part(name: str) -> str:
    """The tool's own name inside a namespaced one: `mcp__server__tool` -> `tool`."""
    segments = name.split("__")
    if len(segments) >= 3 and segments[0].lower() == "mcp":
        return "__".join(segments[2:])
    return name


def strip_prefix(words: list[str], is_action: Callable[[list[str], int], bool]) -> list[str]:
    """Drop server/product words before the action: `github create issue` -> `create issue`.

    A first word goes only when it is not an action, at least one later word is, and two
    words would remain (so `session_end` keeps its object).
    """
    stripped = list(words)
    while (
        len(stripped) >= 3
        and not is_action(stripped, 0)
        and any(is_action(stripped, index) for index in range(1, len(stripped)))
    ):
        stripped = stripped[1:]
    return stripped


def sentences(text: str) -> list[str]:
    """The sentences of a description (bounded), stripped, empty ones dropped."""
    parts = _SENTENCE_END.split(text[:MAX_DESCRIPTION_CHARS])
    return [part.strip() for part in parts if part and part.strip()]


def text_words(text: str) -> list[str]:
    """Lowercase words of prose, keeping apostrophes and hyphens inside words."""
    return _TEXT_WORD.findall(text.lower())


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of the input schema, nested ones included."""

    name: str
    words: tuple[str, ...]
    joined: str
    """The name normalised to snake_case: `filePath` -> `file_path`."""
    type: str | None
    description: str
    enum: tuple[str, ...]
    depth: int


@dataclass(frozen=True, slots=True)
class ToolFeatures:
    """Everything the rules read from one tool; nothing here depends on where it was found."""

    name_words: tuple[str, ...]
    """All words of the name (namespace and prefix included)."""
    words: tuple[str, ...]
    """Words of the name with a server/product prefix removed: where the action sits."""
    title: str
    sentences: tuple[str, ...]
    description: str
    """The bounded description."""
    params: tuple[Param, ...]
    hints: ToolHints


def extract_features(tool: ToolRecord, is_action: Callable[[list[str], int], bool]) -> ToolFeatures:
    """The features of one tool; `is_action(words, i)` says whether words[i] starts an action."""
    own = split_name(tool_part(tool.name))
    return ToolFeatures(
        name_words=tuple(split_name(tool.name)),
        words=tuple(strip_prefix(own, is_action)),
        title=(tool.title or "")[:200],
        sentences=tuple(sentences(tool.description)),
        description=tool.description[:MAX_DESCRIPTION_CHARS],
        params=tuple(_params(tool.input_schema)),
        hints=tool.hints,
    )


def _params(schema: Mapping[str, Any]) -> Iterator[Param]:
    return islice(_walk(schema, 0), MAX_PARAMS)


def _walk(schema: Any, depth: int) -> Iterator[Param]:
    if not isinstance(schema, Mapping) or depth > MAX_PARAM_DEPTH:
        return
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    for name, spec in properties.items():
        if not isinstance(name, str):
            continue
        spec = spec if isinstance(spec, Mapping) else {}
        words = tuple(split_name(name))
        yield Param(
            name=name,
            words=words,
            joined="_".join(words),
            type=_type_of(spec),
            description=_text(spec.get("description"))[:MAX_PROPERTY_DESCRIPTION_CHARS],
            enum=_enum_of(spec),
            depth=depth,
        )
        yield from _walk(spec, depth + 1)
        items = spec.get("items")
        if isinstance(items, Mapping):
            yield from _walk(items, depth + 1)


def _type_of(spec: Mapping[str, Any]) -> str | None:
    declared = spec.get("type")
    if isinstance(declared, str):
        return declared
    if isinstance(declared, list):
        names = [item for item in declared if isinstance(item, str) and item != "null"]
        return names[0] if names else None
    return None


def _enum_of(spec: Mapping[str, Any]) -> tuple[str, ...]:
    values: list[Any] = []
    if isinstance(spec.get("enum"), list):
        values.extend(spec["enum"])
    if "const" in spec:
        values.append(spec["const"])
    for key in ("anyOf", "oneOf"):
        branches = spec.get(key)
        if isinstance(branches, list):
            for branch in branches:
                if isinstance(branch, Mapping):
                    values.extend(_enum_of(branch))
    items = spec.get("items")
    if isinstance(items, Mapping):
        values.extend(_enum_of(items))
    return tuple(str(value) for value in values[:50] if isinstance(value, str | int | float))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
