"""Golden policies: every dialect × profile over a fixture catalog covering every access class and capability.

Regenerate with `CATALOG_REGEN_GOLDEN=1 pytest tests/catalog/test_policy_golden.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.policy import Format, recommend
from catalog.policy_intercept import validate as intercept_problems
from catalog.policy_policylayer import problems as policylayer_problems
from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Location,
    LocationKind,
    Risk,
    StoredTool,
    ToolRecord,
)

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "policy"
NOW = datetime(2026, 11, 24, tzinfo=UTC)
SUFFIX = {Format.POLICYLAYER: "policylayer.json", Format.INTERCEPT: "intercept.yaml", Format.CLAUDE_CODE: "claude-code.json"}


def tool(name: str, access: Access, risk: Risk, caps: tuple[Capability, ...], props: dict[str, Any],
         required: tuple[str, ...] = (), description: str = "") -> StoredTool:
    category = {Access.READ: Category.READ, Access.WRITE: Category.WRITE}.get(access, Category.DESTRUCTIVE)
    if Capability.EXECUTES_CODE in caps:
        category = Category.EXECUTE
    if Capability.MOVES_MONEY in caps:
        category = Category.FINANCIAL
    verdict = Classification(access=access, risk=risk, category=category, capabilities=tuple(sorted(caps)),
                             confidence=0.9, reasons=("fixture",), classifier_version="fixture-1")
    record = ToolRecord(
        server_key="local:fixture", name=name, description=description or f"The {name} tool.",
        input_schema={"type": "object", "properties": props, "required": list(required)},
        location=Location(kind=LocationKind.STATIC, file="src/tools.ts", line=1),
    )
    return StoredTool(tool=record, classification=verdict, server_name="fixture server", first_seen=NOW, last_seen=NOW)


S, B, N = {"type": "string"}, {"type": "boolean"}, {"type": "integer"}
R, W, D = Access.READ, Access.WRITE, Access.DESTRUCTIVE
C = Capability

CATALOG = [
    tool("list_notes", R, Risk.LOW, (), {"limit": N}),
    tool("read_secret", R, Risk.MEDIUM, (C.SECRETS,), {"name": S}, ("name",)),
    tool("export_contacts", R, Risk.MEDIUM, (C.PERSONAL_DATA,), {}),
    tool("fetch_url", R, Risk.MEDIUM, (C.NETWORK_EGRESS,), {"url": S}, ("url",)),
    tool("read_file", R, Risk.LOW, (C.FILESYSTEM,), {"path": S, "recursive": B}, ("path",)),
    tool("query_db", R, Risk.HIGH, (C.EXECUTES_CODE,), {"sql": S}, ("sql",)),
    tool("create_note", W, Risk.MEDIUM, (), {"title": S, "body": S}, ("title",)),
    tool("write_file", W, Risk.MEDIUM, (C.FILESYSTEM,), {"filePath": S, "content": S, "overwrite": B},
         ("filePath", "content")),
    tool("move_file", W, Risk.MEDIUM, (C.FILESYSTEM,), {"source": S, "destination": S}, ("source", "destination")),
    tool("run_query", W, Risk.HIGH, (C.EXECUTES_CODE,), {"query": {"type": "string", "description": "SQL to run"}},
         ("query",), "Run a SQL statement against the database."),
    tool("send_email", W, Risk.HIGH, (C.SENDS_MESSAGES,), {"to": S, "cc": S, "subject": S}, ("to", "subject")),
    tool("post_message", W, Risk.HIGH, (C.SENDS_MESSAGES,), {"channel": S, "recipients": {"type": "array"}}),
    tool("grant_role", W, Risk.HIGH, (C.ADMIN,), {"user": S, "role": S}, ("user", "role")),
    tool("create_charge", W, Risk.CRITICAL, (C.MOVES_MONEY,), {"amount": N, "quantity": N, "currency": S},
         ("amount", "currency")),
    tool("delete_repo", D, Risk.CRITICAL, (), {"name": S, "force": B, "confirm": B}, ("name",)),
    tool("run_shell", D, Risk.CRITICAL, (C.EXECUTES_CODE,), {"command": S}, ("command",)),
]

CASES: list[tuple[str, Format, str | None]] = [(profile, fmt, None) for profile in ("strict", "balanced", "permissive") for fmt in Format]
CASES += [("balanced", Format.POLICYLAYER, "/srv/data"), ("balanced", Format.INTERCEPT, "/srv/data")]


def golden_name(profile: str, fmt: Format, root: str | None) -> str:
    return f"{profile}{'-root' if root else ''}.{SUFFIX[fmt]}"


def test_fixture_catalog_covers_every_access_class_and_capability() -> None:
    verdicts = [t.classification for t in CATALOG if t.classification is not None]

    assert {v.access for v in verdicts} == set(Access)
    assert {c for v in verdicts for c in v.capabilities} == set(Capability)


@pytest.mark.parametrize(("profile", "fmt", "root"), CASES, ids=[golden_name(*case) for case in CASES])
def test_policy_matches_its_golden_file(profile: str, fmt: Format, root: str | None) -> None:
    text = recommend(CATALOG, profile=profile, format=fmt, indent=2, root=root) + "\n"
    path = GOLDEN / golden_name(profile, fmt, root)

    if os.environ.get("CATALOG_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.policylayer.json")), ids=lambda p: p.name)
def test_every_policylayer_golden_validates_against_the_shipped_schema(path: Path) -> None:
    assert policylayer_problems(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.intercept.yaml")), ids=lambda p: p.name)
def test_every_intercept_golden_parses_and_has_intercepts_structure(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))

    assert intercept_problems(document) == []
    assert set(document) <= {"version", "description", "default", "hide", "tools"}
    assert (document["version"], document["default"]) == ("1", "deny")
    for name, entry in document["tools"].items():
        assert list(entry) == ["rules"], name
        for rule in entry["rules"]:
            assert rule["name"] and set(rule) <= {"name", "action", "rate_limit", "conditions", "on_deny", "state"}
            assert rule.get("action", "evaluate") in {"evaluate", "deny"}


def test_every_tool_is_either_hidden_or_listed_exactly_once() -> None:
    names = sorted(t.tool.name for t in CATALOG)
    for profile in ("strict", "balanced", "permissive"):
        document = json.loads(recommend(CATALOG, profile=profile))

        assert sorted([*document.get("hide", []), *document["tools"]]) == names


def test_strict_hides_the_riskiest_and_permissive_hides_only_destructive_tools() -> None:
    strict = json.loads(recommend(CATALOG, profile="strict"))
    permissive = json.loads(recommend(CATALOG, profile="permissive"))

    assert strict["hide"] == ["create_charge", "delete_repo", "run_shell"]
    assert permissive["hide"] == ["delete_repo"]
    assert permissive["tools"]["run_shell"]["limits"][0]["max"] == 10  # Execute wins over Destructive, as in PolicyLayer
