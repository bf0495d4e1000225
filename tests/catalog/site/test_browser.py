"""The built site in a real browser (Debian's Chromium through Playwright), served from 127.0.0.1."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.site.conftest import PROBE_SERVER, PROBE_TOOL, REPO, FixtureSite

CHROMIUM = Path(os.environ.get("CATALOG_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts" / "site"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_browser() -> Any:
    """Playwright's sync API, or a skip (a failure under CI) when it or Chromium is missing."""
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
    if sync_api is None or not CHROMIUM.exists():
        message = f"browser tests need the playwright package and {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_api


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture
def served(fixture_site: FixtureSite) -> Iterator[str]:
    """The site served by http.server under a sub-path, as a base path other than / must work."""
    handler = partial(QuietHandler, directory=str(fixture_site.root.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{fixture_site.root.name}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def page(served: str) -> Iterator[Any]:
    """A fresh Chromium page with clipboard access, recording dialogs and page errors."""
    sync_api = require_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.rstrip("/").rsplit("/", 1)[0])
        opened = context.new_page()
        opened.dialogs = []
        opened.errors = []
        opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
        opened.on("pageerror", lambda error: opened.errors.append(str(error)))
        try:
            yield opened
        finally:
            context.close()
            browser.close()


def test_search_open_copy_and_follow_a_related_tool(page: Any, served: str) -> None:
    page.goto(served)
    page.screenshot(path=str(ARTIFACTS / "home.png"))
    page.fill("#home-search", "trash")  # a word of delete_node's description, not of its name
    page.press("#home-search", "Enter")
    page.wait_for_selector("#search-results li a")
    page.screenshot(path=str(ARTIFACTS / "search.png"))
    result_names = page.locator("#search-results li a").all_text_contents()

    page.locator("#search-results li a", has_text="delete_node").first.click()
    page.wait_for_load_state()
    heading = page.locator("h1").text_content()
    policy = page.locator("#policy-policylayer").text_content()
    page.locator("button.copy[data-copy='policy-policylayer']").click()
    page.wait_for_function("document.querySelector(\"button.copy\").textContent === 'Copied'")
    clipboard = page.evaluate("navigator.clipboard.readText()")
    page.screenshot(path=str(ARTIFACTS / "tool.png"), full_page=True)

    related = page.locator("#related ~ ul a, section[aria-labelledby=related] ul.tool-list a").first
    related_name = related.text_content()
    related.click()
    page.wait_for_load_state()
    page.screenshot(path=str(ARTIFACTS / "related.png"))

    assert "delete_node" in result_names
    assert heading == "delete_node"
    assert clipboard == policy
    assert "delete_node" in json.loads(policy)["hide"]
    assert page.locator("h1").text_content() == related_name
    assert page.url.startswith(served + "tools/")
    assert page.errors == []


def test_xss_probe_renders_as_text_and_never_runs(page: Any, served: str) -> None:
    probe = f"tools/local-{PROBE_SERVER}/{PROBE_TOOL}/"
    visited = [probe, f"servers/local-{PROBE_SERVER}/", "search/?q=quokka", "", "access/read/"]
    executed = {}
    for path in visited:
        page.goto(served + path)
        page.wait_for_load_state("networkidle")
        executed[path] = page.evaluate("typeof window.__xss === 'undefined' ? null : String(window.__xss)")
    page.goto(served + probe)
    description = page.locator(".description").text_content()
    page.hover(".description")
    page.screenshot(path=str(ARTIFACTS / "xss-probe.png"), full_page=True)
    page.goto(served + "search/?q=quokka")
    page.wait_for_selector("#search-results li")
    found = page.locator("#search-results li a").all_text_contents()

    assert executed == dict.fromkeys(visited)
    assert page.dialogs == []
    assert "<script>window.__xss = 'script'</script>" in description
    assert "javascript:alert(1)" in description
    assert "\u200b" not in description and "\u202e" not in description
    assert found == ["probe_delete", PROBE_TOOL] or found == [PROBE_TOOL, "probe_delete"]
    assert page.locator("script:not([src]):not([type='application/ld+json'])").count() == 0
