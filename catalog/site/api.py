"""The machine-readable side of the site: a JSON file per tool and server, and an index of them all."""

from __future__ import annotations

import json
from typing import Any

from catalog.records import StoredServer, StoredTool
from catalog.site.model import SiteMap, key_of
from catalog.site.policies import Policies
from catalog.site.views import origin_view

API_VERSION = 1


def dump(value: Any, indent: int | None = 2) -> bytes:
    """Deterministic JSON bytes: sorted keys, UTF-8, a final newline."""
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False, separators=separators)
    return (text + "\n").encode("utf-8")


def _absolute(path: str, base_url: str | None) -> str | None:
    return f"{base_url}{path}" if base_url else None


def tool_document(item: StoredTool, site: SiteMap, policies: Policies, base_url: str | None) -> dict[str, Any]:
    """A tool's definition, classification, recommended policies and history, as the store holds them.

    Strings are the crawled ones, unaltered: consumers must treat them as untrusted text.
    """
    key = key_of(item)
    verdict = item.classification
    action = policies.action(item)
    versions = site.data.histories.get(key, ())
    return {
        "api_version": API_VERSION,
        "server": {"key": item.tool.server_key, "name": item.server_name, "api": site.server_api_path(key[0])},
        **item.tool.definition(),
        "location": item.tool.location.model_dump(mode="json", exclude_none=True),
        "definition_hash": item.tool.definition_hash,
        "classification": verdict.model_dump(mode="json") if verdict else None,
        "recommended_action": ({"profile": policies.profile.name, "kind": action.kind.value,
                                "window": action.window.value if action.window else None, "max": action.max}
                               if action else None),
        "policies": {block["dialect"]: block["text"] for block in policies.blocks([item])},
        "first_seen": item.first_seen.isoformat(),
        "last_seen": item.last_seen.isoformat(),
        "history": [{"definition_hash": v.definition_hash, "first_seen": v.first_seen.isoformat(),
                     "last_seen": v.last_seen.isoformat()} for v in versions],
        "page": site.tool_path(key),
        "page_url": _absolute(site.tool_path(key), base_url),
    }


def server_document(server: StoredServer, site: SiteMap, policies: Policies, base_url: str | None) -> dict[str, Any]:
    """A server, its origins, its tools in brief and its whole-server policies."""
    tools = site.by_server.get(server.key, [])
    return {
        "api_version": API_VERSION,
        "key": server.key,
        "name": server.name,
        "title": server.title,
        "description": server.description,
        "version": server.version,
        "status": server.status,
        "origins": [origin_view(o) | {"value": o.value} for o in server.origins],
        "notes": list(server.notes),
        "first_seen": server.first_seen.isoformat(),
        "last_seen": server.last_seen.isoformat(),
        "failures": [f.model_dump(mode="json") for f in site.data.failures.get(server.key, ())],
        "tools": [_brief(t, site) for t in tools],
        "policies": {block["dialect"]: block["text"] for block in policies.blocks(tools)},
        "page": site.server_path(server.key),
        "page_url": _absolute(site.server_path(server.key), base_url),
    }


def _brief(item: StoredTool, site: SiteMap) -> dict[str, Any]:
    verdict = item.classification
    return {"name": item.tool.name, "access": verdict.access.value if verdict else None,
            "risk": verdict.risk.value if verdict else None, "api": site.tool_api_path(key_of(item)),
            "page": site.tool_path(key_of(item))}


def index_document(site: SiteMap) -> dict[str, Any]:
    """Every server and tool with where its files are."""
    return {
        "api_version": API_VERSION,
        "counts": {"servers": len(site.servers), "tools": len(site.tools)},
        "servers": [{"key": s.key, "name": s.name, "api": site.server_api_path(s.key),
                     "page": site.server_path(s.key)} for s in site.servers],
        "tools": [{"server": t.tool.server_key, **_brief(t, site)} for t in site.tools],
    }


def api_files(site: SiteMap, policies: Policies, base_url: str | None) -> dict[str, bytes]:
    """Every JSON file under api/, by path from the site root."""
    files = {"api/index.json": dump(index_document(site), indent=None)}
    for server in site.servers:
        files[site.server_api_path(server.key)] = dump(server_document(server, site, policies, base_url))
    for item in site.tools:
        files[site.tool_api_path(key_of(item))] = dump(tool_document(item, site, policies, base_url))
    return files
