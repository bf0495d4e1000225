"""Static extraction of MCP tools from Go source with tree-sitter-go.

Two SDK shapes are read. mark3labs/mcp-go: every `mcp.NewTool("name", options...)` (wherever it
is built: inline in `s.AddTool`, in a helper that returns it) and `mcp.NewToolWithRawSchema`;
hints start from NewTool's own defaults (readOnly false, destructive true, idempotent false,
openWorld true), which a live listing shows too. The official go-sdk: every `&mcp.Tool{Name: ...}`
literal; its input schema is the literal's `InputSchema`, else the argument struct of the
handler it is registered with by `mcp.AddTool(server, tool, handler)`; with `Annotations` set,
`readOnlyHint` and `idempotentHint` are always present (they are plain bools there).
A tool is located at its `NewTool(` call or its `Tool{` literal. Names that are not constants
are reported in `runtime_sites`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.go_literals import GoLiterals, json_object, literal_type
from crawler.extract.go_parse import (
    GoFile,
    GoIndex,
    GoValues,
    arguments,
    callee_name,
    keyed_fields,
    line_of,
    load_index,
    text_of,
    type_argument,
)
from crawler.extract.go_schema import PROPERTY_TYPES, GoSchemas
from crawler.extract.py_values import UNKNOWN
from crawler.extract.tree import LanguageExtraction, SourceFile

_NEWTOOL_DEFAULT_HINTS = {"readOnlyHint": False, "destructiveHint": True,
                          "idempotentHint": False, "openWorldHint": True}
_HINT_OPTIONS = {"WithReadOnlyHintAnnotation": "readOnlyHint",
                 "WithDestructiveHintAnnotation": "destructiveHint",
                 "WithIdempotentHintAnnotation": "idempotentHint",
                 "WithOpenWorldHintAnnotation": "openWorldHint"}
_HINT_FIELDS = {"ReadOnlyHint": "readOnlyHint", "DestructiveHint": "destructiveHint",
                "IdempotentHint": "idempotentHint", "OpenWorldHint": "openWorldHint"}


@dataclass
class _Found:
    tools: list[ToolRecord] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)


class _GoScan:
    def __init__(self, index: GoIndex, server_key: str, found: _Found | None = None,
                 call_site: tuple[GoFile, Node, dict[str, tuple[Node, GoFile]]] | None = None) -> None:
        self.index, self.server_key = index, server_key
        # The call of a helper whose body this scan reads, with the arguments it passes.
        self.call_site = call_site
        self.values = GoValues(index, call_site[2] if call_site else None)
        self.schemas = GoSchemas(index)
        self.literals = GoLiterals(index, self.values)
        self.found = found or _Found()

    def _expanded(self, site: Node, name_node: Node | None, near: GoFile, tool_literal: bool) -> bool:
        """A tool named by a helper's parameter: read it once per call of the helper."""
        if self.call_site is not None or name_node is None or name_node.type != "identifier":
            return False
        function = _enclosing_function(site)
        if function is None or function.child_by_field_name("name") is None:
            return False
        parameters = _parameter_names(function)
        if text_of(name_node) not in parameters:
            return False
        calls = self.index.call_sites(text_of(function.child_by_field_name("name") or function))
        for call_file, call in calls:
            bindings = {p: (arg, call_file) for p, arg in zip(parameters, arguments(call), strict=False)}
            scan = _GoScan(self.index, self.server_key, self.found, (call_file, call, bindings))
            if tool_literal:
                scan.tool_literal(site, near)
            else:
                scan.new_tool(site, near)
        return bool(calls)

    def _runtime(self, node: Node, near: GoFile, what: str) -> None:
        self.found.runtime.append(f"{near.path}:{line_of(node)}: {what}")

    def _emit(self, name: str, near: GoFile, node: Node, *, title: str | None, description: str,
              schema: dict[str, Any], hints: dict[str, bool]) -> None:
        self.found.tools.append(ToolRecord(
            server_key=self.server_key, name=name, title=title, description=description,
            input_schema=schema, hints=ToolHints.model_validate(hints),
            location=self._location(near, node),
        ))

    def _location(self, near: GoFile, node: Node) -> Location:
        if self.call_site is not None:
            near, node = self.call_site[0], self.call_site[1]
        return Location(kind=LocationKind.STATIC, file=near.path, line=line_of(node))

    def _name(self, node: Node | None, near: GoFile, site: Node) -> str | None:
        name = self.values.value(node, near)
        if isinstance(name, str) and name:
            return name
        shown = text_of(node)[:60] if node is not None else "?"
        self._runtime(site, near, f"a tool name computed at run time ({shown})")
        return None

    def new_tool(self, call: Node, near: GoFile) -> None:
        """`mcp.NewTool("name", options...)` and `mcp.NewToolWithRawSchema(name, desc, schema)`."""
        args = arguments(call)
        if "NewTool" in self.index.functions and not isinstance(
            self.values.value(args[0] if args else None, near), str
        ):
            # The repo's own NewTool wrapper (taking a go-sdk Tool literal, read on its own).
            return
        if self._expanded(call, args[0] if args else None, near, tool_literal=False):
            return
        name = self._name(args[0] if args else None, near, call)
        if name is None:
            return
        if callee_name(call) == "NewToolWithRawSchema":
            description = self.values.text(args[1], near) if len(args) > 1 else None
            schema = json_object(self.values.value(args[2], near)) if len(args) > 2 else None
            self._emit(name, near, call, title=None, description=description or "",
                       schema=schema or {"type": "object"}, hints={})
            return
        tool = _NewTool(hints=dict(_NEWTOOL_DEFAULT_HINTS))
        for option in args[1:]:
            if option.type == "call_expression":
                self._tool_option(tool, option, near)
        schema = tool.schema or {"type": "object", "properties": tool.properties}
        if tool.schema is None and tool.required:
            schema["required"] = tool.required
        if tool.additional is not None and tool.schema is None:
            schema["additionalProperties"] = tool.additional
        self._emit(name, near, call, title=tool.title or tool.annotation_title,
                   description=tool.description, schema=schema, hints=tool.hints)

    def _tool_option(self, tool: _NewTool, option: Node, near: GoFile) -> None:
        name = callee_name(option) or ""
        args = arguments(option)
        first = args[0] if args else None
        if name == "WithDescription":
            tool.description = self.values.text(first, near) or ""
        elif name == "WithToolTitle":
            tool.title = self.values.text(first, near)
        elif name == "WithTitleAnnotation":
            tool.annotation_title = self.values.text(first, near)
        elif name in _HINT_OPTIONS:
            value = self.values.value(first, near)
            if isinstance(value, bool):
                tool.hints[_HINT_OPTIONS[name]] = value
        elif name == "WithToolAnnotation":
            tool.hints, tool.annotation_title = self._annotations(first, near, plain_bools=False)
        elif name in PROPERTY_TYPES:
            self._property(tool, name, args, near)
        elif name == "WithInputSchema":
            tool.schema = self.schemas.of_type(type_argument(option), near) or None
        elif name == "WithRawInputSchema":
            tool.schema = json_object(self.values.value(first, near))
        elif name == "WithSchemaAdditionalProperties":
            value = self.values.value(first, near)
            tool.additional = value if value is not UNKNOWN else None

    def _property(self, tool: _NewTool, option: str, args: list[Node], near: GoFile) -> None:
        prop_name = self.values.value(args[0], near) if args else UNKNOWN
        if not isinstance(prop_name, str):
            return
        kind = PROPERTY_TYPES[option]
        schema: dict[str, Any] = {"type": kind} if kind else {}
        if kind == "object":
            schema["properties"] = {}
        schema = self.schemas.property_options(schema, args[1:], near)
        if schema.pop("required", None) is True and prop_name not in tool.required:
            tool.required.append(prop_name)
        tool.properties[prop_name] = schema

    def _annotations(self, node: Node | None, near: GoFile, *, plain_bools: bool) -> tuple[dict[str, bool], str | None]:
        """Hints from a ToolAnnotation(s) literal; `plain_bools` makes unset bool fields false."""
        literal = self.literals.literal(node, near)
        if literal is None:
            return {}, None
        fields = keyed_fields(literal.child_by_field_name("body"))
        if plain_bools is False and literal_type(literal) == "ToolAnnotations":
            plain_bools = True
        hints: dict[str, bool] = {}
        if plain_bools:
            hints = {"readOnlyHint": False, "idempotentHint": False}
        for field_name, key in _HINT_FIELDS.items():
            value = self.values.value(fields.get(field_name), near)
            if isinstance(value, bool):
                hints[key] = value
        title = self.values.text(fields["Title"], near) if "Title" in fields else None
        return hints, title

    def tool_literal(self, literal: Node, near: GoFile) -> None:
        """A go-sdk `&mcp.Tool{Name: ..., ...}` literal."""
        fields = keyed_fields(literal.child_by_field_name("body"))
        if "Name" not in fields or self._expanded(literal, fields["Name"], near, tool_literal=True):
            return
        name = self._name(fields["Name"], near, literal)
        if name is None:
            return
        hints: dict[str, bool] = {}
        annotation_title: str | None = None
        if "Annotations" in fields:
            hints, annotation_title = self._annotations(fields["Annotations"], near, plain_bools=False)
        schema: dict[str, Any] | None = None
        if "InputSchema" in fields:
            schema = self.literals.schema_value(fields["InputSchema"], near)
        if schema is None:
            schema = self._handler_schema(literal, near)
        title = self.values.text(fields["Title"], near) if "Title" in fields else None
        description = self.values.text(fields["Description"], near) if "Description" in fields else None
        self._emit(name, near, literal, title=title or annotation_title, description=description or "",
                   schema=schema or {"type": "object"}, hints=hints)

    def _handler_schema(self, literal: Node, near: GoFile) -> dict[str, Any] | None:
        """The argument struct's schema of the handler `mcp.AddTool` registers this tool with."""
        registration = _registration(literal)
        if registration is None:
            return None
        call, position = registration
        args = arguments(call)
        if position + 1 >= len(args):
            return None
        parameters = self._handler_parameters(args[position + 1], near)
        if parameters is None or len(parameters[1]) < 3:
            return None
        schema = self.schemas.of_type(parameters[1][2], parameters[0])
        return schema if schema.get("type") == "object" else None

    def _handler_parameters(self, handler: Node, near: GoFile) -> tuple[GoFile, list[Node]] | None:
        if handler.type == "func_literal":
            return near, _parameter_types(handler)
        if handler.type in ("identifier", "selector_expression"):
            name_node = handler.child_by_field_name("field") if handler.type == "selector_expression" else handler
            found = self.index.function(text_of(name_node), near) if name_node is not None else None
            if found is not None:
                return found[0], _parameter_types(found[1])
        return None

@dataclass
class _NewTool:
    hints: dict[str, bool]
    description: str = ""
    title: str | None = None
    annotation_title: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    schema: dict[str, Any] | None = None
    additional: Any = None


def _registration(literal: Node) -> tuple[Node, int] | None:
    """The `AddTool(...)` call a tool literal is passed to (directly), and its argument position."""
    node = literal
    while node.parent is not None and node.parent.type in ("unary_expression", "parenthesized_expression"):
        node = node.parent
    holder = node.parent
    if holder is None or holder.type != "argument_list" or holder.parent is None:
        return None
    call = holder.parent
    if call.type != "call_expression" or callee_name(call) != "AddTool":
        return None
    args = arguments(call)
    position = next((i for i, arg in enumerate(args) if arg.id == node.id), None)
    return (call, position) if position is not None else None


def _enclosing_function(node: Node) -> Node | None:
    current = node.parent
    while current is not None:
        if current.type in ("function_declaration", "method_declaration"):
            return current
        if current.type == "func_literal":
            return None
        current = current.parent
    return None


def _parameter_names(function: Node) -> list[str]:
    parameters = function.child_by_field_name("parameters")
    names: list[str] = []
    for declaration in parameters.named_children if parameters is not None else []:
        declared = declaration.children_by_field_name("name")
        names.extend(text_of(n) for n in declared) if declared else names.append("_")
    return names


def _parameter_types(function: Node) -> list[Node]:
    """One type node per parameter (`a, b T` gives T twice)."""
    parameters = function.child_by_field_name("parameters")
    types: list[Node] = []
    for declaration in parameters.named_children if parameters is not None else []:
        type_node = declaration.child_by_field_name("type")
        if type_node is None:
            continue
        count = max(1, len(declaration.children_by_field_name("name")))
        types.extend([type_node] * count)
    return types


def extract(files: Sequence[SourceFile], server_key: str) -> LanguageExtraction:
    """The tools the Go files define, where tools are built at run time, and parse notes."""
    index, notes = load_index(files)
    scan = _GoScan(index, server_key)
    for go_file in index.files:
        for call in go_file.captures.get("call", []):
            scan.new_tool(call, go_file)
        for literal in go_file.captures.get("tool_literal", []):
            scan.tool_literal(literal, go_file)
    return LanguageExtraction(tuple(scan.found.tools), tuple(dict.fromkeys(scan.found.runtime)),
                              tuple(notes))


def extract_tools(files: Sequence[SourceFile], server_key: str) -> list[ToolRecord]:
    """The tools the Go files define statically."""
    return list(extract(files, server_key).tools)
