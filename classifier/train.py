"""Training the combination: the model on hand labels, the rules/model policy by cross-validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedKFold

from catalog.errors import ClassifierError
from catalog.records import Access
from classifier.combined import CombinedClassifier, Policy, combined_access, rules_decide
from classifier.dataset import HAND, LabelledTool, data_sha256, label_counts, load_labels
from classifier.metrics import Outcome, access_metrics
from classifier.model import (
    DEFAULT_C,
    MODEL_VERSION,
    RANDOM_STATE,
    AccessModel,
    fit,
    read_meta,
    save,
)
from classifier.rules import RulesClassifier
from classifier.signals import Signals, gather, lexicon_digest

FOLDS = 5
NEVER = 99.0
"""A margin the rules never reach: the model decides everything."""
MARGIN_GRID = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, NEVER)
FLOOR_GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 1.01)
DESTRUCTIVE_RECALL_WEIGHT = 0.5
"""How much destructive recall counts beside macro-F1 when the policy is chosen."""


@dataclass(frozen=True, slots=True)
class Trained:
    """A trained combination: the model, the policy chosen for it and the metadata to ship."""

    model: AccessModel
    policy: Policy
    meta: dict[str, Any]

    def classifier(self, rules: RulesClassifier) -> CombinedClassifier:
        """The combination ready to classify (no files involved)."""
        return CombinedClassifier(rules, self.meta, model=self.model)


def train(labels_root: Path, model_dir: Path, rules: RulesClassifier | None = None) -> dict[str, Any]:
    """Train on the hand labels (`labels_root/hand`, never the weak ones kept for evaluation);
    write the model and meta.json (with its cross-validated metrics) to `model_dir`."""
    rules = rules or RulesClassifier.from_data()
    hand = labels_root / HAND
    rows = load_labels(hand)
    trained = train_rows(rows, rules, data_hash=data_sha256(hand))
    save(trained.model.pipeline, trained.meta, model_dir)
    return read_meta(model_dir)


def train_rows(
    rows: Sequence[LabelledTool], rules: RulesClassifier, *, data_hash: str, folds: int = FOLDS,
    c: float = DEFAULT_C,
) -> Trained:
    """Choose the policy on out-of-fold predictions, then fit the model on every row."""
    signals = [gather(rules, row.record) for row in rows]
    labels = [row.access for row in rows]
    probabilities = out_of_fold(signals, labels, folds, c)
    policy, cv = choose_policy(rows, signals, probabilities)
    cv["model_calibration_error"] = calibration_error(probabilities, labels)
    meta: dict[str, Any] = {
        "model_version": MODEL_VERSION,
        "rules_version": rules.version,
        "lexicon_digest": lexicon_digest(rules.lexicon),
        "data_sha256": data_hash,
        "rows": len(rows),
        "label_counts": label_counts(rows),
        "policy": {"rules_margin": policy.rules_margin, "destructive_floor": policy.destructive_floor},
        "training": {"c": c, "folds": _fold_count(labels, folds), "random_state": RANDOM_STATE},
        "cv": cv,
    }
    pipeline = fit(signals, labels, c)
    return Trained(AccessModel(pipeline, meta), policy, meta)


def out_of_fold(
    signals: Sequence[Signals], labels: Sequence[Access], folds: int, c: float = DEFAULT_C
) -> NDArray[np.float64]:
    """Each row's class probabilities (columns in Access order) from a model that never saw it."""
    count = _fold_count(labels, folds)
    splitter = StratifiedKFold(n_splits=count, shuffle=True, random_state=RANDOM_STATE)
    result = np.zeros((len(labels), len(Access)), dtype=np.float64)
    targets = [label.value for label in labels]
    for train_index, test_index in splitter.split(np.zeros(len(labels)), targets):
        pipeline = fit([signals[i] for i in train_index], [labels[i] for i in train_index], c)
        model = AccessModel(pipeline, {})
        prediction = model.predict([signals[i] for i in test_index])
        for column, access in enumerate(prediction.classes):
            result[test_index, list(Access).index(access)] = prediction.probabilities[:, column]
    return result


def choose_policy(
    rows: Sequence[LabelledTool], signals: Sequence[Signals], probabilities: NDArray[np.float64]
) -> tuple[Policy, dict[str, Any]]:
    """The margin and destructive floor with the best macro-F1 plus weighted destructive recall."""
    best: tuple[float, float, Policy, dict[str, Any]] | None = None
    for margin in MARGIN_GRID:
        for floor in FLOOR_GRID:
            policy = Policy(margin, floor)
            metrics = access_metrics(_outcomes(rows, signals, probabilities, policy), worst=0)
            score = metrics["macro_f1"] + DESTRUCTIVE_RECALL_WEIGHT * metrics["destructive_recall"]
            # Ties go to the first candidate: smaller margins (rules decide more) and lower floors.
            if best is None or score > best[0] + 1e-9:
                best = (score, margin, policy, metrics)
    assert best is not None
    _, _, policy, metrics = best
    summary = {key: metrics[key] for key in ("rows", "accuracy", "macro_f1", "destructive_recall", "per_class", "decided_by")}
    return policy, summary


def calibration_error(probabilities: NDArray[np.float64], labels: Sequence[Access]) -> float:
    """Expected calibration error of the model's top probability (10 equal-width bins)."""
    truth = np.array([list(Access).index(label) for label in labels])
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == truth
    bins = np.minimum((confidence * 10).astype(int), 9)
    error = 0.0
    for index in range(10):
        inside = bins == index
        if inside.any():
            error += float(inside.mean()) * abs(float(correct[inside].mean()) - float(confidence[inside].mean()))
    return round(error, 4)


def _outcomes(
    rows: Sequence[LabelledTool],
    signals: Sequence[Signals],
    probabilities: NDArray[np.float64],
    policy: Policy,
) -> list[Outcome]:
    outcomes = []
    for row, item, line in zip(rows, signals, probabilities, strict=True):
        chances = {access: float(line[index]) for index, access in enumerate(Access)}
        access = combined_access(item, chances, policy)
        decided = "rules" if rules_decide(item, policy) else "model"
        outcomes.append(Outcome(row.id, row.record.name, row.access, access, chances[access], decided))
    return outcomes


def _fold_count(labels: Sequence[Access], folds: int) -> int:
    smallest = min(sum(1 for label in labels if label is access) for access in Access)
    count = min(folds, smallest)
    if count < 2:
        raise ClassifierError(
            "cross-validation needs at least two examples of every access class in the training data"
        )
    return count
