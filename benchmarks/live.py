"""Live listing over stdio: our crawl against a bare SDK client listing the same server, same run.

    .venv/bin/python benchmarks/live.py [--rounds 5] [--servers time,everything,many]

Servers: `time` (mcp-server-time, 2 tools) and `everything` (server-everything, 13 tools) from
.test-servers (CATALOG_TEST_SERVERS; scripts/install-test-servers.sh installs them), and `many`
(the misbehaving fixture's 5,000 tools over 50 pages). Each round runs, one after another:

  sdk     a bare mcp ClientSession over stdio_client: initialize, then every tools/list page
  source  our LiveSource.list_server(): scrubbed environment, own process group, the same pages,
          plus resources/list and prompts/list counts when offered, converted to records
  cli     `catalog crawl stdio --name NAME -- SERVER` end to end in a new process: start-up,
          listing, classification, a fresh SQLite file migrated and written

A warm-up round is not counted. Prints median wall seconds per way and the ratios source/sdk and
cli/sdk; exits 1 when the three ways disagree on a server's tool count.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import anyio
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from crawler.sources.live import LiveSource
from crawler.sources.live_spec import StdioServer

REPO = Path(__file__).resolve().parent.parent
SERVERS = Path(os.environ.get("CATALOG_TEST_SERVERS", REPO / ".test-servers"))
WAYS = ("sdk", "source", "cli")


@dataclass(frozen=True)
class Server:
    """A server the benchmark lists: a short name and the command that starts it over stdio."""

    name: str
    command: tuple[str, ...]
    needs: Path
    """A file that must exist for the server to be runnable here."""


def known_servers() -> dict[str, Server]:
    everything = SERVERS / "npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
    time_server = SERVERS / "py-time/bin/mcp-server-time"
    misbehaving = REPO / "tests/fixtures/servers/misbehaving.py"
    return {
        "time": Server("time", (str(time_server),), time_server),
        "everything": Server("everything", ("node", str(everything), "stdio"), everything),
        "many": Server("many", (sys.executable, str(misbehaving), "many-pages"), misbehaving),
    }


async def sdk_count(command: tuple[str, ...]) -> int:
    """The baseline: what any MCP client does to learn a server's tools, nothing more."""
    params = StdioServerParameters(command=command[0], args=list(command[1:]))
    count, cursor = 0, None
    with open(os.devnull, "w", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            while True:
                page = types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None
                result = await session.list_tools(params=page)
                count += len(result.tools)
                cursor = result.next_cursor
                if cursor is None:
                    return count


async def source_count(command: tuple[str, ...]) -> int:
    result = await LiveSource(StdioServer(command=command, name="bench")).list_server()
    return len(result.tools)


def cli_count(command: tuple[str, ...], scratch: Path, round_number: int) -> int:
    database = scratch / f"round-{round_number}.db"
    env = {**os.environ, "CATALOG_DATABASE_URL": f"sqlite:///{database}", "NO_COLOR": "1"}
    crawled = subprocess.run(
        [sys.executable, "-m", "cli", "crawl", "stdio", "--name", "bench", "--json", "--", *command],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False,
    )
    if crawled.returncode != 0:
        raise RuntimeError(f"catalog crawl failed: {crawled.stderr.strip()[-500:]}")
    [report] = json.loads(crawled.stdout)
    [saved] = report["servers"]
    return int(saved["new"] + saved["changed"] + saved["unchanged"])


def timed(action: Callable[[int], int], round_number: int) -> tuple[float, int]:
    started = time.perf_counter()
    count = action(round_number)
    return time.perf_counter() - started, count


def measure(server: Server, rounds: int, scratch: Path) -> tuple[dict[str, list[float]], dict[str, set[int]]]:
    """Seconds per way and round (the warm-up round dropped), and the tool counts each way saw."""
    seconds: dict[str, list[float]] = {way: [] for way in WAYS}
    counts: dict[str, set[int]] = {way: set() for way in WAYS}
    actions: dict[str, Callable[[int], int]] = {
        "sdk": lambda _: anyio.run(sdk_count, server.command),
        "source": lambda _: anyio.run(source_count, server.command),
        "cli": lambda number: cli_count(server.command, scratch, number),
    }
    for number in range(rounds + 1):
        for way in WAYS:
            elapsed, count = timed(actions[way], number)
            counts[way].add(count)
            if number > 0:
                seconds[way].append(elapsed)
    return seconds, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="Counted rounds (one more warms up).")
    parser.add_argument("--servers", default="time,everything,many", help="Comma-separated: time, everything, many.")
    args = parser.parse_args()
    servers = known_servers()
    chosen = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in servers]
    if unknown:
        parser.error(f"unknown servers: {', '.join(unknown)}")
    print(f"{'server':<12}{'tools':>7}{'sdk s':>9}{'source s':>10}{'cli s':>9}{'source/sdk':>12}{'cli/sdk':>9}")
    disagreements = 0
    with tempfile.TemporaryDirectory(prefix="catalog-bench-live-") as scratch:
        for name in chosen:
            server = servers[name]
            if not server.needs.exists():
                print(f"{name:<12}skipped: {server.needs} is missing (run scripts/install-test-servers.sh)")
                continue
            seconds, counts = measure(server, args.rounds, Path(scratch))
            medians = {way: statistics.median(values) for way, values in seconds.items()}
            seen = set().union(*counts.values())
            tools = str(next(iter(seen))) if len(seen) == 1 else "/".join(map(str, sorted(seen)))
            disagreements += len(seen) != 1
            print(
                f"{name:<12}{tools:>7}{medians['sdk']:>9.3f}{medians['source']:>10.3f}{medians['cli']:>9.3f}"
                f"{medians['source'] / medians['sdk']:>11.2f}x{medians['cli'] / medians['sdk']:>8.2f}x"
            )
    print(f"medians of {args.rounds} rounds after one warm-up; wall-clock seconds")
    if disagreements:
        print("the ways disagree on some tool counts", file=sys.stderr)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
