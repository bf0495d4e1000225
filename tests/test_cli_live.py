"""The `catalog` command over live servers and saved listings: stdio, --from, saved tools/list files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVERS = Path(os.environ.get("CATALOG_TEST_SERVERS", REPO / ".test-servers"))
SHARED = Path(os.environ.get("CATALOG_SHARED_DATA", str(REPO.parent / "shared" / "data")))
MISBEHAVING = REPO / "tests" / "fixtures" / "servers" / "misbehaving.py"


def require(path: Path) -> Path:
    """Skip when something is not installed here; in CI (CI set) that is a failure, never a skip."""
    if not path.exists():
        message = f"{path} is missing: run scripts/install-test-servers.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CATALOG_DATABASE_URL": f"sqlite:///{db}", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=180, check=False)


def test_stdio_crawl_of_mcp_server_time_stores_its_two_read_tools(tmp_path: Path) -> None:
    server = require(SERVERS / "py-time" / "bin" / "mcp-server-time")
    db = tmp_path / "c.db"

    crawled = run(db, "crawl", "stdio", "--name", "time", "--", str(server))
    tools = json.loads(run(db, "list", "--json").stdout)

    assert crawled.returncode == 0, crawled.stderr
    assert [(t["server"], t["name"], t["access"], t["risk"]) for t in tools] == [
        ("stdio:time", "convert_time", "read", "low"),
        ("stdio:time", "get_current_time", "read", "low"),
    ]
    assert json.loads(run(db, "recommend", "--tool", "convert_time").stdout) == {
        "version": "1", "default": "deny", "tools": {"convert_time": {}},
    }


def test_from_config_crawls_every_server_and_records_the_broken_one(tmp_path: Path) -> None:
    server = require(SERVERS / "py-time" / "bin" / "mcp-server-time")
    config = tmp_path / "servers.json"
    config.write_text(json.dumps({"mcpServers": {
        "time": {"command": str(server)},
        "broken": {"command": sys.executable, "args": [str(MISBEHAVING), "exit-mid-listing"]},
    }}), encoding="utf-8")
    db = tmp_path / "c.db"

    crawled = run(db, "crawl", "--from", str(config), "--timeout", "20", "--json")
    report = json.loads(crawled.stdout)
    servers = json.loads(run(db, "servers", "--json").stdout)

    assert crawled.returncode == 1  # one target produced no server
    assert {r["target"].rsplit("#", 1)[1]: bool(r["servers"]) for r in report} == {"time": True, "broken": False}
    assert [s["key"] for s in servers] == ["stdio:time"]
    broken = next(r for r in report if r["target"].endswith("#broken"))
    assert "server exited with code 3 during tools/list" in broken["failures"][0]["reason"]


def test_saved_listing_of_a_real_server_is_catalogued(tmp_path: Path) -> None:
    listing = require(SHARED / "docker-mcp-catalog" / "stripe-remote.json")
    db = tmp_path / "c.db"

    crawled = run(db, "crawl", str(listing), "--name", "stripe")
    tools = json.loads(run(db, "list", "--json").stdout)

    assert crawled.returncode == 0, crawled.stderr
    assert {t["server"] for t in tools} == {"local:stripe"}
    assert len(tools) == len(json.loads(listing.read_text(encoding="utf-8")))
    assert all(t["access"] in {"read", "write", "destructive"} for t in tools)


def test_malformed_saved_listing_is_one_line_and_keeps_the_store(tmp_path: Path) -> None:
    listing = tmp_path / "tools.json"
    listing.write_text('{"tools": [{"name": ', encoding="utf-8")
    db = tmp_path / "c.db"

    crawled = run(db, "crawl", str(listing), "--name", "acme")

    assert crawled.returncode == 1
    assert "not a tools/list listing" in crawled.stderr
    assert "Traceback" not in crawled.stderr
    assert json.loads(run(db, "servers", "--json").stdout) == []
