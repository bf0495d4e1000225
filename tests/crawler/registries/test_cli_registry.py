"""The registry commands end to end: crawl registry:official, servers --origin official --json, sync."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.crawler.registries.mock import OFFICIAL_META, MockRegistry, OfficialApp, official_server

REPO = Path(__file__).resolve().parents[3]


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CATALOG_DATABASE_URL": f"sqlite:///{db}", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120, check=False)


def test_crawl_then_list_by_registry_then_sync_marks_the_deprecated_one(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    items = [official_server("io.github.acme/a", updated="2020-01-01T00:00:00Z"),
             official_server("io.github.acme/b", updated="2020-01-01T00:00:00Z")]
    with MockRegistry(OfficialApp(items)) as mock:
        crawled = run(db, "crawl", "registry:official", "--servers-only", "--rate", "0", "--registry-url", mock.url)
        listed = run(db, "servers", "--origin", "official", "--json")
        items[1]["_meta"][OFFICIAL_META].update(status="deprecated", updatedAt="2999-01-01T00:00:00Z")
        synced = run(db, "sync", "--servers-only", "--rate", "0", "--registry-url", mock.url, "--json")
        after = run(db, "servers", "--origin", "official", "--json")
    assert crawled.returncode == 0, crawled.stderr
    assert crawled.stdout.startswith("registry:official: 2 servers (2 active), 0 tools (2 by none), 0 unchanged, ")
    assert [(s["key"], s["upstream_status"], s["origins"][0]) for s in json.loads(listed.stdout)] == [
        ("registry:io.github.acme/a", "active", {"kind": "registry", "value": "official:io.github.acme/a",
                                                 "version": "1.0.0"}),
        ("registry:io.github.acme/b", "active", {"kind": "registry", "value": "official:io.github.acme/b",
                                                 "version": "1.0.0"}),
    ]
    assert synced.returncode == 0, synced.stderr
    [report] = json.loads(synced.stdout)
    assert (report["registry"], report["servers"], report["upstream"], report["since"] is not None) == (
        "official", 1, {"deprecated": 1}, True)
    assert [s["upstream_status"] for s in json.loads(after.stdout)] == ["active", "deprecated"]


def test_sync_before_any_crawl_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "c.db", "sync")
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["error: no registry was crawled yet", "hint: catalog crawl registry:official"]
