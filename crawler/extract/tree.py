"""Walk a source tree, choose the files worth reading, and hand them to the language extractors."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from catalog.records import ToolRecord

SCRIPT_SUFFIXES = frozenset({".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx"})
"""The TypeScript/JavaScript files the TS extractor reads."""

PYTHON_SUFFIXES = frozenset({".py"})
"""The Python files the Python extractor reads."""

GO_SUFFIXES = frozenset({".go"})
"""The Go files the Go extractor reads."""

SOURCE_SUFFIXES = SCRIPT_SUFFIXES | PYTHON_SUFFIXES | GO_SUFFIXES

MAX_SOURCE_BYTES = 4 * 1024 * 1024
"""Files larger than this are skipped with a note (minified bundles, generated data)."""

MAX_FILES = 20_000
"""A tree with more candidate files than this is read only in part, with a note."""

VENDORED_DIRS = frozenset({"node_modules", "bower_components", "vendor", ".git", ".hg", ".svn",
                           "__pycache__", ".venv", "venv", ".tox", "site-packages", "coverage", ".next", ".turbo"})
"""Folders never read: other people's code, caches, VCS metadata."""

TEST_DIRS = frozenset({"test", "tests", "__tests__", "__mocks__", "spec", "specs", "fixtures",
                       "__fixtures__", "e2e", "testdata", "examples", "example"})
"""Folders holding the crawled repo's own tests and fixtures: their tools are not the server's."""

BUILD_DIRS = frozenset({"dist", "build", "lib", "out"})
"""Build output folders, skipped when a `src/` sibling holds the sources they were built from."""

TEST_FILE_MARKERS = (".test.", ".spec.", ".e2e.", ".stories.")
PYTHON_SKIPPED_NAMES = frozenset({"conftest.py", "setup.py", "noxfile.py"})
"""Python files that configure tests or packaging and never define a server's tools."""
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


RUNTIME_NOTE = ("{count} tools found statically; this server builds tools at run time: "
                "use --run or a live URL")
"""The note a crawl carries when some tools exist only once the server runs."""


@dataclass(frozen=True)
class LanguageExtraction:
    """What one language's extractor found in a set of files."""

    tools: tuple[ToolRecord, ...]
    runtime_sites: tuple[str, ...] = ()
    """Where the code builds tools at run time (`path:line: what`): static reading is partial."""
    notes: tuple[str, ...] = ()
    """Files skipped and similar, one sentence each."""
    complete: bool = True
    """False when a skipped file could have held tools."""


@dataclass
class _Walk:
    files: list[SourceFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    complete: bool = True


def _is_test_file(name: str) -> bool:
    if any(marker in name for marker in TEST_FILE_MARKERS):
        return True
    if name.endswith(".py"):
        return name in PYTHON_SKIPPED_NAMES or name.startswith("test_") or name.endswith("_test.py")
    return name.endswith("_test.go")


def _is_source_name(name: str) -> bool:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix in SOURCE_SUFFIXES and not name.endswith(DECLARATION_SUFFIXES) and not _is_test_file(name)


def _holds_sources(folder: Path) -> bool:
    """True when folder (pruned like the walk) holds at least one source file."""
    return any(True for _ in _candidates(folder))


def _pruned(dirpath: Path, dirnames: list[str]) -> list[str]:
    """The subfolders worth descending into, in a stable order."""
    names = set(dirnames)
    # Build output is a copy of src/ only when src/ really holds sources: published packages
    # often ship dist/ beside a src/ of type declarations or assets, and dist/ is then the code.
    src_has_sources: bool | None = None
    keep = []
    for name in sorted(dirnames):
        lowered = name.lower()
        if lowered in VENDORED_DIRS or lowered in TEST_DIRS or name.startswith("."):
            continue
        if (dirpath / name).is_symlink():
            continue
        if lowered in BUILD_DIRS and "src" in names:
            if src_has_sources is None:
                src_has_sources = _holds_sources(dirpath / "src")
            if src_has_sources:
                continue
        keep.append(name)
    return keep


def walk_dirs(root: Path) -> Iterator[tuple[Path, list[str]]]:
    """Every folder the walk reads (root first, then in sorted order) with its file names."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = _pruned(here, dirnames)
        yield here, sorted(filenames)


def _candidates(root: Path) -> Iterator[Path]:
    for here, filenames in walk_dirs(root):
        for name in filenames:
            path = here / name
            if _is_source_name(name) and not path.is_symlink():
                yield path


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Source files in other encodings still parse: keep what can be read.
        return data.decode("utf-8", errors="replace")


def collect_files(root: Path) -> tuple[list[SourceFile], list[str], bool]:
    """The source files under root worth reading, notes on what was skipped, and completeness."""
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


def _runtime_notes(found: int, extraction: LanguageExtraction) -> list[str]:
    sites = ", ".join(extraction.runtime_sites[:3])
    more = len(extraction.runtime_sites) - 3
    if more > 0:
        sites += f" and {more} more"
    return [RUNTIME_NOTE.format(count=found), f"tools built at run time: {sites}"]


def _by_language(files: Sequence[SourceFile]) -> dict[str, list[SourceFile]]:
    groups: dict[str, list[SourceFile]] = {"script": [], "python": [], "go": []}
    for source in files:
        suffix = PurePosixPath(source.path).suffix.lower()
        if suffix in PYTHON_SUFFIXES:
            groups["python"].append(source)
        elif suffix in GO_SUFFIXES:
            groups["go"].append(source)
        else:
            groups["script"].append(source)
    return groups


def extract_files(files: Sequence[SourceFile], server_key: str) -> LanguageExtraction:
    """Run each language's extractor on its files and merge what they report."""
    # Imported here so that the walker stays importable while the grammars load lazily.
    from crawler.extract import golang, python, typescript

    groups = _by_language(files)
    parts = [python.extract(groups["python"], server_key), golang.extract(groups["go"], server_key)]
    if groups["script"]:
        parts.append(typescript.extract(groups["script"], server_key))
    return LanguageExtraction(
        tools=tuple(tool for part in parts for tool in part.tools),
        runtime_sites=tuple(site for part in parts for site in part.runtime_sites),
        notes=tuple(note for part in parts for note in part.notes),
        complete=all(part.complete for part in parts),
    )


def extract_source_files(
    files: Sequence[SourceFile], server_key: str, *, notes: Sequence[str] = (), complete: bool = True
) -> TreeExtraction:
    """The tools of an already collected set of files, with the walk's notes and completeness."""
    extraction = extract_files(files, server_key)
    tools = unique_tools(extraction.tools)
    all_notes = [*notes, *extraction.notes]
    if extraction.runtime_sites:
        all_notes.extend(_runtime_notes(len(tools), extraction))
    complete = complete and extraction.complete and not extraction.runtime_sites
    return TreeExtraction(tuple(tools), tuple(all_notes), len(files), complete)


def extract_tree(root: Path, server_key: str) -> TreeExtraction:
    """Read every source file worth reading under root (TS/JS, Python, Go) and return its tools."""
    files, notes, complete = collect_files(root)
    return extract_source_files(files, server_key, notes=notes, complete=complete)
