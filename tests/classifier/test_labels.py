"""The labelled data under data/labels/: format, taxonomy, coverage, provenance, own words and consistency."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from catalog.paths import data_dir
from catalog.records import Access, Capability
from scripts.labels.check_labels import HAND_FIELDS, WEAK_FIELDS, problems
from scripts.labels.weak import docker_rows, weak_access

REPO = Path(__file__).resolve().parents[2]
LABELS = data_dir() / "labels"
HINT_NAMES = {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}


def load(kind: str) -> list[dict[str, Any]]:
    rows = []
    for path in sorted((LABELS / kind).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rows.append(json.loads(line))
    return rows


def shared_data() -> Path:
    return Path(os.environ.get("CATALOG_SHARED_DATA", str(REPO.parent / "shared" / "data")))


def test_every_label_file_parses_as_one_json_object_per_line() -> None:
    files = sorted(LABELS.glob("*/*.jsonl"))
    assert len(files) >= 40
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert isinstance(json.loads(line), dict), f"{path.name}:{number}"


def test_ids_are_unique_across_hand_and_weak_rows() -> None:
    ids = [row["id"] for row in load("hand") + load("weak")]
    assert [item for item, count in Counter(ids).items() if count > 1] == []


def test_hand_rows_have_exactly_the_documented_fields_and_types() -> None:
    for row in load("hand"):
        assert set(row) == set(HAND_FIELDS), row["id"]
        assert isinstance(row["name"], str) and row["name"], row["id"]
        assert isinstance(row["description"], str), row["id"]
        assert all(isinstance(spec.get("type"), str) for spec in row["params"].values()), row["id"]
        assert row["id"].startswith(row["domain"] + "-"), row["id"]


def test_weak_rows_have_exactly_the_documented_fields() -> None:
    for row in load("weak"):
        assert set(row) - {"title"} == set(WEAK_FIELDS), row["id"]


def test_labels_and_capabilities_come_from_the_taxonomy() -> None:
    accesses = {member.value for member in Access}
    capabilities = {member.value for member in Capability}
    for row in load("hand"):
        assert row["access"] in accesses, row["id"]
        assert set(row["capabilities"]) <= capabilities, row["id"]
        assert row["capabilities"] == sorted(set(row["capabilities"])), row["id"]
        assert set(row["hints"]) <= HINT_NAMES, row["id"]
        assert all(isinstance(value, bool) for value in row["hints"].values()), row["id"]
    for row in load("weak"):
        assert row["access"] in accesses, row["id"]


def test_hand_set_covers_at_least_forty_domains_and_fifteen_hundred_tools() -> None:
    rows = load("hand")
    domains = Counter(row["domain"] for row in rows)
    assert len(rows) >= 1500
    assert len(domains) >= 40
    assert min(domains.values()) >= 10


def test_hand_set_is_roughly_balanced_between_classes() -> None:
    rows = load("hand")
    share = {
        access: count / len(rows) for access, count in Counter(r["access"] for r in rows).items()
    }
    assert 0.38 <= share["read"] <= 0.52
    assert 0.30 <= share["write"] <= 0.42
    assert 0.16 <= share["destructive"] <= 0.26


def test_every_row_names_its_provenance() -> None:
    for row in load("hand"):
        assert row["provenance"]["source"] == "hand", row["id"]
        assert row["provenance"]["author"], row["id"]
    for row in load("weak"):
        source = row["provenance"]["source"]
        if source == "docker-mcp-catalog":
            assert set(row["provenance"]) == {"source", "server", "commit"}, row["id"]
        else:
            assert source == "live", row["id"]
            assert row["provenance"]["package"].startswith(("npm:", "pypi:")), row["id"]
            assert row["provenance"]["listed_at"], row["id"]


def test_hand_descriptions_are_written_in_our_own_words() -> None:
    real = {
        row["description"].strip().lower() for row in load("weak") if row["description"].strip()
    }
    docker = shared_data() / "docker-mcp-catalog"
    if docker.is_dir():
        for path in docker.glob("*.json"):
            for tool in json.loads(path.read_text(encoding="utf-8")):
                if (tool.get("description") or "").strip():
                    real.add(tool["description"].strip().lower())
    copied = [row["id"] for row in load("hand") if row["description"].strip().lower() in real]
    assert copied == []


def test_same_definition_always_gets_the_same_label() -> None:
    labels: dict[str, set[tuple[str, tuple[str, ...]]]] = defaultdict(set)
    for row in load("hand"):
        key = json.dumps([row["name"], row["description"], row["params"]], sort_keys=True)
        labels[key].add((row["access"], tuple(row["capabilities"])))
    assert {key: found for key, found in labels.items() if len(found) > 1} == {}


def test_misleading_hints_are_present_and_labels_follow_behaviour_not_hints() -> None:
    rows = load("hand")
    disagreeing = [
        row for row in rows if (weak_access(row["hints"]) or (row["access"],))[0] != row["access"]
    ]
    assert len(disagreeing) >= 0.03 * len(rows)
    assert all("mislead" in row["provenance"].get("note", "").lower() for row in disagreeing)


def test_hard_cases_are_labelled_by_the_taxonomy() -> None:
    by_name = {row["name"]: row for row in load("hand")}
    expected = {
        "redis_getdel": "destructive",
        "fetch_and_purge": "destructive",
        "read_once_message": "destructive",
        "db_get_or_create_schema": "write",
        "run_query": "destructive",
        "execute_sql": "destructive",
        "select_rows": "read",
        "archive_channel": "write",
        "revoke_api_key": "destructive",
        "git_reset_hard": "destructive",
        "git_force_push": "destructive",
        "close_ticket": "write",
        "cancel_subscription": "write",
        "create_refund": "write",
        "gh_merge_pull_request": "write",
        "dry_run_deploy": "read",
        "list_deleted_objects": "read",
        "restore_record": "write",
        "undo_last_change": "write",
        "terraform_apply": "destructive",
        "terraform_plan": "read",
        "send_email": "write",
        "execute_shell": "destructive",
        "empty_trash": "destructive",
        "export_all_contacts": "read",
        "rotate_api_key": "destructive",
        "rotate_secret": "write",
        "assign_role": "write",
    }
    assert {name: by_name[name]["access"] for name in expected} == expected
    assert set(by_name["execute_shell"]["capabilities"]) == {"executes-code"}
    assert set(by_name["send_email"]["capabilities"]) == {"sends-messages"}
    assert set(by_name["create_refund"]["capabilities"]) == {"moves-money"}
    assert set(by_name["export_all_contacts"]["capabilities"]) == {"personal-data"}


@pytest.mark.parametrize(
    ("hints", "expected"),
    [
        ({"readOnlyHint": True}, ("read", "readOnlyHint=true")),
        ({"readOnlyHint": True, "destructiveHint": True}, ("read", "readOnlyHint=true")),
        (
            {"readOnlyHint": False, "destructiveHint": False},
            ("write", "readOnlyHint=false,destructiveHint=false"),
        ),
        ({"readOnlyHint": False, "destructiveHint": True}, ("destructive", "destructiveHint=true")),
        ({"destructiveHint": True}, ("destructive", "destructiveHint=true")),
        ({"readOnlyHint": False}, None),
        ({"destructiveHint": False}, None),
        ({"idempotentHint": True, "openWorldHint": False}, None),
        ({}, None),
    ],
)
def test_weak_label_rule(hints: dict[str, bool], expected: tuple[str, str] | None) -> None:
    assert weak_access(hints) == expected


def test_every_weak_row_carries_the_label_its_hints_give() -> None:
    for row in load("weak"):
        assert weak_access(row["hints"]) == (row["access"], row["weak_rule"]), row["id"]


def test_weak_set_has_enough_real_servers_and_destructive_tools() -> None:
    rows = load("weak")
    servers = {row["provenance"].get("package") or row["server"] for row in rows}
    assert len(rows) >= 300
    assert len(servers) >= 15
    assert sum(row["access"] == "destructive" for row in rows) >= 60


def test_docker_weak_file_matches_a_fresh_derivation_from_the_recorded_lists() -> None:
    docker = shared_data() / "docker-mcp-catalog"
    if not docker.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing at {docker}")
        pytest.skip("shared docker-mcp-catalog data not available")
    rows, skipped = docker_rows(docker)
    stored = [
        json.loads(line)
        for line in (LABELS / "weak" / "docker-mcp-catalog.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    assert rows == stored
    assert (len(rows), skipped) == (20, 702)


def test_checker_finds_no_problem_in_the_shipped_files() -> None:
    assert problems(LABELS) == []


def test_checker_reports_a_broken_row(tmp_path: Path) -> None:
    (tmp_path / "hand").mkdir()
    (tmp_path / "weak").mkdir()
    row = {
        "id": "x-1",
        "domain": "x",
        "name": "n",
        "description": "",
        "params": {},
        "hints": {},
        "access": "maybe",
        "capabilities": ["teleports"],
        "provenance": {"source": "hand"},
    }
    (tmp_path / "hand" / "x.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert problems(tmp_path) == [
        "x.jsonl:1: access 'maybe'",
        "x.jsonl:1: capabilities ['teleports']",
    ]
