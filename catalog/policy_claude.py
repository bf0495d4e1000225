"""Claude Code permissions (`mcp__<server>__<tool>` in allow/ask/deny), and merging into a settings.json."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from catalog.errors import ConfigError
from catalog.policy_plan import Plan, PolicyFormat, ToolPlan
from catalog.policy_profiles import ActionKind

LISTS = ("allow", "ask", "deny")
_MCP_RULE = re.compile(r"^mcp__[A-Za-z0-9_-]+(__([A-Za-z0-9_-]+|\*))?$")


def mcp_name(part: str) -> str:
    """A server or tool name as Claude Code writes it in `mcp__…` names: anything but [A-Za-z0-9_-] becomes `_`."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", part)


def rule_for(tool: ToolPlan, server_names: Mapping[str, str] | None = None) -> str:
    """The permission rule naming one tool; `server_names` maps a server key to the name the
    user registered the server under in Claude Code (default: the catalog's server name)."""
    server = (server_names or {}).get(tool.server_key, tool.server_name)
    return f"mcp__{mcp_name(server)}__{mcp_name(tool.name)}"


def server_names(values: Sequence[str], keys: Sequence[str]) -> dict[str, str]:
    """`--mcp-name` values as server key → registered name: `KEY=NAME`, or a bare `NAME` when
    the policy covers one server only. An unknown key, a clash or an empty name is a ConfigError."""
    known = list(dict.fromkeys(keys))
    names: dict[str, str] = {}
    for value in values:
        key, separator, name = value.rpartition("=")
        if not separator:
            if len(known) != 1:
                raise ConfigError(
                    f"--mcp-name '{value}' names one server but the policy covers {len(known)}; use KEY=NAME"
                )
            key = known[0]
        if key not in known:
            raise ConfigError(f"--mcp-name: server '{key}' is not in this policy ({', '.join(known)})")
        if not name.strip():
            raise ConfigError(f"--mcp-name '{value}' gives an empty name")
        if names.get(key, name) != name:
            raise ConfigError(f"--mcp-name gives server '{key}' two names: '{names[key]}' and '{name}'")
        names[key] = name
    return names


def list_for(tool: ToolPlan) -> str:
    """Which list a tool goes in. Claude Code has no rate limits and no argument rules for MCP tools,
    so anything the other dialects throttle or guard becomes `ask`: a person sees each call."""
    match tool.action.kind:
        case ActionKind.ALLOW:
            return "ask" if tool.guards else "allow"
        case ActionKind.RATE_LIMIT | ActionKind.APPROVE:
            return "ask"
        case ActionKind.DENY | ActionKind.HIDE:
            return "deny"


def _string_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} must be a list of strings")
    return list(value)


def merge_settings(existing: Mapping[str, Any], ours: Mapping[str, list[str]]) -> dict[str, Any]:
    """`existing` with our rules merged in: other keys and rules untouched, our verdict wins for our tools."""
    merged = copy.deepcopy(dict(existing))
    permissions = merged.setdefault("permissions", {})
    if not isinstance(permissions, dict):
        raise ConfigError("settings 'permissions' must be an object")
    verdict = {rule: name for name in LISTS for rule in ours[name]}
    for name in LISTS:
        current = _string_list(permissions.get(name, []), f"settings 'permissions.{name}'")
        kept = [rule for rule in current if verdict.get(rule, name) == name]
        combined = kept + [rule for rule in ours[name] if rule not in kept]
        if combined or name in permissions:
            permissions[name] = combined
    return merged


def read_settings(path: Path) -> dict[str, Any]:
    """An existing settings.json (a missing file is an empty one)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    try:
        document = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return document


def problems(document: object) -> list[str]:
    """Every way a settings document's `permissions` would be rejected or silently ignored, one line each."""
    if not isinstance(document, Mapping):
        return ["(document): a settings file must be a JSON object"]
    permissions = document.get("permissions")
    if not isinstance(permissions, Mapping):
        return ["permissions: missing, or not an object"]
    found: list[str] = []
    seen: dict[str, str] = {}
    for name in LISTS:
        rules = permissions.get(name, [])
        if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
            found.append(f"permissions/{name}: must be a list of strings")
            continue
        for index, rule in enumerate(rules):
            where = f"permissions/{name}/{index}"
            if rule.startswith("mcp__") and not _MCP_RULE.match(rule):
                found.append(f"{where}: '{rule}' is not mcp__<server> or mcp__<server>__<tool> "
                             "(MCP rules take no arguments; Claude Code skips such rules)")
            if rule in seen and seen[rule] != name:
                found.append(f"{where}: '{rule}' is also in {seen[rule]}")
            seen.setdefault(rule, name)
    return found


class ClaudeCodeJSON(PolicyFormat):
    """Claude Code's settings.json `permissions` block, optionally merged into an existing file."""

    name = "claude-code"

    def __init__(
        self,
        indent: int | None = None,
        root: str | None = None,
        merge: Path | None = None,
        mcp_names: Sequence[str] = (),
    ) -> None:
        super().__init__(indent, root)
        self.merge = merge
        self.mcp_names = tuple(mcp_names)

    def document(self, plan: Plan) -> dict[str, Any]:
        """`{"permissions": {"allow": [...], "ask": [...], "deny": [...]}}`, each list sorted."""
        lists: dict[str, list[str]] = {name: [] for name in LISTS}
        names = server_names(self.mcp_names, [tool.server_key for tool in plan.tools])
        for tool in plan.tools:
            lists[list_for(tool)].append(rule_for(tool, names))
        return {"permissions": {name: sorted(rules) for name, rules in lists.items()}}

    def render_plan(self, plan: Plan) -> str:
        document = self.document(plan)
        if self.merge is not None:
            document = merge_settings(read_settings(self.merge), document["permissions"])
        found = problems(document)
        if found:
            raise ConfigError(f"the Claude Code settings do not validate: {found[0]}")
        return json.dumps(document, indent=self.indent, ensure_ascii=False)

    def check(self, text: str) -> list[str]:
        try:
            return problems(json.loads(text))
        except json.JSONDecodeError as error:
            return [f"not JSON: {error}"]
