"""A static crawl and a saved listing of one server: merged, disagreements shown, removals agreed by both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from catalog.pipeline import crawl_target
from catalog.store import Store
from catalog.store_sightings import disagreements, summary
from crawler.targets import TargetOptions

REPO = Path(__file__).resolve().parents[3]
KEY = "local:notes-desk"


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CATALOG_DATABASE_URL": f"sqlite:///{db}", "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120, check=False)


def write_source(folder: Path, *names: str) -> Path:
    """A TypeScript server registering one tool per name, in a folder named like the server."""
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"name": "notes-desk", "version": "1.0.0"}', encoding="utf-8")
    registrations = "\n".join(
        f'server.registerTool("{name}", {{ description: "The {name} tool." }}, async () => ({{ content: [] }}));'
        for name in names
    )
    (folder / "src" / "server.ts").write_text(
        'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";\n'
        'const server = new McpServer({ name: "notes-desk", version: "1.0.0" });\n' + registrations + "\n",
        encoding="utf-8",
    )
    return folder


def write_listing(path: Path, *names: str) -> Path:
    tools = [{"name": n, "description": f"The {n} tool.", "inputSchema": {"type": "object"}} for n in names]
    path.write_text(json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}), encoding="utf-8")
    return path


def crawl(db: Path, *args: str) -> None:
    result = run(db, "crawl", *args)
    assert result.returncode == 0, result.stderr


def test_static_and_saved_crawls_merge_and_show_reports_both_disagreements(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    source = write_source(tmp_path / "notes-desk", "list_notes", "read_note", "export_notes")
    listing = write_listing(tmp_path / "listing.json", "list_notes", "read_note", "delete_note")

    crawl(db, str(source))
    crawl(db, str(listing), "--name", "notes-desk")
    detail = json.loads(run(db, "show", "--server", KEY, "--json").stdout)
    shown = run(db, "show", "--server", KEY)

    assert [(o["kind"], o["value"]) for o in detail["origins"]] == [
        ("local", "notes-desk"), ("saved", listing.name)
    ]
    assert [(t["name"], t["removed"], [s["kind"] for s in t["sightings"]]) for t in detail["tools"]] == [
        ("delete_note", False, ["saved"]),
        ("export_notes", False, ["static"]),
        ("list_notes", False, ["static", "saved"]),
        ("read_note", False, ["static", "saved"]),
    ]
    disagreements = detail["disagreements"]
    assert disagreements["summary"] == "only static: export_notes; only saved: delete_note"
    assert [(d["name"], d["seen_by"], d["not_seen_by"]) for d in disagreements["tools"]] == [
        ("export_notes", ["static"], ["saved"]), ("delete_note", ["saved"], ["static"]),
    ]
    [static_sighting] = disagreements["tools"][0]["sightings"]
    assert (static_sighting["location"], static_sighting["missing_since"]) == ("src/server.ts:5", None)
    assert shown.returncode == 0, shown.stderr
    assert "disagreements: only static: export_notes; only saved: delete_note" in shown.stdout
    assert "export_notes: static saw it " in shown.stdout
    assert " at src/server.ts:5; saved never saw it" in shown.stdout
    assert "delete_note: saved saw it " in shown.stdout
    assert " at listing.json; static never saw it" in shown.stdout


def test_tool_leaves_the_catalog_only_when_both_crawls_stop_seeing_it(tmp_path: Path) -> None:
    source = write_source(tmp_path / "notes-desk", "list_notes", "read_note")
    listing = write_listing(tmp_path / "listing.json", "list_notes", "read_note")
    saved = TargetOptions(name="notes-desk")

    with Store.open(f"sqlite:///{tmp_path / 'c.db'}") as store:
        crawl_target(str(source), store)
        crawl_target(str(listing), store, options=saved)
        write_source(source, "list_notes")
        static_again = crawl_target(str(source), store)
        after_static = store.tools(server=KEY)
        write_listing(listing, "list_notes")
        saved_again = crawl_target(str(listing), store, options=saved)
        everything = store.tools(server=KEY, include_removed=True)

    assert [(s.removed, s.missing) for s in static_again.saved] == [(0, 1)]
    assert [t.tool.name for t in after_static] == ["list_notes", "read_note"]
    assert summary(disagreements(after_static)) == "only saved: read_note"
    assert [(s.removed, s.missing) for s in saved_again.saved] == [(1, 0)]
    assert [(t.tool.name, t.removed) for t in everything] == [("list_notes", False), ("read_note", True)]
