"""The reviewed labels of the weak rows (data/labels/review/weak.jsonl): coverage, format, loader, checker."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from catalog.errors import ClassifierError
from catalog.paths import data_dir
from catalog.records import Access, Capability
from classifier.dataset import REVIEW, REVIEW_FILE, WEAK, load_labels, load_reviewed, without_hints
from scripts.labels.check_labels import main, problems, review_problems, review_stats

LABELS = data_dir() / "labels"
REVIEW_PATH = LABELS / REVIEW / REVIEW_FILE
FIELDS = {"id", "server", "name", "hint_access", "access", "capabilities", "ambiguous", "provenance"}


def weak_rows() -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((LABELS / WEAK).glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def reviewed_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in REVIEW_PATH.read_text(encoding="utf-8").splitlines()]


def test_every_weak_row_is_reviewed_once_in_the_order_of_the_weak_files() -> None:
    weak, reviewed = weak_rows(), reviewed_rows()
    assert len(reviewed) == len(weak) == 4621
    assert [row["id"] for row in reviewed] == [row["id"] for row in weak]
    assert [(row["server"], row["name"]) for row in reviewed] == [(row["server"], row["name"]) for row in weak]


def test_each_review_row_names_the_label_its_hints_gave() -> None:
    assert [row["hint_access"] for row in reviewed_rows()] == [row["access"] for row in weak_rows()]


def test_review_rows_have_the_documented_fields_and_provenance() -> None:
    for row in reviewed_rows():
        assert set(row) - {"reason"} == FIELDS, row["id"]
        assert isinstance(row["ambiguous"], bool), row["id"]
        # Sessions 2-5 reviewed on 2026-11-24; the fifth fresh set was reviewed on 2026-11-25.
        assert row["provenance"] == {
            "source": "review",
            "reviewer": "catalog-team",
            "reviewed_at": row["provenance"]["reviewed_at"],
            "basis": "issue 5 taxonomy and data/labels/README.md rules",
        }
        assert row["provenance"]["reviewed_at"] in {"2026-11-24", "2026-11-25"}, row["id"]


def test_every_disagreement_and_every_ambiguous_row_gives_a_reason() -> None:
    unexplained = [
        row["id"]
        for row in reviewed_rows()
        if (row["access"] != row["hint_access"] or row["ambiguous"]) and len(row.get("reason", "").strip()) < 20
    ]
    assert unexplained == []


def test_reviewed_access_and_capabilities_come_from_the_taxonomy_sorted() -> None:
    accesses = {member.value for member in Access}
    capabilities = {member.value for member in Capability}
    for row in reviewed_rows():
        assert row["access"] in accesses, row["id"]
        assert set(row["capabilities"]) <= capabilities, row["id"]
        assert row["capabilities"] == sorted(set(row["capabilities"])), row["id"]


def test_review_counts_agreements_disagreements_and_ambiguous_rows() -> None:
    stats = review_stats(LABELS)
    assert (stats["rows"], stats["agree"], stats["ambiguous"]) == (4621, 4022, 152)
    assert stats["disagree"] == {
        "read→write": 8,
        "read→destructive": 3,
        "write→read": 15,
        "write→destructive": 30,
        "destructive→read": 19,
        "destructive→write": 524,
    }
    assert stats["access"] == Counter({"read": 2632, "write": 1429, "destructive": 560})
    assert stats["capabilities"]["filesystem"] == 197
    assert stats["capabilities"]["executes-code"] == 59


def test_hard_cases_are_reviewed_by_the_taxonomy_not_the_hints() -> None:
    by_key = {(row["server"], row["name"]): row for row in reviewed_rows()}
    expected = {
        ("playwright", "browser_click"): ("destructive", "write", []),
        ("playwright", "browser_hover"): ("destructive", "read", []),
        ("playwright", "browser_navigate"): ("destructive", "write", ["network-egress"]),
        ("playwright", "browser_evaluate"): ("destructive", "destructive", ["executes-code", "filesystem"]),
        ("notion", "API-post-search"): ("destructive", "read", []),
        ("notion", "API-delete-a-block"): ("destructive", "write", []),
        ("circleci", "find_flaky_tests"): ("destructive", "read", []),
        ("circleci", "run_pipeline"): ("destructive", "destructive", ["executes-code"]),
        ("kubernetes", "kubectl_scale"): ("destructive", "write", []),
        ("kubernetes", "kubectl_context"): ("read", "write", []),
        ("filesystem", "write_file"): ("destructive", "write", ["filesystem"]),
        ("excel", "create_chart"): ("destructive", "write", ["filesystem"]),
        ("firecrawl", "firecrawl_interact"): ("write", "destructive", ["executes-code", "network-egress"]),
        ("mongodb", "update-many"): ("destructive", "write", []),
        ("neo4j-cypher", "read_neo4j_cypher"): ("read", "read", ["executes-code"]),
        ("everything", "get-env"): ("read", "read", ["secrets"]),
        ("linear", "linear_archiveIssue"): ("destructive", "write", []),
        ("linear", "linear_deleteInitiative"): ("destructive", "write", []),
        ("linear", "linear_removeUserFromTeam"): ("write", "destructive", ["admin"]),
        ("linear", "linear_rotateWebhookSecret"): ("destructive", "destructive", ["secrets"]),
        ("linear", "linear_createOAuthClientCredentialsToken"): ("write", "destructive", ["secrets"]),
        ("pinecone", "upsert-records"): ("destructive", "write", []),
        ("linear", "linear_removeIssueFromProject"): ("write", "write", []),
        ("google-workspace", "manage_contact"): ("destructive", "destructive", ["personal-data"]),
        ("google-workspace", "send_gmail_message"): ("destructive", "write", ["sends-messages"]),
        ("digitalocean", "shutdown-droplet"): ("write", "write", []),
        ("digitalocean", "rebuild-droplet"): ("destructive", "destructive", []),
        ("digitalocean", "doks-get-kubeconfig"): ("read", "read", ["secrets"]),
        ("monday", "all_api_write"): ("destructive", "destructive", ["executes-code"]),
        ("shortcut", "stories-remove-subtask"): ("destructive", "write", []),
        ("line-bot", "broadcast_text_message"): ("destructive", "write", ["sends-messages"]),
        ("postman", "getEnvironment"): ("read", "read", ["secrets"]),
        ("neo4j-aura", "update_instance_memory"): ("destructive", "write", []),
        ("gitlab", "delete_issue_link"): ("destructive", "write", []),
        ("atlassian", "jira_remove_issue_link"): ("destructive", "write", []),
        ("atlassian", "confluence_delete_page"): ("destructive", "write", []),
        ("atlassian", "confluence_delete_attachment"): ("destructive", "destructive", []),
        ("plane", "label"): ("destructive", "destructive", []),
        ("plane", "workspace"): ("write", "write", []),
        ("mlflow", "delete_run"): ("destructive", "write", []),
        ("mlflow", "delete_model_version"): ("destructive", "destructive", []),
        ("grafana", "grafana_api_request"): ("destructive", "destructive", ["executes-code"]),
        ("grafana", "alerting_manage_routing"): ("read", "read", []),
        ("infisical", "get-secret"): ("read", "read", ["secrets"]),
        ("brightdata", "scraping_browser_scroll"): ("destructive", "read", []),
        ("brightdata", "scraping_browser_navigate"): ("destructive", "write", ["network-egress"]),
        ("unity", "find_gameobjects"): ("write", "read", []),
        ("unity", "manage_animation"): ("destructive", "write", []),
        ("unity", "manage_gameobject"): ("destructive", "destructive", []),
        ("unity", "run_tests"): ("destructive", "destructive", ["executes-code"]),
        ("unity", "apply_text_edits"): ("destructive", "write", ["filesystem"]),
        ("anki", "anki_rename_deck"): ("destructive", "write", []),
        ("anki", "anki_delete_deck"): ("destructive", "destructive", []),
        ("task-master", "set_task_status"): ("destructive", "write", []),
    }
    found = {key: (by_key[key]["hint_access"], by_key[key]["access"], by_key[key]["capabilities"]) for key in expected}
    assert found == expected


def test_loader_gives_the_weak_tools_with_reviewed_labels_and_their_hints() -> None:
    weak = load_labels(LABELS / WEAK)
    reviewed = load_reviewed(REVIEW_PATH, LABELS / WEAK)
    assert [row.id for row in reviewed] == [row.id for row in weak]
    assert [row.record for row in reviewed] == [row.record for row in weak]
    by_id = {row.id: row for row in reviewed}
    click = by_id["live-playwright-browser_click"]
    assert (click.access, click.capabilities, click.source) == (Access.WRITE, frozenset(), "review/weak.jsonl:3956")
    assert click.record.hints.destructive is True
    assert without_hints([click])[0].record.hints.declared() == {}
    assert sum(row.access is Access.DESTRUCTIVE for row in reviewed) == 560
    assert all(row.capabilities is not None for row in reviewed)


WEAK_ROWS = [
    {"id": "w-1", "server": "s", "name": "list_things", "description": "Lists things.", "hints": {"readOnlyHint": True}, "access": "read"},
    {"id": "w-2", "server": "s", "name": "click", "description": "Clicks.", "hints": {"destructiveHint": True}, "access": "destructive"},
    {"id": "w-3", "server": "s", "name": "rm", "description": "Removes a file.", "hints": {"destructiveHint": True}, "access": "destructive"},
]


def review_row(row_id: str, hint: str, access: str, capabilities: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    name = next((row["name"] for row in WEAK_ROWS if row["id"] == row_id), row_id)
    return {
        "id": row_id, "server": "s", "name": name, "hint_access": hint, "access": access,
        "capabilities": capabilities or [], "ambiguous": False, "provenance": {"source": "review"}, **extra,
    }


GOOD_REVIEW = [
    review_row("w-1", "read", "read"),
    review_row("w-2", "destructive", "write", reason="a click is an interaction, write"),
    review_row("w-3", "destructive", "destructive", ["filesystem"]),
]


def write_tree(root: Path, review_lines: list[str]) -> tuple[Path, Path]:
    (root / "weak").mkdir(parents=True)
    (root / "weak" / "s.jsonl").write_text("".join(json.dumps(row) + "\n" for row in WEAK_ROWS), encoding="utf-8")
    (root / "review").mkdir()
    review = root / "review" / "weak.jsonl"
    review.write_text("".join(line + "\n" for line in review_lines), encoding="utf-8")
    return review, root / "weak"


def test_loader_replaces_access_and_capabilities_and_keeps_the_weak_order(tmp_path: Path) -> None:
    lines = [json.dumps(row) for row in reversed(GOOD_REVIEW)]
    review, weak = write_tree(tmp_path, lines)
    rows = load_reviewed(review, weak)
    assert [(row.id, row.access, row.capabilities, row.source) for row in rows] == [
        ("w-1", Access.READ, frozenset(), "review/weak.jsonl:3"),
        ("w-2", Access.WRITE, frozenset(), "review/weak.jsonl:2"),
        ("w-3", Access.DESTRUCTIVE, frozenset({Capability.FILESYSTEM}), "review/weak.jsonl:1"),
    ]
    assert rows[1].record.name == "click" and rows[1].record.hints.destructive is True


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["not json"], r"review/weak.jsonl:1: not JSON"),
        (["[1, 2]"], r"review/weak.jsonl:1: a row must be a JSON object"),
        ([json.dumps(review_row("w-9", "read", "read"))], r"review/weak.jsonl:1: id 'w-9' is not a weak row"),
        (
            [json.dumps(GOOD_REVIEW[0]), json.dumps(GOOD_REVIEW[0])],
            r"review/weak.jsonl:2: id 'w-1' already reviewed at review/weak.jsonl:1",
        ),
        (
            [json.dumps(review_row("w-2", "write", "write"))],
            r"review/weak.jsonl:1: hint_access 'write' is not the weak label 'destructive' of w-2 \(s.jsonl:2\)",
        ),
        ([json.dumps(review_row("w-1", "read", "maybe"))], r"review/weak.jsonl:1: `access` must be read, write or destructive"),
        (
            [json.dumps(review_row("w-1", "read", "read", ["teleports"]))],
            r"review/weak.jsonl:1: 'teleports' is not a valid Capability",
        ),
        (
            [json.dumps({**GOOD_REVIEW[0], "capabilities": None})],
            r"review/weak.jsonl:1: `capabilities` must be a list",
        ),
        (
            [json.dumps(GOOD_REVIEW[0])],
            r"review/weak.jsonl: weak row 'w-2' \(s.jsonl:2\) is not reviewed \(and 1 more\)",
        ),
    ],
)
def test_a_bad_review_is_an_error_naming_the_line(tmp_path: Path, lines: list[str], message: str) -> None:
    review, weak = write_tree(tmp_path, lines)
    with pytest.raises(ClassifierError, match=message):
        load_reviewed(review, weak)


def test_loader_without_a_review_file_is_one_clear_error(tmp_path: Path) -> None:
    _, weak = write_tree(tmp_path, [])
    with pytest.raises(ClassifierError, match="no review file at"):
        load_reviewed(tmp_path / "review" / "missing.jsonl", weak)


def test_checker_finds_no_problem_in_the_shipped_review() -> None:
    assert review_problems(LABELS) == []
    assert problems(LABELS) == []


def test_checker_reports_each_broken_review_row(tmp_path: Path) -> None:
    rows = [
        {**GOOD_REVIEW[0], "capabilities": ["secrets", "admin"]},
        review_row("w-2", "destructive", "write"),
        review_row("w-9", "write", "sideways", provenance={"source": "hand"}),
        GOOD_REVIEW[2],
    ]
    write_tree(tmp_path, [json.dumps(row) for row in rows])
    assert review_problems(tmp_path) == [
        "review/weak.jsonl:1: capabilities ['secrets', 'admin'] (taxonomy names, sorted, once each)",
        "review/weak.jsonl:2: a disagreement or ambiguous row needs a reason",
        "review/weak.jsonl:3: reviews w-9, expected weak row w-3",
        "review/weak.jsonl:3: hint_access 'write', weak label 'destructive'",
        "review/weak.jsonl:3: access 'sideways'",
        "review/weak.jsonl:3: a disagreement or ambiguous row needs a reason",
        "review/weak.jsonl:3: provenance source must be 'review'",
        "review/weak.jsonl:4: extra row w-3",
    ]


def test_checker_reports_missing_rows_and_fields(tmp_path: Path) -> None:
    incomplete = {key: value for key, value in GOOD_REVIEW[0].items() if key != "ambiguous"}
    write_tree(tmp_path, [json.dumps({**incomplete, "note": "x"})])
    assert review_problems(tmp_path) == [
        "review/weak.jsonl:1: fields ['ambiguous', 'note'] missing or unknown",
        "review/weak.jsonl: weak row w-2 not reviewed",
        "review/weak.jsonl: weak row w-3 not reviewed",
    ]


def test_checker_prints_the_review_counts_in_its_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--markdown"]) == 0
    printed = capsys.readouterr().out
    assert "| review of weak labels (hint → reviewed) | rows |" in printed
    assert "| agree | 4022 |\n| read→write | 8 |\n| read→destructive | 3 |\n| write→read | 15 |\n" in printed
    assert "| write→destructive | 30 |\n| destructive→read | 19 |\n| destructive→write | 524 |\n| **all** | 4621 |\n" in printed
    assert "| of which marked ambiguous | 152 |" in printed
