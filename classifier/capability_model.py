"""The capability model: one logistic regression per capability over the access model's features."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit  # type: ignore[import-untyped]  # no stubs; see pyproject overrides
from sklearn.linear_model import LogisticRegression

from catalog.errors import ClassifierError
from catalog.records import Capability
from classifier.combined import CapabilityPolicy, CapabilityRule

CAPABILITY_C = 4.0
CAPABILITIES: tuple[Capability, ...] = tuple(Capability)
MIN_EXAMPLES = 2
"""A capability is modelled only when the training rows hold this many tools with it and without."""
ADD_GRID = (0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)
"""Probabilities from which the model may add a capability, fewest additions first."""
VETO_GRID: tuple[float, ...] = (0.02, 0.05, 0.1)
"""Probabilities below which the model may drop a capability the rules found: only very low ones.

A dropped capability can lower a tool's risk, the costlier mistake for a policy. Measured with
`catalog classifier eval` (1,796 hand rows, nested CV; 454 reviewed real tools): no drops 0.709
and 0.818 micro-F1, these 0.721 and 0.816, drops up to 0.5 0.735 and 0.807 (the hand labels
deny `filesystem` to many `file`/`path`/`dir` parameters, the reviewed real tools grant it).
"""
MAX_PASSES = 10


def fit_capabilities(
    matrix: Any, targets: Sequence[frozenset[Capability]], random_state: int
) -> dict[str, LogisticRegression]:
    """One fitted regression per capability with enough examples either way, keyed by its name.

    `matrix` is the access model's transformed features of the rows in `targets`. liblinear's
    dual solver fits these wide, sparse problems in a fraction of lbfgs' time; a fixed seed
    keeps its coordinate order, and so the weights, the same from run to run.
    """
    fitted: dict[str, LogisticRegression] = {}
    for capability in CAPABILITIES:
        labels = np.array([capability in found for found in targets], dtype=np.int64)
        positives = int(labels.sum())
        if min(positives, len(labels) - positives) < MIN_EXAMPLES:
            continue
        regression = LogisticRegression(
            C=CAPABILITY_C,
            class_weight="balanced",
            solver="liblinear",
            dual=True,
            max_iter=5000,
            random_state=random_state,
        )
        fitted[capability.value] = regression.fit(matrix, labels)
    return fitted


class CapabilityModel:
    """The fitted regressions stacked into one weight matrix: a batch's probabilities in one product."""

    def __init__(self, models: Mapping[str, LogisticRegression]) -> None:
        self.models = dict(models)
        self._columns = [CAPABILITIES.index(Capability(name)) for name in self.models]
        regressions = list(self.models.values())
        self._weights: NDArray[np.float64] | None = None
        self._intercepts = np.array([r.intercept_[0] for r in regressions], dtype=np.float64)
        if regressions:
            # features × capabilities, so one sparse product scores every capability at once.
            self._weights = np.vstack([r.coef_[0] for r in regressions]).T.astype(np.float64)

    def probabilities(self, transformed: Any) -> NDArray[np.float64]:
        """Each row's probability of every capability, columns in Capability order (0 where not modelled)."""
        result = np.zeros((transformed.shape[0], len(CAPABILITIES)), dtype=np.float64)
        if self._weights is not None:
            result[:, self._columns] = expit(np.asarray(transformed @ self._weights) + self._intercepts)
        return result


def verified_capability_model(part: Any, features: int, policy: CapabilityPolicy, where: str) -> CapabilityModel:
    """The capability part of a model file, checked against the access model and the meta's policy."""
    if not isinstance(part, dict) or not all(isinstance(name, str) for name in part):
        raise ClassifierError(f"{where} does not hold a capability model; retrain the model")
    expected = sorted(capability.value for capability, _ in policy.rules)
    if sorted(part) != expected:
        raise ClassifierError(
            f"{where} models capabilities {sorted(part)} but its metadata has thresholds for {expected}; "
            "retrain the model"
        )
    for name, regression in part.items():
        coef = getattr(regression, "coef_", None)
        classes = getattr(regression, "classes_", None)
        if (
            not isinstance(regression, LogisticRegression)
            or not isinstance(coef, np.ndarray)
            or coef.shape != (1, features)
            or classes is None
            or list(classes) != [0, 1]
        ):
            raise ClassifierError(f"{where}: the {name} model does not fit the access model's features; retrain the model")
    return CapabilityModel(part)


def choose_capability_policy(
    truth: NDArray[np.bool_],
    found: NDArray[np.bool_],
    chances: NDArray[np.float64],
    decided: NDArray[np.bool_],
    modelled: Collection[Capability],
    *,
    veto_grid: Sequence[float] = VETO_GRID,
) -> CapabilityPolicy:
    """Per modelled capability, the rule with the best micro-F1 over every capability.

    `truth` and `found` (the rules' capabilities) are rows × capabilities, `chances` the model's
    out-of-fold probabilities, `decided` the rows where the rules decide access alone (the model
    is not run there, so they keep the rules' capabilities). Coordinate ascent from the rules
    alone: each capability in turn takes the best rule given the others, until nothing changes;
    ties go to the simpler rule (`_candidates` order).
    """
    candidates = _candidates(veto_grid)
    counts: dict[int, list[tuple[int, int]]] = {}
    for capability in sorted(modelled, key=CAPABILITIES.index):
        column = CAPABILITIES.index(capability)
        counts[column] = [
            _counts(truth[:, column], found[:, column], chances[:, column], decided, rule) for rule in candidates
        ]
    choice = dict.fromkeys(counts, 0)
    # Capabilities left to the rules count in micro-F1 too.
    left = [column for column in range(len(CAPABILITIES)) if column not in counts]
    left_hits = int((found[:, left] & truth[:, left]).sum())
    left_claims = int(found[:, left].sum())
    support = int(truth.sum())
    for _ in range(MAX_PASSES):
        changed = False
        for column, options in counts.items():
            others = [counts[other][choice[other]] for other in counts if other != column]
            hits = left_hits + sum(hit for hit, _ in others)
            claims = left_claims + sum(claim for _, claim in others)
            scores = [_micro_f1(hits + hit, claims + claim, support) for hit, claim in options]
            top = max(scores)
            best = next(index for index, score in enumerate(scores) if score >= top - 1e-12)
            if best != choice[column]:
                choice[column], changed = best, True
        if not changed:
            break
    chosen = [
        (CAPABILITIES[column], candidates[index]) for column, index in sorted(choice.items()) if index != 0
    ]
    return CapabilityPolicy(tuple(chosen))


def _candidates(veto_grid: Sequence[float]) -> list[CapabilityRule]:
    """The rules tried for a capability, simplest first: the rules alone, then additions only,
    then drops only, then both."""
    return [
        CapabilityRule(),
        *(CapabilityRule(add_from=add) for add in ADD_GRID),
        *(CapabilityRule(veto_below=veto) for veto in veto_grid),
        *(CapabilityRule(add, veto) for add in ADD_GRID for veto in veto_grid if veto <= add),
    ]


def apply_rule(
    found: NDArray[np.bool_], chances: NDArray[np.float64], decided: NDArray[np.bool_], rule: CapabilityRule
) -> NDArray[np.bool_]:
    """One capability's column under `rule`, as the combination gives it row by row."""
    kept = found & (chances >= rule.veto_below)
    changed = kept | (chances >= rule.add_from) if rule.add_from is not None else kept
    return np.where(decided, found, changed)


def _counts(
    truth: NDArray[np.bool_],
    found: NDArray[np.bool_],
    chances: NDArray[np.float64],
    decided: NDArray[np.bool_],
    rule: CapabilityRule,
) -> tuple[int, int]:
    predicted = apply_rule(found, chances, decided, rule)
    return int((predicted & truth).sum()), int(predicted.sum())


def _micro_f1(hits: int, claims: int, support: int) -> float:
    return 2 * hits / (claims + support) if claims + support else 0.0
