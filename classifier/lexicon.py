"""The rule lexicons (data/lexicons/*.toml) loaded, validated and compiled once."""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.errors import ClassifierError
from catalog.records import Access, Capability
from classifier.glossary import Glossary, glossary_of

# The regex parser and its opcodes (no type stubs): they tell what a match can start with.
_parser: Any = importlib.import_module("re._parser")
_op: Any = importlib.import_module("re._constants")

LEXICON_FILES = ("verbs.toml", "patterns.toml", "phrases.toml", "rules.toml", "glossary.toml")
SOURCES = ("name", "title", "description_lead", "description_later", "description_mention")


@dataclass(frozen=True, slots=True)
class Verb:
    """A verb's evidence when it is a tool's action."""

    word: str
    access: Access
    weight: float
    capabilities: tuple[Capability, ...]


@dataclass(frozen=True, slots=True)
class Pattern:
    """Consecutive name words that mean more than their parts (`run query`, `get or create`)."""

    words: tuple[str, ...]
    access: Access
    weight: float
    capabilities: tuple[Capability, ...]
    anywhere: bool


@dataclass(frozen=True, slots=True)
class Phrase:
    """A description phrase that is access evidence (`cannot be undone`, `read-only`)."""

    regex: re.Pattern[str]
    says: str
    access: Access
    weight: float


@dataclass(frozen=True, slots=True)
class Rule:
    """Evidence from actions, name words and parameters; every listed condition must hold."""

    actions: frozenset[str] | None
    name_words: tuple[tuple[str, ...], ...] | None
    params: frozenset[str] | None
    param_words: frozenset[str] | None
    access_in: frozenset[Access] | None
    unless_name_words: tuple[tuple[str, ...], ...]
    unless_params: frozenset[str]
    access: Access | None
    weight: float
    capabilities: tuple[Capability, ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Every lexicon, compiled: verbs by base form and inflection, patterns, phrases, rules."""

    verbs: Mapping[str, Verb]
    noun_like: frozenset[str]
    """Verbs as often nouns; a name starting with one may be object-first (`comment_list`)."""
    compound_nouns: Mapping[str, tuple[tuple[str, ...], ...]]
    """First word of a noun of two or more words ("app store", "change set") -> every such noun,
    longest first: in a name, its words are the object, never the action."""
    inflections: Mapping[str, str]
    """Base and third-person forms -> base form, for prose ("deletes" -> "delete")."""
    source_weights: Mapping[str, float]
    patterns: Mapping[tuple[str, ...], Pattern]
    longest_pattern: int
    phrases: tuple[Phrase, ...]
    rules: tuple[Rule, ...]
    action_params: frozenset[str]
    action_param_weight: float
    flag_verbs: frozenset[str]
    """Verbs that, leading a boolean parameter's description, make that flag reach a deletion."""
    flag_weight: float
    capability_threshold: float
    glossary: Glossary
    """Chinese, Japanese and Korean terms read as English (`Glossary.translate`)."""


def third_person(verb: str) -> str:
    """The third-person singular of a base-form verb: fetch -> fetches, query -> queries."""
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        return verb + "es"
    if len(verb) > 1 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    if verb == "do":
        return "does"
    return verb + "s"


def load_lexicon(directory: Path) -> Lexicon:
    """Load and validate the lexicons in `directory`; bad data raises ClassifierError."""
    tables = {name: read_toml(directory / name) for name in LEXICON_FILES}
    verbs = _verbs(tables["verbs.toml"])
    patterns = _patterns(tables["patterns.toml"])
    rules_table = tables["rules.toml"]
    action_params = _table(rules_table, "action_params", "rules.toml")
    flag_params = _table(rules_table, "flag_params", "rules.toml")
    flag_verbs = frozenset(_strings(flag_params, "verbs", "rules.toml [flag_params]"))
    unknown = sorted(verb for verb in flag_verbs if verb not in verbs)
    if unknown:
        raise ClassifierError(f"rules.toml [flag_params]: {unknown[0]!r} is not a verb in verbs.toml")
    return Lexicon(
        verbs=verbs,
        noun_like=frozenset(_strings(tables["verbs.toml"], "noun_like", "verbs.toml")),
        compound_nouns=_compound_nouns(tables["verbs.toml"]),
        inflections=_inflections(verbs),
        source_weights=_source_weights(tables["verbs.toml"]),
        patterns=patterns,
        longest_pattern=max((len(words) for words in patterns), default=0),
        phrases=tuple(
            _phrase(item) for item in _list(tables["phrases.toml"], "phrase", "phrases.toml")
        ),
        rules=tuple(_rule(item) for item in _list(rules_table, "rule", "rules.toml")),
        action_params=frozenset(_strings(action_params, "names", "rules.toml [action_params]")),
        action_param_weight=_number(action_params, "weight", "rules.toml [action_params]"),
        flag_verbs=flag_verbs,
        flag_weight=_number(flag_params, "weight", "rules.toml [flag_params]"),
        capability_threshold=_number(rules_table, "capability_threshold", "rules.toml"),
        glossary=glossary_of(tables["glossary.toml"]),
    )


def read_toml(path: Path) -> dict[str, Any]:
    """One TOML data file, or a ClassifierError naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClassifierError(f"classifier data file {path} is missing") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ClassifierError(f"classifier data file {path} cannot be read: {error}") from None


def _verbs(table: Mapping[str, Any]) -> dict[str, Verb]:
    verbs: dict[str, Verb] = {}
    for index, group in enumerate(_list(table, "group", "verbs.toml")):
        where = f"verbs.toml group {index + 1}"
        access = _access(group, "access", where)
        weight = _number(group, "weight", where)
        capabilities = _capabilities(group, where)
        for word in _strings(group, "words", where):
            if word in verbs:
                raise ClassifierError(f"{where}: the verb {word!r} is listed twice")
            verbs[word] = Verb(word, access, weight, capabilities)
    return verbs


def _inflections(verbs: Mapping[str, Verb]) -> dict[str, str]:
    forms: dict[str, str] = {}
    for word in verbs:
        forms.setdefault(word, word)
        forms.setdefault(third_person(word), word)
    return forms


def _source_weights(table: Mapping[str, Any]) -> dict[str, float]:
    sources = _table(table, "sources", "verbs.toml")
    return {name: _number(sources, name, "verbs.toml [sources]") for name in SOURCES}


def _patterns(table: Mapping[str, Any]) -> dict[tuple[str, ...], Pattern]:
    patterns: dict[tuple[str, ...], Pattern] = {}
    for index, item in enumerate(_list(table, "pattern", "patterns.toml")):
        where = f"patterns.toml pattern {index + 1}"
        access = _access(item, "access", where)
        weight = _number(item, "weight", where)
        capabilities = _capabilities(item, where)
        anywhere = bool(item.get("anywhere", False))
        for phrase in _strings(item, "words", where):
            words = tuple(phrase.split())
            if words in patterns:
                raise ClassifierError(f"{where}: the pattern {phrase!r} is listed twice")
            patterns[words] = Pattern(words, access, weight, capabilities, anywhere)
    return patterns


def _phrase(item: Mapping[str, Any]) -> Phrase:
    where = f"phrases.toml phrase {item.get('says', '?')!r}"
    source = item.get("pattern")
    if not isinstance(source, str):
        raise ClassifierError(f"{where}: `pattern` must be a string")
    try:
        regex = re.compile(source, re.IGNORECASE)
    except re.error as error:
        raise ClassifierError(f"{where}: bad regular expression: {error}") from None
    says = item.get("says")
    if not isinstance(says, str):
        raise ClassifierError(f"{where}: `says` must be a string")
    return Phrase(regex, says, _access(item, "access", where), _number(item, "weight", where))


def _rule(item: Mapping[str, Any]) -> Rule:
    where = f"rules.toml rule {sorted(item)}"
    access = _access(item, "access", where) if isinstance(item.get("access"), str) else None
    access_in = None
    if isinstance(item.get("access"), list):
        access_in = frozenset(_access_value(value, where) for value in item["access"])
    capabilities = _capabilities(item, where)
    if access is None and not capabilities:
        raise ClassifierError(f"{where}: a rule must add an access or capabilities")
    return Rule(
        actions=_optional_set(item, "actions", where),
        name_words=_terms(item, "name_words", where),
        params=_optional_set(item, "params", where),
        param_words=_optional_set(item, "param_words", where),
        access_in=access_in,
        unless_name_words=_terms(item, "unless_name_words", where) or (),
        unless_params=_optional_set(item, "unless_params", where) or frozenset(),
        access=access,
        weight=_number(item, "weight", where),
        capabilities=capabilities,
    )


def _terms(item: Mapping[str, Any], key: str, where: str) -> tuple[tuple[str, ...], ...] | None:
    if key not in item:
        return None
    return tuple(tuple(term.split()) for term in _strings(item, key, where))


def _optional_set(item: Mapping[str, Any], key: str, where: str) -> frozenset[str] | None:
    return frozenset(_strings(item, key, where)) if key in item else None


def _table(table: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = table.get(key)
    if not isinstance(value, Mapping):
        raise ClassifierError(f"{where}: [{key}] table is missing")
    return value


def _list(table: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = table.get(key)
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ClassifierError(f"{where}: [[{key}]] entries are missing")
    return value


def _compound_nouns(table: Mapping[str, Any]) -> dict[str, tuple[tuple[str, ...], ...]]:
    found: dict[str, list[tuple[str, ...]]] = {}
    for entry in _strings(table, "compound_nouns", "verbs.toml"):
        words = tuple(entry.split())
        if len(words) < 2:
            raise ClassifierError(
                f"verbs.toml: compound noun {entry!r} must have two or more words"
            )
        found.setdefault(words[0], []).append(words)
    return {first: tuple(sorted(nouns, key=len, reverse=True)) for first, nouns in found.items()}


def _strings(item: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = item.get(key)
    if not isinstance(value, list) or not all(isinstance(word, str) and word for word in value):
        raise ClassifierError(f"{where}: `{key}` must be a list of non-empty strings")
    return [word.lower() for word in value]


def _number(item: Mapping[str, Any], key: str, where: str) -> float:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ClassifierError(f"{where}: `{key}` must be a non-negative number")
    return float(value)


def _access(item: Mapping[str, Any], key: str, where: str) -> Access:
    return _access_value(item.get(key), where)


def _access_value(value: Any, where: str) -> Access:
    try:
        return Access(value)
    except ValueError:
        raise ClassifierError(
            f"{where}: unknown access {value!r} (read, write, destructive)"
        ) from None


def _capabilities(item: Mapping[str, Any], where: str) -> tuple[Capability, ...]:
    values = item.get("capabilities", [])
    if not isinstance(values, list):
        raise ClassifierError(f"{where}: `capabilities` must be a list")
    try:
        return tuple(Capability(value) for value in values)
    except ValueError as error:
        raise ClassifierError(f"{where}: unknown capability ({error})") from None


def first_char_guard(regex: re.Pattern[str]) -> re.Pattern[str]:
    """`regex` led by a lookahead for the characters its matches can start with.

    The matches are the same, spans and groups included (a lookahead consumes nothing), and
    searching is faster: most positions fail one character test before any alternative is
    tried. `regex` itself when its first characters cannot be worked out or it can match
    empty text. The lookahead is compiled with the same flags, so case rules apply to it alike.
    """
    try:
        parsed = _parser.parse(regex.pattern, regex.flags)
    except (re.error, RecursionError, TypeError, ValueError):
        return regex
    first = _first(list(parsed))
    if parsed.state.flags != regex.flags or first is None or first[1] or not first[0]:
        return regex
    starts = "".join(dict.fromkeys(first[0]))
    return re.compile(f"(?=[{starts}])(?:{regex.pattern})", regex.flags)


_First = tuple[list[str], bool]
"""Character-class items a match can start with, and whether it can match empty text."""


def _first(items: list[tuple[Any, Any]]) -> _First | None:
    parts: list[str] = []
    for op, argument in items:
        found = _first_of(op, argument)
        if found is None:
            return None
        parts += found[0]
        if not found[1]:
            return parts, False
    return parts, True


def _first_of(op: Any, argument: Any) -> _First | None:
    if op is _op.LITERAL:
        return [re.escape(chr(argument))], False
    if op is _op.IN:
        return _class_items(argument)
    if op in (_op.AT, _op.ASSERT, _op.ASSERT_NOT):
        return [], True  # consumes nothing: the characters after it decide
    if op is _op.SUBPATTERN:
        _, add_flags, del_flags, inner = argument
        return None if add_flags or del_flags else _first(list(inner))
    if op is _op.ATOMIC_GROUP:
        return _first(list(argument))
    if op is _op.BRANCH:
        parts: list[str] = []
        empty = False
        for branch in argument[1]:
            found = _first(list(branch))
            if found is None:
                return None
            parts += found[0]
            empty = empty or found[1]
        return parts, empty
    if op in (_op.MAX_REPEAT, _op.MIN_REPEAT, _op.POSSESSIVE_REPEAT):
        least, _, inner = argument
        found = _first(list(inner))
        return None if found is None else (found[0], found[1] or least == 0)
    return None  # any character, negations, back references: no useful answer


def _class_items(items: list[tuple[Any, Any]]) -> _First | None:
    parts: list[str] = []
    for op, argument in items:
        if op is _op.LITERAL:
            parts.append(re.escape(chr(argument)))
        elif op is _op.RANGE:
            parts.append(f"{re.escape(chr(argument[0]))}-{re.escape(chr(argument[1]))}")
        elif op is _op.CATEGORY and argument in _CATEGORIES:
            parts.append(_CATEGORIES[argument])
        else:
            return None  # a negated class and anything unusual
    return parts, False


_CATEGORIES = {
    _op.CATEGORY_DIGIT: r"\d",
    _op.CATEGORY_NOT_DIGIT: r"\D",
    _op.CATEGORY_SPACE: r"\s",
    _op.CATEGORY_NOT_SPACE: r"\S",
    _op.CATEGORY_WORD: r"\w",
    _op.CATEGORY_NOT_WORD: r"\W",
}
