"""Record builders and a row counter shared by the store tests (plain functions, not fixtures)."""

from __future__ import annotations

import sqlalchemy as sa

from catalog.records import (
    Access,
    Category,
    Classification,
    CrawlResult,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    Risk,
    ServerRecord,
    ToolRecord,
)

FILES = "github:acme/files"
MAIL = "npm:@acme/mail"


def server_record(key: str = FILES, *origins: Origin) -> ServerRecord:
    if not origins:
        origins = (Origin(kind=OriginKind.GITHUB, value=key.split(":", 1)[1]),)
    return ServerRecord(key=key, name=key.rsplit("/", 1)[-1], origins=origins)


def tool_record(name: str, description: str = "", server_key: str = FILES) -> ToolRecord:
    return ToolRecord(
        server_key=server_key,
        name=name,
        description=description or f"The {name} tool.",
        input_schema={"type": "object", "properties": {"path": {"type": "string"}}},
        location=Location(kind=LocationKind.STATIC, file="src/index.ts", line=10),
    )


def crawl_result(
    *tools: ToolRecord, server: ServerRecord | None = None, complete: bool = True
) -> CrawlResult:
    return CrawlResult(server=server or server_record(), tools=tools, complete=complete)


def verdict(access: Access, risk: Risk, version: str = "rules-1") -> Classification:
    return Classification(
        access=access,
        risk=risk,
        category=Category(access.value.capitalize()),
        confidence=0.8,
        reasons=(f"looks {access.value}",),
        classifier_version=version,
    )


def count_rows(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
    finally:
        engine.dispose()


def verdict_rows(url: str) -> list[tuple[str, str, str, str, str]]:
    """Every classifications row as (server key, tool name, classifier version, access, risk), by id."""
    engine = sa.create_engine(url)
    query = sa.text(
        "SELECT servers.key, tools.name, classifications.classifier_version,"
        " classifications.access, classifications.risk"
        " FROM classifications"
        " JOIN tool_versions ON tool_versions.id = classifications.tool_version_id"
        " JOIN tools ON tools.id = tool_versions.tool_id"
        " JOIN servers ON servers.id = tools.server_id"
        " ORDER BY classifications.id"
    )
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(query)]
    finally:
        engine.dispose()
