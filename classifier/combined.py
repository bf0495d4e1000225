"""Rules where their evidence is strong, the trained model for the rest: one classifier."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import ClassifierError
from catalog.records import Access, Classification, ToolRecord
from classifier.base import Classifier
from classifier.rules import NO_EVIDENCE_REASON, RulesClassifier, decide
from classifier.signals import Signals, gather, lexicon_digest

if TYPE_CHECKING:  # the model module imports scikit-learn; it is loaded only when first needed
    from classifier.model import AccessModel, Prediction

META_FILE = "meta.json"
TOP_TERMS = 3


@dataclass(frozen=True, slots=True)
class Policy:
    """Who decides: the rules when their hint-free margin reaches `rules_margin`, else the model.

    The model says destructive whenever its probability for destructive reaches
    `destructive_floor`, even when another class is more probable: that error costs most.
    Both numbers are chosen by cross-validation at training time and stored in meta.json.
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


class CombinedClassifier(Classifier):
    """Labels tools with the rules when they are sure and with the model otherwise.

    Declared hints are features of the model and evidence for the rules, never the verdict:
    the rules' strength is measured without them. Capabilities, category and risk always come
    from the rules' data and the risk table, so the same access gives the same risk anywhere.
    """

    def __init__(
        self,
        rules: RulesClassifier,
        meta: Mapping[str, Any],
        *,
        model: AccessModel | None = None,
        model_dir: Path | None = None,
    ) -> None:
        if model is None and model_dir is None:
            raise ValueError("give a model or the folder to load it from")
        self.rules = rules
        self.meta = dict(meta)
        self.policy = Policy.from_meta(meta)
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
            from classifier.model import load  # lazy: scikit-learn only when a model decides

            assert self._model_dir is not None
            self._model = load(self._model_dir, lexicon_digest(self.rules.lexicon))
        return self._model

    def classify_all(self, tools: Sequence[ToolRecord]) -> list[Classification]:
        """One classification per tool; identical definitions are classified once."""
        unique: list[ToolRecord] = []
        index_of: dict[str, int] = {}
        positions: list[int] = []
        for tool in tools:
            key = _definition_key(tool)
            if key not in index_of:
                index_of[key] = len(unique)
                unique.append(tool)
            positions.append(index_of[key])
        verdicts = self._classify_unique(unique)
        return [verdicts[position] for position in positions]

    def _classify_unique(self, tools: Sequence[ToolRecord]) -> list[Classification]:
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
            for row, index in enumerate(undecided):
                results[index] = self._by_model(signals[index], prediction, row)
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

    def _by_model(self, signals: Signals, prediction: Prediction, row: int) -> Classification:
        probabilities = {
            access: float(prediction.probabilities[row, column])
            for column, access in enumerate(prediction.classes)
        }
        access = choose(probabilities, self.policy.destructive_floor)
        terms = self.model.top_terms(prediction, row, access, TOP_TERMS)
        lead = f"model: {probabilities[access]:.2f} {access.value}"
        if terms:
            lead += f"; top terms: {', '.join(terms)}"
        return self._label(signals, access, round(probabilities[access], 3), lead)

    def _label(self, signals: Signals, access: Access, confidence: float, lead: str) -> Classification:
        result = self.rules.label(
            signals.features,
            list(signals.evidence),
            list(signals.actions),
            access,
            min(max(confidence, 0.0), 1.0),
            lead=[lead],
            version=self.version,
        )
        if NO_EVIDENCE_REASON in result.reasons:
            reasons = tuple(reason for reason in result.reasons if reason != NO_EVIDENCE_REASON)
            result = result.model_copy(update={"reasons": reasons})
        return result


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
    severity = {access: rank for rank, access in enumerate(Access)}
    return max(probabilities, key=lambda access: (probabilities[access], severity[access]))


def combined_version(rules_version: str, meta: Mapping[str, Any]) -> str:
    """The rules' version joined with the model's version and training-data hash."""
    model_version = meta.get("model_version")
    data_hash = meta.get("data_sha256")
    if not isinstance(model_version, str) or not isinstance(data_hash, str):
        raise ClassifierError("model metadata lacks model_version or data_sha256; retrain the model")
    return f"{rules_version}+{model_version}-{data_hash[:8]}"


def _definition_key(tool: ToolRecord) -> str:
    return json.dumps(
        [tool.name, tool.title, tool.description, tool.input_schema, tool.hints.declared()],
        sort_keys=True,
        default=str,
    )
