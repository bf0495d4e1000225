"""The access model: skops files that round-trip, refuse mismatches and untrusted types; deterministic training."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from catalog.errors import ClassifierError
from catalog.paths import data_dir
from catalog.records import Access, Location, LocationKind, ToolRecord
from classifier.model_files import META_FILE, MODEL_FILE, load, read_meta, save, sha256_file
from classifier.rules import RulesClassifier
from classifier.signals import gather, lexicon_digest
from classifier.train import calibration_error, train_rows

sys.path.insert(0, str(Path(__file__).parent))
from cases import labelled_rows

RULES = RulesClassifier.from_data()
DIGEST = lexicon_digest(RULES.lexicon)


def trained_dir(tmp_path: Path, count: int = 80) -> Path:
    trained = train_rows(labelled_rows(count), RULES, data_hash="a" * 64, folds=3)
    save(trained.model, tmp_path / "model")
    return tmp_path / "model"


def test_saved_model_loads_and_predicts_the_same_probabilities(tmp_path: Path) -> None:
    trained = train_rows(labelled_rows(80), RULES, data_hash="a" * 64, folds=3)
    directory = tmp_path / "model"
    save(trained.model, directory)
    loaded = load(directory, DIGEST)
    signals = [gather(RULES, row.record) for row in labelled_rows(120)[80:]]
    before = trained.model.predict(signals).probabilities
    after = loaded.predict(signals).probabilities
    assert np.array_equal(before, after)
    assert loaded.meta == read_meta(directory)
    assert loaded.meta["model_sha256"] == sha256_file(directory / MODEL_FILE)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("sklearn_version", "0.0.1", "sklearn_version '0.0.1'"),
        ("model_version", "access-0", "model_version 'access-0'"),
        ("lexicon_digest", "0" * 16, "lexicon_digest '0000000000000000'"),
    ],
)
def test_a_model_made_by_other_code_is_refused(tmp_path: Path, key: str, value: str, message: str) -> None:
    directory = trained_dir(tmp_path)
    meta_path = directory / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta[key] = value
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ClassifierError, match=message):
        load(directory, DIGEST)


def test_a_model_file_swapped_under_its_metadata_is_refused(tmp_path: Path) -> None:
    first = trained_dir(tmp_path / "one", 80)
    second = trained_dir(tmp_path / "two", 100)
    (first / MODEL_FILE).write_bytes((second / MODEL_FILE).read_bytes())
    with pytest.raises(ClassifierError, match="does not match the sha256"):
        load(first, DIGEST)


def test_metadata_without_a_data_hash_is_refused(tmp_path: Path) -> None:
    directory = trained_dir(tmp_path)
    meta_path = directory / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    del meta["data_sha256"]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ClassifierError, match="training data's sha256"):
        load(directory, DIGEST)


class Smuggled:
    """A type skops does not trust: loading it could run arbitrary code."""


def test_a_model_file_holding_untrusted_types_is_refused(tmp_path: Path) -> None:
    directory = trained_dir(tmp_path)
    sio.dump({"pipeline": Smuggled(), "model_version": "access-2", "data_sha256": "a" * 64}, directory / MODEL_FILE)
    meta_path = directory / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["model_sha256"] = sha256_file(directory / MODEL_FILE)
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ClassifierError, match=r"not trusted: .*Smuggled"):
        load(directory, DIGEST)


def test_missing_model_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError, match="no model metadata") as raised:
        load(tmp_path, DIGEST)
    assert raised.value.hint == "run `catalog classifier train`"


def test_training_twice_on_the_same_rows_gives_the_same_metrics_and_weights(tmp_path: Path) -> None:
    first = train_rows(labelled_rows(90), RULES, data_hash="b" * 64, folds=3)
    second = train_rows(labelled_rows(90), RULES, data_hash="b" * 64, folds=3)
    assert first.meta == second.meta
    assert first.policy == second.policy
    first_weights = first.model.pipeline.named_steps["model"].coef_
    assert np.array_equal(first_weights, second.model.pipeline.named_steps["model"].coef_)


def test_training_needs_every_class_twice() -> None:
    only_some = [row for row in labelled_rows(174) if row.access is not Access.DESTRUCTIVE][:30]
    with pytest.raises(ClassifierError, match="at least two"):
        train_rows(only_some, RULES, data_hash="c" * 64)


def test_top_terms_name_the_features_that_pushed_towards_the_class() -> None:
    trained = train_rows(labelled_rows(174), RULES, data_hash="d" * 64, folds=3)
    record = ToolRecord(
        server_key="local:x",
        name="delete_bucket",
        description="Delete every object of a bucket.",
        location=Location(kind=LocationKind.LIVE),
    )
    prediction = trained.model.predict([gather(RULES, record)])
    terms = trained.model.top_terms(prediction, 0, Access.DESTRUCTIVE, 3)
    assert 1 <= len(terms) <= 3
    assert "'delete'" in terms
    assert all(term.startswith(("'", "param '")) for term in terms)


def test_lexicon_digest_is_stable_across_processes_and_follows_lexicon_edits(tmp_path: Path) -> None:
    code = (
        "from classifier.rules import RulesClassifier; from classifier.signals import lexicon_digest;"
        "print(lexicon_digest(RulesClassifier.from_data().lexicon))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == DIGEST
    copied = tmp_path / "data"
    shutil.copytree(data_dir(), copied, ignore=shutil.ignore_patterns("labels", "model"))
    verbs = copied / "lexicons" / "verbs.toml"
    verbs.write_text(verbs.read_text(encoding="utf-8") + "\n# a comment changes nothing\n", encoding="utf-8")
    assert lexicon_digest(RulesClassifier.from_data(copied).lexicon) == DIGEST
    edited = tmp_path / "edited"  # from_data caches by folder, so the edit goes to a new one
    shutil.copytree(copied, edited)
    verbs = edited / "lexicons" / "verbs.toml"
    verbs.write_text(verbs.read_text(encoding="utf-8").replace("weight = 3.0", "weight = 2.9", 1), encoding="utf-8")
    assert lexicon_digest(RulesClassifier.from_data(edited).lexicon) != DIGEST


def test_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    probabilities = np.array([[0.8, 0.1, 0.1]] * 5)
    labels = [Access.READ] * 4 + [Access.WRITE]
    assert calibration_error(probabilities, labels) == 0.0
    assert calibration_error(probabilities, [Access.WRITE] * 5) == 0.8
