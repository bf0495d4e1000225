"""An npm package as a source: the registry's package document, then the verified tarball, read statically."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from catalog.errors import ConfigError, CrawlError
from catalog.records import CrawlResult, Origin, OriginKind, ServerRecord
from crawler.manifests import Manifest, read_manifest, registry_name_note
from crawler.source import CrawlContext, Source
from crawler.sources.npm_semver import max_satisfying, parse_range, parse_version
from crawler.sources.package_files import Digest, download_verified, get_document, read_archive

DEFAULT_REGISTRY = "https://registry.npmjs.org"
PUBLIC_PAGE = "https://www.npmjs.com/package"
MAX_NAME_LENGTH = 214
_NAME = re.compile(r"(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*", re.IGNORECASE)
"""An npm package name; capitals only survive in old packages, so they are accepted."""
_TAG = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
"""A dist-tag such as `latest`, `next`, `beta`."""
FORMS = "npm:NAME, npm:NAME@VERSION, npm:NAME@TAG or npm:NAME@RANGE (NAME may be @scope/name)"


def registry_url(explicit: str | None = None) -> str:
    """`--npm-registry`, else `npm_config_registry`, else the public registry; no trailing slash."""
    # npm itself exports the lowercase spelling to scripts; the uppercase one is honoured as npm does.
    chosen = (explicit or os.environ.get("npm_config_registry")  # noqa: SIM112
              or os.environ.get("NPM_CONFIG_REGISTRY"))
    return (chosen or DEFAULT_REGISTRY).rstrip("/")


def parse_npm_target(text: str) -> tuple[str, str | None]:
    """`@scope/name@^1.2` → ("@scope/name", "^1.2"); ConfigError for what npm could never name."""
    text = text.strip()
    at = text.find("@", 1)
    name, spec = (text[:at], text[at + 1:].strip()) if at > 0 else (text, None)
    if not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        raise ConfigError(f"not a valid npm package name {name!r}: expected {FORMS}")
    if spec is not None and not (spec and (parse_version(spec) or _TAG.fullmatch(spec) or parse_range(spec))):
        raise ConfigError(f"not a version, dist-tag or range {spec!r} for npm package {name}")
    return name, spec


def document_url(registry: str, name: str) -> str:
    """GET {registry}/{name}; the `/` of a scoped name is sent encoded, as npm itself does."""
    return f"{registry}/{quote(name, safe='@/').replace('/', '%2f')}"


@dataclass(frozen=True)
class Release:
    """The version chosen from a package document and what the registry says about it."""

    version: str
    tarball: str
    digest: Digest
    deprecated: str | None
    mcp_name: str | None


def _object(body: Mapping[str, Any], field: str) -> dict[str, Any]:
    value = body.get(field)
    return value if isinstance(value, dict) else {}


def _version_list(document: Mapping[str, Any]) -> dict[str, Any]:
    versions = document.get("versions")
    return {v: body for v, body in versions.items() if isinstance(body, dict)} if isinstance(versions, dict) else {}


def choose_version(document: Mapping[str, Any], name: str, spec: str | None) -> str:
    """The version a spec names: latest, an exact version, a dist-tag, or the highest match of a range."""
    versions = _version_list(document)
    tags = _object(document, "dist-tags")
    latest = tags.get("latest") if isinstance(tags.get("latest"), str) else None
    wanted = spec or "latest"
    if wanted in versions:
        return wanted
    tagged = tags.get(wanted)
    if isinstance(tagged, str) and tagged in versions:
        return tagged
    if spec is not None and parse_version(spec) is None and parse_range(spec) is not None:
        matched = max_satisfying(versions, spec)
        if matched is not None:
            return matched
        raise CrawlError(f"no version of npm package {name} matches {spec!r} (latest is {latest})")
    if spec is None:
        raise CrawlError(f"npm package {name} has no latest version (nothing published, or unpublished)")
    raise CrawlError(f"npm package {name} has no version or dist-tag {spec!r} (latest is {latest})")


def release_of(document: Mapping[str, Any], name: str, spec: str | None) -> Release:
    """The chosen version's tarball, its published hash and its notes, or CrawlError."""
    version = choose_version(document, name, spec)
    body = _version_list(document)[version]
    dist = _object(body, "dist")
    tarball = dist.get("tarball")
    if not isinstance(tarball, str) or not tarball:
        raise CrawlError(f"npm package {name}@{version} has no dist.tarball")
    integrity, shasum = dist.get("integrity"), dist.get("shasum")
    digest = (Digest.from_sri(integrity) if isinstance(integrity, str) else None) or (
        Digest.from_hex("sha1", shasum) if isinstance(shasum, str) else None)
    if digest is None:
        raise CrawlError(f"npm package {name}@{version} publishes no integrity hash: refusing its tarball")
    deprecated = body.get("deprecated")
    mcp_name = body.get("mcpName")
    return Release(version, tarball, digest, deprecated if isinstance(deprecated, str) and deprecated else None,
                   mcp_name if isinstance(mcp_name, str) and mcp_name else None)


class NpmSource(Source):
    """One npm package version, read from its published files; never installed, never run."""

    def __init__(self, name: str, spec: str | None = None, *, registry: str | None = None,
                 target: str | None = None) -> None:
        self.name = name
        self.spec = spec
        self.registry = registry_url(registry)
        self.target = target or (f"npm:{name}@{spec}" if spec else f"npm:{name}")

    @property
    def key(self) -> str:
        """npm:<name>, the same for every version."""
        return f"npm:{self.name}"

    async def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """Yield the one server this package is."""
        context.progress(f"asking {self.registry} about {self.name}")
        with tempfile.TemporaryDirectory(prefix="catalog-npm-") as scratch:
            release = await self._release(context, Path(scratch))
            what = f"npm tarball of {self.name}@{release.version}"
            context.progress(f"downloading {self.name}@{release.version}")
            archive = Path(scratch) / "package.tgz"
            await download_verified(context.http, release.tarball, archive, release.digest, what=what)
            root, extraction = await asyncio.to_thread(read_archive, archive, Path(scratch), self.key)
            manifest = read_manifest(root / "package.json", "")
        yield CrawlResult(server=self._server(release, manifest, extraction.notes), tools=extraction.tools,
                          complete=extraction.complete)

    async def _release(self, context: CrawlContext, scratch: Path) -> Release:
        url = document_url(self.registry, self.name)
        status, document, _ = await get_document(context.http, url, scratch / "document.json",
                                                 what="the npm registry", headers={"Accept": "application/json"})
        if status == 404:
            raise CrawlError(f"npm package {self.name} not found in {self.registry}")
        if document is None:
            raise CrawlError(f"the npm registry answered {status} for {self.name} ({url})")
        if not isinstance(document, dict):
            raise CrawlError(f"the npm registry answered an unexpected document for {self.name}")
        return release_of(document, self.name, self.spec)

    def _server(self, release: Release, manifest: Manifest | None, notes: tuple[str, ...]) -> ServerRecord:
        mcp_name = (manifest.mcp_name if manifest else None) or release.mcp_name
        page = f"{PUBLIC_PAGE}/{self.name}/v/{release.version}" if self.registry == DEFAULT_REGISTRY else None
        return ServerRecord(
            key=self.key,
            name=self.name,
            description=manifest.description if manifest else None,
            version=release.version,
            origins=(Origin(kind=OriginKind.NPM, value=self.name, version=release.version, url=page),),
            notes=(
                *((f"version {release.version} is deprecated: {release.deprecated.splitlines()[0][:200]}",)
                  if release.deprecated else ()),
                *((registry_name_note(mcp_name),) if mcp_name else ()),
                *notes,
            ),
        )
