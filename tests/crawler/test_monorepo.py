"""Monorepos: several servers in one tree, found by their manifests, each with the tools its code registers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalog.records import CrawlResult, Origin, OriginKind, ServerRecord
from crawler.extract.tree import SourceFile
from crawler.imports import ImportGraph
from crawler.manifests import Manifest, find_manifests, server_manifests
from crawler.monorepo import extract_servers
from crawler.sources.github import GitHubSource
from crawler.sources.local import LocalSource
from tests.crawler.crawling import crawl_all as crawl
from tests.crawler.fake_github import FakeGitHub, FakeRepo, folder_files, tarball

FIXTURES = Path(__file__).parent.parent / "fixtures"
MONOREPO = FIXTURES / "monorepo"


def monorepo_copy(tmp_path: Path) -> Path:
    """The fixture plus a vendored MCP server under node_modules, which must never count."""
    root = tmp_path / "acme-servers"
    shutil.copytree(MONOREPO, root)
    vendored = root / "node_modules" / "@vendor" / "mcp-thing"
    vendored.mkdir(parents=True)
    (vendored / "package.json").write_text(
        '{"name": "@vendor/mcp-thing", "bin": "x.js", "dependencies": {"@modelcontextprotocol/sdk": "1"}}',
        encoding="utf-8")
    (vendored / "x.js").write_text('server.tool("vendored_tool", "No.", async () => ({}));\n', encoding="utf-8")
    return root


def tools_by_server(results: list[CrawlResult]) -> dict[str, list[tuple[str, str | None]]]:
    return {r.server.key: [(t.name, t.location.file) for t in r.tools] for r in results}


EXPECTED_TOOLS = {
    "local:acme-servers#src/calendar": [("create_event", "src/calendar/src/tools.ts"),
                                        ("list_events", "src/calendar/src/tools.ts")],
    "local:acme-servers#src/clock": [("current_time", "src/clock/src/acme_clock/server.py"),
                                     ("ping", "libs/pyshared/src/acme_pyshared/tools.py")],
    "local:acme-servers#src/kv": [("kv_delete", "src/kv/kv_server/server.py"),
                                  ("kv_get", "src/kv/kv_server/server.py")],
    "local:acme-servers#src/notes": [("delete_note", "src/notes/index.ts"),
                                     ("health_check", "packages/shared/src/health.ts"),
                                     ("list_notes", "src/notes/index.ts")],
    "local:acme-servers#src/search": [("health_check", "packages/shared/src/health.ts"),
                                      ("web_search", "src/search/index.js")],
}


def test_monorepo_folder_is_five_servers_each_with_the_tools_its_code_registers(tmp_path: Path) -> None:
    results = crawl(LocalSource(monorepo_copy(tmp_path)))
    assert tools_by_server(results) == EXPECTED_TOOLS
    assert all(tool.server_key == result.server.key for result in results for tool in result.tools)


def test_each_server_of_a_monorepo_is_described_by_its_own_manifest(tmp_path: Path) -> None:
    results = crawl(LocalSource(monorepo_copy(tmp_path)))
    servers = {result.server.key: result.server for result in results}
    assert servers["local:acme-servers#src/calendar"] == ServerRecord(
        key="local:acme-servers#src/calendar", name="@acme/calendar-server",
        description="Read and write calendar events.", version="0.9.1",
        origins=(Origin(kind=OriginKind.LOCAL, value="acme-servers#src/calendar", version="0.9.1"),),
        notes=("declares the MCP registry name io.github.acme/calendar",),
    )
    assert servers["local:acme-servers#src/clock"] == ServerRecord(
        key="local:acme-servers#src/clock", name="acme-clock", description="Tell the time in any zone.",
        version="0.3.0", origins=(Origin(kind=OriginKind.LOCAL, value="acme-servers#src/clock", version="0.3.0"),),
        notes=("declares the MCP registry name io.github.acme/clock",),
    )
    assert servers["local:acme-servers#src/kv"].name == "acme-kv"


def test_only_manifests_that_declare_a_server_count_and_shared_sdk_users_are_libraries() -> None:
    manifests = find_manifests(MONOREPO)
    assert [(m.folder, m.ecosystem, m.name) for m in manifests] == [
        ("", "npm", "acme-mcp-monorepo"),
        ("docs/site", "npm", "acme-docs"),
        ("libs/pyshared", "python", "acme-pyshared"),
        ("packages/shared", "npm", "@acme/mcp-shared"),
        ("src/calendar", "npm", "@acme/calendar-server"),
        ("src/clock", "python", "acme-clock"),
        ("src/kv", "python", "acme-kv"),
        ("src/notes", "npm", "@acme/notes-server"),
        ("src/search", "npm", "acme-search-server"),
        ("tools/inspector", "npm", "@acme/inspector"),
    ]
    assert [m.folder for m in server_manifests(manifests)] == [
        "src/calendar", "src/clock", "src/kv", "src/notes", "src/search"]


def test_single_server_tree_keeps_the_plain_key_and_reads_every_folder() -> None:
    [found] = extract_servers(FIXTURES / "github" / "weather-server", "local:weather-server")
    assert (found.subpath, found.key("local:weather-server")) == (None, "local:weather-server")
    assert [tool.name for tool in found.extraction.tools] == ["delete_station", "get_forecast"]


def test_server_nested_in_a_server_folder_owns_its_own_files(tmp_path: Path) -> None:
    sdk = '"dependencies": {"@modelcontextprotocol/sdk": "1"}'
    (tmp_path / "plugins" / "extra").mkdir(parents=True)
    (tmp_path / "package.json").write_text(f'{{"name": "outer", "bin": "index.js", {sdk}}}', encoding="utf-8")
    (tmp_path / "index.js").write_text('server.tool("outer_tool", "Outer.", async () => ({}));\n', encoding="utf-8")
    (tmp_path / "plugins" / "extra" / "package.json").write_text(
        f'{{"name": "inner", "bin": "main.js", {sdk}}}', encoding="utf-8")
    (tmp_path / "plugins" / "extra" / "main.js").write_text(
        'server.tool("inner_tool", "Inner.", async () => ({}));\n', encoding="utf-8")
    found = extract_servers(tmp_path, "github:o/r")
    assert [(s.key("github:o/r"), [t.name for t in s.extraction.tools]) for s in found] == [
        ("github:o/r", ["outer_tool"]), ("github:o/r#plugins/extra", ["inner_tool"])]


def test_go_servers_of_one_repository_share_a_module_only_where_they_import_it(tmp_path: Path) -> None:
    go_mod = "module example.com/{name}\n\ngo 1.22\n\nrequire github.com/mark3labs/mcp-go v0.30.0\n"
    tool = ('package main\n\nimport (\n\t"github.com/mark3labs/mcp-go/mcp"\n{extra})\n\n'
            'func tools() {{\n\t_ = mcp.NewTool("{tool}", mcp.WithDescription("{tool}."))\n}}\n')
    for name, extra in (("alpha", '\t"example.com/common/probe"\n'), ("beta", "")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "go.mod").write_text(go_mod.format(name=name), encoding="utf-8")
        (tmp_path / name / "main.go").write_text(tool.format(extra=extra, tool=f"{name}_tool"), encoding="utf-8")
    (tmp_path / "common" / "probe").mkdir(parents=True)
    (tmp_path / "common" / "go.mod").write_text(go_mod.format(name="common"), encoding="utf-8")
    (tmp_path / "common" / "probe" / "probe.go").write_text(
        tool.format(extra="", tool="probe").replace("package main", "package probe"), encoding="utf-8")
    (tmp_path / "alpha" / "go.mod").write_text(
        go_mod.format(name="alpha") + "require example.com/common v0.0.0\n", encoding="utf-8")
    found = extract_servers(tmp_path, "local:gos")
    assert [(s.subpath, [t.name for t in s.extraction.tools]) for s in found] == [
        ("alpha", ["alpha_tool", "probe"]), ("beta", ["beta_tool"])]


def test_imports_resolve_compiled_specifiers_to_sources_and_relative_python_packages() -> None:
    files = [
        SourceFile("srv/index.ts", 'import { a } from "./tools/a.js";\nconst b = require("../lib/b");\n'),
        SourceFile("srv/tools/a.ts", ""),
        SourceFile("lib/b/index.js", ""),
        SourceFile("py/pkg/__init__.py", ""),
        SourceFile("py/pkg/server.py", "from . import helpers\nfrom .sub.deep import thing\nimport os\n"),
        SourceFile("py/pkg/helpers.py", ""),
        SourceFile("py/pkg/sub/deep.py", ""),
    ]
    graph = ImportGraph(files, [Manifest(folder="py", ecosystem="python", name="pkg")])
    assert graph.imports(files[0]) == {"srv/tools/a.ts", "lib/b/index.js"}
    assert graph.imports(files[4]) == {"py/pkg/__init__.py", "py/pkg/helpers.py", "py/pkg/sub/deep.py"}


def test_github_monorepo_yields_one_result_per_server_with_subpath_keys_and_links(
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = FakeRepo("Acme", "Servers", description="Acme's MCP servers.",
                    tarballs={"main": tarball(folder_files(MONOREPO), "Acme-Servers-0a1b2c3")})
    with FakeGitHub(repo) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        results = crawl(GitHubSource("Acme", "Servers"))
    assert tools_by_server(results) == {key.replace("local:acme-servers", "github:acme/servers"): tools
                                        for key, tools in EXPECTED_TOOLS.items()}
    notes = next(r.server for r in results if r.server.key == "github:acme/servers#src/notes")
    assert notes == ServerRecord(
        key="github:acme/servers#src/notes", name="@acme/notes-server", description="Keep short notes.",
        version="1.4.0",
        origins=(Origin(kind=OriginKind.GITHUB, value="Acme/Servers#src/notes", version="main@0a1b2c3",
                        url="https://github.com/Acme/Servers/tree/main/src/notes"),),
    )
