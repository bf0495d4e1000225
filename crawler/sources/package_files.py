"""What the npm and PyPI sources share: capped JSON documents, verified downloads, static reading."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from catalog.errors import CrawlError
from crawler.archive import MiB, extract_archive
from crawler.extract.tree import TreeExtraction, extract_tree
from crawler.http import describe_transport_error, download

MAX_DOCUMENT_BYTES = 64 * MiB
"""The largest registry document read; popular npm packages with thousands of versions reach tens of MiB."""
MAX_PACKAGE_BYTES = 64 * MiB
"""The largest tarball, wheel or sdist downloaded; MCP server packages are a few hundred KiB."""
NO_TOOLS_NOTE = "no tool definitions found in the published files"
HASH_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Digest:
    """The hash a registry publishes for a file, to check the download against."""

    algorithm: str
    """A hashlib name: sha512, sha256, sha1."""
    expected: bytes
    """The raw digest."""

    @classmethod
    def from_hex(cls, algorithm: str, value: str) -> Digest | None:
        try:
            return cls(algorithm, bytes.fromhex(value))
        except ValueError:
            return None

    @classmethod
    def from_sri(cls, integrity: str) -> Digest | None:
        """The strongest hash of a Subresource Integrity string (`sha512-<base64> sha1-<base64>`)."""
        found: dict[str, bytes] = {}
        for token in integrity.split():
            algorithm, _, value = token.partition("-")
            try:
                found[algorithm.lower()] = base64.b64decode(value.split("?")[0], validate=True)
            except ValueError:
                continue
        for algorithm in ("sha512", "sha384", "sha256"):
            if algorithm in found:
                return cls(algorithm, found[algorithm])
        return None


def host_of(url: str) -> str:
    """The host part of a URL, for messages."""
    return urlsplit(url).netloc or url


def unreachable(what: str, url: str, error: httpx.RequestError) -> CrawlError:
    return CrawlError(f"cannot reach {what} at {host_of(url)}: {describe_transport_error(error)}")


async def get_document(http: httpx.AsyncClient, url: str, dest: Path, *, what: str,
                       headers: dict[str, str] | None = None) -> tuple[int, Any, str]:
    """GET a JSON document into dest (capped); (status, body or None, final URL) for the caller to judge."""
    try:
        response = await download(http, url, dest, max_bytes=MAX_DOCUMENT_BYTES, headers=headers)
    except httpx.RequestError as error:
        raise unreachable(what, url, error) from error
    final_url = str(response.request.url) if response.request is not None else url
    if not response.is_success:
        return response.status_code, None, final_url
    try:
        return response.status_code, json.loads(dest.read_bytes()), final_url
    except (ValueError, OSError) as error:
        raise CrawlError(f"{what} answered a body that is not JSON for {url}") from error
    finally:
        dest.unlink(missing_ok=True)


def _hash_file(path: Path, algorithm: str) -> bytes:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.digest()


async def download_verified(http: httpx.AsyncClient, url: str, dest: Path, digest: Digest, *,
                            what: str) -> None:
    """Download url to dest (capped) and check it against the published digest, or CrawlError."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise CrawlError(f"{what} has a download URL that is not http(s): {url[:200]!r}")
    try:
        response = await download(http, url, dest, max_bytes=MAX_PACKAGE_BYTES)
    except httpx.RequestError as error:
        raise unreachable(what, url, error) from error
    if not response.is_success:
        raise CrawlError(f"download of {what} answered {response.status_code} ({url})")
    if _hash_file(dest, digest.algorithm) != digest.expected:
        dest.unlink(missing_ok=True)
        raise CrawlError(f"{what} failed its {digest.algorithm} integrity check: the download is not "
                         "the file the registry published")


def read_archive(archive: Path, scratch: Path, server_key: str) -> tuple[Path, TreeExtraction]:
    """Unpack a package archive safely and read its tools statically (its code never runs).

    Returns the unpacked root (the archive's single top folder, such as npm's `package/`).
    """
    root = extract_archive(archive, scratch / "tree")
    extraction = extract_tree(root, server_key)
    if not extraction.tools and not extraction.notes:
        extraction = TreeExtraction((), (NO_TOOLS_NOTE,), extraction.files_scanned, extraction.complete)
    return root, extraction
