"""A GitHub repository as a source: repository metadata, then the tarball of a ref, read statically."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import httpx

from catalog.errors import CrawlError, RateLimited
from catalog.records import CrawlResult, Origin, OriginKind, ServerRecord
from crawler.archive import MiB, extract_archive
from crawler.http import describe_transport_error, download, get_with_retries, retry_after_seconds
from crawler.manifests import registry_name_note
from crawler.monorepo import ServerTree, extract_servers
from crawler.source import CrawlContext, Source

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_TARBALL_BYTES = 256 * MiB
"""The largest compressed tarball downloaded; MCP servers are small, monorepos are not."""
MAX_WAIT = 60.0
"""Seconds we are willing to sleep on a Retry-After before reporting the rate limit instead."""

_TOP_FOLDER = re.compile(r"-(?P<sha>[0-9a-f]{7,40})$")


@dataclass(frozen=True)
class RepoMetadata:
    """The fields of GET /repos/{owner}/{repo} the catalog uses."""

    full_name: str
    description: str | None
    default_branch: str
    html_url: str | None
    archived: bool
    stargazers_count: int | None
    license: str | None

    @classmethod
    def from_json(cls, body: Any, where: str) -> RepoMetadata:
        """Read an API body, or CrawlError when it is not the repository object we expect."""
        if not isinstance(body, dict):
            raise CrawlError(f"GitHub API answered an unexpected body for {where}")
        full_name, branch = body.get("full_name"), body.get("default_branch")
        if not isinstance(full_name, str) or not isinstance(branch, str) or "/" not in full_name:
            raise CrawlError(f"GitHub API answered an unexpected body for {where}: "
                             "no full_name or default_branch")
        licence = body.get("license")
        stars = body.get("stargazers_count")
        return cls(
            full_name=full_name,
            description=_optional_str(body.get("description")),
            default_branch=branch,
            html_url=_optional_str(body.get("html_url")),
            archived=body.get("archived") is True,
            stargazers_count=stars if isinstance(stars, int) else None,
            license=_optional_str(licence.get("spdx_id")) if isinstance(licence, dict) else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The cached form: GitHub's own field names, so from_json reads it back."""
        return {
            "full_name": self.full_name,
            "description": self.description,
            "default_branch": self.default_branch,
            "html_url": self.html_url,
            "archived": self.archived,
            "stargazers_count": self.stargazers_count,
            "license": {"spdx_id": self.license} if self.license else None,
        }


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class GitHubSource(Source):
    """One repository on GitHub (or a GitHub Enterprise / fake API under GITHUB_API_URL)."""

    def __init__(
        self,
        owner: str,
        repo: str,
        ref: str | None = None,
        *,
        target: str | None = None,
        api_url: str | None = None,
        token: str | None = None,
    ) -> None:
        self.owner = owner
        self.repo = repo
        self.ref = ref
        self.target = target or (f"{owner}/{repo}@{ref}" if ref else f"{owner}/{repo}")
        self.api_url = (api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("GITHUB_TOKEN") or None

    @property
    def slug(self) -> str:
        """owner/repo as the user wrote it."""
        return f"{self.owner}/{self.repo}"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """Yield the server this repository is, or one per server of a monorepo (`#subpath` keys)."""
        metadata = await self.metadata(context)
        ref = self.ref or metadata.default_branch
        context.progress(f"downloading {metadata.full_name}@{ref}")
        with tempfile.TemporaryDirectory(prefix="catalog-github-") as scratch:
            top = await self._fetch_tree(context, ref, Path(scratch))
            sha7 = _sha7(top, self.slug)
            key = f"github:{metadata.full_name.lower()}"
            context.progress(f"reading {metadata.full_name}@{ref} ({sha7})")
            servers = await asyncio.to_thread(extract_servers, top, key)
        for found in servers:
            yield _result(found, key, metadata, f"{ref}@{sha7}", ref)

    async def metadata(self, context: CrawlContext) -> RepoMetadata:
        """GET /repos/{owner}/{repo}, revalidated with the ETag kept in the state cache."""
        path = f"/repos/{self.owner}/{self.repo}"
        state_key = f"github:etag:{path}"
        cached = context.state.get_state(state_key)
        headers = self._headers()
        if cached and isinstance(cached.get("etag"), str):
            headers["If-None-Match"] = cached["etag"]
        response = await self._get(context.http, path, headers)
        if response.status_code == 304 and cached is not None:
            return RepoMetadata.from_json(cached.get("body"), self.slug)
        if response.status_code != 200:
            raise self._error(response, path)
        try:
            metadata = RepoMetadata.from_json(response.json(), self.slug)
        except ValueError as error:
            raise CrawlError(f"GitHub API answered an unexpected body for {self.slug}: not JSON") from error
        etag = response.headers.get("etag")
        if etag:
            context.state.put_state(state_key, {"etag": etag, "body": metadata.to_json()})
        return metadata

    async def _get(self, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
        try:
            return await get_with_retries(client, self.api_url + path, headers=headers, max_wait=MAX_WAIT)
        except httpx.RequestError as error:
            raise self._unreachable(error) from error

    async def _fetch_tree(self, context: CrawlContext, ref: str, scratch: Path) -> Path:
        path = f"/repos/{self.owner}/{self.repo}/tarball/{quote(ref, safe='/')}"
        tarball = scratch / f"{self.owner}-{self.repo}.tar.gz"
        try:
            response = await download(context.http, self.api_url + path, tarball,
                                      max_bytes=MAX_TARBALL_BYTES, headers=self._headers(),
                                      max_wait=MAX_WAIT)
        except httpx.RequestError as error:
            raise self._unreachable(error) from error
        if response.status_code == 404:
            raise CrawlError(f"GitHub repository {self.slug} has no ref '{ref}'")
        if not response.is_success:
            raise self._error(response, path)
        return await asyncio.to_thread(extract_archive, tarball, scratch / "tree")

    def _unreachable(self, error: httpx.RequestError) -> CrawlError:
        return CrawlError(f"cannot reach GitHub API at {self.api_url}: {describe_transport_error(error)}")

    def _error(self, response: httpx.Response, path: str) -> CrawlError:
        """One line for an answer that is not what we asked for."""
        status = response.status_code
        if status in (403, 429):
            limited = _rate_limit_error(response, has_token=self.token is not None)
            if limited is not None:
                return limited
        if status == 404:
            if self.token:
                return CrawlError(f"GitHub repository {self.slug} not found (or not visible to GITHUB_TOKEN)")
            return CrawlError(f"GitHub repository {self.slug} not found (or private: set GITHUB_TOKEN)")
        if status == 401:
            return CrawlError("GitHub API rejected the credentials in GITHUB_TOKEN (401 Bad credentials)")
        message = _api_message(response)
        suffix = f": {message}" if message else ""
        return CrawlError(f"GitHub API answered {status} for {path}{suffix}")


def _result(found: ServerTree, key: str, metadata: RepoMetadata, version: str, ref: str) -> CrawlResult:
    """The CrawlResult of the whole repository, or of one server folder of a monorepo."""
    archived = ("the repository is archived on GitHub",) if metadata.archived else ()
    manifest = found.manifest
    declared = (registry_name_note(manifest.mcp_name),) if manifest and manifest.mcp_name else ()
    notes = (*archived, *declared, *found.extraction.notes)
    repo_name = metadata.full_name.split("/", 1)[1]
    if not found.subpath:
        server = ServerRecord(
            key=key, name=repo_name, description=metadata.description,
            origins=(Origin(kind=OriginKind.GITHUB, value=metadata.full_name, version=version,
                            url=metadata.html_url),),
            notes=notes,
        )
    else:
        url = f"{metadata.html_url}/tree/{quote(ref, safe='/')}/{found.subpath}" if metadata.html_url else None
        server = ServerRecord(
            key=found.key(key),
            name=(manifest.name if manifest else None) or PurePosixPath(found.subpath).name,
            description=manifest.description if manifest else None,
            version=manifest.version if manifest else None,
            origins=(Origin(kind=OriginKind.GITHUB, value=f"{metadata.full_name}#{found.subpath}",
                            version=version, url=url),),
            notes=notes,
        )
    return CrawlResult(server=server, tools=found.extraction.tools, complete=found.extraction.complete)


def _rate_limit_error(response: httpx.Response, *, has_token: bool) -> RateLimited | None:
    hint = "" if has_token else " (set GITHUB_TOKEN for a higher limit)"
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        when = (datetime.fromtimestamp(int(reset), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
                if reset.isdigit() else "an unknown time")
        return RateLimited(f"GitHub API rate limit exhausted; resets at {when}{hint}")
    wait = retry_after_seconds(response)
    if wait is not None:
        return RateLimited(f"GitHub API rate limit (secondary) reached; retry after {round(wait)} s{hint}")
    return None


def _api_message(response: httpx.Response) -> str | None:
    """GitHub's `message` field from an error body, when there is one."""
    try:
        body = response.json()
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return message.splitlines()[0][:200] if isinstance(message, str) and message.strip() else None


def _sha7(top: Path, slug: str) -> str:
    """The short commit GitHub puts in the tarball's top folder name `{owner}-{repo}-{sha7}`."""
    match = _TOP_FOLDER.search(top.name)
    if match is None:
        raise CrawlError(f"GitHub tarball of {slug} has no single `owner-repo-sha` top folder")
    return match["sha"][:7]
