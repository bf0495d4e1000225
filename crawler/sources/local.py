"""A folder or archive on this machine as a source, read statically."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from catalog.errors import ConfigError
from catalog.records import CrawlResult, Origin, OriginKind, ServerRecord
from crawler.archive import archive_kind, extract_archive
from crawler.manifests import registry_name_note
from crawler.monorepo import ServerTree, extract_servers
from crawler.source import CrawlContext, Source

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
"""Suffixes stripped from an archive's file name to name the server."""
MAX_PACKAGE_JSON_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PackageInfo:
    """What a root package.json says about the server, when it says anything."""

    name: str | None = None
    version: str | None = None
    description: str | None = None


def archive_stem(file_name: str) -> str:
    """`demo-1.2.tar.gz` → `demo-1.2`: the file name without its archive suffix."""
    lowered = file_name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lowered.endswith(suffix) and len(file_name) > len(suffix):
            return file_name[: -len(suffix)]
    return file_name


def read_package_json(root: Path) -> PackageInfo:
    """name, version, description from root/package.json; anything unreadable counts as absent."""
    manifest = root / "package.json"
    try:
        if not manifest.is_file() or manifest.stat().st_size > MAX_PACKAGE_JSON_BYTES:
            return PackageInfo()
        body: Any = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return PackageInfo()
    if not isinstance(body, dict):
        return PackageInfo()

    def text(field: str) -> str | None:
        value = body.get(field)
        return value.strip() if isinstance(value, str) and value.strip() else None

    return PackageInfo(name=text("name"), version=text("version"), description=text("description"))


def _shown(path: str | Path) -> str:
    """A path for a one-line message: quoted when it holds newlines or other unprintable characters."""
    text = os.fspath(path)
    return text if text.isprintable() else repr(text)


class LocalSource(Source):
    """A directory, or a .tar.gz/.tgz/.tar/.zip file holding one, given on the command line."""

    def __init__(self, path: str | Path, *, target: str | None = None) -> None:
        self.target = target if target is not None else str(path)
        given = os.path.expanduser(os.fspath(path))
        self.path = Path(given)
        try:
            resolved = self.path.resolve()
            is_dir = resolved.is_dir()
            exists = is_dir or resolved.is_file()
        except (OSError, ValueError, RuntimeError):
            exists = is_dir = False
        if not exists:
            raise ConfigError(f"no such file or directory: {_shown(path)}")
        if not is_dir and archive_kind(resolved) is None:
            raise ConfigError(f"not a directory or a .tar.gz/.tgz/.zip archive: {_shown(path)}")
        self.is_archive = not is_dir
        # Only the last component is kept: machine paths never reach the catalog.
        self.name = archive_stem(resolved.name) if self.is_archive else resolved.name or "root"

    @property
    def key(self) -> str:
        """local:<folder or archive name>."""
        return f"local:{self.name}"

    async def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """Yield the server this folder or archive holds, or one per server of a monorepo."""
        context.progress(f"reading {self.name}")
        if self.is_archive:
            with tempfile.TemporaryDirectory(prefix="catalog-local-") as scratch:
                root = await asyncio.to_thread(extract_archive, self.path, Path(scratch) / "tree")
                results = await asyncio.to_thread(self._read, root)
        else:
            results = await asyncio.to_thread(self._read, self.path)
        for result in results:
            yield result

    def _read(self, root: Path) -> list[CrawlResult]:
        return [self._result(root, found) for found in extract_servers(root, self.key)]

    def _result(self, root: Path, found: ServerTree) -> CrawlResult:
        manifest = found.manifest
        declared = (registry_name_note(manifest.mcp_name),) if manifest and manifest.mcp_name else ()
        if not found.subpath:
            package = read_package_json(root)
            name, description, version = package.name or self.name, package.description, package.version
            origin = self.name
        else:
            name = (manifest.name if manifest else None) or PurePosixPath(found.subpath).name
            description = manifest.description if manifest else None
            version = manifest.version if manifest else None
            origin = f"{self.name}#{found.subpath}"
        server = ServerRecord(
            key=found.key(self.key),
            name=name,
            description=description,
            version=version,
            origins=(Origin(kind=OriginKind.LOCAL, value=origin, version=version),),
            notes=(*declared, *found.extraction.notes),
        )
        return CrawlResult(server=server, tools=found.extraction.tools, complete=found.extraction.complete)
