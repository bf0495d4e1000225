"""What a live crawl connects to (HTTP, SSE or a stdio command), its timeouts, and its server key."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from catalog.errors import ConfigError


class Transport(StrEnum):
    """How a remote server is spoken to."""

    STREAMABLE_HTTP = "streamable-http"
    SSE = "sse"


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for each step of a live crawl; a step that runs over fails the crawl."""

    start: float = 60.0
    """Spawning the process or opening the connection (an `npx -y` first run downloads)."""
    initialize: float = 30.0
    """The initialize handshake."""
    page: float = 30.0
    """Each page of tools/list (and of resources/list and prompts/list)."""


@dataclass(frozen=True)
class HttpServer:
    """A server reached over streamable HTTP or SSE."""

    url: str
    transport: Transport = Transport.STREAMABLE_HTTP
    headers: tuple[tuple[str, str], ...] = ()
    """Extra request headers, as the user gave them (may carry credentials: never stored)."""
    bearer_token_env: str | None = None
    """Name of an environment variable whose value is sent as `Authorization: Bearer ...`."""


@dataclass(frozen=True)
class StdioServer:
    """A server run as a local command speaking JSON-RPC on stdin/stdout."""

    command: tuple[str, ...]
    name: str | None = None
    """The name the server is catalogued under; derived from the command when absent."""
    env: tuple[tuple[str, str], ...] = ()
    """Variables the user chose to pass, on top of the scrubbed minimum."""
    cwd: Path | None = None
    """Working directory; a fresh empty temporary one when absent."""


LiveSpec = HttpServer | StdioServer

_SECRET_PARAM = re.compile(
    r"(token|key|secret|password|passwd|auth|sig|signature|session|credential|code)", re.IGNORECASE
)
_LAUNCHERS = frozenset(
    {"npx", "pnpx", "bunx", "uvx", "pipx", "node", "deno", "bun", "python", "python3", "uv", "npm",
     "pnpm", "yarn", "docker", "podman"}
)
_LAUNCHER_WORDS = frozenset({"run", "exec", "dlx", "tool", "x", "--"})


def server_key(spec: LiveSpec) -> str:
    """`url:<normalised url>` for HTTP and SSE, `stdio:<name>` for a command."""
    match spec:
        case HttpServer(url=url):
            return f"url:{normalise_url(url)}"
        case StdioServer():
            return f"stdio:{stdio_name(spec)}"


def normalise_url(url: str) -> str:
    """Scheme and host lowercased, no credentials, no secret-looking query, no fragment or trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"not an http(s) URL: {url!r}")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}[parts.scheme.lower()]
    netloc = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _SECRET_PARAM.search(k))
    )
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), query, ""))


def stdio_name(spec: StdioServer) -> str:
    """The chosen name, else the package or script a launcher runs, else the command's basename."""
    if spec.name:
        return spec.name
    if not spec.command:
        raise ConfigError("a stdio server needs a command")
    program = PurePosixPath(spec.command[0]).name
    if program in _LAUNCHERS:
        for arg in _after_module_flag(spec.command[1:]):
            if not arg.startswith("-") and arg not in _LAUNCHER_WORDS:
                return _strip_version(arg)
    return program


def _after_module_flag(args: Iterable[str]) -> list[str]:
    """For `python -m pkg`, the module is the name; other launchers name it as their first word."""
    arguments = list(args)
    if "-m" in arguments:
        return arguments[arguments.index("-m") + 1 :]
    return arguments


def _strip_version(arg: str) -> str:
    """`@scope/pkg@1.2` → `@scope/pkg`, `pkg==1.0` → `pkg`, `…/node_modules/@s/p/dist/x.js` → `@s/p`."""
    if "/" in arg and not arg.startswith("@"):
        parts = PurePosixPath(arg).parts
        if "node_modules" in parts[:-1]:
            package = parts[len(parts) - 1 - parts[::-1].index("node_modules") :][1:]
            return "/".join(package[:2]) if package and package[0].startswith("@") else package[0]
        return PurePosixPath(arg).name
    head, at, _version = arg.rpartition("@")
    name = head if at and head else arg
    return re.split(r"[=<>~!]=?", name, maxsplit=1)[0]


def parse_env(pairs: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`K=V` strings from `--env` into pairs; anything else is a ConfigError."""
    parsed: list[tuple[str, str]] = []
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError(f"--env expects NAME=VALUE, got {pair!r}")
        parsed.append((key, value))
    return tuple(parsed)


def parse_headers(lines: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`Name: value` strings from `--header` into pairs; anything else is a ConfigError."""
    parsed: list[tuple[str, str]] = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name.strip()):
            raise ConfigError(f"--header expects 'Name: value', got {line.split(':')[0]!r}...")
        parsed.append((name.strip(), value.strip()))
    return tuple(parsed)


def request_headers(spec: HttpServer) -> dict[str, str]:
    """The headers to send: the user's, plus the bearer token read from its variable now."""
    headers = dict(spec.headers)
    if spec.bearer_token_env is not None:
        token = os.environ.get(spec.bearer_token_env)
        if not token:
            raise ConfigError(f"environment variable {spec.bearer_token_env} is not set (bearer token)")
        headers["Authorization"] = f"Bearer {token}"
    return headers
