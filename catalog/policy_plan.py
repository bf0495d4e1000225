"""The dialect-neutral plan: each tool's action and argument guards, which every dialect renders."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from catalog.errors import ConfigError
from catalog.policy_args import Guard, guards_for
from catalog.policy_profiles import Action, ActionKind, Profile
from catalog.records import Classification, StoredTool


@dataclass(frozen=True)
class ToolPlan:
    """One tool's part of a policy."""

    name: str
    server_key: str
    server_name: str
    classification: Classification
    action: Action
    guards: tuple[Guard, ...]


@dataclass(frozen=True)
class Plan:
    """Everything a dialect needs, sorted by tool name so output diffs cleanly."""

    profile: Profile
    tools: tuple[ToolPlan, ...]
    root: str | None = None

    @property
    def hidden(self) -> tuple[ToolPlan, ...]:
        """The tools the profile hides."""
        return tuple(t for t in self.tools if t.action.kind is ActionKind.HIDE)

    @property
    def listed(self) -> tuple[ToolPlan, ...]:
        """The tools that appear under `tools` (every one not hidden)."""
        return tuple(t for t in self.tools if t.action.kind is not ActionKind.HIDE)

    @property
    def server_keys(self) -> tuple[str, ...]:
        """The servers the tools come from, sorted."""
        return tuple(sorted({t.server_key for t in self.tools}))


def classification_of(tool: StoredTool) -> Classification:
    """The tool's stored classification; an unclassified tool is an error, never an allow."""
    if tool.classification is None:
        raise ConfigError(
            f"tool '{tool.tool.name}' on {tool.tool.server_key} has not been classified",
            hint="run `catalog classify`",
        )
    return tool.classification


def build_plan(tools: Sequence[StoredTool], profile: Profile, root: str | None = None) -> Plan:
    """Decide every tool's action and guards under a profile."""
    if not tools:
        raise ConfigError("no tools to recommend a policy for")
    names = [t.tool.name for t in tools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"tool names repeat across servers in one policy: {', '.join(duplicates)}")
    planned = []
    for item in sorted(tools, key=lambda t: t.tool.name):
        verdict = classification_of(item)
        action = profile.action_for(verdict)
        guards = () if action.kind in {ActionKind.HIDE, ActionKind.DENY} else guards_for(
            item.tool, verdict, profile.arguments, root
        )
        planned.append(ToolPlan(item.tool.name, item.tool.server_key, item.server_name, verdict, action, guards))
    return Plan(profile, tuple(planned), root)


def one_line(text: str) -> str:
    """Text safe for a comment or a message: whitespace runs (newlines too) become one space."""
    return re.sub(r"\s+", " ", text).strip()


class PolicyFormat(ABC):
    """A gateway dialect: renders the actions for a set of tools as that gateway's policy text."""

    name: str
    """The --format value."""

    def __init__(self, indent: int | None = None, root: str | None = None) -> None:
        self.indent = indent
        self.root = root

    def render(self, tools: Sequence[StoredTool], profile: Profile) -> str:
        """The policy document, deterministic for the same input, validated before it is returned."""
        return self.render_plan(build_plan(tools, profile, self.root))

    @abstractmethod
    def render_plan(self, plan: Plan) -> str:
        """The policy text for a plan."""

    @abstractmethod
    def check(self, text: str) -> list[str]:
        """One line per problem with a policy file's text in this dialect; empty when valid."""
