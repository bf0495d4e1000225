"""Static extraction of MCP tool definitions from TypeScript and JavaScript sources (tree-sitter)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.tree import LanguageExtraction, SourceFile
from crawler.extract.ts_definition import HINT_KEYS, FoundTool
from crawler.extract.ts_parse import grammar_for
from crawler.extract.ts_scope import FileScope, Project
from crawler.extract.ts_tools import runtime_site, tools_in_call


def extract_tools(files: Sequence[SourceFile], server_key: str) -> list[ToolRecord]:
    """One ToolRecord per registration found in the files, in path then line order.

    Each file is parsed once; names, descriptions and schemas resolve across the whole set, so a
    constant imported from a sibling module is read where it is defined.
    """
    return list(extract(files, server_key).tools)


def extract(files: Sequence[SourceFile], server_key: str) -> LanguageExtraction:
    """The tools found, plus the registrations whose names exist only at run time."""
    project = Project()
    scopes: list[FileScope] = []
    for source in files:
        grammar = grammar_for(source.path)
        if grammar is not None:
            scopes.append(project.add(source.path, source.text, grammar))
    records: list[ToolRecord] = []
    sites: list[str] = []
    for scope in scopes:
        for call in scope.calls:
            found = tools_in_call(call, scope)
            records.extend(_record(tool, server_key) for tool in found)
            site = None if found else runtime_site(call, scope)
            if site is not None:
                sites.append(site)
    return LanguageExtraction(tuple(records), runtime_sites=tuple(sites))


def _record(found: FoundTool, server_key: str) -> ToolRecord:
    return ToolRecord(
        server_key=server_key,
        name=found.name,
        title=found.title,
        description=found.description,
        input_schema=found.input_schema,
        output_schema=found.output_schema,
        hints=_hints(found.annotations),
        location=Location(kind=LocationKind.STATIC, file=found.path, line=found.line),
    )


def _hints(annotations: dict[str, Any]) -> ToolHints:
    declared = {key: annotations[key] for key in HINT_KEYS if isinstance(annotations.get(key), bool)}
    return ToolHints.model_validate(declared)
