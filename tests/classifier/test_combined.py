"""The combination: rules decide when strong, the model otherwise, hints are only evidence."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.errors import ClassifierError
from catalog.records import Access, Location, LocationKind, ToolHints, ToolRecord
from classifier.base import default_classifier
from classifier.combined import CombinedClassifier, Policy, choose, combined_version
from classifier.dataset import LabelledTool, data_sha256
from classifier.model import AccessModel
from classifier.model_files import save
from classifier.rules import RulesClassifier
from classifier.train import Trained, train_rows

sys.path.insert(0, str(Path(__file__).parent))
from cases import CASES

RULES = RulesClassifier.from_data()


def tool(name: str, description: str = "", hints: dict[str, bool] | None = None, server_key: str = "local:a") -> ToolRecord:
    return ToolRecord(
        server_key=server_key,
        name=name,
        description=description,
        input_schema={"type": "object", "properties": {"id": {"type": "string"}}},
        hints=ToolHints.model_validate(hints or {}),
        location=Location(kind=LocationKind.LIVE),
    )


def combination(rules_margin: float, destructive_floor: float = 0.5) -> CombinedClassifier:
    trained = trained_on_cases()
    policy = {"rules_margin": rules_margin, "destructive_floor": destructive_floor}
    return CombinedClassifier(RULES, {**trained.meta, "policy": policy}, model=trained.model)


@functools.cache
def trained_on_cases() -> Trained:
    # Training is deterministic, so one model serves every test here (keeps the folder fast).
    labelled = [
        LabelledTool(
            id=f"case-{index}",
            record=ToolRecord(
                server_key="local:labels",
                name=case.name,
                description=case.description,
                input_schema=case.schema(),
                location=Location(kind=LocationKind.SAVED),
            ),
            access=Access(case.access),
            capabilities=None,
            domain=None,
            source=f"cases:{index}",
        )
        for index, case in enumerate(CASES)
    ]
    return train_rows(labelled, RULES, data_hash="e" * 64, folds=3)


def test_strong_rule_evidence_decides_and_says_so() -> None:
    classifier = combination(rules_margin=2.0)
    result = classifier.classify(tool("delete_repository", "Permanently delete a repository."))
    assert result.access is Access.DESTRUCTIVE
    assert result.reasons[0].startswith("rules decided destructive (evidence margin ")
    assert result.reasons[1] == "name verb 'delete' → destructive"
    assert result.classifier_version == classifier.version


def test_weak_rule_evidence_leaves_the_verdict_to_the_model_with_its_top_terms() -> None:
    classifier = combination(rules_margin=2.0)
    result = classifier.classify(tool("frobnicate_widget", "Frobnicates the widget of a project."))
    assert result.reasons[0].startswith(f"model: {result.confidence:.2f} {result.access.value}")
    assert "top terms: " in result.reasons[0]
    assert "no evidence of what the tool does" not in " ".join(result.reasons)


def test_a_margin_the_rules_never_reach_hands_every_tool_to_the_model() -> None:
    classifier = combination(rules_margin=99.0)
    results = classifier.classify_all([tool("delete_repository", "Delete a repository."), tool("list_files")])
    assert [result.access for result in results] == [Access.DESTRUCTIVE, Access.READ]
    assert all(result.reasons[0].startswith("model: ") for result in results)


def test_declared_hints_do_not_overrule_strong_rules_and_are_flagged() -> None:
    classifier = combination(rules_margin=2.0)
    result = classifier.classify(
        tool("delete_repository", "Permanently delete a repository.", {"readOnlyHint": True})
    )
    assert result.access is Access.DESTRUCTIVE
    assert [flag.kind for flag in result.flags] == ["hints-contradict"]


def test_the_same_definition_on_two_servers_gets_the_same_classification() -> None:
    classifier = combination(rules_margin=2.0)
    first, second, third = classifier.classify_all(
        [
            tool("frobnicate_widget", "Frobnicates the widget.", server_key="github:a/one"),
            tool("frobnicate_widget", "Frobnicates the widget.", server_key="npm:two"),
            tool("list_widgets", "List widgets.", server_key="npm:two"),
        ]
    )
    assert first == second
    assert third.access is Access.READ


def test_destructive_wins_once_its_probability_reaches_the_floor() -> None:
    chances = {Access.READ: 0.5, Access.WRITE: 0.2, Access.DESTRUCTIVE: 0.3}
    assert choose(chances, destructive_floor=0.3) is Access.DESTRUCTIVE
    assert choose(chances, destructive_floor=0.31) is Access.READ


def test_version_joins_rules_model_and_data_hash() -> None:
    meta = {"model_version": "access-1", "data_sha256": "0123456789" + "f" * 54}
    assert combined_version("rules-1+abcdef01", meta) == "rules-1+abcdef01+access-1-01234567"
    with pytest.raises(ClassifierError, match="lacks model_version"):
        combined_version("rules-1+abcdef01", {})


def test_a_policy_missing_from_the_metadata_is_refused() -> None:
    with pytest.raises(ClassifierError, match="no `policy`"):
        Policy.from_meta({"model_version": "access-1"})


def test_model_folder_loads_lazily_and_then_classifies(tmp_path: Path) -> None:
    trained = combination(rules_margin=2.0)
    save(AccessModel(trained.model.pipeline, trained.meta, trained.model.capabilities), tmp_path)
    lazy = CombinedClassifier.from_dir(tmp_path, RULES)
    assert lazy.version == trained.version
    record = tool("frobnicate_widget", "Frobnicates the widget.")
    assert lazy.classify(record) == trained.classify(record)


def test_default_classifier_is_the_shipped_combination_when_a_model_ships() -> None:
    classifier = default_classifier()
    model_meta = Path(__file__).resolve().parents[2] / "data" / "model" / "meta.json"
    expected = CombinedClassifier if model_meta.is_file() else RulesClassifier
    assert type(classifier) is expected
    assert classifier.version.startswith(RULES.version)


def test_read_commands_never_import_scikit_learn() -> None:
    code = (
        "import sys, cli, catalog.policy, catalog.render, catalog.store, classifier.base;"
        "classifier.base.default_classifier();"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('sklearn', 'skops')))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


def test_the_shipped_model_matches_the_shipped_lexicons_and_hand_labels() -> None:
    data = Path(__file__).resolve().parents[2] / "data"
    if not (data / "model" / "meta.json").is_file():
        pytest.skip("no model is shipped")
    shipped = CombinedClassifier.from_dir(data / "model", RULES)
    # Loading verifies scikit-learn, model and lexicon versions; a stale model fails here first.
    assert shipped.model.meta["data_sha256"] == data_sha256(data / "labels" / "hand"), (
        "the hand labels changed since the model was trained: run `catalog classifier train`"
    )
    assert shipped.classify(tool("delete_repository", "Delete a repository.")).access is Access.DESTRUCTIVE
