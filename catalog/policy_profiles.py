"""Policy profiles: one ordered table maps a classification to a dialect-neutral action."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from catalog.errors import ConfigError
from catalog.paths import data_dir
from catalog.records import Access, Capability, Category, Classification, Risk

E = TypeVar("E", bound=StrEnum)

BUILTIN_PROFILES = ("strict", "balanced", "permissive")


class ActionKind(StrEnum):
    """What a gateway does with a call to one tool, from most to least permissive."""

    ALLOW = "allow"
    RATE_LIMIT = "rate-limit"
    APPROVE = "approve"
    DENY = "deny"
    HIDE = "hide"

    @property
    def permissiveness(self) -> int:
        """4 for allow down to 0 for hide: a higher number lets more calls through."""
        return len(ActionKind) - 1 - list(ActionKind).index(self)


class Window(StrEnum):
    """Counting windows a rate limit can use (the same three in every dialect)."""

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
class ArgumentLimits:
    """The numbers argument-aware rules use; each profile sets its own."""

    max_amount: int = 10_000
    """Largest single amount on a money-moving tool, in the tool's own unit (often cents)."""
    max_daily_amount: int = 50_000
    """Largest sum of amounts per tool per UTC day (Intercept only: it has spend counters)."""
    max_quantity: int = 100
    """Largest quantity on a money-moving tool."""
    max_recipients: int = 10
    """Most recipients in one comma- or semicolon-separated recipient string."""


@dataclass(frozen=True)
class _Rule:
    risk: Risk | None
    access: Access | None
    category: Category | None
    capability: Capability | None
    action: Action

    def matches(self, classification: Classification) -> bool:
        return (
            (self.risk is None or classification.risk == self.risk)
            and (self.access is None or classification.access == self.access)
            and (self.category is None or classification.category == self.category)
            and (self.capability is None or self.capability in classification.capabilities)
        )


@dataclass(frozen=True)
class Profile:
    """An ordered table of rules; the first that matches a classification decides its action."""

    name: str
    rules: tuple[_Rule, ...]
    ceiling_by_risk: Mapping[Risk, ActionKind] = field(default_factory=dict)
    """The most permissive action any tool of that risk may get."""
    ceiling_by_access: Mapping[Access, ActionKind] = field(default_factory=dict)
    """The most permissive action any tool of that access class may get."""
    arguments: ArgumentLimits = ArgumentLimits()
    all_tools: Action | None = None
    """A rate limit over every call of a grant, when the profile sets one."""
    description: str = ""

    def action_for(self, classification: Classification) -> Action:
        """The action for a classification; a profile that matches nothing hides the tool (fail closed)."""
        for rule in self.rules:
            if rule.matches(classification):
                return rule.action
        return Action(ActionKind.HIDE, reason=f"profile '{self.name}' has no rule for this tool")

    def ceiling(self, classification: Classification) -> ActionKind:
        """The most permissive action this profile allows for the classification's risk and access."""
        limits = [
            self.ceiling_by_risk.get(classification.risk, ActionKind.ALLOW),
            self.ceiling_by_access.get(classification.access, ActionKind.ALLOW),
        ]
        return min(limits, key=lambda kind: kind.permissiveness)


def _enum_or_none(enum: type[E], value: object, where: str) -> E | None:
    if value is None:
        return None
    try:
        return enum(str(value))
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise ConfigError(f"{where}: '{value}' is not one of {choices}") from None


def _table(raw: object, where: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table")
    return raw


def _action(raw: Mapping[str, Any], where: str) -> Action:
    kind = _enum_or_none(ActionKind, raw.get("action"), f"{where} action")
    if kind is None:
        raise ConfigError(f"{where}: every rule needs an action")
    window = _enum_or_none(Window, raw.get("window"), f"{where} window")
    limit = raw.get("max")
    if kind is ActionKind.RATE_LIMIT and (
        window is None or not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
    ):
        raise ConfigError(f"{where}: a rate-limit needs a window and a positive whole max")
    limit = limit if kind is ActionKind.RATE_LIMIT else None
    return Action(kind, window if limit else None, limit, " ".join(str(raw.get("reason", "")).split()))


def _parse_rule(raw: Mapping[str, Any], where: str) -> _Rule:
    when = _table(raw.get("when"), f"{where}: 'when'")
    unknown = sorted(set(when) - {"risk", "access", "category", "capability"})
    if unknown:
        raise ConfigError(f"{where}: unknown 'when' key '{unknown[0]}' (risk, access, category, capability)")
    return _Rule(
        risk=_enum_or_none(Risk, when.get("risk"), f"{where} risk"),
        access=_enum_or_none(Access, when.get("access"), f"{where} access"),
        category=_enum_or_none(Category, when.get("category"), f"{where} category"),
        capability=_enum_or_none(Capability, when.get("capability"), f"{where} capability"),
        action=_action(raw, where),
    )


def _ceilings(raw: Mapping[str, Any], enum: type[E], where: str) -> dict[E, ActionKind]:
    ceilings: dict[E, ActionKind] = {}
    for key, value in raw.items():
        member = _enum_or_none(enum, key, where)
        kind = _enum_or_none(ActionKind, value, f"{where} {key}")
        if member is not None and kind is not None:
            ceilings[member] = kind
    return ceilings


def _arguments(raw: Mapping[str, Any], where: str) -> ArgumentLimits:
    defaults = ArgumentLimits()
    values: dict[str, int] = {}
    for key, value in raw.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"{where}: unknown setting '{key}'")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}: '{key}' must be a positive whole number")
        values[key] = value
    return ArgumentLimits(**values)


def _accesses_of(category: Category | None) -> list[Access]:
    # Read, Write and Destructive are the access class itself; Execute and Financial win over any.
    if category is not None and category.value.lower() in {a.value for a in Access}:
        return [Access(category.value.lower())]
    return list(Access)


def _check_ceilings(profile: Profile) -> None:
    """Refuse a profile whose table gives some reachable tool a looser action than its ceiling."""
    decided: set[tuple[Risk, Access]] = set()  # pairs an earlier rule decides whatever the capabilities
    for number, rule in enumerate(profile.rules, 1):
        risks = [rule.risk] if rule.risk is not None else list(Risk)
        accesses = [rule.access] if rule.access is not None else _accesses_of(rule.category)
        reachable = [(r, a) for r in risks for a in accesses if (r, a) not in decided]
        for risk, access in reachable:
            ceiling = min(
                profile.ceiling_by_risk.get(risk, ActionKind.ALLOW),
                profile.ceiling_by_access.get(access, ActionKind.ALLOW),
                key=lambda kind: kind.permissiveness,
            )
            if rule.action.kind.permissiveness > ceiling.permissiveness:
                raise ConfigError(
                    f"profile {profile.name} rule {number}: '{rule.action.kind.value}' is looser than "
                    f"the ceiling '{ceiling.value}' for risk {risk.value}, access {access.value}"
                )
        if rule.category is None and rule.capability is None:
            decided.update(reachable)


def _read(name_or_path: str) -> tuple[Path, dict[str, Any]]:
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = data_dir() / "profiles" / f"{name_or_path}.toml"
        if not path.is_file():
            raise ConfigError(
                f"no built-in profile '{name_or_path}' ({', '.join(BUILTIN_PROFILES)})",
                hint="give a .toml path for your own",
            )
    try:
        return path, tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no such profile file: {name_or_path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"profile {path.name} is not valid TOML: {error}") from None


def load_profile(name_or_path: str = "balanced") -> Profile:
    """A built-in profile by name, or a user's TOML file by path."""
    path, document = _read(name_or_path)
    rules = document.get("rule", [])
    if not isinstance(rules, list) or not rules:
        raise ConfigError(f"profile {path.name} has no [[rule]] entries")
    name = str(document.get("name", path.stem))
    where = f"profile {name}"
    ceiling = _table(document.get("ceiling"), f"{where} [ceiling]")
    all_tools = _table(document.get("all_tools"), f"{where} [all_tools]")
    profile = Profile(
        name=name,
        rules=tuple(_parse_rule(_table(rule, f"{where} rule {n}"), f"{where} rule {n}")
                    for n, rule in enumerate(rules, 1)),
        ceiling_by_risk=_ceilings(_table(ceiling.get("risk"), f"{where} [ceiling.risk]"), Risk, f"{where} [ceiling.risk]"),
        ceiling_by_access=_ceilings(
            _table(ceiling.get("access"), f"{where} [ceiling.access]"), Access, f"{where} [ceiling.access]"
        ),
        arguments=_arguments(_table(document.get("arguments"), f"{where} [arguments]"), f"{where} [arguments]"),
        all_tools=_action({"action": "rate-limit", **all_tools}, f"{where} [all_tools]") if all_tools else None,
        description=str(document.get("description", "")),
    )
    _check_ceilings(profile)
    return profile
