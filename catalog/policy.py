"""Recommended gateway policies: a profile maps each classification to an action; a dialect renders it.

    policy_profiles   the profile table (TOML) → Action per classification
    policy_args       argument guards read from a tool's input schema
    policy_plan       the dialect-neutral plan and the PolicyFormat seam
    policy_policylayer / policy_intercept / policy_claude   one dialect each, with its validator
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from catalog.errors import ConfigError
from catalog.policy_claude import ClaudeCodeJSON
from catalog.policy_intercept import InterceptYAML
from catalog.policy_plan import Plan, PolicyFormat, ToolPlan, build_plan
from catalog.policy_policylayer import PolicyLayerJSON
from catalog.policy_profiles import (
    BUILTIN_PROFILES,
    Action,
    ActionKind,
    ArgumentLimits,
    Profile,
    Window,
    load_profile,
)
from catalog.records import StoredServer, StoredTool

__all__ = [
    "BUILTIN_PROFILES",
    "Action",
    "ActionKind",
    "ArgumentLimits",
    "ClaudeCodeJSON",
    "Format",
    "InterceptYAML",
    "Plan",
    "PolicyFormat",
    "PolicyLayerJSON",
    "Profile",
    "ToolPlan",
    "Window",
    "build_plan",
    "check_policy",
    "dialect",
    "load_profile",
    "parse_format",
    "recommend",
    "select_tools",
]


class Format(StrEnum):
    """The dialects `recommend` speaks."""

    POLICYLAYER = "policylayer"
    INTERCEPT = "intercept"
    CLAUDE_CODE = "claude-code"


def parse_format(value: Format | str) -> Format:
    """A format by name; an unknown name is a one-line error listing the known ones."""
    try:
        return Format(value)
    except ValueError:
        raise ConfigError(f"unknown policy format '{value}' ({', '.join(f.value for f in Format)})") from None


def dialect(
    format: Format | str = Format.POLICYLAYER,
    *,
    indent: int | None = None,
    root: str | None = None,
    merge: Path | None = None,
    mcp_names: Sequence[str] = (),
) -> PolicyFormat:
    """The renderer for a format name."""
    chosen = parse_format(format)
    if merge is not None and chosen is not Format.CLAUDE_CODE:
        raise ConfigError("--merge only applies to --format claude-code")
    if mcp_names and chosen is not Format.CLAUDE_CODE:
        raise ConfigError("--mcp-name only applies to --format claude-code")
    match chosen:
        case Format.POLICYLAYER:
            return PolicyLayerJSON(indent, root)
        case Format.INTERCEPT:
            return InterceptYAML(indent, root)
        case Format.CLAUDE_CODE:
            return ClaudeCodeJSON(indent, root, merge, mcp_names)


def recommend(
    tools: Sequence[StoredTool],
    *,
    profile: str = "balanced",
    format: Format | str = Format.POLICYLAYER,
    indent: int | None = None,
    root: str | None = None,
    merge: Path | None = None,
    mcp_names: Sequence[str] = (),
) -> str:
    """The recommended policy for these tools under a profile, in one dialect, validated.

    `mcp_names` (claude-code only): `KEY=NAME` or, for one server, `NAME`: the name the server
    is registered under in Claude Code, which its `mcp__<name>__<tool>` rules must use."""
    renderer = dialect(format, indent=indent, root=root, merge=merge, mcp_names=mcp_names)
    return renderer.render(tools, load_profile(profile))


class ToolSource(Protocol):
    """The part of the store `select_tools` reads."""

    def tool(self, name: str, server: str | None = None) -> StoredTool: ...

    def tools(self, *, server: str | None = None) -> list[StoredTool]: ...

    def server(self, key: str) -> StoredServer: ...


def select_tools(store: ToolSource, names: Sequence[str], server: str | None) -> list[StoredTool]:
    """The named tools (on `server` when given), or every current tool of `server` when none are named."""
    if names:
        return [store.tool(name, server) for name in dict.fromkeys(names)]
    if server is None:
        raise ConfigError("give --tool NAME (repeatable) or --server KEY")
    store.server(server)  # an unknown server is NotFound, not an empty policy
    found = store.tools(server=server)
    if not found:
        raise ConfigError(f"server '{server}' has no current tools")
    return found


def _guess(path: Path, text: str) -> Format:
    if path.suffix.lower() in {".yaml", ".yml"}:
        return Format.INTERCEPT
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return Format.INTERCEPT if path.suffix.lower() != ".json" else Format.POLICYLAYER
    if isinstance(document, dict) and "permissions" in document and "version" not in document:
        return Format.CLAUDE_CODE
    return Format.POLICYLAYER


def check_policy(path: Path, format: Format | str | None = None) -> tuple[Format, list[str]]:
    """The dialect of a policy file (given or guessed) and its problems, one line each; none when valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no such policy file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    chosen = parse_format(format) if format is not None else _guess(path, text)
    return chosen, dialect(chosen).check(text)
