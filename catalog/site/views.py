"""Template data for tool and server pages: plain JSON-able dicts, so a page's inputs can be hashed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from catalog.records import (
    Access,
    CrawlFailure,
    LocationKind,
    Origin,
    OriginKind,
    Risk,
    StoredServer,
    StoredTool,
    ToolVersion,
)
from catalog.site.explain import faq, faq_jsonld, why_policy
from catalog.site.model import SiteMap, key_of, risk_rank
from catalog.site.policies import Policies
from catalog.site.schema import parameter_rows
from catalog.site.text import clean, had_hidden_characters, safe_url, snippet

_GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_PACKAGE_PAGES = {OriginKind.NPM: "https://www.npmjs.com/package/{}", OriginKind.PYPI: "https://pypi.org/project/{}/"}
MAX_FAILURES_SHOWN = 20


def tool_link(item: StoredTool, site: SiteMap) -> dict[str, Any]:
    """A tool as a link in a list: name, server, access and risk (what related-tools lists show)."""
    key = key_of(item)
    if key not in site.links:  # a tool is linked from a dozen pages: build its link once
        site.links[key] = _link(item, site)
    return site.links[key]


def _link(item: StoredTool, site: SiteMap) -> dict[str, Any]:
    verdict = item.classification
    return {
        "name": clean(item.tool.name, 200),
        "url": site.tool_path(key_of(item)),
        "server": clean(item.server_name, 200),
        "server_url": site.server_path(item.tool.server_key),
        "access": verdict.access.value if verdict else None,
        "risk": verdict.risk.value if verdict else None,
    }


def tool_row(item: StoredTool, site: SiteMap) -> dict[str, Any]:
    """A tool as one row of a table: its link data and the start of its description."""
    return {**tool_link(item, site), "summary": snippet(item.tool.description, 140)}


def origin_view(origin: Origin) -> dict[str, Any]:
    """An origin with a link a person can follow when the catalog can build a safe one."""
    url = safe_url(origin.url)
    if url is None and origin.kind is OriginKind.GITHUB and _GITHUB_REPO.match(origin.value):
        url = f"https://github.com/{origin.value.split('#')[0]}"
    elif url is None and origin.kind in _PACKAGE_PAGES:
        url = _PACKAGE_PAGES[origin.kind].format(quote(origin.value, safe="@/"))
    elif url is None and origin.kind is OriginKind.URL:
        url = safe_url(origin.value)
    return {"kind": origin.kind.value, "value": clean(origin.value, 500),
            "version": clean(origin.version, 100) or None, "url": url}


def source_view(item: StoredTool, server: StoredServer | None) -> dict[str, Any]:
    """Where the definition was found: file:line with a GitHub link when the origin allows one."""
    location = item.tool.location
    url = None
    github = next((o for o in server.origins if o.kind is OriginKind.GITHUB), None) if server else None
    if location.kind is LocationKind.STATIC and location.file and github and _GITHUB_REPO.match(github.value):
        ref = quote(github.version or "HEAD", safe="")
        line = f"#L{location.line}" if location.line else ""
        url = f"https://github.com/{github.value}/blob/{ref}/{quote(location.file)}{line}"
    elif location.kind is LocationKind.LIVE:
        url = safe_url(location.detail)
    return {"kind": location.kind.value, "text": clean(location.describe(), 500), "url": url,
            "origins": [origin_view(o) for o in server.origins] if server else []}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    labels = {"description": "description", "input_schema": "parameters", "output_schema": "output schema",
              "hints": "declared hints", "title": "title", "meta": "_meta"}
    return [label for field, label in labels.items() if before.get(field) != after.get(field)]


def history_view(item: StoredTool, versions: Sequence[ToolVersion]) -> dict[str, Any]:
    """First seen, last seen, and each later definition with its date and what changed."""
    changes = [
        {"date": later.first_seen.date().isoformat(), "hash": later.definition_hash[:12],
         "changed": _changes(earlier.definition, later.definition)}
        for earlier, later in pairwise(versions)
    ]
    return {"first_seen": item.first_seen.date().isoformat(), "last_seen": item.last_seen.date().isoformat(),
            "versions": len(versions) or 1, "changes": changes}


def tool_view(
    index: int, site: SiteMap, policies: Policies, servers: dict[str, StoredServer]
) -> dict[str, Any]:
    """Everything a tool page shows."""
    item = site.tools[index]
    key = key_of(item)
    verdict = item.classification
    rows = parameter_rows(item.tool.input_schema)
    action = policies.action(item)
    source = source_view(item, servers.get(item.tool.server_key))
    questions = faq(item, action, policies.profile.name, source["text"])
    same_server, elsewhere = site.related(index)
    flags = list(verdict.flags) if verdict else []
    return {
        **tool_row(item, site),
        "key": clean(item.tool.server_key, 500),
        "title": clean(item.tool.title, 300) or None,
        "description": clean(item.tool.description),
        "hidden_characters": had_hidden_characters(item.tool.description),
        "category": verdict.category.value if verdict else None,
        "confidence": f"{verdict.confidence:.0%}" if verdict else None,
        "capabilities": [c.value for c in verdict.capabilities] if verdict else [],
        "classifier": clean(verdict.classifier_version, 100) if verdict else None,
        "why": why_policy(item, rows, action, policies.profile.name),
        "policies": policies.blocks([item]),
        "params": [row.as_dict() for row in rows],
        "output_params": [row.as_dict() for row in parameter_rows(item.tool.output_schema)],
        "hints": [{"name": n, "value": "true" if v else "false"} for n, v in item.tool.hints.declared().items()],
        "hint_flags": [clean(f.message, 500) for f in flags if f.kind.startswith("hints")],
        "flags": [{"kind": clean(f.kind, 100), "message": clean(f.message, 500), "span": clean(f.span, 300)}
                  for f in flags if not f.kind.startswith("hints")],
        "faq": questions,
        "faq_jsonld": faq_jsonld(questions),
        "related_server": [tool_link(t, site) for t in same_server],
        "related_elsewhere": [tool_link(t, site) for t in elsewhere],
        "history": history_view(item, site.data.histories.get(key, ())),
        "source": source,
        "api_url": site.tool_api_path(key),
    }


def _counts(tools: Sequence[StoredTool]) -> dict[str, dict[str, int]]:
    access = {a.value: 0 for a in Access}
    risk = {r.value: 0 for r in Risk}
    for item in tools:
        if item.classification:
            access[item.classification.access.value] += 1
            risk[item.classification.risk.value] += 1
    return {"access": access, "risk": risk}


def _failure_view(failure: CrawlFailure) -> dict[str, str]:
    return {"stage": clean(failure.stage, 50), "target": clean(failure.target, 300),
            "reason": snippet(failure.reason, 500)}


def server_view(server: StoredServer, site: SiteMap, policies: Policies) -> dict[str, Any]:
    """Everything a server page shows."""
    tools = site.riskiest_first(site.by_server.get(server.key, []))
    failures = site.data.failures.get(server.key, ())
    return {
        "name": clean(server.name, 200),
        "key": clean(server.key, 500),
        "title": clean(server.title, 300) or None,
        "description": clean(server.description),
        "version": clean(server.version, 100) or None,
        "status": server.status,
        "origins": [origin_view(o) for o in server.origins],
        "tool_count": len(tools),
        "counts": _counts(tools),
        "tools": [tool_row(t, site) for t in tools],
        "unclassified": sum(1 for t in tools if risk_rank(t) == 0),
        "policies": policies.blocks(tools),
        "first_seen": server.first_seen.date().isoformat(),
        "crawled": server.last_seen.date().isoformat(),
        "failures": [_failure_view(f) for f in failures[-MAX_FAILURES_SHOWN:]],
        "failure_total": len(failures),
        "notes": [clean(note, 500) for note in server.notes],
        "api_url": site.server_api_path(server.key),
    }
