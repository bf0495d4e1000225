"""Sitemaps (split past the protocol's cap) and the Atom feed's order and identities."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

from catalog.site import build_site
from catalog.site.feeds import sitemap_pages
from tests.catalog.site.conftest import WHEN, catalog, stored_tool, version_of

ATOM = "{http://www.w3.org/2005/Atom}"


def test_sitemaps_past_the_cap_become_an_index_over_numbered_files() -> None:
    paths = [f"tools/s/t{n}/index.html" for n in range(5)]

    pages = sitemap_pages(paths, {"tools/s/t0/index.html": "2026-03-01"}, "https://x.org/", limit=2)

    assert [(p.path, p.template) for p in pages] == [
        ("sitemap.xml", "sitemap-index.xml"), ("sitemap-1.xml", "sitemap.xml"),
        ("sitemap-2.xml", "sitemap.xml"), ("sitemap-3.xml", "sitemap.xml")]
    assert pages[0].context == {"sitemaps": ["https://x.org/sitemap-1.xml", "https://x.org/sitemap-2.xml",
                                             "https://x.org/sitemap-3.xml"]}
    assert pages[1].context == {"urls": [{"loc": "https://x.org/tools/s/t0/", "lastmod": "2026-03-01"},
                                         {"loc": "https://x.org/tools/s/t1/", "lastmod": None}]}
    assert sitemap_pages(paths, {}, None) == []


def test_feed_lists_additions_and_changes_newest_first_with_stable_ids(tmp_path: Path) -> None:
    old = stored_tool("local:acme", "purge", "Purges the cache.")
    new = old.tool.model_copy(update={"description": "Purges the cache and the CDN."})
    later = stored_tool("local:acme", "warm", "Warms the cache.", first_seen=WHEN + timedelta(days=1))
    data = catalog([old.model_copy(update={"tool": new}), later])
    data.histories[("local:acme", "purge")] = (version_of(old.tool, WHEN - timedelta(days=5)),
                                               version_of(new, WHEN + timedelta(days=2)))
    build_site(data, tmp_path / "a")
    build_site(data, tmp_path / "b")

    feed = ET.parse(tmp_path / "a" / "feed.xml").getroot()
    entries = [(e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}updated")) for e in feed.findall(f"{ATOM}entry")]

    assert entries == [("purge on acme changed", "2026-03-03T12:00:00Z"), ("warm on acme added", "2026-03-02T12:00:00Z"),
                       ("purge on acme added", "2026-02-24T12:00:00Z")]
    assert feed.findtext(f"{ATOM}updated") == "2026-03-03T12:00:00Z"
    assert (tmp_path / "a" / "feed.xml").read_bytes() == (tmp_path / "b" / "feed.xml").read_bytes()
