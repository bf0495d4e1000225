"""Package manifests (package.json, pyproject.toml, go.mod) read for what they say about MCP servers."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from crawler.extract.tree import walk_dirs

MAX_MANIFEST_BYTES = 1024 * 1024
"""Manifests larger than this are not manifests anyone wrote by hand: ignored."""

MCP_NPM_DEPENDENCIES = frozenset({"@modelcontextprotocol/sdk", "@modelcontextprotocol/server", "fastmcp",
                                  "mcp-framework"})
"""npm packages whose presence among a package's dependencies says it builds an MCP server."""
MCP_PYTHON_DEPENDENCIES = frozenset({"mcp", "fastmcp"})
"""PyPI distributions (normalised) whose presence says a Python project builds an MCP server."""
MCP_GO_MODULES = ("github.com/mark3labs/mcp-go", "github.com/modelcontextprotocol/go-sdk")
"""Go modules whose presence in go.mod says a module builds an MCP server."""

MANIFEST_NAMES = ("package.json", "pyproject.toml", "go.mod")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_GO_MODULE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)
_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([A-Za-z0-9.-]+\.[A-Za-z]{2,}/\S+)\s+v\S+", re.MULTILINE)
_MCP_NAME = re.compile(r"mcp-name:\s*([A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9._/-]+)")
"""The `mcp-name: io.github.owner/name` line PyPI packages put in their README for the MCP registry."""

Ecosystem = Literal["npm", "python", "go"]


@dataclass(frozen=True)
class Manifest:
    """One package manifest and what it says about the package beside it."""

    folder: str
    """POSIX path of the manifest's folder inside the tree; "" for the tree root."""
    ecosystem: Ecosystem
    name: str | None
    """package.json name, normalised Python project name, or Go module path."""
    version: str | None = None
    description: str | None = None
    mcp_name: str | None = None
    """The MCP registry name it declares (package.json `mcpName`, README `mcp-name:`)."""
    uses_mcp: bool = False
    """An MCP SDK is among its runtime dependencies."""
    runnable: bool = False
    """It declares a command (`bin`, `[project.scripts]`); go.mod cannot say, so never for Go."""
    depends_on: frozenset[str] = frozenset()
    """Names of every package it depends on, dev dependencies included."""
    entries: tuple[str, ...] = ()
    """npm entry files it declares (exports, module, main, bin), relative to its folder."""

    @property
    def declares_server(self) -> bool:
        """Its manifest alone says it is an MCP server (a registry name, or an SDK and a command)."""
        return self.mcp_name is not None or (self.uses_mcp and self.runnable)


def normalise_python_name(name: str) -> str:
    """PEP 503: runs of `-`, `_`, `.` become one `-`, lowercased."""
    return re.sub(r"[-_.]+", "-", name).lower()


def registry_name_note(mcp_name: str) -> str:
    """The note a server carries when its package declares an MCP registry name."""
    return f"declares the MCP registry name {mcp_name}"


def mcp_name_in(text: str) -> str | None:
    """The `mcp-name: io.github.x/y` a README declares, when it does."""
    match = _MCP_NAME.search(text)
    return match[1].rstrip("/.") if match else None


def find_manifests(root: Path) -> list[Manifest]:
    """Every readable manifest in the folders the tree walk reads, in path order."""
    found = []
    for folder, filenames in walk_dirs(root):
        relative = folder.relative_to(root).as_posix()
        where = "" if relative == "." else relative
        for name in MANIFEST_NAMES:
            if name in filenames:
                manifest = read_manifest(folder / name, where)
                if manifest is not None:
                    found.append(manifest)
    return found


def read_manifest(path: Path, folder: str) -> Manifest | None:
    """The manifest at path, or None when it is unreadable, oversized or malformed."""
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match path.name:
        case "package.json":
            return _package_json(text, folder)
        case "pyproject.toml":
            return _pyproject(text, folder, path.parent)
        case _:
            return _go_mod(text, folder)


def _text(body: Mapping[str, Any], field: str) -> str | None:
    value = body.get(field)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _names(value: Any) -> set[str]:
    return {key for key in value if isinstance(key, str)} if isinstance(value, dict) else set()


def _export_targets(value: Any) -> Iterator[str]:
    """The files an `exports` field points at, conditions in the order they are written."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        dot = value.get(".")
        if dot is not None:
            yield from _export_targets(dot)
        elif not any(isinstance(key, str) and key.startswith(".") for key in value):
            for condition in value.values():
                yield from _export_targets(condition)


def _package_json(text: str, folder: str) -> Manifest | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    runtime = (_names(body.get("dependencies")) | _names(body.get("peerDependencies"))
               | _names(body.get("optionalDependencies")))
    bins = body.get("bin")
    bin_files = [bins] if isinstance(bins, str) else [v for v in bins.values() if isinstance(v, str)] \
        if isinstance(bins, dict) else []
    entries = [*_export_targets(body.get("exports")),
               *(v for v in (_text(body, "module"), _text(body, "main")) if v), *bin_files]
    return Manifest(
        folder=folder,
        ecosystem="npm",
        name=_text(body, "name"),
        version=_text(body, "version"),
        description=_text(body, "description"),
        mcp_name=_text(body, "mcpName"),
        uses_mcp=bool(runtime & MCP_NPM_DEPENDENCIES),
        runnable=bool(bin_files),
        depends_on=frozenset(runtime | _names(body.get("devDependencies"))),
        entries=tuple(dict.fromkeys(entries)),
    )


def _requirement_names(requirements: Any) -> set[str]:
    names = set()
    for requirement in requirements if isinstance(requirements, list) else []:
        match = _REQUIREMENT_NAME.match(requirement) if isinstance(requirement, str) else None
        if match:
            names.add(normalise_python_name(match[1]))
    return names


def _table(body: Mapping[str, Any], field: str) -> dict[str, Any]:
    value = body.get(field)
    return value if isinstance(value, dict) else {}


def _readme_mcp_name(folder: Path) -> str | None:
    for name in ("README.md", "README.rst", "README.txt", "README"):
        readme = folder / name
        try:
            if readme.is_file() and readme.stat().st_size <= MAX_MANIFEST_BYTES:
                return mcp_name_in(readme.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None
    return None


def _pyproject(text: str, folder: str, directory: Path) -> Manifest | None:
    try:
        body = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    project = _table(body, "project")
    poetry = _table(_table(body, "tool"), "poetry")
    runtime = _requirement_names(project.get("dependencies")) | {
        normalise_python_name(name) for name in _names(poetry.get("dependencies"))}
    groups = project.get("optional-dependencies")
    extra = {name for group in groups.values() for name in _requirement_names(group)} \
        if isinstance(groups, dict) else set()
    name = _text(project, "name") or _text(poetry, "name")
    return Manifest(
        folder=folder,
        ecosystem="python",
        name=normalise_python_name(name) if name else None,
        version=_text(project, "version") or _text(poetry, "version"),
        description=_text(project, "description") or _text(poetry, "description"),
        mcp_name=_readme_mcp_name(directory),
        uses_mcp=bool(runtime & MCP_PYTHON_DEPENDENCIES),
        runnable=bool(_names(project.get("scripts")) or _names(poetry.get("scripts"))),
        depends_on=frozenset(runtime | extra),
    )


def _go_mod(text: str, folder: str) -> Manifest | None:
    module = _GO_MODULE.search(text)
    if module is None:
        return None
    requires = frozenset(_GO_REQUIRE.findall(text))
    return Manifest(
        folder=folder,
        ecosystem="go",
        name=module[1],
        uses_mcp=any(r == m or r.startswith(m + "/") for r in requires for m in MCP_GO_MODULES),
        depends_on=requires,
    )


def server_manifests(manifests: list[Manifest]) -> list[Manifest]:
    """The manifests that stand for servers; an SDK user another package depends on is a library.

    At most one server per folder (a folder with both package.json and pyproject.toml is one server).
    """
    depended = {name for manifest in manifests for name in manifest.depends_on}
    servers: dict[str, Manifest] = {}
    for manifest in manifests:
        library = manifest.name is not None and manifest.name in depended
        if manifest.declares_server or (manifest.uses_mcp and not library):
            servers.setdefault(manifest.folder, manifest)
    return sorted(servers.values(), key=lambda m: PurePosixPath(m.folder).parts)
