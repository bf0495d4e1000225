"""Claude Code permissions: naming, which list each action lands in, and merging into a settings.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catalog.errors import ConfigError
from catalog.policy import ClaudeCodeJSON, load_profile, recommend
from catalog.policy_claude import mcp_name, merge_settings, problems
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

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def stored(name: str, access: Access, risk: Risk, *caps: Capability, props: dict[str, object] | None = None) -> StoredTool:
    verdict = Classification(access=access, risk=risk, category=Category.WRITE, capabilities=tuple(sorted(caps)),
                             confidence=0.9, classifier_version="t")
    tool = ToolRecord(server_key="npm:@acme/files", name=name, location=Location(kind=LocationKind.LIVE),
                      input_schema={"type": "object", "properties": props or {}})
    return StoredTool(tool=tool, classification=verdict, server_name="@acme/files", first_seen=NOW, last_seen=NOW)


TOOLS = [
    stored("list", Access.READ, Risk.LOW),
    stored("read", Access.READ, Risk.LOW, Capability.FILESYSTEM, props={"path": {"type": "string"}}),
    stored("write", Access.WRITE, Risk.MEDIUM),
    stored("wipe", Access.DESTRUCTIVE, Risk.CRITICAL),
]


def test_names_are_normalised_as_claude_code_writes_them() -> None:
    assert [mcp_name("@acme/files"), mcp_name("my server.v2"), mcp_name("ok_name-1")] == [
        "_acme_files", "my_server_v2", "ok_name-1"
    ]


def test_throttled_or_guarded_tools_ask_and_hidden_ones_are_denied() -> None:
    document = json.loads(recommend(TOOLS, format="claude-code"))

    assert document == {"permissions": {
        "allow": ["mcp___acme_files__list"],
        "ask": ["mcp___acme_files__read", "mcp___acme_files__write"],
        "deny": ["mcp___acme_files__wipe"],
    }}


@pytest.mark.parametrize("value", ["files", "npm:@acme/files=files"])
def test_mcp_name_renames_the_server_in_every_rule(value: str) -> None:
    document = json.loads(recommend(TOOLS, format="claude-code", mcp_names=[value]))

    assert document == {"permissions": {
        "allow": ["mcp__files__list"],
        "ask": ["mcp__files__read", "mcp__files__write"],
        "deny": ["mcp__files__wipe"],
    }}


def test_mcp_name_pairs_rename_only_their_own_server() -> None:
    other = StoredTool(
        tool=TOOLS[0].tool.model_copy(update={"server_key": "pypi:acme-git", "name": "log"}),
        classification=TOOLS[0].classification, server_name="acme-git", first_seen=NOW, last_seen=NOW,
    )
    document = json.loads(recommend([*TOOLS[:1], other], format="claude-code", mcp_names=["pypi:acme-git=git"]))

    assert document["permissions"]["allow"] == ["mcp___acme_files__list", "mcp__git__log"]


@pytest.mark.parametrize(
    ("tools", "values", "message"),
    [
        (TOOLS, ["npm:@other/x=x"], "--mcp-name: server 'npm:@other/x' is not in this policy (npm:@acme/files)"),
        (TOOLS, ["npm:@acme/files="], "--mcp-name 'npm:@acme/files=' gives an empty name"),
        (TOOLS, ["a", "b"], "--mcp-name gives server 'npm:@acme/files' two names: 'a' and 'b'"),
    ],
)
def test_a_bad_mcp_name_is_one_clear_error(tools: list[StoredTool], values: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        recommend(tools, format="claude-code", mcp_names=values)
    assert str(caught.value) == message


def test_a_bare_mcp_name_needs_a_single_server_and_the_claude_code_format() -> None:
    other = StoredTool(
        tool=TOOLS[0].tool.model_copy(update={"server_key": "pypi:acme-git", "name": "log"}),
        classification=TOOLS[0].classification, server_name="acme-git", first_seen=NOW, last_seen=NOW,
    )
    with pytest.raises(ConfigError, match="names one server but the policy covers 2; use KEY=NAME"):
        recommend([*TOOLS, other], format="claude-code", mcp_names=["files"])
    with pytest.raises(ConfigError, match="--mcp-name only applies to --format claude-code"):
        recommend(TOOLS, format="policylayer", mcp_names=["files"])


def test_merge_keeps_other_keys_and_rules_and_our_verdict_wins(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({
        "env": {"DEBUG": "1"},
        "permissions": {"allow": ["Bash(ls)", "mcp___acme_files__wipe"], "defaultMode": "acceptEdits"},
        "hooks": {},
    }), encoding="utf-8")

    merged = json.loads(ClaudeCodeJSON(merge=settings).render(TOOLS, load_profile("balanced")))

    assert merged == {
        "env": {"DEBUG": "1"},
        "permissions": {
            "allow": ["Bash(ls)", "mcp___acme_files__list"],
            "defaultMode": "acceptEdits",
            "ask": ["mcp___acme_files__read", "mcp___acme_files__write"],
            "deny": ["mcp___acme_files__wipe"],
        },
        "hooks": {},
    }
    assert json.loads(settings.read_text(encoding="utf-8"))["permissions"]["allow"][1] == "mcp___acme_files__wipe"


def test_merging_twice_changes_nothing() -> None:
    ours = {"allow": ["mcp__s__a"], "ask": ["mcp__s__b"], "deny": []}

    once = merge_settings({"permissions": {"deny": ["Bash(rm:*)"]}}, ours)

    assert merge_settings(once, ours) == once == {
        "permissions": {"deny": ["Bash(rm:*)"], "allow": ["mcp__s__a"], "ask": ["mcp__s__b"]}
    }


def test_missing_settings_file_merges_into_an_empty_one(tmp_path: Path) -> None:
    merged = json.loads(ClaudeCodeJSON(merge=tmp_path / "none.json").render(TOOLS[:1], load_profile("balanced")))

    assert merged == {"permissions": {"allow": ["mcp___acme_files__list"]}}


@pytest.mark.parametrize(
    ("content", "message"),
    [("{oops", "is not JSON"), ("[1]", "must hold a JSON object"), ('{"permissions": []}', "'permissions' must be an object"),
     ('{"permissions": {"allow": "x"}}', "'permissions.allow' must be a list of strings")],
)
def test_a_settings_file_we_cannot_merge_into_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError, match=message):
        ClaudeCodeJSON(merge=settings).render(TOOLS, load_profile("balanced"))


def test_checks_flag_rules_claude_code_would_ignore_or_contradict() -> None:
    document = {"permissions": {"allow": ["mcp__s__t", "mcp__*", "mcp__s__t(x)"], "deny": ["mcp__s__t"], "ask": 3}}

    assert problems(document) == [
        "permissions/allow/1: 'mcp__*' is not mcp__<server> or mcp__<server>__<tool> "
        "(MCP rules take no arguments; Claude Code skips such rules)",
        "permissions/allow/2: 'mcp__s__t(x)' is not mcp__<server> or mcp__<server>__<tool> "
        "(MCP rules take no arguments; Claude Code skips such rules)",
        "permissions/ask: must be a list of strings",
        "permissions/deny/0: 'mcp__s__t' is also in allow",
    ]
    assert problems({"env": {}}) == ["permissions: missing, or not an object"]
