"""Suspicious instructions: text in tool definitions and server instructions that tries to steer the agent."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from catalog.errors import ClassifierError
from catalog.paths import data_dir
from catalog.records import Flag, ToolRecord
from classifier.lexicon import read_toml
from classifier.poisoning_hidden import FLAG_KIND, flag, hidden_flags, inert_span, may_hide_content
from classifier.poisoning_texts import Where, tool_texts, where_text

__all__ = [
    "FLAG_KIND",
    "POISONING_FILE",
    "Scanner",
    "default_scanner",
    "inert_span",
    "load_scanner",
    "scan_server",
    "scan_text",
    "scan_tool",
]

POISONING_FILE = "poisoning.toml"
"""The patterns file, inside the data folder's lexicons/."""
SEVERITIES = ("high", "medium", "low")
MAX_MATCHES = 50
"""Matches of one rule in one text that are looked at (a flag reports the first)."""
SERVER_WHERE = "server's instruction text"
"""How messages name a server's initialize instructions."""
MAX_WHERE = 100
"""Longest `where` quoted in a message (parameter paths are cut shorter, see MAX_PATH)."""
_FRAGMENT = re.compile(r"\{\{(\w+)\}\}")
_RULE_KEYS = frozenset(
    {"id", "severity", "message", "triggers", "pattern", "unless_target", "tools_only"}
)


@dataclass(frozen=True, slots=True)
class TextRule:
    """One pattern of data/lexicons/poisoning.toml, compiled."""

    id: str
    severity: str
    message: str
    """A clause with `{where}` in it."""
    triggers: tuple[str, ...]
    regex: re.Pattern[str]
    unless_target: re.Pattern[str] | None
    tools_only: bool


_Trigger = tuple[str, frozenset[int]]
"""A trigger substring and the rules it lets run."""


class Scanner:
    """Runs the text rules and the hidden-content checks over tools and server instructions."""

    def __init__(self, rules: tuple[TextRule, ...]) -> None:
        self.rules = rules
        by_trigger: dict[str, set[int]] = {}
        for index, rule in enumerate(rules):
            for trigger in rule.triggers:
                by_trigger.setdefault(trigger, set()).add(index)
        self._by_trigger: tuple[_Trigger, ...] = tuple(
            (trigger, frozenset(found)) for trigger, found in by_trigger.items()
        )

    def scan_text(self, text: str, where: str, *, tool_text: bool = True) -> list[Flag]:
        """Flags for one text; `where` names it in messages ("description", "parameter `x` description")."""
        return self._scan(text, where, self._by_trigger, hidden=True, tool_text=tool_text)

    def scan_tool(self, tool: ToolRecord) -> list[Flag]:
        """Flags for a tool's name, title, description and every text in its input and output schemas."""
        texts = tool_texts(tool)
        # Most tools are clean: one pass over all their text decides which checks can find anything.
        joined = "\n".join([text for _, text in texts])
        present = self._present(joined.lower(), self._by_trigger)
        hidden = may_hide_content(joined)
        if not present and not hidden:
            return []
        flags: list[Flag] = []
        for where, text in texts:
            # A trigger absent from the whole is absent from every part: only `present` is tried.
            flags += self._scan(text, where, present, hidden=hidden, tool_text=True)
        return list(dict.fromkeys(flags))

    def scan_server(self, instructions: str | None) -> list[Flag]:
        """Flags for a server's instructions, where naming the server's own tools is normal."""
        return self.scan_text(instructions or "", SERVER_WHERE, tool_text=False)

    @staticmethod
    def _present(lowered: str, triggers: Sequence[_Trigger]) -> list[_Trigger]:
        # Substring tests are the fastest filter CPython has, and most texts contain no trigger.
        return [item for item in triggers if item[0] in lowered]

    def _scan(
        self, text: str, where: Where, triggers: Sequence[_Trigger], *, hidden: bool, tool_text: bool
    ) -> list[Flag]:
        if not text:
            return []
        found: set[int] = set()
        if triggers:
            for _, rules in self._present(text.lower(), triggers):
                found |= rules
        triggered = sorted(found)
        hidden = hidden and may_hide_content(text)
        if not triggered and not hidden:
            return []
        place = inert_span(where_text(where), MAX_WHERE)
        flags: list[Flag] = []
        taken: list[tuple[int, int]] = []
        for index in triggered:
            rule = self.rules[index]
            if rule.tools_only and not tool_text:
                continue
            matches = [
                match
                for match in islice(rule.regex.finditer(text), MAX_MATCHES)
                if not _benign(rule, match) and not _overlaps(match.span(), taken)
            ]
            if not matches:
                continue
            taken += [match.span() for match in matches]
            sentence = rule.message.replace("{where}", place)
            if len(matches) > 1:
                sentence += f" ({len(matches)} places)"
            flags.append(flag(rule.severity, sentence, inert_span(matches[0].group())))
        if hidden:
            flags += hidden_flags(text, place)
        return list(dict.fromkeys(flags))


def _benign(rule: TextRule, match: re.Match[str]) -> bool:
    if rule.unless_target is None:
        return False
    target = match.group("target")
    return target is not None and rule.unless_target.fullmatch(target) is not None


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def load_scanner(path: Path) -> Scanner:
    """The scanner built from a poisoning.toml file; bad data raises ClassifierError."""
    table = read_toml(path)
    fragments = _fragments(table, path.name)
    rules = table.get("rule")
    if not isinstance(rules, list) or not rules:
        raise ClassifierError(f"{path.name}: expected a non-empty [[rule]] list")
    compiled = tuple(_rule(item, index, fragments, path.name) for index, item in enumerate(rules))
    ids = [rule.id for rule in compiled]
    if len(set(ids)) != len(ids):
        raise ClassifierError(f"{path.name}: a rule id is used twice")
    return Scanner(compiled)


@lru_cache(maxsize=1)
def default_scanner() -> Scanner:
    """The scanner of the shipped data, loaded once."""
    return load_scanner(data_dir() / "lexicons" / POISONING_FILE)


def scan_text(text: str, where: str) -> list[Flag]:
    """Suspicious-instruction flags for one piece of tool text, named `where` in the messages."""
    return default_scanner().scan_text(text, where)


def scan_tool(tool: ToolRecord) -> list[Flag]:
    """Suspicious-instruction flags for everything a tool shows an agent."""
    return default_scanner().scan_tool(tool)


def scan_server(instructions: str | None) -> list[Flag]:
    """Suspicious-instruction flags for a server's initialize instructions."""
    return default_scanner().scan_server(instructions)


@dataclass(frozen=True, slots=True)
class _Fragment:
    pattern: str
    triggers: tuple[str, ...]


def _fragments(table: Mapping[str, Any], file: str) -> dict[str, _Fragment]:
    raw = table.get("fragments", {})
    if not isinstance(raw, Mapping):
        raise ClassifierError(f"{file}: [fragments] must be a table")
    fragments: dict[str, _Fragment] = {}
    for name, item in raw.items():
        where = f"{file} fragment {name!r}"
        if not isinstance(item, Mapping):
            raise ClassifierError(f"{where}: must be a table")
        fragments[name] = _Fragment(
            _string(item, "pattern", where), _string_list(item, "triggers", where)
        )
    return fragments


def _rule(item: Any, index: int, fragments: Mapping[str, _Fragment], file: str) -> TextRule:
    where = f"{file} rule {index + 1}"
    if not isinstance(item, Mapping):
        raise ClassifierError(f"{where}: must be a table")
    rule_id = _string(item, "id", where)
    where = f"{file} rule {rule_id!r}"
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        raise ClassifierError(f"{where}: unknown key {unknown[0]!r}")
    severity = _string(item, "severity", where)
    if severity not in SEVERITIES:
        raise ClassifierError(
            f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}"
        )
    message = _string(item, "message", where)
    if "{where}" not in message:
        raise ClassifierError(f"{where}: the message must say {{where}}")
    triggers: list[str] = []
    for trigger in _string_list(item, "triggers", where):
        named = _FRAGMENT.fullmatch(trigger)
        triggers += _fragment(fragments, named.group(1), where).triggers if named else [trigger]
    if any(not trigger or trigger != trigger.lower() for trigger in triggers):
        raise ClassifierError(f"{where}: triggers must be non-empty and lowercase")
    pattern = _FRAGMENT.sub(
        lambda named: _fragment(fragments, named.group(1), where).pattern,
        _string(item, "pattern", where),
    )
    regex = _compile(pattern, where)
    unless = item.get("unless_target")
    if unless is not None and "target" not in regex.groupindex:
        raise ClassifierError(
            f"{where}: unless_target needs a (?P<target>...) group in the pattern"
        )
    tools_only = item.get("tools_only", False)
    if not isinstance(tools_only, bool):
        raise ClassifierError(f"{where}: tools_only must be true or false")
    return TextRule(
        id=rule_id,
        severity=severity,
        message=message,
        triggers=tuple(triggers),
        regex=regex,
        unless_target=None
        if unless is None
        else _compile(_string(item, "unless_target", where), where),
        tools_only=tools_only,
    )


def _fragment(fragments: Mapping[str, _Fragment], name: str, where: str) -> _Fragment:
    if name not in fragments:
        raise ClassifierError(f"{where}: no fragment named {name!r}")
    return fragments[name]


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise ClassifierError(f"{where}: bad regular expression: {error}") from None
    if regex.fullmatch(""):
        raise ClassifierError(f"{where}: the pattern matches empty text")
    return regex


def _string(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ClassifierError(f"{where}: {key} must be a non-empty string")
    return value


def _string_list(item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(entry, str) for entry in value)
    ):
        raise ClassifierError(f"{where}: {key} must be a non-empty list of strings")
    return tuple(value)
