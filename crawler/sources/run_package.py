"""`catalog crawl npm:NAME --run` / `pypi:NAME --run`: install the package somewhere throwaway, run it, list it.

Running a package is the user's explicit choice (`--run`); what will run is said on stderr first.
The listing is a live one (LiveSource over stdio), filed under the package's own key, the same
key the static npm and PyPI sources use, so both crawls merge into one server.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from catalog.errors import ConfigError
from catalog.records import CrawlResult, Location, LocationKind, Origin, OriginKind, ServerRecord
from crawler.source import CrawlContext, Source
from crawler.sources.live import DEFAULT_MAX_PAGES, LiveSource
from crawler.sources.live_spec import StdioServer, Timeouts
from crawler.sources.package_install import (
    INSTALL_TIMEOUT,
    Ecosystem,
    Installed,
    default_cache_dir,
    install_npm,
    install_pypi,
    normalise_pypi_name,
    npm_installed,
    pypi_installed,
)

_NPM_NAME = re.compile(r"(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*", re.IGNORECASE)
_PYPI_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]{0,99}")
"""An exact version (or an npm dist-tag)."""
_NPM_RANGE = re.compile(r"[A-Za-z0-9^~<>=*.+_|-][A-Za-z0-9^~<>=*.+_| -]{0,99}")
"""npm versions, dist-tags and ranges (`^1.2`, `>=1 <2`): URLs, paths and git specs are refused."""
_ORIGIN_KIND = {Ecosystem.NPM: OriginKind.NPM, Ecosystem.PYPI: OriginKind.PYPI}


@dataclass(frozen=True)
class PackageSpec:
    """A package named on the command line: `npm:@scope/name[@version|tag|range]`, `pypi:name[==version]`."""

    ecosystem: Ecosystem
    name: str
    version: str | None = None

    @property
    def key(self) -> str:
        """`npm:<name>` or `pypi:<normalised name>`: the server key static crawls use too."""
        if self.ecosystem is Ecosystem.PYPI:
            return f"pypi:{normalise_pypi_name(self.name)}"
        return f"npm:{self.name}"

    @property
    def requirement(self) -> str:
        """What the installer is asked for: `name@version` (npm), `name==version` (pip)."""
        if self.version is None:
            return self.name
        separator = "==" if self.ecosystem is Ecosystem.PYPI else "@"
        return f"{self.name}{separator}{self.version}"

    def describe(self) -> str:
        """`npm:@scope/name@1.2.3`, `pypi:name==1.0`."""
        return f"{self.ecosystem.value}:{self.requirement}"


def parse_package(target: str) -> PackageSpec:
    """A PackageSpec from `npm:…` or `pypi:…`; ConfigError for anything we would not hand an installer."""
    prefix, _, rest = target.strip().partition(":")
    match prefix.lower():
        case "npm":
            # A scope's leading @ is not a version separator.
            name, at, version = rest[1:].partition("@") if rest.startswith("@") else rest.partition("@")
            name = "@" + name if rest.startswith("@") else name
            if not _NPM_NAME.fullmatch(name) or (at and not _NPM_RANGE.fullmatch(version)):
                raise ConfigError(f"not an npm package: {target!r}", hint="npm:@scope/name[@version]")
            return PackageSpec(Ecosystem.NPM, name, version if at else None)
        case "pypi":
            name, equals, version = rest.partition("==")
            if not _PYPI_NAME.fullmatch(name) or (equals and not _VERSION.fullmatch(version)):
                raise ConfigError(f"not a PyPI package: {target!r}", hint="pypi:name[==version]")
            return PackageSpec(Ecosystem.PYPI, name, version if equals else None)
        case _:
            raise ConfigError(f"not a package target: {target!r}", hint="npm:NAME or pypi:NAME")


def announce_on_stderr(message: str) -> None:
    """Say what --run is about to run, where the user sees it even when stdout is piped."""
    print(f"catalog --run: {message}", file=sys.stderr, flush=True)


class RunPackageSource(Source):
    """A package installed in a throwaway prefix or venv, its server run and listed over stdio."""

    def __init__(
        self,
        package: PackageSpec,
        *,
        executable: str | None = None,
        env: tuple[tuple[str, str], ...] = (),
        timeouts: Timeouts | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        install_timeout: float = INSTALL_TIMEOUT,
        cache_dir: Path | None = None,
        installed: Path | None = None,
        announce: Callable[[str], None] = announce_on_stderr,
        target: str | None = None,
    ) -> None:
        """`executable` picks among several (`--name`); `installed` is an npm prefix or venv to reuse
        when it already holds the package at the requested version (CI installs once, crawls often)."""
        self.package = package
        self.executable = executable
        self.env = env
        self.timeouts = timeouts
        self.max_pages = max_pages
        self.install_timeout = install_timeout
        self.cache_dir = cache_dir
        self.installed = installed
        self.announce = announce
        self.server_key = package.key
        self.target = target or package.describe()

    async def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """Install, run, list; the throwaway install is gone before the result is yielded."""
        with tempfile.TemporaryDirectory(prefix="catalog-run-") as scratch:
            ready = self._reused()
            if ready is None:
                self.announce(self._install_plan())
                context.progress(f"installing {self.package.describe()}")
                ready = await self._install(Path(scratch))
            self.announce(
                f"running {ready.executable} of {self.package.ecosystem.value}:{self.package.name} "
                f"{ready.version} over stdio to list its tools: {' '.join(ready.command)}"
            )
            context.progress(f"listing {self.package.describe()}")
            spec = StdioServer(command=ready.command, name=ready.executable, env=self.env)
            listed = await LiveSource(spec, timeouts=self.timeouts, max_pages=self.max_pages).list_server()
        yield self.as_package(listed, ready)

    def _install_plan(self) -> str:
        place = "npm prefix" if self.package.ecosystem is Ecosystem.NPM else "virtual environment"
        return (
            f"installing {self.package.describe()} into a throwaway {place}, then running its server "
            "(scrubbed environment, temporary HOME and working directory, killed after listing)"
        )

    def _reused(self) -> Installed | None:
        if self.installed is None:
            return None
        installed = npm_installed if self.package.ecosystem is Ecosystem.NPM else pypi_installed
        return installed(self.installed, self.package.name, self.executable, self.package.version)

    async def _install(self, root: Path) -> Installed:
        cache = self.cache_dir or default_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        install = install_npm if self.package.ecosystem is Ecosystem.NPM else install_pypi
        return await install(
            self.package.requirement, self.package.name, root,
            cache=cache, wanted=self.executable, timeout=self.install_timeout,
        )

    def as_package(self, listed: CrawlResult, ready: Installed) -> CrawlResult:
        """A stdio listing re-filed under the package: its key, an npm/PyPI origin, live locations."""
        package = self.package
        info = listed.server
        origin_name = normalise_pypi_name(package.name) if package.ecosystem is Ecosystem.PYPI else package.name
        location = Location(kind=LocationKind.LIVE, detail=f"{package.ecosystem.value} {origin_name}@{ready.version}")
        tools = tuple(
            tool.model_copy(update={"server_key": self.server_key, "location": location})
            for tool in listed.tools
        )
        server = ServerRecord(
            key=self.server_key,
            name=package.name,
            title=info.title,
            description=info.description,
            version=ready.version,
            instructions=info.instructions,
            origins=(
                Origin(
                    kind=_ORIGIN_KIND[package.ecosystem], value=origin_name, version=ready.version,
                    url=_package_url(package.ecosystem, origin_name, ready.version),
                ),
            ),
            notes=(f"listed live by running {ready.executable} {ready.version}",
                   f"server reports itself as {info.name} {info.version or ''}".rstrip(), *info.notes),
        )
        return CrawlResult(
            server=server, tools=tools, failures=listed.failures, complete=listed.complete,
            seen_by=LocationKind.LIVE,
        )


def _package_url(ecosystem: Ecosystem, name: str, version: str) -> str | None:
    """The public page of the version, as the static sources link it; None for a private registry."""
    if ecosystem is Ecosystem.PYPI:
        index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple")
        public = index.rstrip("/") == "https://pypi.org/simple"
        return f"https://pypi.org/project/{name}/{version}/" if public else None
    registry = os.environ.get("npm_config_registry", "https://registry.npmjs.org")  # noqa: SIM112 (npm's own name)
    public = registry.rstrip("/") == "https://registry.npmjs.org"
    return f"https://www.npmjs.com/package/{name}/v/{version}" if public else None
