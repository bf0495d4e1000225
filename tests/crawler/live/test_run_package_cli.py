"""`catalog crawl npm:… --run` end to end: nothing runs without consent; with it, the package is listed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
MISBEHAVING = REPO / "tests" / "fixtures" / "servers" / "misbehaving.py"

# An npm that only records that it ran, then "installs" a package whose executable is a fixture server.
FAKE_NPM = """#!{python}
import json, pathlib, sys
args = sys.argv[1:]
pathlib.Path({marker!r}).write_text(json.dumps(args), encoding="utf-8")
prefix = pathlib.Path(args[args.index("--prefix") + 1])
package = prefix / "node_modules" / "@acme" / "notes"
package.mkdir(parents=True)
(package / "package.json").write_text('{{"name": "@acme/notes", "version": "1.2.0", "bin": "s.js"}}', encoding="utf-8")
(prefix / "node_modules" / ".bin").mkdir()
link = prefix / "node_modules" / ".bin" / "notes"
link.write_text("#!/bin/sh\\nexec {python} {server} rich\\n", encoding="utf-8")
link.chmod(0o755)
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(
    tmp_path: Path, *args: str, path_first: Path | None = None, cache_home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CATALOG_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "XDG_CACHE_HOME": str(cache_home or tmp_path / "cache"),
        "NO_COLOR": "1",
    }
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env['PATH']}"
        # Whatever a static npm source does without --run, it must not reach a real registry here.
        env["npm_config_registry"] = f"http://127.0.0.1:{closed_port()}/"
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300, check=False)


def fake_npm(tmp_path: Path) -> tuple[Path, Path]:
    """(a folder to put first on PATH holding a fake npm, the file it writes when it runs)."""
    folder, marker = tmp_path / "fake-bin", tmp_path / "npm-ran.json"
    folder.mkdir()
    script = folder / "npm"
    script.write_text(FAKE_NPM.format(python=sys.executable, marker=str(marker), server=str(MISBEHAVING)),
                      encoding="utf-8")
    script.chmod(0o755)
    return folder, marker


def kept_cache(pytestconfig: pytest.Config, name: str, fallback: Path) -> Path:
    """A download cache kept between test runs in pytest's cache folder (else fallback), as users get one."""
    cache = getattr(pytestconfig, "cache", None)
    return Path(cache.mkdir(name)) if cache is not None else fallback


def test_package_target_without_run_starts_no_process(tmp_path: Path) -> None:
    folder, marker = fake_npm(tmp_path)

    crawled = run(tmp_path, "crawl", "npm:@acme/notes", path_first=folder)

    assert not marker.exists()
    assert "catalog --run" not in crawled.stderr


def test_run_consents_says_what_runs_and_files_the_tools_under_the_package(tmp_path: Path) -> None:
    folder, marker = fake_npm(tmp_path)

    crawled = run(tmp_path, "crawl", "npm:@acme/notes@1.2.0", "--run", path_first=folder)
    tools = json.loads(run(tmp_path, "list", "--json").stdout)
    [server] = json.loads(run(tmp_path, "servers", "--json").stdout)

    assert crawled.returncode == 0, crawled.stderr
    assert json.loads(marker.read_text(encoding="utf-8"))[-1] == "@acme/notes@1.2.0"
    assert "catalog --run: installing npm:@acme/notes@1.2.0 into a throwaway npm prefix" in crawled.stderr
    assert "catalog --run: running notes of npm:@acme/notes 1.2.0 over stdio" in crawled.stderr
    assert crawled.stdout.strip() == "npm:@acme/notes: 3 new, 0 changed, 0 unchanged, 0 removed"
    assert [(t["server"], t["name"], t["location"]) for t in tools] == [
        ("npm:@acme/notes", name, "live npm @acme/notes@1.2.0") for name in ("bare", "delete_record", "read_record")
    ]
    assert (server["key"], server["origins"]) == ("npm:@acme/notes", [
        {"kind": "npm", "value": "@acme/notes", "version": "1.2.0"}  # no public page: a private registry
    ])


@pytest.mark.network
def test_real_npm_package_is_installed_run_and_catalogued(tmp_path: Path, pytestconfig: pytest.Config) -> None:
    # npm's own variable is lowercase; the uppercase one ruff suggests is not what npm reads first.
    registry = os.environ.get("npm_config_registry", "https://registry.npmjs.org/").rstrip("/")  # noqa: SIM112
    try:
        httpx.get(f"{registry}/@modelcontextprotocol%2fserver-everything", timeout=10).raise_for_status()
    except httpx.HTTPError as error:
        if os.environ.get("CI"):
            pytest.fail(f"{registry} is unreachable: {error}")
        pytest.skip(f"{registry} is unreachable: {error}")

    # A download cache kept between test runs, as users get one: the install itself is real each time.
    cache_home = kept_cache(pytestconfig, "catalog-xdg-cache", tmp_path / "cache")

    crawled = run(tmp_path, "crawl", "npm:@modelcontextprotocol/server-everything@2026.8.31", "--run",
                  cache_home=cache_home)
    tools = json.loads(run(tmp_path, "list", "--server", "npm:@modelcontextprotocol/server-everything",
                           "--json").stdout)

    assert crawled.returncode == 0, crawled.stderr
    assert "catalog --run: installing npm:@modelcontextprotocol/server-everything@2026.8.31" in crawled.stderr
    assert sorted(t["name"] for t in tools) == [
        "echo", "get-annotated-message", "get-env", "get-resource-links", "get-resource-reference",
        "get-structured-content", "get-sum", "get-tiny-image", "gzip-file-as-resource", "simulate-research-query",
        "toggle-simulated-logging", "toggle-subscriber-updates", "trigger-long-running-operation",
    ]
    assert {t["location"] for t in tools} == {"live npm @modelcontextprotocol/server-everything@2026.8.31"}
    assert any((cache_home / "catalog" / "packages" / "npm").iterdir())
