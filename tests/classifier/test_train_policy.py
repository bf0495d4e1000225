"""The rules/model policy chosen at training time: best score, but never an imprecise destructive floor."""

from __future__ import annotations

import numpy as np
import pytest

from catalog.records import Access, Location, LocationKind, ToolRecord
from classifier import train
from classifier.dataset import LabelledTool
from classifier.rules import RulesClassifier
from classifier.signals import gather
from classifier.train import MIN_DESTRUCTIVE_PRECISION, choose_policy

RULES = RulesClassifier.from_data()


def row(index: int, access: Access) -> LabelledTool:
    # A name and description with no rule evidence at all, so only the probabilities matter.
    record = ToolRecord(server_key="local:t", name=f"zqx{index}", location=Location(kind=LocationKind.LIVE))
    return LabelledTool(f"t-{index}", record, access, None, None, f"t:{index}")


def test_a_floor_that_calls_too_many_writes_destructive_is_not_chosen() -> None:
    # (truth, P(read), P(write), P(destructive)) groups, in Access order.
    groups = [
        (Access.READ, 0.95, 0.04, 0.01, 10),
        (Access.WRITE, 0.04, 0.90, 0.06, 5),  # destructive only under a 0.05 floor
        (Access.WRITE, 0.05, 0.94, 0.01, 5),
        (Access.DESTRUCTIVE, 0.03, 0.90, 0.07, 10),  # caught only under a 0.05 floor
        (Access.DESTRUCTIVE, 0.10, 0.40, 0.50, 10),
    ]
    rows, lines = [], []
    for access, *chances, count in groups:
        for _ in range(count):
            rows.append(row(len(rows), access))
            lines.append(chances)
    signals = [gather(RULES, item.record) for item in rows]
    assert all(item.verdict is None for item in signals)

    policy, summary = choose_policy(rows, signals, np.array(lines, dtype=np.float64))

    # A 0.05 floor scores best (macro-F1 0.852 + recall 1.0) but its destructive precision is 0.8.
    assert MIN_DESTRUCTIVE_PRECISION == 0.85
    assert policy.destructive_floor == 0.1
    assert summary["destructive_recall"] == 0.5
    assert summary["per_class"]["destructive"]["precision"] == 1.0


def named_row(index: int, name: str, access: Access) -> LabelledTool:
    record = ToolRecord(server_key="local:t", name=name, location=Location(kind=LocationKind.LIVE))
    return LabelledTool(f"t-{index}", record, access, None, None, f"t:{index}")


def rules_against_model_rows() -> tuple[list[LabelledTool], list[list[float]]]:
    # `delete_*` names carry name-verb evidence (3.0), so the rules decide them at margins up to
    # 3.0 and call all of them destructive; the model gets the one write among them right too.
    rows, lines = [], []
    for index in range(10):
        rows.append(row(index, Access.READ))
        lines.append([0.95, 0.04, 0.01])
    for index in range(30, 40):
        rows.append(row(index, Access.WRITE))
        lines.append([0.04, 0.95, 0.01])
    for index in range(10, 30):
        access = Access.WRITE if index == 10 else Access.DESTRUCTIVE
        rows.append(named_row(index, f"delete_zqx{index}", access))
        lines.append([0.02, 0.9, 0.08] if access is Access.WRITE else [0.02, 0.08, 0.9])
    return rows, lines


def test_the_best_score_wins_when_nothing_ties(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, lines = rules_against_model_rows()
    signals = [gather(RULES, item.record) for item in rows]
    named = [
        item
        for item, labelled in zip(signals, rows, strict=True)
        if labelled.record.name.startswith("delete_")
    ]
    assert len(named) == 20 and {item.margin for item in named} == {3.0}
    monkeypatch.setattr(train, "POLICY_SCORE_TOLERANCE", 0.0)

    policy, summary = choose_policy(rows, signals, np.array(lines, dtype=np.float64))

    # The model is right on every row; the rules miss the write, so only margins above 3.0 score best.
    assert policy.rules_margin == 3.5
    assert summary["accuracy"] == 1.0


def test_a_near_tie_goes_to_the_smallest_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, lines = rules_against_model_rows()
    signals = [gather(RULES, item.record) for item in rows]
    monkeypatch.setattr(train, "POLICY_SCORE_TOLERANCE", 0.05)

    policy, summary = choose_policy(rows, signals, np.array(lines, dtype=np.float64))

    # The rules' one miss costs about 0.025 of score, under the tolerance: the smallest margin wins.
    assert policy.rules_margin == 0.5
    assert summary["accuracy"] == 39 / 40
    assert summary["decided_by"]["rules"] == 20


def test_the_shipped_tolerance_is_a_few_rows_of_recall() -> None:
    assert 0.0 < train.POLICY_SCORE_TOLERANCE <= 0.01
