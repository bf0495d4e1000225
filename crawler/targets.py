"""Turn a target as the user typed it into a Source: a GitHub repository, a local path, and more to come."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from catalog.errors import ConfigError
from crawler.source import Source
from crawler.sources.github import GitHubSource
from crawler.sources.live_spec import Timeouts
from crawler.sources.live_target import live_source_for
from crawler.sources.local import ARCHIVE_SUFFIXES, LocalSource
from crawler.sources.npm import NpmSource, parse_npm_target
from crawler.sources.pypi import PyPISource, parse_pypi_target

OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
"""A GitHub user or organisation: 1–39 letters, digits and single inner hyphens."""
REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
"""A GitHub repository name."""
_FORBIDDEN_IN_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")
GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})

FORMS = ("owner/repo[@ref]", "github:owner/repo[@ref]", "https://github.com/owner/repo[/tree/ref]",
         "a local path (a folder, .tar.gz, .tgz or .zip)")
EXPECTED = f"expected {', '.join(FORMS[:-1])}, or {FORMS[-1]}"


def _unsupported(kind: str) -> Callable[[str, str], Source]:
    def refuse(target: str, rest: str) -> Source:
        raise ConfigError(f"{kind} targets are not supported yet")

    return refuse


def _github_prefixed(target: str, rest: str) -> Source:
    return _github_slug(target, rest)


def _registry(target: str, rest: str) -> Source:
    # Imported here: registry sources resolve repository and package targets through this module.
    from crawler.registries.source import RegistrySource, registry_named

    return RegistrySource(registry_named(rest), target=target)


def _npm(target: str, rest: str, options: TargetOptions | None) -> Source:
    name, spec = parse_npm_target(rest)
    return NpmSource(name, spec, registry=options.npm_registry if options else None, target=target)


def _pypi(target: str, rest: str, options: TargetOptions | None) -> Source:
    name, version = parse_pypi_target(rest)
    return PyPISource(name, version, index=options.pypi_url if options else None, target=target)


PREFIXES: tuple[tuple[str, Callable[[str, str], Source]], ...] = (
    ("github:", _github_prefixed),
    ("npm:", lambda target, rest: _npm(target, rest, None)),
    ("pypi:", lambda target, rest: _pypi(target, rest, None)),
    ("registry:", _registry),
    ("stdio:", _unsupported("stdio")),
    ("url:", _unsupported("URL")),
)
"""Prefix → handler taking (whole target, text after the prefix); new kinds slot in here."""


@dataclass(frozen=True)
class TargetOptions:
    """What the command line says about how to reach live servers (ignored by static targets)."""

    transport: str | None = None
    """streamable-http (default) or sse, for URL targets."""
    headers: tuple[str, ...] = ()
    """`Name: value` lines sent to URL targets."""
    bearer_token_env: str | None = None
    """The environment variable holding a bearer token for URL targets."""
    name: str | None = None
    """The server's name for stdio targets and saved listings."""
    command: tuple[str, ...] = ()
    """The command after `--` for the stdio target."""
    env: tuple[str, ...] = ()
    """`K=V` pairs added to a stdio server's scrubbed environment."""
    run: bool = False
    """The user's consent to run a package (`--run`)."""
    timeouts: Timeouts | None = None
    npm_registry: str | None = None
    """`--npm-registry`: the npm registry base URL (else `npm_config_registry`, else the public one)."""
    pypi_url: str | None = None
    """`--pypi-url`: the base URL serving /pypi/NAME/json (else PIP_INDEX_URL's, else pypi.org)."""


def _live(text: str, options: TargetOptions) -> Source | None:
    return live_source_for(
        text,
        transport=options.transport,
        headers=options.headers,
        bearer_token_env=options.bearer_token_env,
        name=options.name,
        command=options.command or None,
        env=options.env,
        run=options.run,
        timeouts=options.timeouts,
    )


def resolve(target: str, options: TargetOptions | None = None) -> Source:
    """The Source for a target, or ConfigError naming the forms we understand."""
    options = options or TargetOptions()
    text = target.strip()
    if not text:
        raise ConfigError(f"an empty target: {EXPECTED}")
    lowered = text.lower()
    is_github_url = lowered.startswith(("http://", "https://")) and _host(text) in GITHUB_HOSTS
    if not is_github_url:
        live = _live(text, options)
        if live is not None:
            return live
    if lowered.startswith("npm:"):
        return _npm(text, text[len("npm:"):], options)
    if lowered.startswith("pypi:"):
        return _pypi(text, text[len("pypi:"):], options)
    for prefix, handler in PREFIXES:
        if lowered.startswith(prefix):
            return handler(text, text[len(prefix):])
    if lowered == "stdio" or lowered.startswith("stdio "):
        raise ConfigError("stdio targets are not supported yet")
    if lowered.startswith(("http://", "https://")):
        return _from_url(text)
    if _looks_like_path(text):
        return LocalSource(text, target=text)
    return _github_slug(text, text)


def _looks_like_path(text: str) -> bool:
    if text.startswith(("./", "../", "/", "~", ".\\")) or text in (".", ".."):
        return True
    if text.lower().endswith(ARCHIVE_SUFFIXES):
        return True
    try:
        return Path(os.path.expanduser(text)).exists()
    except (OSError, ValueError):
        return False


def _invalid(target: str) -> ConfigError:
    return ConfigError(f"not a valid target {target!r}: {EXPECTED}")


def _github_slug(target: str, slug: str) -> GitHubSource:
    """owner/repo[@ref] → GitHubSource."""
    name, at, ref = slug.partition("@")
    owner, slash, repo = name.partition("/")
    if not slash or (at and not _valid_ref(ref)):
        raise _invalid(target)
    return _github(target, owner, repo, ref if at else None)


def _github(target: str, owner: str, repo: str, ref: str | None) -> GitHubSource:
    if not OWNER.fullmatch(owner) or not REPO.fullmatch(repo) or repo in (".", ".."):
        raise _invalid(target)
    return GitHubSource(owner, repo, ref, target=target)


def _valid_ref(ref: str) -> bool:
    """A loose `git check-ref-format`: what could never name a branch, tag or commit is refused."""
    return (
        0 < len(ref) <= 255
        and not _FORBIDDEN_IN_REF.search(ref)
        and not ref.startswith(("-", "/", "."))
        and not ref.endswith(("/", ".", ".lock"))
    )


def _host(target: str) -> str:
    try:
        return (urlsplit(target).hostname or "").lower()
    except ValueError:
        return ""


def _from_url(target: str) -> Source:
    try:
        parts = urlsplit(target)
        host = (parts.hostname or "").lower()
    except ValueError as error:
        raise _invalid(target) from error
    if host not in GITHUB_HOSTS:
        raise ConfigError("URL targets (live MCP servers) are not supported yet")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if len(segments) < 2:
        raise _invalid(target)
    owner, repo, rest = segments[0], segments[1], segments[2:]
    repo = repo.removesuffix(".git")
    if not rest:
        return _github(target, owner, repo, None)
    # /tree/<ref> takes the rest of the path as the ref: branch names often hold slashes.
    if rest[0] == "tree" and len(rest) > 1 and _valid_ref("/".join(rest[1:])):
        return _github(target, owner, repo, "/".join(rest[1:]))
    raise _invalid(target)
