"""The site's map of the catalog: slugs and paths for every server and tool, groupings, related tools."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from catalog.records import Access, Capability, Risk, StoredServer, StoredTool
from catalog.site.data import SiteData, ToolKey
from catalog.site.slugs import unique_slugs
from catalog.site.text import words

RELATED_SAME_SERVER = 6
RELATED_ELSEWHERE = 6
_SCAN = 16
"""How far along a shared-word list related tools are looked for: bounded work on huge catalogs."""
_COMMON_WORDS = frozenset({"get", "list", "set", "the", "a", "an", "of", "to", "by", "for", "and", "mcp"})


def risk_rank(item: StoredTool) -> int:
    """0 (unclassified) up to 4 (critical), for sorting riskiest first."""
    return item.classification.risk.rank + 1 if item.classification else 0


def key_of(item: StoredTool) -> ToolKey:
    """A tool's (server key, name)."""
    return (item.tool.server_key, item.tool.name)


@dataclass(frozen=True)
class SiteMap:
    """Where everything lives on the site, and how tools group; built once per build."""

    data: SiteData
    links: dict[ToolKey, dict[str, Any]] = field(default_factory=dict, compare=False)
    """Template data of tool links, filled as pages ask for them."""

    @cached_property
    def server_slugs(self) -> dict[str, str]:
        """Server key → slug, unique across the catalog."""
        keys = {server.key for server in self.data.servers} | {t.tool.server_key for t in self.data.tools}
        return unique_slugs(keys, "server")

    @cached_property
    def tool_slugs(self) -> dict[ToolKey, str]:
        """(server key, tool name) → slug, unique within its server."""
        names: dict[str, list[str]] = defaultdict(list)
        for item in self.data.tools:
            names[item.tool.server_key].append(item.tool.name)
        slugs: dict[ToolKey, str] = {}
        for server_key, found in names.items():
            for name, slug in unique_slugs(found, "tool").items():
                slugs[(server_key, name)] = slug
        return slugs

    def tool_path(self, key: ToolKey) -> str:
        """The tool page's directory, from the site root, with a trailing slash."""
        return f"tools/{self.server_slugs[key[0]]}/{self.tool_slugs[key]}/"

    def tool_api_path(self, key: ToolKey) -> str:
        """The tool's JSON file, from the site root."""
        return f"api/tools/{self.server_slugs[key[0]]}/{self.tool_slugs[key]}.json"

    def server_path(self, server_key: str) -> str:
        """The server page's directory, from the site root."""
        return f"servers/{self.server_slugs[server_key]}/"

    def server_api_path(self, server_key: str) -> str:
        """The server's JSON file, from the site root."""
        return f"api/servers/{self.server_slugs[server_key]}.json"

    @cached_property
    def tools(self) -> list[StoredTool]:
        """Every tool, ordered by (server slug, tool slug): the order of the site's files."""
        return sorted(self.data.tools, key=lambda t: (self.server_slugs[t.tool.server_key],
                                                      self.tool_slugs[key_of(t)]))

    @cached_property
    def servers(self) -> list[StoredServer]:
        """Every server, ordered by slug."""
        return sorted(self.data.servers, key=lambda s: self.server_slugs[s.key])

    @cached_property
    def by_server(self) -> dict[str, list[StoredTool]]:
        """Tools of each server, in site order."""
        grouped: dict[str, list[StoredTool]] = defaultdict(list)
        for item in self.tools:
            grouped[item.tool.server_key].append(item)
        return grouped

    def riskiest_first(self, tools: list[StoredTool]) -> list[StoredTool]:
        """Tools sorted by risk (critical first, unclassified last), then by site order."""
        return sorted(tools, key=lambda t: (-risk_rank(t), self._positions[key_of(t)]))

    @cached_property
    def _groups(self) -> dict[Access | Risk | Capability, list[StoredTool]]:
        grouped: dict[Access | Risk | Capability, list[StoredTool]] = defaultdict(list)
        for item in self.tools:
            if item.classification is not None:
                verdict = item.classification
                groups: list[Access | Risk | Capability] = [verdict.access, verdict.risk, *verdict.capabilities]
                for group in groups:
                    grouped[group].append(item)
        ordered: list[Access | Capability] = [*Access, *Capability]
        for group in ordered:
            grouped[group] = self.riskiest_first(grouped[group])
        return grouped

    def by_access(self, access: Access) -> list[StoredTool]:
        """Tools of an access class, riskiest first."""
        return self._groups[access]

    def by_risk(self, risk: Risk) -> list[StoredTool]:
        """Tools of a risk level, in site order."""
        return self._groups[risk]

    def by_capability(self, capability: Capability) -> list[StoredTool]:
        """Tools with a capability, riskiest first."""
        return self._groups[capability]

    @cached_property
    def _positions(self) -> dict[ToolKey, int]:
        """A tool's index in `tools` and in its server's list."""
        return {key_of(item): n for n, item in enumerate(self.tools)}

    @cached_property
    def _word_lists(self) -> dict[tuple[Access | None, str], list[int]]:
        """(access, name word) → indexes into `tools`, ascending; the word "" lists the whole class."""
        lists: dict[tuple[Access | None, str], list[int]] = defaultdict(list)
        for index, item in enumerate(self.tools):
            access = item.classification.access if item.classification else None
            lists[(access, "")].append(index)
            for word in dict.fromkeys(words(item.tool.name)):
                if word not in _COMMON_WORDS:
                    lists[(access, word)].append(index)
        return lists

    def related(self, index: int) -> tuple[list[StoredTool], list[StoredTool]]:
        """Related tools of tools[index]: name neighbours on its server, then same-access tools elsewhere
        sharing the most name words (ties and the rest filled by nearness in site order)."""
        item = self.tools[index]
        siblings = self.by_server[item.tool.server_key]
        position = index - self._positions[key_of(siblings[0])]
        others = siblings[position + 1:] + siblings[:position]
        half = RELATED_SAME_SERVER // 2
        same_server = others if len(others) <= RELATED_SAME_SERVER else others[:half] + others[-half:]
        access = item.classification.access if item.classification else None
        votes: Counter[int] = Counter()
        for word in ["", *dict.fromkeys(words(item.tool.name))]:
            found = self._word_lists.get((access, word), [])
            start = bisect.bisect_left(found, index)
            for candidate in found[max(0, start - _SCAN // 2): start + _SCAN // 2]:
                if self.tools[candidate].tool.server_key != item.tool.server_key:
                    votes[candidate] += 1
        ranked = sorted(votes, key=lambda n: (-votes[n], abs(n - index), n))[:RELATED_ELSEWHERE]
        return same_server, [self.tools[n] for n in ranked]
