"""Packages run with --run: parsed, installed somewhere throwaway, run, listed under the package's key."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
import httpx
import pytest

from catalog.errors import ConfigError, CrawlError
from catalog.records import CrawlResult, Location, LocationKind, Origin, OriginKind, ServerRecord
from crawler.source import CrawlContext
from crawler.sources.live_target import live_source_for
from crawler.sources.package_install import Ecosystem, installer_environment
from crawler.sources.run_package import PackageSpec, RunPackageSource, parse_package

REPO = Path(__file__).resolve().parents[3]
SERVERS = Path(os.environ.get("CATALOG_TEST_SERVERS", REPO / ".test-servers"))
MISBEHAVING = REPO / "tests" / "fixtures" / "servers" / "misbehaving.py"
RO = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}

FAKE_NPM = """#!{python}
# Stands in for npm: logs how it was called, then does what the test asked.
import json, os, pathlib, subprocess, sys, time
args = sys.argv[1:]
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(json.dumps({{"argv": args, "env": dict(os.environ)}}) + "\\n")
behaviour, bins = {behaviour!r}, {bins!r}
if behaviour == "fail":
    print("npm error 404 Not Found - GET https://registry.example/@acme%2fnotes")
    sys.exit(1)
if behaviour == "hang":
    child = subprocess.Popen(["sleep", "60"])
    pathlib.Path({log!r} + ".child").write_text(str(child.pid), encoding="utf-8")
    time.sleep(60)
prefix, requirement = pathlib.Path(args[args.index("--prefix") + 1]), args[-1]
name, _, version = requirement[1:].partition("@")
package = prefix / "node_modules" / ("@" + name)
package.mkdir(parents=True)
manifest = {{"name": "@" + name, "version": version or "1.2.0", "bin": {{b: "server.js" for b in bins}}}}
(package / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
links = prefix / "node_modules" / ".bin"
links.mkdir()
for executable in bins:
    (links / executable).write_text("#!/bin/sh\\nexec {python} {server} rich\\n", encoding="utf-8")
    (links / executable).chmod(0o755)
"""


def fake_npm(tmp_path: Path, behaviour: str = "install", bins: tuple[str, ...] = ("notes",)) -> Path:
    """A folder holding an `npm` that logs its calls to tmp_path/npm.log; put it first on PATH."""
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    script = folder / "npm"
    script.write_text(
        FAKE_NPM.format(python=sys.executable, log=str(tmp_path / "npm.log"), behaviour=behaviour,
                        bins=list(bins), server=str(MISBEHAVING)),
        encoding="utf-8",
    )
    script.chmod(0o755)
    return folder


def npm_calls(tmp_path: Path) -> list[dict[str, object]]:
    log = tmp_path / "npm.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def crawl(source: RunPackageSource) -> list[CrawlResult]:
    async def collect() -> list[CrawlResult]:
        async with httpx.AsyncClient() as http:
            return [result async for result in source.crawl(CrawlContext(http=http))]

    return anyio.run(collect)


def require(path: Path) -> Path:
    if not path.exists():
        message = f"{path} is missing: run scripts/install-test-servers.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def kept_cache(pytestconfig: pytest.Config, name: str, fallback: Path) -> Path:
    """A download cache kept between test runs in pytest's cache folder (else fallback), as users get one."""
    cache = getattr(pytestconfig, "cache", None)
    return Path(cache.mkdir(name)) if cache is not None else fallback


def require_registry(url: str) -> None:
    """Skip when the registry cannot be reached from here; in CI that is a failure."""
    try:
        httpx.get(url, timeout=10).raise_for_status()
    except httpx.HTTPError as error:
        if os.environ.get("CI"):
            pytest.fail(f"{url} is unreachable: {error}")
        pytest.skip(f"{url} is unreachable: {error}")


def hints_by_name(result: CrawlResult) -> dict[str, dict[str, bool]]:
    return {tool.name: tool.hints.declared() for tool in result.tools}


@pytest.mark.parametrize(
    ("target", "package", "key"),
    [
        ("npm:@modelcontextprotocol/server-everything", PackageSpec(Ecosystem.NPM, "@modelcontextprotocol/server-everything"),
         "npm:@modelcontextprotocol/server-everything"),
        ("npm:@acme/notes@1.2.0", PackageSpec(Ecosystem.NPM, "@acme/notes", "1.2.0"), "npm:@acme/notes"),
        ("npm:notes@latest", PackageSpec(Ecosystem.NPM, "notes", "latest"), "npm:notes"),
        ("npm:notes@^1.2", PackageSpec(Ecosystem.NPM, "notes", "^1.2"), "npm:notes"),
        ("pypi:mcp-server-time", PackageSpec(Ecosystem.PYPI, "mcp-server-time"), "pypi:mcp-server-time"),
        ("pypi:MCP_Server.Time==2026.10.19", PackageSpec(Ecosystem.PYPI, "MCP_Server.Time", "2026.10.19"),
         "pypi:mcp-server-time"),
    ],
)
def test_package_targets_parse_to_the_key_static_crawls_use(target: str, package: PackageSpec, key: str) -> None:
    assert parse_package(target) == package
    assert package.key == key


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("npm:", "not an npm package: 'npm:'"),
        ("npm:@acme/notes@file:../notes", "not an npm package: 'npm:@acme/notes@file:../notes'"),
        ("npm:notes@git+https://evil/x.git", "not an npm package: 'npm:notes@git+https://evil/x.git'"),
        ("npm:../evil", "not an npm package: 'npm:../evil'"),
        ("pypi:mcp-server-time>=1", "not a PyPI package: 'pypi:mcp-server-time>=1'"),
        ("pypi:-rfoo", "not a PyPI package: 'pypi:-rfoo'"),
        ("pypi:x==1 --index-url=http://evil", "not a PyPI package: 'pypi:x==1 --index-url=http://evil'"),
    ],
)
def test_package_targets_an_installer_should_not_see_are_config_errors(target: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        live_source_for(target, run=True)
    assert str(caught.value) == message


def test_package_target_is_only_run_with_consent() -> None:
    assert live_source_for("npm:@acme/notes") is None
    assert live_source_for("pypi:mcp-server-time") is None
    source = live_source_for("npm:@acme/notes@1.2.0", run=True, name="notes", env=["K=v"])
    assert isinstance(source, RunPackageSource)
    assert (source.server_key, source.target, source.executable, source.env) == (
        "npm:@acme/notes", "npm:@acme/notes@1.2.0", "notes", (("K", "v"),)
    )


def test_run_installs_in_a_throwaway_prefix_then_lists_under_the_package_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{fake_npm(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("npm_config_registry", raising=False)
    said: list[str] = []
    source = RunPackageSource(parse_package("npm:@acme/notes@1.2.0"), cache_dir=tmp_path / "cache", announce=said.append)

    [result] = crawl(source)

    [call] = npm_calls(tmp_path)
    argv = call["argv"]
    assert isinstance(argv, list)
    prefix = Path(argv[2])
    assert argv == ["install", "--prefix", str(prefix), "--cache", str(tmp_path / "cache" / "npm"), "--prefer-offline",
                    "--no-audit", "--no-fund", "--no-save", "--loglevel=error", "@acme/notes@1.2.0"]
    assert prefix.name == "npm" and not prefix.exists()
    program = prefix / "node_modules" / ".bin" / "notes"
    assert said == [
        "installing npm:@acme/notes@1.2.0 into a throwaway npm prefix, then running its server (scrubbed "
        "environment, temporary HOME and working directory, killed after listing)",
        f"running notes of npm:@acme/notes 1.2.0 over stdio to list its tools: {program}",
    ]
    assert result.server == ServerRecord(
        key="npm:@acme/notes", name="@acme/notes", title="Misbehaving test server", version="1.2.0",
        instructions="Use read_record before delete_record.",
        origins=(Origin(kind=OriginKind.NPM, value="@acme/notes", version="1.2.0",
                        url="https://www.npmjs.com/package/@acme/notes/v/1.2.0"),),
        notes=result.server.notes,
    )
    assert result.server.notes[:2] == ("listed live by running notes 1.2.0", "server reports itself as misbehaving-rich 1.2.3")
    assert [(t.server_key, t.name, t.location) for t in result.tools] == [
        ("npm:@acme/notes", name, Location(kind=LocationKind.LIVE, detail="npm @acme/notes@1.2.0"))
        for name in ("delete_record", "read_record", "bare")
    ]
    assert (result.seen_by, result.complete) == (LocationKind.LIVE, True)


def test_installer_gets_a_fresh_home_and_none_of_our_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{fake_npm(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")

    crawl(RunPackageSource(parse_package("npm:@acme/notes"), cache_dir=tmp_path / "cache", announce=lambda _: None))

    [call] = npm_calls(tmp_path)
    env = call["env"]
    assert isinstance(env, dict)
    assert "GITHUB_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HTTPS_PROXY"] == "http://proxy.internal:3128"
    assert env["HOME"] != os.environ.get("HOME") and env["HOME"].endswith("/home")
    assert env["npm_config_update_notifier"] == "false"


def test_installer_environment_keeps_only_what_reaching_a_registry_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        monkeypatch.delenv(key)
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.setenv("PIP_CERT", "/etc/ssl/ca.pem")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")

    env = installer_environment(tmp_path, {"PIP_NO_INPUT": "1"})

    assert env == {
        "PATH": "/usr/bin", "LANG": "C.UTF-8", "PIP_CERT": "/etc/ssl/ca.pem", "PIP_NO_INPUT": "1",
        "HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp"), "TMP": str(tmp_path / "tmp"),
        "TEMP": str(tmp_path / "tmp"),
    }


def test_package_with_several_executables_needs_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{fake_npm(tmp_path, bins=('notes-admin', 'notes-sync'))}{os.pathsep}{os.environ['PATH']}")
    package = parse_package("npm:@acme/notes")

    with pytest.raises(ConfigError) as caught:
        crawl(RunPackageSource(package, cache_dir=tmp_path / "cache", announce=lambda _: None))
    [result] = crawl(RunPackageSource(package, executable="notes-sync", cache_dir=tmp_path / "cache",
                                      announce=lambda _: None))

    assert (str(caught.value), caught.value.hint) == (
        "npm:@acme/notes has several executables: notes-admin, notes-sync", "choose one with --name"
    )
    assert result.server.notes[0] == "listed live by running notes-sync 1.2.0"


def test_executable_named_like_the_package_is_chosen_among_several(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{fake_npm(tmp_path, bins=('notes-admin', 'notes'))}{os.pathsep}{os.environ['PATH']}")

    [result] = crawl(RunPackageSource(parse_package("npm:@acme/notes"), cache_dir=tmp_path / "cache",
                                      announce=lambda _: None))

    assert result.server.notes[0] == "listed live by running notes 1.2.0"


def test_failed_install_is_a_crawl_error_quoting_the_installer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{fake_npm(tmp_path, behaviour='fail')}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(CrawlError) as caught:
        crawl(RunPackageSource(parse_package("npm:@acme/notes@9.9.9"), cache_dir=tmp_path / "cache",
                               announce=lambda _: None))

    assert str(caught.value) == (
        "cannot install @acme/notes@9.9.9 with npm: exit code 1: "
        "npm error 404 Not Found - GET https://registry.example/@acme%2fnotes"
    )


def test_install_that_runs_over_its_timeout_is_killed_with_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{fake_npm(tmp_path, behaviour='hang')}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(CrawlError) as caught:
        crawl(RunPackageSource(parse_package("npm:@acme/notes"), cache_dir=tmp_path / "cache", install_timeout=1.5,
                               announce=lambda _: None))

    assert str(caught.value) == "cannot install @acme/notes with npm: timed out after 1.5s"
    child = int((tmp_path / "npm.log.child").read_text(encoding="utf-8"))
    assert not _running(child)


def _running(pid: int) -> bool:
    """True while pid runs (a zombie waiting for a reaper has stopped running)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_installed_prefix_holding_another_version_is_not_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{fake_npm(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    stale = tmp_path / "stale" / "node_modules" / "@acme" / "notes"
    stale.mkdir(parents=True)
    (stale / "package.json").write_text('{"name": "@acme/notes", "version": "1.0.0", "bin": "x.js"}', encoding="utf-8")

    [result] = crawl(RunPackageSource(parse_package("npm:@acme/notes@1.2.0"), installed=tmp_path / "stale",
                                      cache_dir=tmp_path / "cache", announce=lambda _: None))

    assert len(npm_calls(tmp_path)) == 1
    assert result.server.version == "1.2.0"


def test_venv_already_holding_the_version_is_run_without_installing(monkeypatch: pytest.MonkeyPatch) -> None:
    venv = require(SERVERS / "py-time")
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    said: list[str] = []
    source = RunPackageSource(parse_package("pypi:mcp-server-time==2026.10.19"), installed=venv, announce=said.append)

    [result] = crawl(source)

    assert said == [f"running mcp-server-time of pypi:mcp-server-time 2026.10.19 over stdio to list its tools: "
                    f"{venv / 'bin' / 'mcp-server-time'}"]
    assert (result.server.key, result.server.origins) == (
        "pypi:mcp-server-time",
        (Origin(kind=OriginKind.PYPI, value="mcp-server-time", version="2026.10.19",
                url="https://pypi.org/project/mcp-server-time/2026.10.19/"),),
    )
    assert hints_by_name(result) == {"get_current_time": RO, "convert_time": RO}


def test_npm_prefix_already_holding_the_version_is_run_without_installing() -> None:
    prefix = require(SERVERS / "npm" / "node_modules" / "@modelcontextprotocol" / "server-memory").parents[2]
    source = RunPackageSource(parse_package("npm:@modelcontextprotocol/server-memory@2026.8.31"), installed=prefix,
                              announce=lambda _: None)

    [result] = crawl(source)

    assert result.server.origins[0].version == "2026.8.31"
    assert sorted(tool.name for tool in result.tools) == [
        "add_observations", "create_entities", "create_relations", "delete_entities", "delete_observations",
        "delete_relations", "open_nodes", "read_graph", "search_nodes",
    ]


@pytest.mark.network
def test_real_pypi_package_is_installed_in_a_throwaway_venv_and_listed(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    require_registry(os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/mcp-server-time/")
    said: list[str] = []
    # A download cache kept between test runs, as users get one: the install itself is real each time.
    cache = kept_cache(pytestconfig, "catalog-packages", tmp_path)
    source = RunPackageSource(parse_package("pypi:mcp-server-time==2026.10.19"), cache_dir=cache, announce=said.append)

    [result] = crawl(source)

    assert said[0].startswith("installing pypi:mcp-server-time==2026.10.19 into a throwaway virtual environment")
    assert (result.server.key, result.server.version) == ("pypi:mcp-server-time", "2026.10.19")
    assert hints_by_name(result) == {"get_current_time": RO, "convert_time": RO}
    assert {tool.location for tool in result.tools} == {
        Location(kind=LocationKind.LIVE, detail="pypi mcp-server-time@2026.10.19")
    }
