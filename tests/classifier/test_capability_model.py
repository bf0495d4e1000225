"""The capability model: learned beside the access model, combined with the rules by thresholds from meta."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from catalog.errors import ClassifierError
from catalog.records import Access, Capability, Category, Location, LocationKind, ToolRecord
from classifier.capability_model import (
    ADD_GRID,
    VETO_GRID,
    CapabilityModel,
    choose_capability_policy,
)
from classifier.combined import CapabilityPolicy, CapabilityRule, CombinedClassifier
from classifier.dataset import LabelledTool
from classifier.model import AccessModel, fit_capability_model
from classifier.model_files import META_FILE, MODEL_FILE, load, save, sha256_file
from classifier.rules import RulesClassifier
from classifier.signals import gather, lexicon_digest
from classifier.train import Trained, train_rows

sys.path.insert(0, str(Path(__file__).parent))
from cases import CASES

RULES = RulesClassifier.from_data()
DIGEST = lexicon_digest(RULES.lexicon)
MONEY = Capability.MOVES_MONEY
# An invented currency: no lexicon knows the word, so only a learned model can tie it to money.
ZORBLAX = [
    ("zorblax_send", "Sends zorblax from the shop wallet to a supplier."),
    ("zorblax_tip", "Tips a creator a few zorblax from your balance."),
    ("grant_zorblax", "Grants zorblax to a player, debited from the guild treasury."),
    ("zorblax_reward_member", "Rewards a member with zorblax taken from the team pot."),
    ("zorblax_settle_bet", "Settles a bet by handing the staked zorblax to the winner."),
    ("zorblax_bounty", "Gives the bounty in zorblax to whoever closed the ticket."),
]


def record(name: str, description: str, params: dict[str, object] | None = None) -> ToolRecord:
    properties = {key: {"type": "string", "description": str(text)} for key, text in (params or {}).items()}
    return ToolRecord(
        server_key="local:labels",
        name=name,
        description=description,
        input_schema={"type": "object", "properties": properties},
        location=Location(kind=LocationKind.SAVED),
    )


def labelled() -> list[LabelledTool]:
    """The shared cases with their capabilities, plus a handful of tools paying in zorblax."""
    rows = [
        LabelledTool(
            f"case-{index}",
            record(case.name, case.description, case.params),
            Access(case.access),
            frozenset(Capability(value) for value in case.capabilities),
            None,
            f"cases:{index}",
        )
        for index, case in enumerate(CASES)
    ]
    rows += [
        LabelledTool(f"zorblax-{index}", record(name, text), Access.WRITE, frozenset({MONEY}), None, "test")
        for index, (name, text) in enumerate(ZORBLAX)
    ]
    return rows


@functools.cache
def trained() -> Trained:
    # Training is deterministic, so one model serves every test here.
    return train_rows(labelled(), RULES, data_hash="f" * 64, folds=3)


def with_policy(capability_policy: dict[str, object], rules_margin: float = 99.0) -> CombinedClassifier:
    """The trained combination with the thresholds given here (and a regression for each)."""
    base = trained()
    rows = labelled()
    signals = [gather(RULES, row.record) for row in rows]
    every = fit_capability_model(base.model, signals, [row.capabilities for row in rows])
    capabilities = CapabilityModel({name: every.models[name] for name in capability_policy})
    meta = {
        **base.meta,
        "policy": {"rules_margin": rules_margin, "destructive_floor": 0.5},
        "capability_policy": capability_policy,
    }
    return CombinedClassifier(RULES, meta, model=AccessModel(base.model.pipeline, meta, capabilities))


PROBE = record("award_zorblax", "Awards zorblax to a colleague.")


def test_the_rules_alone_see_no_money_in_the_probe() -> None:
    assert MONEY not in RULES.classify(PROBE).capabilities


def test_the_model_adds_a_capability_the_rules_lack_and_names_it_in_the_reasons() -> None:
    result = with_policy({"moves-money": {"add_from": 0.5, "veto_below": 0.0}}).classify(PROBE)
    assert MONEY in result.capabilities
    assert result.category is Category.FINANCIAL
    assert result.reasons[0].startswith(f"model: {result.confidence:.2f} {result.access.value}")
    money = [reason for reason in result.reasons if reason.endswith(" moves-money")]
    assert len(money) == 1 and money[0] == result.reasons[1]
    assert float(money[0].split()[1]) >= 0.5


def test_capability_thresholds_come_from_the_metadata() -> None:
    classifier = with_policy({"moves-money": {"add_from": 0.5, "veto_below": 0.0}})
    chances = classifier.model.capability_chances(classifier.model.predict([gather(RULES, PROBE)]))
    assert chances is not None
    probability = chances[0][list(Capability).index(MONEY)]
    at = with_policy({"moves-money": {"add_from": probability, "veto_below": 0.0}})
    assert MONEY in at.classify(PROBE).capabilities
    above = with_policy({"moves-money": {"add_from": float(np.nextafter(probability, 1.0)), "veto_below": 0.0}})
    assert MONEY not in above.classify(PROBE).capabilities
    assert MONEY not in with_policy({}).classify(PROBE).capabilities


def test_a_rules_capability_below_the_drop_threshold_is_dropped_with_a_reason() -> None:
    tool = record("read_file", "Read the complete contents of a file from the file system.", {"path": "Path"})
    assert Capability.FILESYSTEM in RULES.classify(tool).capabilities
    result = with_policy({"filesystem": {"add_from": None, "veto_below": 1.0}}).classify(tool)
    assert Capability.FILESYSTEM not in result.capabilities
    assert result.reasons[1].startswith("model: ") and result.reasons[1].endswith(" filesystem → dropped")


def test_tools_the_rules_decide_keep_the_rules_capabilities() -> None:
    tool = record("delete_file", "Delete a file from disk.", {"path": "Path"})
    result = with_policy({"filesystem": {"add_from": None, "veto_below": 1.0}}, rules_margin=0.5).classify(tool)
    assert result.reasons[0].startswith("rules decided destructive")
    assert Capability.FILESYSTEM in result.capabilities
    assert not any(reason.startswith("model: ") for reason in result.reasons)


def test_the_capability_model_round_trips_through_skops_and_is_verified_on_load(tmp_path: Path) -> None:
    base = trained()
    assert base.model.capabilities is not None
    save(base.model, tmp_path)
    loaded = load(tmp_path, DIGEST)
    assert loaded.capabilities is not None
    assert sorted(loaded.capabilities.models) == sorted(base.meta["capability_policy"])
    signals = [gather(RULES, row.record) for row in labelled()[:40]]
    before = base.model.capabilities.probabilities(base.model.predict(signals).transformed)
    after = loaded.capabilities.probabilities(loaded.predict(signals).transformed)
    assert np.array_equal(before, after)


def save_with_policy(directory: Path, capability_policy: dict[str, object]) -> None:
    base = with_policy(capability_policy)
    save(base.model, directory)
    meta_path = directory / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["capability_policy"] == capability_policy
    assert load(directory, DIGEST).capabilities is not None


def test_a_capability_part_that_disagrees_with_the_metadata_is_refused(tmp_path: Path) -> None:
    save_with_policy(tmp_path, {"moves-money": {"add_from": 0.5, "veto_below": 0.0}})
    meta_path = tmp_path / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["capability_policy"] = {"secrets": {"add_from": 0.5, "veto_below": 0.0}}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ClassifierError, match="models capabilities"):
        load(tmp_path, DIGEST)


def test_a_capability_regression_that_does_not_fit_the_features_is_refused(tmp_path: Path) -> None:
    save_with_policy(tmp_path, {"moves-money": {"add_from": 0.5, "veto_below": 0.0}})
    payload = sio.load(tmp_path / MODEL_FILE, trusted=sio.get_untrusted_types(file=tmp_path / MODEL_FILE))
    narrow = LogisticRegression().fit(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1]))
    payload["capabilities"] = {"moves-money": narrow}
    sio.dump(payload, tmp_path / MODEL_FILE)
    meta_path = tmp_path / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["model_sha256"] = sha256_file(tmp_path / MODEL_FILE)
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ClassifierError, match="moves-money model does not fit"):
        load(tmp_path, DIGEST)


def test_a_model_made_before_the_capability_model_is_refused(tmp_path: Path) -> None:
    save(trained().model, tmp_path)
    meta_path = tmp_path / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["model_version"] = "access-1"
    del meta["capability_policy"]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ClassifierError, match="model_version 'access-1', this is 'access-2'") as raised:
        load(tmp_path, DIGEST)
    assert raised.value.hint == "run `catalog classifier train` to rebuild it"


def test_training_twice_on_the_same_rows_writes_the_same_bytes_in_any_process(tmp_path: Path) -> None:
    save(train_rows(labelled(), RULES, data_hash="f" * 64, folds=3).model, tmp_path / "here")
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from test_capability_model import RULES, labelled; from classifier.model_files import save;"
        "from classifier.train import train_rows;"
        "save(train_rows(labelled(), RULES, data_hash='f' * 64, folds=3).model, Path(sys.argv[2]))"
    )
    subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(tmp_path / "there")], check=True)
    assert sha256_file(tmp_path / "here" / MODEL_FILE) == sha256_file(tmp_path / "there" / MODEL_FILE)
    here = (tmp_path / "here" / META_FILE).read_text(encoding="utf-8")
    assert here == (tmp_path / "there" / META_FILE).read_text(encoding="utf-8")


def test_training_records_the_capability_figures_beside_the_rules() -> None:
    figures = trained().meta["cv"]["capabilities"]
    assert figures["rules_only"]["rows"] == figures["combined"]["rows"] == len(labelled())
    assert figures["combined"]["micro_f1"] >= figures["rules_only"]["micro_f1"]
    assert set(figures["combined"]["per_capability"]) == {capability.value for capability in Capability}


def test_the_chooser_keeps_good_rules_adds_what_they_miss_and_drops_what_they_overclaim() -> None:
    rows = 40
    positive = np.arange(rows) < 10
    decided = np.zeros(rows, dtype=bool)
    truth = np.zeros((rows, len(Capability)), dtype=bool)
    found = np.zeros_like(truth)
    chances = np.full(truth.shape, 0.01)
    columns = {capability: index for index, capability in enumerate(Capability)}
    # Rules right, model noisy: the rules stay alone.
    truth[:, columns[Capability.SECRETS]] = positive
    found[:, columns[Capability.SECRETS]] = positive
    chances[:, columns[Capability.SECRETS]] = np.linspace(0.0, 1.0, rows)
    # Rules blind, model sure: the model adds from the highest threshold that catches them all.
    truth[:, columns[MONEY]] = positive
    chances[positive, columns[MONEY]] = 0.97
    # Rules claim every row, model sure which: the model drops the rest.
    truth[:, columns[Capability.ADMIN]] = positive
    found[:, columns[Capability.ADMIN]] = True
    chances[positive, columns[Capability.ADMIN]] = 0.6
    policy = choose_capability_policy(truth, found, chances, decided, list(Capability))
    assert policy == CapabilityPolicy(
        ((MONEY, CapabilityRule(add_from=ADD_GRID[0])), (Capability.ADMIN, CapabilityRule(veto_below=VETO_GRID[0])))
    )
    # Without drops on offer the rules' over-claims stay.
    assert choose_capability_policy(truth, found, chances, decided, list(Capability), veto_grid=()) == CapabilityPolicy(
        ((MONEY, CapabilityRule(add_from=ADD_GRID[0])),)
    )
    # Where the rules decide alone the model is not run, so it has nothing to change there.
    assert choose_capability_policy(truth, found, chances, positive, list(Capability)) == CapabilityPolicy(
        ((Capability.ADMIN, CapabilityRule(veto_below=VETO_GRID[0])),)
    )


def test_the_policy_adds_and_drops_and_says_so() -> None:
    policy = CapabilityPolicy.from_meta(
        {"capability_policy": {"secrets": {"add_from": 0.7, "veto_below": 0.2}, "admin": {"add_from": None, "veto_below": 0.5}}}
    )
    chances = [0.0] * len(Capability)
    chances[list(Capability).index(Capability.SECRETS)] = 0.75
    chances[list(Capability).index(Capability.ADMIN)] = 0.3
    found = (Capability.ADMIN, Capability.FILESYSTEM)
    assert policy.decide(found, chances) == (
        (Capability.FILESYSTEM, Capability.SECRETS),
        ["model: 0.75 secrets", "model: 0.30 admin → dropped"],
    )
    assert policy.to_meta() == {
        "secrets": {"add_from": 0.7, "veto_below": 0.2},
        "admin": {"add_from": None, "veto_below": 0.5},
    }


@pytest.mark.parametrize(
    "recorded",
    [
        None,
        {"telepathy": {"add_from": 0.5, "veto_below": 0.0}},
        {"secrets": {"add_from": 0.5}},
        {"secrets": {"add_from": 0.3, "veto_below": 0.5}},
        {"secrets": {"add_from": 1.5, "veto_below": 0.0}},
    ],
)
def test_a_missing_or_malformed_capability_policy_is_refused(recorded: object) -> None:
    meta = {} if recorded is None else {"capability_policy": recorded}
    with pytest.raises(ClassifierError, match="capability_policy"):
        CapabilityPolicy.from_meta(meta)


def test_the_shipped_combination_beats_the_rules_on_capabilities_under_cross_validation() -> None:
    meta_path = Path(__file__).resolve().parents[2] / "data" / "model" / META_FILE
    if not meta_path.is_file():
        pytest.skip("no model is shipped")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    figures = meta["cv"]["capabilities"]
    assert figures["rules_only"]["rows"] == figures["combined"]["rows"] == meta["rows"]
    rules_only, combined = figures["rules_only"]["micro_f1"], figures["combined"]["micro_f1"]
    # Measured at training time on 1,796 rows: rules 0.671, the combination 0.720 (thresholds
    # chosen on the same folds; `catalog classifier eval`'s nested CV gives 0.721 against 0.671).
    assert rules_only >= 0.6
    assert combined >= max(0.70, rules_only + 0.03)
    assert CapabilityPolicy.from_meta(meta).rules, "the model should change at least one capability"
