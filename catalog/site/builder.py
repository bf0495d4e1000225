"""Build the site into a folder, writing only files whose inputs changed since the last build."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.errors import ConfigError
from catalog.policy import Profile, load_profile
from catalog.site.api import api_files
from catalog.site.data import SiteData
from catalog.site.feeds import feed_page, llms_full_txt, llms_txt, robots_txt, sitemap_pages
from catalog.site.model import SiteMap, key_of
from catalog.site.pages import Page, html_pages
from catalog.site.policies import Policies
from catalog.site.search import index_files, search_docs
from catalog.site.templating import SITE_FORMAT, environment, package_files, templates_digest
from catalog.site.text import safe_url

MANIFEST = ".catalog-site.json"
"""Page path → hash of what it was made from; lives in the output folder, read by the next build."""


@dataclass
class BuildReport:
    """What a build did."""

    out: Path
    files: int = 0
    written: list[str] = field(default_factory=list)
    """Paths (from the site root) written this time, in build order."""
    deleted: list[str] = field(default_factory=list)
    """Paths of the previous build that no longer exist in the catalog, removed."""
    seconds: float = 0.0
    policies_rendered: int = 0
    """Policies rendered afresh (the others came from the previous build's cache)."""

    @property
    def unchanged(self) -> int:
        """Files left as they were."""
        return self.files - len(self.written)


def normalise_base_url(base_url: str | None) -> str | None:
    """An absolute http(s) base URL ending in `/`, or None; anything else is a ConfigError."""
    if base_url is None or base_url == "":
        return None
    checked = safe_url(base_url)
    if checked is None or "?" in checked or "#" in checked:
        raise ConfigError(f"--base-url must be an absolute http(s) URL, not {base_url!r}")
    return checked if checked.endswith("/") else checked + "/"


def _digest(page: Page) -> str:
    if page.content is not None:
        return hashlib.sha256(page.content).hexdigest()
    inputs = json.dumps([page.template, page.context], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{templates_digest()}\0{inputs}".encode()).hexdigest()


def render(page: Page) -> bytes:
    """A page's bytes: its content, or its template rendered with its data."""
    if page.content is not None:
        return page.content
    assert page.template is not None and page.context is not None
    return environment().get_template(page.template).render(**page.context).encode("utf-8")


def _lastmod(site: SiteMap) -> dict[str, str]:
    dates: dict[str, str] = {}
    for item in site.tools:
        versions = site.data.histories.get(key_of(item), ())
        changed = versions[-1].first_seen if versions else item.first_seen
        dates[f"{site.tool_path(key_of(item))}index.html"] = changed.date().isoformat()
    for server in site.servers:
        dates[f"{site.server_path(server.key)}index.html"] = server.last_seen.date().isoformat()
    return dates


def _raw(files: dict[str, bytes]) -> Iterator[Page]:
    for path, content in files.items():
        yield Page(path, content=content)


def plan(site: SiteMap, policies: Policies, base_url: str | None) -> Iterator[Page]:
    """Every file of the site, HTML pages first; nothing rendered yet."""
    html_paths: list[str] = []
    for page in html_pages(site, policies, base_url):
        html_paths.append(page.path)
        yield page
    yield from _raw({f"assets/{name}": content for name, content in package_files("assets").items()})
    yield from _raw(index_files(search_docs(site)))
    yield from _raw(api_files(site, policies, base_url))
    yield feed_page(site, base_url)
    yield from sitemap_pages(html_paths, _lastmod(site), base_url)
    yield Page("robots.txt", content=robots_txt(base_url))
    yield Page("llms.txt", content=llms_txt(site, base_url))
    yield Page("llms-full.txt", content=llms_full_txt(site, policies))


def _read_manifest(out: Path) -> dict[str, str]:
    try:
        document: Any = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    if not isinstance(document, dict) or document.get("format") != SITE_FORMAT:
        return {}
    pages = document.get("pages")
    return {str(k): str(v) for k, v in pages.items()} if isinstance(pages, dict) else {}


def _write(out: Path, path: str, content: bytes) -> None:
    target = out / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def write_pages(out: Path, pages: Iterable[Page], report: BuildReport,
                progress: Callable[[str], None] | None = None) -> dict[str, str]:
    """Render and write the pages whose digest differs from the last build's (or whose file is gone)."""
    previous = _read_manifest(out)
    # Until this build finishes, no file is vouched for: an interrupted build is followed by a full one.
    (out / MANIFEST).unlink(missing_ok=True)
    current: dict[str, str] = {}
    for page in pages:
        if page.path in current:
            raise AssertionError(f"two files of the site at {page.path}")
        digest = current[page.path] = _digest(page)
        if previous.get(page.path) != digest or not (out / page.path).is_file():
            _write(out, page.path, render(page))
            report.written.append(page.path)
        if progress is not None and len(current) % 5000 == 0:
            progress(f"{len(current)} files, {len(report.written)} written")
    for stale in sorted(set(previous) - set(current)):
        (out / stale).unlink(missing_ok=True)
        report.deleted.append(stale)
    return current


def build_site(
    data: SiteData,
    out: Path,
    *,
    base_url: str | None = None,
    profile: str | Profile = "balanced",
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build (or bring up to date) the static site for this catalog in `out`."""
    started = time.perf_counter()
    base = normalise_base_url(base_url)
    chosen = profile if isinstance(profile, Profile) else load_profile(profile)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    report = BuildReport(out)
    policies = Policies.load(out, chosen)
    current = write_pages(out, plan(SiteMap(data), policies, base), report, progress)
    policies.save(out)
    report.policies_rendered = policies.rendered
    manifest = {"format": SITE_FORMAT, "pages": dict(sorted(current.items()))}
    temporary = out / f"{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, out / MANIFEST)
    report.files = len(current)
    report.seconds = time.perf_counter() - started
    return report
