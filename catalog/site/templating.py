"""The Jinja environment: autoescaped templates shipped in the package, and a JSON-LD filter safe in HTML."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

SITE_FORMAT = "site-1"
"""Bumped when the builder changes what it writes, so every page of an older build is rewritten."""
_SCRIPT_UNSAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", ord("'"): "\\u0027"}


def script_json(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block: `</script>`, `<!--`, U+2028/9 cannot break out."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_UNSAFE))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The site's template environment (built once per process)."""
    env = Environment(
        loader=PackageLoader("catalog.site", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "xml"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["script_json"] = script_json
    return env


def package_files(folder: str) -> dict[str, bytes]:
    """Every file of a folder shipped in this package, by name, sorted."""
    root = resources.files("catalog.site").joinpath(folder)
    found = {entry.name: entry.read_bytes() for entry in root.iterdir() if entry.is_file()}
    return dict(sorted(found.items()))


@lru_cache(maxsize=1)
def templates_digest() -> str:
    """A hash of the format version, every template and every asset: part of each page's input hash."""
    digest = hashlib.sha256(SITE_FORMAT.encode("utf-8"))
    for folder in ("templates", "assets"):
        for name, content in package_files(folder).items():
            digest.update(f"\0{folder}/{name}\0".encode())
            digest.update(content)
    return digest.hexdigest()
