"""Static extraction of MCP tools from Python source with the standard library's `ast`.

Reads FastMCP/MCPServer registrations (`@mcp.tool`, `@mcp.tool(...)`, `mcp.add_tool(fn, ...)`,
`mcp.tool(...)(fn)`) and the low-level server's `Tool(...)` objects reachable from a
`list_tools` handler (`@server.list_tools()` or `Server(..., on_list_tools=handler)`).
Nothing is imported or run. Conventions (see py_schema for the schema shape):

- a decorator registration is located at the decorator's line, `add_tool` at the call's,
  a low-level tool at its `Tool(` call;
- descriptions come from the registration, else the function's docstring through
  `inspect.cleandoc` (the SDK keeps the raw docstring; the words are the same);
- output schemas are not derived (None);
- a registration whose name, function or tool list is only known at run time is reported in
  `runtime_sites` rather than guessed.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.py_hints import annotation_hints
from crawler.extract.py_schema import SchemaBuilder
from crawler.extract.py_servers import (
    RUNTIME_FACTORIES,
    ServerBindings,
    repo_server_names,
    server_classes,
)
from crawler.extract.py_values import (
    MAX_DEPTH,
    UNKNOWN,
    Evaluator,
    FunctionNode,
    PyIndex,
    PyModule,
    base_name,
    keyword,
    load_index,
)
from crawler.extract.tree import LanguageExtraction, SourceFile

_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp,
          ast.DictComp)


@dataclass
class _Found:
    tools: list[ToolRecord] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)


class _ModuleScan:
    """Finds the tools one module registers."""

    def __init__(self, index: PyIndex, module: PyModule, bindings: ServerBindings,
                 classes: frozenset[str], server_key: str, found: _Found) -> None:
        self.index, self.module, self.bindings = index, module, bindings
        self.classes, self.server_key, self.found = classes, server_key, found
        self.values = Evaluator(index)
        self.parents: dict[int, ast.AST] = {}
        for node in ast.walk(module.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node

    def run(self) -> None:
        for node in ast.walk(self.module.tree):
            if isinstance(node, FunctionNode):
                self._decorators(node)
            elif isinstance(node, ast.Call):
                self._call(node)

    def _runtime(self, node: ast.AST, what: str) -> None:
        self.found.runtime.append(f"{self.module.path}:{getattr(node, 'lineno', 0)}: {what}")

    def _decorators(self, function: FunctionNode) -> None:
        for decorator in function.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if not isinstance(target, ast.Attribute):
                continue
            if target.attr == "tool" and self.bindings.is_server(target.value):
                call = decorator if isinstance(decorator, ast.Call) else None
                self._register(function, self.module, call, decorator.lineno)
            elif target.attr == "list_tools" and isinstance(decorator, ast.Call):
                self._list_tools_handler(function, self.module)

    def _call(self, call: ast.Call) -> None:
        func = call.func
        name = base_name(func)
        if name in RUNTIME_FACTORIES and (
            base_name(func.value) in self.classes if isinstance(func, ast.Attribute) else True
        ):
            self._runtime(call, f"{ast.unparse(func)}(...) builds tools from data")
            return
        handler = keyword(call, "on_list_tools")
        if handler is not None:
            self._handler_reference(handler)
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute):
            # mcp.tool(name=...)(fn): the decorator applied by hand.
            if func.func.attr == "tool" and self.bindings.is_server(func.func.value) and call.args:
                self._add_function(call.args[0], func, call)
            return
        if not isinstance(func, ast.Attribute) or not self.bindings.is_server(func.value):
            return
        if func.attr == "add_tool":
            target = call.args[0] if call.args else keyword(call, "fn", "tool")
            if target is not None:
                self._add_function(target, call, call)
        elif func.attr == "tool" and call.args and not isinstance(call.args[0], ast.Constant):
            self._add_function(call.args[0], call, call)

    def _add_function(self, target: ast.expr, options: ast.Call, site: ast.Call) -> None:
        """Register `fn` passed by value: a known function, or each function of a literal loop."""
        if isinstance(target, ast.Call) and base_name(target.func) == "from_function" and target.args:
            options, target = target, target.args[0]
        for function_node in self._functions_of(target, site):
            if function_node is None:
                self._runtime(site, f"a tool function known only at run time ({ast.unparse(target)})")
            else:
                self._register(function_node[1], function_node[0], options, site.lineno)

    def _functions_of(self, target: ast.expr, site: ast.AST) -> Iterator[tuple[PyModule, FunctionNode] | None]:
        loop = self._enclosing_loop(site)
        if (isinstance(target, ast.Name) and isinstance(loop, ast.For | ast.AsyncFor)
                and isinstance(loop.target, ast.Name) and loop.target.id == target.id):
            items = self._literal_items(loop.iter)
            if items is None:
                yield None
                return
            for item in items:
                yield from self._functions_of(item, loop)
            return
        name = base_name(target) if isinstance(target, ast.Name | ast.Attribute) else None
        yield self.index.function(self.module, name) if name else None

    def _literal_items(self, node: ast.expr) -> list[ast.expr] | None:
        if isinstance(node, ast.Name):
            found = self.index.constant(self.module, node.id)
            node = found[1] if found is not None else node
        if isinstance(node, ast.List | ast.Tuple):
            return list(node.elts)
        return None

    def _enclosing_loop(self, node: ast.AST) -> ast.AST | None:
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, FunctionNode | ast.Module):
            if isinstance(current, _LOOPS):
                return current
            current = self.parents.get(id(current))
        return None

    def _register(self, function: FunctionNode, home: PyModule, options: ast.Call | None,
                  line: int) -> None:
        name: str | None = function.name
        description = inspect.cleandoc(ast.get_docstring(function, clean=False) or "")
        title: str | None = None
        hints, hint_title = ToolHints(), None
        if options is not None:
            name_node = keyword(options, "name")
            if name_node is None and options.args and isinstance(options.args[0], ast.Constant):
                name_node = options.args[0]
            if name_node is not None:
                value = self.values.value(name_node, self.module)
                name = value if isinstance(value, str) else None
            description = self._text(options, "description") or description
            title = self._text(options, "title")
            annotations = keyword(options, "annotations")
            if annotations is not None:
                hints, hint_title = annotation_hints(self.index, annotations, self.module)
        if name is None:
            self._runtime(options or function, "a tool name computed at run time")
            return
        if self._enclosing_loop(function) is not None and options is not None and name == function.name:
            self._runtime(function, "tools registered in a loop")
        schema = SchemaBuilder(self.index).signature(function, home)
        self._emit(name, title or hint_title, description, schema, hints, line)

    def _text(self, call: ast.Call, name: str) -> str | None:
        node = keyword(call, name)
        return self.values.text(node, self.module) if node is not None else None

    def _emit(self, name: str, title: str | None, description: str, schema: dict[str, Any],
              hints: ToolHints, line: int, output: dict[str, Any] | None = None) -> None:
        self.found.tools.append(ToolRecord(
            server_key=self.server_key, name=name, title=title, description=description,
            input_schema=schema, output_schema=output, hints=hints,
            location=Location(kind=LocationKind.STATIC, file=self.module.path, line=line),
        ))

    def _handler_reference(self, handler: ast.expr) -> None:
        name = base_name(handler)
        found = self.index.function(self.module, name) if name else None
        if found is None:
            self._runtime(handler, "a list_tools handler defined elsewhere")
        else:
            _ModuleScan(self.index, found[0], self.bindings, self.classes, self.server_key,
                        self.found)._list_tools_handler(found[1], found[0])

    def _list_tools_handler(self, handler: FunctionNode, home: PyModule) -> None:
        calls = list(_tool_calls(self.index, home, handler, set(), 0))
        if not calls:
            self._runtime(handler, f"list_tools handler {handler.name}() returns tools built at run time")
        for module, call in calls:
            scan = self if module is self.module else _ModuleScan(
                self.index, module, self.bindings, self.classes, self.server_key, self.found)
            scan._lowlevel_tool(call)

    def _lowlevel_tool(self, call: ast.Call) -> None:
        name_node = keyword(call, "name") or (call.args[0] if call.args else None)
        name = self.values.value(name_node, self.module) if name_node is not None else UNKNOWN
        if not isinstance(name, str):
            self._runtime(call, "a Tool(...) whose name is computed at run time")
            return
        hints, hint_title = ToolHints(), None
        annotations = keyword(call, "annotations")
        if annotations is not None:
            hints, hint_title = annotation_hints(self.index, annotations, self.module)
        schema = self._schema(keyword(call, "inputSchema", "input_schema"), 0)
        output_node = keyword(call, "outputSchema", "output_schema")
        output = self._schema(output_node, 0) if output_node is not None else None
        self._emit(name, self._text(call, "title") or hint_title, self._text(call, "description") or "",
                   schema or {"type": "object"}, hints, call.lineno, output)

    def _schema(self, node: ast.expr | None, depth: int) -> dict[str, Any] | None:
        """A literal schema, a constant holding one, or a repo model's `model_json_schema()`."""
        if node is None or depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            found = self.index.constant(self.module, node.id)
            if found is not None and found[0] is self.module:
                return self._schema(found[1], depth + 1)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("model_json_schema", "schema")):
            model = self.index.cls(self.module, base_name(node.func.value) or "")
            if model is not None and self.index.is_model(*model):
                return SchemaBuilder(self.index).model_json_schema(*model)
        value = self.values.value(node, self.module)
        return value if isinstance(value, dict) else None


def _tool_calls(index: PyIndex, module: PyModule, node: ast.AST, seen: set[int],
                depth: int) -> Iterator[tuple[PyModule, ast.Call]]:
    """`Tool(...)` calls a handler reaches: in its body, in constants it names, in helpers it calls."""
    if depth > 3 or id(node) in seen:
        return
    seen.add(id(node))
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and base_name(child.func) == "Tool":
            yield module, child
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            found = index.constant(module, child.id)
            if found is not None:
                yield from _tool_calls(index, found[0], found[1], seen, depth + 1)
        elif isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
            function = index.function(module, child.func.id)
            if function is not None:
                yield from _tool_calls(index, function[0], function[1], seen, depth + 1)


def extract(files: Sequence[SourceFile], server_key: str) -> LanguageExtraction:
    """The tools the Python files define, where tools are built at run time, and skipped files."""
    index, notes = load_index(files)
    classes = server_classes(index)
    repo_names = repo_server_names(index, classes)
    found = _Found()
    for module in index.modules:
        bindings = ServerBindings(module, classes, repo_names)
        _ModuleScan(index, module, bindings, classes, server_key, found).run()
    skipped_tool_code = any(
        "tool" in source.text.lower() for source in files
        if any(note.startswith(f"skipped {source.path}:") for note in notes)
    )
    return LanguageExtraction(tuple(found.tools), tuple(dict.fromkeys(found.runtime)),
                              tuple(notes), complete=not skipped_tool_code)


def extract_tools(files: Sequence[SourceFile], server_key: str) -> list[ToolRecord]:
    """The tools the Python files define statically."""
    return list(extract(files, server_key).tools)
