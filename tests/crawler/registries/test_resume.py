"""kill -9 in the middle of a 5,000-server registry crawl, then a re-run: every server stored exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.crawler.registries.mock import MockRegistry, OfficialApp, official_server

REPO = Path(__file__).resolve().parents[3]
TOTAL = 5000


def catalog(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CATALOG_DATABASE_URL": f"sqlite:///{db}", "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stored_servers(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=10) as connection:
            return int(connection.execute("SELECT count(*) FROM servers").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_killed_crawl_resumes_and_stores_every_server_once(tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"
    app = OfficialApp([official_server(f"io.github.acme/server-{i:05d}") for i in range(TOTAL)])
    args = ("crawl", "registry:official", "--servers-only", "--rate", "0", "--json")
    with MockRegistry(app, latency=0.01) as mock:
        first = catalog(db, *args, "--registry-url", mock.url)
        deadline = time.monotonic() + 90
        while stored_servers(db) < 600 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=30)
        killed_at = stored_servers(db)
        second = catalog(db, *args, "--registry-url", mock.url)
        out, err = second.communicate(timeout=240)
    assert second.returncode == 0, err
    assert 0 < killed_at < TOTAL
    [report] = json.loads(out)
    assert report["resumed_from"] is not None and report["servers"] < TOTAL
    with sqlite3.connect(db) as connection:
        keys = [row[0] for row in connection.execute("SELECT key FROM servers")]
        origins = connection.execute("SELECT count(*), count(DISTINCT value) FROM server_origins").fetchone()
    assert (len(keys), len(set(keys))) == (TOTAL, TOTAL)
    assert set(keys) == {f"registry:io.github.acme/server-{i:05d}" for i in range(TOTAL)}
    assert tuple(origins) == (TOTAL, TOTAL)
