"""Intercept's policy YAML (PolicyLayer's open-source proxy): rendering with reasons as comments, and its checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from catalog.errors import ConfigError
from catalog.policy_args import Guard, regex_problem
from catalog.policy_plan import Plan, PolicyFormat, ToolPlan, one_line
from catalog.policy_profiles import ActionKind

_OPS = {"eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains", "exists"}
_WINDOWS = ("minute", "hour", "day")
_RULE_KEYS = {"name", "action", "rate_limit", "conditions", "on_deny", "state"}
_STATE_KEYS = {"counter", "window", "increment", "increment_from"}
_TOP_KEYS = {"version", "description", "default", "hide", "tools"}

Rule = dict[str, Any]


def _dump(value: object, indent: int) -> list[str]:
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True, width=10**6)
    lines = [line for line in text.splitlines() if line != "..."]
    return [" " * indent + line for line in lines]


def _comment(text: str, indent: int) -> str:
    return " " * indent + "# " + one_line(text)


def _guard_rules(tool: ToolPlan, guard: Guard) -> list[tuple[str, Rule]]:
    field = guard.allow_when[0].field
    note = f"; give '{field}' explicitly (Intercept refuses a call that omits it)" if guard.optional else ""
    comment = guard.reason + (f" ({guard.allow_note})" if guard.allow_note else "") + note
    rules: list[tuple[str, Rule]] = [(comment, {
        "name": guard.name,
        "conditions": [{"path": c.path, "op": c.op.value, "value": c.value} for c in guard.allow_when],
        "on_deny": guard.reason + note,
    })]
    if guard.daily_cap is not None and "." not in tool.name:
        counter = f"daily_{field}"
        message = f"the sum of '{field}' per UTC day is capped at {guard.daily_cap}"
        rules.append((message, {
            "name": f"{field}: at most {guard.daily_cap} per day",
            "conditions": [{"path": f"state.{tool.name}.{counter}", "op": "lte", "value": guard.daily_cap}],
            "on_deny": message,
            "state": {"counter": counter, "window": "day", "increment_from": f"args.{field}"},
        }))
    return rules


def tool_rules(tool: ToolPlan) -> list[tuple[str, Rule]]:
    """The rules for one listed tool, each with the reason to write above it."""
    action = tool.action
    rules: list[tuple[str, Rule]] = []
    match action.kind:
        case ActionKind.RATE_LIMIT:
            assert action.window is not None and action.max is not None  # a rate-limit always has both
            rules.append((action.reason, {
                "name": "rate limit", "rate_limit": f"{action.max}/{action.window.value}",
                "on_deny": f"{tool.name} is limited to {action.max} calls per {action.window.value}",
            }))
        case ActionKind.APPROVE:
            rules.append((f"{action.reason}; remove this rule once a human has approved",
                          {"name": "needs human approval", "action": "deny",
                           "on_deny": f"{tool.name} requires human approval"}))
        case ActionKind.DENY:
            rules.append((action.reason, {"name": "refused", "action": "deny",
                                          "on_deny": f"{tool.name} is refused by policy"}))
        case ActionKind.ALLOW | ActionKind.HIDE:
            pass
    for guard in tool.guards:
        rules.extend(_guard_rules(tool, guard))
    return rules


def _tool_block(key: str, heading: str, rules: list[tuple[str, Rule]]) -> list[str]:
    lines = [_comment(heading, 2)]
    if not rules:
        return lines + _dump({key: {"rules": []}}, 2)
    lines += _dump({key: {"rules": [None]}}, 2)[:2]  # the key line and `rules:`
    for reason, rule in rules:
        if reason:
            lines.append(_comment(reason, 4))
        lines += _dump([rule], 4)
    return lines


class InterceptYAML(PolicyFormat):
    """Intercept's YAML: version, description, default deny, hide, per-tool (and "*") rules."""

    name = "intercept"

    def render_plan(self, plan: Plan) -> str:
        servers = ", ".join(plan.server_keys)
        lines = [
            f"# Recommended by catalog: profile {plan.profile.name}, for {servers}.",
            "# Tools not listed under `tools` are refused (default: deny); hidden tools are removed from tools/list.",
        ]
        lines += _dump({"version": "1", "description": f"catalog recommendation (profile {plan.profile.name}) "
                        f"for {servers}", "default": "deny"}, 0)
        if plan.hidden:
            lines.append("hide:")
            for tool in plan.hidden:
                lines.append(_comment(f"{tool.name}: {tool.action.reason}", 0))
                lines += _dump([tool.name], 0)
        blocks = [_tool_block(t.name, f"{t.name} ({t.classification.access.value}, risk "
                                      f"{t.classification.risk.value})", tool_rules(t)) for t in plan.listed]
        if plan.profile.all_tools is not None:
            every = plan.profile.all_tools
            assert every.window is not None  # a rate-limit always has one
            blocks.append(_tool_block("*", "every tool call", [(every.reason, {
                "name": "global rate limit", "rate_limit": f"{every.max}/{every.window.value}",
                "on_deny": every.reason or "too many tool calls"})]))
        lines += ["tools:", *(line for block in blocks for line in block)] if blocks else ["tools: {}"]
        text = "\n".join(lines) + "\n"
        found = self.check(text)
        if found:  # a bug in the renderer or a profile, never printed as if it were a policy
            raise ConfigError(f"the Intercept policy does not validate: {found[0]}")
        return text

    def check(self, text: str) -> list[str]:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            return [f"not YAML: {one_line(str(error))}"]
        return validate(document)


def _typed(value: object, kind: type | tuple[type, ...], where: str, errors: list[str]) -> bool:
    if value is None or isinstance(value, kind):
        return True
    errors.append(f"{where}: expected {getattr(kind, '__name__', 'a value')}, got {type(value).__name__}")
    return False


def _unknown(value: Mapping[str, Any], allowed: set[str], where: str, errors: list[str]) -> None:
    # Intercept ignores unknown keys; we report them, since a misspelt `on_deny` silently does nothing.
    errors.extend(f"{where}: unknown key '{key}'" for key in sorted(set(value) - allowed, key=str))


def _parse_rate_limit(text: str) -> tuple[int, str] | str:
    count, slash, window = text.partition("/")
    if not slash:
        return f'rate_limit must be in the format "N/window" (e.g. "5/hour"), got "{text}"'
    if not count.isdigit() or int(count) <= 0:
        return f'rate_limit count must be a positive integer, got "{count}"'
    if window not in _WINDOWS:
        return f'rate_limit window must be "minute", "hour", or "day", got "{window}"'
    return int(count), window


def _desugar(tool_name: str, rule: Rule) -> None:
    """Intercept's own expansion of `rate_limit: N/window` into a condition and a counter."""
    parsed = _parse_rate_limit(str(rule.get("rate_limit") or ""))
    if rule.get("rate_limit") and not rule.get("conditions") and rule.get("state") is None \
            and rule.get("action") != "deny" and isinstance(parsed, tuple):
        count, window = parsed
        scope = "_global" if tool_name == "*" else tool_name
        rule.update(action="evaluate", rate_limit="", state={"counter": f"_rate_{window}", "window": window},
                    conditions=[{"path": f"state.{scope}._rate_{window}", "op": "lte", "value": count}])
    rule.setdefault("action", "evaluate")
    if not rule["action"]:
        rule["action"] = "evaluate"


def _condition_errors(where: str, condition: object) -> list[str]:
    if not isinstance(condition, Mapping):
        return [f"{where}: a condition must be a mapping"]
    errors: list[str] = []
    _unknown(condition, {"path", "op", "value"}, where, errors)
    path, op, value = str(condition.get("path") or ""), str(condition.get("op") or ""), condition.get("value")
    if not path.startswith(("args.", "state.")):
        errors.append(f'{where}: path must start with "args." or "state.", got "{path}"')
    if op not in _OPS:
        errors.append(f'{where}: unknown operator "{op}"')
    if op in {"in", "not_in"} and not isinstance(value, list):
        errors.append(f'{where}: operator "{op}" requires a list value')
    if op in {"lt", "lte", "gt", "gte"} and (not isinstance(value, int | float) or isinstance(value, bool)):
        errors.append(f'{where}: operator "{op}" requires a numeric value')
    if op == "exists" and not isinstance(value, bool):
        errors.append(f'{where}: operator "exists" requires a boolean value')
    if op == "regex":
        trouble = regex_problem(value) if isinstance(value, str) else "regex value must be a string"
        if trouble:
            errors.append(f"{where}: {trouble}")
    return errors


def _state_errors(where: str, state: object) -> list[str]:
    if not isinstance(state, Mapping):
        return [f"{where}.state: must be a mapping"]
    errors: list[str] = []
    _unknown(state, _STATE_KEYS, f"{where}.state", errors)
    if not str(state.get("counter") or ""):
        errors.append(f"{where}.state: counter must not be empty")
    if state.get("window") not in _WINDOWS:
        errors.append(f'{where}.state: window must be "minute", "hour", or "day", got "{state.get("window") or ""}"')
    source = str(state.get("increment_from") or "")
    if source and not source.startswith("args."):
        errors.append(f'{where}.state: increment_from must start with "args.", got "{source}"')
    return errors


def _rule_errors(where: str, rule: Rule, counters: Mapping[str, set[str]]) -> list[str]:
    if rule.get("rate_limit"):  # still set: Intercept could not expand it
        parsed = _parse_rate_limit(str(rule["rate_limit"]))
        errors = [f"{where}: {parsed}"] if isinstance(parsed, str) else []
        if rule.get("conditions") or rule.get("state") is not None:
            errors.append(f"{where}: rate_limit cannot be combined with conditions or state")
        if rule.get("action") == "deny":
            errors.append(f'{where}: rate_limit cannot be used with action "deny"')
        return errors
    errors = [] if rule.get("name") else [f"{where}: rule must have a name"]
    action, conditions = rule.get("action"), rule.get("conditions") or []
    if action not in {"evaluate", "deny"}:
        errors.append(f'{where}: action must be "evaluate" or "deny", got "{action}"')
    if action == "deny" and conditions:
        errors.append(f"{where}: deny rules must not have conditions")
    if action == "evaluate" and not conditions:
        errors.append(f"{where}: evaluate rules must have at least one condition")
    if not isinstance(conditions, list):
        return [*errors, f"{where}: conditions must be a list"]
    for index, condition in enumerate(conditions):
        errors += _condition_errors(f"{where}.conditions[{index}]", condition)
        path = str(condition.get("path") or "") if isinstance(condition, Mapping) else ""
        parts = path.split(".", 2)
        if path.startswith("state.") and len(parts) == 3 and parts[2] not in counters.get(parts[1], set()):
            errors.append(f"{where}: condition references {path} but no matching state block found")
    if rule.get("state") is not None:
        errors += _state_errors(where, rule["state"])
    return errors


def _tools(document: Mapping[str, Any], errors: list[str]) -> dict[str, list[Rule]]:
    tools: dict[str, list[Rule]] = {}
    raw = document.get("tools")
    if not _typed(raw, dict, "tools", errors):
        return tools
    for name, entry in (raw or {}).items():
        where = f"tools.{name}"
        if not isinstance(entry, Mapping):
            errors.append(f"{where}: must be a mapping with `rules`")
            continue
        _unknown(entry, {"rules"}, where, errors)
        rules = entry.get("rules") or []
        if not isinstance(rules, list) or not all(isinstance(rule, Mapping) for rule in rules):
            errors.append(f"{where}.rules: must be a list of mappings")
            continue
        tools[str(name)] = [dict(rule) for rule in rules]
        for index, rule in enumerate(tools[str(name)]):
            _unknown(rule, _RULE_KEYS, f"{where}.rules[{index}]", errors)
            for key in ("name", "action", "rate_limit", "on_deny"):
                _typed(rule.get(key), str, f"{where}.rules[{index}].{key}", errors)
            _desugar(str(name), rule)
    return tools


def validate(document: object) -> list[str]:
    """Intercept's own `validate` checks, rule for rule, plus unknown keys; one line per problem."""
    if not isinstance(document, Mapping):
        return ["the policy must be a YAML mapping"]
    errors: list[str] = []
    _unknown(document, _TOP_KEYS, "(document)", errors)
    version = document.get("version")
    if str(version) != "1" or version is None:
        errors.append(f'version must be "1", got "{version if version is not None else ""}"')
    default = document.get("default") or "allow"
    if default not in {"allow", "deny"}:
        errors.append(f'default must be "allow" or "deny", got "{default}"')
    hide = document.get("hide") or []
    if not isinstance(hide, list):
        errors.append("hide: must be a list of tool names")
        hide = []
    for index, name in enumerate(hide):
        if not str(name or "").strip():
            errors.append(f"hide[{index}]: entry must not be empty")
        elif hide.index(name) != index:
            errors.append(f'hide: duplicate entry "{name}"')
    tools = _tools(document, errors)
    counters = {("_global" if name == "*" else name): {str(r["state"].get("counter")) for r in rules
                if isinstance(r.get("state"), Mapping)} for name, rules in tools.items()}
    for name in sorted(tools):
        seen: dict[str, int] = {}
        for index, rule in enumerate(tools[name]):
            counter = rule["state"].get("counter") if isinstance(rule.get("state"), Mapping) else None
            if counter is not None and counter in seen:
                errors.append(f'tools.{name}.rules[{index}]: duplicate state counter "{counter}" '
                              f"(also used by rules[{seen[counter]}])")
            elif counter is not None:
                seen[counter] = index
        for index, rule in enumerate(tools[name]):
            errors += _rule_errors(f"tools.{name}.rules[{index}]", rule, counters)
    return errors
