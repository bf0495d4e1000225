"""FastMCP for TypeScript (the `fastmcp` npm package): `server.addTool({ name, parameters, execute })`."""

from __future__ import annotations

from typing import Any

from tree_sitter import Node

from crawler.extract.ts_definition import (
    FoundTool,
    definition_object,
    json_object,
    string_or_none,
)
from crawler.extract.ts_parse import line_of, node_text
from crawler.extract.ts_scope import Bound, FileScope
from crawler.extract.ts_values import array_elements, object_entries, resolve, string_value
from crawler.extract.zod_schema import convert

NO_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
"""What FastMCP advertises for a tool without `parameters`."""
UNKNOWN_PARAMETERS: dict[str, Any] = {"type": "object"}
"""A standard schema we cannot read (valibot, arktype, a schema built at run time)."""


def fastmcp_tools(method: str, args: list[Node], scope: FileScope) -> list[FoundTool]:
    """The tools of `addTool(definition)` or `addTools([definitions])`."""
    for definition in _definitions(method, args, scope):
        entries = object_entries(definition.node, definition.scope)
        if "execute" not in entries:
            return []  # FastMCP requires execute; without it this is some other addTool
    tools = []
    for definition in _definitions(method, args, scope):
        tool = _tool(definition)
        if tool is not None:
            tools.append(tool)
    return tools


def fastmcp_runtime_site(method: str, args: list[Node], scope: FileScope) -> str | None:
    """`addTool(...)` with an execute function but a name known only at run time."""
    if method != "addTool" or len(args) != 1:
        return None
    definition = definition_object(args[0], scope)
    if definition is None:
        return None
    entries = object_entries(definition.node, definition.scope)
    name = entries.get("name")
    if "execute" not in entries or name is None or string_value(*name) is not None:
        return None
    argument = " ".join(node_text(name[0]).split())[:60]
    return f"{definition.scope.path}:{line_of(definition.node)}: addTool({{ name: {argument}, ... }})"


def _definitions(method: str, args: list[Node], scope: FileScope) -> list[Bound]:
    if len(args) != 1:
        return []
    if method == "addTool":
        found = definition_object(args[0], scope)
        return [] if found is None else [found]
    listed = resolve(args[0], scope)
    if not isinstance(listed, Bound) or listed.node.type != "array":
        return []
    elements = [definition_object(element, owner)
                for element, owner in array_elements(listed.node, listed.scope)]
    return [element for element in elements if element is not None]


def _tool(definition: Bound) -> FoundTool | None:
    entries = object_entries(definition.node, definition.scope)
    name_entry = entries.get("name")
    name = string_value(*name_entry) if name_entry is not None else None
    if not name:
        return None
    tool = FoundTool(name, definition.scope.path, line_of(definition.node),
                     input_schema=dict(NO_PARAMETERS))
    description = entries.get("description")
    tool.description = (string_value(*description) if description is not None else None) or ""
    if "annotations" in entries:
        tool.annotations = json_object(*entries["annotations"])
    tool.title = string_or_none(tool.annotations.get("title"))
    if "parameters" in entries:
        tool.input_schema = _parameters(*entries["parameters"], strict=True)
    if "outputSchema" in entries:
        tool.output_schema = _parameters(*entries["outputSchema"], strict=False)
    return tool


def _parameters(node: Node, scope: FileScope, *, strict: bool) -> dict[str, Any]:
    converted = convert(node, scope)
    if converted is None:
        return dict(UNKNOWN_PARAMETERS)
    return _strict(converted.schema) if strict else converted.schema


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """FastMCP closes the input object and each nested object property (xsschema's strictJsonSchema)."""
    result = {**schema, "additionalProperties": False}
    properties = schema.get("properties")
    if isinstance(properties, dict):
        result["properties"] = {
            key: _strict(value) if isinstance(value, dict) and value.get("type") == "object" else value
            for key, value in properties.items()}
    return result
