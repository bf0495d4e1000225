"""`catalog recommend` over a crawled server in every dialect, and `catalog policy check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli import app

REPO = Path(__file__).resolve().parent.parent.parent
CORTEX = REPO / "tests" / "fixtures" / "repos" / "cortex-hub"
SERVER = "local:cortex-hub"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    # One crawl shared by this file's tests: crawling is the slow part and none of them writes.
    url = f"sqlite:///{tmp_path_factory.mktemp('policy') / 'catalog.db'}"
    result = CliRunner().invoke(app, ["--db", url, "crawl", str(CORTEX)])
    assert result.exit_code == 0, result.output
    return url


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def current_tools(db: str) -> list[str]:
    return sorted(t["name"] for t in json.loads(invoke(db, "list", "--server", SERVER, "--json")[1]))


def test_seed_tool_policy_is_exact(db: str) -> None:
    assert invoke(db, "recommend", "--tool", "cortex_session_end") == (0, (
        '{"version": "1", "default": "deny", "tools": {"cortex_session_end": {"limits": [{"counter": '
        '"cortex_session_end_rate", "window": "minute", "max": 30, "scope": "grant"}]}}}\n'
    ), "")


def test_whole_server_lists_or_hides_every_tool_under_default_deny(db: str) -> None:
    code, out, _ = invoke(db, "recommend", "--server", SERVER, "--profile", "strict")
    policy = json.loads(out)

    assert code == 0 and policy["default"] == "deny"
    assert sorted([*policy.get("hide", []), *policy["tools"]]) == current_tools(db)
    assert policy["hide"] == ["cortex_memory_delete"]


def test_repeated_tool_picks_a_subset(db: str) -> None:
    code, out, _ = invoke(db, "recommend", "--server", SERVER, "--tool", "cortex_health", "--tool", "cortex_session_end")

    assert code == 0 and sorted(json.loads(out)["tools"]) == ["cortex_health", "cortex_session_end"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recommend", "--server", SERVER, "--tool", "nope"], "error: no tool named 'nope' on server 'local:cortex-hub'"),
        (["recommend", "--server", "local:nothing"], "error: no server 'local:nothing'"),
        (["recommend"], "error: give --tool NAME (repeatable) or --server KEY"),
        (["recommend", "--server", SERVER, "--format", "rego"], "error: unknown policy format 'rego'"),
        (["recommend", "--server", SERVER, "--profile", "lax"], "error: no built-in profile 'lax'"),
    ],
)
def test_bad_recommend_is_one_line_and_exit_1(db: str, args: list[str], message: str) -> None:
    code, out, err = invoke(db, *args)

    assert (code, out) == (1, "")
    assert err.splitlines()[0].startswith(message)


def test_intercept_output_passes_policy_check(db: str, tmp_path: Path) -> None:
    code, out, _ = invoke(db, "recommend", "--server", SERVER, "--format", "intercept", "--root", "/work")
    path = tmp_path / "policy.yaml"
    path.write_text(out, encoding="utf-8")

    assert code == 0 and yaml.safe_load(out)["default"] == "deny"
    assert invoke(db, "policy", "check", str(path)) == (0, f"{path}: valid intercept policy\n", "")


def test_claude_code_merge_prints_the_merged_settings(db: str, tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text('{"model": "opus", "permissions": {"deny": ["Bash(rm:*)"]}}', encoding="utf-8")

    code, out, _ = invoke(db, "recommend", "--server", SERVER, "--format", "claude-code", "--merge", str(settings),
                          "--indent", "2")
    merged = json.loads(out)

    assert code == 0 and merged["model"] == "opus"
    assert merged["permissions"]["deny"] == ["Bash(rm:*)", "mcp__cortex-hub__cortex_memory_delete"]
    assert "mcp__cortex-hub__cortex_session_end" in merged["permissions"]["ask"]
    assert out.startswith('{\n  "model"')


def test_policy_check_reports_each_problem_on_its_own_line(db: str, tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"version": "1", "default": "maybe", "tools": {"t": {"limits": [{"counter": "c", '
                    '"window": "week", "max": 0}]}}}', encoding="utf-8")

    code, out, err = invoke(db, "policy", "check", str(path))

    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}: default: 'maybe' is not one of ['allow', 'deny']",
        f"{path}: tools/t/limits/0/max: 0 is less than the minimum of 1",
        f"{path}: tools/t/limits/0/window: 'week' is not one of ['minute', 'hour', 'day']",
    ]


def test_policy_check_of_a_claude_settings_file_is_guessed(db: str, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"permissions": {"allow": ["mcp__*"]}}', encoding="utf-8")

    code, _, err = invoke(db, "policy", "check", str(path))

    assert code == 1 and err.startswith(f"{path}: permissions/allow/0: 'mcp__*' is not")


def test_policy_check_of_a_missing_file_is_an_error(db: str, tmp_path: Path) -> None:
    code, _, err = invoke(db, "policy", "check", str(tmp_path / "none.json"))

    assert code == 1 and err.startswith("error: no such policy file")
