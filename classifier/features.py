"""What the classifier looks at in a tool: name words, description sentences, parameters, hints."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeGuard

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
_SENTENCE_STOP = re.compile(r"(?<=[.!?])\s+")
"""_SENTENCE_END's first alternative: the only one that can match text without a newline."""
_TEXT_WORD = re.compile(r"[a-z][a-z'-]*[a-z]|[a-z]")


NAME_CACHE = 1 << 16
"""Names and parameter names remembered once split: catalogs repeat them across servers."""


def split_name(name: str) -> list[str]:
    """The lowercase words of an identifier: snake_case, camelCase, kebab, dotted, slashes, digits."""
    return list(name_words(name))


@lru_cache(maxsize=NAME_CACHE)
def name_words(name: str) -> tuple[str, ...]:
    """`split_name` as a tuple, remembered: the same names and parameter names recur everywhere."""
    words: tuple[str, ...] = ()
    for chunk in _SEPARATORS.split(name):
        if chunk:
            words += _chunk_words(chunk)
    return words


@lru_cache(maxsize=NAME_CACHE)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    # Names differ by prefix and style far more than by their pieces (`getFile`, `file`).
    return tuple(part.lower() for part in _CAMEL.split(chunk) if part)


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
    text = text[:MAX_DESCRIPTION_CHARS]
    # Every break but the first kind needs a newline; one-line text is split faster without them.
    parts = (_SENTENCE_END if "\n" in text else _SENTENCE_STOP).split(text)
    return [stripped for part in parts if part and (stripped := part.strip())]


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
    all_words, words = _name_parts(tool.name, is_action)
    # Positional, in field order: keyword arguments make this a third slower.
    return ToolFeatures(
        all_words,
        words,
        (tool.title or "")[:200],
        tuple(sentences(tool.description)),
        tool.description[:MAX_DESCRIPTION_CHARS],
        tuple(_params(tool.input_schema)),
        tool.hints,
    )


def _name_parts(
    name: str, is_action: Callable[[list[str], int], bool]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return name_words(name), _stripped(name_words(tool_part(name)), is_action)


@lru_cache(maxsize=NAME_CACHE)
def _stripped(
    words: tuple[str, ...], is_action: Callable[[list[str], int], bool]
) -> tuple[str, ...]:
    # `is_action` is a pure function of the lexicon it was made from, so this is too.
    return tuple(strip_prefix(list(words), is_action))


def _params(schema: Mapping[str, Any]) -> list[Param]:
    found: list[Param] = []
    _walk(schema, 0, found)
    return found


def _walk(schema: Any, depth: int, found: list[Param]) -> None:
    """Append the parameters of `schema` to `found`, depth first, until MAX_PARAMS are found."""
    if not _is_mapping(schema) or depth > MAX_PARAM_DEPTH:
        return
    properties = schema.get("properties")
    if not _is_mapping(properties):
        return
    for name, spec in properties.items():
        if len(found) >= MAX_PARAMS:
            return
        if not isinstance(name, str):
            continue
        if type(spec) is dict and _NESTED_KEYS.isdisjoint(spec):
            found.append(_plain_param(name, spec.get("type"), spec.get("description"), depth))
            continue
        spec = spec if _is_mapping(spec) else {}
        found.append(_param(name, spec, depth))
        if "properties" in spec:
            _walk(spec, depth + 1, found)
        items = spec.get("items")
        if _is_mapping(items):
            _walk(items, depth + 1, found)


_NESTED_KEYS = frozenset({"properties", "items", "enum", "const", "anyOf", "oneOf"})
"""Keys that give a parameter an enum or nested parameters; most parameters have none."""
_PLAIN_PARAMS: dict[tuple[str, Any, Any, int], Param] = {}
_SIMPLE = frozenset({str, type(None)})


def _plain_param(name: str, declared: Any, description: Any, depth: int) -> Param:
    """A parameter without enum or nesting, remembered: catalogs repeat the same ones endlessly.

    It depends on nothing but these four values. Only strings and None are remembered
    (hashable, and a list-valued `type` is rare), so the key never holds a mutable value.
    """
    spec = {"type": declared, "description": description}
    if not _SIMPLE.issuperset((type(declared), type(description))):
        return _param(name, spec, depth)
    key = (name, declared, description, depth)
    param = _PLAIN_PARAMS.get(key)
    if param is None:
        if len(_PLAIN_PARAMS) >= NAME_CACHE:
            _PLAIN_PARAMS.clear()  # cheaper than an LRU and as good: it fills again at once
        param = _PLAIN_PARAMS[key] = _param(name, spec, depth)
    return param


def _param(name: str, spec: Mapping[str, Any], depth: int) -> Param:
    words, joined = _param_name(name)
    return Param(
        name=name,
        words=words,
        joined=joined,
        type=_type_of(spec),
        description=_text(spec.get("description"))[:MAX_PROPERTY_DESCRIPTION_CHARS],
        enum=_enum_of(spec),
        depth=depth,
    )


@lru_cache(maxsize=NAME_CACHE)
def _param_name(name: str) -> tuple[tuple[str, ...], str]:
    words = name_words(name)
    return words, "_".join(words)


def _is_mapping(value: Any) -> TypeGuard[Mapping[Any, Any]]:
    # JSON gives dicts; the dict test first spares the slow abstract-class check on the hot path.
    return isinstance(value, dict) or (value is not None and isinstance(value, Mapping))


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
    if _ENUM_KEYS.isdisjoint(spec):
        return ()  # most parameters: no enum to collect
    if isinstance(spec.get("enum"), list):
        values.extend(spec["enum"])
    if "const" in spec:
        values.append(spec["const"])
    for key in ("anyOf", "oneOf"):
        branches = spec.get(key)
        if isinstance(branches, list):
            for branch in branches:
                if _is_mapping(branch):
                    values.extend(_enum_of(branch))
    items = spec.get("items")
    if _is_mapping(items):
        values.extend(_enum_of(items))
    return tuple(str(value) for value in values[:50] if isinstance(value, str | int | float))


_ENUM_KEYS = frozenset({"enum", "const", "anyOf", "oneOf", "items"})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
