"""Regenerate data/labels/weak/ from real servers' declared hints: docker-mcp-catalog lists and live npm/PyPI servers.

Usage (from the repository root):
  .venv/bin/python scripts/labels/record_weak.py                 # every server in weak_servers.toml
  .venv/bin/python scripts/labels/record_weak.py npm:@playwright/mcp@0.0.83 pypi:mcp-server-git==2026.10.19
  .venv/bin/python scripts/labels/record_weak.py --docker-only   # only the docker-mcp-catalog file

Packages are installed into a scratch prefix (default /tmp/weak-servers, never the repository),
each started with the catalog's own live crawler (scrubbed environment, fresh temp dirs, group
killed at the end) and listed; a server that fails to start within the timeout is reported and
skipped. Launch details (binary, arguments, placeholder environment) come from weak_servers.toml
next to this script; a spec not listed there is started as its package's only binary (npm) or
as a console script named like the package (PyPI).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from catalog.errors import CatalogError, ConfigError
from crawler.sources.live import LiveSource
from crawler.sources.live_spec import StdioServer, Timeouts
from scripts.labels.weak import (
    declared_hints,
    docker_rows,
    params_of,
    slug,
    weak_row,
    write_jsonl,
)

REPO = Path(__file__).resolve().parents[2]
SERVERS_FILE = Path(__file__).with_name("weak_servers.toml")
LISTED_AT = "2026-11-24"


@dataclass(frozen=True)
class Server:
    """One real server to list: its package spec and how to start it."""

    package: str
    """`npm:<name>@<version>` or `pypi:<name>==<version>`."""
    name: str = ""
    bin: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    @property
    def ecosystem(self) -> str:
        return self.package.split(":", 1)[0]

    @property
    def requirement(self) -> str:
        return self.package.split(":", 1)[1]

    @property
    def package_name(self) -> str:
        req = self.requirement
        if self.ecosystem == "npm":
            return req.rsplit("@", 1)[0] if req.rfind("@") > 0 else req
        return req.split("==", 1)[0]

    @property
    def version(self) -> str:
        req = self.requirement
        if self.ecosystem == "npm":
            return req.rsplit("@", 1)[1] if req.rfind("@") > 0 else ""
        return req.split("==", 1)[1] if "==" in req else ""

    @property
    def key(self) -> str:
        return self.name or slug(self.package_name)


def load_servers(path: Path = SERVERS_FILE) -> list[Server]:
    """The servers listed in weak_servers.toml. `{here}` in an argument or an environment value
    stands for the folder of that file (a placeholder config kept beside it, such as a kubeconfig)."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    here = str(path.resolve().parent)
    servers = []
    for item in table.get("server", []):
        servers.append(
            Server(
                package=item["package"],
                name=item.get("name", ""),
                bin=item.get("bin", ""),
                args=tuple(str(arg).replace("{here}", here) for arg in item.get("args", [])),
                env={
                    key: str(value).replace("{here}", here)
                    for key, value in dict(item.get("env", {})).items()
                },
            )
        )
    return servers


def resolve(specs: list[str], known: list[Server]) -> list[Server]:
    """Servers for the specs given (launch details from the table when listed there)."""
    by_package = {server.package: server for server in known}
    by_name = {server.package_name: server for server in known}
    chosen = []
    for spec in specs:
        if not spec.startswith(("npm:", "pypi:")):
            raise ConfigError(f"package spec {spec!r} must start with npm: or pypi:")
        server = by_package.get(spec)
        if server is None:
            template = by_name.get(Server(spec).package_name)
            server = (
                Server(spec)
                if template is None
                else Server(spec, template.name, template.bin, template.args, template.env)
            )
        chosen.append(server)
    return chosen


def install(server: Server, prefix: Path) -> Path:
    """Install the package into its own scratch prefix; returns the program to run."""
    if server.ecosystem == "npm":
        where = prefix / "npm" / slug(server.package_name)
        if not (where / "node_modules" / server.package_name / "package.json").exists():
            where.mkdir(parents=True, exist_ok=True)
            _run(
                [
                    "npm",
                    "install",
                    "--prefix",
                    str(where),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--ignore-scripts",
                    server.requirement,
                ],
                {"PUPPETEER_SKIP_DOWNLOAD": "1", "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
            )
        return (
            where / "node_modules" / ".bin" / (server.bin or _npm_bin(where, server.package_name))
        )
    venv = prefix / "py" / slug(server.package_name)
    if not (venv / "bin" / "python").exists():
        _run([sys.executable, "-m", "venv", str(venv)], {})
    if server.version:
        _run([str(venv / "bin" / "pip"), "install", "--quiet", server.requirement], {})
    return venv / "bin" / (server.bin or server.package_name)


def _npm_bin(where: Path, package: str) -> str:
    manifest = json.loads(
        (where / "node_modules" / package / "package.json").read_text(encoding="utf-8")
    )
    binaries = manifest.get("bin")
    if isinstance(binaries, str):
        return package.rsplit("/", 1)[-1]
    if isinstance(binaries, dict) and len(binaries) == 1:
        return str(next(iter(binaries)))
    raise ConfigError(f"{package}: cannot tell which binary to run ({binaries!r}); set `bin`")


def _run(command: list[str], extra_env: dict[str, str]) -> None:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **extra_env},
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise ConfigError(f"{' '.join(command[:3])}... failed: {' / '.join(tail)}")


def list_live(server: Server, program: Path, timeout: float) -> list[dict[str, Any]]:
    """Start the server with the catalog's live crawler and turn its tools into weak rows."""
    spec = StdioServer(
        command=(str(program), *server.args),
        name=server.key,
        env=tuple(server.env.items()),
    )
    source = LiveSource(spec, timeouts=Timeouts(start=timeout, initialize=timeout, page=timeout))
    result = anyio.run(source.list_server)
    provenance = {
        "source": "live",
        "package": f"{server.ecosystem}:{server.package_name}@{server.version}",
        "listed_at": LISTED_AT,
    }
    rows = []
    for tool in result.tools:
        row = weak_row(
            f"live-{server.key}-{tool.name}",
            server=server.key,
            name=tool.name,
            title=tool.title,
            description=tool.description,
            params=params_of(tool.input_schema, with_descriptions=True),
            hints=declared_hints(tool.hints.declared()),
            provenance=provenance,
        )
        if row is not None:
            rows.append(row)
    print(
        f"{server.key}: {len(result.tools)} tools, {len(rows)} with usable hints", file=sys.stderr
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", help="npm:<name>@<version> or pypi:<name>==<version>")
    parser.add_argument("--prefix", type=Path, default=Path("/tmp/weak-servers"))
    parser.add_argument("--out", type=Path, default=REPO / "data" / "labels" / "weak")
    parser.add_argument(
        "--shared",
        type=Path,
        default=Path(os.environ.get("CATALOG_SHARED_DATA", str(REPO.parent / "shared" / "data"))),
    )
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--docker-only", action="store_true")
    args = parser.parse_args(argv)

    rows, skipped = docker_rows(args.shared / "docker-mcp-catalog")
    count = write_jsonl(args.out / "docker-mcp-catalog.jsonl", rows)
    print(
        f"docker-mcp-catalog: {count} rows, {skipped} tools without usable hints", file=sys.stderr
    )
    if args.docker_only:
        return 0

    known = load_servers()
    servers = resolve(args.specs, known) if args.specs else known
    failed = []
    for server in servers:
        try:
            program = install(server, args.prefix)
            live = list_live(server, program, args.timeout)
        except (CatalogError, subprocess.TimeoutExpired, OSError) as error:
            failed.append(server.package)
            print(f"{server.key}: skipped ({error})", file=sys.stderr)
            continue
        target = args.out / f"{server.key}.jsonl"
        if live:
            write_jsonl(target, live)
        elif target.exists():
            target.unlink()
    if failed:
        print(f"not listed: {', '.join(failed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
