"""The fixture catalog's whole site: every internal link resolves, every page is valid HTML, feeds parse."""

from __future__ import annotations

import json
import os
import posixpath
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
from html5lib.constants import namespaces
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.catalog.site.conftest import PROBE_SERVER, FixtureSite

XHTML = namespaces["html"]
ATOM = "{http://www.w3.org/2005/Atom}"


def parse(path: Path) -> ET.Element:
    """Parse strictly: any HTML parse error (unclosed or stray tag, bad attribute) raises."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    document: ET.Element = parser.parse(path.read_bytes(), transport_encoding="utf-8")
    return document


def tags(document: ET.Element, name: str) -> list[ET.Element]:
    return list(document.iter(f"{{{XHTML}}}{name}"))


def ids_of(cache: dict[Path, set[str]], page: Path) -> set[str]:
    if page not in cache:
        tree = HTMLParser(page.read_text(encoding="utf-8"))
        cache[page] = {str(node.attributes["id"]) for node in tree.css("[id]")}
    return cache[page]


def target_of(root: Path, page: Path, reference: str) -> tuple[Path, str] | None:
    """The file (and fragment) an internal reference points at; None for external links."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc:
        return None
    here = page.relative_to(root).parent.as_posix()
    path = unquote(parts.path)
    resolved = posixpath.normpath(posixpath.join(here, path)) if path else page.relative_to(root).as_posix()
    assert not resolved.startswith(".."), f"{reference} on {page} leaves the site"
    target = root / resolved
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target, parts.fragment


def test_every_internal_link_and_asset_resolves_and_every_anchor_exists(fixture_site: FixtureSite) -> None:
    root = fixture_site.root
    ids: dict[Path, set[str]] = {}
    broken: list[str] = []
    external: set[str] = set()
    pages = sorted(root.rglob("*.html"))
    for page in pages:
        tree = HTMLParser(page.read_text(encoding="utf-8"))
        references = [str(node.attributes[name]) for name in ("href", "src") for node in tree.css(f"[{name}]")]
        for reference in references:
            if reference.startswith("data:"):
                continue
            found = target_of(root, page, reference)
            if found is None:
                external.add(urlsplit(reference).scheme)
                continue
            target, fragment = found
            if not target.is_file():
                broken.append(f"{page.relative_to(root)} → {reference}")
            elif fragment and target.suffix == ".html" and fragment not in ids_of(ids, target):
                broken.append(f"{page.relative_to(root)} → {reference} (no anchor)")

    assert len(pages) >= len(fixture_site.data.tools) + len(fixture_site.data.servers) + 3
    assert broken == []
    assert external <= {"https", "http"}


def page_problems(page: Path) -> list[str]:
    """What is wrong with one page: parse errors, lang, h1 count, ids, CSP, inline script, javascript: URLs."""
    try:
        document = parse(page)
    except html5lib.html5parser.ParseError as error:
        return [f"{page}: {error}"]
    problems: list[str] = []
    html = document if document.tag == f"{{{XHTML}}}html" else next(iter(tags(document, "html")))
    ids = [e.get("id") for e in document.iter() if e.get("id")]
    csp = [m.get("content", "") for m in tags(document, "meta") if m.get("http-equiv") == "Content-Security-Policy"]
    if html.get("lang") != "en":
        problems.append(f"{page}: no lang")
    if len(tags(document, "h1")) != 1:
        problems.append(f"{page}: {len(tags(document, 'h1'))} h1")
    if len(ids) != len(set(ids)):
        problems.append(f"{page}: repeated ids")
    if csp != ["default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; base-uri 'none'; form-action 'self'"]:
        problems.append(f"{page}: CSP {csp}")
    for script in tags(document, "script"):
        # Only the site's own file executes; data blocks are JSON-LD.
        if script.get("src") is None and script.get("type") != "application/ld+json":
            problems.append(f"{page}: inline script")
    if any(e.get(name, "").lower().startswith("javascript:") for e in document.iter() for name in ("href", "src")):
        problems.append(f"{page}: javascript: URL")
    return problems


def test_every_page_is_valid_html_with_lang_one_h1_unique_ids_and_the_csp(fixture_site: FixtureSite) -> None:
    pages = sorted(fixture_site.root.rglob("*.html"))
    # html5lib is pure Python: spread the pages over the cores.
    with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        problems = [problem for found in pool.map(page_problems, pages, chunksize=32) for problem in found]
    assert problems == []


def test_feed_is_atom_with_ids_titles_and_dates_and_api_files_are_json(fixture_site: FixtureSite) -> None:
    root = fixture_site.root
    feed = ET.parse(root / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    api_files = sorted((root / "api").rglob("*.json"))
    index = json.loads((root / "api" / "index.json").read_text(encoding="utf-8"))

    assert feed.tag == f"{ATOM}feed"
    assert [feed.find(f"{ATOM}{name}") is not None for name in ("id", "title", "updated", "author")] == [True] * 4
    assert entries and all(
        all(e.find(f"{ATOM}{name}") is not None and (e.find(f"{ATOM}{name}").text or "").strip()  # type: ignore[union-attr]
            for name in ("id", "title", "updated"))
        for e in entries)
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == len(entries)
    assert all(json.loads(path.read_text(encoding="utf-8")) for path in api_files)
    assert index["counts"] == {"servers": len(fixture_site.data.servers), "tools": len(fixture_site.data.tools)}
    assert len(api_files) == 1 + len(fixture_site.data.servers) + len(fixture_site.data.tools)
    assert not (root / "sitemap.xml").exists()  # no --base-url: the protocol needs absolute URLs
    assert (root / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nAllow: /\n"
    llms = (root / "llms.txt").read_text(encoding="utf-8")
    assert llms.startswith("# MCP tool catalog\n\n> ")
    assert f"[{PROBE_SERVER}](servers/local-{PROBE_SERVER}/)" in llms


def test_home_counts_every_tool_and_server(fixture_site: FixtureSite) -> None:
    home = parse(fixture_site.root / "index.html")
    lead = next(p for p in tags(home, "p") if p.get("class") == "lead")
    tools, servers = len(fixture_site.data.tools), len(fixture_site.data.servers)

    assert (lead.text or "").startswith(f"{tools} tools catalogued across {servers} servers")
