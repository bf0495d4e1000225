"""Registries into a real SQLite store: origins, upstream status, sync, removal, dedupe, tools each way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.records import Location, LocationKind, Origin, OriginKind
from catalog.registry_sync import crawl_registries, sync_registries
from catalog.store import Store
from classifier.rules import RulesClassifier
from crawler.registries.source import RegistryOptions
from tests.crawler.fake_github import FakeGitHub, FakeRepo, folder_files, tarball
from tests.crawler.registries.mock import (
    OFFICIAL_META,
    MockRegistry,
    OfficialApp,
    Reply,
    Request,
    json_reply,
    official_server,
)

REPO_FIXTURE = Path(__file__).parent.parent.parent / "fixtures" / "repos" / "js-esm"


def store_at(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'catalog.db'}")


def options(url: str, **more: Any) -> RegistryOptions:
    return RegistryOptions(base_url=url, rate=0, **{"servers_only": True, **more})


def test_official_crawl_stores_servers_with_origins_and_upstream_status(tmp_path: Path) -> None:
    app = OfficialApp([
        official_server("io.github.acme/weather", repository="https://github.com/acme/weather", npm="acme-weather"),
        official_server("io.example/remote", status="deprecated", remote="https://mcp.example.com/mcp"),
    ])
    with MockRegistry(app) as mock, store_at(tmp_path) as store:
        [report] = crawl_registries(["official"], store, options(mock.url))
        found = {s.key: (s.origins, s.upstream_status, s.status) for s in store.servers(origin="official")}
    assert (report.saved, report.failures, dict(report.upstream)) == (2, [], {"active": 1, "deprecated": 1})
    assert found == {
        "github:acme/weather": ((
            Origin(kind=OriginKind.REGISTRY, value="official:io.github.acme/weather", version="1.0.0"),
            Origin(kind=OriginKind.GITHUB, value="acme/weather", url="https://github.com/acme/weather"),
            Origin(kind=OriginKind.NPM, value="acme-weather", version="1.0.0"),
        ), "active", "partial"),
        "registry:io.example/remote": ((
            Origin(kind=OriginKind.REGISTRY, value="official:io.example/remote", version="1.0.0"),
        ), "deprecated", "partial"),
    }


def test_sync_asks_for_changes_since_the_last_run_and_marks_deprecated_and_deleted(tmp_path: Path) -> None:
    items = [official_server(f"io.github.acme/s{i}", updated="2020-01-01T00:00:00Z") for i in range(3)]
    app = OfficialApp(items)
    with MockRegistry(app) as mock, store_at(tmp_path) as store:
        crawl_registries(["official"], store, options(mock.url))
        for number, status in ((0, "deprecated"), (1, "deleted")):
            items[number]["_meta"][OFFICIAL_META].update(status=status, updatedAt="2999-01-01T00:00:00Z")
        [report] = sync_registries(store, options(mock.url))
        statuses = {s.key: s.upstream_status for s in store.servers()}
    assert "updated_since" in mock.seen[-1].query and "updated_since" not in mock.seen[0].query
    assert (report.saved, dict(report.upstream)) == (2, {"deleted": 1, "deprecated": 1})
    assert statuses == {"registry:io.github.acme/s0": "deprecated", "registry:io.github.acme/s1": "deleted",
                        "registry:io.github.acme/s2": "active"}


def glama_item(slug: str, repository: str | None = None, tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": slug, "name": slug.title(), "namespace": "acme", "slug": slug, "description": f"{slug} server",
            "url": f"https://glama.ai/mcp/servers/acme/{slug}", "repository": {"url": repository},
            "tools": tools or [], "attributes": []}


def glama_app(items: list[dict[str, Any]]) -> Callable[[Request], Reply]:
    def answer(request: Request) -> Reply:
        after = int(request.query.get("after", "0"))
        first = int(request.query["first"])
        page = items[after:after + first]
        more = after + first < len(items)
        return json_reply({"servers": page, "pageInfo": {"endCursor": str(after + first), "hasNextPage": more,
                                                         "startCursor": str(after), "hasPreviousPage": after > 0}})
    return answer


def test_a_complete_crawl_marks_servers_no_longer_listed_as_removed(tmp_path: Path) -> None:
    items = [glama_item(name) for name in ("alpha", "beta", "gamma")]
    with MockRegistry(glama_app(items)) as mock, store_at(tmp_path) as store:
        crawl_registries(["glama"], store, options(mock.url, page_size=2))
        del items[1]
        [report] = crawl_registries(["glama"], store, options(mock.url, page_size=2))
        statuses = {s.key: s.upstream_status for s in store.servers(origin="glama")}
    assert report.removed == ["registry:glama:acme/beta"]
    assert statuses == {"registry:glama:acme/alpha": "active", "registry:glama:acme/beta": "removed",
                        "registry:glama:acme/gamma": "active"}


def test_one_server_listed_by_three_registries_is_one_row_with_three_registry_origins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    official = OfficialApp([official_server("io.github.acme/weather", repository="https://github.com/Acme/Weather.git",
                                            npm="@acme/weather")])
    glama = glama_app([glama_item("weather", repository="https://www.github.com/acme/weather/tree/main")])

    def npm(request: Request) -> Reply:
        package = {"name": "@acme/weather", "version": "1.0.0", "description": "weather",
                   "links": {"repository": "git+https://github.com/acme/weather.git"}}
        return json_reply({"objects": [{"package": package}], "total": 1})

    def route(request: Request) -> Reply:
        if request.path == "/v0.1/servers":
            return official(request)
        return glama(request) if request.path == "/v1/servers" else npm(request)

    with MockRegistry(route) as mock, store_at(tmp_path) as store:
        monkeypatch.setenv("npm_config_registry", mock.url)
        reports = crawl_registries(["official", "glama", "npm"], store, options(mock.url))
        servers = store.servers()
    assert [r.saved for r in reports] == [1, 1, 1]
    assert [s.key for s in servers] == ["github:acme/weather"]
    assert sorted(o.value for o in servers[0].origins if o.kind is OriginKind.REGISTRY) == [
        "glama:acme/weather", "npm:@acme/weather", "official:io.github.acme/weather"]


def test_tools_come_from_the_registry_payload_else_the_repository_else_a_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = {"name": "get_forecast", "description": "Read the forecast for a city",
            "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}}}
    items = [glama_item("payload", tools=[tool]), glama_item("coded", repository="https://github.com/octo/coded"),
             glama_item("bare")]
    repo = FakeRepo("octo", "coded", tarballs={"main": tarball(folder_files(REPO_FIXTURE), "octo-coded-abc1234")})
    with MockRegistry(glama_app(items)) as mock, FakeGitHub(repo) as github, store_at(tmp_path) as store:
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        [report] = crawl_registries(["glama"], store, options(mock.url, servers_only=False),
                                    classifier=RulesClassifier.from_data())
        tools = {(t.tool.server_key, t.tool.name): t.tool.location for t in store.tools()}
        bare = store.server("registry:glama:acme/bare")
    assert dict(report.ways) == {"registry": 1, "static": 1, "none": 1}
    assert tools[("registry:glama:acme/payload", "get_forecast")] == Location(kind=LocationKind.REGISTRY, detail="glama")
    assert {loc.kind for key, loc in tools.items() if key[0] == "github:octo/coded"} == {LocationKind.STATIC}
    assert bare.notes == ("tools not fetched: glama gives no tools, repository, package or remote",)
    assert bare.status == "partial"


def test_a_package_whose_static_source_is_missing_says_why_in_a_note(tmp_path: Path) -> None:
    app = OfficialApp([official_server("io.github.acme/py", pypi="acme-py")])
    with MockRegistry(app) as mock, store_at(tmp_path) as store:
        crawl_registries(["official"], store, options(mock.url, servers_only=False), classifier=RulesClassifier.from_data())
        notes = store.server("pypi:acme-py").notes
    assert len(notes) == 1 and notes[0].startswith("tools not fetched: pypi:acme-py==1.0.0: ")


def test_a_failing_listing_is_a_stored_failure_and_servers_before_it_are_kept(tmp_path: Path) -> None:
    app = OfficialApp([official_server(f"io.github.acme/s{i}") for i in range(3)])
    app.faults[2] = Reply(200, b'{"servers": [', {"Content-Type": "application/json"})
    with MockRegistry(app) as mock, store_at(tmp_path) as store:
        [report] = crawl_registries(["official"], store, options(mock.url, page_size=2))
        failures = store.failures()
        keys = [s.key for s in store.servers()]
    assert keys == ["registry:io.github.acme/s0", "registry:io.github.acme/s1"]
    assert [(f.stage, "truncated JSON" in f.reason) for f in failures] == [("list", True)]
    assert report.failures == failures and report.removed == []


def test_sync_revalidates_pages_with_etags_and_skips_the_unchanged_ones(tmp_path: Path) -> None:
    items = [glama_item(name) for name in ("alpha", "beta", "gamma")]
    listing = glama_app(items)

    def with_etags(request: Request) -> Reply:
        tag = f'"page-{request.query.get("after", "0")}"'
        if request.headers.get("if-none-match") == tag:
            return Reply(304, b"", {"ETag": tag})
        reply = listing(request)
        reply.headers["ETag"] = tag
        return reply

    with MockRegistry(with_etags) as mock, store_at(tmp_path) as store:
        crawl_registries(["glama"], store, options(mock.url, page_size=2))
        before = {s.key: s.last_seen for s in store.servers()}
        [report] = sync_registries(store, options(mock.url, page_size=2))
        statuses = {s.key: s.upstream_status for s in store.servers()}
    assert [r.headers.get("if-none-match") for r in mock.seen] == [None, None, '"page-0"', '"page-2"']
    assert (report.saved, report.unchanged, report.removed) == (0, 3, [])
    assert statuses == dict.fromkeys(before, "active")


def test_limit_stops_early_and_the_next_crawl_starts_from_the_beginning(tmp_path: Path) -> None:
    app = OfficialApp([official_server(f"io.github.acme/s{i}") for i in range(5)])
    with MockRegistry(app) as mock, store_at(tmp_path) as store:
        first = crawl_registries(["official"], store, options(mock.url, page_size=2, limit=3))
        second = crawl_registries(["official"], store, options(mock.url, page_size=2, limit=1))
        keys = [s.key for s in store.servers()]
    assert [r.saved for r in first + second] == [3, 1]
    assert keys == [f"registry:io.github.acme/s{i}" for i in range(3)]
    assert [r.removed for r in first + second] == [[], []]
