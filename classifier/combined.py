"""Rules where their evidence is strong, the trained model for the rest: one classifier."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import ClassifierError
from catalog.records import Access, Capability, Classification, ToolRecord
from classifier.base import Classifier, collection_paused, distinct_definitions
from classifier.parallel import PARALLEL_FROM, available_cpus, classify_in_parallel
from classifier.rules import NO_EVIDENCE_REASON, RulesClassifier, decide
from classifier.signals import Signals, gather, lexicon_digest

if TYPE_CHECKING:  # the model module imports scikit-learn; it is loaded only when first needed
    from classifier.model import AccessModel, Prediction

META_FILE = "meta.json"
TOP_TERMS = 3
_SEVERITY = {access: rank for rank, access in enumerate(Access)}
_CAPABILITY_INDEX = {capability: index for index, capability in enumerate(Capability)}


@dataclass(frozen=True, slots=True)
class Policy:
    """Who decides: the rules when their hint-free margin reaches `rules_margin`, else the model.

    The model says destructive whenever its probability for destructive reaches
    `destructive_floor`, even when another class is more probable: that error costs most.
    Both numbers are chosen by cross-validation at training time (or kept from the labels
    folder's policy.toml while nothing beats it clearly) and stored in meta.json.
    """

    rules_margin: float
    destructive_floor: float

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> Policy:
        """The policy recorded with a model."""
        policy = meta.get("policy")
        if not isinstance(policy, Mapping):
            raise ClassifierError("model metadata has no `policy`; retrain the model")
        try:
            return cls(float(policy["rules_margin"]), float(policy["destructive_floor"]))
        except (KeyError, TypeError, ValueError):
            raise ClassifierError("model metadata has a malformed `policy`; retrain the model") from None


@dataclass(frozen=True, slots=True)
class CapabilityRule:
    """How the capability model changes one capability of the rules' verdict.

    The capability is added once the model's probability reaches `add_from` (never when None),
    and a capability the rules found is dropped when the probability is below `veto_below`.
    """

    add_from: float | None = None
    veto_below: float = 0.0


@dataclass(frozen=True, slots=True)
class CapabilityPolicy:
    """Per capability, how the rules' capabilities and the capability model's probabilities combine.

    Chosen by cross-validation at training time and stored in meta.json (`capability_policy`);
    a capability it does not name comes from the rules alone.
    """

    rules: tuple[tuple[Capability, CapabilityRule], ...] = ()

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> CapabilityPolicy:
        """The capability policy recorded with a model."""
        recorded = meta.get("capability_policy")
        if not isinstance(recorded, Mapping):
            raise ClassifierError("model metadata has no `capability_policy`; retrain the model")
        try:
            rules = [(Capability(name), _capability_rule(rule)) for name, rule in recorded.items()]
        except (KeyError, TypeError, ValueError):
            raise ClassifierError("model metadata has a malformed `capability_policy`; retrain the model") from None
        return cls(tuple(sorted(rules, key=lambda pair: _CAPABILITY_INDEX[pair[0]])))

    def to_meta(self) -> dict[str, dict[str, float | None]]:
        """The form meta.json keeps."""
        return {cap.value: {"add_from": rule.add_from, "veto_below": rule.veto_below} for cap, rule in self.rules}

    def decide(self, found: Sequence[Capability], chances: Sequence[float]) -> tuple[tuple[Capability, ...], list[str]]:
        """The capabilities once the model's `chances` (in Capability order) are applied to the
        rules' `found`, and a reason for each change the model made."""
        kept = set(found)
        changes: list[str] = []
        for capability, rule in self.rules:
            chance = chances[_CAPABILITY_INDEX[capability]]
            if capability in kept:
                if chance < rule.veto_below:
                    kept.discard(capability)
                    changes.append(f"model: {chance:.2f} {capability.value} → dropped")
            elif rule.add_from is not None and chance >= rule.add_from:
                kept.add(capability)
                changes.append(f"model: {chance:.2f} {capability.value}")
        return tuple(sorted(kept)), changes


def _capability_rule(recorded: Any) -> CapabilityRule:
    add_from, veto_below = recorded["add_from"], float(recorded["veto_below"])
    rule = CapabilityRule(None if add_from is None else float(add_from), veto_below)
    # A drop threshold above the add threshold would contradict itself between the two.
    if not 0.0 <= veto_below <= (1.0 if rule.add_from is None else rule.add_from) <= 1.0:
        raise ValueError("thresholds are probabilities, the drop one at most the add one")
    return rule


class CombinedClassifier(Classifier):
    """Labels tools with the rules when they are sure and with the model otherwise.

    Declared hints are features of the model and evidence for the rules, never the verdict:
    the rules' strength is measured without them. Where the model decides access, its capability
    part may change the rules' capabilities (`CapabilityPolicy`); where the rules decide alone the
    model is not run (that is what keeps it cheap) and capabilities are the rules'. Category and
    risk follow from access and capabilities by the risk table, so the same verdict gives the
    same risk anywhere.
    """

    def __init__(
        self,
        rules: RulesClassifier,
        meta: Mapping[str, Any],
        *,
        model: AccessModel | None = None,
        model_dir: Path | None = None,
        workers: int | None = None,
        parallel_from: int = PARALLEL_FROM,
    ) -> None:
        """`workers` processes share a batch of at least `parallel_from` distinct tools (the
        model must then come from `model_dir`); None means one per available CPU."""
        if model is None and model_dir is None:
            raise ValueError("give a model or the folder to load it from")
        self.workers = workers
        self.parallel_from = parallel_from
        self.rules = rules
        self.meta = dict(meta)
        self.policy = Policy.from_meta(meta)
        self.capability_policy = CapabilityPolicy.from_meta(meta)
        self._model = model
        self._model_dir = model_dir
        self.version = combined_version(rules.version, meta)

    @classmethod
    def from_dir(cls, directory: Path, rules: RulesClassifier | None = None) -> CombinedClassifier:
        """The combination of the shipped rules and the model in `directory`, loaded on first use."""
        meta_path = directory / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ClassifierError(f"cannot read {meta_path}: {error}") from None
        return cls(rules or RulesClassifier.from_data(), meta, model_dir=directory)

    @property
    def model(self) -> AccessModel:
        """The trained model, loaded (and verified) the first time it is needed."""
        if self._model is None:
            from classifier.model_files import load  # lazy: scikit-learn only when a model decides

            assert self._model_dir is not None
            self._model = load(self._model_dir, lexicon_digest(self.rules.lexicon))
        return self._model

    def classify_all(self, tools: Sequence[ToolRecord]) -> list[Classification]:
        """One classification per tool; identical definitions are classified once."""
        with collection_paused():
            unique, positions = distinct_definitions(tools)
            verdicts = self._classify_unique(unique)
            return [verdicts[position] for position in positions]

    def _classify_unique(self, tools: Sequence[ToolRecord]) -> list[Classification]:
        extra = (self.workers or available_cpus()) - 1
        if extra >= 1 and len(tools) >= self.parallel_from and self._model_dir is not None:
            _ = self.model  # loaded (and verified) here before any worker starts
            return classify_in_parallel(
                self, tools, extra, self._model_dir, self.classify_distinct
            )
        return self.classify_distinct(tools)

    def classify_distinct(self, tools: Sequence[ToolRecord]) -> list[Classification]:
        """One classification per tool, in this process, without looking for duplicates."""
        signals = [gather(self.rules, tool) for tool in tools]
        results: dict[int, Classification] = {}
        undecided: list[int] = []
        for index, item in enumerate(signals):
            if rules_decide(item, self.policy):
                results[index] = self._by_rules(item)
            else:
                undecided.append(index)
        if undecided:
            # One batch through the model: vectorising is what makes 100k tools fast.
            prediction = self.model.predict([signals[index] for index in undecided])
            chosen = [self._choice(prediction, row) for row in range(len(undecided))]
            terms = self.model.top_terms_all(prediction, [access for access, _ in chosen], TOP_TERMS)
            chances = self.model.capability_chances(prediction)
            for row, index in enumerate(undecided):
                access, probability = chosen[row]
                capability_chances = None if chances is None else chances[row]
                results[index] = self._by_model(signals[index], access, probability, terms[row], capability_chances)
        # The hints audit and suspicious-instruction flags are the rules' business, whoever decided.
        return [self.rules.flag(tool, results[index]) for index, tool in enumerate(tools)]

    def _by_rules(self, signals: Signals) -> Classification:
        assert signals.verdict is not None
        access = signals.verdict
        with_hints, confidence = decide(signals.evidence)
        if with_hints is not access:
            confidence = signals.confidence
        lead = f"rules decided {access.value} (evidence margin {signals.margin:.1f} ≥ {self.policy.rules_margin:.1f})"
        return self._label(signals, access, confidence, lead)

    def _choice(self, prediction: Prediction, row: int) -> tuple[Access, float]:
        """The model's access for one row of a batch and its probability."""
        probabilities = dict(zip(prediction.classes, prediction.probabilities[row].tolist(), strict=True))
        access = choose(probabilities, self.policy.destructive_floor)
        return access, probabilities[access]

    def _by_model(
        self,
        signals: Signals,
        access: Access,
        probability: float,
        terms: Sequence[str],
        capability_chances: Sequence[float] | None,
    ) -> Classification:
        lead = f"model: {probability:.2f} {access.value}"
        if terms:
            lead += f"; top terms: {', '.join(terms)}"
        return self._label(signals, access, round(probability, 3), lead, capability_chances)

    def _label(
        self,
        signals: Signals,
        access: Access,
        confidence: float,
        lead: str,
        capability_chances: Sequence[float] | None = None,
    ) -> Classification:
        result = self._rules_label(signals, access, confidence, [lead])
        if capability_chances is not None:
            capabilities, changes = self.capability_policy.decide(result.capabilities, capability_chances)
            if changes:
                # The access reason stays first; the model's capability changes come next.
                result = self._rules_label(signals, access, confidence, [lead, *changes], capabilities)
        if NO_EVIDENCE_REASON in result.reasons:
            reasons = tuple(reason for reason in result.reasons if reason != NO_EVIDENCE_REASON)
            result = result.model_copy(update={"reasons": reasons})
        return result

    def _rules_label(
        self,
        signals: Signals,
        access: Access,
        confidence: float,
        lead: Sequence[str],
        capabilities: Sequence[Capability] | None = None,
    ) -> Classification:
        return self.rules.label(
            signals.features,
            list(signals.evidence),
            list(signals.actions),
            access,
            min(max(confidence, 0.0), 1.0),
            lead=lead,
            version=self.version,
            capabilities=capabilities,
        )


def rules_decide(signals: Signals, policy: Policy) -> bool:
    """Whether the rules' hint-free evidence is strong enough to decide alone."""
    return signals.verdict is not None and signals.margin >= policy.rules_margin


def combined_access(signals: Signals, probabilities: Mapping[Access, float], policy: Policy) -> Access:
    """The access the combination gives, from the rules' signals and the model's probabilities."""
    if rules_decide(signals, policy):
        assert signals.verdict is not None
        return signals.verdict
    return choose(probabilities, policy.destructive_floor)


def choose(probabilities: Mapping[Access, float], destructive_floor: float) -> Access:
    """The most probable class, except that destructive wins once it reaches its floor."""
    if probabilities.get(Access.DESTRUCTIVE, 0.0) >= destructive_floor:
        return Access.DESTRUCTIVE
    return max(probabilities, key=lambda access: (probabilities[access], _SEVERITY[access]))


def combined_version(rules_version: str, meta: Mapping[str, Any]) -> str:
    """The rules' version joined with the model's version and training-data hash."""
    model_version = meta.get("model_version")
    data_hash = meta.get("data_sha256")
    if not isinstance(model_version, str) or not isinstance(data_hash, str):
        raise ClassifierError("model metadata lacks model_version or data_sha256; retrain the model")
    return f"{rules_version}+{model_version}-{data_hash[:8]}"
