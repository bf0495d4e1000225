"""What each parsed file declares, imports and exports, and how names resolve across the file set."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from tree_sitter import Node

from crawler.extract.bounds import Sizes
from crawler.extract.ts_commonjs import (
    assigned_export,
    defined_export,
    literal_string,
    property_key,
    require_spec,
    star_export_spec,
)
from crawler.extract.ts_enums import (
    CompiledEnum,
    EnumMembers,
    compiled_enum,
    declared_enum_members,
    declared_name,
    export_targets,
)
from crawler.extract.ts_memo import FileMemo
from crawler.extract.ts_parse import FUNCTION_TYPES, ancestors, captures, node_text, parse

_SCOPE_TYPES = frozenset({"statement_block", "program", "class_body", "switch_body"})
_SCRIPT_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx")
_MODULE_SCOPE = (0, 1 << 62)


class Bound(NamedTuple):
    """An expression node together with the file it sits in."""

    node: Node
    scope: FileScope


@dataclass(frozen=True)
class Namespace:
    """A whole module as a value (`import * as ns`, `require(...)`); scope is None outside the set."""

    spec: str
    scope: FileScope | None


@dataclass(frozen=True)
class External:
    """A name imported from a module outside the file set (`import { z } from "zod"`)."""

    spec: str
    name: str


Resolved = Bound | Namespace | External


@dataclass(frozen=True)
class _Binding:
    value: Node
    scope_start: int
    scope_end: int


@dataclass(frozen=True)
class _Import:
    spec: str
    name: str | None
    """The exported name, or None when the whole module is bound."""


@dataclass(eq=False)
class FileScope:
    """One parsed file: its candidate calls and the names it binds."""

    path: str
    project: Project
    calls: list[Node] = field(default_factory=list)
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    imports: dict[str, _Import] = field(default_factory=dict)
    export_locals: dict[str, str] = field(default_factory=dict)
    export_values: dict[str, Node] = field(default_factory=dict)
    reexports: dict[str, _Import] = field(default_factory=dict)
    star_exports: list[str] = field(default_factory=list)
    module_object: Node | None = None
    enums: dict[int, EnumMembers] = field(default_factory=dict)
    """Members of the enum declarations looked at so far, by declaration node id."""
    compiled_enums: dict[int, CompiledEnum] = field(default_factory=dict)
    """The enums compiled JavaScript builds with a function call, by call node id."""
    memo: FileMemo = field(default_factory=FileMemo)

    def enum_members(self, declaration: Node) -> EnumMembers:
        """The members of an enum declared in this file (computed once)."""
        known = self.enums.get(declaration.id)
        if known is None:
            known = self.enums[declaration.id] = declared_enum_members(declaration)
        return known

    def resolve_name(self, name: str, at: Node | None) -> Resolved | None:
        """What an identifier used at `at` (None: at module level) refers to, if static."""
        if at is not None and _shadowed_by_parameter(name, at):
            return None
        best: _Binding | None = None
        for binding in self.bindings.get(name, ()):
            if at is None:
                inside = binding.scope_start == 0
            else:
                inside = binding.scope_start <= at.start_byte < binding.scope_end
            if inside and (
                    best is None or binding.scope_end - binding.scope_start
                    < best.scope_end - best.scope_start):
                best = binding
        if best is not None:
            return self.project.module_value(best.value, self)
        imported = self.imports.get(name)
        if imported is not None:
            return self.project.imported(self.path, imported)
        if name in ("exports", "module"):
            return Namespace(self.path, self)
        return None


class Project:
    """Every file of one tree, parsed once, with cross-file name resolution."""

    def __init__(self) -> None:
        self.files: dict[str, FileScope] = {}
        self.sizes = Sizes()  # the values and schemas built from these files, each measured once

    def add(self, path: str, text: str, grammar: str) -> FileScope:
        """Parse one file and index its declarations."""
        scope = FileScope(path, self)
        tree = parse(text, grammar)
        found = captures(tree.root_node, grammar)
        scope.calls = found.get("call", [])
        for declarator in found.get("declarator", []):
            _index_declarator(scope, declarator)
        _index_commonjs(scope, found)
        for call in found.get("enum_call", []):
            _index_compiled_enum(scope, call)
        for statement in tree.root_node.named_children:
            if statement.type == "import_statement":
                _index_import(scope, statement)
            elif statement.type == "export_statement":
                _index_export(scope, statement)
            elif statement.type in ("enum_declaration", "ambient_declaration"):
                _index_enum(scope, statement)
        self.files[path] = scope
        return scope

    def module(self, from_path: str, spec: str) -> FileScope | None:
        """The file a relative import names, trying the usual TypeScript/Node spellings."""
        if not spec.startswith("."):
            return None
        base = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), spec))
        stem = base
        for extension in _SCRIPT_EXTENSIONS:
            if base.endswith(extension):
                stem = base[: -len(extension)]
        candidates = [base]
        candidates += [stem + extension for extension in _SCRIPT_EXTENSIONS]
        candidates += [f"{base}/index{extension}" for extension in _SCRIPT_EXTENSIONS]
        for candidate in candidates:
            found = self.files.get(candidate)
            if found is not None:
                return found
        return None

    def imported(self, from_path: str, imported: _Import) -> Resolved | None:
        """What an import binding refers to."""
        target = self.module(from_path, imported.spec)
        if imported.name is None:
            return Namespace(imported.spec, target)
        if target is None:
            return External(imported.spec, imported.name)
        return self.export(target, imported.name, set())

    def export(self, scope: FileScope, name: str, seen: set[tuple[str, str]]) -> Resolved | None:
        """What a module exports under `name`, following re-exports (cycles stop)."""
        if (scope.path, name) in seen or len(seen) > 32:
            return None
        seen.add((scope.path, name))
        if name in scope.export_values:
            return self.module_value(scope.export_values[name], scope)
        if name in scope.export_locals:
            return scope.resolve_name(scope.export_locals[name], None)
        if name in scope.reexports:
            reexport = scope.reexports[name]
            target = self.module(scope.path, reexport.spec)
            return None if target is None else self.export(target, reexport.name or name, seen)
        if scope.module_object is not None:
            for pair in scope.module_object.named_children:
                if pair.type == "pair" and property_key(pair.child_by_field_name("key")) == name:
                    value = pair.child_by_field_name("value")
                    return None if value is None else Bound(value, scope)
        for spec in scope.star_exports:
            target = self.module(scope.path, spec)
            found = None if target is None else self.export(target, name, seen)
            if found is not None:
                return found
        return None

    def module_value(self, value: Node, scope: FileScope) -> Resolved:
        """A bound value, seen through `require(...)` so that CommonJS namespaces resolve."""
        spec = require_spec(value)
        if spec is not None:
            return Namespace(spec, self.module(scope.path, spec))
        return Bound(value, scope)


_Bind = Callable[[str, str], None]


def _enclosing_scope(node: Node) -> tuple[int, int]:
    for parent in ancestors(node):
        if parent.type in _SCOPE_TYPES:
            if parent.type == "program":
                return _MODULE_SCOPE
            return parent.start_byte, parent.end_byte
    return _MODULE_SCOPE


def _index_declarator(scope: FileScope, declarator: Node) -> None:
    name = declarator.child_by_field_name("name")
    value = declarator.child_by_field_name("value")
    if name is None or value is None:
        return
    while value.type == "assignment_expression":  # `let E = exports.E = ...` binds E to the value
        right = value.child_by_field_name("right")
        if right is None:
            return
        value = right
    if name.type == "identifier":
        start, end = _enclosing_scope(declarator)
        scope.bindings.setdefault(node_text(name), []).append(_Binding(value, start, end))
    elif name.type == "object_pattern":
        spec = require_spec(value)
        if spec is not None:
            for local, exported in _pattern_names(name):
                scope.imports[local] = _Import(spec, exported)


def _pattern_names(pattern: Node) -> list[tuple[str, str]]:
    names = []
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern":
            names.append((node_text(child), node_text(child)))
        elif child.type == "pair_pattern":
            key = property_key(child.child_by_field_name("key"))
            value = child.child_by_field_name("value")
            if key is not None and value is not None and value.type == "identifier":
                names.append((node_text(value), key))
    return names


def _index_commonjs(scope: FileScope, found: dict[str, list[Node]]) -> None:
    for assignment in found.get("assignment", []):
        exported = assigned_export(assignment)
        if exported is not None and exported[0]:
            scope.export_values[exported[0]] = exported[1]
        elif exported is not None:
            scope.module_object = exported[1]
    for call in found.get("define_call", []):
        defined = defined_export(call)
        if defined is not None:
            scope.export_values.setdefault(*defined)
    for call in found.get("star_call", []):
        spec = star_export_spec(call)
        if spec is not None:
            scope.star_exports.append(spec)


def _index_enum(scope: FileScope, statement: Node) -> None:
    """A TypeScript enum binds its name to the declaration; ts_values reads the members from it."""
    if statement.type == "ambient_declaration":
        inner = [child for child in statement.named_children if child.type == "enum_declaration"]
        if not inner:
            return
        statement = inner[0]
    name = statement.child_by_field_name("name")
    if name is not None:
        scope.bindings.setdefault(node_text(name), []).append(_Binding(statement, *_MODULE_SCOPE))


def _index_compiled_enum(scope: FileScope, call: Node) -> None:
    """Bind the enum's name to the call (tsc declares it bare: `var E;`) and point its exports there,
    not at the `{}` the call starts from."""
    enum = compiled_enum(call)
    if enum is None:
        return
    start, end = _enclosing_scope(call)
    bindings = scope.bindings.setdefault(enum.name, [])
    holder = call
    for earlier in bindings:
        first = scope.compiled_enums.get(earlier.value.id)
        if (earlier.scope_start, earlier.scope_end) == (start, end) and first is not None:
            # Merged `enum E` blocks compile to one call each, all filling the same object.
            scope.compiled_enums[earlier.value.id] = first._replace(
                members={**first.members, **enum.members})
            holder = earlier.value
            break
    else:
        scope.compiled_enums[call.id] = enum
        if declared_name(call) is None:  # esbuild's and Babel's are bound by their declaration
            bindings.append(_Binding(call, start, end))
    for assignment in export_targets(call):
        exported = assigned_export(assignment)
        if exported is not None and exported[0]:
            scope.export_values[exported[0]] = holder


def _index_import(scope: FileScope, statement: Node) -> None:
    source = statement.child_by_field_name("source")
    if source is None:
        return
    spec = literal_string(source)
    for clause in statement.named_children:
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            if part.type == "identifier":
                scope.imports[node_text(part)] = _Import(spec, "default")
            elif part.type == "namespace_import":
                for ident in part.named_children:
                    scope.imports[node_text(ident)] = _Import(spec, None)
            elif part.type == "named_imports":
                for specifier in part.named_children:
                    _index_specifier(specifier, lambda local, name: scope.imports.__setitem__(
                        local, _Import(spec, name)))


def _index_specifier(specifier: Node, bind: _Bind) -> None:
    if specifier.type not in ("import_specifier", "export_specifier"):
        return
    name = specifier.child_by_field_name("name")
    alias = specifier.child_by_field_name("alias")
    if name is None:
        return
    exported = property_key(name) or node_text(name)
    bind(node_text(alias) if alias is not None else exported, exported)


def _index_export(scope: FileScope, statement: Node) -> None:
    source = statement.child_by_field_name("source")
    spec = literal_string(source) if source is not None else None
    declaration = statement.child_by_field_name("declaration")
    value = statement.child_by_field_name("value")
    if declaration is not None and declaration.type in ("lexical_declaration",
                                                        "variable_declaration"):
        for declarator in declaration.named_children:
            name = declarator.child_by_field_name("name")
            if declarator.type == "variable_declarator" and name is not None:
                scope.export_locals[node_text(name)] = node_text(name)
    elif declaration is not None and declaration.type == "enum_declaration":
        _index_enum(scope, declaration)
        name = declaration.child_by_field_name("name")
        if name is not None:
            scope.export_locals[node_text(name)] = node_text(name)
    elif value is not None and value.type not in FUNCTION_TYPES:
        scope.export_values["default"] = value
    clauses = [child for child in statement.named_children if child.type == "export_clause"]
    if spec is not None and not clauses and not any(
            child.type == "namespace_export" for child in statement.named_children):
        scope.star_exports.append(spec)
    for clause in clauses:
        for specifier in clause.named_children:
            if spec is None:
                _index_specifier(specifier, lambda exported, local: scope.export_locals.__setitem__(
                    exported, local))
            else:
                _index_specifier(specifier, lambda exported, name: scope.reexports.__setitem__(
                    exported, _Import(spec, name)))


def _shadowed_by_parameter(name: str, at: Node) -> bool:
    """True when an enclosing function takes a parameter called `name`."""
    for parent in ancestors(at):
        if parent.type not in FUNCTION_TYPES:
            continue
        params = parent.child_by_field_name("parameters") or parent.child_by_field_name("parameter")
        if params is not None and name in _parameter_names(params):
            return True
    return False


def _parameter_names(params: Node) -> set[str]:
    names: set[str] = set()
    stack = [params]
    visited = 0
    while stack and visited < 2000:
        node = stack.pop()
        visited += 1
        if node.type in ("identifier", "shorthand_property_identifier_pattern"):
            names.add(node_text(node))
        elif node.type not in ("type_annotation", "default_value"):
            stack.extend(node.named_children)
    return names
