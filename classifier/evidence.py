"""Weighted, explained evidence about a tool, gathered from its name, text, parameters and hints."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.records import Access, Capability
from classifier.features import ToolFeatures, text_words
from classifier.lexicon import Lexicon, Pattern, Phrase, Verb, first_char_guard

EVIDENCE_VERSION = 16
"""What the evidence code reads and how: bump it when a change there (not in a lexicon) changes
verdicts, so stored verdicts are re-classified and a model trained on the old rule features is
refused (it is part of `signals.lexicon_digest` and of the rules' version)."""
CONJUNCTIONS = frozenset({"and", "or", "then"})
NEGATORS = frozenset(
    {
        "not",
        "never",
        "no",
        "without",
        "cannot",
        "can't",
        "doesn't",
        "don't",
        "won't",
        "isn't",
        "aren't",
        "wouldn't",
        "shouldn't",
        "nor",
        "neither",
    }
)
NEGATION_WINDOW = 3
# Words that make a list or a mention one of things refused ("Rejects non-SELECT statements
# (INSERT/UPDATE/DELETE)", "blocks write queries such as DROP"), not of actions offered: a refusal
# or a `non-` word followed closely by a word for statements or commands.
REFUSALS = frozenset(
    {"reject", "rejects", "rejected", "block", "blocks", "blocked", "forbid", "forbids", "forbidden",
     "disallow", "disallows", "disallowed", "prohibit", "prohibits", "prohibited", "refuse",
     "refuses", "refused", "deny", "denies", "denied", "exclude", "excludes", "excluded"}
)
REFUSED_THINGS = frozenset(
    {"statement", "statements", "query", "queries", "command", "commands", "keyword", "keywords",
     "write", "writes", "operation", "operations", "request", "requests", "method", "methods",
     "verb", "verbs", "sql", "clause", "clauses", "call", "calls"}
)
REFUSAL_REACH = 3
REFUSAL_WINDOW = 12
# Later in the clause: "... (INSERT/UPDATE/DELETE) statements are rejected", "DROP and TRUNCATE
# are not allowed".
REFUSED_AFTER = re.compile(
    r"\b(?:are|is|will be|get) (?:always )?(?:rejected|refused|blocked|forbidden|disallowed"
    r"|prohibited|denied|not allowed|not permitted|not supported|never run|never executed)\b"
)
# Adjectives far more often than actions in prose ("an empty list", "a clear summary").
MENTION_IGNORED = frozenset({"clear", "empty"})

# Lead-ins before a description's real verb: "This tool deletes", "Use this to list", "Allows you to send".
_LEAD_IN = re.compile(
    r"^\W*(?:(?:(?:this|the|a) (?:tool|function|endpoint|command|method|operation|action|api)"
    r"(?: (?:that|which|to|for|will|can|is used to|lets you|allows you to))?"
    r"|use this(?: tool)? to|tool (?:to|that|for)|used to|can be used to|you can|will|it"
    r"|allows?(?: you| the user| users| agents?| the agent)? to|lets?(?: you| the user| agents?)?"
    r"|helps?(?: you)?(?: to)?)\s+)+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observation: what it points to (an access class and/or capabilities), how strongly, and why."""

    access: Access | None
    capabilities: tuple[Capability, ...]
    weight: float
    reason: str
    from_hints: bool = False


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    entry: Verb | Pattern


def is_action(lexicon: Lexicon) -> _IsAction:
    """A predicate: does words[index] start a verb, a name pattern or a compound noun?"""
    return _IsAction(lexicon)


class _IsAction:
    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon

    def __call__(self, words: list[str], index: int) -> bool:
        # `_match_at(...) is not None`, without making the token it would return; a compound noun
        # ("app store") counts too, so that a server prefix is never cut out of the middle of one.
        lexicon = self._lexicon
        for length in range(min(lexicon.longest_pattern, len(words) - index), 0, -1):
            if tuple(words[index : index + length]) in lexicon.patterns:
                return True
        return words[index] in lexicon.verbs or _compound_noun_at(words, index, lexicon) > 0


def _match_at(words: Sequence[str], index: int, lexicon: Lexicon) -> _Token | None:
    for length in range(min(lexicon.longest_pattern, len(words) - index), 0, -1):
        pattern = lexicon.patterns.get(tuple(words[index : index + length]))
        if pattern is not None:
            return _Token(index, index + length, pattern)
    verb = lexicon.verbs.get(words[index])
    return _Token(index, index + 1, verb) if verb is not None else None


MEMO_SIZE = 1 << 16
"""Names and sentences whose evidence one lexicon remembers: catalogs repeat them endlessly."""


_Mentioned = tuple[tuple[str | None, tuple[tuple[str, str, Verb], ...]], ...]
"""Per clause of a sentence: the other tool it points to, and its destructive verbs."""


class _Memo:
    """What one lexicon has already said about a name's words and about sentences."""

    __slots__ = ("leads", "lexicon", "mentions", "names", "said")

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.names: dict[tuple[str, ...], tuple[tuple[Evidence, ...], tuple[str, ...]]] = {}
        self.leads: dict[str, Verb | None] = {}
        self.mentions: dict[str, _Mentioned] = {}
        self.said: dict[tuple[str, str, str, float], Evidence] = {}


_MEMOS: dict[int, _Memo] = {}
_UNSEEN: Any = object()
"""Not in a memo yet (None is a remembered answer: no verb)."""


def _memo(lexicon: Lexicon) -> _Memo:
    memo = _MEMOS.get(id(lexicon))
    if memo is None or memo.lexicon is not lexicon:
        if len(_MEMOS) >= 16:
            _MEMOS.clear()  # lexicons loaded by tests; the shipped one is rebuilt at once
        memo = _MEMOS[id(lexicon)] = _Memo(lexicon)
    return memo


def _bounded(cache: dict[Any, Any]) -> dict[Any, Any]:
    # Cheaper than an LRU and as good here: a full memo is simply started again.
    if len(cache) >= MEMO_SIZE:
        cache.clear()
    return cache


def name_evidence(features: ToolFeatures, lexicon: Lexicon) -> tuple[list[Evidence], list[str]]:
    """Evidence from the name's action (and the action words it yields for the rules)."""
    memo = _memo(lexicon)
    found = memo.names.get(features.words)
    if found is None:
        found = _bounded(memo.names)[features.words] = _name_evidence(features.words, lexicon)
    return list(found[0]), list(found[1])


def _name_evidence(
    words: tuple[str, ...], lexicon: Lexicon
) -> tuple[tuple[Evidence, ...], tuple[str, ...]]:
    tokens = _tokens(words, lexicon)
    chosen = _actions(tokens, words, lexicon.noun_like, lexicon)
    chosen += [
        t for t in tokens if isinstance(t.entry, Pattern) and t.entry.anywhere and t not in chosen
    ]
    weight = lexicon.source_weights["name"]
    evidence = tuple(_token_evidence(token, words, weight) for token in chosen)
    actions = tuple(word for token in chosen for word in words[token.start : token.end])
    return evidence, actions


def _tokens(words: Sequence[str], lexicon: Lexicon) -> list[_Token]:
    """The verbs and name patterns of a name's words, left to right, longest pattern first."""
    tokens: list[_Token] = []
    index = 0
    while index < len(words):
        token = _match_at(words, index, lexicon)
        if token is None or not isinstance(token.entry, Pattern):
            noun = _compound_noun_at(words, index, lexicon)
            if noun:
                index += noun  # "app store", "change set": the object, not the action
                continue
        if token is None:
            index += 1
            continue
        tokens.append(token)
        index = token.end
    return tokens


def _list_object_first(
    tokens: list[_Token], words: Sequence[str], noun_like: frozenset[str], lexicon: Lexicon
) -> bool:
    """Does a name start with the noun "list" and end with the action done to it (`list_create`,
    `list_delete`, `list_accounts_add`)? The last word must be a verb in its base form, one that
    is no read and not a noun as often as a verb (`list_trash` lists the trash)."""
    if len(words) < 2 or words[0] != "list" or len(tokens) < 2:
        return False
    last = tokens[-1]
    if last.end != len(words) or not isinstance(last.entry, Verb) or words[-1] in noun_like:
        return False
    return words[-1] in lexicon.verbs and last.entry.access is not Access.READ


def _compound_noun_at(words: Sequence[str], index: int, lexicon: Lexicon) -> int:
    """How many words of a compound noun ("app store") start at words[index]; 0 when none does."""
    nouns = lexicon.compound_nouns.get(words[index])
    if nouns is not None:
        for noun in nouns:
            if tuple(words[index : index + len(noun)]) == noun:
                return len(noun)
    return 0


def _actions(
    tokens: list[_Token], words: Sequence[str], noun_like: frozenset[str], lexicon: Lexicon
) -> list[_Token]:
    if not tokens:
        return []
    if _list_object_first(tokens, words, noun_like, lexicon):
        return [tokens[-1]]  # `list_delete`, `list_accounts_add`: a list is the object
    if tokens[0].start != 0 or (
        words[0] in noun_like
        and any(t.start > 0 and " ".join(words[t.start : t.end]) not in noun_like for t in tokens)
    ):
        # object-first names put the action last: `issue_comment_list`, `session_end`
        return [tokens[-1]]
    chosen = [tokens[0]]
    for token in tokens[1:]:
        gap = words[chosen[-1].end : token.start]
        if len(gap) != 1 or gap[0] not in CONJUNCTIONS:
            break
        chosen.append(token)
    return chosen


def _token_evidence(token: _Token, words: Sequence[str], factor: float) -> Evidence:
    text = " ".join(words[token.start : token.end])
    kind = "name pattern" if isinstance(token.entry, Pattern) else "name verb"
    return Evidence(
        token.entry.access,
        token.entry.capabilities,
        token.entry.weight * factor,
        f"{kind} '{text}' → {targets(token.entry.access, token.entry.capabilities)}",
    )


LATER_VERBS_PER_CLASS = 3
"""Leading verbs of later sentences that count for one access class, each verb once: a
description that lists twelve operations line by line (`- set_color: Set ...`) states one tool's
options, and their sum must not outweigh the worst action it lists."""


def text_evidence(features: ToolFeatures, lexicon: Lexicon) -> tuple[list[Evidence], list[str]]:
    """Evidence from the title and description: leading verbs, phrases, destructive mentions."""
    evidence: list[Evidence] = []
    actions: list[str] = []
    leads: list[tuple[str, str, float]] = []
    if features.title:
        leads.append(("title", features.title, lexicon.source_weights["title"]))
    for position, sentence in enumerate(features.sentences):
        source = "description_lead" if position == 0 else "description_later"
        leads.append(("description", sentence, lexicon.source_weights[source]))
    counted: set[str] = set()
    later: dict[Access, int] = {}
    memo = _memo(lexicon)
    lead_weight = lexicon.source_weights["description_lead"]
    for where, text, factor in leads:
        verb = memo.leads.get(text, _UNSEEN)
        if verb is _UNSEEN:
            verb = _bounded(memo.leads)[text] = _lead_verb(text, lexicon)
        if verb is None:
            continue
        if factor >= lead_weight:
            actions.append(verb.word)
        elif verb.word in counted or later.get(verb.access, 0) >= LATER_VERBS_PER_CLASS:
            continue  # a long list of options is one tool's many lines, not more evidence
        else:
            later[verb.access] = later.get(verb.access, 0) + 1
        counted.add(verb.word)
        evidence.append(_said(memo, verb, where, verb.word, factor))
    evidence.extend(_phrases(features, lexicon))
    evidence.extend(_mentions(features, counted, memo))
    return evidence, actions


def _lead_verb(text: str, lexicon: Lexicon) -> Verb | None:
    rest = _LEAD_IN.sub("", text, count=1)
    words = text_words(rest[:80])
    if not words:
        return None
    base = lexicon.inflections.get(words[0])
    if base is None and len(words) > 1 and _is_adverb(words[0]):
        base = lexicon.inflections.get(words[1])  # "Quickly read ...", "Permanently deletes ..."
    return lexicon.verbs[base] if base is not None else None


def _is_adverb(word: str) -> bool:
    """An -ly word, asked only of a word that is not one of our verbs ("apply", "reply" are):
    it qualifies the verb after it."""
    return len(word) > 4 and word.endswith("ly")


@dataclass(frozen=True, slots=True)
class _AnyPhrase:
    """One alternation of every phrase: most descriptions match none, and one search says so."""

    phrases: tuple[Phrase, ...]
    regex: re.Pattern[str]
    lowered: re.Pattern[str] | None
    """The same without IGNORECASE, for lowercased ASCII text (about twice as fast), when
    that is provably the same: every phrase is ASCII, lowercase and without inline flags."""

    def search(self, text: str) -> bool:
        if self.lowered is not None and text.isascii():
            return self.lowered.search(text.lower()) is not None
        return self.regex.search(text) is not None


_INLINE_FLAGS = re.compile(r"\(\?[a-z-]")
_ANY_PHRASE: dict[int, _AnyPhrase] = {}


def _any_phrase(phrases: tuple[Phrase, ...]) -> _AnyPhrase:
    cached = _ANY_PHRASE.get(id(phrases))
    if cached is None or cached.phrases is not phrases:
        pattern = "|".join(f"(?:{phrase.regex.pattern})" for phrase in phrases) or "(?!)"
        simple = all(
            phrase.regex.flags & ~re.UNICODE == re.IGNORECASE
            and phrase.regex.pattern.isascii()
            and phrase.regex.pattern == phrase.regex.pattern.lower()
            and not _INLINE_FLAGS.search(phrase.regex.pattern)
            for phrase in phrases
        )
        lowered = first_char_guard(re.compile(pattern)) if simple else None
        regex = first_char_guard(re.compile(pattern, re.IGNORECASE))
        cached = _AnyPhrase(phrases, regex, lowered)
        _ANY_PHRASE[id(phrases)] = cached
    return cached


def _phrases(features: ToolFeatures, lexicon: Lexicon) -> Iterator[Evidence]:
    description = features.description
    if not _any_phrase(lexicon.phrases).search(description):
        return
    for phrase in lexicon.phrases:
        for match in phrase.regex.finditer(description):
            if negated(text_words(description[: match.start()])):
                continue
            if _points_elsewhere(features, match.start(), match.end()):
                continue
            reason = f"description says '{phrase.says}' → {phrase.access.value}"
            yield Evidence(phrase.access, (), phrase.weight, reason)
            break


# The end of a clause: a stop or semicolon, or a line break that starts a new line of its own (a
# blank line, a bullet, a capital); a bare line break inside wrapped text does not end one.
_SENTENCE_BREAK = re.compile(r"[.!?;](?:\s|$)|\n(?=[ \t]*(?:[-*•][ \t]|\d+[.)][ \t]|[A-Z]|\n|$))")
# Another tool's name as prose writes it: snake_case or camelCase, in quotes or backticks or not.
_TOOL_NAME = (
    r"[`'\"]*([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]*)+)[`'\"]*"
)
# A clause that sends the reader to another tool: "To inspect cells without changing anything,
# use godot_gridmap_read", "For a dry run, call plan_changes", "Use ``mikrotik_ssh`` for write
# commands", "... use list_items instead".
_OTHER_TOOL = re.compile(
    r"^\W*(?i:to|for|if you)\b.*\b(?i:use|call|try)\s+(?i:the\s+)?" + _TOOL_NAME
    + r"|^\W*(?i:use|call|try|see|prefer)\s+(?i:the\s+)?" + _TOOL_NAME
    + r"(?:\s+(?i:tool))?\s+(?i:for|to|when|if|instead|with|on)\b"
    + r"|\b(?i:use|call|try)\s+(?i:the\s+)?" + _TOOL_NAME + r"\s+(?i:instead)\b"
)


def pointed_tool(clause: str) -> str | None:
    """The other tool a clause sends the reader to ("To delete it, use remove_item"), if any: what
    the clause says is what that tool does. The caller rules out names of the tool's own
    parameters ("Use dry_run to preview the deletes")."""
    found = _OTHER_TOOL.search(clause)
    return next((name for name in found.groups() if name), None) if found else None


def clauses(sentence: str) -> list[str]:
    """A sentence cut into clauses: at semicolons as well as stops, and at line breaks that
    start a line of their own (`_SENTENCE_BREAK`)."""
    return [part for part in _SENTENCE_BREAK.split(sentence) if part and not part.isspace()]


def elsewhere(pointed: str | None, features: ToolFeatures) -> bool:
    """Does a clause that `pointed_tool` read point at another tool, not at a parameter of this
    one (as prose may write it: `dryRun`, `dry_run`)?"""
    if pointed is None:
        return False
    name = pointed.lower()
    return not any(name in (param.name.lower(), param.joined) for param in features.params)


def _points_elsewhere(features: ToolFeatures, start: int, end: int) -> bool:
    """Is the clause around `description[start:end]` about another tool ("To inspect cells
    without changing anything, use godot_gridmap_read")? Its phrase says what that tool does."""
    description = features.description
    before = max((found.end() for found in _SENTENCE_BREAK.finditer(description, 0, start)), default=0)
    after = _SENTENCE_BREAK.search(description, end)
    sentence = description[before : after.start() if after else len(description)]
    return elsewhere(pointed_tool(sentence), features)


def _mentions(features: ToolFeatures, counted: set[str], memo: _Memo) -> Iterator[Evidence]:
    factor = memo.lexicon.source_weights["description_mention"]
    seen = set(counted)
    for sentence in features.sentences:
        found = memo.mentions.get(sentence)
        if found is None:
            found = _bounded(memo.mentions)[sentence] = _destructive_words(sentence, memo.lexicon)
        for pointed, words in found:
            if elsewhere(pointed, features):
                continue  # "To delete it, use remove_item": what another tool does
            for base, word, verb in words:
                if base in seen:
                    continue
                seen.add(base)
                yield _said(memo, verb, "mention", word, factor)


def _destructive_words(sentence: str, lexicon: Lexicon) -> _Mentioned:
    """Per clause, the tool it points to (`pointed_tool`) and the (base form, word, verb) of
    every destructive verb in it that is neither negated nor refused, in order."""
    found: list[tuple[str | None, tuple[tuple[str, str, Verb], ...]]] = []
    if not any(_is_destructive(word, lexicon) for word in text_words(sentence)):
        return ()  # most sentences: no need to cut them into clauses
    for clause in clauses(sentence):
        words = text_words(clause)
        verbs: list[tuple[str, str, Verb]] = []
        for index, word in enumerate(words):
            base = lexicon.inflections.get(word)
            if base is None or base in MENTION_IGNORED:
                continue
            verb = lexicon.verbs[base]
            if verb.access is Access.DESTRUCTIVE and not (
                negated(words[:index]) or refused(words[:index], words[index + 1 :])
            ):
                verbs.append((base, word, verb))
        if verbs:
            found.append((pointed_tool(clause), tuple(verbs)))
    return tuple(found)


def _is_destructive(word: str, lexicon: Lexicon) -> bool:
    base = lexicon.inflections.get(word)
    return base is not None and lexicon.verbs[base].access is Access.DESTRUCTIVE


def _said(memo: _Memo, verb: Verb, where: str, word: str, factor: float) -> Evidence:
    """The evidence of `verb` said as `word` in a title or description, remembered: it recurs."""
    key = (verb.word, where, word, factor)
    found = memo.said.get(key)
    if found is None:
        what = f"description mentions '{word}'" if where == "mention" else f"{where} verb '{word}'"
        found = _bounded(memo.said)[key] = _verb_evidence(verb, what, factor)
    return found


def refused(before: Sequence[str], after: Sequence[str]) -> bool:
    """Are words of a clause ones it refuses: shortly after a refusal or `non-` word that names
    statements or commands ("rejects non-SELECT statements (INSERT/UPDATE)", "Rejects ...,
    transaction control (BEGIN/COMMIT/ROLLBACK)"), or followed by "are rejected" or "are not
    allowed" later in the clause?"""
    near = before[-REFUSAL_WINDOW:]
    for index, word in enumerate(near):
        if (word in REFUSALS or word.startswith("non-")) and not REFUSED_THINGS.isdisjoint(
            near[index + 1 : index + 1 + REFUSAL_REACH]
        ):
            return True
    return REFUSED_AFTER.search(" ".join(after)) is not None


def negated(before: Sequence[str]) -> bool:
    return any(word in NEGATORS or word.endswith("n't") for word in before[-NEGATION_WINDOW:])


def _verb_evidence(verb: Verb, what: str, factor: float) -> Evidence:
    reason = f"{what} → {targets(verb.access, verb.capabilities)}"
    return Evidence(verb.access, verb.capabilities, verb.weight * factor, reason)


RULE_VERDICTS = frozenset(
    {"accept", "allow", "deny", "reject", "drop", "permit", "block", "log", "pass", "alert"}
)
"""What a firewall or filter rule does with traffic: an `action` parameter whose values are all
these ("accept", "drop", "reject") sets the rule being written, it is not the tool's action."""


def rule_verdicts(values: Sequence[str]) -> bool:
    """Are `values` (two or more) the verdicts of a firewall-like rule, not the tool's actions?"""
    return len(values) >= 2 and all(value.lower() in RULE_VERDICTS for value in values)


def action_param_evidence(
    features: ToolFeatures, lexicon: Lexicon
) -> tuple[list[Evidence], list[str]]:
    """An `action`-like enum lists what a multi-purpose tool can do: its most severe value counts."""
    evidence: list[Evidence] = []
    actions: list[str] = []
    for param in features.params:
        if param.joined not in lexicon.action_params or not param.enum or rule_verdicts(param.enum):
            continue
        verbs = [verb for verb in (value_verb(value, lexicon) for value in param.enum) if verb]
        if not verbs:
            continue
        actions.extend(verb.word for verb in verbs)
        worst = max(verbs, key=lambda verb: severity(verb.access))
        reason = f"parameter '{param.name}' allows '{worst.word}' → {targets(worst.access, worst.capabilities)}"
        evidence.append(
            Evidence(worst.access, worst.capabilities, lexicon.action_param_weight, reason)
        )
    return evidence, actions


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
"""Where a camelCase identifier's next word starts: `deleteRows` is "delete Rows"."""


def flag_evidence(features: ToolFeatures, lexicon: Lexicon) -> list[Evidence]:
    """A boolean flag whose description starts with a deleting verb (`rules.toml [flag_params]`,
    "prune: Delete resources no longer in Git"): the deletion it reaches, once per tool."""
    for param in features.params:
        if param.type != "boolean" or not param.description:
            continue
        words = text_words(param.description[:80])
        base = lexicon.inflections.get(words[0]) if words else None
        if base in lexicon.flag_verbs:
            reason = f"flag '{param.name}' says '{words[0]}' → destructive"
            return [Evidence(Access.DESTRUCTIVE, (), lexicon.flag_weight, reason)]
    return []


def value_verb(
    value: str, lexicon: Lexicon, verb_of: Callable[[str, Lexicon], Verb | None] | None = None
) -> Verb | None:
    """The lexicon verb an action value (`delete_rows`, `deleteRows`, "create") starts with, if any.

    `verb_of` looks a word up; by default only base and inflected forms count.
    """
    words = text_words(_CAMEL_BOUNDARY.sub(" ", value).replace("_", " "))
    if not words:
        return None
    if verb_of is not None:
        return verb_of(words[0], lexicon)
    base = lexicon.inflections.get(words[0])
    return lexicon.verbs[base] if base is not None else None


def identifier_action(
    words: Sequence[str],
    lexicon: Lexicon,
    verb_of: Callable[[str, Lexicon], Verb | None],
    *,
    any_object_first: bool = False,
) -> Verb | None:
    """What an action identifier's words do, as one verb, read the way a tool name is: a name
    pattern speaks for the whole (`run python` runs code), an object-first identifier has its
    action after the object (`volume remove effect`) when that action is destructive or
    `any_object_first` says the words are known to name actions, and otherwise its first word
    counts as `verb_of` reads it (inflected forms too)."""
    if not words:
        return None
    tokens = _tokens(words, lexicon)
    chosen = _actions(tokens, words, lexicon.noun_like, lexicon)
    if (
        chosen
        and chosen[0].start > 0
        and not any_object_first
        and chosen[0].entry.access is not Access.DESTRUCTIVE
    ):
        chosen = []  # a field (`userCount`) reads like an object-first name: only removals count
    if not chosen:
        return verb_of(words[0], lexicon)
    worst = max(chosen, key=lambda token: severity(token.entry.access))
    entry = worst.entry
    if isinstance(entry, Verb):
        return entry
    text = " ".join(words[worst.start : worst.end])
    return Verb(text, entry.access, entry.weight, entry.capabilities)


def severity(access: Access) -> int:
    """Rank of an access class: read < write < destructive."""
    return _SEVERITY[access]


_SEVERITY = {access: rank for rank, access in enumerate(Access)}


def targets(access: Access | None, capabilities: Iterable[Capability]) -> str:
    """What evidence points to, for its reason: `destructive, executes-code`."""
    names = ([access.value] if access is not None else []) + [cap.value for cap in capabilities]
    return ", ".join(names)
