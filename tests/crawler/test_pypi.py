"""PyPISource against a loopback PyPI JSON API serving wheels and sdists built here from a fixture project."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zipfile
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
from crawler.sources.pypi import PyPISource, index_url, parse_pypi_target
from crawler.targets import TargetOptions, resolve
from tests.crawler.crawling import crawl_one as crawl
from tests.loopback import LoopbackServer

PROJECT = Path(__file__).parent.parent / "fixtures" / "packages" / "pypi-acme-notes"
NOT_FOUND = {"message": "Not Found"}
"""What pypi.org's JSON API answers for an unknown project or version, with status 404."""
DESCRIPTION = "# acme-notes\n\nNotes for agents.\n\n<!-- mcp-name: io.github.acme/notes -->\n"


def wheel(version: str) -> bytes:
    """A py3-none-any wheel of the fixture package (its tests/ folder is not shipped in wheels)."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as bundle:
        for path in sorted((PROJECT / "acme_notes").rglob("*.py")):
            bundle.writestr(path.relative_to(PROJECT).as_posix(), path.read_bytes())
        bundle.writestr(f"acme_notes-{version}.dist-info/METADATA", f"Name: acme-notes\nVersion: {version}\n")
    return raw.getvalue()


def sdist(version: str) -> bytes:
    """An sdist: everything under `acme_notes-{version}/`, its tests included."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path in sorted(p for p in PROJECT.rglob("*") if p.is_file()):
            data = path.read_bytes()
            entry = tarfile.TarInfo(f"acme_notes-{version}/{path.relative_to(PROJECT).as_posix()}")
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


class FakePyPI:
    """Serves /pypi/{name}/json, /pypi/{name}/{version}/json and /packages/... like pypi.org."""

    def __init__(self, *, per_version_documents: bool = True) -> None:
        self.releases: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, bytes] = {}
        self.per_version_documents = per_version_documents
        self.http = LoopbackServer(self.answer)

    @property
    def url(self) -> str:
        return self.http.url

    @property
    def seen(self) -> list[str]:
        return self.http.seen

    def upload(self, version: str, filename: str, data: bytes, *, relative: bool = False, **fields: Any) -> None:
        path = f"/packages/ab/cd/{filename}"
        self.files[path] = data
        self.releases.setdefault(version, []).append({
            "filename": filename,
            "packagetype": "bdist_wheel" if filename.endswith(".whl") else "sdist",
            "url": f"../../..{path}" if relative else self.url + path,
            "digests": {"md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()},
            "size": len(data), "yanked": False, "yanked_reason": None, **fields,
        })

    def document(self, version: str) -> dict[str, Any]:
        info = {"name": "acme-notes", "version": version, "summary": "Notes for agents.",
                "description": DESCRIPTION, "yanked": False}
        return {"info": info, "urls": self.releases[version], "releases": self.releases, "vulnerabilities": []}

    def answer(self, path: str) -> tuple[int, bytes, str]:
        if path in self.files:
            return 200, self.files[path], "application/octet-stream"
        parts = path.strip("/").split("/")
        latest = max(self.releases) if self.releases else None
        if parts[:2] == ["pypi", "acme-notes"] and latest is not None:
            if parts[2:] == ["json"]:
                return 200, json.dumps(self.document(latest)).encode(), "application/json"
            if len(parts) == 4 and parts[3] == "json" and parts[2] in self.releases and self.per_version_documents:
                document = self.document(parts[2])
                del document["releases"]  # per-version documents carry no releases map
                return 200, json.dumps(document).encode(), "application/json"
        return 404, json.dumps(NOT_FOUND).encode(), "application/json"


@contextmanager
def pypi(*, per_version_documents: bool = True) -> Iterator[FakePyPI]:
    fake = FakePyPI(per_version_documents=per_version_documents)
    with fake.http:
        yield fake


def test_pure_wheel_is_preferred_and_read_statically_with_the_readme_mcp_name() -> None:
    with pypi() as fake:
        fake.upload("1.1.0", "acme_notes-1.1.0.tar.gz", sdist("1.1.0"))
        fake.upload("1.1.0", "acme_notes-1.1.0-cp312-cp312-manylinux_2_17_x86_64.whl", b"not read")
        fake.upload("1.1.0", "acme_notes-1.1.0-py3-none-any.whl", wheel("1.1.0"))
        result = crawl(PyPISource("Acme_Notes", "1.1.0", index=fake.url))
    assert result.server == ServerRecord(
        key="pypi:acme-notes", name="acme-notes", description="Notes for agents.", version="1.1.0",
        origins=(Origin(kind=OriginKind.PYPI, value="acme-notes", version="1.1.0"),),
        notes=("declares the MCP registry name io.github.acme/notes",),
    )
    assert [(t.name, t.description, t.hints, t.location) for t in result.tools] == [
        ("drop_note", "Delete a note for good.", ToolHints(destructive=True),
         Location(kind=LocationKind.STATIC, file="acme_notes/server.py", line=17)),
        ("find_note", "Find a note.", ToolHints(read_only=True),
         Location(kind=LocationKind.STATIC, file="acme_notes/server.py", line=11)),
    ]
    assert fake.seen == ["/pypi/acme-notes/1.1.0/json", "/packages/ab/cd/acme_notes-1.1.0-py3-none-any.whl"]


def test_latest_release_comes_from_the_project_document() -> None:
    with pypi() as fake:
        fake.upload("1.0.0", "acme_notes-1.0.0-py3-none-any.whl", wheel("1.0.0"))
        fake.upload("1.1.0", "acme_notes-1.1.0-py3-none-any.whl", wheel("1.1.0"))
        result = crawl(PyPISource("acme-notes", index=fake.url))
    assert (result.server.version, fake.seen[0]) == ("1.1.0", "/pypi/acme-notes/json")


def test_index_without_per_version_documents_falls_back_to_the_releases_map() -> None:
    with pypi(per_version_documents=False) as fake:
        fake.upload("1.0.0", "acme_notes-1.0.0-py3-none-any.whl", wheel("1.0.0"), relative=True)
        fake.upload("1.1.0", "acme_notes-1.1.0-py3-none-any.whl", wheel("1.1.0"))
        result = crawl(PyPISource("acme-notes", "1.0.0", index=fake.url))
    assert result.server.version == "1.0.0"
    assert fake.seen == ["/pypi/acme-notes/1.0.0/json", "/pypi/acme-notes/json",
                         "/packages/ab/cd/acme_notes-1.0.0-py3-none-any.whl"]


def test_sdist_is_read_when_there_is_no_pure_wheel_and_its_tests_are_skipped() -> None:
    with pypi() as fake:
        fake.upload("1.1.0", "acme_notes-1.1.0.tar.gz", sdist("1.1.0"))
        result = crawl(PyPISource("acme-notes", index=fake.url))
    assert result.server.notes == ("no pure-Python wheel: read acme_notes-1.1.0.tar.gz",
                                   "declares the MCP registry name io.github.acme/notes")
    assert [(t.name, t.location.file) for t in result.tools] == [
        ("drop_note", "acme_notes/server.py"), ("find_note", "acme_notes/server.py")]


def test_yanked_file_is_used_only_when_nothing_else_is_published_and_noted() -> None:
    with pypi() as fake:
        fake.upload("1.1.0", "acme_notes-1.1.0-py3-none-any.whl", wheel("1.1.0"), yanked=True,
                    yanked_reason="broken import")
        result = crawl(PyPISource("acme-notes", index=fake.url))
    assert result.server.notes[0] == "acme_notes-1.1.0-py3-none-any.whl is yanked: broken import"


def test_unknown_project_is_a_one_line_not_found() -> None:
    with pypi() as fake, pytest.raises(CrawlError) as raised:
        crawl(PyPISource("no-such-project", "1.0", index=fake.url))
    assert str(raised.value) == f"PyPI project no-such-project not found at {fake.url}"
    assert fake.seen == ["/pypi/no-such-project/1.0/json", "/pypi/no-such-project/json"]


def test_unknown_version_names_the_latest() -> None:
    with pypi() as fake:
        fake.upload("1.1.0", "acme_notes-1.1.0-py3-none-any.whl", wheel("1.1.0"))
        with pytest.raises(CrawlError) as raised:
            crawl(PyPISource("acme-notes", "9.9", index=fake.url))
    assert str(raised.value) == "PyPI project acme-notes has no version '9.9' (latest is 1.1.0)"


def test_wheel_that_fails_its_sha256_is_refused() -> None:
    with pypi() as fake:
        fake.upload("1.1.0", "acme_notes-1.1.0-py3-none-any.whl", wheel("1.1.0"))
        fake.files["/packages/ab/cd/acme_notes-1.1.0-py3-none-any.whl"] = wheel("6.6.6")
        with pytest.raises(CrawlError) as raised:
            crawl(PyPISource("acme-notes", index=fake.url))
    assert str(raised.value) == ("acme_notes-1.1.0-py3-none-any.whl failed its sha256 integrity check: "
                                 "the download is not the file the registry published")


def test_file_declared_over_the_size_cap_is_refused_before_download() -> None:
    with pypi() as fake:
        fake.upload("1.1.0", "acme_notes-1.1.0-py3-none-any.whl", wheel("1.1.0"), size=10**10)
        with pytest.raises(CrawlError) as raised:
            crawl(PyPISource("acme-notes", index=fake.url))
    assert str(raised.value) == ("acme_notes-1.1.0-py3-none-any.whl is 10000000000 bytes, over the "
                                 "67108864-byte limit: refusing")
    assert fake.seen == ["/pypi/acme-notes/json"]


def test_corrupt_wheel_with_a_matching_hash_is_a_crawl_error() -> None:
    with pypi() as fake:
        fake.upload("1.1.0", "acme_notes-1.1.0-py3-none-any.whl", b"PK\x03\x04 truncated")
        with pytest.raises(CrawlError, match=r"^corrupt archive acme_notes-1\.1\.0-py3-none-any\.whl: "):
            crawl(PyPISource("acme-notes", index=fake.url))


def test_release_with_only_unusable_files_is_a_crawl_error() -> None:
    with pypi() as fake:
        fake.upload("1.1.0", "acme_notes-1.1.0.egg", b"eggs")
        with pytest.raises(CrawlError) as raised:
            crawl(PyPISource("acme-notes", index=fake.url))
    assert str(raised.value) == "PyPI release acme-notes==1.1.0 publishes no wheel or sdist with a sha256 digest"


@pytest.mark.parametrize(("flag", "pip_index", "expected"), [
    (None, None, "https://pypi.org"),
    (None, "https://mirror.test/pypi/simple/", "https://mirror.test/pypi"),
    (None, "https://mirror.test/repository/pypi-proxy", "https://pypi.org"),
    ("http://127.0.0.1:8080/", "https://mirror.test/simple", "http://127.0.0.1:8080"),
])
def test_index_comes_from_the_flag_then_pip_index_url_then_pypi_org(
        monkeypatch: pytest.MonkeyPatch, flag: str | None, pip_index: str | None, expected: str) -> None:
    if pip_index is None:
        monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    else:
        monkeypatch.setenv("PIP_INDEX_URL", pip_index)
    source = resolve("pypi:acme-notes", TargetOptions(pypi_url=flag))
    assert isinstance(source, PyPISource)
    assert (source.index, index_url(flag)) == (expected, expected)


@pytest.mark.parametrize(("target", "expected"), [
    ("mcp-server-git", ("mcp-server-git", None)),
    ("mcp_server.git==2026.1.14", ("mcp_server.git", "2026.1.14")),
    ("acme-notes == 1.0rc1", ("acme-notes", "1.0rc1")),
])
def test_pypi_targets_split_into_name_and_version(target: str, expected: tuple[str, str | None]) -> None:
    assert parse_pypi_target(target) == expected


@pytest.mark.parametrize(("target", "message"), [
    ("", "not a valid PyPI project name '': expected pypi:NAME or pypi:NAME==VERSION"),
    ("-dash", "not a valid PyPI project name '-dash': expected pypi:NAME or pypi:NAME==VERSION"),
    ("acme>=1.0", "only an exact version (==VERSION) can be crawled, not '>=1.0': "
                  "expected pypi:NAME or pypi:NAME==VERSION"),
    ("acme==", "not a version '' for PyPI project acme"),
    ("acme==1.*", "not a version '1.*' for PyPI project acme"),
])
def test_malformed_pypi_targets_are_config_errors(target: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        resolve(f"pypi:{target}")
    assert str(raised.value) == message


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_pypi_target_parsing_never_raises_anything_but_a_one_line_config_error(text: str) -> None:
    try:
        name, version = parse_pypi_target(text)
    except ConfigError as error:
        assert str(error).isprintable()
        return
    assert name and (version is None or version)
