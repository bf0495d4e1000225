"""Low-level `setRequestHandler(ListToolsRequestSchema, ...)` handlers and the tool lists they return."""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from crawler.extract.ts_commonjs import property_key
from crawler.extract.ts_definition import (
    Entries,
    FoundTool,
    definition_object,
    from_definition,
    returned_expressions,
)
from crawler.extract.ts_parse import FUNCTION_TYPES, line_of, named_args, node_text, unwrap
from crawler.extract.ts_scope import Bound, FileScope
from crawler.extract.ts_values import array_elements, object_entries, resolve, string_value

_JSON_SCHEMA_HELPERS = ("zodToJsonSchema", "toJsonSchema", "z.toJSONSchema", "toJSONSchema")


@dataclass
class Listing:
    """What a ListTools handler returns: the tools read, and the `tools:` values that were not."""

    tools: list[FoundTool] = field(default_factory=list)
    unread: list[Bound] = field(default_factory=list)


def read_listing(args: list[Node], scope: FileScope) -> Listing | None:
    """The tools of a ListTools handler, or None when the call registers some other handler."""
    if len(args) != 2 or not node_text(unwrap(args[0])).endswith("ListToolsRequestSchema"):
        return None
    handler = resolve(args[1], scope)
    if not isinstance(handler, Bound) or handler.node.type not in FUNCTION_TYPES:
        return None
    listing = Listing()
    for returned in returned_expressions(handler.node):
        result = definition_object(returned, handler.scope)
        listed = None if result is None else object_entries(result.node, result.scope).get("tools")
        if listed is None:
            continue
        tools = _tools_in_list(*listed)
        if tools is None:
            listing.unread.append(Bound(*listed))
        else:
            listing.tools.extend(tools)
    return listing


def _tools_in_list(node: Node, scope: FileScope) -> list[FoundTool] | None:
    """The tools of a list expression; None when the list is built in a way we cannot follow."""
    found = resolve(node, scope)
    if not isinstance(found, Bound):
        return None
    if found.node.type == "array":
        return _tools_of(_element_definitions(array_elements(found.node, found.scope)))
    if found.node.type != "call_expression":
        return None
    elements = _listed_elements(found)
    if elements is not None:
        return _tools_of(_element_definitions(elements))
    mapped = _mapped_definitions(found)
    return None if mapped is None else _tools_of(mapped)


def _tools_of(definitions: list[tuple[Bound, Entries]]) -> list[FoundTool]:
    tools = []
    for definition, entries in definitions:
        name_entry = entries.get("name")
        name = string_value(*name_entry) if name_entry is not None else None
        if name:
            tools.append(from_definition(name, definition.scope.path, line_of(definition.node),
                                         entries, low_level=True))
    return tools


def _element_definitions(elements: list[tuple[Node, FileScope]]) -> list[tuple[Bound, Entries]]:
    definitions = []
    for element, owner in elements:
        definition = definition_object(element, owner)
        if definition is not None:
            definitions.append((definition, object_entries(definition.node, definition.scope)))
    return definitions


def _listed_elements(call: Bound) -> list[tuple[Node, FileScope]] | None:
    """`Object.values(TOOLS)` lists the values of a known object."""
    callee = call.node.child_by_field_name("function")
    args = named_args(call.node)
    if callee is None or node_text(callee) != "Object.values" or len(args) != 1:
        return None
    holder = definition_object(args[0], call.scope)
    return None if holder is None else list(object_entries(holder.node, holder.scope).values())


def _mapped_definitions(call: Bound) -> list[tuple[Bound, Entries]] | None:
    """`TOOLS.map(t => t)` or `TOOLS.map(t => ({ ...t, annotations: {...} }))` over a known list."""
    callee = unwrap(call.node.child_by_field_name("function") or call.node)
    args = named_args(call.node)
    holder = callee.child_by_field_name("object") if callee.type == "member_expression" else None
    prop = callee.child_by_field_name("property") if holder is not None else None
    if holder is None or prop is None or node_text(prop) != "map" or len(args) != 1:
        return None
    callback = resolve(args[0], call.scope)
    source = _tools_source(holder, call.scope)
    if not isinstance(callback, Bound) or callback.node.type not in FUNCTION_TYPES or source is None:
        return None
    parameter = _first_parameter(callback.node)
    returned = returned_expressions(callback.node)
    if parameter is None or len(returned) != 1:
        return None
    definitions = []
    for definition, entries in _element_definitions(source):
        mapped = _mapped_entries(returned[0], callback.scope, parameter, entries)
        if mapped is None:
            return None
        definitions.append((definition, mapped))
    return definitions


def _tools_source(holder: Node, scope: FileScope) -> list[tuple[Node, FileScope]] | None:
    found = resolve(holder, scope)
    if isinstance(found, Bound) and found.node.type == "array":
        return array_elements(found.node, found.scope)
    if isinstance(found, Bound) and found.node.type == "call_expression":
        return _listed_elements(found)
    return None


def _first_parameter(function: Node) -> str | None:
    single = function.child_by_field_name("parameter")
    if single is not None:
        return node_text(single) if single.type == "identifier" else None
    params = function.child_by_field_name("parameters")
    first = next((child for child in params.named_children if child.type != "comment"), None) \
        if params is not None else None
    if first is not None and first.type == "required_parameter":
        first = first.child_by_field_name("pattern")
    return node_text(first) if first is not None and first.type == "identifier" else None


def _mapped_entries(returned: Node, scope: FileScope, parameter: str,
                    element: Entries) -> Entries | None:
    """The entries the callback's result has for one element: its own keys over the spread element."""
    returned = unwrap(returned)
    if returned.type == "identifier" and node_text(returned) == parameter:
        return dict(element)
    if returned.type != "object":
        return None
    own = object_entries(returned, scope)
    merged: Entries = {}
    for child in returned.named_children:
        if child.type == "spread_element" and child.named_children:
            if node_text(unwrap(child.named_children[0])) == parameter:
                merged.update(element)
            continue
        key = property_key(child.child_by_field_name("key")) if child.type == "pair" \
            else property_key(child)
        if key is not None and key in own:
            merged[key] = _substituted(*own[key], parameter, element)
    for key, entry in own.items():
        merged.setdefault(key, _substituted(*entry, parameter, element))
    return merged


def _substituted(value: Node, scope: FileScope, parameter: str,
                 element: Entries) -> tuple[Node, FileScope]:
    """`t.key` (or `zodToJsonSchema(t.key)`) inside the callback is the element's own entry."""
    node = unwrap(value)
    if node.type == "call_expression":
        callee = node.child_by_field_name("function")
        args = named_args(node)
        if callee is not None and node_text(callee).endswith(_JSON_SCHEMA_HELPERS) and args:
            node = unwrap(args[0])
    if node.type == "member_expression":
        holder = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        if holder is not None and prop is not None and node_text(unwrap(holder)) == parameter:
            return element.get(node_text(prop), (value, scope))
    return value, scope
