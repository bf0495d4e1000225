"""NpmSource against a loopback npm registry serving tarballs built here from fixture packages."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import socket
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.errors import ConfigError, CrawlError
from catalog.records import (
    Location,
    LocationKind,
    Origin,
    OriginKind,
    ServerRecord,
    ToolHints,
)
from crawler import http
from crawler.sources import package_files
from crawler.sources.npm import NpmSource, parse_npm_target, registry_url
from crawler.sources.npm_semver import max_satisfying
from crawler.targets import TargetOptions, resolve
from tests.crawler.crawling import crawl_one as crawl
from tests.loopback import LoopbackServer

PACKAGES = Path(__file__).parent.parent / "fixtures" / "packages"
NOT_FOUND = {"error": "Not found"}
"""What registry.npmjs.org answers for an unknown package, with status 404."""


def npm_tarball(folder: Path) -> bytes:
    """An npm-style tarball: every file of the folder under `package/`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            entry = tarfile.TarInfo(f"package/{path.relative_to(folder).as_posix()}")
            entry.size = len(data)
            entry.mode = 0o644
            tar.addfile(entry, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


class FakeRegistry:
    """Answers `GET /{name}` with a package document and `GET /tarballs/...` with tarball bytes."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.http = LoopbackServer(self.answer)

    @property
    def url(self) -> str:
        return self.http.url

    @property
    def seen(self) -> list[str]:
        return self.http.seen

    def answer(self, path: str) -> tuple[int, bytes, str]:
        if path in self.files:
            return 200, self.files[path], "application/octet-stream"
        document = self.documents.get(path.lstrip("/"))
        if document is None:
            return 404, json.dumps(NOT_FOUND).encode(), "application/json"
        return 200, json.dumps(document).encode(), "application/json"

    def publish(self, name: str, versions: dict[str, bytes], *, tags: dict[str, str] | None = None,
                extra: dict[str, dict[str, Any]] | None = None) -> None:
        """A package document in the registry's shape; the path key is the encoded name npm requests."""
        entries = {}
        for version, data in versions.items():
            path = f"/tarballs/{name.replace('/', '-')}-{version}.tgz"
            self.files[path] = data
            entries[version] = {
                "name": name, "version": version,
                "dist": {"tarball": self.url + path, "integrity": sri(data),
                         "shasum": hashlib.sha1(data).hexdigest()},
                **(extra or {}).get(version, {}),
            }
        latest = max(v for v in versions if "-" not in v)
        self.documents[name.replace("/", "%2f")] = {
            "_id": name, "name": name, "dist-tags": {"latest": latest, **(tags or {})}, "versions": entries,
        }


@contextmanager
def registry() -> Iterator[FakeRegistry]:
    fake = FakeRegistry()
    with fake.http:
        yield fake


NOTES = npm_tarball(PACKAGES / "npm-notes-esm")
BUNDLE = npm_tarball(PACKAGES / "npm-weather-bundle")


def test_scoped_package_at_latest_is_read_from_its_published_esm_files() -> None:
    with registry() as fake:
        fake.publish("@fixture/notes-mcp", {"1.1.0": BUNDLE, "1.2.0": NOTES})
        result = crawl(NpmSource("@fixture/notes-mcp", registry=fake.url))
    assert result.server == ServerRecord(
        key="npm:@fixture/notes-mcp", name="@fixture/notes-mcp",
        description="Notes over MCP (test fixture, tsc ESM output).", version="1.2.0",
        origins=(Origin(kind=OriginKind.NPM, value="@fixture/notes-mcp", version="1.2.0"),),
        notes=("declares the MCP registry name io.github.fixture/notes-mcp",),
    )
    assert [(t.name, t.title, t.hints, t.location) for t in result.tools] == [
        ("remove_note", None, ToolHints(read_only=False, destructive=True, idempotent=True),
         Location(kind=LocationKind.STATIC, file="dist/tools/remove.js", line=3)),
        ("search_notes", "Search notes", ToolHints(read_only=True, open_world=False),
         Location(kind=LocationKind.STATIC, file="dist/tools/search.js", line=3)),
    ]
    assert result.tools[1].input_schema["required"] == ["phrase"]
    assert fake.seen == ["/@fixture%2fnotes-mcp", "/tarballs/@fixture-notes-mcp-1.2.0.tgz"]


def test_exact_version_of_a_commonjs_bundle_reads_build_when_src_holds_only_declarations() -> None:
    with registry() as fake:
        fake.publish("weather-mcp-bundle", {"0.4.0": BUNDLE, "0.5.0": NOTES})
        result = crawl(NpmSource("weather-mcp-bundle", "0.4.0", registry=fake.url))
    assert (result.server.version, result.server.origins[0].version) == ("0.4.0", "0.4.0")
    assert [(t.name, t.location.file, t.location.line) for t in result.tools] == [
        ("clear_cache", "build/server.cjs", 19), ("get_forecast", "build/server.cjs", 12)]
    assert result.complete


def test_dist_tag_names_its_version() -> None:
    with registry() as fake:
        fake.publish("notes", {"1.0.0": BUNDLE, "2.0.0-rc.1": NOTES}, tags={"next": "2.0.0-rc.1"})
        result = crawl(NpmSource("notes", "next", registry=fake.url))
    assert result.server.version == "2.0.0-rc.1"


def test_caret_range_resolves_to_the_highest_release_it_admits_never_a_prerelease() -> None:
    with registry() as fake:
        fake.publish("notes", {"1.0.0": BUNDLE, "1.3.0": NOTES, "1.9.0-beta.1": BUNDLE, "2.0.0": BUNDLE})
        result = crawl(NpmSource("notes", "^1.0.0", registry=fake.url))
    assert result.server.version == "1.3.0"
    assert fake.seen[-1] == "/tarballs/notes-1.3.0.tgz"


def test_range_that_matches_nothing_names_the_latest_version() -> None:
    with registry() as fake:
        fake.publish("notes", {"1.0.0": BUNDLE})
        with pytest.raises(CrawlError) as raised:
            crawl(NpmSource("notes", "^3", registry=fake.url))
    assert str(raised.value) == "no version of npm package notes matches '^3' (latest is 1.0.0)"


def test_unpublished_version_names_the_latest_version() -> None:
    with registry() as fake:
        fake.publish("notes", {"1.0.0": BUNDLE})
        with pytest.raises(CrawlError) as raised:
            crawl(NpmSource("notes", "9.9.9", registry=fake.url))
    assert str(raised.value) == "npm package notes has no version or dist-tag '9.9.9' (latest is 1.0.0)"


def test_unknown_scoped_package_is_a_one_line_not_found() -> None:
    with registry() as fake, pytest.raises(CrawlError) as raised:
        crawl(NpmSource("@nobody/nothing", registry=fake.url))
    assert str(raised.value) == f"npm package @nobody/nothing not found in {fake.url}"
    assert fake.seen == ["/@nobody%2fnothing"]


def test_tarball_that_fails_its_sha512_integrity_is_refused() -> None:
    with registry() as fake:
        fake.publish("notes", {"1.0.0": NOTES})
        fake.files["/tarballs/notes-1.0.0.tgz"] = BUNDLE  # swapped after publishing
        with pytest.raises(CrawlError) as raised:
            crawl(NpmSource("notes", registry=fake.url))
    assert str(raised.value) == ("npm tarball of notes@1.0.0 failed its sha512 integrity check: "
                                 "the download is not the file the registry published")


def test_old_version_without_integrity_is_checked_against_its_sha1_shasum() -> None:
    with registry() as fake:
        fake.publish("notes", {"0.1.0": NOTES})
        del fake.documents["notes"]["versions"]["0.1.0"]["dist"]["integrity"]
        result = crawl(NpmSource("notes", registry=fake.url))
        fake.documents["notes"]["versions"]["0.1.0"]["dist"]["shasum"] = "0" * 40
        with pytest.raises(CrawlError, match=r"failed its sha1 integrity check"):
            crawl(NpmSource("notes", registry=fake.url))
    assert [tool.name for tool in result.tools] == ["remove_note", "search_notes"]


def test_tarball_over_the_size_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package_files, "MAX_PACKAGE_BYTES", 100)
    with registry() as fake:
        fake.publish("notes", {"1.0.0": NOTES})
        with pytest.raises(CrawlError) as raised:
            crawl(NpmSource("notes", registry=fake.url))
    assert str(raised.value) == f"download of {fake.url}/tarballs/notes-1.0.0.tgz exceeds 100 bytes"


def test_corrupt_tarball_with_a_matching_hash_is_a_crawl_error() -> None:
    with registry() as fake:
        fake.publish("notes", {"1.0.0": NOTES[: len(NOTES) // 2]})
        with pytest.raises(CrawlError, match=r"^corrupt archive package\.tgz: "):
            crawl(NpmSource("notes", registry=fake.url))


def test_package_without_tools_and_deprecated_version_say_so(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "left-pad", "version": "1.0.0"}', encoding="utf-8")
    (tmp_path / "index.js").write_text("module.exports = (s) => s;\n", encoding="utf-8")
    with registry() as fake:
        fake.publish("left-pad", {"1.0.0": npm_tarball(tmp_path)},
                     extra={"1.0.0": {"deprecated": "use String.prototype.padStart"}})
        result = crawl(NpmSource("left-pad", registry=fake.url))
    assert (result.tools, result.server.notes) == (
        (), ("version 1.0.0 is deprecated: use String.prototype.padStart",
             "no tool definitions found in the published files"))


def test_unreachable_registry_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(seconds: float) -> None:
        """Retries back off instantly."""

    monkeypatch.setattr(http, "sleep", no_wait)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CrawlError) as raised:
        crawl(NpmSource("notes", registry=f"http://127.0.0.1:{port}"))
    assert str(raised.value) == f"cannot reach the npm registry at 127.0.0.1:{port}: connection refused"


def test_registry_comes_from_the_flag_then_npm_config_registry_then_the_public_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("npm_config_registry", raising=False)
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    public = registry_url()
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:4873/")
    from_env = resolve("npm:notes")
    from_flag = resolve("npm:notes", TargetOptions(npm_registry="http://mirror.test/npm/"))
    assert isinstance(from_env, NpmSource) and isinstance(from_flag, NpmSource)
    assert (public, from_env.registry, from_flag.registry) == (
        "https://registry.npmjs.org", "http://127.0.0.1:4873", "http://mirror.test/npm")


@pytest.mark.parametrize(("target", "expected"), [
    ("notes", ("notes", None)),
    ("notes@1.2.3", ("notes", "1.2.3")),
    ("@scope/notes", ("@scope/notes", None)),
    ("@scope/notes@next", ("@scope/notes", "next")),
    ("@scope/notes@^1.2", ("@scope/notes", "^1.2")),
    ("@scope/notes@>=1.0.0 <2", ("@scope/notes", ">=1.0.0 <2")),
    ("JSONStream", ("JSONStream", None)),
])
def test_npm_targets_split_into_name_and_version(target: str, expected: tuple[str, str | None]) -> None:
    assert parse_npm_target(target) == expected


@pytest.mark.parametrize(("target", "message"), [
    ("", "not a valid npm package name '': expected npm:NAME, npm:NAME@VERSION, npm:NAME@TAG or "
         "npm:NAME@RANGE (NAME may be @scope/name)"),
    ("@scope", "not a valid npm package name '@scope': expected npm:NAME, npm:NAME@VERSION, npm:NAME@TAG or "
               "npm:NAME@RANGE (NAME may be @scope/name)"),
    ("notes@", "not a version, dist-tag or range '' for npm package notes"),
    ("notes@1.0.0 - 2.0.0", "not a version, dist-tag or range '1.0.0 - 2.0.0' for npm package notes"),
    ("../etc@1", "not a valid npm package name '../etc': expected npm:NAME, npm:NAME@VERSION, npm:NAME@TAG or "
                 "npm:NAME@RANGE (NAME may be @scope/name)"),
])
def test_malformed_npm_targets_are_config_errors(target: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        resolve(f"npm:{target}")
    assert str(raised.value) == message


@pytest.mark.parametrize(("spec", "expected"), [
    ("~1.2.0", "1.2.9"), ("1.x", "1.3.0"), (">=1.2.0 <1.3", "1.2.9"), ("<=1.2", "1.2.9"), (">1.2 <2", "1.3.0"),
    ("^0.2.1", "0.2.5"), ("^0.0.3", "0.0.3"), ("*", "2.0.0"), ("^1 || ^2", "2.0.0"), ("=1.2.9", "1.2.9"),
])
def test_ranges_pick_the_highest_release_npm_would(spec: str, expected: str) -> None:
    published = ["0.0.3", "0.0.4", "0.2.5", "1.2.0", "1.2.9", "1.3.0", "2.0.0", "2.1.0-rc.1"]
    assert max_satisfying(published, spec) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_npm_target_parsing_never_raises_anything_but_a_one_line_config_error(text: str) -> None:
    try:
        name, spec = parse_npm_target(text)
    except ConfigError as error:
        assert str(error).isprintable()
        return
    assert name and (spec is None or spec)
