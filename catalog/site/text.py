"""Crawled text made safe to show: invisible and control characters removed, lengths bounded."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from catalog.render import inert

_TAG_CHARACTERS = re.compile("[\U000e0000-\U000e007f\ufffe\uffff\ud800-\udfff]")
"""Unicode tag characters (invisible, used to smuggle instructions), non-characters, lone surrogates."""
_LINE_SEPARATORS = re.compile("[\u2028\u2029\r]")
_TOKEN = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def clean(text: str | None, limit: int = 20_000) -> str:
    """Crawled text with control, zero-width, bidi and tag characters removed; newlines kept."""
    if not text:
        return ""
    return inert(_LINE_SEPARATORS.sub("\n", _TAG_CHARACTERS.sub("", text)), limit)


def had_hidden_characters(text: str | None) -> bool:
    """True when cleaning removed something other than line-ending differences."""
    if not text:
        return False
    return clean(text, len(text) + 1) != _LINE_SEPARATORS.sub("\n", text)


def snippet(text: str | None, limit: int = 160) -> str:
    """The first characters of crawled text on one line, for listings and search results."""
    flat = " ".join(clean(text, limit * 4).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def ascii_fold(text: str) -> str:
    """Text reduced to ASCII by dropping accents (é → e); other scripts drop out."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """Lowercase ASCII words of a text, camelCase and snake_case split apart."""
    return _TOKEN.findall(ascii_fold(_CAMEL.sub(" ", text)).lower())


def safe_url(url: str | None) -> str | None:
    """The URL when it is plain http(s) with a host and no credentials or whitespace; else None."""
    if not url or any(ch.isspace() or ord(ch) < 0x20 for ch in url) or len(url) > 2000:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return url
