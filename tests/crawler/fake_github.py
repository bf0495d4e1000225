"""A loopback stand-in for the GitHub REST API: repository metadata, tarball redirects, codeload archives."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.loopback import LoopbackHTTP, send

NOT_FOUND_BODY = {
    "message": "Not Found",
    "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
    "status": "404",
}


def tarball(files: Mapping[str, str | bytes], top: str) -> bytes:
    """A gzip tarball with every file under `top/`, the way GitHub lays out `{owner}-{repo}-{sha7}/`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        folder = tarfile.TarInfo(top)
        folder.type = tarfile.DIRTYPE
        folder.mode = 0o755
        tar.addfile(folder)
        for name, content in sorted(files.items()):
            data = content.encode("utf-8") if isinstance(content, str) else content
            entry = tarfile.TarInfo(f"{top}/{name}")
            entry.size = len(data)
            entry.mode = 0o644
            tar.addfile(entry, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file under a fixture folder, keyed by its POSIX path inside it."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class FakeRepo:
    """One repository the fake serves."""

    owner: str
    name: str
    description: str | None = None
    default_branch: str = "main"
    archived: bool = False
    tarballs: dict[str, bytes] = field(default_factory=dict)
    """ref → the gzip tarball codeload answers for it."""
    etag: str = 'W/"0f1e2d3c"'

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def metadata(self, base_url: str) -> dict[str, Any]:
        """The repository object, with the many URL fields GitHub also sends."""
        return {
            "id": 123456,
            "node_id": "R_kgDOABCDEF",
            "name": self.name,
            "full_name": self.full_name,
            "private": False,
            "owner": {"login": self.owner, "type": "Organization"},
            "html_url": f"https://github.com/{self.full_name}",
            "description": self.description,
            "fork": False,
            "url": f"{base_url}/repos/{self.full_name}",
            "archive_url": f"{base_url}/repos/{self.full_name}/{{archive_format}}{{/ref}}",
            "stargazers_count": 42,
            "archived": self.archived,
            "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
            "topics": ["mcp"],
            "default_branch": self.default_branch,
        }


@dataclass(frozen=True)
class Seen:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Canned:
    """A scripted answer served before the fake's normal behaviour for a path."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    send_length: bool = True
    """False sends no Content-Length: the body then ends when the connection closes."""

    @classmethod
    def json(cls, status: int, body: Any, headers: Mapping[str, str] | None = None) -> Canned:
        return cls(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                   json.dumps(body).encode("utf-8"))


class FakeGitHub(LoopbackHTTP):
    """A loopback HTTP server answering like api.github.com and codeload."""

    def __init__(self, *repos: FakeRepo) -> None:
        self.repos = {(r.owner.lower(), r.name.lower()): r for r in repos}
        self.scripts: dict[str, list[Canned]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        super().__init__(self._handle)

    def script(self, path: str, *answers: Canned) -> None:
        """Serve these answers, in order, to the next requests for path."""
        with self._lock:
            self.scripts.setdefault(path, []).extend(answers)

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self._lock:
            return [seen.path for seen in self.seen]

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.seen.append(Seen("GET", request.path, {k.lower(): v for k, v in request.headers.items()}))
            queue = self.scripts.get(request.path)
            canned = queue.pop(0) if queue else None
        answer = canned or self._route(request)
        send(request, answer.status, dict(answer.headers), answer.body, length=answer.send_length)

    def _route(self, request: BaseHTTPRequestHandler) -> Canned:
        parts = request.path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "repos":
            repo = self.repos.get((parts[1].lower(), parts[2].lower()))
            if repo is None:
                return Canned.json(404, NOT_FOUND_BODY)
            if len(parts) == 3:
                return self._metadata(repo, request.headers.get("If-None-Match"))
            if len(parts) >= 5 and parts[3] == "tarball":
                ref = "/".join(parts[4:])
                if ref not in repo.tarballs:
                    return Canned.json(404, {**NOT_FOUND_BODY, "documentation_url":
                                             "https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar"})
                return Canned(302, {"Location": f"{self.url}/codeload/{repo.full_name}/legacy.tar.gz/{ref}"})
        if len(parts) >= 5 and parts[0] == "codeload" and parts[3] == "legacy.tar.gz":
            repo = self.repos[(parts[1].lower(), parts[2].lower())]
            return Canned(200, {"Content-Type": "application/x-gzip"}, repo.tarballs["/".join(parts[4:])])
        return Canned.json(404, {"message": "Not Found"})

    def _metadata(self, repo: FakeRepo, if_none_match: str | None) -> Canned:
        if if_none_match == repo.etag:
            return Canned(304, {"ETag": repo.etag})
        return Canned.json(200, repo.metadata(self.url), {"ETag": repo.etag})
