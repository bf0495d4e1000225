"""Who a listed server is: normalised repository URLs and packages, and the key several sightings share.

Canonical key, when an entry is first seen (first sighting wins; keys never change afterwards,
since tools, history and verdicts hang off them):

1. `github:owner/repo#subfolder` when the entry names a GitHub repository and a subfolder;
2. `github:owner/repo` when it names a GitHub repository, unless another entry of the same
   registry already holds that key (one repository, several servers: a monorepo);
3. `npm:name` / `pypi:name` for its first npm or PyPI package;
4. `registry:<official name>` for the official registry (`registry:io.github.owner/name`),
   `registry:<registry>:<id>` for the others.

An entry joins an existing server when any of its identities is already known: its registry
origin, a package, the official name it declares (`mcpName`), a repository with subfolder, or a
bare repository (only for entries without packages: npm packages of a monorepo share it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from catalog.records import Origin, OriginKind, StoredServer
from crawler.registries.base import RegistryEntry

GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")
_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class RepoRef:
    """A repository on a forge, normalised: lower-case host/owner/repo, no `.git`, optional subfolder."""

    host: str
    owner: str
    repo: str
    subfolder: str | None = None

    @property
    def slug(self) -> str:
        """owner/repo."""
        return f"{self.owner}/{self.repo}"

    @property
    def is_github(self) -> bool:
        """True for github.com repositories."""
        return self.host == "github.com"

    def key(self, with_subfolder: bool = True) -> str:
        """`github:owner/repo[#sub]` on GitHub, `git:host/owner/repo[#sub]` elsewhere."""
        base = f"github:{self.slug}" if self.is_github else f"git:{self.host}/{self.slug}"
        return f"{base}#{self.subfolder}" if with_subfolder and self.subfolder else base


@functools.lru_cache(maxsize=65_536)
def normalise_repo_url(url: str | None, subfolder: str | None = None) -> RepoRef | None:
    """A RepoRef from the many ways people write a repository URL, or None when it is not one.

    Handles case, `www.`, `git+`, `git://`, `ssh://git@`, `git@host:owner/repo`, a `.git`
    suffix, trailing slashes and `/tree/<ref>/<path>` or `/blob/<ref>/<path>` subpaths (the
    path after the ref becomes the subfolder; an explicit subfolder wins).
    """
    if not url or not isinstance(url, str):
        return None
    text = url.strip().removeprefix("git+")
    scp = _SCP_LIKE.match(text)
    if scp and "://" not in text:
        text = f"https://{scp['host']}/{scp['path']}"
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return None
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if not host or len(segments) < 2:
        return None
    owner, repo = segments[0].lower(), segments[1].lower().removesuffix(".git")
    if not owner or not repo or repo in (".", ".."):
        return None
    rest = segments[2:]
    inferred = "/".join(rest[2:]) if len(rest) > 2 and rest[0] in ("tree", "blob") else None
    return RepoRef(host, owner, repo, _clean_subfolder(subfolder) or _clean_subfolder(inferred))


def _clean_subfolder(value: str | None) -> str | None:
    if not value:
        return None
    cleaned = "/".join(part for part in value.strip().split("/") if part not in ("", "."))
    return cleaned or None


@functools.lru_cache(maxsize=65_536)
def package_key(registry_type: str, identifier: str) -> str | None:
    """`npm:name` (scoped names keep their case-insensitive form) or `pypi:name` (PEP 503); None otherwise."""
    kind = registry_type.lower()
    name = identifier.strip()
    if not name:
        return None
    if kind == "npm":
        return f"npm:{name.lower()}"
    if kind == "pypi":
        return f"pypi:{_PEP503.sub('-', name).lower()}"
    return None


def registry_key(entry: RegistryEntry) -> str:
    """`registry:<official name>` for the official registry, `registry:<registry>:<id>` for others."""
    if entry.registry == "official":
        return f"registry:{entry.entry_id}"
    return f"registry:{entry.registry}:{entry.entry_id}"


def entry_repo(entry: RegistryEntry) -> RepoRef | None:
    """The entry's repository, normalised."""
    return normalise_repo_url(entry.repository_url, entry.subfolder)


def identities(entry: RegistryEntry) -> list[str]:
    """Every identity the entry can be matched by, strongest first (see the module docstring)."""
    found = [f"origin:{entry.origin_value}"]
    if entry.registry == "official":
        found.append(f"mcpname:{entry.entry_id.lower()}")
    if entry.mcp_name:
        found.append(f"mcpname:{entry.mcp_name.lower()}")
    found += [key for p in entry.packages if (key := package_key(p.registry_type, p.identifier))]
    repo = entry_repo(entry)
    if repo is not None and repo.subfolder:
        found.append(repo.key())
    if repo is not None and not repo.subfolder and not entry.packages:
        found.append(repo.key(with_subfolder=False))
    return found


def entry_origins(entry: RegistryEntry) -> tuple[Origin, ...]:
    """The origins one entry gives its server: the registry entry, its repository, its packages."""
    origins = [Origin(kind=OriginKind.REGISTRY, value=entry.origin_value, version=entry.version, url=entry.link)]
    repo = entry_repo(entry)
    if repo is not None and repo.is_github:
        origins.append(Origin(kind=OriginKind.GITHUB, value=repo.slug, url=f"https://github.com/{repo.slug}"))
    for package in entry.packages:
        key = package_key(package.registry_type, package.identifier)
        if key is not None:
            kind = OriginKind.NPM if key.startswith("npm:") else OriginKind.PYPI
            origins.append(Origin(kind=kind, value=package.identifier, version=package.version))
    return tuple(origins)


class IdentityIndex:
    """Identity → server key for every server known so far, fed from the store and from each new entry."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._registry_ids: dict[str, set[str]] = {}

    @classmethod
    def from_servers(cls, servers: Iterable[StoredServer]) -> IdentityIndex:
        """An index of stored servers: their keys, and the identities their origins imply."""
        index = cls()
        for server in servers:
            index._claim(server.key, server.key)
            for origin in server.origins:
                for identity in _origin_identities(origin):
                    index._claim(identity, server.key)
                if origin.kind is OriginKind.REGISTRY:
                    index._registry_ids.setdefault(server.key, set()).add(origin.value)
        return index

    def key_for(self, entry: RegistryEntry) -> str:
        """The server key this entry belongs to, recording the entry's identities under it."""
        for identity in identities(entry):
            known = self._keys.get(identity)
            if known is not None:
                self.add(known, entry)
                return known
        key = self._new_key(entry)
        self.add(key, entry)
        return key

    def add(self, key: str, entry: RegistryEntry) -> None:
        """Record that the entry is the server `key`."""
        self._claim(key, key)
        for identity in identities(entry):
            self._claim(identity, key)
        repo = entry_repo(entry)
        if repo is not None and not repo.subfolder:
            self._claim(repo.key(with_subfolder=False), key)
        self._registry_ids.setdefault(key, set()).add(entry.origin_value)

    def __len__(self) -> int:
        return len(self._keys)

    def _claim(self, identity: str, key: str) -> None:
        self._keys.setdefault(identity, key)

    def _new_key(self, entry: RegistryEntry) -> str:
        repo = entry_repo(entry)
        candidates: list[str] = []
        if repo is not None and repo.is_github:
            candidates.append(repo.key())
        candidates += [key for p in entry.packages if (key := package_key(p.registry_type, p.identifier))]
        for candidate in candidates:
            if not self._held_by_sibling(candidate, entry):
                return candidate
        return registry_key(entry)

    def _held_by_sibling(self, key: str, entry: RegistryEntry) -> bool:
        """True when another entry of the same registry already is the server `key` (a monorepo)."""
        prefix = f"{entry.registry}:"
        return any(
            value.startswith(prefix) and value != entry.origin_value
            for value in self._registry_ids.get(key, ())
        )


def _origin_identities(origin: Origin) -> list[str]:
    match origin.kind:
        case OriginKind.REGISTRY:
            found = [f"origin:{origin.value}"]
            if origin.value.startswith("official:"):
                found.append(f"mcpname:{origin.value.removeprefix('official:').lower()}")
            return found
        case OriginKind.NPM | OriginKind.PYPI:
            key = package_key(origin.kind.value, origin.value)
            return [key] if key else []
        case _:
            return []
