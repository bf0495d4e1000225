"""Installing an npm or PyPI package into a throwaway prefix or venv, to run its server (--run only).

Installers run like servers do: a scrubbed environment, a fresh HOME, their own process group
killed on timeout or Ctrl-C. Downloads go to a cache of the catalog's own (not the user's), so a
second run of the same version needs little or no network.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import Distribution, PathDistribution
from pathlib import Path

import anyio

from catalog.errors import ConfigError, CrawlError
from crawler.sources.stdio_process import scrubbed_environment

INSTALL_TIMEOUT = 600.0
"""Seconds an installation may take: downloads and native builds are slower than a listing."""
INSTALLER_PASSED = (
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
    "npm_config_cafile", "PIP_CERT", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_TRUSTED_HOST",
    "PIP_DEFAULT_TIMEOUT",
)
"""What installers also need to reach a registry (proxies, CA bundles, mirrors); servers never see them."""
OUTPUT_LINES = 6
"""How many last lines of an installer's output a failure reason quotes."""


class Ecosystem(StrEnum):
    """Where a package comes from."""

    NPM = "npm"
    PYPI = "pypi"


@dataclass(frozen=True)
class Installed:
    """A package ready to run: the command starting its server, the version and executable chosen."""

    command: tuple[str, ...]
    version: str
    executable: str


def default_cache_dir() -> Path:
    """Downloads kept between runs: $XDG_CACHE_HOME/catalog/packages (else ~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "catalog" / "packages"


def installer_environment(root: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The scrubbed server environment plus what reaching a registry takes, under a fresh HOME."""
    home, tmp = root / "home", root / "tmp"
    for folder in (home, tmp):
        folder.mkdir(exist_ok=True)
    passed = {key: os.environ[key] for key in INSTALLER_PASSED if key in os.environ}
    return scrubbed_environment(home, tmp, {**passed, **extra})


async def run_step(command: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float,
                   doing: str) -> None:
    """Run one installer command in its own process group; CrawlError quoting its output on failure."""
    output: deque[str] = deque(maxlen=OUTPUT_LINES)
    try:
        process = await anyio.open_process(
            list(command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=dict(env), cwd=cwd, start_new_session=True,
        )
    except FileNotFoundError as error:
        raise CrawlError(f"cannot {doing}: {command[0]!r} is not on PATH") from error
    except OSError as error:
        raise CrawlError(f"cannot {doing}: {error.strerror or error}") from error
    try:
        with anyio.move_on_after(timeout) as scope:
            await _collect(process, output)
            await process.wait()
    finally:
        # Also on Ctrl-C: an installer's children (node-gyp, compilers) must not outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with anyio.CancelScope(shield=True):
            await process.aclose()
    tail = " | ".join(output)
    if scope.cancelled_caught:
        raise CrawlError(f"cannot {doing}: timed out after {timeout:g}s" + (f": {tail}" if tail else ""))
    if process.returncode != 0:
        raise CrawlError(f"cannot {doing}: exit code {process.returncode}" + (f": {tail}" if tail else ""))


async def _collect(process: anyio.abc.Process, output: deque[str]) -> None:
    if process.stdout is None:
        return
    pending = b""
    with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
        async for chunk in process.stdout:
            *lines, pending = (pending + chunk).split(b"\n")
            pending = pending[-4096:]
            output.extend(_kept(line) for line in lines if line.strip())
    if pending.strip():
        output.append(_kept(pending))


def _kept(line: bytes) -> str:
    return line.decode("utf-8", "replace").strip()[:300]


def choose_executable(package: str, executables: Sequence[str], wanted: str | None, usual: str) -> str:
    """The executable to run: the one asked for, the only one, or the one named like the package."""
    if not executables:
        raise CrawlError(f"{package} declares no executable to run (no npm bin / console_scripts)")
    if wanted is not None:
        if wanted in executables:
            return wanted
        raise ConfigError(
            f"{package} has no executable {wanted!r}; it has: {', '.join(sorted(executables))}"
        )
    if len(executables) == 1:
        return executables[0]
    if usual in executables:
        return usual
    raise ConfigError(
        f"{package} has several executables: {', '.join(sorted(executables))}",
        hint="choose one with --name",
    )


# npm.


def npm_package_dir(prefix: Path, name: str) -> Path:
    """Where `npm install --prefix PREFIX name` puts the package."""
    return prefix / "node_modules" / name


def npm_installed(prefix: Path, name: str, wanted: str | None, version: str | None = None) -> Installed | None:
    """The package as installed under prefix, or None when it is not there (at that version)."""
    manifest = npm_package_dir(prefix, name) / "package.json"
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CrawlError(f"cannot read the installed {name}/package.json: {error}") from error
    found = data.get("version") if isinstance(data, dict) else None
    if not isinstance(found, str):
        raise CrawlError(f"the installed {name}/package.json has no version")
    if version is not None and found != version:
        return None
    executables = _npm_bins(name, data.get("bin"))
    executable = choose_executable(f"npm:{name}", executables, wanted, name.rsplit("/", 1)[-1])
    program = prefix / "node_modules" / ".bin" / executable
    if not program.exists():
        raise CrawlError(f"npm did not link the executable {executable!r} of {name}")
    return Installed(command=(str(program),), version=found, executable=executable)


def _npm_bins(name: str, field: object) -> list[str]:
    """The executable names of a package.json `bin` (a path string names it after the package)."""
    if isinstance(field, str):
        return [name.rsplit("/", 1)[-1]]
    if isinstance(field, dict):
        return [key for key in field if isinstance(key, str) and "/" not in key and key]
    return []


async def install_npm(
    requirement: str, name: str, root: Path, *, cache: Path, wanted: str | None, timeout: float
) -> Installed:
    """`npm install --prefix` into root/npm, then the package's executable."""
    prefix = root / "npm"
    prefix.mkdir()
    env = installer_environment(root, {"npm_config_update_notifier": "false"})
    command = (
        "npm", "install", "--prefix", str(prefix), "--cache", str(cache / "npm"), "--prefer-offline",
        "--no-audit", "--no-fund", "--no-save", "--loglevel=error", requirement,
    )
    await run_step(command, env=env, cwd=prefix, timeout=timeout, doing=f"install {requirement} with npm")
    installed = npm_installed(prefix, name, wanted)
    if installed is None:
        raise CrawlError(f"npm installed {requirement} but {name}/package.json is missing")
    return installed


# PyPI.


def normalise_pypi_name(name: str) -> str:
    """PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pypi_installed(venv: Path, name: str, wanted: str | None, version: str | None = None) -> Installed | None:
    """The distribution as installed in venv (read from its dist-info, nothing run), or None."""
    distribution = _distribution(venv, name)
    if distribution is None or (version is not None and distribution.version != version):
        return None
    scripts = [entry.name for entry in distribution.entry_points if entry.group == "console_scripts"]
    executable = choose_executable(f"pypi:{name}", scripts, wanted, normalise_pypi_name(name))
    program = venv / "bin" / executable
    if not program.exists():
        raise CrawlError(f"pip did not install the script {executable!r} of {name}")
    return Installed(command=(str(program),), version=distribution.version, executable=executable)


def _distribution(venv: Path, name: str) -> Distribution | None:
    wanted = normalise_pypi_name(name)
    for info in sorted(venv.glob("lib/python*/site-packages/*.dist-info")):
        distribution = PathDistribution(info)
        found = distribution.metadata["Name"] if distribution.metadata else None
        if isinstance(found, str) and normalise_pypi_name(found) == wanted:
            return distribution
    return None


async def install_pypi(
    requirement: str, name: str, root: Path, *, cache: Path, wanted: str | None, timeout: float
) -> Installed:
    """A fresh venv at root/venv, `pip install` into it, then the distribution's console script."""
    venv = root / "venv"
    env = installer_environment(root, {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
    python = _base_python()
    await run_step((python, "-m", "venv", str(venv)), env=env, cwd=root, timeout=timeout,
                   doing="create a virtual environment")
    command = (
        str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--cache-dir", str(cache / "pip"),
        "--prefer-binary", requirement,
    )
    await run_step(command, env=env, cwd=root, timeout=timeout, doing=f"install {requirement} with pip")
    installed = pypi_installed(venv, name, wanted)
    if installed is None:
        raise CrawlError(f"pip installed {requirement} but no distribution named {name} is in the venv")
    return installed


def _base_python() -> str:
    """The interpreter that makes venvs: the one running the catalog (venv made from venv works)."""
    return sys.executable or "python3"
