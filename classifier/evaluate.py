"""Measuring the classifier: k-fold CV on hand labels, and real servers' hints with hints hidden."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from catalog.errors import ClassifierError
from classifier.base import Classifier
from classifier.combined import CombinedClassifier, Policy
from classifier.dataset import (
    HAND,
    REVIEW,
    REVIEW_FILE,
    WEAK,
    LabelledTool,
    load_labels,
    load_reviewed,
    without_hints,
)
from classifier.metrics import Outcome, access_metrics, capability_metrics
from classifier.model import RANDOM_STATE
from classifier.rules import RulesClassifier
from classifier.train import FOLDS, PINNED_POLICY_FILE, load_pin, train_rows


def evaluate(
    labels_root: Path, model_dir: Path, *, folds: int = FOLDS, worst: int = 10,
    rules: RulesClassifier | None = None, servers: Sequence[str] = (),
) -> dict[str, Any]:
    """(a) k-fold CV of the whole combination on `labels_root/hand`; (b) the shipped model in
    `model_dir` on `labels_root/weak` with the hints hidden; (b′) the same verdicts scored against
    the reviewed labels of `labels_root/review/weak.jsonl` when it exists; each beside the rules alone.
    `servers`, when given, limits (b) and (b′) to those weak servers' rows."""
    rules = rules or RulesClassifier.from_data()
    weak_dir = labels_root / WEAK
    if servers and not weak_dir.is_dir():
        raise ClassifierError(f"no weak labels at {weak_dir} to limit to servers")
    report: dict[str, Any] = {}
    weak: list[LabelledTool] | None = None
    reviewed: list[LabelledTool] | None = None
    if weak_dir.is_dir():  # loaded (and checked) before the slow cross-validation
        weak = without_hints(load_labels(weak_dir))
        review_file = labels_root / REVIEW / REVIEW_FILE
        reviewed = without_hints(load_reviewed(review_file, weak_dir)) if review_file.is_file() else None
        if servers:
            weak = of_servers(weak, servers)
            reviewed = of_servers(reviewed, servers) if reviewed is not None else None
            report["weak_servers"] = sorted(set(servers))
    hand = load_labels(labels_root / HAND)
    pin = load_pin(labels_root / PINNED_POLICY_FILE)
    report["hand_cv"] = cross_validate(hand, rules, folds=folds, worst=worst, pin=pin)
    report["hand_cv_rules_only"] = score(rules, hand, worst=worst)
    if weak is not None:
        combined = CombinedClassifier.from_dir(model_dir, rules)
        for suffix, classifier in (("", combined), ("_rules_only", rules)):
            # The reviewed rows are the weak tools themselves, so one batch of verdicts serves both.
            outcomes = outcomes_of(classifier, weak)
            report[f"weak{suffix}"] = metrics_of(outcomes, worst=worst)
            if reviewed is not None:
                review = relabelled(outcomes, reviewed)
                report[f"weak_reviewed{suffix}"] = metrics_of(review, worst=worst)
                report[f"weak{suffix}"]["hint_disagreements"] = hint_disagreements(outcomes, review)
        report["classifier_version"] = combined.version
    return report


def of_servers(rows: Sequence[LabelledTool], servers: Sequence[str]) -> list[LabelledTool]:
    """The rows listed from `servers`; a name no row has is a ClassifierError naming the known ones."""
    known = sorted({row.server for row in rows if row.server})
    unknown = sorted(set(servers) - set(known))
    if unknown:
        raise ClassifierError(f"no weak rows from server {unknown[0]!r}; known: {', '.join(known)}")
    wanted = set(servers)
    return [row for row in rows if row.server in wanted]


def cross_validate(
    rows: Sequence[LabelledTool], rules: RulesClassifier, *, folds: int = FOLDS, worst: int = 10,
    pin: Policy | None = None,
) -> dict[str, Any]:
    """Stratified k-fold: each fold trains the whole combination (policy included, with the same
    pinned policy as the shipped training) on the rest."""
    targets = [row.access.value for row in rows]
    smallest = min(targets.count(value) for value in set(targets))
    if smallest < 2:
        raise ClassifierError("cross-validation needs at least two rows of every access class")
    splitter = StratifiedKFold(n_splits=min(folds, smallest), shuffle=True, random_state=RANDOM_STATE)
    outcomes: list[Outcome] = []
    for train_index, test_index in splitter.split(np.zeros(len(rows)), targets):
        train = [rows[i] for i in train_index]
        trained = train_rows(train, rules, data_hash=_ids_hash(train), folds=folds, pin=pin)
        outcomes += outcomes_of(trained.classifier(rules), [rows[i] for i in test_index])
    return {**access_metrics(outcomes, worst), "capabilities": capability_metrics(outcomes)}


def score(classifier: Classifier, rows: Sequence[LabelledTool], *, worst: int = 10) -> dict[str, Any]:
    """The classifier's metrics on labelled rows, as they are (hide hints first when needed)."""
    return metrics_of(outcomes_of(classifier, rows), worst=worst)


def metrics_of(outcomes: Sequence[Outcome], *, worst: int = 10) -> dict[str, Any]:
    """Access metrics with the capability scores beside them."""
    return {**access_metrics(outcomes, worst), "capabilities": capability_metrics(outcomes)}


def relabelled(outcomes: Sequence[Outcome], rows: Sequence[LabelledTool]) -> list[Outcome]:
    """The same verdicts paired with other labels for the same tools (matched by id, one to one)."""
    by_id = {row.id: row for row in rows}
    if len(by_id) != len(outcomes) or any(outcome.id not in by_id for outcome in outcomes):
        raise ClassifierError("relabelled rows must be the same tools as the classified ones")
    return [
        dataclasses.replace(
            outcome, truth=by_id[outcome.id].access, true_capabilities=by_id[outcome.id].capabilities
        )
        for outcome in outcomes
    ]


def hint_disagreements(hinted: Sequence[Outcome], reviewed: Sequence[Outcome]) -> dict[str, int]:
    """Who the review sides with where the verdict differs from the hint label: the classifier
    (the hints overstate or understate the tool), the hints (a classifier mistake), or neither.
    `reviewed` is `hinted` relabelled, row for row."""
    counts = {"total": 0, "review_agrees_with_classifier": 0, "review_agrees_with_hints": 0, "neither": 0}
    for hint, review in zip(hinted, reviewed, strict=True):
        if hint.predicted is hint.truth:
            continue
        counts["total"] += 1
        if review.truth is hint.predicted:
            counts["review_agrees_with_classifier"] += 1
        elif review.truth is hint.truth:
            counts["review_agrees_with_hints"] += 1
        else:
            counts["neither"] += 1
    return counts


def outcomes_of(classifier: Classifier, rows: Sequence[LabelledTool]) -> list[Outcome]:
    """Classify every row in one batch and pair each verdict with its label."""
    verdicts = classifier.classify_all([row.record for row in rows])
    return [
        Outcome(
            id=row.id,
            name=row.record.name,
            truth=row.access,
            predicted=verdict.access,
            confidence=verdict.confidence,
            decided_by=_decider(verdict.reasons),
            true_capabilities=row.capabilities,
            predicted_capabilities=frozenset(verdict.capabilities),
        )
        for row, verdict in zip(rows, verdicts, strict=True)
    ]


def _decider(reasons: Sequence[str]) -> str:
    if reasons and reasons[0].startswith(("rules decided", "model:")):
        return reasons[0]
    return f"rules only: {reasons[0]}" if reasons else "rules only"


def _ids_hash(rows: Sequence[LabelledTool]) -> str:
    return hashlib.sha256("\n".join(row.id for row in rows).encode("utf-8")).hexdigest()


SECTIONS = (
    ("hand_cv", "(a) hand labels, stratified k-fold CV of the combination"),
    ("hand_cv_rules_only", "    hand labels, rules alone"),
    ("weak", "(b) real servers' hints (hidden from the classifier), shipped combination"),
    ("weak_rules_only", "    real servers' hints (hidden), rules alone"),
    ("weak_reviewed", "(b′) the same real servers' tools, reviewed labels, hints hidden, shipped combination"),
    ("weak_reviewed_rules_only", "    the same tools, reviewed labels (hints hidden), rules alone"),
)


def format_report(report: dict[str, Any]) -> str:
    """A plain-text report for the terminal: summary, per-class table, confusion, worst mistakes."""
    lines: list[str] = []
    if "weak_servers" in report:
        lines += [f"(b) and (b′) limited to the weak rows of: {', '.join(report['weak_servers'])}", ""]
    for key, title in SECTIONS:
        if key in report:
            lines += [title, *_section(report[key], detailed=not title.startswith(" ")), ""]
    if "classifier_version" in report:
        lines.append(f"classifier version: {report['classifier_version']}")
    return "\n".join(lines).rstrip() + "\n"


def _capabilities_f1(metrics: dict[str, Any]) -> str:
    capabilities = metrics["capabilities"]
    return f"{capabilities['micro_f1']:.3f}" if capabilities["rows"] else "n/a (not labelled)"


def _section(metrics: dict[str, Any], detailed: bool) -> list[str]:
    lines = [
        f"  rows {metrics['rows']}  accuracy {metrics['accuracy']:.3f}  macro-F1 {metrics['macro_f1']:.3f}"
        f"  destructive recall {metrics['destructive_recall']:.3f}"
        f"  read-vs-changes accuracy {metrics['changes_vs_read']['accuracy']:.3f}"
        f"  capabilities micro-F1 {_capabilities_f1(metrics)}"
        f"  decided by {', '.join(f'{k} {v}' for k, v in metrics['decided_by'].items())}"
    ]
    if "hint_disagreements" in metrics:
        split = metrics["hint_disagreements"]
        lines.append(
            f"  of {split['total']} verdicts that differ from the hints, the review sides with the classifier "
            f"on {split['review_agrees_with_classifier']}, with the hints on {split['review_agrees_with_hints']}"
            f", with neither on {split['neither']}"
        )
    if not detailed:
        return lines
    lines.append(f"  {'class':<12}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}")
    for name, scores in metrics["per_class"].items():
        lines.append(
            f"  {name:<12}{scores['precision']:>10.3f}{scores['recall']:>8.3f}{scores['f1']:>8.3f}{scores['support']:>9}"
        )
    labels = metrics["confusion"]["labels"]
    lines.append("  confusion (rows: truth, columns: predicted)")
    lines.append("  " + " " * 12 + "".join(f"{label:>13}" for label in labels))
    for label, row in zip(labels, metrics["confusion"]["matrix"], strict=True):
        lines.append(f"  {label:<12}" + "".join(f"{count:>13}" for count in row))
    if metrics["worst"]:
        lines.append("  worst mistakes")
    for mistake in metrics["worst"]:
        lines.append(
            f"    {mistake['truth']}→{mistake['predicted']} {mistake['confidence']:.2f} "
            f"{mistake['name']} [{mistake['id']}]: {mistake['decided_by']}"
        )
    return lines
