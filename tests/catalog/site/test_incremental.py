"""Incremental builds: after one tool changes, only the files that show it are rewritten."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from catalog.records import Access, Risk, StoredTool
from catalog.site import build_site
from catalog.site.builder import MANIFEST
from catalog.site.policies import CACHE_FILE
from tests.catalog.site.conftest import WHEN, catalog, stored_tool, verdict, version_of


def three_servers() -> list[StoredTool]:
    tools = []
    for server in ("alpha", "bravo", "charlie"):
        tools += [
            stored_tool(f"local:{server}", f"list_{server}_items", f"Lists the {server} items.",
                        classification=verdict(Access.READ, Risk.LOW)),
            stored_tool(f"local:{server}", f"create_{server}_item", f"Creates one {server} item.",
                        classification=verdict(Access.WRITE, Risk.MEDIUM)),
            stored_tool(f"local:{server}", f"delete_{server}_item", f"Deletes one {server} item.",
                        classification=verdict(Access.DESTRUCTIVE, Risk.CRITICAL)),
        ]
    return tools


def mtimes(root: Path) -> dict[str, int]:
    """Modification times of the site's files (the builder's own bookkeeping files left out)."""
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and p.name not in (MANIFEST, CACHE_FILE)}


def test_a_second_build_of_the_same_catalog_writes_nothing(tmp_path: Path) -> None:
    data = catalog(three_servers())
    first = build_site(data, tmp_path)
    before = mtimes(tmp_path)

    second = build_site(data, tmp_path)

    assert first.written and second.written == [] and second.deleted == []
    assert second.files == first.files == len(before)
    assert second.policies_rendered == 0
    assert mtimes(tmp_path) == before


def test_a_changed_description_rewrites_exactly_the_pages_that_show_it(tmp_path: Path) -> None:
    tools = three_servers()
    build_site(catalog(tools), tmp_path)
    before = mtimes(tmp_path)
    changed_at = WHEN + timedelta(days=3)
    old = tools[4]
    tool = old.tool.model_copy(update={"description": "Creates one bravo item and notifies the wombat."})
    tools[4] = old.model_copy(update={"tool": tool, "last_seen": changed_at})
    data = catalog(tools)
    key = ("local:bravo", "create_bravo_item")
    data.histories[key] = (version_of(old.tool, WHEN), version_of(tool, changed_at))

    report = build_site(data, tmp_path)
    after = mtimes(tmp_path)
    touched = sorted(path for path in after if before.get(path) != after[path])
    html_showing = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")
                          if "wombat" in p.read_text(encoding="utf-8"))

    assert sorted(report.written) == touched
    assert [p for p in touched if p.endswith(".html")] == html_showing
    assert "tools/local-bravo/create_bravo_item/index.html" in html_showing
    assert "servers/local-bravo/index.html" in html_showing
    assert not [p for p in touched if p.startswith("tools/") and "create_bravo_item" not in p]
    assert "api/tools/local-bravo/create_bravo_item.json" in touched
    assert "feed.xml" in touched
    assert len(touched) < len(after) // 4


def test_a_removed_tool_loses_its_page_and_json(tmp_path: Path) -> None:
    tools = three_servers()
    build_site(catalog(tools), tmp_path)

    report = build_site(catalog(tools[:-1]), tmp_path)

    assert report.deleted == ["api/tools/local-charlie/delete_charlie_item.json",
                              "tools/local-charlie/delete_charlie_item/index.html"]
    assert not (tmp_path / "tools/local-charlie/delete_charlie_item/index.html").exists()


def test_a_page_deleted_by_hand_is_written_again(tmp_path: Path) -> None:
    data = catalog(three_servers())
    build_site(data, tmp_path)
    (tmp_path / "servers/local-alpha/index.html").unlink()

    report = build_site(data, tmp_path)

    assert report.written == ["servers/local-alpha/index.html"]


def test_an_interrupted_build_is_followed_by_a_full_one(tmp_path: Path) -> None:
    data = catalog(three_servers())
    first = build_site(data, tmp_path)
    (tmp_path / MANIFEST).unlink()  # what a build interrupted while writing leaves behind

    again = build_site(data, tmp_path)

    assert sorted(again.written) == sorted(first.written)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_same_catalog_in_any_order_builds_a_byte_identical_site(tmp_path: Path) -> None:
    tools = three_servers()
    data = catalog(tools)
    shuffled = catalog(tools[::-1])
    shuffled = type(shuffled)(shuffled.servers[::-1], shuffled.tools, dict(reversed(shuffled.histories.items())))

    build_site(data, tmp_path / "first")
    build_site(shuffled, tmp_path / "second")

    first, second = tree(tmp_path / "first"), tree(tmp_path / "second")
    assert list(first) == list(second)
    assert [path for path in first if first[path] != second[path]] == []
