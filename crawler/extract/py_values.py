"""Static evaluation of Python expressions for the Python extractor: constants, enums, literals.

The code is untrusted: a name's value and a class's enum members and bases are each worked out
once (`PyIndex`), a definition reached again inside itself is UNKNOWN, and values bigger than
MAX_VALUE_SIZE are UNKNOWN rather than built.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from crawler.extract.bounds import MAX_VALUE_SIZE, Memo, Sizes
from crawler.extract.tree import SourceFile

MAX_DEPTH = 24
"""How many name hops, nested literals or inlined calls one evaluation may follow."""

ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"})
STR_ENUM_BASES = frozenset({"StrEnum", "str"})
MODEL_BASES = frozenset({"BaseModel", "RootModel"})
_TEXT_FUNCTIONS = frozenset({"dedent", "cleandoc", "str"})


class _Unknown:
    """The value of an expression that cannot be known without running the code."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def base_name(node: ast.expr) -> str | None:
    """The last component of a dotted name (`types.Tool` -> `Tool`), else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return base_name(node.value)
    return None


def dotted(node: ast.expr) -> str | None:
    """The dotted text of a name or attribute chain (`self.mcp`), else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr}" if head is not None else None
    return None


def keyword(call: ast.Call, *names: str) -> ast.expr | None:
    """The value of the first keyword argument present among names."""
    for candidate in names:
        for kw in call.keywords:
            if kw.arg == candidate:
                return kw.value
    return None


@dataclass
class PyModule:
    """One parsed Python file with its module-level bindings."""

    path: str
    tree: ast.Module
    constants: dict[str, ast.expr] = field(default_factory=dict)
    """Names assigned at module level (the last assignment wins, as at import time)."""
    locals_once: dict[str, ast.expr] = field(default_factory=dict)
    """Names assigned exactly once anywhere in the file, for constants inside factory functions."""
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    functions: dict[str, FunctionNode] = field(default_factory=dict)


def _assigned_names(node: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        yield node.target.id, node.value


def index_module(path: str, tree: ast.Module) -> PyModule:
    """Record a module's top-level constants and every class and function it defines."""
    module = PyModule(path, tree)
    for statement in tree.body:
        for name, value in _assigned_names(statement):
            module.constants[name] = value
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            module.classes.setdefault(node.name, node)
        elif isinstance(node, FunctionNode):
            module.functions.setdefault(node.name, node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for name, value in _assigned_names(node):
                counts[name] = counts.get(name, 0) + 1
                module.locals_once[name] = value
    for name, count in counts.items():
        if count > 1:
            del module.locals_once[name]
    return module


class PyIndex:
    """Every parsed module of a tree, with repo-wide lookups in path order (first wins)."""

    def __init__(self, modules: Sequence[PyModule]) -> None:
        self.modules = list(modules)
        self.classes: dict[str, tuple[PyModule, ast.ClassDef]] = {}
        self.functions: dict[str, tuple[PyModule, FunctionNode]] = {}
        self.constants: dict[str, tuple[PyModule, ast.expr]] = {}
        # What evaluation works out, by id of the node defining it (the trees live as long as this).
        self.values: Memo[Any] = Memo()
        self.enums: Memo[dict[str, Any]] = Memo()
        self.bases: Memo[frozenset[str]] = Memo()
        self.sizes = Sizes()
        for module in self.modules:
            for name, cls in module.classes.items():
                self.classes.setdefault(name, (module, cls))
            for name, fn in module.functions.items():
                self.functions.setdefault(name, (module, fn))
            for name, value in module.constants.items():
                self.constants.setdefault(name, (module, value))

    def constant(self, module: PyModule, name: str) -> tuple[PyModule, ast.expr] | None:
        """A name's value: this module's top level, a one-off local, then any module's top level."""
        if name in module.constants:
            return module, module.constants[name]
        if name in module.locals_once:
            return module, module.locals_once[name]
        return self.constants.get(name)

    def cls(self, module: PyModule, name: str) -> tuple[PyModule, ast.ClassDef] | None:
        """A class by name: this module first, then the repo."""
        if name in module.classes:
            return module, module.classes[name]
        return self.classes.get(name)

    def function(self, module: PyModule, name: str) -> tuple[PyModule, FunctionNode] | None:
        """A function by name: this module first, then the repo."""
        if name in module.functions:
            return module, module.functions[name]
        return self.functions.get(name)

    def class_bases(self, module: PyModule, cls: ast.ClassDef, depth: int = 0) -> frozenset[str]:
        """Base class names of a class, followed through classes defined in the repo."""
        return self.bases.remembered(id(cls), depth, frozenset(),
                                     lambda: self._class_bases(module, cls, depth))

    def _class_bases(self, module: PyModule, cls: ast.ClassDef, depth: int) -> frozenset[str]:
        names: set[str] = set()
        for base in cls.bases:
            name = base_name(base)
            if name is None or name in names:
                continue
            names.add(name)
            found = self.cls(module, name)
            if found is not None and depth < MAX_DEPTH and found[1] is not cls:
                names |= self.class_bases(found[0], found[1], depth + 1)
        return frozenset(names)

    def is_enum(self, module: PyModule, cls: ast.ClassDef) -> bool:
        return bool(self.class_bases(module, cls) & ENUM_BASES)

    def is_model(self, module: PyModule, cls: ast.ClassDef) -> bool:
        return bool(self.class_bases(module, cls) & MODEL_BASES)


def load_index(files: Sequence[SourceFile]) -> tuple[PyIndex, list[str]]:
    """Parse every Python file; files that do not parse are left out with a note."""
    modules: list[PyModule] = []
    notes: list[str] = []
    for source in files:
        try:
            tree = ast.parse(source.text, filename=source.path)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            reason = getattr(error, "msg", None) or type(error).__name__
            notes.append(f"skipped {source.path}: not valid Python ({reason})")
            continue
        modules.append(index_module(source.path, tree))
    return PyIndex(modules), notes


def enum_members(index: PyIndex, module: PyModule, cls: ast.ClassDef, depth: int = 0) -> dict[str, Any]:
    """The members of an Enum class whose values are literal (none while they are being read)."""
    def members() -> dict[str, Any]:
        found: dict[str, Any] = {}
        for statement in cls.body:
            for name, value in _assigned_names(statement):
                if not name.startswith("_"):
                    found[name] = Evaluator(index).value(value, module, depth + 1)
        return found

    return index.enums.remembered(id(cls), depth, {}, members)


class Evaluator:
    """Evaluates expressions to JSON-like values, UNKNOWN where only running the code would tell."""

    def __init__(self, index: PyIndex) -> None:
        self.index = index

    def value(self, node: ast.expr, module: PyModule, depth: int = 0) -> Any:
        """The value of an expression: str, int, float, bool, None, list, dict, or UNKNOWN."""
        if depth > MAX_DEPTH:
            return UNKNOWN
        match node:
            case ast.Constant(value=constant) if not isinstance(constant, bytes | complex):
                return constant if constant is not Ellipsis else UNKNOWN
            case ast.JoinedStr():
                return self._fstring(node, module, depth, strict=True)
            case ast.BinOp(op=ast.Add()):
                left = self.value(node.left, module, depth + 1)
                right = self.value(node.right, module, depth + 1)
                if isinstance(left, str) and isinstance(right, str):
                    return _joined([left, right])
                return UNKNOWN
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                number = self.value(operand, module, depth + 1)
                ok = isinstance(number, int | float) and not isinstance(number, bool)
                return -number if ok else UNKNOWN
            case ast.List() | ast.Tuple() | ast.Set():
                items = [self.value(item, module, depth + 1) for item in node.elts]
                return UNKNOWN if any(item is UNKNOWN for item in items) else self._fitted(items)
            case ast.Dict():
                return self._fitted(self._dict(node, module, depth))
            case ast.Name(id=name):
                return self._name(name, module, depth)
            case ast.Attribute():
                return self._attribute(node, module, depth)
            case ast.Call():
                return self._call(node, module, depth)
        return UNKNOWN

    def text(self, node: ast.expr, module: PyModule) -> str | None:
        """A lenient string for descriptions: unknown f-string parts kept as `{source}`."""
        # `"a" + "b" + ...` nests as deep as it is long, so the terms are gathered without recursion.
        terms: list[ast.expr] = []
        pending = [node]
        while pending:
            term = pending.pop()
            if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Add):
                pending += [term.right, term.left]
            else:
                terms.append(term)
        parts: list[str] = []
        for term in terms:
            result: Any = self._fstring(term, module, 0, strict=False) \
                if isinstance(term, ast.JoinedStr) else self.value(term, module)
            if not isinstance(result, str):
                return None
            parts.append(result)
        joined = _joined(parts)
        return joined if isinstance(joined, str) else None

    def _fstring(self, node: ast.JoinedStr, module: PyModule, depth: int, *, strict: bool) -> Any:
        parts: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(part.value)
                continue
            inner = part.value if isinstance(part, ast.FormattedValue) else part
            resolved = self.value(inner, module, depth + 1)
            if isinstance(resolved, str | int | float) and not isinstance(resolved, bool):
                parts.append(str(resolved))
            elif strict:
                return UNKNOWN
            else:
                parts.append("{" + ast.unparse(inner) + "}")
        return _joined(parts)

    def _dict(self, node: ast.Dict, module: PyModule, depth: int) -> Any:
        result: dict[str, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:
                spread = self.value(value_node, module, depth + 1)
                if not isinstance(spread, dict):
                    return UNKNOWN
                result.update(spread)
                continue
            key = self.value(key_node, module, depth + 1)
            value = self.value(value_node, module, depth + 1)
            if not isinstance(key, str) or value is UNKNOWN:
                return UNKNOWN
            result[key] = value
        return result

    def _name(self, name: str, module: PyModule, depth: int) -> Any:
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        found = self.index.constant(module, name)
        if found is None:
            return UNKNOWN
        return self._definition(found[1], found[0], depth + 1)

    def _definition(self, node: ast.expr, module: PyModule, depth: int) -> Any:
        """The value a name is defined as, worked out once; UNKNOWN inside its own definition."""
        return self.index.values.remembered(id(node), depth, UNKNOWN,
                                            lambda: self.value(node, module, depth))

    def _fitted(self, value: list[Any] | dict[Any, Any] | _Unknown) -> Any:
        """The value, unless it is too big or nested too deep to hand on."""
        if isinstance(value, _Unknown) or self.index.sizes.fits(value):
            return value
        return UNKNOWN

    def _attribute(self, node: ast.Attribute, module: PyModule, depth: int) -> Any:
        owner = node.value
        # Enum.MEMBER.value / Enum.MEMBER.name
        if isinstance(owner, ast.Attribute) and node.attr in ("value", "name"):
            member = self._enum_member(owner, module, depth)
            if member is not None:
                return member[1] if node.attr == "value" else member[0]
        member = self._enum_member(node, module, depth)
        if member is not None:
            found = self.index.cls(module, base_name(node.value) or "")
            # A str-mixin enum member is a str, so it stands for its value wherever a str is expected.
            if found is not None and self.index.class_bases(*found) & STR_ENUM_BASES:
                return member[1]
            return UNKNOWN
        if isinstance(owner, ast.Name):
            found_cls = self.index.cls(module, owner.id)
            if found_cls is not None:
                for name, value in (pair for s in found_cls[1].body for pair in _assigned_names(s)):
                    if name == node.attr:
                        return self._definition(value, found_cls[0], depth + 1)
                return UNKNOWN
        # `constants.TOOL_NAME`: a module attribute; look the name up across the repo.
        if dotted(owner) is not None:
            found_constant = self.index.constants.get(node.attr)
            if found_constant is not None:
                return self._definition(found_constant[1], found_constant[0], depth + 1)
        return UNKNOWN

    def _enum_member(self, node: ast.expr, module: PyModule, depth: int) -> tuple[str, Any] | None:
        if not isinstance(node, ast.Attribute):
            return None
        class_name = base_name(node.value)
        found = self.index.cls(module, class_name) if class_name else None
        if found is None or not self.index.is_enum(*found):
            return None
        members = enum_members(self.index, found[0], found[1], depth + 1)
        if node.attr not in members or members[node.attr] is UNKNOWN:
            return None
        return node.attr, members[node.attr]

    def _call(self, node: ast.Call, module: PyModule, depth: int) -> Any:
        name = base_name(node.func)
        if name in _TEXT_FUNCTIONS and len(node.args) == 1 and not node.keywords:
            inner = self.value(node.args[0], module, depth + 1)
            if not isinstance(inner, str):
                return UNKNOWN
            if name == "dedent":
                return textwrap.dedent(inner)
            return inspect.cleandoc(inner) if name == "cleandoc" else inner
        if name == "strip" and not node.args and isinstance(node.func, ast.Attribute):
            inner = self.value(node.func.value, module, depth + 1)
            return inner.strip() if isinstance(inner, str) else UNKNOWN
        if name == "join" and isinstance(node.func, ast.Attribute) and len(node.args) == 1:
            glue = self.value(node.func.value, module, depth + 1)
            items = self.value(node.args[0], module, depth + 1)
            if isinstance(glue, str) and isinstance(items, list) and all(
                isinstance(item, str) for item in items
            ):
                return _joined(items, glue)
        if name in ("list", "set", "tuple", "frozenset") and not node.args and not node.keywords:
            return []
        if name == "dict" and not node.args:
            pairs = {kw.arg: self.value(kw.value, module, depth + 1) for kw in node.keywords}
            if all(key is not None for key in pairs) and UNKNOWN not in pairs.values():
                return self._fitted(pairs)
        return UNKNOWN


def _joined(parts: list[str], glue: str = "") -> str | _Unknown:
    """The parts joined, unless that would be longer than any value we build."""
    if sum(len(part) for part in parts) + len(glue) * max(len(parts) - 1, 0) > MAX_VALUE_SIZE:
        return UNKNOWN
    return glue.join(parts)
