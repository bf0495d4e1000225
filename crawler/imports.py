"""Which files of a tree a source file imports (TS/JS, Python, Go), read with patterns, never run."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from crawler.extract.tree import GO_SUFFIXES, PYTHON_SUFFIXES, SourceFile
from crawler.manifests import Manifest

_SCRIPT_IMPORT = re.compile(
    r"""(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s*)["']([^"'\n]+)["']""",
    re.MULTILINE,
)
_PY_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.MULTILINE)
_PY_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w., \t]+)", re.MULTILINE)
_GO_IMPORT_BLOCK = re.compile(r"^import\s*\(([^)]*)\)", re.MULTILINE)
_GO_IMPORT_LINE = re.compile(r"^import\s+(?:[\w.]+\s+)?\"([^\"]+)\"", re.MULTILINE)
_GO_QUOTED = re.compile(r"\"([^\"]+)\"")

SCRIPT_RESOLUTION = ("", ".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx",
                     "/index.ts", "/index.tsx", "/index.js", "/index.mjs", "/index.cjs")
"""What Node and TypeScript try after an extensionless specifier, in their order."""
_COMPILED_SUFFIX = re.compile(r"\.(?:m|c)?jsx?$")
_BUILD_PREFIX = re.compile(r"^(?:\./)?(?:dist|build|lib|out)/")


@dataclass
class ImportGraph:
    """Resolves a file's imports to other files of the same collected tree."""

    files: Sequence[SourceFile]
    manifests: Sequence[Manifest]
    _paths: frozenset[str] = field(init=False)
    _python_modules: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self._paths = frozenset(source.path for source in self.files)
        self._python_modules = self._index_python()

    def imports(self, source: SourceFile) -> set[str]:
        """The paths of the tree's files that source imports (unresolvable imports are left out)."""
        suffix = PurePosixPath(source.path).suffix.lower()
        if suffix in PYTHON_SUFFIXES:
            return self._python_imports(source)
        if suffix in GO_SUFFIXES:
            return self._go_imports(source)
        return self._script_imports(source)

    # TypeScript / JavaScript

    def _script_imports(self, source: SourceFile) -> set[str]:
        found: set[str] = set()
        folder = posixpath.dirname(source.path)
        for specifier in _SCRIPT_IMPORT.findall(source.text):
            if specifier.startswith("."):
                found.update(self._script_file(posixpath.normpath(posixpath.join(folder, specifier))))
            else:
                found.update(self._workspace_package(specifier))
        return found

    def _script_file(self, base: str) -> set[str]:
        """The file a specifier names, trying what Node/TS try; `./x.js` may be `./x.ts` in sources."""
        stems = [base]
        if _COMPILED_SUFFIX.search(base):
            stems.append(_COMPILED_SUFFIX.sub("", base))
        for stem in stems:
            for ending in SCRIPT_RESOLUTION:
                if stem + ending in self._paths:
                    return {stem + ending}
        return set()

    def _workspace_package(self, specifier: str) -> set[str]:
        for manifest in self.manifests:
            name = manifest.name
            if manifest.ecosystem != "npm" or name is None:
                continue
            if specifier != name and not specifier.startswith(name + "/"):
                continue
            rest = specifier[len(name) + 1:]
            return self._package_entry(manifest, rest) or self._folder_files(manifest.folder)
        return set()

    def _package_entry(self, manifest: Manifest, rest: str) -> set[str]:
        """The package's entry file (exports, module, main), its sources when only its build is named."""
        targets = [rest, f"src/{rest}"] if rest else [*manifest.entries, "src/index", "index"]
        for target in targets:
            for candidate in (target, _BUILD_PREFIX.sub("src/", target)):
                found = self._script_file(posixpath.normpath(posixpath.join(manifest.folder, candidate)))
                if found:
                    return found
        return set()

    def _folder_files(self, folder: str) -> set[str]:
        prefix = f"{folder}/" if folder else ""
        return {path for path in self._paths if path.startswith(prefix)}

    # Python

    def _index_python(self) -> dict[str, str]:
        """Dotted module name → file, counted from the tree root and from each project's (src/) folder."""
        roots = {""} | {m.folder for m in self.manifests if m.ecosystem == "python"}
        roots |= {f"{root}/src" if root else "src" for root in set(roots)}
        modules: dict[str, str] = {}
        for path in sorted(self._paths):
            if not path.endswith(".py"):
                continue
            for root in roots:
                prefix = f"{root}/" if root else ""
                if path.startswith(prefix):
                    parts = PurePosixPath(path[len(prefix):]).with_suffix("").parts
                    dotted = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
                    if dotted:
                        modules.setdefault(dotted, path)
        return modules

    def _python_imports(self, source: SourceFile) -> set[str]:
        found: set[str] = set()
        package = PurePosixPath(source.path).parent
        for module, names in _PY_FROM.findall(source.text):
            base = self._absolute(module, package)
            if base is None:
                continue
            imported = [n.split(" as ")[0].strip() for n in names.strip("()").replace("\\", "").split(",")]
            found.update(self._python_module(base))
            for name in imported:
                if name.isidentifier():
                    found.update(self._python_module(f"{base}.{name}" if base else name))
        for group in _PY_IMPORT.findall(source.text):
            for name in group.split(","):
                found.update(self._python_module(name.split(" as ")[0].strip()))
        return found

    def _absolute(self, module: str, package: PurePosixPath) -> str | None:
        """A `from .x import` module as a dotted path from the tree root, or the module itself."""
        dots = len(module) - len(module.lstrip("."))
        if dots == 0:
            return module
        if dots - 1 > len(package.parts):
            return None  # climbs above the tree root
        parts = package.parts[: len(package.parts) - (dots - 1)]
        rest = module[dots:]
        return ".".join([*parts, *([rest] if rest else [])])

    def _python_module(self, dotted: str) -> set[str]:
        path = self._python_modules.get(dotted)
        return {path} if path else set()

    # Go

    def _go_imports(self, source: SourceFile) -> set[str]:
        specifiers = set(_GO_IMPORT_LINE.findall(source.text))
        for block in _GO_IMPORT_BLOCK.findall(source.text):
            specifiers.update(_GO_QUOTED.findall(block))
        found: set[str] = set()
        for specifier in specifiers:
            for manifest in self.manifests:
                module = manifest.name
                if manifest.ecosystem == "go" and module and (specifier == module or
                                                              specifier.startswith(module + "/")):
                    folder = posixpath.join(manifest.folder, specifier[len(module) + 1:]).strip("/")
                    found.update(self._go_package(folder))
        return found

    def _go_package(self, folder: str) -> set[str]:
        """A Go package is every .go file directly in its folder."""
        return {path for path in self._paths
                if path.endswith(".go") and posixpath.dirname(path) == folder}


def closure(graph: ImportGraph, start: Iterable[SourceFile], allowed: set[str],
            by_path: dict[str, SourceFile]) -> set[str]:
    """The allowed files reachable by imports from start, following imports through them."""
    reached: set[str] = set()
    queue = list(start)
    while queue:
        source = queue.pop()
        for path in graph.imports(source):
            if path in allowed and path not in reached:
                reached.add(path)
                queue.append(by_path[path])
    return reached
