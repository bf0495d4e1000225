"""Recommended policies: profile rules, the PolicyLayer rendering, and bad profiles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catalog.errors import ConfigError
from catalog.policy import Action, ActionKind, Window, load_profile, recommend
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


def stored(name: str, access: Access, risk: Risk, *capabilities: Capability) -> StoredTool:
    category = {Access.READ: Category.READ, Access.WRITE: Category.WRITE}.get(access, Category.DESTRUCTIVE)
    if Capability.MOVES_MONEY in capabilities:
        category = Category.FINANCIAL
    verdict = Classification(
        access=access, risk=risk, category=category, capabilities=tuple(sorted(capabilities)),
        confidence=0.9, reasons=("test",), classifier_version="test-1",
    )
    tool = ToolRecord(server_key="local:test", name=name, description=f"{name} tool",
                      location=Location(kind=LocationKind.STATIC, file="src/x.ts", line=1))
    return StoredTool(tool=tool, classification=verdict, server_name="test", first_seen=NOW, last_seen=NOW)


def test_write_medium_tool_gets_the_seed_policy_exactly() -> None:
    policy = recommend([stored("cortex_session_end", Access.WRITE, Risk.MEDIUM)])

    assert policy == (
        '{"version": "1", "default": "deny", "tools": {"cortex_session_end": {"limits": [{"counter": '
        '"cortex_session_end_rate", "window": "minute", "max": 30, "scope": "grant"}]}}}'
    )


def test_each_risk_maps_to_its_balanced_rule() -> None:
    tools = [
        stored("list_notes", Access.READ, Risk.LOW),
        stored("read_secret", Access.READ, Risk.MEDIUM, Capability.SECRETS),
        stored("create_note", Access.WRITE, Risk.MEDIUM),
        stored("run_script", Access.WRITE, Risk.HIGH, Capability.EXECUTES_CODE),
        stored("drop_table", Access.DESTRUCTIVE, Risk.CRITICAL),
        stored("send_payment", Access.WRITE, Risk.CRITICAL, Capability.MOVES_MONEY),
    ]

    policy = json.loads(recommend(tools))

    def limit(name: str, per_minute: int) -> dict[str, object]:
        return {"limits": [{"counter": f"{name}_rate", "window": "minute", "max": per_minute, "scope": "grant"}]}

    assert policy == {
        "version": "1",
        "default": "deny",
        "hide": ["drop_table"],
        "tools": {
            "create_note": limit("create_note", 30),
            "list_notes": {},
            "read_secret": limit("read_secret", 60),
            "run_script": limit("run_script", 10),
            "send_payment": {"deny_if": [{"conditions": [], "on_deny": "send_payment requires human approval"}]},
        },
    }
    assert list(policy) == ["version", "default", "hide", "tools"]


def test_output_is_identical_whatever_the_input_order() -> None:
    tools = [stored(n, Access.WRITE, Risk.MEDIUM) for n in ("b_tool", "a_tool", "c_tool")]

    assert recommend(tools) == recommend(list(reversed(tools)))


def test_indent_pretty_prints_the_same_document() -> None:
    tool = stored("cortex_session_end", Access.WRITE, Risk.MEDIUM)

    assert json.loads(recommend([tool], indent=2)) == json.loads(recommend([tool]))
    assert "\n  " in recommend([tool], indent=2)


def test_user_profile_file_replaces_the_table(tmp_path: Path) -> None:
    profile = tmp_path / "mine.toml"
    profile.write_text(
        '[[rule]]\nwhen = { access = "write" }\naction = "rate-limit"\nwindow = "hour"\nmax = 5\n'
        '[[rule]]\naction = "allow"\n',
        encoding="utf-8",
    )

    loaded = load_profile(str(profile))

    assert loaded.action_for(stored("x", Access.WRITE, Risk.MEDIUM).classification) == Action(  # type: ignore[arg-type]
        ActionKind.RATE_LIMIT, Window.HOUR, 5, ""
    )
    assert loaded.action_for(stored("y", Access.DESTRUCTIVE, Risk.CRITICAL).classification).kind is ActionKind.ALLOW  # type: ignore[arg-type]


def test_profile_without_a_matching_rule_fails_closed(tmp_path: Path) -> None:
    profile = tmp_path / "narrow.toml"
    profile.write_text('[[rule]]\nwhen = { risk = "low" }\naction = "allow"\n', encoding="utf-8")

    policy = json.loads(recommend([stored("delete_all", Access.DESTRUCTIVE, Risk.CRITICAL)], profile=str(profile)))

    assert policy == {"version": "1", "default": "deny", "hide": ["delete_all"], "tools": {}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not toml ][", "is not valid TOML"),
        ('name = "empty"\n', "has no [[rule]] entries"),
        ('[[rule]]\naction = "explode"\n', "'explode' is not one of allow, rate-limit, approve, deny, hide"),
        ('[[rule]]\nwhen = { colour = "red" }\naction = "allow"\n', "unknown 'when' key 'colour'"),
        ('[arguments]\nmax_amount = -1\n[[rule]]\naction = "allow"\n', "'max_amount' must be a positive whole number"),
        ('[ceiling.risk]\ncritical = "hide"\n[[rule]]\naction = "allow"\n',
         "rule 1: 'allow' is looser than the ceiling 'hide' for risk critical"),
        ('[[rule]]\naction = "rate-limit"\n', "a rate-limit needs a window and a positive whole max"),
        ('[[rule]]\nwhen = { risk = "extreme" }\naction = "allow"\n', "'extreme' is not one of low"),
    ],
)
def test_bad_profile_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_profile(str(profile))


def test_unknown_builtin_profile_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no built-in profile 'nope'"):
        load_profile("nope")


def test_unclassified_tool_is_an_error_not_an_allow() -> None:
    tool = stored("x", Access.READ, Risk.LOW).model_copy(update={"classification": None})

    with pytest.raises(ConfigError, match="has not been classified"):
        recommend([tool])


def test_same_name_on_two_servers_cannot_share_one_policy() -> None:
    first = stored("same", Access.READ, Risk.LOW)
    second = first.model_copy(update={"tool": first.tool.model_copy(update={"server_key": "local:other"})})

    with pytest.raises(ConfigError, match="repeat across servers"):
        recommend([first, second])


def test_ceiling_ignores_rules_an_earlier_rule_already_decides(tmp_path: Path) -> None:
    profile = tmp_path / "layered.toml"
    profile.write_text(
        '[ceiling.access]\ndestructive = "hide"\n'
        '[[rule]]\nwhen = { access = "destructive" }\naction = "hide"\n'
        '[[rule]]\naction = "allow"\n',
        encoding="utf-8",
    )

    loaded = load_profile(str(profile))

    assert [rule.action.kind for rule in loaded.rules] == [ActionKind.HIDE, ActionKind.ALLOW]


def test_category_rules_match_the_category_not_the_access_class() -> None:
    permissive = load_profile("permissive")
    shell = stored("run_shell", Access.DESTRUCTIVE, Risk.CRITICAL, Capability.EXECUTES_CODE).classification
    shell = shell.model_copy(update={"category": Category.EXECUTE})  # type: ignore[union-attr]

    assert permissive.action_for(shell) == Action(
        ActionKind.RATE_LIMIT, Window.MINUTE, 10, "Execute: code execution is rate-limited to 10 calls per minute per grant"
    )


def test_strict_profile_limits_every_call_of_a_grant() -> None:
    policy = json.loads(recommend([stored("list_notes", Access.READ, Risk.LOW)], profile="strict"))

    assert policy == {
        "version": "1",
        "default": "deny",
        "all_tools": {"limits": [{"counter": "all_tools_rate", "window": "minute", "max": 60, "scope": "grant"}]},
        "tools": {"list_notes": {}},
    }


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown policy format 'rego' \\(policylayer, intercept, claude-code\\)"):
        recommend([stored("x", Access.READ, Risk.LOW)], format="rego")


def test_merge_with_another_format_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--merge only applies to --format claude-code"):
        recommend([stored("x", Access.READ, Risk.LOW)], merge=tmp_path / "settings.json")


def test_relative_root_is_an_error() -> None:
    tool = stored("read_file", Access.READ, Risk.LOW, Capability.FILESYSTEM)
    tool = tool.model_copy(update={"tool": tool.tool.model_copy(
        update={"input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}})})

    with pytest.raises(ConfigError, match="--root must be an absolute path, not 'data'"):
        recommend([tool], root="data")
