"""One built site for the whole-site checks: the fixture repos and Docker listings crawled into SQLite, plus an XSS probe."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from catalog import pipeline
from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Flag,
    Location,
    LocationKind,
    Origin,
    Risk,
    StoredServer,
    StoredTool,
    ToolRecord,
    ToolVersion,
)
from catalog.site import BuildReport, SiteData, build_site, load_site_data
from catalog.store import Store
from crawler.targets import TargetOptions

REPO = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("CATALOG_SHARED_DATA", str(REPO.parent / "shared" / "data")))
PROBE_SERVER = "xss-probe"
PROBE_TOOL = "probe_lookup"
# Each payload sets window.__xss (or opens a dialog) if it ever runs.
PAYLOADS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'img'\">",
    "</textarea><script>window.__xss = 'textarea'</script>",
    "</script><script>window.__xss = 'jsonld'</script><!--",
    "[click me](javascript:window.__xss='md') <a href=\"javascript:alert(1)\">link</a>",
    "<svg onload=alert('svg')></svg> <iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
    "\" onmouseover=\"window.__xss='attr'\" x=\"",
    "hidden\u200b\u202etext\U000e0041 and a line\u2028separator",
]


@dataclass(frozen=True)
class FixtureSite:
    """The built site and what the tests need to know about it."""

    root: Path
    report: BuildReport
    data: SiteData


def probe_listing(folder: Path) -> Path:
    """A saved tools/list whose strings try to inject script in every place a string lands."""
    payload = " ".join(PAYLOADS)
    tools = [
        {
            "name": PROBE_TOOL,
            "title": "<b>Probe</b><script>window.__xss='title'</script>",
            "description": f"Looks up a quokka record by id. {payload}",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": payload, "enum": ["<script>window.__xss='enum'</script>"],
                           "default": "</textarea><script>window.__xss='default'</script>"},
                    "filter": {"type": "object", "properties": {"expr": {"type": "string", "description": payload}}},
                },
                "required": ["id"],
            },
        },
        {"name": "probe_delete", "description": f"Deletes a quokka record. {payload}",
         "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}},
    ]
    path = folder / "probe-tools.json"
    path.write_text(json.dumps({"tools": tools}), encoding="utf-8")
    return path


def crawl_fixture_store(folder: Path) -> str:
    """Crawl the fixture repos, the Docker catalog listings and the probe into a SQLite file."""
    docker = SHARED / "docker-mcp-catalog"
    if not docker.is_dir():
        message = f"{docker} is missing (set CATALOG_SHARED_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    url = f"sqlite:///{folder / 'catalog.db'}"
    with Store.open(url) as store:
        repos = sorted(str(p) for p in (REPO / "tests" / "fixtures" / "repos").iterdir() if p.is_dir())
        pipeline.crawl_targets(repos, store)
        for listing in sorted(docker.glob("*.json")):
            pipeline.crawl_target(str(listing), store, options=TargetOptions(name=listing.stem))
        pipeline.crawl_target(str(probe_listing(folder)), store, options=TargetOptions(name=PROBE_SERVER))
    return url


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> FixtureSite:
    """The fixture catalog built into a site once per test session."""
    folder = tmp_path_factory.mktemp("fixture-site")
    url = crawl_fixture_store(folder)
    with Store.open(url) as store:
        data = load_site_data(store)
    root = folder / "site"
    return FixtureSite(root, build_site(data, root), data)


WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def verdict(access: Access, risk: Risk, *capabilities: Capability, reasons: tuple[str, ...] = (),
            flags: tuple[Flag, ...] = ()) -> Classification:
    """A classification as the classifier would store it."""
    category = {Access.READ: Category.READ, Access.WRITE: Category.WRITE, Access.DESTRUCTIVE: Category.DESTRUCTIVE}
    return Classification(access=access, risk=risk, category=category[access], capabilities=capabilities,
                          confidence=0.9, reasons=reasons, flags=flags, classifier_version="rules-test")


def stored_tool(server_key: str, name: str, description: str = "", *, classification: Classification | None = None,
                schema: dict[str, Any] | None = None, server_name: str | None = None,
                first_seen: datetime = WHEN, location: Location | None = None) -> StoredTool:
    """A stored tool with sensible defaults; only what a test is about needs saying."""
    tool = ToolRecord(server_key=server_key, name=name, description=description,
                      input_schema=schema or {"type": "object"},
                      location=location or Location(kind=LocationKind.SAVED, detail="tools.json"))
    return StoredTool(tool=tool, classification=classification, server_name=server_name or server_key.split(":")[-1],
                      first_seen=first_seen, last_seen=first_seen)


def stored_server(key: str, name: str | None = None, *origins: Origin) -> StoredServer:
    """A stored server with one crawl behind it."""
    return StoredServer(key=key, name=name or key.split(":")[-1], origins=origins, status="ok", tool_count=0,
                        first_seen=WHEN, last_seen=WHEN)


def catalog(tools: list[StoredTool], servers: list[StoredServer] | None = None) -> SiteData:
    """Site data for these tools: their servers (made up when not given) and one-version histories."""
    known = {server.key: server for server in servers or []}
    for item in tools:
        known.setdefault(item.tool.server_key, stored_server(item.tool.server_key, item.server_name))
    histories = {(t.tool.server_key, t.tool.name): (version_of(t.tool, t.first_seen),) for t in tools}
    return SiteData(tuple(known.values()), tuple(tools), histories)


def version_of(tool: ToolRecord, seen: datetime) -> ToolVersion:
    """The history row of a definition first seen at `seen`."""
    return ToolVersion(definition_hash=tool.definition_hash, definition=tool.definition(), first_seen=seen,
                       last_seen=seen)
