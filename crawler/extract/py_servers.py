"""Which Python names hold an MCP server: FastMCP/MCPServer bindings, parameters and imports."""

from __future__ import annotations

import ast

from crawler.extract.py_values import PyIndex, PyModule, base_name, dotted

SERVER_CLASSES = frozenset({"FastMCP", "MCPServer"})
"""The high-level server classes whose `.tool` decorator and `add_tool` register tools."""

RUNTIME_FACTORIES = frozenset({"from_openapi", "from_fastapi", "as_proxy", "create_proxy",
                               "FastMCPOpenAPI", "FastMCPProxy", "OpenAPIProvider"})
"""Constructors whose tools come from data (an OpenAPI file, another server) at run time."""


def server_classes(index: PyIndex) -> frozenset[str]:
    """FastMCP, MCPServer and the repo's own subclasses of them."""
    names = set(SERVER_CLASSES)
    for module in index.modules:
        for cls in module.classes.values():
            if index.class_bases(module, cls) & SERVER_CLASSES:
                names.add(cls.name)
    return frozenset(names)


def constructs_server(call: ast.Call, classes: frozenset[str]) -> bool:
    """True for `FastMCP(...)`, `MCPServer(...)`, `FastMCP.from_openapi(...)` and subclasses."""
    name = base_name(call.func)
    if name in classes:
        return True
    return (
        isinstance(call.func, ast.Attribute)
        and name in RUNTIME_FACTORIES
        and base_name(call.func.value) in classes
    )


def _binding_targets(node: ast.AST) -> list[tuple[ast.expr, ast.expr]]:
    if isinstance(node, ast.Assign):
        return [(target, node.value) for target in node.targets]
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return [(node.target, node.value)]
    if isinstance(node, ast.NamedExpr):
        return [(node.target, node.value)]
    return []


def _annotation_names(annotation: ast.expr | None) -> set[str]:
    if annotation is None:
        return set()
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return {annotation.value.split("[")[0].split(".")[-1].strip()}
    names = {base_name(annotation) or ""}
    if isinstance(annotation, ast.BinOp):
        names |= _annotation_names(annotation.left) | _annotation_names(annotation.right)
    return names


def repo_server_names(index: PyIndex, classes: frozenset[str]) -> frozenset[str]:
    """The last component of every name any module binds to a server (`mcp`, `self.server`)."""
    names: set[str] = set()
    for module in index.modules:
        for node in ast.walk(module.tree):
            for target, value in _binding_targets(node):
                text = dotted(target)
                if text and isinstance(value, ast.Call) and constructs_server(value, classes):
                    names.add(text.split(".")[-1])
    return frozenset(names)


class ServerBindings:
    """Decides whether a decorator's or call's receiver is a server, from this module's bindings."""

    def __init__(self, module: PyModule, classes: frozenset[str], repo_names: frozenset[str]) -> None:
        self.repo_names = repo_names
        self.bound: dict[str, bool] = {}
        for node in ast.walk(module.tree):
            self._visit(node, classes)

    def _visit(self, node: ast.AST, classes: frozenset[str]) -> None:
        for target, value in _binding_targets(node):
            text = dotted(target)
            if text is None:
                continue
            is_server = isinstance(value, ast.Call) and constructs_server(value, classes)
            self.bound[text] = self.bound.get(text, False) or is_server
        if isinstance(node, ast.arg) and _annotation_names(node.annotation) & classes:
            self.bound[node.arg] = True
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in self.repo_names:
                    self.bound.setdefault(alias.asname or alias.name, True)

    def is_server(self, receiver: ast.expr) -> bool:
        """True when the receiver was bound to a server here, or names one bound elsewhere."""
        text = dotted(receiver)
        if text is None:
            return False
        if text in self.bound:
            return self.bound[text]
        # `server_module.mcp` or `self.mcp` set up in another file.
        return "." in text and text.split(".")[-1] in self.repo_names
