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
from classifier.lexicon import first_char_guard, read_toml
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
    {"id", "severity", "message", "triggers", "pattern", "unless_target", "unless_after", "tools_only"}
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
    unless_after: re.Pattern[str] | None
    """With `unless_target`: the text right after the match that makes it benign as well."""
    tools_only: bool


_Trigger = tuple[str, frozenset[int]]
"""A trigger substring and the rules it lets run."""
_Hit = tuple[int, int, str]
"""A rule that matched a text: its index, how many places, the first match as an inert span."""
MEMO_SIZE = 1 << 16
"""Texts whose matches a scanner remembers: parameter names and descriptions recur everywhere."""
MEMO_MAX_CHARS = 256
"""Longer texts are scanned afresh each time, so the memo stays small."""


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
        self._any_trigger = any_literal(tuple(by_trigger))
        # The same matches, found sooner: each led by a test of the characters it can start with.
        self._finders = tuple(first_char_guard(rule.regex) for rule in rules)
        self._memo: dict[str, tuple[_Hit, ...]] = {}

    def __reduce__(self) -> tuple[type[Scanner], tuple[tuple[TextRule, ...]]]:
        # Rebuilt from its rules in another process; the memo stays behind.
        return Scanner, (self.rules,)

    def scan_text(self, text: str, where: str, *, tool_text: bool = True) -> list[Flag]:
        """Flags for one text; `where` names it in messages ("description", "parameter `x` description")."""
        return self._flags(text, where, self._hits(text, tool_text), hidden=True)

    def scan_tool(self, tool: ToolRecord) -> list[Flag]:
        """Flags for a tool's name, title, description and every text in its input and output schemas."""
        texts = tool_texts(tool)
        # Most tools are clean: one look at all their text decides whether any part can hide content.
        hidden = may_hide_content("\n".join([text for _, text in texts]))
        flags: list[Flag] = []
        memo = self._memo
        for where, text in texts:
            hits = memo.get(text)
            if hits is None:
                hits = self._hits(text, True)
            if hits or hidden:
                flags += self._flags(text, where, hits, hidden=hidden)
        own = _own_names(tool.name)
        return [flag for flag in dict.fromkeys(flags) if not _names_own(_other_tool(flag.span), own)]

    def scan_server(self, instructions: str | None) -> list[Flag]:
        """Flags for a server's instructions, where naming the server's own tools is normal."""
        return self.scan_text(instructions or "", SERVER_WHERE, tool_text=False)

    def _hits(self, text: str, tool_text: bool) -> tuple[_Hit, ...]:
        """The rules that match `text`, wherever it sits (tool texts are remembered when short)."""
        lowered = text.lower()
        if self._any_trigger is None or self._any_trigger.search(lowered) is None:
            hits: tuple[_Hit, ...] = ()  # no trigger at all, the usual case: no rule can run
        else:
            hits = self._matches(text, lowered, tool_text)
        if tool_text and len(text) <= MEMO_MAX_CHARS:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()  # cheaper than an LRU and as good: it fills again at once
            self._memo[text] = hits
        return hits

    def _matches(self, text: str, lowered: str, tool_text: bool) -> tuple[_Hit, ...]:
        found: set[int] = set()
        for trigger, rules in self._by_trigger:
            if trigger in lowered:
                found |= rules
        hits: list[_Hit] = []
        taken: list[tuple[int, int]] = []
        for index in sorted(found):
            rule = self.rules[index]
            if rule.tools_only and not tool_text:
                continue
            matches = [
                match
                for match in islice(self._finders[index].finditer(text), MAX_MATCHES)
                if not _benign(rule, match) and not _overlaps(match.span(), taken)
            ]
            if matches:
                taken += [match.span() for match in matches]
                hits.append((index, len(matches), inert_span(matches[0].group())))
        return tuple(hits)

    def _flags(self, text: str, where: Where, hits: tuple[_Hit, ...], *, hidden: bool) -> list[Flag]:
        hidden = hidden and may_hide_content(text)
        if not hits and not hidden:
            return []
        place = inert_span(where_text(where), MAX_WHERE)
        flags: list[Flag] = []
        for index, count, span in hits:
            rule = self.rules[index]
            sentence = rule.message.replace("{where}", place)
            if count > 1:
                sentence += f" ({count} places)"
            flags.append(flag(rule.severity, sentence, span))
        if hidden:
            flags += hidden_flags(text, place)
        return list(dict.fromkeys(flags))


def any_literal(literals: Sequence[str]) -> re.Pattern[str] | None:
    """A regex that finds a text containing any of `literals` (None when there are none).

    The literals share their prefixes in a trie, so each position of the text costs a few
    character tests rather than one test per literal. It matches exactly where some literal
    starts: the same verdict as `any(literal in text for literal in literals)`.
    """
    trie: dict[str, Any] = {}
    for literal in literals:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}  # a literal ends here
    return re.compile(_trie_pattern(trie)) if trie else None


def _trie_pattern(node: dict[str, Any]) -> str:
    branches = [re.escape(char) + _trie_pattern(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    # A literal ends here and a longer one goes on: finding the shorter one is enough.
    return "" if "" in node else body


def _benign(rule: TextRule, match: re.Match[str]) -> bool:
    if rule.unless_target is None:
        return False
    target = match.group("target")
    if target is None or rule.unless_target.fullmatch(target) is None:
        return False
    return rule.unless_after is None or rule.unless_after.match(match.string, match.end()) is not None


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


# The tool a directive about "another tool" names, to tell it from the tool's own name: "use
# workspace_info instead of calling search" in search's description is advice about itself.
_NAMED_TOOL = re.compile(
    r"(?:instead\s+of\s+(?:using|calling|invoking)|when(?:ever)?\s+(?:you\s+)?"
    r"(?:use|call|invoke|using|calling|invoking))\s+(?:the\s+|any\s+)?[`'\"]?([\w.:/-]+?)[`'\"]?"
    r"(?:\s+(?:tool|function))?$",
    re.IGNORECASE,
)


def _other_tool(span: str | None) -> str | None:
    named = _NAMED_TOOL.search(span) if span else None
    return named.group(1).lower() if named else None


# A client or gateway may show a tool under a namespaced name (`mcp__server__search`,
# `server.search`, `server/search`) while its text calls it by its own (`search`), or the reverse.
_NAMESPACE = re.compile(r"__|[./]")


def _own_names(name: str) -> frozenset[str]:
    lowered = name.lower()
    return frozenset({lowered, _NAMESPACE.split(lowered)[-1]})


def _names_own(named: str | None, own: frozenset[str]) -> bool:
    return named is not None and (named in own or _NAMESPACE.split(named)[-1] in own)


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
    if item.get("unless_after") is not None and unless is None:
        raise ClassifierError(f"{where}: unless_after needs an unless_target beside it")
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
        unless_after=None
        if item.get("unless_after") is None
        else _compile(_string(item, "unless_after", where), where),
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
