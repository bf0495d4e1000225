"""Evidence from the data rules (rules.toml): actions, name words and parameters, matched fast."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from catalog.records import Access, Capability
from classifier.evidence import Evidence, targets
from classifier.features import NAME_CACHE, Param, ToolFeatures
from classifier.lexicon import Lexicon, Rule

LONGEST_GRAM = 4
"""Name terms up to this many words are looked up in a set of the name's runs."""
_PARAM_CACHE = 1 << 16
_CANDIDATE_CACHE = 1 << 16


def rule_evidence(
    features: ToolFeatures, actions: Iterable[str], lexicon: Lexicon, verdict: Access | None
) -> list[Evidence]:
    """Evidence from the data rules; rules conditioned on access run once a verdict exists.

    A rule names the first of its actions in the order they were found (the name's first):
    a set's order would vary with the hash seed from one run to the next.
    """
    compiled = _compiled(lexicon)
    # Only the actions and name terms some rule asks about decide which rules may fire: tools
    # that agree on those share their candidates, whatever else their names hold.
    asked = compiled.actions
    ordered = tuple(dict.fromkeys([action for action in actions if action in asked]))
    name_key: _NameKey = features.name_words
    if compiled.names is not None:
        name_key = _asked_terms(features.name_words, compiled.names)
    key = (name_key, ordered, verdict)
    candidates = compiled.candidates.get(key)
    if candidates is None:
        if len(compiled.candidates) >= _CANDIDATE_CACHE:
            compiled.candidates.clear()  # cheaper than an LRU and as good: it fills again at once
        candidates = compiled.candidates[key] = _candidates(compiled, *key)
    evidence: list[Evidence] = []
    joined: frozenset[str] | None = None
    first_param: dict[int, Param] | None = None
    for candidate in candidates:
        rule = candidate.prepared.rule
        if rule.unless_params:
            if joined is None:
                joined = frozenset(param.joined for param in features.params)
            if not joined.isdisjoint(rule.unless_params):
                continue
        if candidate.evidence is not None:
            evidence.append(candidate.evidence)
            continue
        if first_param is None:
            first_param = _first_params(compiled, features.params)
        param = first_param.get(candidate.prepared.index)
        if param is not None:
            evidence.append(candidate.with_param(param.name))
    return evidence


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A rule whose action and name conditions hold; its parameter conditions are the tool's."""

    prepared: _Prepared
    before: tuple[str, ...]
    """The reason's parts before the parameter (the name word)."""
    after: tuple[str, ...]
    """The reason's parts after it (the verb, the verdict)."""
    evidence: Evidence | None
    """The evidence itself when the rule needs no parameter: the same for every tool."""
    by_param: dict[str, Evidence] = field(default_factory=dict, compare=False, repr=False)
    """The evidence for each parameter name already seen."""

    def with_param(self, name: str) -> Evidence:
        """The evidence when the rule is satisfied by the parameter called `name`."""
        found = self.by_param.get(name)
        if found is None:
            if len(self.by_param) >= _PARAM_CACHE:
                self.by_param.clear()
            parts = [*self.before, f"parameter '{name}'", *self.after]
            found = self.by_param[name] = _evidence(self.prepared, parts)
        return found


def _candidates(
    compiled: _Compiled, name_key: _NameKey, ordered: tuple[str, ...], verdict: Access | None
) -> tuple[_Candidate, ...]:
    """The rules whose conditions on actions and name words hold, in order (tools share these)."""
    name_words: tuple[str, ...] = ()  # every term is short: looked up in the grams alone
    if isinstance(name_key, frozenset):
        grams = name_key
    else:
        grams, name_words = _name_grams(name_key), name_key
    found: list[_Candidate] = []
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
        before: tuple[str, ...] = (f"name word '{' '.join(term)}'",) if term is not None else ()
        after: tuple[str, ...] = (f"verb '{verb}'",) if verb is not None else ()
        if verdict is not None:
            after += (f"on a {verdict.value} tool",)
        evidence = None if prepared.needs_param else _evidence(prepared, [*before, *after])
        found.append(_Candidate(prepared, before, after, evidence))
    return tuple(found)


def _evidence(prepared: _Prepared, parts: list[str]) -> Evidence:
    rule = prepared.rule
    reason = f"{' with '.join(parts)} → {prepared.targets}"
    return Evidence(rule.access, rule.capabilities, rule.weight, reason)


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
    candidates: dict[_CandidateKey, tuple[_Candidate, ...]]
    """(name key, actions, verdict) -> the rules that may fire, remembered."""
    actions: frozenset[str]
    """Every action some rule asks for."""
    names: frozenset[tuple[str, ...]] | None
    """Every name term some rule asks for (or rules out); None when one is too long for grams."""
    firsts: dict[int, tuple[tuple[Param, ...], dict[int, Param]]]
    """id of a tool's parameters -> (those parameters, the first one satisfying each rule)."""


_NameKey = tuple[str, ...] | frozenset[tuple[str, ...]]
"""A name's words, or (when no rule term is long) the rule terms among its runs of words."""
_CandidateKey = tuple[_NameKey, tuple[str, ...], Access | None]


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
        candidates={},
        firsts={},
        actions=frozenset(action for item in prepared for action in item.rule.actions or ()),
        names=None
        if any(item.long_terms or item.long_unless for item in prepared)
        else frozenset(term for item in prepared for term in item.terms | item.unless),
    )


def _first_params(compiled: _Compiled, params: tuple[Param, ...]) -> dict[int, Param]:
    """For each parameter rule, the first parameter (in schema order) that satisfies it.

    A tool's parameters are asked about twice (before and after its verdict): the answer for
    the same tuple is kept. The tuple is held while kept, so its id cannot pass to another.
    """
    kept = compiled.firsts.get(id(params))
    if kept is not None and kept[0] is params:
        return kept[1]
    if len(compiled.firsts) >= _PARAM_CACHE:
        compiled.firsts.clear()
    first = _first_params_of(compiled, params)
    compiled.firsts[id(params)] = (params, first)
    return first


def _first_params_of(compiled: _Compiled, params: Sequence[Param]) -> dict[int, Param]:
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
def _asked_terms(
    words: tuple[str, ...], asked: frozenset[tuple[str, ...]]
) -> frozenset[tuple[str, ...]]:
    """The terms among `asked` that occur in a name (a frozenset hashes once, so this is cheap)."""
    return _name_grams(words) & asked


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
