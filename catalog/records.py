"""The vocabulary every stage speaks: frozen records for servers, tools, classifications, failures."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Access(StrEnum):
    """What a tool does to the world."""

    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"


class Risk(StrEnum):
    """How much harm a careless call can do."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for critical, for ordering."""
        return list(Risk).index(self)


class Category(StrEnum):
    """The coarse class other catalogs show (Financial and Execute win over the access class)."""

    READ = "Read"
    WRITE = "Write"
    EXECUTE = "Execute"
    DESTRUCTIVE = "Destructive"
    FINANCIAL = "Financial"


class Capability(StrEnum):
    """What a tool can reach, beyond its access class."""

    EXECUTES_CODE = "executes-code"
    MOVES_MONEY = "moves-money"
    SENDS_MESSAGES = "sends-messages"
    SECRETS = "secrets"
    FILESYSTEM = "filesystem"
    NETWORK_EGRESS = "network-egress"
    ADMIN = "admin"
    PERSONAL_DATA = "personal-data"


class OriginKind(StrEnum):
    """Where a server (or a sighting of it) was found."""

    GITHUB = "github"
    LOCAL = "local"
    NPM = "npm"
    PYPI = "pypi"
    URL = "url"
    STDIO = "stdio"
    SAVED = "saved"
    REGISTRY = "registry"


class LocationKind(StrEnum):
    """How a tool definition was seen."""

    STATIC = "static"
    LIVE = "live"
    SAVED = "saved"
    REGISTRY = "registry"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ToolHints(_Frozen):
    """The MCP annotations a server declares; None means absent, which is not the same as false."""

    read_only: bool | None = Field(default=None, alias="readOnlyHint")
    """readOnlyHint: the tool does not modify its environment."""
    destructive: bool | None = Field(default=None, alias="destructiveHint")
    """destructiveHint: the tool may perform destructive updates."""
    idempotent: bool | None = Field(default=None, alias="idempotentHint")
    """idempotentHint: repeated calls with the same arguments have no further effect."""
    open_world: bool | None = Field(default=None, alias="openWorldHint")
    """openWorldHint: the tool interacts with an open world of external entities."""

    def declared(self) -> dict[str, bool]:
        """The hints that were declared, under their wire names, absent ones left out."""
        return self.model_dump(by_alias=True, exclude_none=True)

    @property
    def any_declared(self) -> bool:
        """True when at least one hint was declared."""
        return bool(self.declared())


class Location(_Frozen):
    """Where one tool definition was found: a file and line, a live endpoint, a registry."""

    kind: LocationKind
    """static (source code), live (tools/list), saved (a recorded listing), registry (a payload)."""
    file: str | None = None
    """Path inside the crawled tree, POSIX separators, for static finds."""
    line: int | None = None
    """1-based line of the registration, for static finds."""
    detail: str | None = None
    """A URL, command, package or registry name, where that says more than a file."""

    def describe(self) -> str:
        """A short human form: `src/tools.ts:42`, `live`, `registry smithery`."""
        if self.file is not None:
            return f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{self.kind.value} {self.detail}" if self.detail else self.kind.value


class ToolRecord(_Frozen):
    """One tool as a server defines it."""

    server_key: str
    """The key of the server that offers it (see ServerRecord.key)."""
    name: str
    """The tool's name as agents call it."""
    title: str | None = None
    """A human title (top-level or from annotations)."""
    description: str = ""
    """The description the server gives; untrusted text."""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    """The JSON Schema of the arguments."""
    output_schema: dict[str, Any] | None = None
    """The JSON Schema of structured results, when declared."""
    hints: ToolHints = Field(default_factory=ToolHints)
    """Declared annotations."""
    meta: dict[str, Any] | None = None
    """The `_meta` object of a live definition, when any."""
    location: Location
    """Where this definition was seen (not part of the definition hash)."""

    def definition(self) -> dict[str, Any]:
        """The definition proper: everything that identifies what the tool is, location excluded."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "input_schema": self.input_schema,
            "output_schema": self.output_schema,
            "hints": self.hints.declared(),
            "meta": self.meta,
        }

    @property
    def definition_hash(self) -> str:
        """sha256 of the canonical JSON of the definition; equal definitions hash equal anywhere."""
        return definition_hash(self.definition())


def definition_hash(definition: dict[str, Any]) -> str:
    """sha256 hex digest of a definition's canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Origin(_Frozen):
    """One place a server was found."""

    kind: OriginKind
    """github, local, npm, pypi, url, stdio, saved, registry."""
    value: str
    """The identity in that place: `owner/repo`, a package name, a URL, a registry entry name."""
    version: str | None = None
    """Ref, commit, or package version, when known."""
    url: str | None = None
    """A link a person can follow, when there is one."""


class ServerRecord(_Frozen):
    """One MCP server, identified by a canonical key such as `github:owner/repo`."""

    key: str
    """Canonical key: github:owner/repo[#subpath], npm:@scope/name, pypi:name, url:..., local:name."""
    name: str
    """A display name."""
    title: str | None = None
    """A longer human title."""
    description: str | None = None
    """What the server says it is; untrusted text."""
    version: str | None = None
    """Version reported by the server or package."""
    instructions: str | None = None
    """Server instructions from initialize; untrusted text."""
    origins: tuple[Origin, ...] = ()
    """Every place this crawl found it."""
    notes: tuple[str, ...] = ()
    """Things a user should know about this crawl (for instance: tools built at run time)."""


class CrawlFailure(_Frozen):
    """A target or server that could not be crawled: data, stored and shown, not a crash."""

    target: str
    """What the user asked to crawl."""
    server_key: str | None = None
    """The server concerned, when known."""
    stage: str
    """Where it failed: resolve, fetch, extract, list, store."""
    reason: str
    """One line a person can act on."""


class CrawlResult(_Frozen):
    """What a source yields for one server: the server, its tools, and anything that went wrong."""

    server: ServerRecord
    tools: tuple[ToolRecord, ...] = ()
    failures: tuple[CrawlFailure, ...] = ()
    complete: bool = True
    """False when the tool list is known to be partial (tools built at run time, skipped files)."""
    seen_by: LocationKind | None = None
    """The kind of crawl this was (static, live, ...); when None, the tools' locations and the
    server's origins say. A live run of a package sets it, as its origins (npm, pypi) cannot."""


class Flag(_Frozen):
    """Something odd about a tool: hints that contradict behaviour, suspicious instructions."""

    kind: str
    """hints-contradict, suspicious-instructions, ..."""
    message: str
    """One human sentence."""
    span: str | None = None
    """The matching text, when the flag points at a part of a description."""


class Classification(_Frozen):
    """The classifier's verdict on one tool definition."""

    access: Access
    risk: Risk
    category: Category
    capabilities: tuple[Capability, ...] = ()
    """Sorted, unique."""
    confidence: float = Field(ge=0.0, le=1.0)
    reasons: tuple[str, ...] = ()
    """Human sentences, strongest first."""
    flags: tuple[Flag, ...] = ()
    classifier_version: str


class ToolSighting(_Frozen):
    """What one kind of crawl (static, live, saved, registry) last saw of a tool, and when."""

    kind: LocationKind
    definition_hash: str
    """The definition that kind of crawl saw last."""
    location: Location
    """Where it saw it."""
    first_seen: datetime
    last_seen: datetime
    missing_since: datetime | None = None
    """When a complete crawl of this kind stopped seeing the tool; None while it still sees it."""

    @property
    def seeing(self) -> bool:
        """True while the latest crawl of this kind still saw the tool."""
        return self.missing_since is None


class StoredTool(_Frozen):
    """A tool as the store holds it: its current definition, classification and dates."""

    tool: ToolRecord
    classification: Classification | None
    server_name: str
    first_seen: datetime
    last_seen: datetime
    removed: bool = False
    """True when no kind of crawl of its server still sees it."""
    sightings: tuple[ToolSighting, ...] = ()
    """Which kinds of crawl saw it (static, live, ...), in kind order."""


class StoredServer(_Frozen):
    """A server as the store holds it, with its origins and tool counts."""

    key: str
    name: str
    title: str | None = None
    description: str | None = None
    version: str | None = None
    origins: tuple[Origin, ...] = ()
    status: str
    """ok (last crawl succeeded), partial, failed."""
    tool_count: int
    first_seen: datetime
    last_seen: datetime
    notes: tuple[str, ...] = ()
    upstream_status: str | None = None
    instructions: str | None = None
    """The server's initialize instructions, when a live crawl saw them; untrusted text."""
    """What a registry last said: active, deprecated, deleted, removed (no longer listed); None if unlisted."""


class ToolVersion(_Frozen):
    """One definition a tool has had, with when it was first and last seen."""

    definition_hash: str
    definition: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
