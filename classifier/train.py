"""Training the combination: the models on hand labels, the rules/model policies by cross-validation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedKFold

from catalog.errors import ClassifierError
from catalog.records import Access, Capability
from classifier.capability_model import (
    CAPABILITIES,
    CAPABILITY_C,
    MIN_EXAMPLES,
    CapabilityModel,
    choose_capability_policy,
)
from classifier.combined import (
    CapabilityPolicy,
    CombinedClassifier,
    Policy,
    combined_access,
    rules_decide,
)
from classifier.dataset import HAND, LabelledTool, data_sha256, label_counts, load_labels
from classifier.lexicon import read_toml
from classifier.metrics import Outcome, access_metrics, capability_metrics
from classifier.model import (
    DEFAULT_C,
    MODEL_VERSION,
    RANDOM_STATE,
    AccessModel,
    Prediction,
    fit,
    fit_capability_model,
)
from classifier.model_files import read_meta, save
from classifier.rules import RulesClassifier
from classifier.signals import Signals, gather, lexicon_digest

FOLDS = 5
NEVER = 99.0
"""A margin the rules never reach: the model decides everything."""
MARGIN_GRID = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, NEVER)
FLOOR_GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 1.01)
DESTRUCTIVE_RECALL_WEIGHT = 0.5
"""How much destructive recall counts beside macro-F1 when the policy is chosen."""
MIN_DESTRUCTIVE_PRECISION = 0.85
"""A policy whose out-of-fold destructive precision falls below this is not chosen (unless
none reaches it): a destructive label denies or hides the tool, so a floor low enough to call
one write in five destructive ("record test results" at 0.08) costs users more than the recall
it buys."""
POLICY_SCORE_TOLERANCE = 0.005
"""Scores this close to the best tie. 0.005 is about three destructive rows of recall on the
hand set: without it, adding 18 rows moved the margin from 4.0 to 6.0 for a 0.0015 gain."""
POLICY_SEEDS = 5
"""How many differently shuffled k-fold splits score each policy; the policy is chosen on the mean.
On the 1,819 hand rows one split's scores move by about 0.003 from seed to seed, more than the
gap between the ten best policies, so a single split picks among them by chance."""
PINNED_POLICY_FILE = "policy.toml"
"""In the labels folder: the policy chosen for that data, kept while no policy beats it clearly."""


@dataclass(frozen=True, slots=True)
class Trained:
    """A trained combination: the model, the policy chosen for it and the metadata to ship."""

    model: AccessModel
    policy: Policy
    meta: dict[str, Any]

    def classifier(self, rules: RulesClassifier) -> CombinedClassifier:
        """The combination ready to classify (no files involved)."""
        return CombinedClassifier(rules, self.meta, model=self.model)


def train(
    labels_root: Path, model_dir: Path, rules: RulesClassifier | None = None, *, use_pin: bool = True
) -> dict[str, Any]:
    """Train on the hand labels (`labels_root/hand`, never the weak ones kept for evaluation);
    write the model and meta.json (with its cross-validated metrics) to `model_dir`.

    The policy pinned in `labels_root/policy.toml`, when there is one and `use_pin`, is kept
    unless the search beats it by more than the seed-to-seed spread (see `choose_policy`)."""
    rules = rules or RulesClassifier.from_data()
    hand = labels_root / HAND
    rows = load_labels(hand)
    pin = load_pin(labels_root / PINNED_POLICY_FILE) if use_pin else None
    trained = train_rows(rows, rules, data_hash=data_sha256(hand), pin=pin)
    save(trained.model, model_dir)
    return read_meta(model_dir)


def load_pin(path: Path) -> Policy | None:
    """The policy pinned for a labels folder: None when the file is absent, else
    `[policy] rules_margin`, `destructive_floor` and a `why` (a ClassifierError when malformed)."""
    if not path.is_file():
        return None
    table = read_toml(path).get("policy")
    if not isinstance(table, dict):
        raise ClassifierError(f"{path} has no [policy] table")
    why = table.get("why")
    if not isinstance(why, str) or len(why.strip()) < 20:
        raise ClassifierError(f"{path}: [policy] needs a `why` of at least 20 characters saying why it was chosen")
    values = []
    for key, low, high in (("rules_margin", 0.0, NEVER), ("destructive_floor", 0.0, 1.01)):
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low < value <= high:
            raise ClassifierError(f"{path}: [policy] {key} must be a number in ({low}, {high}]")
        values.append(float(value))
    return Policy(values[0], values[1])


@dataclass(frozen=True, slots=True)
class OutOfFold:
    """Every row's probabilities from models that never saw it."""

    access: NDArray[np.float64]
    """Columns in Access order."""
    capabilities: NDArray[np.float64]
    """Columns in Capability order; 0 where a fold's model could not learn the capability."""


def train_rows(
    rows: Sequence[LabelledTool], rules: RulesClassifier, *, data_hash: str, folds: int = FOLDS,
    c: float = DEFAULT_C, seeds: int = POLICY_SEEDS, pin: Policy | None = None,
) -> Trained:
    """Choose the policies on out-of-fold predictions, then fit the models on every row.

    Both policies are chosen on `seeds` differently shuffled splits: one split alone cannot tell
    near-equal choices apart, and honest new rows would flip them. The reported CV figures are
    the first split's."""
    if seeds < 1:
        raise ClassifierError("training needs at least one cross-validation split")
    signals = [gather(rules, row.record) for row in rows]
    labels = [row.access for row in rows]
    found = [row.capabilities for row in rows]
    splits = [
        out_of_fold(signals, labels, folds, c, found, random_state=RANDOM_STATE + seed)
        for seed in range(seeds)
    ]
    policy, cv = choose_policy(rows, signals, [split.access for split in splits], pin=pin)
    cv["model_calibration_error"] = calibration_error(splits[0].access, labels)
    capability_policy, cv["capabilities"] = choose_capabilities(rows, signals, splits, policy, rules)
    meta: dict[str, Any] = {
        "model_version": MODEL_VERSION,
        "rules_version": rules.version,
        "lexicon_digest": lexicon_digest(rules.lexicon),
        "data_sha256": data_hash,
        "rows": len(rows),
        "label_counts": label_counts(rows),
        "policy": {"rules_margin": policy.rules_margin, "destructive_floor": policy.destructive_floor},
        "capability_policy": capability_policy.to_meta(),
        "training": {
            "c": c,
            "capability_c": CAPABILITY_C,
            "folds": _fold_count(labels, folds),
            "random_state": RANDOM_STATE,
            "policy_seeds": seeds,
        },
        "cv": cv,
    }
    model = AccessModel(fit(signals, labels, c), meta)
    kept = {capability.value for capability, _ in capability_policy.rules}
    # Only the capabilities the policy lets the model change are worth a regression in the file.
    everything = fit_capability_model(model, signals, found)
    model.capabilities = CapabilityModel({name: everything.models[name] for name in sorted(kept)})
    return Trained(model, policy, meta)


def out_of_fold(
    signals: Sequence[Signals],
    labels: Sequence[Access],
    folds: int,
    c: float = DEFAULT_C,
    found: Sequence[frozenset[Capability] | None] | None = None,
    *,
    random_state: int = RANDOM_STATE,
) -> OutOfFold:
    """Each row's access and capability probabilities from models that never saw it."""
    access = np.zeros((len(labels), len(Access)), dtype=np.float64)
    capabilities = np.zeros((len(labels), len(CAPABILITIES)), dtype=np.float64)
    found = found if found is not None else [None] * len(labels)
    for train_index, test_index, model, prediction in _folds(signals, labels, folds, c, random_state):
        _put(access, test_index, prediction.classes, prediction.probabilities)
        capability_model = fit_capability_model(model, [signals[i] for i in train_index], [found[i] for i in train_index])
        capabilities[test_index] = capability_model.probabilities(prediction.transformed)
    return OutOfFold(access, capabilities)


def _folds(
    signals: Sequence[Signals], labels: Sequence[Access], folds: int, c: float, random_state: int
) -> Iterator[tuple[NDArray[np.intp], NDArray[np.intp], AccessModel, Prediction]]:
    splitter = StratifiedKFold(n_splits=_fold_count(labels, folds), shuffle=True, random_state=random_state)
    targets = [label.value for label in labels]
    for train_index, test_index in splitter.split(np.zeros(len(labels)), targets):
        model = AccessModel(fit([signals[i] for i in train_index], [labels[i] for i in train_index], c), {})
        yield train_index, test_index, model, model.predict([signals[i] for i in test_index])


def _put(access: NDArray[np.float64], rows: NDArray[np.intp], classes: Sequence[Access], chances: NDArray[np.float64]) -> None:
    for column, label in enumerate(classes):
        access[rows, list(Access).index(label)] = chances[:, column]


def choose_capabilities(
    rows: Sequence[LabelledTool],
    signals: Sequence[Signals],
    splits: Sequence[OutOfFold],
    policy: Policy,
    rules: RulesClassifier,
) -> tuple[CapabilityPolicy, dict[str, Any]]:
    """The capability policy with the best out-of-fold micro-F1 over every split pooled, and the
    first split's figures, the rules' beside the combination's.

    Each row's rules' capabilities follow the access the combination gives it out of fold (the
    rules' capability evidence depends on the access), as they do when a tool is classified;
    where the rules decide access alone the model is not run, so the rules' capabilities stay.
    """
    if not splits:
        raise ClassifierError("choosing a capability policy needs at least one split")
    labelled = [index for index, row in enumerate(rows) if row.capabilities is not None]
    truth = _matrix([rows[index].capabilities or frozenset() for index in labelled])
    decided = np.array([rules_decide(signals[index], policy) for index in labelled], dtype=bool).reshape(-1)
    per_split = []
    for split in splits:
        access = [_access(signals[index], split.access[index], policy) for index in labelled]
        found = [_rules_capabilities(rules, signals[index], verdict) for index, verdict in zip(labelled, access, strict=True)]
        per_split.append((access, found, split.capabilities[labelled]))
    modelled = [
        capability for column, capability in enumerate(CAPABILITIES)
        if MIN_EXAMPLES <= truth[:, column].sum() <= len(labelled) - MIN_EXAMPLES
    ]
    capability_policy = choose_capability_policy(
        np.vstack([truth] * len(per_split)),
        np.vstack([_matrix(found) for _, found, _ in per_split]),
        np.vstack([chances for _, _, chances in per_split]),
        np.concatenate([decided] * len(per_split)),
        modelled,
    )
    access, found, chances = per_split[0]
    combined = [
        caps if decided[position] else capability_policy.decide(caps, chances[position].tolist())[0]
        for position, caps in enumerate(found)
    ]
    figures: dict[str, Any] = {}
    for name, predicted in (("rules_only", found), ("combined", combined)):
        outcomes = [
            Outcome(
                rows[index].id, rows[index].record.name, rows[index].access, verdict, 0.0, name,
                rows[index].capabilities, frozenset(caps),
            )
            for index, verdict, caps in zip(labelled, access, predicted, strict=True)
        ]
        figures[name] = capability_metrics(outcomes)
    figures["splits"] = len(splits)
    return capability_policy, figures


def _rules_capabilities(rules: RulesClassifier, signals: Signals, access: Access) -> tuple[Capability, ...]:
    # The confidence plays no part in capabilities.
    return rules.label(signals.features, list(signals.evidence), list(signals.actions), access, 0.5).capabilities


def _access(signals: Signals, line: NDArray[np.float64], policy: Policy) -> Access:
    return combined_access(signals, {access: float(line[index]) for index, access in enumerate(Access)}, policy)


def _matrix(sets: Sequence[Sequence[Capability] | frozenset[Capability]]) -> NDArray[np.bool_]:
    return np.array([[capability in found for capability in CAPABILITIES] for found in sets], dtype=bool).reshape(
        len(sets), len(CAPABILITIES)
    )


def choose_policy(
    rows: Sequence[LabelledTool],
    signals: Sequence[Signals],
    runs: Sequence[NDArray[np.float64]],
    *,
    pin: Policy | None = None,
) -> tuple[Policy, dict[str, Any]]:
    """The margin and destructive floor with the best mean score (macro-F1 plus weighted
    destructive recall) over the out-of-fold probabilities of several splits (`runs`), among those
    whose mean destructive precision reaches MIN_DESTRUCTIVE_PRECISION (all, if none does).

    A pinned policy is kept while the best scores no more than the band above it: the larger of
    POLICY_SCORE_TOLERANCE and the best policy's seed-to-seed standard deviation. Otherwise scores
    within POLICY_SCORE_TOLERANCE of the best tie, and ties go to the smallest margin (the rules
    decide more, with reasons a reader can check), then the lowest floor (more recall).

    The summary holds the chosen policy's figures on the first split and, under `choice`, how it
    was chosen."""
    if not runs:
        raise ClassifierError("choosing a policy needs the out-of-fold probabilities of at least one split")
    grid = [Policy(margin, floor) for margin in MARGIN_GRID for floor in FLOOR_GRID]
    if pin is not None and pin not in grid:
        grid.append(pin)
    scored = {policy: _scores(rows, signals, runs, policy) for policy in grid}
    allowed = [policy for policy in grid if scored[policy].precise] or grid
    best = max(allowed, key=lambda policy: scored[policy].mean)
    band = max(POLICY_SCORE_TOLERANCE, scored[best].spread)
    kept = pin is not None and pin in allowed and scored[pin].mean >= scored[best].mean - band
    if kept and pin is not None:
        policy = pin
    else:
        # The grid runs from small margins and low floors up, so the first tie is the one wanted.
        policy = next(item for item in allowed if scored[item].mean >= scored[best].mean - POLICY_SCORE_TOLERANCE)
    metrics = scored[policy].first
    summary = {key: metrics[key] for key in ("rows", "accuracy", "macro_f1", "destructive_recall", "per_class", "decided_by")}
    summary["choice"] = {
        "splits": len(runs),
        "pinned": None if pin is None else _policy_meta(pin, scored[pin]),
        "kept_pinned": kept,
        "best": _policy_meta(best, scored[best]),
        "chosen": _policy_meta(policy, scored[policy]),
        "band": round(band, 4),
    }
    return policy, summary


@dataclass(frozen=True, slots=True)
class _Scored:
    mean: float
    spread: float
    precise: bool
    first: dict[str, Any]


def _scores(
    rows: Sequence[LabelledTool], signals: Sequence[Signals], runs: Sequence[NDArray[np.float64]], policy: Policy
) -> _Scored:
    every = [access_metrics(_outcomes(rows, signals, run, policy), worst=0) for run in runs]
    scores = [metrics["macro_f1"] + DESTRUCTIVE_RECALL_WEIGHT * metrics["destructive_recall"] for metrics in every]
    precision = float(np.mean([metrics["per_class"]["destructive"]["precision"] for metrics in every]))
    return _Scored(float(np.mean(scores)), float(np.std(scores)), precision >= MIN_DESTRUCTIVE_PRECISION, every[0])


def _policy_meta(policy: Policy, scored: _Scored) -> dict[str, Any]:
    return {
        "rules_margin": policy.rules_margin,
        "destructive_floor": policy.destructive_floor,
        "score": round(scored.mean, 4),
        "spread": round(scored.spread, 4),
        "precise": scored.precise,
    }


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
