"""Recommended gateway policies: a profile maps each classification to an action; a dialect renders it."""

from __future__ import annotations

import json
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from catalog.errors import ConfigError
from catalog.paths import data_dir
from catalog.records import Access, Capability, Classification, Risk, StoredTool

E = TypeVar("E", bound=StrEnum)


class ActionKind(StrEnum):
    """What a gateway does with a call to one tool."""

    ALLOW = "allow"
    RATE_LIMIT = "rate-limit"
    APPROVE = "approve"
    HIDE = "hide"


class Window(StrEnum):
    """Counting windows a rate limit can use."""

    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class Action:
    """The profile's decision for one tool."""

    kind: ActionKind
    window: Window | None = None
    max: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class _Rule:
    risk: Risk | None
    access: Access | None
    capability: Capability | None
    action: Action

    def matches(self, classification: Classification) -> bool:
        return (
            (self.risk is None or classification.risk == self.risk)
            and (self.access is None or classification.access == self.access)
            and (self.capability is None or self.capability in classification.capabilities)
        )


@dataclass(frozen=True)
class Profile:
    """An ordered table of rules; the first that matches a classification decides its action."""

    name: str
    rules: tuple[_Rule, ...]

    def action_for(self, classification: Classification) -> Action:
        """The action for a classification; a profile that matches nothing hides the tool (fail closed)."""
        for rule in self.rules:
            if rule.matches(classification):
                return rule.action
        return Action(ActionKind.HIDE, reason=f"profile '{self.name}' has no rule for this tool")


def _enum_or_none(enum: type[E], value: object, where: str) -> E | None:
    if value is None:
        return None
    try:
        return enum(str(value))
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise ConfigError(f"{where}: '{value}' is not one of {choices}") from None


def _parse_rule(raw: Mapping[str, Any], where: str) -> _Rule:
    when = raw.get("when", {})
    if not isinstance(when, Mapping):
        raise ConfigError(f"{where}: 'when' must be a table")
    kind = _enum_or_none(ActionKind, raw.get("action"), f"{where} action")
    if kind is None:
        raise ConfigError(f"{where}: every rule needs an action")
    window = _enum_or_none(Window, raw.get("window"), f"{where} window")
    limit = raw.get("max")
    if kind is ActionKind.RATE_LIMIT and (window is None or not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"{where}: a rate-limit needs a window and a positive whole max")
    action = Action(kind, window, limit if isinstance(limit, int) else None, str(raw.get("reason", "")))
    return _Rule(
        risk=_enum_or_none(Risk, when.get("risk"), f"{where} risk"),
        access=_enum_or_none(Access, when.get("access"), f"{where} access"),
        capability=_enum_or_none(Capability, when.get("capability"), f"{where} capability"),
        action=action,
    )


def load_profile(name_or_path: str = "balanced") -> Profile:
    """A built-in profile by name, or a user's TOML file by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = data_dir() / "profiles" / f"{name_or_path}.toml"
        if not path.is_file():
            raise ConfigError(f"no built-in profile '{name_or_path}'", hint="give a .toml path for your own")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no such profile file: {name_or_path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"profile {path.name} is not valid TOML: {error}") from None
    rules = document.get("rule", [])
    if not isinstance(rules, list) or not rules:
        raise ConfigError(f"profile {path.name} has no [[rule]] entries")
    name = str(document.get("name", path.stem))
    return Profile(name, tuple(_parse_rule(rule, f"profile {name} rule {n}") for n, rule in enumerate(rules, 1)))


class PolicyFormat(ABC):
    """A gateway dialect: renders the actions for a set of tools as that gateway's policy text."""

    @abstractmethod
    def render(self, tools: Sequence[StoredTool], profile: Profile) -> str:
        """The policy document, deterministic for the same input."""


def _classification(tool: StoredTool) -> Classification:
    if tool.classification is None:
        raise ConfigError(
            f"tool '{tool.tool.name}' on {tool.tool.server_key} has not been classified",
            hint="run `catalog classify`",
        )
    return tool.classification


class PolicyLayerJSON(PolicyFormat):
    """PolicyLayer's policy JSON: version, default deny, hide, per-tool require/deny_if/limits."""

    def __init__(self, indent: int | None = None) -> None:
        self.indent = indent

    def document(self, tools: Sequence[StoredTool], profile: Profile) -> dict[str, Any]:
        """The policy as a dict whose key order is the documented one (version, default, hide, tools)."""
        hidden: list[str] = []
        rules: dict[str, dict[str, Any]] = {}
        for tool in sorted(tools, key=lambda t: t.tool.name):
            name = tool.tool.name
            action = profile.action_for(_classification(tool))
            match action.kind:
                case ActionKind.ALLOW:
                    rules[name] = {}
                case ActionKind.RATE_LIMIT:
                    rules[name] = {"limits": [_limit(name, action)]}
                case ActionKind.APPROVE:
                    rules[name] = {"deny_if": [{"conditions": [], "on_deny": _approval_message(name)}]}
                case ActionKind.HIDE:
                    hidden.append(name)
        document: dict[str, Any] = {"version": "1", "default": "deny"}
        if hidden:
            document["hide"] = hidden
        document["tools"] = rules
        return document

    def render(self, tools: Sequence[StoredTool], profile: Profile) -> str:
        return json.dumps(self.document(tools, profile), indent=self.indent, ensure_ascii=False)


def _limit(name: str, action: Action) -> dict[str, Any]:
    assert action.window is not None and action.max is not None  # guaranteed by _parse_rule
    return {"counter": f"{name}_rate", "window": action.window.value, "max": action.max, "scope": "grant"}


def _approval_message(name: str) -> str:
    return f"{name} requires human approval"


def recommend(tools: Sequence[StoredTool], *, profile: str = "balanced", indent: int | None = None) -> str:
    """The recommended PolicyLayer policy for these tools under a profile."""
    if not tools:
        raise ConfigError("no tools to recommend a policy for")
    names = [t.tool.name for t in tools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"tool names repeat across servers in one policy: {', '.join(duplicates)}")
    return PolicyLayerJSON(indent).render(tools, load_profile(profile))
