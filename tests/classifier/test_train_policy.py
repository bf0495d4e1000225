"""The rules/model policy chosen at training time: best score, but never an imprecise destructive floor."""

from __future__ import annotations

import numpy as np

from catalog.records import Access, Location, LocationKind, ToolRecord
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
