"""The `catalog` command end to end: crawl → list → show → recommend, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

REPO = Path(__file__).resolve().parent.parent
CORTEX = REPO / "tests" / "fixtures" / "repos" / "cortex-hub"
SEED_POLICY = (
    '{"version": "1", "default": "deny", "tools": {"cortex_session_end": {"limits": [{"counter": '
    '"cortex_session_end_rate", "window": "minute", "max": 30, "scope": "grant"}]}}}'
)


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it, against a SQLite file."""
    env = {**os.environ, "CATALOG_DATABASE_URL": f"sqlite:///{db}", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120,
        check=False,
    )


def test_crawl_list_show_recommend_prints_the_seed_policy(tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"

    crawled = run(db, "crawl", str(CORTEX))
    listed = run(db, "list", "--json")
    shown = run(db, "show", "cortex_session_end", "--json")
    recommended = run(db, "recommend", "--tool", "cortex_session_end")

    assert crawled.returncode == 0, crawled.stderr
    assert "local:cortex-hub" in crawled.stdout
    tools = json.loads(listed.stdout)
    session_end = next(t for t in tools if t["name"] == "cortex_session_end")
    assert {k: session_end[k] for k in ("server", "name", "access", "category", "risk")} == {
        "server": "local:cortex-hub", "name": "cortex_session_end", "access": "write",
        "category": "Write", "risk": "medium",
    }
    detail = json.loads(shown.stdout)
    assert detail["description"] == (
        "Close a session with a summary of work done. Reports session duration and compliance."
    )
    assert recommended.returncode == 0, recommended.stderr
    assert recommended.stdout == SEED_POLICY + "\n"
    assert recommended.stderr == ""


def test_recrawl_of_an_unchanged_tree_reports_everything_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"
    first = run(db, "crawl", str(CORTEX), "--json")
    second = run(db, "crawl", str(CORTEX), "--json")

    first_counts = json.loads(first.stdout)[0]["servers"][0]
    second_counts = json.loads(second.stdout)[0]["servers"][0]

    assert first_counts["new"] > 0 and first_counts["unchanged"] == 0
    assert second_counts == {
        "key": "local:cortex-hub", "new": 0, "changed": 0, "unchanged": first_counts["new"], "removed": 0,
    }


def test_servers_json_lists_the_crawled_server(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    runner.invoke(app, ["--db", db, "crawl", str(CORTEX)])

    result = runner.invoke(app, ["--db", db, "servers", "--json"])

    assert result.exit_code == 0, result.output
    (server,) = json.loads(result.stdout)
    assert server["key"] == "local:cortex-hub"
    assert server["status"] == "ok"
    assert server["tool_count"] == len(json.loads(runner.invoke(app, ["--db", db, "list", "--json"]).stdout))
    assert server["origins"] == [{"kind": "local", "value": "cortex-hub", "version": "0.4.2"}]


def test_list_filters_by_access_and_risk(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    runner.invoke(app, ["--db", db, "crawl", str(CORTEX)])

    everything = json.loads(runner.invoke(app, ["--db", db, "list", "--json"]).stdout)
    reads = json.loads(runner.invoke(app, ["--db", db, "list", "--access", "read", "--json"]).stdout)
    medium = json.loads(runner.invoke(app, ["--db", db, "list", "--risk", "medium", "--json"]).stdout)

    assert reads == [t for t in everything if t["access"] == "read"]
    assert medium == [t for t in everything if t["risk"] == "medium"]
    assert reads and medium


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "not a target!"], "not a valid target"),
        (["crawl", "./no/such/dir"], "no such file or directory"),
        (["show", "no_such_tool"], "no tool named 'no_such_tool'"),
        (["recommend", "--tool", "no_such_tool"], "no tool named 'no_such_tool'"),
        (["show", "--server", "github:nobody/nothing"], "nobody/nothing"),
        (["recommend", "--tool", "x", "--profile", "nope"], ""),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    result = run(tmp_path / "c.db", *args)

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert len(lines) <= 2  # the error, and at most one hint
    assert "Traceback" not in result.stderr


def test_corrupt_archive_is_a_stored_failure_and_exit_1(tmp_path: Path) -> None:
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00 this is not really gzip")
    db = tmp_path / "c.db"

    result = run(db, "crawl", str(archive))
    listed = run(db, "servers", "--json")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "broken" in result.stderr
    assert json.loads(listed.stdout) == []


def test_a_failed_crawl_keeps_what_was_stored(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    run(db, "crawl", str(CORTEX))
    before = run(db, "list", "--json").stdout
    archive = tmp_path / "cortex-hub.zip"
    archive.write_bytes(b"PK\x03\x04 truncated")

    failed = run(db, "crawl", str(archive))

    assert failed.returncode == 1
    assert run(db, "list", "--json").stdout == before


def test_db_current_reports_the_head_revision(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    run(db, "db", "upgrade")

    result = run(db, "db", "current")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0003_tool_sightings"


def test_claude_code_rules_use_the_name_given_with_mcp_name(tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"
    assert run(db, "crawl", str(CORTEX)).returncode == 0

    renamed = run(db, "recommend", "--tool", "cortex_session_end", "--format", "claude-code", "--mcp-name", "cortex")
    wrong = run(db, "recommend", "--tool", "cortex_session_end", "--mcp-name", "cortex")

    assert renamed.returncode == 0, renamed.stderr
    assert json.loads(renamed.stdout) == {
        "permissions": {"allow": [], "ask": ["mcp__cortex__cortex_session_end"], "deny": []}
    }
    assert (wrong.returncode, wrong.stdout) == (1, "")
    assert wrong.stderr.splitlines()[0] == "error: --mcp-name only applies to --format claude-code"
