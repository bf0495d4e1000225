"""One tree, several servers: find each server's root by its manifest and give each its own tools.

A tree whose manifests declare at most one MCP server is one server, read whole (as before). With
several, each server owns the files under its folder (the deepest server folder wins), and shared
code outside every server folder goes to each server whose files import it, directly or through
other shared files. Shared code no server imports is not attributed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from crawler.extract.tree import SourceFile, TreeExtraction, collect_files, extract_source_files
from crawler.imports import ImportGraph, closure
from crawler.manifests import Manifest, find_manifests, server_manifests


@dataclass(frozen=True)
class ServerTree:
    """One server found in a tree and what static extraction found for it."""

    subpath: str | None
    """The server's folder inside the tree (POSIX), or None when the tree is a single server."""
    manifest: Manifest | None
    """The manifest that declares it, when one does."""
    extraction: TreeExtraction

    def key(self, base_key: str) -> str:
        """`base#subpath` for one server of several, else base itself."""
        return subpath_key(base_key, self.subpath)


def subpath_key(base_key: str, subpath: str | None) -> str:
    """`github:o/r#src/memory` for a server in a subfolder; the tree root's server keeps the base key."""
    return f"{base_key}#{subpath}" if subpath else base_key


def _owner(path: str, folders: Sequence[str]) -> str | None:
    """The deepest server folder holding path (folders sorted deepest first)."""
    for folder in folders:
        if not folder or path.startswith(folder + "/"):
            return folder
    return None


def _depth(folder: str) -> int:
    return len(PurePosixPath(folder).parts) if folder else 0


def partition(files: Sequence[SourceFile], manifests: Sequence[Manifest],
              servers: Sequence[Manifest]) -> dict[str, list[SourceFile]]:
    """Each server folder → its own files plus the shared files its files import, in path order."""
    folders = sorted((m.folder for m in servers), key=_depth, reverse=True)
    owned: dict[str, list[SourceFile]] = {folder: [] for folder in folders}
    shared: set[str] = set()
    for source in files:
        owner = _owner(source.path, folders)
        if owner is None:
            shared.add(source.path)
        else:
            owned[owner].append(source)
    if not shared:
        return owned
    graph = ImportGraph(files, manifests)
    by_path = {source.path: source for source in files}
    result = {}
    for folder, own in owned.items():
        reached = closure(graph, own, shared, by_path)
        result[folder] = sorted([*own, *(by_path[path] for path in reached)], key=lambda s: s.path)
    return result


def extract_servers(root: Path, base_key: str) -> list[ServerTree]:
    """The servers of the tree under root, each with its tools; keys are `base_key[#subpath]`."""
    files, notes, complete = collect_files(root)
    manifests = find_manifests(root)
    servers = server_manifests(manifests)
    if len(servers) <= 1:
        extraction = extract_source_files(files, base_key, notes=notes, complete=complete)
        return [ServerTree(None, servers[0] if servers else None, extraction)]
    by_folder = {manifest.folder: manifest for manifest in servers}
    found = []
    for folder, own in sorted(partition(files, manifests, servers).items()):
        extraction = extract_source_files(own, subpath_key(base_key, folder), notes=notes,
                                          complete=complete)
        found.append(ServerTree(folder, by_folder[folder], extraction))
    return found
