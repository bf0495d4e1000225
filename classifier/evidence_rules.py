"""Evidence from the data rules (rules.toml): actions, name words and parameters, matched fast."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from catalog.records import Access, Capability
from classifier.evidence import Evidence, targets
from classifier.features import NAME_CACHE, Param, ToolFeatures
from classifier.lexicon import Lexicon, Rule

LONGEST_GRAM = 4
"""Name terms up to this many words are looked up in a set of the name's runs."""
_PARAM_CACHE = 1 << 16


def rule_evidence(
    features: ToolFeatures, actions: Iterable[str], lexicon: Lexicon, verdict: Access | None
) -> list[Evidence]:
    """Evidence from the data rules; rules conditioned on access run once a verdict exists.

    A rule names the first of its actions in the order they were found (the name's first):
    a set's order would vary with the hash seed from one run to the next.
    """
    compiled = _compiled(lexicon)
    ordered = tuple(dict.fromkeys(actions))
    name_words = features.name_words
    grams = _name_grams(name_words)
    params: frozenset[str] | None = None
    first_param: dict[int, Param] | None = None
    evidence: list[Evidence] = []
    for prepared in compiled.plain if verdict is None else compiled.conditioned[verdict]:
        rule = prepared.rule
        # Every condition must hold; the cheap set lookups go first.
        verb: str | None = None
        if rule.actions is not None:
            if rule.actions.isdisjoint(ordered):
                continue
            verb = next(action for action in ordered if action in rule.actions)
        term: tuple[str, ...] | None = None
        if rule.name_words is not None:
            if not prepared.long_terms and grams.isdisjoint(prepared.terms):
                continue
            term = next((term for term in rule.name_words if _has(grams, term, name_words)), None)
            if term is None:
                continue
        if (
            rule.unless_name_words
            and (prepared.long_unless or not grams.isdisjoint(prepared.unless))
            and any(_has(grams, unless, name_words) for unless in rule.unless_name_words)
        ):
            continue
        if rule.unless_params:
            if params is None:
                params = frozenset(param.joined for param in features.params)
            if not params.isdisjoint(rule.unless_params):
                continue
        parts: list[str] = []
        if term is not None:
            parts.append(f"name word '{' '.join(term)}'")
        if prepared.needs_param:
            if first_param is None:
                first_param = _first_params(compiled, features.params)
            param = first_param.get(prepared.index)
            if param is None:
                continue
            parts.append(f"parameter '{param.name}'")
        if verb is not None:
            parts.append(f"verb '{verb}'")
        if verdict is not None:
            parts.append(f"on a {verdict.value} tool")
        reason = f"{' with '.join(parts)} → {prepared.targets}"
        evidence.append(Evidence(rule.access, rule.capabilities, rule.weight, reason))
    return evidence


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One rule with the sets that let most tools skip it in a lookup or two."""

    index: int
    rule: Rule
    terms: frozenset[tuple[str, ...]]
    long_terms: bool
    """Some name term is longer than LONGEST_GRAM: the set test cannot rule the rule out."""
    unless: frozenset[tuple[str, ...]]
    long_unless: bool
    needs_param: bool
    targets: str


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A lexicon's rules split by when they run, and its parameter matches remembered."""

    plain: tuple[_Prepared, ...]
    conditioned: Mapping[Access, tuple[_Prepared, ...]]
    with_params: tuple[_Prepared, ...]
    matches: dict[tuple[str, tuple[str, ...], bool], tuple[int, ...]]
    """(joined name, words, has an enum) of a parameter -> the rules it satisfies."""


_COMPILED: dict[int, tuple[tuple[Rule, ...], _Compiled]] = {}


def _compiled(lexicon: Lexicon) -> _Compiled:
    rules = lexicon.rules
    cached = _COMPILED.get(id(rules))
    if cached is None or cached[0] is not rules:
        cached = (rules, _compile(rules))
        _COMPILED[id(rules)] = cached
    return cached[1]


def _compile(rules: tuple[Rule, ...]) -> _Compiled:
    prepared = [
        _Prepared(
            index=index,
            rule=rule,
            terms=frozenset(rule.name_words or ()),
            long_terms=any(len(term) > LONGEST_GRAM for term in rule.name_words or ()),
            unless=frozenset(rule.unless_name_words),
            long_unless=any(len(term) > LONGEST_GRAM for term in rule.unless_name_words),
            needs_param=rule.params is not None or rule.param_words is not None,
            targets=targets(rule.access, rule.capabilities),
        )
        for index, rule in enumerate(rules)
    ]
    return _Compiled(
        plain=tuple(item for item in prepared if item.rule.access_in is None),
        conditioned={
            access: tuple(
                item
                for item in prepared
                if item.rule.access_in is not None and access in item.rule.access_in
            )
            for access in Access
        },
        with_params=tuple(item for item in prepared if item.needs_param),
        matches={},
    )


def _first_params(compiled: _Compiled, params: Sequence[Param]) -> dict[int, Param]:
    """For each parameter rule, the first parameter (in schema order) that satisfies it."""
    first: dict[int, Param] = {}
    for param in params:
        key = (param.joined, param.words, bool(param.enum))
        matched = compiled.matches.get(key)
        if matched is None:
            if len(compiled.matches) >= _PARAM_CACHE:
                compiled.matches.clear()
            matched = tuple(
                item.index for item in compiled.with_params if _param_matches(item.rule, param)
            )
            compiled.matches[key] = matched
        for index in matched:
            first.setdefault(index, param)
    return first


def _param_matches(rule: Rule, param: Param) -> bool:
    # Code rules want free text: a parameter restricted to an enum cannot carry a script.
    if param.enum and Capability.EXECUTES_CODE in rule.capabilities:
        return False
    if rule.params is not None and param.joined in rule.params:
        return True
    return rule.param_words is not None and any(word in rule.param_words for word in param.words)


@lru_cache(maxsize=NAME_CACHE)
def _name_grams(words: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    # Every run of up to four consecutive name words: a rule's term is then one set lookup.
    return frozenset(
        words[start : start + size]
        for size in range(1, LONGEST_GRAM + 1)
        for start in range(len(words) - size + 1)
    )


def _has(grams: frozenset[tuple[str, ...]], term: tuple[str, ...], words: Sequence[str]) -> bool:
    return term in grams if len(term) <= LONGEST_GRAM else _contains(words, term)


def _contains(words: Sequence[str], term: Sequence[str]) -> bool:
    size = len(term)
    if size == 1:
        return term[0] in words
    if term[0] not in words:
        return False
    return any(
        tuple(words[index : index + size]) == tuple(term) for index in range(len(words) - size + 1)
    )
