"""Walk a source tree, choose the files worth reading, and hand them to the language extractors."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from catalog.records import ToolRecord

SCRIPT_SUFFIXES = frozenset({".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx"})
"""The TypeScript/JavaScript files the TS extractor reads."""

MAX_SOURCE_BYTES = 4 * 1024 * 1024
"""Files larger than this are skipped with a note (minified bundles, generated data)."""

MAX_FILES = 20_000
"""A tree with more candidate files than this is read only in part, with a note."""

VENDORED_DIRS = frozenset({"node_modules", "bower_components", "vendor", ".git", ".hg", ".svn",
                           "__pycache__", ".venv", "venv", ".tox", "coverage", ".next", ".turbo"})
"""Folders never read: other people's code, caches, VCS metadata."""

TEST_DIRS = frozenset({"test", "tests", "__tests__", "__mocks__", "spec", "specs", "fixtures",
                       "__fixtures__", "e2e", "testdata", "examples", "example"})
"""Folders holding the crawled repo's own tests and fixtures: their tools are not the server's."""

BUILD_DIRS = frozenset({"dist", "build", "lib", "out"})
"""Build output folders, skipped when a `src/` sibling holds the sources they were built from."""

TEST_FILE_MARKERS = (".test.", ".spec.", ".e2e.", ".stories.")
DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts", ".map")


@dataclass(frozen=True)
class SourceFile:
    """One file handed to an extractor: its POSIX path inside the tree and its decoded text."""

    path: str
    text: str


@dataclass(frozen=True)
class TreeExtraction:
    """What static extraction found in one tree."""

    tools: tuple[ToolRecord, ...]
    notes: tuple[str, ...] = ()
    """Skipped files and other things a user should know, one sentence each."""
    files_scanned: int = 0
    complete: bool = True
    """False when files that could hold tools were skipped."""


@dataclass
class _Walk:
    files: list[SourceFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    complete: bool = True


def _is_test_file(name: str) -> bool:
    return any(marker in name for marker in TEST_FILE_MARKERS)


def _pruned(dirpath: Path, dirnames: list[str]) -> list[str]:
    """The subfolders worth descending into, in a stable order."""
    names = set(dirnames)
    keep = []
    for name in sorted(dirnames):
        lowered = name.lower()
        if lowered in VENDORED_DIRS or lowered in TEST_DIRS or name.startswith("."):
            continue
        if lowered in BUILD_DIRS and "src" in names:
            continue
        if (dirpath / name).is_symlink():
            continue
        keep.append(name)
    return keep


def _candidates(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = _pruned(here, dirnames)
        for name in sorted(filenames):
            path = here / name
            if path.suffix.lower() not in SCRIPT_SUFFIXES or path.is_symlink():
                continue
            if name.endswith(DECLARATION_SUFFIXES) or _is_test_file(name):
                continue
            yield path


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Source files in other encodings still parse: keep what can be read.
        return data.decode("utf-8", errors="replace")


def collect_files(root: Path) -> tuple[list[SourceFile], list[str], bool]:
    """The script files under root worth reading, notes on what was skipped, and completeness."""
    walk = _Walk()
    for path in _candidates(root):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if len(walk.files) >= MAX_FILES:
            walk.notes.append(f"stopped after {MAX_FILES} files; the rest of the tree was not read")
            walk.complete = False
            break
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            walk.notes.append(f"skipped {relative}: {size} bytes is over the {MAX_SOURCE_BYTES}-byte limit")
            walk.complete = False
            continue
        walk.files.append(SourceFile(str(relative), _decode(path.read_bytes())))
    return walk.files, walk.notes, walk.complete


def unique_tools(tools: Sequence[ToolRecord]) -> list[ToolRecord]:
    """One tool per name: a tool found twice (source and compiled copy, two files) is one tool.

    The first sighting in path order wins, so the choice is stable.
    """
    seen: dict[str, ToolRecord] = {}
    for tool in sorted(tools, key=lambda t: (t.location.file or "", t.location.line or 0)):
        seen.setdefault(tool.name, tool)
    return sorted(seen.values(), key=lambda t: t.name)


def extract_tree(root: Path, server_key: str) -> TreeExtraction:
    """Read every TypeScript/JavaScript file worth reading under root and return its tools."""
    # Imported here so that the walker stays importable while the extractor's grammar loads lazily.
    from crawler.extract.typescript import extract_tools

    files, notes, complete = collect_files(root)
    tools = unique_tools(extract_tools(files, server_key))
    return TreeExtraction(tuple(tools), tuple(notes), len(files), complete)
