"""The baseline rules classifier: weighted evidence from data lexicons, a decision, a risk."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from functools import lru_cache
from operator import attrgetter
from pathlib import Path

from catalog.paths import data_dir
from catalog.records import Access, Capability, Classification, ToolRecord
from classifier.audit import flag_tool, hint_flags
from classifier.base import Classifier, classification, collection_paused
from classifier.evidence import (
    EVIDENCE_VERSION,
    Evidence,
    action_param_evidence,
    flag_evidence,
    is_action,
    name_evidence,
    text_evidence,
)
from classifier.evidence_choices import choice_evidence
from classifier.evidence_hints import hint_evidence
from classifier.evidence_rules import rule_evidence
from classifier.features import MAX_DESCRIPTION_CHARS, ToolFeatures, extract_features
from classifier.lexicon import LEXICON_FILES, Lexicon, load_lexicon
from classifier.poisoning import POISONING_FILE, Scanner, default_scanner, load_scanner
from classifier.risk import RISK_FILE, RiskTable, category_of, load_risk_table

RULES_VERSION = f"rules-{EVIDENCE_VERSION}"
MAX_REASONS = 6
NO_EVIDENCE_CONFIDENCE = 0.3
# Unknown effects are not assumed safe: a tool we cannot read is treated as a write.
NO_EVIDENCE_REASON = (
    "no evidence of what the tool does → write (unknown effects are not assumed safe)"
)
HINTS_ONLY_CONFIDENCE = 0.6
_ACCESSES = tuple(Access)
# Iterating an Enum class is slow in CPython; these run for every tool.
_SEVERITY = {access: rank for rank, access in enumerate(_ACCESSES)}
_WEIGHT = attrgetter("weight")


class RulesClassifier(Classifier):
    """Labels tools from their name, description, parameters and hints with documented rules.

    1. Evidence for an access class: the name's action verb or pattern, the leading verbs of
       the title and description, description phrases and non-negated destructive mentions,
       an `action`-like enum, parameter rules, declared hints (moderate weight).
    2. The access with the most weight wins (ties: the more severe); confidence from the margin.
    3. Rules conditioned on that verdict add capabilities (admin needs a write, ...).
    4. Category and risk come from the risk table; reasons list the deciding evidence first.
    Everything a person might tune lives in data/lexicons/*.toml and data/risk.toml.
    """

    def __init__(
        self, lexicon: Lexicon, risk_table: RiskTable, version: str, scanner: Scanner | None = None
    ) -> None:
        self.lexicon = lexicon
        self.risk_table = risk_table
        self.version = version
        self.scanner = scanner or default_scanner()
        self._is_action = is_action(lexicon)

    @classmethod
    def from_data(cls, directory: Path | None = None) -> RulesClassifier:
        """The classifier built from `directory` (default: the shipped data folder), loaded once."""
        return _load(directory or data_dir())

    def classify_all(self, tools: Sequence[ToolRecord]) -> list[Classification]:
        """One classification per tool, in order; only the definition matters, never the server."""
        with collection_paused():
            return [self._classify(tool) for tool in tools]

    def _classify(self, tool: ToolRecord) -> Classification:
        features = self.features(tool)
        evidence, actions = self.access_evidence(features)
        access, confidence = decide(evidence)
        return self.flag(tool, self.label(features, evidence, actions, access, confidence))

    def flag(self, tool: ToolRecord, classification: Classification) -> Classification:
        """`classification` with the hints audit and suspicious-instruction flags of `tool` merged in."""
        return flag_tool(tool, classification, self.scanner)

    def features(self, tool: ToolRecord) -> ToolFeatures:
        """What the rules read from one tool (its name's action found with this lexicon); a title
        or description in Chinese, Japanese or Korean is read through the glossary first."""
        glossary = self.lexicon.glossary
        bounded = tool.description[:MAX_DESCRIPTION_CHARS]  # all that the features read
        description = glossary.translate(bounded)
        title = glossary.translate(tool.title or "")
        if description is not bounded or (tool.title and title is not tool.title):
            update = {"description": description, "title": title or tool.title}
            tool = tool.model_copy(update=update)
        return extract_features(tool, self._is_action)

    def label(
        self,
        features: ToolFeatures,
        evidence: Sequence[Evidence],
        actions: Sequence[str],
        access: Access,
        confidence: float,
        *,
        lead: Sequence[str] = (),
        version: str | None = None,
        capabilities: Sequence[Capability] | None = None,
    ) -> Classification:
        """The full classification once `access` is decided: capabilities, category, risk, reasons.

        `lead` reasons go first (a combination says who decided); `version` overrides ours;
        `capabilities`, when given, replace the ones our evidence gives (category and risk follow).
        """
        evidence = [*evidence, *rule_evidence(features, actions, self.lexicon, access)]
        if capabilities is None:
            chosen = explained = self._capabilities(evidence)
        else:
            chosen = tuple(sorted(set(capabilities)))
            # Only a capability some evidence points to has a reason of ours to give.
            explained = tuple(cap for cap in chosen if any(cap in item.capabilities for item in evidence))
        category = category_of(access, chosen)
        risk, risk_reason = self.risk_table.assess(access, category, chosen)
        reasons = _reasons(evidence, access, explained, risk_reason)
        return classification(
            access=access,
            risk=risk,
            category=category,
            capabilities=chosen,
            confidence=confidence,
            reasons=tuple(dict.fromkeys([*lead, *reasons]))[:MAX_REASONS] if lead else reasons,
            flags=hint_flags(features.hints, features.name_words, access),
            classifier_version=version or self.version,
        )

    def access_evidence(self, features: ToolFeatures) -> tuple[list[Evidence], list[str]]:
        """Evidence about the access class (hints included) and the action words found."""
        return self._access_evidence(features)

    def _access_evidence(self, features: ToolFeatures) -> tuple[list[Evidence], list[str]]:
        evidence: list[Evidence] = []
        actions: list[str] = []
        for gathered, found in (
            name_evidence(features, self.lexicon),
            text_evidence(features, self.lexicon),
            action_param_evidence(features, self.lexicon),
            choice_evidence(features, self.lexicon),
        ):
            evidence += gathered
            actions += found
        evidence += flag_evidence(features, self.lexicon)
        evidence += rule_evidence(features, actions, self.lexicon, None)
        evidence += hint_evidence(features.hints)
        return evidence, actions

    def _capabilities(self, evidence: Sequence[Evidence]) -> tuple[Capability, ...]:
        totals: dict[Capability, float] = {}
        for item in evidence:
            for capability in item.capabilities:
                totals[capability] = totals.get(capability, 0.0) + item.weight
        threshold = self.lexicon.capability_threshold
        return tuple(sorted(cap for cap, total in totals.items() if total >= threshold))


def decide(evidence: Sequence[Evidence]) -> tuple[Access, float]:
    """The access with the most evidence (ties go to the more severe) and a confidence.

    Confidence grows with the margin over the runner-up: a lone strong name verb (3.0) gives
    about 0.89, a tie 0.5; a verdict only declared hints support is capped at 0.6; no evidence
    at all gives `write` at 0.3.
    """
    verdict, top, margin = rank(evidence)
    if top <= 0:
        return Access.WRITE, NO_EVIDENCE_CONFIDENCE
    return verdict, confidence_of(evidence, verdict, margin)


def confidence_of(evidence: Sequence[Evidence], verdict: Access, margin: float) -> float:
    """`decide`'s confidence in `verdict` once it leads by `margin` (> 0 evidence behind it)."""
    confidence = 0.5 + 0.45 * (1 - math.exp(-margin / 1.5))
    for item in evidence:
        if item.access is verdict and not item.from_hints:
            break
    else:  # only declared hints support the verdict
        confidence = min(confidence, HINTS_ONLY_CONFIDENCE)
    return round(confidence, 3)


def rank(evidence: Sequence[Evidence]) -> tuple[Access, float, float]:
    """The access with the most evidence (ties go to the more severe), its total, and its lead."""
    scores = dict.fromkeys(_ACCESSES, 0.0)
    for item in evidence:
        if item.access is not None:
            scores[item.access] += item.weight
    # Best first by (score, severity): no two accesses tie on that, so access is never compared.
    (top, _, verdict), (second, _, _) = sorted(
        [(scores[access], _SEVERITY[access], access) for access in _ACCESSES], reverse=True
    )[:2]
    return verdict, top, top - second


def _reasons(
    evidence: Sequence[Evidence],
    access: Access,
    capabilities: Sequence[Capability],
    risk_reason: str,
) -> tuple[str, ...]:
    by_weight = sorted(evidence, key=_WEIGHT, reverse=True)
    deciding: list[str] = []
    deciding_caps: list[str] = []
    rest: list[str] = []
    for item in by_weight:
        if item.access is not access:
            rest.append(item.reason)
        elif item.capabilities:
            deciding_caps.append(item.reason)
        else:
            deciding.append(item.reason)
    if not deciding and not deciding_caps:
        deciding = [NO_EVIDENCE_REASON]
    per_capability = [
        next(item.reason for item in by_weight if capability in item.capabilities)
        for capability in capabilities
    ]
    ordered = deciding_caps + deciding[:3] + per_capability + [risk_reason] + deciding[3:] + rest
    return tuple(dict.fromkeys(ordered))[:MAX_REASONS]


@lru_cache(maxsize=8)
def _load(directory: Path) -> RulesClassifier:
    lexicon_dir = directory / "lexicons"
    lexicon = load_lexicon(lexicon_dir)
    risk_table = load_risk_table(directory / RISK_FILE)
    scanner = load_scanner(lexicon_dir / POISONING_FILE)
    version = f"{RULES_VERSION}+{data_digest(directory)}"
    return RulesClassifier(lexicon, risk_table, version, scanner)


def data_digest(directory: Path) -> str:
    """A short hash of the lexicon and risk files, so a data change makes a new version."""
    digest = hashlib.sha256()
    lexicons = [directory / "lexicons" / name for name in (*LEXICON_FILES, POISONING_FILE)]
    for path in [*lexicons, directory / RISK_FILE]:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:8]
