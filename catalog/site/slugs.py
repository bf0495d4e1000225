"""Stable, unique, URL-safe slugs for servers and tools; collisions get a short hash of the original."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from catalog.site.text import ascii_fold

MAX_SLUG = 80
_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")


def slugify(text: str, fallback: str = "item") -> str:
    """Lowercase ASCII letters, digits, `_` and `-`; never empty, at most MAX_SLUG characters."""
    slug = _DASHES.sub("-", _UNSAFE.sub("-", ascii_fold(text).lower())).strip("-_")[:MAX_SLUG]
    return slug.rstrip("-_") or fallback


def short_hash(text: str, length: int = 8) -> str:
    """The first hex digits of the text's sha256: the same text, the same suffix, on any machine."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def unique_slugs(names: Iterable[str], fallback: str = "item") -> dict[str, str]:
    """A slug per distinct name, unique across them.

    Names whose slugs collide are ordered by the name itself: the first keeps the bare slug,
    each other gets `-` plus a hash of its own name, so a name's slug does not depend on the
    order it was seen in, and only changes when a name sorting before it starts colliding.
    """
    ordered = sorted(set(names))
    wanted = {name: slugify(name, fallback) for name in ordered}
    bare_owner: dict[str, str] = {}
    for name in ordered:
        bare_owner.setdefault(wanted[name], name)
    taken = set(bare_owner)
    slugs: dict[str, str] = {}
    for name in ordered:
        slug = wanted[name]
        if bare_owner[slug] != name:
            slug = _suffixed(slug, name, taken)
            taken.add(slug)
        slugs[name] = slug
    return slugs


def _suffixed(slug: str, name: str, taken: set[str]) -> str:
    for length in range(8, 65, 4):
        suffix = short_hash(name, length)
        candidate = f"{slug[: MAX_SLUG - length - 1]}-{suffix}"
        if candidate not in taken:
            return candidate
    raise AssertionError("sha256 prefixes of distinct names cannot all collide")
