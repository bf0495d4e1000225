"""Evaluation: labelled data loading, the metrics, hints hidden on the weak set, the CLI commands."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from catalog.errors import ClassifierError
from catalog.records import Access, Capability
from classifier.dataset import data_sha256, load_labels, without_hints
from classifier.evaluate import hint_disagreements, relabelled
from classifier.metrics import Outcome, access_metrics, capability_metrics
from cli import app

sys.path.insert(0, str(Path(__file__).parent))
from cases import CASES, labelled_rows

R, W, D = Access.READ, Access.WRITE, Access.DESTRUCTIVE


def write_labels(root: Path, weak: list[dict[str, Any]], review: list[dict[str, Any]] | None = None) -> None:
    hand = root / "hand"
    hand.mkdir(parents=True)
    lines = [
        json.dumps(
            {
                "id": f"hand-{index}",
                "domain": "mixed",
                "name": case.name,
                "description": case.description,
                "params": case.schema()["properties"],
                "hints": case.hints,
                "access": case.access,
                "capabilities": sorted(case.capabilities),
                "provenance": {"author": "test"},
            }
        )
        for index, case in enumerate(CASES[:90])
    ]
    (hand / "mixed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "weak").mkdir()
    (root / "weak" / "live.jsonl").write_text(
        "\n".join(json.dumps(row) for row in weak) + "\n", encoding="utf-8"
    )
    if review is not None:
        (root / "review").mkdir()
        (root / "review" / "weak.jsonl").write_text("".join(json.dumps(row) + "\n" for row in review), encoding="utf-8")


WEAK_ROWS = [
    {"id": "w1", "name": "zq_xv", "description": "", "hints": {"readOnlyHint": True}, "access": "read"},
    {"id": "w2", "name": "delete_branch", "description": "Delete a branch.", "hints": {"destructiveHint": True}, "access": "destructive"},
    {"id": "w3", "name": "list_branches", "description": "List branches.", "hints": {"readOnlyHint": True}, "access": "read"},
    {"id": "w4", "name": "create_branch", "description": "Create a branch.", "hints": {"readOnlyHint": False, "destructiveHint": False}, "access": "write"},
]


def test_train_then_eval_from_the_command_line_prints_metrics_json(tmp_path: Path) -> None:
    write_labels(tmp_path / "labels", WEAK_ROWS)
    runner = CliRunner()
    model_dir = tmp_path / "model"
    trained = runner.invoke(app, ["classifier", "train", "--labels", str(tmp_path / "labels"), "--model-dir", str(model_dir), "--json"])
    assert trained.exit_code == 0, trained.output
    meta = json.loads(trained.stdout)
    assert meta["rows"] == 90
    assert meta["data_sha256"] == data_sha256(tmp_path / "labels" / "hand")
    assert sorted(path.name for path in model_dir.iterdir()) == ["access.skops", "meta.json"]

    evaluated = runner.invoke(
        app, ["classifier", "eval", "--labels", str(tmp_path / "labels"), "--model-dir", str(model_dir), "--folds", "2", "--json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert sorted(report) == ["classifier_version", "hand_cv", "hand_cv_rules_only", "weak", "weak_rules_only"]
    hand = report["hand_cv"]
    assert sorted(hand) == [
        "accuracy", "capabilities", "changes_vs_read", "confusion", "decided_by", "destructive_recall", "macro_f1",
        "per_class", "rows", "worst",
    ]
    assert hand["rows"] == 90 and sum(map(sum, hand["confusion"]["matrix"])) == 90
    assert hand["confusion"]["labels"] == ["read", "write", "destructive"]
    assert sorted(hand["per_class"]["read"]) == ["f1", "precision", "recall", "support"]
    assert hand["capabilities"]["rows"] == 90
    assert report["weak"]["rows"] == 4


def test_weak_rows_are_classified_with_their_hints_hidden(tmp_path: Path) -> None:
    write_labels(tmp_path / "labels", WEAK_ROWS)
    runner = CliRunner()
    labels, model_dir = str(tmp_path / "labels"), str(tmp_path / "model")
    assert runner.invoke(app, ["classifier", "train", "--labels", labels, "--model-dir", model_dir]).exit_code == 0
    evaluated = runner.invoke(app, ["classifier", "eval", "--labels", labels, "--model-dir", model_dir, "--folds", "2", "--json"])
    report = json.loads(evaluated.stdout)
    # `zq_xv` says nothing but its readOnlyHint; with hints hidden the rules see no evidence.
    rules_only = report["weak_rules_only"]
    assert rules_only["confusion"]["matrix"][0] == [1, 1, 0]
    assert rules_only["worst"][0]["id"] == "w1"
    assert "declared" not in json.dumps(report["weak"]["worst"])


def test_eval_prints_a_table_without_json(tmp_path: Path) -> None:
    write_labels(tmp_path / "labels", WEAK_ROWS)
    runner = CliRunner()
    labels, model_dir = str(tmp_path / "labels"), str(tmp_path / "model")
    assert runner.invoke(app, ["classifier", "train", "--labels", labels, "--model-dir", model_dir]).exit_code == 0
    evaluated = runner.invoke(app, ["classifier", "eval", "--labels", labels, "--model-dir", model_dir, "--folds", "2"])
    assert evaluated.exit_code == 0, evaluated.output
    assert "(a) hand labels, stratified k-fold CV of the combination" in evaluated.stdout
    assert "confusion (rows: truth, columns: predicted)" in evaluated.stdout


REVIEW_ROWS = [
    {"id": "w1", "hint_access": "read", "access": "write", "capabilities": ["network-egress"], "reason": "it posts"},
    {"id": "w2", "hint_access": "destructive", "access": "destructive", "capabilities": []},
    {"id": "w3", "hint_access": "read", "access": "read", "capabilities": []},
    {"id": "w4", "hint_access": "write", "access": "write", "capabilities": []},
]


def test_eval_scores_the_same_verdicts_against_reviewed_labels(tmp_path: Path) -> None:
    write_labels(tmp_path / "labels", WEAK_ROWS, REVIEW_ROWS)
    runner = CliRunner()
    labels, model_dir = str(tmp_path / "labels"), str(tmp_path / "model")
    assert runner.invoke(app, ["classifier", "train", "--labels", labels, "--model-dir", model_dir]).exit_code == 0
    evaluated = runner.invoke(app, ["classifier", "eval", "--labels", labels, "--model-dir", model_dir, "--folds", "2", "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert sorted(report) == [
        "classifier_version", "hand_cv", "hand_cv_rules_only", "weak", "weak_reviewed", "weak_reviewed_rules_only",
        "weak_rules_only",
    ]
    for suffix in ("", "_rules_only"):
        raw, reviewed = report[f"weak{suffix}"], report[f"weak_reviewed{suffix}"]
        assert (raw["rows"], reviewed["rows"]) == (4, 4)
        # Truth per class follows the review (w1 moved from read to write) ...
        assert [sum(row) for row in raw["confusion"]["matrix"]] == [2, 1, 1]
        assert [sum(row) for row in reviewed["confusion"]["matrix"]] == [1, 2, 1]
        # ... while the verdicts are the very same ones.
        assert [sum(column) for column in zip(*raw["confusion"]["matrix"], strict=True)] == [
            sum(column) for column in zip(*reviewed["confusion"]["matrix"], strict=True)
        ]
        assert (raw["capabilities"]["rows"], reviewed["capabilities"]["rows"]) == (0, 4)
        assert reviewed["capabilities"]["per_capability"]["network-egress"]["support"] == 1
    text = runner.invoke(app, ["classifier", "eval", "--labels", labels, "--model-dir", model_dir, "--folds", "2"]).stdout
    assert "(b) real servers' hints (hidden from the classifier), shipped combination\n  rows 4 " in text
    assert "(b′) the same real servers' tools, reviewed labels, hints hidden, shipped combination\n  rows 4 " in text
    assert "    the same tools, reviewed labels (hints hidden), rules alone\n  rows 4 " in text
    reviewed_line = text.split("(b′)")[1].splitlines()[1]
    assert f"capabilities micro-F1 {report['weak_reviewed']['capabilities']['micro_f1']:.3f}" in reviewed_line
    split = report["weak"]["hint_disagreements"]
    assert sum(split.values()) == 2 * split["total"]
    assert split["total"] == 4 - round(report["weak"]["accuracy"] * 4)
    assert (
        f"  of {split['total']} verdicts that differ from the hints, the review sides with the classifier"
        f" on {split['review_agrees_with_classifier']}, with the hints on {split['review_agrees_with_hints']}"
        f", with neither on {split['neither']}\n"
    ) in text.split("(b′)")[0]
    assert "hint_disagreements" not in report["weak_reviewed"]


def test_hint_disagreements_say_whom_the_review_sides_with() -> None:
    # (hint label, verdict, reviewed label)
    rows = [(R, R, R), (D, W, W), (D, W, W), (R, W, R), (D, R, W), (W, W, D)]
    hinted = [Outcome(str(index), "t", hint, said, 0.9, "x") for index, (hint, said, _) in enumerate(rows)]
    reviewed = [replace(outcome, truth=review) for outcome, (_, _, review) in zip(hinted, rows, strict=True)]
    assert hint_disagreements(hinted, reviewed) == {
        "total": 4, "review_agrees_with_classifier": 2, "review_agrees_with_hints": 1, "neither": 1,
    }
    assert hint_disagreements(hinted[:1], reviewed[:1])["total"] == 0


def test_relabelled_outcomes_keep_the_verdicts_and_take_the_new_truth() -> None:
    outcomes = [Outcome("1", "a", R, R, 0.9, "x"), Outcome("2", "b", D, W, 0.7, "y")]
    [first, second] = labelled_rows(2)
    rows = [
        replace(first, id="2", access=W, capabilities=frozenset({Capability.ADMIN})),
        replace(second, id="1", access=R, capabilities=frozenset()),
    ]
    assert relabelled(outcomes, rows) == [
        Outcome("1", "a", R, R, 0.9, "x", frozenset(), frozenset()),
        Outcome("2", "b", W, W, 0.7, "y", frozenset({Capability.ADMIN}), frozenset()),
    ]
    with pytest.raises(ClassifierError, match="same tools"):
        relabelled(outcomes, rows[:1])


def test_eval_without_a_model_is_one_clear_error(tmp_path: Path) -> None:
    write_labels(tmp_path / "labels", WEAK_ROWS)
    evaluated = CliRunner().invoke(
        app, ["classifier", "eval", "--labels", str(tmp_path / "labels"), "--model-dir", str(tmp_path / "none"), "--folds", "2"]
    )
    assert evaluated.exit_code == 1
    assert "meta.json" in evaluated.output


def test_metrics_count_classes_and_put_destructive_called_read_first() -> None:
    outcomes = [
        Outcome("1", "a", R, R, 0.9, "rules decided read"),
        Outcome("2", "b", W, W, 0.8, "model: 0.80 write"),
        Outcome("3", "c", D, D, 0.9, "rules decided destructive"),
        Outcome("4", "d", W, R, 0.95, "model: 0.95 read"),
        Outcome("5", "e", D, R, 0.6, "model: 0.60 read"),
    ]
    metrics = access_metrics(outcomes, worst=2)
    assert metrics["confusion"]["matrix"] == [[1, 0, 0], [1, 1, 0], [1, 0, 1]]
    assert metrics["per_class"]["read"] == {"precision": 0.3333, "recall": 1.0, "f1": 0.5, "support": 1}
    assert metrics["destructive_recall"] == 0.5
    assert metrics["macro_f1"] == round((0.5 + 2 / 3 + 2 / 3) / 3, 4)
    assert metrics["decided_by"] == {"rules": 2, "model": 3}
    assert metrics["changes_vs_read"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "accuracy": 0.6}
    assert [mistake["id"] for mistake in metrics["worst"]] == ["5", "4"]


def test_capability_metrics_score_only_rows_with_labelled_capabilities() -> None:
    outcomes = [
        Outcome("1", "a", R, R, 0.9, "x", frozenset({Capability.FILESYSTEM}), frozenset({Capability.FILESYSTEM})),
        Outcome("2", "b", W, W, 0.9, "x", frozenset(), frozenset({Capability.SECRETS})),
        Outcome("3", "c", W, W, 0.9, "x", None, frozenset({Capability.ADMIN})),
    ]
    metrics = capability_metrics(outcomes)
    assert metrics["rows"] == 2
    assert metrics["per_capability"]["filesystem"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert metrics["per_capability"]["secrets"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["micro_f1"] == round(2 * 0.5 * 1.0 / 1.5, 4)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "bad.jsonl:2: not JSON"),
        ('{"name": "x", "access": "maybe"}', "bad.jsonl:2: `access` must be read, write or destructive"),
        ('{"access": "read"}', "bad.jsonl:2: `name` must be a non-empty string"),
        ('{"name": "x", "access": "read", "capabilities": ["flies"]}', "bad.jsonl:2: 'flies' is not a valid Capability"),
        ('{"name": "x", "access": "read", "hints": {"sortaHint": true}}', "bad.jsonl:2: sortaHint: Extra inputs"),
    ],
)
def test_a_bad_label_row_is_an_error_naming_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "bad.jsonl").write_text('{"name": "ok", "access": "read"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ClassifierError, match=message):
        load_labels(tmp_path)


def test_labelled_rows_become_records_and_hints_can_be_hidden(tmp_path: Path) -> None:
    row = {
        "id": "fs-1", "domain": "files", "name": "delete_file", "description": "Delete a file.",
        "params": {"path": {"type": "string", "description": "File path"}},
        "hints": {"destructiveHint": True}, "access": "destructive", "capabilities": ["filesystem"],
        "provenance": {"author": "me"},
    }
    (tmp_path / "files.jsonl").write_text(json.dumps(row) + "\n\n", encoding="utf-8")
    [loaded] = load_labels(tmp_path)
    assert (loaded.id, loaded.access, loaded.capabilities, loaded.domain, loaded.source) == (
        "fs-1", D, frozenset({Capability.FILESYSTEM}), "files", "files.jsonl:1",
    )
    assert loaded.record.input_schema == {"type": "object", "properties": row["params"]}
    assert loaded.record.hints.destructive is True
    [hidden] = without_hints([loaded])
    assert hidden.record.hints.declared() == {}
    assert hidden.record.model_copy(update={"hints": loaded.record.hints}) == loaded.record


def test_eval_can_be_limited_to_some_weak_servers(tmp_path: Path) -> None:
    servers = {"w1": "alpha", "w2": "beta", "w3": "beta", "w4": "gamma"}
    write_labels(tmp_path / "labels", [{**row, "server": servers[row["id"]]} for row in WEAK_ROWS], REVIEW_ROWS)
    runner = CliRunner()
    labels, model_dir = str(tmp_path / "labels"), str(tmp_path / "model")
    assert runner.invoke(app, ["classifier", "train", "--labels", labels, "--model-dir", model_dir]).exit_code == 0
    base = ["classifier", "eval", "--labels", labels, "--model-dir", model_dir, "--folds", "2"]

    limited = runner.invoke(app, [*base, "--server", "beta", "--server", "alpha", "--json"])

    assert limited.exit_code == 0, limited.output
    report = json.loads(limited.stdout)
    assert report["weak_servers"] == ["alpha", "beta"]
    assert report["hand_cv"]["rows"] == 90  # the hand set is never limited
    for key in ("weak", "weak_rules_only", "weak_reviewed", "weak_reviewed_rules_only"):
        assert report[key]["rows"] == 3
    # w1 (alpha) is read by its hint and write by the review; w2 and w3 (beta) agree.
    assert [sum(row) for row in report["weak"]["confusion"]["matrix"]] == [2, 0, 1]
    assert [sum(row) for row in report["weak_reviewed"]["confusion"]["matrix"]] == [1, 1, 1]
    text = runner.invoke(app, [*base, "--server", "gamma"]).stdout
    assert text.startswith("(b) and (b′) limited to the weak rows of: gamma\n")


def test_eval_limited_to_an_unknown_server_is_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    write_labels(tmp_path / "labels", [{**row, "server": "alpha"} for row in WEAK_ROWS])
    result = CliRunner().invoke(
        app, ["classifier", "eval", "--labels", str(tmp_path / "labels"), "--model-dir", str(tmp_path / "none"), "--server", "zeta"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["error: no weak rows from server 'zeta'; known: alpha"]


def test_eval_limited_to_servers_without_weak_labels_is_one_clear_error(tmp_path: Path) -> None:
    write_labels(tmp_path / "labels", WEAK_ROWS)
    for path in (tmp_path / "labels" / "weak").iterdir():
        path.unlink()
    (tmp_path / "labels" / "weak").rmdir()
    result = CliRunner().invoke(
        app, ["classifier", "eval", "--labels", str(tmp_path / "labels"), "--model-dir", str(tmp_path / "none"), "--server", "alpha"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: no weak labels at {tmp_path / 'labels' / 'weak'} to limit to servers"]
