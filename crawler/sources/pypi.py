"""A PyPI project as a source: the JSON API, then a verified wheel (or sdist), read statically."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urljoin

from catalog.errors import ConfigError, CrawlError
from catalog.records import CrawlResult, Origin, OriginKind, ServerRecord
from crawler.manifests import mcp_name_in, normalise_python_name, registry_name_note
from crawler.source import CrawlContext, Source
from crawler.sources.package_files import (
    MAX_PACKAGE_BYTES,
    Digest,
    download_verified,
    get_document,
    read_archive,
)

DEFAULT_INDEX = "https://pypi.org"
_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)
"""A distribution name as PEP 508 allows it."""
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]*")
_SPECIFIER = re.compile(r"(===|==|~=|!=|>=|<=|>|<)")
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
FORMS = "pypi:NAME or pypi:NAME==VERSION"


def index_url(explicit: str | None = None) -> str:
    """`--pypi-url`, else PIP_INDEX_URL without its `/simple`, else the public index; no trailing slash."""
    if explicit:
        return explicit.rstrip("/")
    pip_index = os.environ.get("PIP_INDEX_URL", "").strip().rstrip("/")
    if pip_index.endswith("/simple"):
        return pip_index.removesuffix("/simple")
    return DEFAULT_INDEX


def parse_pypi_target(text: str) -> tuple[str, str | None]:
    """`mcp-server-git==2026.1.14` → ("mcp-server-git", "2026.1.14"); ConfigError for anything else."""
    text = text.strip()
    parts = _SPECIFIER.split(text, maxsplit=1)
    name = parts[0].strip()
    if not _NAME.fullmatch(name):
        raise ConfigError(f"not a valid PyPI project name {name!r}: expected {FORMS}")
    if len(parts) == 1:
        return name, None
    operator, version = parts[1], parts[2].strip()
    if operator != "==":
        raise ConfigError(f"only an exact version (==VERSION) can be crawled, not {operator + version!r}: "
                          f"expected {FORMS}")
    if not _VERSION.fullmatch(version) or "*" in version:
        raise ConfigError(f"not a version {version!r} for PyPI project {name}")
    return name, version


@dataclass(frozen=True)
class Distribution:
    """One file of a release: a wheel or an sdist, with its published sha256."""

    filename: str
    url: str
    digest: Digest
    size: int | None
    yanked_reason: str | None
    is_pure_wheel: bool


def _wheel_tags(filename: str) -> tuple[str, str, str] | None:
    parts = filename[:-4].split("-") if filename.endswith(".whl") else []
    return (parts[-3], parts[-2], parts[-1]) if len(parts) >= 5 else None


def _rank(filename: str) -> int:
    """0 for a py3-none-any wheel, 1 another pure wheel, 2 an sdist, 3 a platform wheel, 9 unusable."""
    tags = _wheel_tags(filename)
    if tags is not None:
        python, abi, platform = tags
        if abi == "none" and platform == "any":
            return 0 if "py3" in python.split(".") else 1
        return 3
    return 2 if filename.lower().endswith(SDIST_SUFFIXES) else 9


def _distribution(entry: Mapping[str, Any], base_url: str) -> Distribution | None:
    filename, url = entry.get("filename"), entry.get("url")
    digests = entry.get("digests")
    sha256 = digests.get("sha256") if isinstance(digests, dict) else None
    if not isinstance(filename, str) or not isinstance(url, str) or not isinstance(sha256, str):
        return None
    digest = Digest.from_hex("sha256", sha256)
    if digest is None:
        return None
    size = entry.get("size")
    reason = entry.get("yanked_reason")
    return Distribution(
        filename=filename,
        url=urljoin(base_url, url),  # mirrors answer relative links
        digest=digest,
        size=size if isinstance(size, int) else None,
        yanked_reason=(reason or "no reason given") if entry.get("yanked") is True else None,
        is_pure_wheel=_rank(filename) <= 1,
    )


def choose_distribution(files: Sequence[Any], base_url: str, what: str) -> Distribution:
    """The file to read: a pure-Python wheel, else the sdist, else a platform wheel (all hold sources)."""
    usable = [d for entry in files if isinstance(entry, dict)
              if (d := _distribution(entry, base_url)) is not None and _rank(d.filename) < 9]
    if not usable:
        raise CrawlError(f"{what} publishes no wheel or sdist with a sha256 digest")
    return min(usable, key=lambda d: (d.yanked_reason is not None, _rank(d.filename)))


@dataclass(frozen=True)
class Release:
    """What the JSON API says about the chosen version."""

    name: str
    version: str
    summary: str | None
    description: str
    files: Sequence[Any]
    document_url: str


def _info_text(info: Mapping[str, Any], field: str) -> str | None:
    value = info.get(field)
    return value.strip() if isinstance(value, str) and value.strip() else None


class PyPISource(Source):
    """One PyPI release, read from its published files; never installed, never run."""

    def __init__(self, name: str, version: str | None = None, *, index: str | None = None,
                 target: str | None = None) -> None:
        self.requested_name = name
        self.name = normalise_python_name(name)
        self.version = version
        self.index = index_url(index)
        self.target = target or (f"pypi:{name}=={version}" if version else f"pypi:{name}")

    @property
    def key(self) -> str:
        """pypi:<PEP 503 normalised name>, the same for every version."""
        return f"pypi:{self.name}"

    def _url(self, version: str | None = None) -> str:
        project = quote(self.name, safe="")
        return f"{self.index}/pypi/{project}/{quote(version, safe='')}/json" if version \
            else f"{self.index}/pypi/{project}/json"

    async def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """Yield the one server this project release is."""
        context.progress(f"asking {self.index} about {self.name}")
        with tempfile.TemporaryDirectory(prefix="catalog-pypi-") as scratch:
            release = await self._release(context, Path(scratch))
            what = f"PyPI release {self.name}=={release.version}"
            chosen = choose_distribution(release.files, release.document_url, what)
            if chosen.size is not None and chosen.size > MAX_PACKAGE_BYTES:
                raise CrawlError(f"{chosen.filename} is {chosen.size} bytes, over the "
                                 f"{MAX_PACKAGE_BYTES}-byte limit: refusing")
            context.progress(f"downloading {chosen.filename}")
            archive = Path(scratch) / PurePosixPath(chosen.filename).name
            await download_verified(context.http, chosen.url, archive, chosen.digest, what=chosen.filename)
            _, extraction = await asyncio.to_thread(read_archive, archive, Path(scratch), self.key)
        notes = [*self._notes(release, chosen), *extraction.notes]
        yield CrawlResult(server=self._server(release, notes), tools=extraction.tools,
                          complete=extraction.complete)

    async def _document(self, context: CrawlContext, scratch: Path, url: str) -> tuple[int, Any, str]:
        return await get_document(context.http, url, scratch / "document.json", what="the PyPI JSON API",
                                  headers={"Accept": "application/json"})

    async def _release(self, context: CrawlContext, scratch: Path) -> Release:
        if self.version is not None:
            status, document, final = await self._document(context, scratch, self._url(self.version))
            if document is not None:
                return self._read_release(document, final, self.version)
            if status != 404:
                raise CrawlError(f"the PyPI JSON API answered {status} for {self.name}=={self.version}")
        # The project document says whether the project or only the version is missing, and
        # indexes that do not serve per-version documents still list every release's files in it.
        status, document, final = await self._document(context, scratch, self._url())
        if status == 404:
            raise CrawlError(f"PyPI project {self.name} not found at {self.index}")
        if document is None:
            raise CrawlError(f"the PyPI JSON API answered {status} for {self.name}")
        return self._read_release(document, final, self.version)

    def _read_release(self, document: Any, url: str, version: str | None) -> Release:
        info = document.get("info") if isinstance(document, dict) else None
        if not isinstance(info, dict):
            raise CrawlError(f"the PyPI JSON API answered an unexpected document for {self.name}")
        latest = _info_text(info, "version")
        files: Any = document.get("urls")
        if version is not None and version != latest:
            releases = document.get("releases")
            files = releases.get(version) if isinstance(releases, dict) else None
            if files is None:
                raise CrawlError(f"PyPI project {self.name} has no version {version!r} (latest is {latest})")
        if not isinstance(files, list) or latest is None:
            raise CrawlError(f"the PyPI JSON API answered an unexpected document for {self.name}")
        return Release(
            name=_info_text(info, "name") or self.requested_name,
            version=version or latest,
            summary=_info_text(info, "summary"),
            description=_info_text(info, "description") or "",
            files=files,
            document_url=url,
        )

    def _notes(self, release: Release, chosen: Distribution) -> list[str]:
        notes = []
        if chosen.yanked_reason is not None:
            notes.append(f"{chosen.filename} is yanked: {chosen.yanked_reason.splitlines()[0][:200]}")
        if not chosen.is_pure_wheel:
            notes.append(f"no pure-Python wheel: read {chosen.filename}")
        mcp_name = mcp_name_in(release.description)
        if mcp_name:
            notes.append(registry_name_note(mcp_name))
        return notes

    def _server(self, release: Release, notes: list[str]) -> ServerRecord:
        page = f"{DEFAULT_INDEX}/project/{self.name}/{release.version}/" if self.index == DEFAULT_INDEX else None
        return ServerRecord(
            key=self.key,
            name=release.name,
            description=release.summary,
            version=release.version,
            origins=(Origin(kind=OriginKind.PYPI, value=self.name, version=release.version, url=page),),
            notes=tuple(notes),
        )
