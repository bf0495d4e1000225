"""Quality figures for access labels: per-class scores, macro-F1, destructive recall, confusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalog.records import Access, Capability

_SEVERITY = {access: rank for rank, access in enumerate(Access)}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One labelled tool and what the classifier said about it."""

    id: str
    name: str
    truth: Access
    predicted: Access
    confidence: float
    decided_by: str
    """The first reason: which part of the classifier decided."""
    true_capabilities: frozenset[Capability] | None = None
    predicted_capabilities: frozenset[Capability] = frozenset()


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0


def access_metrics(outcomes: Sequence[Outcome], worst: int = 10) -> dict[str, Any]:
    """Per-class precision/recall/F1, macro-F1, accuracy, destructive recall, confusion, worst errors."""
    labels = list(Access)
    matrix = [[0] * len(labels) for _ in labels]
    for outcome in outcomes:
        matrix[labels.index(outcome.truth)][labels.index(outcome.predicted)] += 1
    per_class: dict[str, dict[str, float | int]] = {}
    for index, access in enumerate(labels):
        true_positive = matrix[index][index]
        support = sum(matrix[index])
        predicted = sum(row[index] for row in matrix)
        precision, recall = _ratio(true_positive, predicted), _ratio(true_positive, support)
        per_class[access.value] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": support,
        }
    present = [scores for scores in per_class.values() if scores["support"]]
    correct = sum(matrix[index][index] for index in range(len(labels)))
    return {
        "rows": len(outcomes),
        "accuracy": _ratio(correct, len(outcomes)),
        "macro_f1": round(sum(float(s["f1"]) for s in present) / len(present), 4) if present else 0.0,
        "destructive_recall": per_class[Access.DESTRUCTIVE.value]["recall"],
        "per_class": per_class,
        "confusion": {"labels": [access.value for access in labels], "matrix": matrix},
        "changes_vs_read": _changes_vs_read(matrix),
        "decided_by": _decided_by(outcomes),
        "worst": [_mistake(outcome) for outcome in worst_mistakes(outcomes, worst)],
    }


def _changes_vs_read(matrix: list[list[int]]) -> dict[str, float]:
    """Write and destructive merged into "changes": the question readOnlyHint answers."""
    # Rows and columns are in Access order: read first, then the two classes that change things.
    truth = sum(sum(row) for row in matrix[1:])
    predicted = sum(sum(row[1:]) for row in matrix)
    agreed = sum(sum(row[1:]) for row in matrix[1:])
    precision, recall = _ratio(agreed, predicted), _ratio(agreed, truth)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "accuracy": _ratio(matrix[0][0] + agreed, sum(map(sum, matrix))),
    }


def worst_mistakes(outcomes: Sequence[Outcome], count: int) -> list[Outcome]:
    """Wrong answers, the most dangerous first (destructive called read), then by confidence."""
    wrong = [outcome for outcome in outcomes if outcome.truth is not outcome.predicted]
    return sorted(
        wrong,
        key=lambda o: (_SEVERITY[o.truth] - _SEVERITY[o.predicted], o.confidence, o.id),
        reverse=True,
    )[:count]


def _mistake(outcome: Outcome) -> dict[str, Any]:
    return {
        "id": outcome.id,
        "name": outcome.name,
        "truth": outcome.truth.value,
        "predicted": outcome.predicted.value,
        "confidence": outcome.confidence,
        "decided_by": outcome.decided_by,
    }


def _decided_by(outcomes: Sequence[Outcome]) -> dict[str, int]:
    counts = {"rules": 0, "model": 0, "other": 0}
    for outcome in outcomes:
        kind = outcome.decided_by.split(" ", 1)[0].rstrip(":")
        counts[kind if kind in counts else "other"] += 1
    return {kind: count for kind, count in counts.items() if count}


def capability_metrics(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Precision/recall/F1 per capability over rows whose capabilities were labelled."""
    labelled = [o for o in outcomes if o.true_capabilities is not None]
    per_capability: dict[str, dict[str, float | int]] = {}
    totals = [0, 0, 0]
    for capability in Capability:
        true_positive = sum(
            1 for o in labelled if capability in (o.true_capabilities or ()) and capability in o.predicted_capabilities
        )
        support = sum(1 for o in labelled if capability in (o.true_capabilities or ()))
        predicted = sum(1 for o in labelled if capability in o.predicted_capabilities)
        precision, recall = _ratio(true_positive, predicted), _ratio(true_positive, support)
        per_capability[capability.value] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": support,
        }
        totals = [totals[0] + true_positive, totals[1] + predicted, totals[2] + support]
    micro_precision, micro_recall = _ratio(totals[0], totals[1]), _ratio(totals[0], totals[2])
    return {
        "rows": len(labelled),
        "micro_f1": _f1(micro_precision, micro_recall),
        "per_capability": per_capability,
    }
