"""Safe extraction of tar and zip archives: no escapes, no links or devices, bounded size and count."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from catalog.errors import CrawlError

MiB = 1024 * 1024
CHUNK_BYTES = 256 * 1024
TRAILER_CHUNKS = 8
TAR_ENTRY_OVERHEAD = 4096
"""Bytes of header and padding allowed per tar entry beyond its content (long names use pax)."""

ArchiveKind = Literal["tar.gz", "tar.bz2", "tar.xz", "tar", "zip"]

_MAGIC: tuple[tuple[bytes, ArchiveKind], ...] = (
    (b"\x1f\x8b", "tar.gz"),
    (b"BZh", "tar.bz2"),
    (b"\xfd7zXZ\x00", "tar.xz"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip is only its end-of-directory record
)
# What a damaged tar or zip stream raises from deep inside the standard library.
_DRIVE = re.compile(r"[A-Za-z]:([/\\]|$)")
"""A Windows drive prefix (`C:/`, `d:\\`): absolute there, so refused everywhere."""
# RuntimeError is zipfile's word for an encrypted member, NotImplementedError for an unknown method.
_CORRUPTION = (tarfile.TarError, gzip.BadGzipFile, zipfile.BadZipFile, zipfile.LargeZipFile,
               EOFError, zlib.error, lzma.LZMAError, NotImplementedError, RuntimeError, UnicodeError)


def archive_kind(path: Path) -> ArchiveKind | None:
    """What kind of archive a file is, from its first bytes (a plain tar by its ustar magic)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[257:262] == b"ustar":
        return "tar"
    if path.name.lower().endswith(".tar") and len(head) == 512:
        return "tar"  # old v7 tars carry no magic; the suffix is all there is to go on
    return None


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class _Budget:
    """Counts what has really been written, never what headers claim."""

    archive: str
    max_total_bytes: int
    max_files: int
    max_file_bytes: int
    total_bytes: int = 0
    entries: int = 0
    files: int = 0

    def count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.max_files:
            raise CrawlError(f"archive {self.archive} holds more than {self.max_files} entries: refusing")

    def refuse_claim(self, name: str, claimed: int) -> None:
        # A header's claim is never trusted to allow, only to refuse early (before writing GBs).
        if claimed > self.max_total_bytes:
            raise self.bomb()
        if claimed > self.max_file_bytes:
            raise self.member_too_big(name)

    def bomb(self) -> CrawlError:
        return CrawlError(f"archive expands beyond {self.max_total_bytes} bytes: refusing "
                          "(possible decompression bomb)")

    def member_too_big(self, name: str) -> CrawlError:
        return CrawlError(f"archive member {name} expands beyond {self.max_file_bytes} bytes: refusing "
                          "(possible decompression bomb)")


def _safe_parts(name: str, archive: str) -> tuple[str, ...]:
    """The path components of a member name, or CrawlError when it would land outside dest."""
    unsafe = CrawlError(f"unsafe path {name!r} in archive {archive}: refusing")
    if "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise unsafe
    parts = tuple(p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", "."))
    if ".." in parts:
        raise unsafe
    return parts


def _copy(source: _Reader, target: Path, name: str, budget: _Budget) -> None:
    written = 0
    budget.files += 1
    with target.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            written += len(chunk)
            budget.total_bytes += len(chunk)
            if budget.total_bytes > budget.max_total_bytes:
                raise budget.bomb()
            if written > budget.max_file_bytes:
                raise budget.member_too_big(name)
            out.write(chunk)


def _place(root: Path, parts: tuple[str, ...], *, directory: bool) -> Path | None:
    """Create the folders leading to a member and return where it goes (None for the root itself)."""
    if not parts:
        return None
    target = root.joinpath(*parts)
    parent = target if directory else target.parent
    parent.mkdir(parents=True, exist_ok=True)
    return target


def _decompressor(raw: io.BufferedReader, kind: ArchiveKind) -> io.BufferedIOBase:
    match kind:
        case "tar.gz":
            return gzip.GzipFile(fileobj=raw, mode="rb")
        case "tar.bz2":
            return bz2.BZ2File(raw, mode="rb")
        case "tar.xz":
            return lzma.LZMAFile(raw, mode="rb")
        case _:
            return raw


@contextmanager
def _decompressed(archive: Path, kind: ArchiveKind) -> Iterator[io.BufferedIOBase]:
    """The archive's tar stream; these readers check the compressed trailer (CRC, length) at EOF."""
    with archive.open("rb") as raw, _decompressor(raw, kind) as stream:
        yield stream


class _MeteredStream:
    """The decompressed tar stream, refusing to yield more than the archive can honestly need.

    Counts headers and skipped data too, which the written count never sees: tarfile reads a
    pax header or a skipped member whole, so a bomb hidden there must be stopped here.
    """

    def __init__(self, stream: io.BufferedIOBase, budget: _Budget) -> None:
        self._stream = stream
        self._budget = budget
        # Content may reach the cap; each entry adds a header and padding on top of it.
        self._limit = budget.max_total_bytes + (budget.max_files + 1) * TAR_ENTRY_OVERHEAD
        self.consumed = 0

    def read(self, size: int = -1, /) -> bytes:
        wanted = self._limit - self.consumed + 1 if size < 0 else size
        data = self._stream.read(min(wanted, self._limit - self.consumed + 1))
        self.consumed += len(data)
        if self.consumed > self._limit:
            raise self._budget.bomb()
        return data


def _drain(stream: _MeteredStream) -> None:
    """Read past the tar end marker so a truncated or damaged compressed trailer is noticed.

    Bounded: padding after the end marker is normally a few KiB, and a bomb hidden there is
    not worth decompressing.
    """
    for _ in range(TRAILER_CHUNKS):
        if not stream.read(CHUNK_BYTES):
            return


def _extract_tar(archive: Path, kind: ArchiveKind, root: Path, budget: _Budget) -> None:
    with _decompressed(archive, kind) as decompressed:
        stream = _MeteredStream(decompressed, budget)
        # tarfile's stream mode only ever calls read(), which is all _MeteredStream offers.
        with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                budget.count_entry()
                parts = _safe_parts(member.name, budget.archive)
                if member.isdir():
                    _place(root, parts, directory=True)
                elif member.isreg():
                    budget.refuse_claim(member.name, member.size)
                    target = _place(root, parts, directory=False)
                    content = tar.extractfile(member)
                    if target is not None and content is not None:
                        _copy(content, target, member.name, budget)
                # Symlinks, hardlinks, devices and fifos are skipped: nothing a crawl reads needs them.
        _drain(stream)


def _zip_mode(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0xFFFF


def _extract_zip(archive: Path, root: Path, budget: _Budget) -> None:
    with zipfile.ZipFile(archive) as bundle:
        for info in bundle.infolist():
            budget.count_entry()
            parts = _safe_parts(info.filename, budget.archive)
            mode = _zip_mode(info)
            if info.is_dir():
                _place(root, parts, directory=True)
                continue
            if mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                continue  # a symlink or special file stored by a Unix zip tool
            budget.refuse_claim(info.filename, info.file_size)
            target = _place(root, parts, directory=False)
            if target is not None:
                with bundle.open(info) as content:
                    _copy(content, target, info.filename, budget)


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of path that does not exist yet (what we must remove to leave no trace)."""
    missing = None
    for candidate in (path, *path.parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


@contextmanager
def _staging(dest: Path) -> Iterator[Path]:
    """A fresh folder under dest that disappears (with dest, if we made it) unless the body succeeds."""
    created = _first_missing(dest)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extracting-", dir=dest))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        if staging.exists() and not any(staging.iterdir()):
            staging.rmdir()


def extract_archive(
    archive: Path,
    dest: Path,
    *,
    max_total_bytes: int = 512 * MiB,
    max_files: int = 50_000,
    max_file_bytes: int = 64 * MiB,
) -> Path:
    """Extract a .tar(.gz/.bz2/.xz) or .zip into dest (created, expected empty) and return its root.

    The root is the archive's single top-level folder when it has exactly one (GitHub tarballs
    hold `{owner}-{repo}-{sha7}/`), else dest. On any error nothing extracted is left behind.
    """
    kind = archive_kind(archive)
    if kind is None:
        raise CrawlError(f"corrupt archive {archive.name}: not a tar or zip archive")
    if dest.exists() and any(dest.iterdir()):
        raise CrawlError(f"cannot extract {archive.name}: {dest} is not empty")
    budget = _Budget(archive.name, max_total_bytes, max_files, max_file_bytes)
    with _staging(dest) as staging:
        try:
            if kind == "zip":
                _extract_zip(archive, staging, budget)
            else:
                _extract_tar(archive, kind, staging, budget)
        except _CORRUPTION as error:
            raise CrawlError(f"corrupt archive {archive.name}: {_reason(error)}") from error
        except OSError as error:
            raise CrawlError(f"cannot extract {archive.name}: {error.strerror or error}") from error
        if budget.files == 0:
            raise CrawlError(f"archive {archive.name} holds no files")
        entries = sorted(staging.iterdir())
        for entry in entries:
            os.replace(entry, dest / entry.name)
    if len(entries) == 1 and (dest / entries[0].name).is_dir():
        return dest / entries[0].name
    return dest


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
