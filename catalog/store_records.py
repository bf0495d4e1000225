"""The one place where records become row values and rows become records again."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from catalog.records import (
    Classification,
    CrawlFailure,
    Location,
    Origin,
    ServerRecord,
    StoredServer,
    StoredTool,
    ToolHints,
    ToolRecord,
    ToolSighting,
    ToolVersion,
)

CLASSIFICATION_PREFIX = "c_"

# SQLAlchemy row mappings are keyed by name or by Column; the store reads them by name.
RowLike = Mapping[Any, Any]
_Model = TypeVar("_Model", bound=BaseModel)
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text every database accepts: NUL removed (PostgreSQL refuses it), lone surrogates replaced."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def clean_json(value: Any) -> Any:
    """A JSON-like value with every string in it (keys too) cleaned like clean_text."""
    match value:
        case str():
            return clean_text(value)
        case dict():
            return {clean_json(key): clean_json(item) for key, item in value.items()}
        case list() | tuple():
            return type(value)(clean_json(item) for item in value)
        case _:
            return value


def clean_record(record: _Model) -> _Model:
    """The record with every string (JSON included) cleaned, re-validated so hashes match content."""
    dumped = record.model_dump()
    if needs_cleaning(dumped):
        dumped = clean_json(dumped)
    return type(record).model_validate(dumped)


def needs_cleaning(value: Any) -> bool:
    """False when no string in the JSON-like value (keys too) has a NUL or a lone surrogate.

    One JSON encoding and one regex scan cost far less than walking a large value in Python;
    when in doubt (an escaped backslash-u0000 in the text, a value JSON cannot encode) it says
    True, and clean_json does the exact work.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return True
    # JSON escapes NUL as \u0000 but keeps lone surrogates as they are with ensure_ascii off.
    return "\\u0000" in text or _SURROGATE.search(text) is not None


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime; SQLite hands back naive values, which the store wrote as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def prefixed(table: sa.Table, prefix: str) -> list[sa.Label[Any]]:
    """Every column of the table labelled with a prefix, for joins with clashing column names."""
    return [column.label(f"{prefix}{column.name}") for column in table.c]


def server_values(server: ServerRecord) -> dict[str, Any]:
    """Columns of `servers` that a crawl of the server sets."""
    return {
        "name": server.name,
        "title": server.title,
        "description": server.description,
        "version": server.version,
        "instructions": server.instructions,
        "notes": list(server.notes),
    }


def origin_values(origin: Origin) -> dict[str, Any]:
    """Columns of `server_origins` that identify and describe one origin."""
    return {
        "kind": origin.kind.value,
        "value": origin.value,
        "version": origin.version,
        "url": origin.url,
    }


def tool_values(tool: ToolRecord, definition_hash: str | None = None) -> dict[str, Any]:
    """The current-definition columns of `tools`; pass the definition hash when already computed."""
    return {
        "title": tool.title,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "output_schema": tool.output_schema,
        "hints": tool.hints.declared(),
        "meta": tool.meta,
        "definition_hash": definition_hash or tool.definition_hash,
        "location_kind": tool.location.kind.value,
        "location_file": tool.location.file,
        "location_line": tool.location.line,
        "location_detail": tool.location.detail,
    }


def classification_values(classification: Classification) -> dict[str, Any]:
    """Columns of `classifications` that hold the verdict."""
    return {
        "classifier_version": classification.classifier_version,
        "access": classification.access.value,
        "risk": classification.risk.value,
        "category": classification.category.value,
        "capabilities": [capability.value for capability in classification.capabilities],
        "confidence": classification.confidence,
        "reasons": list(classification.reasons),
        "flags": [flag.model_dump() for flag in classification.flags],
    }


def failure_values(failure: CrawlFailure) -> dict[str, Any]:
    """Columns of `crawl_failures` for one failure."""
    return {
        "target": failure.target,
        "server_key": failure.server_key,
        "stage": failure.stage,
        "reason": failure.reason,
    }


def tool_record(row: RowLike, server_key: str) -> ToolRecord:
    """A ToolRecord from a `tools` row."""
    return ToolRecord(
        server_key=server_key,
        name=row["name"],
        title=row["title"],
        description=row["description"],
        input_schema=row["input_schema"],
        output_schema=row["output_schema"],
        hints=ToolHints.model_validate(row["hints"]),
        meta=row["meta"],
        location=Location(
            kind=row["location_kind"],
            file=row["location_file"],
            line=row["location_line"],
            detail=row["location_detail"],
        ),
    )


def classification_record(row: RowLike, prefix: str = "") -> Classification | None:
    """A Classification from a `classifications` row (columns maybe prefixed); None when absent."""
    if row[f"{prefix}id"] is None:
        return None
    return Classification.model_validate(
        {
            name: row[f"{prefix}{name}"]
            for name in (
                "access",
                "risk",
                "category",
                "capabilities",
                "confidence",
                "reasons",
                "flags",
                "classifier_version",
            )
        }
    )


def stored_tool(row: RowLike, sightings: tuple[ToolSighting, ...] = ()) -> StoredTool:
    """A StoredTool from a `tools` row joined with its server key/name and prefixed classification."""
    return StoredTool(
        tool=tool_record(row, row["server_key"]),
        classification=classification_record(row, CLASSIFICATION_PREFIX),
        server_name=row["server_name"],
        first_seen=utc(row["first_seen"]),
        last_seen=utc(row["last_seen"]),
        removed=row["removed_at"] is not None,
        sightings=sightings,
    )


def origin_record(row: RowLike) -> Origin:
    """An Origin from a `server_origins` row."""
    return Origin(kind=row["kind"], value=row["value"], version=row["version"], url=row["url"])


def stored_server(row: RowLike, origins: tuple[Origin, ...], tool_count: int) -> StoredServer:
    """A StoredServer from a `servers` row, its origins and its count of tools still present."""
    return StoredServer(
        key=row["key"],
        name=row["name"],
        title=row["title"],
        description=row["description"],
        version=row["version"],
        origins=origins,
        status=row["status"],
        tool_count=tool_count,
        first_seen=utc(row["first_seen"]),
        last_seen=utc(row["last_seen"]),
        notes=tuple(row["notes"]),
        upstream_status=row["upstream_status"],
        instructions=row["instructions"],
    )


def tool_version(row: RowLike) -> ToolVersion:
    """A ToolVersion from a `tool_versions` row."""
    return ToolVersion(
        definition_hash=row["definition_hash"],
        definition=row["definition"],
        first_seen=utc(row["first_seen"]),
        last_seen=utc(row["last_seen"]),
    )


def failure_record(row: RowLike) -> CrawlFailure:
    """A CrawlFailure from a `crawl_failures` row."""
    return CrawlFailure(
        target=row["target"],
        server_key=row["server_key"],
        stage=row["stage"],
        reason=row["reason"],
    )
