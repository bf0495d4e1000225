"""What the CLI prints: rich tables for people, plain dicts for --json; crawled text made inert first."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from catalog.records import CrawlFailure, Flag, StoredServer, StoredTool, ToolSighting, ToolVersion
from catalog.store_sightings import Disagreement, disagreements, summary
from classifier.poisoning import scan_server

if TYPE_CHECKING:  # the pipeline pulls in the crawler stack; only its report type is needed here
    from catalog.pipeline import CrawlReport

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
"""CSI and OSC sequences (colours, cursor moves, window titles) and lone escapes."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
"""Control characters, zero-width and bidi-override characters (tabs and newlines kept)."""
_RISK_STYLE = {"low": "green", "medium": "yellow", "high": "dark_orange", "critical": "bold red"}


def inert(text: str | None, limit: int = 2000) -> str:
    """Crawled text fit for a terminal: no escape sequences, control or invisible characters, bounded."""
    if not text:
        return ""
    cleaned = _CONTROL.sub("", _ESCAPES.sub("", text))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def one_line(text: str, limit: int = 500) -> str:
    """A message squeezed onto one line."""
    return " ".join(inert(text, limit * 2).split())[:limit]


@contextmanager
def progress(console: Console, label: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr whose text the callback updates; silent when stderr is not a terminal."""
    with console.status(label) as status:

        def update(message: str) -> None:
            status.update(f"{label}: {one_line(message, 120)}")

        yield update


def tool_json(item: StoredTool) -> dict[str, Any]:
    """The --json form of a tool in a list."""
    verdict = item.classification
    return {
        "server": item.tool.server_key,
        "name": item.tool.name,
        "title": item.tool.title,
        "description": item.tool.description,
        "access": verdict.access.value if verdict else None,
        "category": verdict.category.value if verdict else None,
        "risk": verdict.risk.value if verdict else None,
        "capabilities": [c.value for c in verdict.capabilities] if verdict else [],
        "confidence": verdict.confidence if verdict else None,
        "location": item.tool.location.describe(),
        "definition_hash": item.tool.definition_hash,
        "removed": item.removed,
    }


def tool_detail_json(item: StoredTool, history: Sequence[ToolVersion]) -> dict[str, Any]:
    """The --json form of `show NAME`: the whole definition, verdict and history."""
    verdict = item.classification
    return {
        **tool_json(item),
        "input_schema": item.tool.input_schema,
        "output_schema": item.tool.output_schema,
        "hints": item.tool.hints.declared(),
        "reasons": list(verdict.reasons) if verdict else [],
        "flags": [flag.model_dump() for flag in verdict.flags] if verdict else [],
        "classifier_version": verdict.classifier_version if verdict else None,
        "first_seen": item.first_seen.isoformat(),
        "last_seen": item.last_seen.isoformat(),
        "history": [
            {"definition_hash": v.definition_hash, "first_seen": v.first_seen.isoformat(),
             "last_seen": v.last_seen.isoformat()}
            for v in history
        ],
    }


def server_json(server: StoredServer) -> dict[str, Any]:
    """The --json form of a server."""
    return {
        "key": server.key,
        "name": server.name,
        "description": server.description,
        "version": server.version,
        "origins": [o.model_dump(mode="json", exclude_none=True) for o in server.origins],
        "status": server.status,
        "upstream_status": server.upstream_status,
        "tool_count": server.tool_count,
        "first_seen": server.first_seen.isoformat(),
        "last_seen": server.last_seen.isoformat(),
        "notes": list(server.notes),
    }


def server_detail_json(
    server: StoredServer, tools: Sequence[StoredTool], failures: Sequence[CrawlFailure]
) -> dict[str, Any]:
    """The --json form of `show --server KEY`, with which kinds of crawl see each tool."""
    found = disagreements(tools)
    return {
        **server_json(server),
        "instructions": server.instructions,
        "instruction_flags": [flag.model_dump() for flag in scan_server(server.instructions)],
        "tools": [{**tool_json(t), "sightings": [_sighting_json(s) for s in t.sightings]} for t in tools],
        "disagreements": {
            "summary": summary(found) or None,
            "tools": [
                {"name": d.tool.tool.name, "seen_by": [k.value for k in d.seen_by],
                 "not_seen_by": [k.value for k in d.not_seen_by],
                 "sightings": [_sighting_json(s) for s in d.tool.sightings]}
                for d in found
            ],
        },
        "failures": [f.model_dump() for f in failures],
    }


def _sighting_json(sighting: ToolSighting) -> dict[str, Any]:
    return {
        "kind": sighting.kind.value,
        "location": sighting.location.describe(),
        "definition_hash": sighting.definition_hash,
        "first_seen": sighting.first_seen.isoformat(),
        "last_seen": sighting.last_seen.isoformat(),
        "missing_since": sighting.missing_since.isoformat() if sighting.missing_since else None,
    }


def report_json(report: CrawlReport) -> dict[str, Any]:
    """The --json form of one target's crawl."""
    return {
        "target": report.target,
        "servers": [
            {"key": s.server_key, "new": s.new, "changed": s.changed, "unchanged": s.unchanged,
             "removed": s.removed}
            for s in report.saved
        ],
        "failures": [f.model_dump() for f in report.failures],
        "notes": report.notes,
    }


def _risk_text(item: StoredTool) -> Text:
    if item.classification is None:
        return Text("unclassified", style="dim")
    risk = item.classification.risk.value
    return Text(risk, style=_RISK_STYLE[risk])


def print_tools(console: Console, tools: Sequence[StoredTool]) -> None:
    """A table of tools, or a note that there are none."""
    if not tools:
        console.print("no tools match", style="dim")
        return
    table = Table(box=None, pad_edge=False)
    widest_server = max(len(inert(t.tool.server_key)) for t in tools)
    widest_name = max(len(inert(t.tool.name)) for t in tools)
    table.add_column("server", no_wrap=True, min_width=min(widest_server, 40))
    table.add_column("tool", no_wrap=True, min_width=min(widest_name, 48))
    for column in ("access", "risk"):
        table.add_column(column, no_wrap=True)
    table.add_column("description", no_wrap=True, overflow="ellipsis", min_width=20)
    for item in tools:
        access = item.classification.access.value if item.classification else ""
        table.add_row(Text(inert(item.tool.server_key)), Text(inert(item.tool.name)), access,
                      _risk_text(item), Text(inert(item.tool.description, 80)))
    console.print(table)


def print_servers(console: Console, servers: Sequence[StoredServer]) -> None:
    """A table of servers."""
    if not servers:
        console.print("no servers catalogued yet: try `catalog crawl owner/repo`", style="dim")
        return
    table = Table("key", "name", "origins", "status", "tools", box=None, pad_edge=False)
    for server in servers:
        origins = ", ".join(f"{o.kind.value}:{o.value}" for o in server.origins)
        table.add_row(Text(inert(server.key)), Text(inert(server.name)), Text(inert(origins)),
                      server.status, str(server.tool_count))
    console.print(table)


def _span(flag: Flag) -> str:
    return f" [{inert(flag.span, 200)}]" if flag.span else ""


def print_tool(console: Console, item: StoredTool, history: Sequence[ToolVersion]) -> None:
    """A tool's definition, classification and history."""
    tool, verdict = item.tool, item.classification
    console.print(Text(inert(tool.name), style="bold"), Text(f"  on {inert(tool.server_key)}", style="dim"))
    if tool.title:
        console.print(Text(inert(tool.title)))
    console.print(Text(inert(tool.description)))
    if verdict is not None:
        line = Text("access ").append(verdict.access.value, style="bold")
        line.append("  risk ").append_text(_risk_text(item)).append(f"  category {verdict.category.value}")
        if verdict.capabilities:
            line.append("  capabilities " + ", ".join(c.value for c in verdict.capabilities))
        console.print(line)
        for reason in verdict.reasons:
            console.print(Text(f"  - {inert(reason)}"))
        for flag in verdict.flags:
            console.print(Text(f"  ! {flag.kind}: {inert(flag.message)}{_span(flag)}", style="red"))
    params = tool.input_schema.get("properties", {})
    if isinstance(params, dict) and params:
        required = set(tool.input_schema.get("required", []) or [])
        console.print("parameters:")
        for pname, schema in params.items():
            kind = schema.get("type", "any") if isinstance(schema, dict) else "any"
            mark = " (required)" if pname in required else ""
            console.print(Text(f"  {inert(str(pname))}: {inert(str(kind))}{mark}"))
    if tool.hints.any_declared:
        console.print(Text("declared hints: " + ", ".join(f"{k}={v}" for k, v in tool.hints.declared().items())))
    console.print(Text(f"source: {inert(tool.location.describe())}", style="dim"))
    console.print(Text(f"first seen {item.first_seen:%Y-%m-%d}, {len(history)} definition(s)", style="dim"))


def print_server(
    console: Console, server: StoredServer, tools: Sequence[StoredTool], failures: Sequence[CrawlFailure]
) -> None:
    """A server's identity, origins, tools and failures."""
    console.print(Text(inert(server.name), style="bold"), Text(f"  {inert(server.key)}", style="dim"))
    if server.description:
        console.print(Text(inert(server.description)))
    for origin in server.origins:
        console.print(Text(f"origin {origin.kind.value}: {inert(origin.value)} {inert(origin.version)}".rstrip()))
    console.print(f"status {server.status}, {server.tool_count} tools")
    for note in server.notes:
        console.print(Text(f"note: {inert(note)}", style="yellow"))
    for flag in scan_server(server.instructions):
        console.print(Text(f"! server instructions {flag.kind}: {inert(flag.message)}{_span(flag)}", style="red"))
    print_tools(console, tools)
    found = disagreements(tools)
    if found:
        console.print(Text(f"disagreements: {inert(summary(found))}", style="yellow"))
        for item in found:
            console.print(Text(f"  {inert(item.tool.tool.name)}: {_disagreement_text(item)}"))
    for failure in failures:
        console.print(Text(f"failure ({failure.stage}): {one_line(failure.reason)}", style="red"))


def _disagreement_text(item: Disagreement) -> str:
    """`static saw it 2026-11-24 07:10 UTC at src/a.ts:3; live never saw it`."""
    by_kind = {sighting.kind: sighting for sighting in item.tool.sightings}
    parts = []
    for kind in item.seen_by:
        sighting = by_kind[kind]
        where = sighting.location.describe() if sighting.location.file else sighting.location.detail
        parts.append(f"{kind.value} saw it {sighting.last_seen:%Y-%m-%d %H:%M} UTC" + (f" at {where}" if where else ""))
    for kind in item.not_seen_by:
        missing = by_kind[kind].missing_since if kind in by_kind else None
        parts.append(f"{kind.value} stopped seeing it {missing:%Y-%m-%d %H:%M} UTC" if missing else f"{kind.value} never saw it")
    return inert("; ".join(parts))


def print_reports(out: Console, err: Console, reports: Sequence[CrawlReport]) -> None:
    """One summary line per server crawled and one red line per failure."""
    for report in reports:
        for saved in report.saved:
            out.print(Text(
                f"{inert(saved.server_key)}: {saved.new} new, {saved.changed} changed, "
                f"{saved.unchanged} unchanged, {saved.removed} removed"
            ))
        for note in report.notes:
            err.print(Text(f"note: {one_line(note)}", style="yellow"))
        for failure in report.failures:
            err.print(Text(f"failed {inert(failure.target)} ({failure.stage}): {one_line(failure.reason)}", style="red"))
