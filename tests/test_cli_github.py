"""`catalog crawl owner/repo` end to end against a loopback GitHub: crawl → list → recommend, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.crawler.fake_github import Canned, FakeGitHub, FakeRepo, folder_files, tarball

REPO = Path(__file__).resolve().parent.parent
CORTEX = REPO / "tests" / "fixtures" / "repos" / "cortex-hub"
SEED_POLICY = (
    '{"version": "1", "default": "deny", "tools": {"cortex_session_end": {"limits": [{"counter": '
    '"cortex_session_end_rate", "window": "minute", "max": 30, "scope": "grant"}]}}}\n'
)


def cortex_repo() -> FakeRepo:
    return FakeRepo("lktiep", "cortex-hub", description="Shared memory and session hub for coding agents",
                    tarballs={"main": tarball(folder_files(CORTEX), "lktiep-cortex-hub-1a2b3c4")})


def run(db: Path, api: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CATALOG_DATABASE_URL": f"sqlite:///{db}", "GITHUB_API_URL": api, "NO_COLOR": "1"}
    env.pop("GITHUB_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120, check=False)


def test_crawl_of_a_github_repo_lists_its_tools_and_recommends_the_seed_policy(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with FakeGitHub(cortex_repo()) as github:
        crawled = run(db, github.url, "crawl", "lktiep/cortex-hub")
        listed = run(db, github.url, "list", "--server", "github:lktiep/cortex-hub", "--json")
        servers = run(db, github.url, "servers", "--json")
        recommended = run(db, github.url, "recommend", "--tool", "cortex_session_end")
        requested = github.paths()

    assert crawled.returncode == 0, crawled.stderr
    assert requested[:3] == ["/repos/lktiep/cortex-hub", "/repos/lktiep/cortex-hub/tarball/main",
                             "/codeload/lktiep/cortex-hub/legacy.tar.gz/main"]
    names = [t["name"] for t in json.loads(listed.stdout)]
    assert names == sorted(names) and "cortex_session_end" in names
    assert not {"cortex_legacy_sync", "cortex_fake_tool"} & set(names)  # decoys are not tools
    (server,) = json.loads(servers.stdout)
    assert server["key"] == "github:lktiep/cortex-hub"
    assert server["origins"][0]["version"] == "main@1a2b3c4"
    assert recommended.stdout == SEED_POLICY


def test_second_crawl_sends_the_etag_and_stores_no_new_versions(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with FakeGitHub(cortex_repo()) as github:
        run(db, github.url, "crawl", "lktiep/cortex-hub")
        second = run(db, github.url, "crawl", "lktiep/cortex-hub", "--json")
        metadata_requests = [s for s in github.seen if s.path == "/repos/lktiep/cortex-hub"]

    assert metadata_requests[1].headers.get("if-none-match") == cortex_repo().etag
    (summary,) = json.loads(second.stdout)[0]["servers"]
    assert summary["new"] == 0 and summary["changed"] == 0 and summary["unchanged"] > 0


def test_unknown_repository_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with FakeGitHub() as github:
        result = run(tmp_path / "c.db", github.url, "crawl", "nobody/nothing")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "failed nobody/nothing (crawl): GitHub repository nobody/nothing not found (or private: set GITHUB_TOKEN)"
    ]


def test_exhausted_rate_limit_names_the_reset_time(tmp_path: Path) -> None:
    with FakeGitHub(cortex_repo()) as github:
        github.script("/repos/lktiep/cortex-hub", Canned.json(
            403, {"message": "API rate limit exceeded for 127.0.0.1."},
            {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000"}))
        result = run(tmp_path / "c.db", github.url, "crawl", "lktiep/cortex-hub")

    assert result.returncode == 1
    assert "rate limit exhausted; resets at 2023-11-14 22:13:20 UTC" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_api_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = run(tmp_path / "c.db", "http://127.0.0.1:9", "crawl", "lktiep/cortex-hub")

    assert result.returncode == 1
    assert "cannot reach GitHub API at http://127.0.0.1:9" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
