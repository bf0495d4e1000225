"""Weighted, explained evidence about a tool, gathered from its name, text, parameters and hints."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from catalog.records import Access, Capability, ToolHints
from classifier.features import Param, ToolFeatures, text_words
from classifier.lexicon import Lexicon, Pattern, Phrase, Rule, Verb

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
# Adjectives far more often than actions in prose ("an empty list", "a clear summary").
MENTION_IGNORED = frozenset({"clear", "empty"})
HINT_WEIGHT = 2.0
WEAK_HINT_WEIGHT = 0.75

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
    """A predicate: does words[index] start a verb or a name pattern?"""
    return _IsAction(lexicon)


class _IsAction:
    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon

    def __call__(self, words: list[str], index: int) -> bool:
        return _match_at(words, index, self._lexicon) is not None


def _match_at(words: Sequence[str], index: int, lexicon: Lexicon) -> _Token | None:
    for length in range(min(lexicon.longest_pattern, len(words) - index), 0, -1):
        pattern = lexicon.patterns.get(tuple(words[index : index + length]))
        if pattern is not None:
            return _Token(index, index + length, pattern)
    verb = lexicon.verbs.get(words[index])
    return _Token(index, index + 1, verb) if verb is not None else None


def name_evidence(features: ToolFeatures, lexicon: Lexicon) -> tuple[list[Evidence], list[str]]:
    """Evidence from the name's action (and the action words it yields for the rules)."""
    words = features.words
    tokens: list[_Token] = []
    index = 0
    while index < len(words):
        token = _match_at(words, index, lexicon)
        if token is None:
            index += 1
            continue
        tokens.append(token)
        index = token.end
    chosen = _actions(tokens, words, lexicon.noun_like)
    chosen += [
        t for t in tokens if isinstance(t.entry, Pattern) and t.entry.anywhere and t not in chosen
    ]
    weight = lexicon.source_weights["name"]
    evidence = [_token_evidence(token, words, weight) for token in chosen]
    actions = [word for token in chosen for word in words[token.start : token.end]]
    return evidence, actions


def _actions(tokens: list[_Token], words: Sequence[str], noun_like: frozenset[str]) -> list[_Token]:
    if not tokens:
        return []
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
        f"{kind} '{text}' → {_targets(token.entry.access, token.entry.capabilities)}",
    )


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
    for where, text, factor in leads:
        verb = _lead_verb(text, lexicon)
        if verb is None:
            continue
        if factor >= lexicon.source_weights["description_lead"]:
            actions.append(verb.word)
        counted.add(verb.word)
        evidence.append(_verb_evidence(verb, f"{where} verb '{verb.word}'", factor))
    evidence.extend(_phrases(features.description, lexicon))
    evidence.extend(_mentions(features.sentences, counted, lexicon))
    return evidence, actions


def _lead_verb(text: str, lexicon: Lexicon) -> Verb | None:
    rest = _LEAD_IN.sub("", text, count=1)
    words = text_words(rest[:80])
    if not words:
        return None
    base = lexicon.inflections.get(words[0])
    return lexicon.verbs[base] if base is not None else None


_ANY_PHRASE: dict[int, tuple[tuple[Phrase, ...], re.Pattern[str]]] = {}


def _any_phrase(phrases: tuple[Phrase, ...]) -> re.Pattern[str]:
    """One alternation of every phrase: most descriptions match none, and one search says so."""
    cached = _ANY_PHRASE.get(id(phrases))
    if cached is None or cached[0] is not phrases:
        pattern = "|".join(f"(?:{phrase.regex.pattern})" for phrase in phrases) or "(?!)"
        cached = (phrases, re.compile(pattern, re.IGNORECASE))
        _ANY_PHRASE[id(phrases)] = cached
    return cached[1]


def _phrases(description: str, lexicon: Lexicon) -> Iterator[Evidence]:
    if not _any_phrase(lexicon.phrases).search(description):
        return
    for phrase in lexicon.phrases:
        for match in phrase.regex.finditer(description):
            if _negated(text_words(description[: match.start()])):
                continue
            reason = f"description says '{phrase.says}' → {phrase.access.value}"
            yield Evidence(phrase.access, (), phrase.weight, reason)
            break


def _mentions(sentences: Iterable[str], counted: set[str], lexicon: Lexicon) -> Iterator[Evidence]:
    factor = lexicon.source_weights["description_mention"]
    seen = set(counted)
    for sentence in sentences:
        words = text_words(sentence)
        for index, word in enumerate(words):
            base = lexicon.inflections.get(word)
            if base is None or base in seen or base in MENTION_IGNORED:
                continue
            verb = lexicon.verbs[base]
            if verb.access is not Access.DESTRUCTIVE or _negated(words[:index]):
                continue
            seen.add(base)
            yield _verb_evidence(verb, f"description mentions '{word}'", factor)


def _negated(before: Sequence[str]) -> bool:
    return any(word in NEGATORS or word.endswith("n't") for word in before[-NEGATION_WINDOW:])


def _verb_evidence(verb: Verb, what: str, factor: float) -> Evidence:
    reason = f"{what} → {_targets(verb.access, verb.capabilities)}"
    return Evidence(verb.access, verb.capabilities, verb.weight * factor, reason)


def action_param_evidence(
    features: ToolFeatures, lexicon: Lexicon
) -> tuple[list[Evidence], list[str]]:
    """An `action`-like enum lists what a multi-purpose tool can do: its most severe value counts."""
    evidence: list[Evidence] = []
    actions: list[str] = []
    for param in features.params:
        if param.joined not in lexicon.action_params or not param.enum:
            continue
        verbs = [verb for verb in (_enum_verb(value, lexicon) for value in param.enum) if verb]
        if not verbs:
            continue
        actions.extend(verb.word for verb in verbs)
        worst = max(verbs, key=lambda verb: _severity(verb.access))
        reason = f"parameter '{param.name}' allows '{worst.word}' → {_targets(worst.access, worst.capabilities)}"
        evidence.append(
            Evidence(worst.access, worst.capabilities, lexicon.action_param_weight, reason)
        )
    return evidence, actions


def _enum_verb(value: str, lexicon: Lexicon) -> Verb | None:
    words = text_words(value.replace("_", " "))
    if not words:
        return None
    base = lexicon.inflections.get(words[0])
    return lexicon.verbs[base] if base is not None else None


def hint_evidence(hints: ToolHints) -> list[Evidence]:
    """Declared annotations: moderate evidence, never the verdict on their own."""
    evidence: list[Evidence] = []
    if hints.read_only is True:
        evidence.append(_hint(Access.READ, HINT_WEIGHT, "readOnlyHint=true"))
        return evidence
    if hints.read_only is False:
        evidence.append(_hint(Access.WRITE, WEAK_HINT_WEIGHT, "readOnlyHint=false"))
    if hints.destructive is True:
        evidence.append(_hint(Access.DESTRUCTIVE, HINT_WEIGHT, "destructiveHint=true"))
    elif hints.destructive is False:
        evidence.append(_hint(Access.WRITE, WEAK_HINT_WEIGHT, "destructiveHint=false"))
    return evidence


def _hint(access: Access, weight: float, declared: str) -> Evidence:
    return Evidence(
        access, (), weight, f"declared {declared} → {access.value} (evidence)", from_hints=True
    )


def rule_evidence(
    features: ToolFeatures, actions: Iterable[str], lexicon: Lexicon, verdict: Access | None
) -> list[Evidence]:
    """Evidence from the data rules; rules conditioned on access run once a verdict exists."""
    action_set = frozenset(actions)
    grams = _name_grams(features.name_words)
    params = frozenset(param.joined for param in features.params)
    evidence: list[Evidence] = []
    for rule in lexicon.rules:
        if (rule.access_in is None) != (verdict is None):
            continue
        parts = _rule_match(rule, features, action_set, verdict, grams, params)
        if parts is None:
            continue
        if verdict is not None:
            parts.append(f"on a {verdict.value} tool")
        reason = f"{' with '.join(parts)} → {_targets(rule.access, rule.capabilities)}"
        evidence.append(Evidence(rule.access, rule.capabilities, rule.weight, reason))
    return evidence


def _name_grams(words: Sequence[str]) -> frozenset[tuple[str, ...]]:
    # Every run of up to four consecutive name words: a rule's term is then one set lookup.
    return frozenset(
        tuple(words[start : start + size])
        for size in range(1, 5)
        for start in range(len(words) - size + 1)
    )


def _rule_match(
    rule: Rule,
    features: ToolFeatures,
    actions: frozenset[str],
    verdict: Access | None,
    grams: frozenset[tuple[str, ...]],
    params: frozenset[str],
) -> list[str] | None:
    # Every condition must hold; the cheap set lookups go first.
    if rule.access_in is not None and verdict not in rule.access_in:
        return None
    verb: str | None = None
    if rule.actions is not None:
        verb = next((action for action in actions if action in rule.actions), None)
        if verb is None:
            return None
    term: tuple[str, ...] | None = None
    if rule.name_words is not None:
        if not _may_hold(grams, rule.name_words):
            return None
        term = next((term for term in rule.name_words if _has_term(grams, term, features)), None)
        if term is None:
            return None
    if (
        rule.unless_name_words
        and _may_hold(grams, rule.unless_name_words)
        and any(_has_term(grams, unless, features) for unless in rule.unless_name_words)
    ):
        return None
    if rule.unless_params and not params.isdisjoint(rule.unless_params):
        return None
    parts: list[str] = []
    if term is not None:
        parts.append(f"name word '{' '.join(term)}'")
    if rule.params is not None or rule.param_words is not None:
        param = _matching_param(rule, features.params)
        if param is None:
            return None
        parts.append(f"parameter '{param.name}'")
    if verb is not None:
        parts.append(f"verb '{verb}'")
    return parts


_TERM_SETS: dict[int, tuple[tuple[tuple[str, ...], ...], frozenset[tuple[str, ...]], bool]] = {}


def _may_hold(grams: frozenset[tuple[str, ...]], terms: tuple[tuple[str, ...], ...]) -> bool:
    """False when no term can be in the name: one set intersection instead of a scan."""
    cached = _TERM_SETS.get(id(terms))
    if cached is None or cached[0] is not terms:
        cached = (terms, frozenset(terms), any(len(term) > 4 for term in terms))
        _TERM_SETS[id(terms)] = cached
    return cached[2] or not grams.isdisjoint(cached[1])


def _has_term(
    grams: frozenset[tuple[str, ...]], term: tuple[str, ...], features: ToolFeatures
) -> bool:
    return term in grams if len(term) <= 4 else _contains(features.name_words, term)


def _matching_param(rule: Rule, params: Sequence[Param]) -> Param | None:
    bounded_ok = Capability.EXECUTES_CODE not in rule.capabilities
    for param in params:
        if param.enum and not bounded_ok:
            continue
        if rule.params is not None and param.joined in rule.params:
            return param
        if rule.param_words is not None and any(word in rule.param_words for word in param.words):
            return param
    return None


def _contains(words: Sequence[str], term: Sequence[str]) -> bool:
    size = len(term)
    if size == 1:
        return term[0] in words
    if term[0] not in words:
        return False
    return any(
        tuple(words[index : index + size]) == tuple(term) for index in range(len(words) - size + 1)
    )


def _severity(access: Access) -> int:
    return list(Access).index(access)


def _targets(access: Access | None, capabilities: Iterable[Capability]) -> str:
    names = ([access.value] if access is not None else []) + [cap.value for cap in capabilities]
    return ", ".join(names)
