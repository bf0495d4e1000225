"""The recommended policies the site shows: every dialect catalog.policy offers, cached across builds.

Rendering a policy (validated, in three dialects) costs milliseconds a tool, the largest part of a
build; the cache keys each rendering by its inputs (the tools' definitions, verdicts and servers),
the profile and the policy code itself, so a rebuild renders only policies whose inputs changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from catalog.policy import Action, Format, Profile, build_plan, dialect
from catalog.records import StoredTool

CACHE_FILE = ".catalog-site-policies.json"
_LABELS = {
    Format.POLICYLAYER: ("PolicyLayer JSON", "json"),
    Format.INTERCEPT: ("Intercept YAML", "yaml"),
    Format.CLAUDE_CODE: ("Claude Code permissions", "json"),
}


def _code_fingerprint() -> str:
    """A hash of the policy modules' source: new policy code renders policies afresh."""
    digest = hashlib.sha256()
    for name in sorted(n for n in sys.modules if n == "catalog.policy" or n.startswith("catalog.policy_")):
        source = getattr(sys.modules[name], "__file__", None)
        if source:
            digest.update(name.encode())
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()


class Policies:
    """The profile's actions and the policy text of tools and servers, rendered once per input."""

    def __init__(self, profile: Profile, cache: dict[str, list[dict[str, str]]] | None = None) -> None:
        self.profile = profile
        self.fingerprint = hashlib.sha256(f"{_code_fingerprint()}\0{profile!r}".encode()).hexdigest()
        self._previous = cache or {}
        self._used: dict[str, list[dict[str, str]]] = {}
        self.rendered = 0
        """How many policies were rendered (not taken from the cache) in this build."""

    def action(self, item: StoredTool) -> Action | None:
        """The profile's action for a classified tool; None for a tool not yet classified."""
        return self.profile.action_for(item.classification) if item.classification is not None else None

    def _key(self, tools: Sequence[StoredTool]) -> str:
        inputs = [[t.tool.server_key, t.server_name, t.tool.definition_hash,
                   t.classification.model_dump(mode="json") if t.classification else None]
                  for t in sorted(tools, key=lambda t: (t.tool.server_key, t.tool.name))]
        text = json.dumps([self.fingerprint, inputs], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def blocks(self, tools: Sequence[StoredTool]) -> list[dict[str, str]]:
        """The policy for these tools (the classified ones) in every dialect, as template data."""
        classified = [item for item in tools if item.classification is not None]
        if not classified:
            return []
        key = self._key(classified)
        found = self._used.get(key) or self._previous.get(key)
        if found is None:
            found = self._render(classified)
            self.rendered += 1
        self._used[key] = found
        return found

    def _render(self, tools: Sequence[StoredTool]) -> list[dict[str, str]]:
        plan = build_plan(tools, self.profile)
        blocks = []
        for chosen in Format:
            label, language = _LABELS.get(chosen, (chosen.value, "text"))
            text = dialect(chosen, indent=2).render_plan(plan)
            blocks.append({"dialect": chosen.value, "label": label, "language": language, "text": text})
        return blocks

    @classmethod
    def load(cls, folder: Path, profile: Profile) -> Policies:
        """Policies with the cache a previous build left in `folder` (none when absent or unreadable)."""
        try:
            document: Any = json.loads((folder / CACHE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            document = {}
        return cls(profile, document if isinstance(document, dict) else {})

    def save(self, folder: Path) -> None:
        """Keep the policies this build used, for the next build (untouched when nothing changed)."""
        if self._used == self._previous and (folder / CACHE_FILE).is_file():
            return
        temporary = folder / f"{CACHE_FILE}.tmp"
        temporary.write_text(json.dumps(self._used, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, folder / CACHE_FILE)
