"""Static extraction of real published packages, fetched through the real npm and PyPI registries by our
sources, agrees with what the same versions list when they run (installed by scripts/install-test-servers.sh).

Versions are pinned once, in scripts/test-servers.txt. Each case prints an agreement report.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import anyio
import httpx
import pytest

from catalog.records import CrawlResult, ToolRecord
from crawler.http import build_client
from crawler.source import CrawlContext, Source
from crawler.sources.live import LiveSource
from crawler.sources.live_spec import StdioServer
from crawler.sources.npm import NpmSource, registry_url
from crawler.sources.pypi import PyPISource, index_url

REPO = Path(__file__).resolve().parents[2]
PINS = REPO / "scripts" / "test-servers.txt"
SERVERS = Path(os.environ.get("CATALOG_TEST_SERVERS", REPO / ".test-servers"))

CLIENT_CAPABILITY_TOOLS = frozenset({
    "get-roots-list", "trigger-elicitation-request", "trigger-elicitation-request-async",
    "trigger-sampling-request", "trigger-sampling-request-async", "trigger-url-elicitation",
})
"""server-everything registers these only after initialize, and only for a client that declares the
roots, sampling or elicitation capability. Static reading sees every registration; the live crawler
declares none of those capabilities, so it cannot list them. A genuine difference, not an error."""

EXPECTED_DIFFERENCES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "everything": (CLIENT_CAPABILITY_TOOLS, frozenset()),
}
"""Package name → (tools only static reading finds, tools only the live listing shows); others agree exactly."""


@dataclass(frozen=True)
class Pin:
    """One line of scripts/test-servers.txt."""

    kind: str
    name: str
    package: str
    version: str


def read_pins() -> list[Pin]:
    pins = []
    for line in PINS.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            pins.append(Pin(*words))
    return pins


Shape = tuple[str | None, str, tuple[str, ...], tuple[str, ...]]
"""What both sides must agree on beyond hints: title, description, parameter names, required names."""


@dataclass(frozen=True)
class Agreement:
    """Static versus live for one package version."""

    static: dict[str, ToolRecord]
    live: dict[str, ToolRecord]

    @property
    def only_static(self) -> frozenset[str]:
        return frozenset(self.static) - frozenset(self.live)

    @property
    def only_live(self) -> frozenset[str]:
        return frozenset(self.live) - frozenset(self.static)

    @property
    def both(self) -> list[str]:
        return sorted(frozenset(self.static) & frozenset(self.live))

    @property
    def hint_disagreements(self) -> dict[str, tuple[dict[str, bool], dict[str, bool]]]:
        pairs = {name: (self.static[name].hints.declared(), self.live[name].hints.declared()) for name in self.both}
        return {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}

    @property
    def shape_disagreements(self) -> dict[str, tuple[Shape, Shape]]:
        pairs = {name: (shape(self.static[name]), shape(self.live[name])) for name in self.both}
        return {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}

    def report(self, pin: Pin) -> str:
        lines = [f"{pin.kind}:{pin.package}=={pin.version}: static {len(self.static)}, live {len(self.live)}, "
                 f"both {len(self.both)}, only-static {sorted(self.only_static)}, "
                 f"only-live {sorted(self.only_live)}, hint disagreements {len(self.hint_disagreements)}, "
                 f"title/description/parameter disagreements {len(self.shape_disagreements)}"]
        lines += [f"    hints of {name}: static {s} live {lv}" for name, (s, lv) in self.hint_disagreements.items()]
        lines += [f"    {name}: static {s} live {lv}" for name, (s, lv) in self.shape_disagreements.items()]
        return "\n".join(lines)


def shape(tool: ToolRecord) -> Shape:
    schema = tool.input_schema
    properties = schema.get("properties")
    required = schema.get("required")
    return (tool.title, tool.description, tuple(sorted(properties or {})), tuple(sorted(required or ())))


@cache
def registry_reachable(url: str) -> bool:
    try:
        httpx.get(url, timeout=10.0, follow_redirects=True)
    except httpx.HTTPError:
        return False
    return True


def require_registry(url: str) -> None:
    """Skip when the registry is unreachable, but only outside CI: CI reaches npm and PyPI."""
    if not registry_reachable(url):
        if os.environ.get("CI"):
            pytest.fail(f"{url} is unreachable from CI")
        pytest.skip(f"{url} is unreachable")


def require(path: Path) -> Path:
    """Skip when a server is not installed here; in CI that is a failure, never a skip."""
    if not path.exists():
        message = f"{path} is missing: run scripts/install-test-servers.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def installed_npm(pin: Pin, workdir: Path) -> tuple[str, tuple[str, ...]]:
    """The installed version and the command running the package's bin (with what it needs to start)."""
    folder = require(SERVERS / "npm" / "node_modules" / pin.package)
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    bins = manifest["bin"]
    entry = bins if isinstance(bins, str) else next(iter(bins.values()))
    arguments = {"filesystem": (str(workdir),), "everything": ("stdio",)}.get(pin.name, ())
    return manifest["version"], ("node", str(folder / entry), *arguments)


def installed_pypi(pin: Pin, workdir: Path) -> tuple[str, tuple[str, ...]]:
    venv = require(SERVERS / f"py-{pin.name}")
    module = pin.package.replace("-", "_")
    [dist_info] = venv.glob(f"lib/python*/site-packages/{module}-*.dist-info")
    version = dist_info.name.removeprefix(f"{module}-").removesuffix(".dist-info")
    return version, (str(require(venv / "bin" / pin.package)),)


def crawl_static(source: Source) -> CrawlResult:
    async def run() -> list[CrawlResult]:
        async with build_client(timeout=60.0) as client:
            return [result async for result in source.crawl(CrawlContext(http=client))]

    [result] = asyncio.run(run())
    return result


def by_name(result: CrawlResult) -> dict[str, ToolRecord]:
    return {tool.name: tool for tool in result.tools}


def agreement(pin: Pin, workdir: Path) -> tuple[Agreement, CrawlResult]:
    installer: Callable[[Pin, Path], tuple[str, tuple[str, ...]]]
    source: Source
    if pin.kind == "npm":
        require_registry(registry_url())
        installer, source = installed_npm, NpmSource(pin.package, pin.version)
    else:
        require_registry(index_url())
        installer, source = installed_pypi, PyPISource(pin.package, pin.version)
    version, command = installer(pin, workdir)
    assert version == pin.version, f"{pin.package} {version} is installed, {pin.version} is pinned: reinstall"
    static = crawl_static(source)
    live = anyio.run(LiveSource(StdioServer(command=command, name=pin.name)).list_server)
    return Agreement(by_name(static), by_name(live)), static


@pytest.mark.network
@pytest.mark.parametrize("pin", read_pins(), ids=lambda pin: pin.name)
def test_static_tools_and_hints_of_a_published_version_equal_its_live_listing(
        pin: Pin, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found, static = agreement(pin, tmp_path)
    with capsys.disabled():
        print("\n" + found.report(pin))
    only_static, only_live = EXPECTED_DIFFERENCES.get(pin.name, (frozenset(), frozenset()))
    assert (found.only_static, found.only_live) == (only_static, only_live)
    assert (found.hint_disagreements, found.shape_disagreements) == ({}, {})
    assert static.server.version == pin.version
    assert static.complete and len(found.static) > 0


def test_every_pinned_package_is_one_the_issue_asks_for() -> None:
    assert {(pin.kind, pin.package) for pin in read_pins()} == {
        ("npm", "@modelcontextprotocol/server-memory"), ("npm", "@modelcontextprotocol/server-filesystem"),
        ("npm", "@modelcontextprotocol/server-everything"),
        ("npm", "@modelcontextprotocol/server-sequential-thinking"),
        ("pypi", "mcp-server-time"), ("pypi", "mcp-server-git"), ("pypi", "mcp-server-fetch"),
    }
