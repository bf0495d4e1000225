"""`catalog site build` over a real SQLite store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from catalog.records import (
    Access,
    CrawlResult,
    Location,
    LocationKind,
    Risk,
    ServerRecord,
    ToolRecord,
)
from catalog.store import Store
from tests.catalog.site.conftest import REPO, verdict


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "cli", "--db", f"sqlite:///{db}", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120, check=False)


def test_site_build_writes_the_site_then_rewrites_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    tool = ToolRecord(server_key="local:acme", name="purge_cache", description="Purges the CDN cache.",
                      location=Location(kind=LocationKind.STATIC, file="src/index.ts", line=7))
    with Store.open(f"sqlite:///{db}") as store:
        store.save_crawl(CrawlResult(server=ServerRecord(key="local:acme", name="acme"), tools=(tool,)),
                         {"purge_cache": verdict(Access.DESTRUCTIVE, Risk.CRITICAL)})
    out = tmp_path / "site"

    first = run(db, "site", "build", "--out", str(out), "--base-url", "https://example.org/catalog/")
    second = run(db, "site", "build", "--out", str(out), "--base-url", "https://example.org/catalog/")

    assert first.returncode == 0, first.stderr
    assert (out / "tools/local-acme/purge_cache/index.html").is_file()
    assert (out / "sitemap.xml").is_file()
    files = first.stderr.split(" files")[0].strip().splitlines()[-1]
    assert f"{files} files in {out}: {files} written, 0 unchanged, 0 removed" in first.stderr
    assert f"{files} files in {out}: 0 written, {files} unchanged, 0 removed" in second.stderr


def test_a_base_url_that_is_not_http_is_one_error_line(tmp_path: Path) -> None:
    built = run(tmp_path / "c.db", "site", "build", "--out", str(tmp_path / "site"), "--base-url", "javascript:x")

    assert built.returncode == 1
    assert built.stderr.strip() == "error: --base-url must be an absolute http(s) URL, not 'javascript:x'"
    assert not (tmp_path / "site").exists()
