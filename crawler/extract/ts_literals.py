"""JavaScript's number and string semantics, as far as static evaluation needs them."""

from __future__ import annotations

import math
from typing import Any, Final

from crawler.extract.bounds import MAX_VALUE_SIZE

_MAX_SAFE_INTEGER: Final = 2**53 - 1


class Unknown:
    """A value that cannot be known without running the code."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()


def joined(left: str, right: str) -> str | Unknown:
    """left + right, unless that would be longer than any value we build."""
    return UNKNOWN if len(left) + len(right) > MAX_VALUE_SIZE else left + right


def is_number(value: Any) -> bool:
    """True for an int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def js_number(value: int | float) -> int | float | Unknown:
    """A number as JavaScript holds it: integers past 2^53 are doubles, and Infinity is unknown."""
    if isinstance(value, int) and abs(value) > _MAX_SAFE_INTEGER:
        try:
            value = float(value)
        except OverflowError:
            return UNKNOWN
    return value if isinstance(value, int) or math.isfinite(value) else UNKNOWN


def js_string(value: str | int | float) -> str:
    """What JavaScript writes for a value joined to a string (integral floats without `.0`)."""
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    return str(value)


def number(text: str) -> int | float | Unknown:
    """The value of a number literal (`0x1F`, `1_000`, `2.5e3`, `10n`)."""
    cleaned = text.replace("_", "").lower().rstrip("n")
    try:
        if cleaned.startswith(("0x", "0o", "0b")):
            return js_number(int(cleaned, 0))
        if any(marker in cleaned for marker in (".", "e")):
            return js_number(float(cleaned))
        return js_number(int(cleaned))
    except ValueError:
        return UNKNOWN
