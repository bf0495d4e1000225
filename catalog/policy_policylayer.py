"""PolicyLayer's policy JSON in full, validated against the JSON Schema we ship before it is printed."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from catalog.errors import ConfigError
from catalog.policy_args import Condition, Guard, regex_problem
from catalog.policy_plan import Plan, PolicyFormat, ToolPlan
from catalog.policy_profiles import Action, ActionKind

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "policylayer.schema.json"


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _where(path: Any) -> str:
    return "/".join(str(part) for part in path) or "(document)"


def problems(document: object) -> list[str]:
    """Every way a document breaks the shipped schema or uses a non-portable regex, one line each."""
    found = [
        f"{_where(error.absolute_path)}: {error.message}"
        for error in sorted(_validator().iter_errors(document), key=lambda e: (_where(e.absolute_path), e.message))
    ]
    if not found and isinstance(document, dict):
        for name, rules in sorted((document.get("tools") or {}).items()):
            for key in ("require", "deny_if"):
                for n, entry in enumerate(rules.get(key, [])):
                    for m, condition in enumerate(entry["conditions"]):
                        trouble = regex_problem(condition["value"]) if condition["op"] == "regex" else None
                        if trouble:
                            found.append(f"tools/{name}/{key}/{n}/conditions/{m}: {trouble}")
    return found


def _conditions(conditions: tuple[Condition, ...]) -> list[dict[str, Any]]:
    return [{"path": c.path, "op": c.op.value, "value": c.value} for c in conditions]


def limit(counter: str, action: Action) -> dict[str, Any]:
    """A limits entry: `max` calls per `window`, counted per grant."""
    assert action.window is not None and action.max is not None  # a rate-limit always has both
    return {"counter": counter, "window": action.window.value, "max": action.max, "scope": "grant"}


def _guard_entry(guard: Guard) -> tuple[str, dict[str, Any]]:
    # deny_if where the guard can be said as "refuse when": a missing optional argument passes.
    if guard.deny_when is not None:
        return "deny_if", {"conditions": _conditions(guard.deny_when), "on_deny": guard.reason}
    return "require", {"conditions": _conditions(guard.allow_when), "on_deny": guard.reason}


def _tool_rules(tool: ToolPlan) -> dict[str, Any]:
    entries: dict[str, list[dict[str, Any]]] = {"require": [], "deny_if": [], "limits": []}
    match tool.action.kind:
        case ActionKind.APPROVE:
            entries["deny_if"].append({"conditions": [], "on_deny": f"{tool.name} requires human approval"})
        case ActionKind.DENY:
            entries["deny_if"].append({"conditions": [], "on_deny": f"{tool.name} is refused by policy"})
        case ActionKind.RATE_LIMIT:
            entries["limits"].append(limit(f"{tool.name}_rate", tool.action))
        case ActionKind.ALLOW | ActionKind.HIDE:
            pass
    for guard in tool.guards:
        key, entry = _guard_entry(guard)
        entries[key].append(entry)
    return {key: value for key, value in entries.items() if value}


class PolicyLayerJSON(PolicyFormat):
    """PolicyLayer's policy JSON: version, default deny, hide, all_tools limits, per-tool require/deny_if/limits."""

    name = "policylayer"

    def document(self, plan: Plan) -> dict[str, Any]:
        """The policy as a dict in the documented key order (version, default, hide, all_tools, tools)."""
        document: dict[str, Any] = {"version": "1", "default": "deny"}
        if plan.hidden:
            document["hide"] = [tool.name for tool in plan.hidden]
        if plan.profile.all_tools is not None:
            document["all_tools"] = {"limits": [limit("all_tools_rate", plan.profile.all_tools)]}
        document["tools"] = {tool.name: _tool_rules(tool) for tool in plan.listed}
        return document

    def render_plan(self, plan: Plan) -> str:
        document = self.document(plan)
        found = problems(document)
        if found:  # a bug in a renderer or a profile, never printed as if it were a policy
            raise ConfigError(f"the PolicyLayer policy does not validate: {found[0]}")
        return json.dumps(document, indent=self.indent, ensure_ascii=False)

    def check(self, text: str) -> list[str]:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            return [f"not JSON: {error}"]
        return problems(document)

