"""The rules/model policy chosen at training time: best mean score over several splits, never an
imprecise destructive floor, and a pinned policy kept until something beats it clearly."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from catalog.cli_groups import policy_choice_line
from catalog.errors import ClassifierError
from catalog.paths import data_dir
from catalog.records import Access, Capability, Location, LocationKind, ToolRecord
from classifier import train
from classifier.combined import Policy
from classifier.dataset import LabelledTool
from classifier.model_files import read_meta
from classifier.rules import RulesClassifier
from classifier.signals import gather
from classifier.train import (
    MIN_DESTRUCTIVE_PRECISION,
    POLICY_SEEDS,
    choose_policy,
    load_pin,
    train_rows,
)
from cli import app

sys.path.insert(0, str(Path(__file__).parent))
from cases import labelled_rows
from test_evaluate import WEAK_ROWS, write_labels

RULES = RulesClassifier.from_data()


def row(index: int, access: Access) -> LabelledTool:
    # A name and description with no rule evidence at all, so only the probabilities matter.
    record = ToolRecord(server_key="local:t", name=f"zqx{index}", location=Location(kind=LocationKind.LIVE))
    return LabelledTool(f"t-{index}", record, access, None, None, f"t:{index}")


def imprecise_floor_rows() -> tuple[list[LabelledTool], list[list[float]]]:
    """Rows where only a 0.05 floor catches ten more destructive tools, at the price of five writes."""
    # (truth, P(read), P(write), P(destructive)) groups, in Access order.
    groups = [
        (Access.READ, 0.95, 0.04, 0.01, 10),
        (Access.WRITE, 0.04, 0.90, 0.06, 5),  # destructive only under a 0.05 floor
        (Access.WRITE, 0.05, 0.94, 0.01, 5),
        (Access.DESTRUCTIVE, 0.03, 0.90, 0.07, 10),  # caught only under a 0.05 floor
        (Access.DESTRUCTIVE, 0.10, 0.40, 0.50, 10),
    ]
    rows: list[LabelledTool] = []
    lines: list[list[float]] = []
    for access, *chances, count in groups:
        for _ in range(count):
            rows.append(row(len(rows), access))
            lines.append(chances)
    return rows, lines


def test_a_floor_that_calls_too_many_writes_destructive_is_not_chosen() -> None:
    rows, lines = imprecise_floor_rows()
    signals = [gather(RULES, item.record) for item in rows]
    assert all(item.verdict is None for item in signals)

    policy, summary = choose_policy(rows, signals, [np.array(lines, dtype=np.float64)])

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

    policy, summary = choose_policy(rows, signals, [np.array(lines, dtype=np.float64)])

    # The model is right on every row; the rules miss the write, so only margins above 3.0 score best.
    assert policy.rules_margin == 3.5
    assert summary["accuracy"] == 1.0


def test_a_near_tie_goes_to_the_smallest_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, lines = rules_against_model_rows()
    signals = [gather(RULES, item.record) for item in rows]
    monkeypatch.setattr(train, "POLICY_SCORE_TOLERANCE", 0.05)

    policy, summary = choose_policy(rows, signals, [np.array(lines, dtype=np.float64)])

    # The rules' one miss costs about 0.025 of score, under the tolerance: the smallest margin wins.
    assert policy.rules_margin == 0.5
    assert summary["accuracy"] == 39 / 40
    assert summary["decided_by"]["rules"] == 20


def test_the_shipped_tolerance_is_a_few_rows_of_recall() -> None:
    assert 0.0 < train.POLICY_SCORE_TOLERANCE <= 0.01


def split_runs() -> tuple[list[LabelledTool], list[np.ndarray]]:
    """Three splits of `rules_against_model_rows`: on the first the model is right everywhere (so
    margins above 3.0 win); on the other two it calls two `delete_*` destructive rows write, where
    the rules are right (so margins up to 3.0 win). On the mean, the rules' side wins."""
    rows, lines = rules_against_model_rows()
    first = np.array(lines, dtype=np.float64)
    others = first.copy()
    wrong = [index for index, item in enumerate(rows) if item.record.name in {"delete_zqx20", "delete_zqx21"}]
    others[wrong] = [0.02, 0.9, 0.08]
    return rows, [first, others, others.copy()]


def test_the_mean_over_splits_decides_not_the_first_split(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, runs = split_runs()
    signals = [gather(RULES, item.record) for item in rows]
    monkeypatch.setattr(train, "POLICY_SCORE_TOLERANCE", 0.0)

    alone, _ = choose_policy(rows, signals, runs[:1])
    policy, summary = choose_policy(rows, signals, runs)

    assert alone.rules_margin == 3.5
    assert policy.rules_margin == 0.5
    choice = summary["choice"]
    assert choice["splits"] == 3 and choice["pinned"] is None and choice["kept_pinned"] is False
    assert (choice["chosen"]["rules_margin"], choice["chosen"]["destructive_floor"]) == (0.5, 0.05)
    # The reported figures are the first split's: there the rules miss the one write among the deletes.
    assert summary["accuracy"] == 39 / 40
    # The rules decide the deletes under the best policy and the model is right elsewhere: no spread.
    assert choice["best"]["spread"] == 0.0 and choice["band"] == 0.0


def test_the_band_widens_to_the_best_policys_spread(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, runs = split_runs()
    # On the third split the model also calls four reads write: every policy loses there alike.
    runs[2][:4] = [0.04, 0.95, 0.01]
    signals = [gather(RULES, item.record) for item in rows]
    monkeypatch.setattr(train, "POLICY_SCORE_TOLERANCE", 0.0)

    _, unpinned = choose_policy(rows, signals, runs)
    policy, summary = choose_policy(rows, signals, runs, pin=Policy(3.5, 0.5))

    best = unpinned["choice"]["best"]
    assert best["rules_margin"] == 0.5 and best["spread"] > 0.0
    choice = summary["choice"]
    assert choice["band"] == best["spread"]
    # The pin loses only the two deletes of two splits on the mean, less than the spread.
    assert 0.0 < best["score"] - choice["pinned"]["score"] < choice["band"]
    assert choice["kept_pinned"] is True and policy == Policy(3.5, 0.5)


def test_a_pin_within_the_band_is_kept_even_off_the_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, lines = rules_against_model_rows()
    signals = [gather(RULES, item.record) for item in rows]
    monkeypatch.setattr(train, "POLICY_SCORE_TOLERANCE", 0.05)
    pin = Policy(2.25, 0.33)
    assert pin.rules_margin not in train.MARGIN_GRID

    policy, summary = choose_policy(rows, signals, [np.array(lines, dtype=np.float64)], pin=pin)

    # Without the pin the near tie goes to margin 0.5 (test above); the pin costs the rules' one miss
    # (about 0.025), inside the 0.05 band, so it stays.
    assert policy == pin
    choice = summary["choice"]
    assert choice["kept_pinned"] is True
    assert choice["pinned"]["rules_margin"] == 2.25 and choice["chosen"] == choice["pinned"]
    assert choice["best"]["score"] - choice["pinned"]["score"] == pytest.approx(0.0243, abs=0.001)


def test_a_pin_beaten_by_more_than_the_band_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, lines = rules_against_model_rows()
    signals = [gather(RULES, item.record) for item in rows]
    monkeypatch.setattr(train, "POLICY_SCORE_TOLERANCE", 0.01)

    policy, summary = choose_policy(rows, signals, [np.array(lines, dtype=np.float64)], pin=Policy(0.5, 0.5))

    assert policy.rules_margin == 3.5
    assert summary["choice"]["kept_pinned"] is False
    assert summary["choice"]["band"] == 0.01
    assert summary["accuracy"] == 1.0


def test_an_imprecise_pin_is_never_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, lines = imprecise_floor_rows()
    signals = [gather(RULES, item.record) for item in rows]
    monkeypatch.setattr(train, "POLICY_SCORE_TOLERANCE", 1.0)

    policy, summary = choose_policy(rows, signals, [np.array(lines, dtype=np.float64)], pin=Policy(99.0, 0.05))

    # The 0.05 floor scores best of all, but its destructive precision is 0.8.
    assert summary["choice"]["pinned"]["precise"] is False
    assert summary["choice"]["kept_pinned"] is False
    assert policy.destructive_floor > 0.05


def test_no_split_is_an_error() -> None:
    with pytest.raises(ClassifierError, match="at least one split"):
        choose_policy([], [], [])
    with pytest.raises(ClassifierError, match="at least one cross-validation split"):
        train_rows(labelled_rows(60), RULES, data_hash="a" * 64, folds=3, seeds=0)


PIN = """[policy]
rules_margin = 3.0
destructive_floor = 0.2
why = "Kept because the hand CV cannot tell it from its neighbours."
"""


def test_a_pin_file_is_read_and_checked(tmp_path: Path) -> None:
    assert load_pin(tmp_path / "policy.toml") is None
    path = tmp_path / "policy.toml"
    path.write_text(PIN, encoding="utf-8")
    assert load_pin(path) == Policy(3.0, 0.2)
    for text, message in (
        ("[policy\n", "cannot be read"),
        ("rules_margin = 3.0\n", "no \\[policy\\] table"),
        (PIN.replace("why = ", "reason = "), "needs a `why`"),
        (PIN.replace('"Kept because the hand CV cannot tell it from its neighbours."', '"short"'), "needs a `why`"),
        (PIN.replace("3.0", "0"), "rules_margin must be a number"),
        (PIN.replace("3.0", "true"), "rules_margin must be a number"),
        (PIN.replace("0.2", '"0.2"'), "destructive_floor must be a number"),
        (PIN.replace("0.2", "2.0"), "destructive_floor must be a number"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ClassifierError, match=message):
            load_pin(path)


def test_train_keeps_the_folder_pin_and_repick_ignores_it(tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    write_labels(labels, WEAK_ROWS)
    (labels / "policy.toml").write_text(PIN, encoding="utf-8")
    runner = CliRunner()
    pinned = runner.invoke(app, ["classifier", "train", "--labels", str(labels), "--model-dir", str(tmp_path / "a"), "--json"])
    assert pinned.exit_code == 0, pinned.output
    meta = json.loads(pinned.stdout)
    choice = meta["cv"]["choice"]
    assert meta["training"]["policy_seeds"] == POLICY_SEEDS == choice["splits"]
    assert choice["pinned"]["rules_margin"] == 3.0 and choice["pinned"]["destructive_floor"] == 0.2
    chosen = {key: choice["chosen"][key] for key in ("rules_margin", "destructive_floor")}
    assert meta["policy"] == chosen
    if choice["kept_pinned"]:
        assert chosen == {"rules_margin": 3.0, "destructive_floor": 0.2}
    assert choice["kept_pinned"] == (choice["pinned"]["score"] >= choice["best"]["score"] - choice["band"])

    repicked = runner.invoke(app, ["classifier", "train", "--labels", str(labels), "--model-dir", str(tmp_path / "b"), "--repick"])
    assert repicked.exit_code == 0, repicked.output
    assert "policy chosen by the search over 5 CV splits" in repicked.output
    assert read_meta(tmp_path / "b")["cv"]["choice"]["pinned"] is None


def test_a_malformed_pin_is_one_line_and_keeps_the_model(tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    write_labels(labels, WEAK_ROWS)
    (labels / "policy.toml").write_text("[policy]\nrules_margin = 'x'\n", encoding="utf-8")
    model = tmp_path / "model"
    model.mkdir()
    (model / "meta.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["classifier", "train", "--labels", str(labels), "--model-dir", str(model)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "policy.toml" in result.output
    assert (model / "meta.json").read_text(encoding="utf-8") == "{}"


def test_the_shipped_model_keeps_the_shipped_pin() -> None:
    pin = load_pin(data_dir() / "labels" / train.PINNED_POLICY_FILE)
    meta = read_meta(data_dir() / "model")
    assert pin is not None and Policy.from_meta(meta) == pin
    choice = meta["cv"]["choice"]
    assert choice["kept_pinned"] is True and choice["splits"] == POLICY_SEEDS
    assert choice["pinned"]["score"] >= choice["best"]["score"] - choice["band"]


def test_the_training_line_says_how_the_policy_was_chosen() -> None:
    def item(margin: float, floor: float, score: float) -> dict[str, object]:
        return {"rules_margin": margin, "destructive_floor": floor, "score": score, "spread": 0.002, "precise": True}

    pin, best = item(4.0, 0.15, 1.392), item(6.0, 0.2, 1.3938)
    choice = {"splits": 5, "pinned": pin, "kept_pinned": True, "best": best, "chosen": pin, "band": 0.005}
    assert policy_choice_line(choice) == (
        "pinned policy kept: margin 4 floor 0.15 (mean score 1.3920); the search's best, margin 6 floor 0.2 "
        "(mean score 1.3938), is within the band 0.0050 over 5 CV splits"
    )
    same = {**choice, "best": pin}
    assert policy_choice_line(same) == (
        "pinned policy kept: margin 4 floor 0.15 (mean score 1.3920), which is also the search's best over 5 CV splits"
    )
    beaten = {**choice, "kept_pinned": False, "best": item(6.0, 0.2, 1.41), "chosen": item(3.5, 0.2, 1.406)}
    line = policy_choice_line(beaten)
    assert line.startswith("pinned policy replaced: the search's best, margin 6 floor 0.2 (mean score 1.4100), beats")
    assert line.endswith("chosen margin 3.5 floor 0.2 (mean score 1.4060); update policy.toml")
    single = {**choice, "splits": 1, "pinned": None, "kept_pinned": False}
    assert "over 1 CV split:" in policy_choice_line(single)


def test_the_capability_policy_is_chosen_on_every_split_pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    # Capabilities labelled on every other row (the cases carry none): the chooser sees only those.
    rows = [
        dataclasses.replace(case, capabilities=frozenset() if index % 2 else frozenset({Capability.FILESYSTEM}))
        for index, case in enumerate(labelled_rows(120))
    ]
    seen: list[tuple[int, ...]] = []
    choose = train.choose_capability_policy

    def spy(truth, found, chances, decided, modelled):  # type: ignore[no-untyped-def]
        seen.append((truth.shape[0], found.shape[0], chances.shape[0], decided.shape[0]))
        return choose(truth, found, chances, decided, modelled)

    monkeypatch.setattr(train, "choose_capability_policy", spy)
    trained = train_rows(rows, RULES, data_hash="x", folds=3, seeds=3)
    labelled = sum(row.capabilities is not None for row in rows)
    assert labelled == 120
    # Three splits' out-of-fold rows, stacked: one choice over all of them.
    assert seen == [(3 * labelled,) * 4]
    figures = trained.meta["cv"]["capabilities"]
    assert figures["splits"] == 3
    # The figures reported are the first split's, one row per labelled tool.
    assert figures["combined"]["rows"] == figures["rules_only"]["rows"] == labelled


def test_the_shipped_capability_policy_was_chosen_over_the_policy_splits() -> None:
    meta = read_meta(data_dir() / "model")
    assert meta["cv"]["capabilities"]["splits"] == POLICY_SEEDS == meta["training"]["policy_seeds"]
