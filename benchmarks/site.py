"""Site build benchmark: a synthetic catalog, full build vs a bare render loop, incremental rebuild, search.

    .venv/bin/python benchmarks/site.py --tools 10000            # routine (about a minute)
    .venv/bin/python benchmarks/site.py --tools 100000 --servers 10000   # the issue's size
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from catalog.policy import load_profile
from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    Risk,
    StoredServer,
    StoredTool,
    ToolRecord,
    ToolVersion,
)
from catalog.site import SiteData, build_site
from catalog.site.model import SiteMap
from catalog.site.pages import html_pages
from catalog.site.policies import Policies
from catalog.site.search import query
from catalog.site.templating import environment

VERBS = {Access.READ: ["get", "list", "search", "describe", "fetch"], Access.WRITE: ["create", "update", "send", "set"],
         Access.DESTRUCTIVE: ["delete", "remove", "purge", "drop"]}
NOUNS = ["issue", "repo", "branch", "file", "invoice", "customer", "payment", "message", "channel", "user", "group", "role", "cluster", "pod", "bucket", "object", "record", "table", "index", "document", "ticket", "alert", "incident", "dashboard", "secret", "token"]
WORDS = ["the", "a", "of", "for", "with", "by", "from", "returns", "given", "optional", "identifier", "filter", "page", "results", "project", "workspace", "account", "organization", "status", "label", "comment", "owner", "date", "range", "limit", "cursor", "region", "tag", "version"]
RISK_OF = {Access.READ: Risk.LOW, Access.WRITE: Risk.MEDIUM, Access.DESTRUCTIVE: Risk.CRITICAL}
CATEGORY = {Access.READ: Category.READ, Access.WRITE: Category.WRITE, Access.DESTRUCTIVE: Category.DESTRUCTIVE}
START = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic(tools: int, servers: int, seed: int = 7) -> SiteData:
    """A catalog of `tools` tools spread over `servers` servers, with one or two versions each."""
    rng = random.Random(seed)
    server_records = tuple(
        StoredServer(key=f"github:org{n % 997}/server-{n}", name=f"server-{n}", description=f"MCP server number {n}.",
                     origins=(Origin(kind=OriginKind.GITHUB, value=f"org{n % 997}/server-{n}", version="main"),),
                     status="ok", tool_count=0, first_seen=START, last_seen=START + timedelta(days=30))
        for n in range(servers))
    stored: list[StoredTool] = []
    histories: dict[tuple[str, str], tuple[ToolVersion, ...]] = {}
    for n in range(tools):
        server = server_records[n % servers]
        access = rng.choice(list(Access))
        noun = rng.choice(NOUNS)
        name = f"{rng.choice(VERBS[access])}_{noun}_{n // servers}"
        description = f"{name.split('_')[0].capitalize()} a {noun}. " + " ".join(rng.choices(WORDS, k=rng.randint(8, 40)))
        schema = {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string", "description": f"The {noun} identifier"},
            "limit": {"type": "integer", "minimum": 1, "default": 50},
            "state": {"type": "string", "enum": ["open", "closed", "all"]}}}
        tool = ToolRecord(server_key=server.key, name=name, description=description, input_schema=schema,
                          location=Location(kind=LocationKind.STATIC, file=f"src/tools/{noun}.ts", line=n % 500 + 1))
        capabilities = (Capability.SECRETS,) if noun in ("secret", "token") else ()
        verdict = Classification(access=access, risk=RISK_OF[access], category=CATEGORY[access],
                                 capabilities=capabilities, confidence=0.9,
                                 reasons=(f"name verb '{name.split('_')[0]}' → {access.value}",),
                                 classifier_version="rules-bench")
        seen = START + timedelta(days=rng.randint(0, 29))
        stored.append(StoredTool(tool=tool, classification=verdict, server_name=server.name, first_seen=seen,
                                 last_seen=START + timedelta(days=30)))
        versions = [ToolVersion(definition_hash=tool.definition_hash, definition=tool.definition(), first_seen=seen,
                                last_seen=START + timedelta(days=30))]
        if n % 10 == 0:
            earlier = tool.model_copy(update={"description": "An older description."})
            versions.insert(0, ToolVersion(definition_hash=earlier.definition_hash, definition=earlier.definition(),
                                           first_seen=seen - timedelta(days=5), last_seen=seen))
        histories[(server.key, name)] = tuple(versions)
    return SiteData(server_records, tuple(stored), histories)


def bare_loop(data: SiteData, built: Path) -> tuple[int, float]:
    """Render every HTML page's template with the same data; only the render calls are timed."""
    env, policies = environment(), Policies.load(built, load_profile())
    rendered, spent = 0, 0.0
    for page in html_pages(SiteMap(data), policies, None):
        assert page.template is not None and page.context is not None
        template = env.get_template(page.template)
        started = time.perf_counter()
        template.render(**page.context)
        spent += time.perf_counter() - started
        rendered += 1
    return rendered, spent


def changed_one(data: SiteData) -> SiteData:
    """The same catalog with one tool's description changed (a new version recorded)."""
    tools = list(data.tools)
    item = tools[len(tools) // 2]
    tool = item.tool.model_copy(update={"description": item.tool.description + " Now also archives it."})
    tools[len(tools) // 2] = item.model_copy(update={"tool": tool})
    histories = dict(data.histories)
    key = (tool.server_key, tool.name)
    histories[key] = (*histories[key], ToolVersion(definition_hash=tool.definition_hash, definition=tool.definition(),
                                                   first_seen=START + timedelta(days=31), last_seen=START + timedelta(days=31)))
    return SiteData(data.servers, tuple(tools), histories, data.failures)


def search_figures(root: Path, data: SiteData, samples: int = 50) -> dict[str, float]:
    """Index size on disk and gzipped, and the time of a query (reading the shards it needs)."""
    files = [p for p in (root / "search").rglob("*.json")]
    raw = sum(p.stat().st_size for p in files)
    packed = sum(len(gzip.compress(p.read_bytes(), 6)) for p in files)
    word_shards = [p.stat().st_size for p in (root / "search" / "words").glob("*.json")]
    rng = random.Random(3)
    texts = [" ".join(rng.sample(item.tool.description.split()[:6], 2)) for item in rng.sample(data.tools, samples)]
    timings = []
    for text in texts:
        started = time.perf_counter()
        query(root, text)
        timings.append(time.perf_counter() - started)
    return {"files": len(files), "bytes": raw, "gzip_bytes": packed, "largest_word_shard": max(word_shards),
            "median_word_shard": statistics.median(word_shards), "query_median_ms": statistics.median(timings) * 1000,
            "query_p95_ms": sorted(timings)[int(len(timings) * 0.95) - 1] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=0, help="default: tools / 10")
    parser.add_argument("--out", type=Path, default=None, help="build here and keep it (default: a temp dir)")
    args = parser.parse_args()
    servers = args.servers or max(1, args.tools // 10)
    out = args.out or Path(tempfile.mkdtemp(prefix="site-bench-"))
    started = time.perf_counter()
    data = synthetic(args.tools, servers)
    print(f"synthetic catalog: {args.tools} tools, {servers} servers ({time.perf_counter() - started:.1f}s)")
    try:
        full = build_site(data, out / "site")
        html = sum(1 for path in full.written if path.endswith(".html"))
        print(f"full build: {full.files} files ({html} HTML pages) in {full.seconds:.1f}s = "
              f"{html / full.seconds:.0f} HTML pages/s, {full.files / full.seconds:.0f} files/s end to end, "
              f"{full.policies_rendered} policies rendered")
        rendered, spent = bare_loop(data, out / "site")
        print(f"bare render loop: {rendered} pages in {spent:.1f}s = {rendered / spent:.0f} pages/s; "
              f"the build runs at {(html / full.seconds) / (rendered / spent):.2f}x the bare loop's page rate")
        again = build_site(data, out / "site")
        print(f"no-change rebuild: {again.seconds:.1f}s, {len(again.written)} files written")
        one = build_site(changed_one(data), out / "site")
        print(f"rebuild after one tool changed: {one.seconds:.1f}s, {len(one.written)} files written: "
              f"{', '.join(one.written[:8])}{' …' if len(one.written) > 8 else ''}")
        figures = search_figures(out / "site", data)
        print("search index: {files:.0f} files, {bytes:,.0f} bytes ({gzip_bytes:,.0f} gzipped); word shards "
              "median {median_word_shard:,.0f} B, largest {largest_word_shard:,.0f} B; query median "
              "{query_median_ms:.1f} ms, p95 {query_p95_ms:.1f} ms".format(**figures))
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
