"""Weak labels from declared MCP hints: the derivation rule and the row shape of data/labels/weak/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from catalog.errors import ConfigError

HINT_NAMES = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")

DOCKER_COMMIT = "818bf169"


def weak_access(hints: Mapping[str, Any]) -> tuple[str, str] | None:
    """The access class the declared hints claim, with the rule used; None when they claim nothing usable.

    readOnlyHint true -> read (destructiveHint is meaningless on a read-only tool, per the spec).
    destructiveHint true -> destructive (an explicit claim of harm, whatever readOnlyHint says).
    readOnlyHint false and destructiveHint false -> write.
    Everything else is skipped: the spec's DEFAULTS (readOnly false, destructive true) are not
    declarations, so `readOnlyHint: false` alone, `destructiveHint: false` alone, or only
    idempotent/openWorld hints say too little to label a tool.
    """
    read_only = hints.get("readOnlyHint")
    destructive = hints.get("destructiveHint")
    if read_only is True:
        return "read", "readOnlyHint=true"
    if destructive is True:
        return "destructive", "destructiveHint=true"
    if read_only is False and destructive is False:
        return "write", "readOnlyHint=false,destructiveHint=false"
    return None


def declared_hints(annotations: Mapping[str, Any] | None) -> dict[str, bool]:
    """The boolean hints of an annotations object, absent ones left out."""
    if not annotations:
        return {}
    return {
        name: annotations[name] for name in HINT_NAMES if isinstance(annotations.get(name), bool)
    }


def params_of(
    schema: Mapping[str, Any] | None, *, with_descriptions: bool
) -> dict[str, dict[str, str]]:
    """Parameter names with their JSON types (and descriptions when asked), from an input schema."""
    properties = (schema or {}).get("properties") or {}
    params: dict[str, dict[str, str]] = {}
    if not isinstance(properties, Mapping):
        return params
    for name, spec in properties.items():
        spec = spec if isinstance(spec, Mapping) else {}
        entry = {"type": _type_of(spec)}
        description = spec.get("description")
        if with_descriptions and isinstance(description, str) and description.strip():
            entry["description"] = description.strip()
        params[str(name)] = entry
    return params


def _type_of(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type")
    if isinstance(kind, str):
        return kind
    if isinstance(kind, list):
        named = [str(item) for item in kind if item != "null"]
        return named[0] if named else "null"
    for key in ("anyOf", "oneOf"):
        options = spec.get(key)
        if isinstance(options, list):
            named = [
                str(option["type"])
                for option in options
                if isinstance(option, Mapping) and option.get("type") not in (None, "null")
            ]
            if named:
                return named[0]
    if "enum" in spec:
        return "string"
    return "object" if "properties" in spec else "any"


def weak_row(
    row_id: str,
    *,
    server: str,
    name: str,
    title: str | None,
    description: str,
    params: dict[str, dict[str, str]],
    hints: dict[str, bool],
    provenance: dict[str, str],
) -> dict[str, Any] | None:
    """One weak-labelled row, or None when the hints claim nothing usable."""
    derived = weak_access(hints)
    if derived is None:
        return None
    access, rule = derived
    row: dict[str, Any] = {"id": row_id, "server": server, "name": name}
    if title:
        row["title"] = title
    row.update(
        description=description,
        params=params,
        hints=hints,
        access=access,
        weak_rule=rule,
        provenance=provenance,
    )
    return row


def docker_rows(folder: Path) -> tuple[list[dict[str, Any]], int]:
    """Weak rows from the recorded docker-mcp-catalog lists, and how many tools were skipped."""
    if not folder.is_dir():
        raise ConfigError(f"no docker-mcp-catalog folder at {folder}")
    rows: list[dict[str, Any]] = []
    skipped = 0
    for path in sorted(folder.glob("*.json")):
        tools = json.loads(path.read_text(encoding="utf-8"))
        for tool in tools:
            annotations = tool.get("annotations") or {}
            row = weak_row(
                f"docker-{path.stem}-{tool['name']}",
                server=path.stem,
                name=tool["name"],
                title=annotations.get("title"),
                description=tool.get("description") or "",
                params=params_of(tool.get("inputSchema"), with_descriptions=False),
                hints=declared_hints(annotations),
                provenance={
                    "source": "docker-mcp-catalog",
                    "server": path.stem,
                    "commit": DOCKER_COMMIT,
                },
            )
            if row is None:
                skipped += 1
            else:
                rows.append(row)
    return rows, skipped


def slug(text: str) -> str:
    """A file-name-safe form of a package name (`@scope/pkg` -> `scope-pkg`)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows one JSON object per line (keys in insertion order); returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)
