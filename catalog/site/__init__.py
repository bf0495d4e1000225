"""The static site: a page per tool, server and category, search, JSON API and feeds, built from the store."""

from __future__ import annotations

from catalog.site.builder import BuildReport, build_site
from catalog.site.data import SiteData, load_site_data

__all__ = ["BuildReport", "SiteData", "build_site", "load_site_data"]
