"""Just enough of npm's semver to pick a version: exact versions, `^`/`~`, x-ranges, comparators, `||`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_PARTIAL = re.compile(r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?$")
_COMPARATOR = re.compile(r"^(\^|~|>=|<=|>|<|=)?\s*(.+)$")

Triple = tuple[int, int, int]


@dataclass(frozen=True)
class Version:
    """A semver version; prereleases sort before their release."""

    release: Triple
    prerelease: str | None = None

    @property
    def sort_key(self) -> tuple[Triple, int, tuple[tuple[int, int | str], ...]]:
        identifiers = tuple((0, int(p)) if p.isdigit() else (1, p)
                            for p in (self.prerelease or "").split(".") if p)
        return self.release, 0 if self.prerelease else 1, identifiers


def parse_version(text: str) -> Version | None:
    """`1.2.3`, `1.2.3-beta.1`, `v1.2.3+build`, or None."""
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    return Version((int(match[1]), int(match[2]), int(match[3])), match[4])


@dataclass(frozen=True)
class _Bound:
    low: Triple | None = None
    """Inclusive lower bound."""
    high: Triple | None = None
    """Exclusive upper bound."""

    def admits(self, release: Triple) -> bool:
        return (self.low is None or release >= self.low) and (self.high is None or release < self.high)


def _partial(text: str) -> list[int] | None:
    """The numbers of a partial version before its first wildcard: `1.2.x` → [1, 2]; None if malformed."""
    match = _PARTIAL.match(text)
    if match is None:
        return None
    numbers: list[int] = []
    for part in match.groups():
        if part is None or not part.isdigit():
            break
        numbers.append(int(part))
    return numbers


def _next(numbers: list[int]) -> Triple:
    """The first release after every version the partial names: [1] → 2.0.0, [1, 2] → 1.3.0."""
    return _full([*numbers[:-1], numbers[-1] + 1])


def _full(numbers: list[int]) -> Triple:
    padded = [*numbers, 0, 0, 0]
    return padded[0], padded[1], padded[2]


def _caret(numbers: list[int]) -> _Bound:
    # ^ allows changes that do not modify the left-most non-zero part.
    significant = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
    return _Bound(_full(numbers), _next(numbers[: significant + 1]))


def _bounds(operator: str, numbers: list[int]) -> list[_Bound]:
    if not numbers:
        return [_Bound()] if operator in ("", "=", ">=", "^", "~", "<=") else [_Bound(high=(0, 0, 0))]
    match operator:
        case "^":
            return [_caret(numbers)]
        case "~":
            return [_Bound(_full(numbers), _next(numbers[:2] if len(numbers) > 1 else numbers))]
        case ">=":
            return [_Bound(low=_full(numbers))]
        case ">":
            return [_Bound(low=_next(numbers))]
        case "<":
            return [_Bound(high=_full(numbers))]
        case "<=":
            return [_Bound(high=_next(numbers))]
        case _:
            return [_Bound(_full(numbers), _next(numbers))]


def parse_range(text: str) -> list[list[_Bound]] | None:
    """A range as alternatives (`||`) of bound sets, or None when it is not a range we read."""
    alternatives = []
    for alternative in text.split("||"):
        words = alternative.split()
        if "-" in words:
            return None  # hyphen ranges are rare in targets; refused rather than misread
        merged: list[str] = []
        for word in words:  # `>= 1.2` is one comparator written as two words
            if merged and merged[-1] in ("^", "~", ">=", "<=", ">", "<", "="):
                merged[-1] += word
            else:
                merged.append(word)
        bounds: list[_Bound] = []
        for word in merged or ["*"]:
            match = _COMPARATOR.match(word)
            numbers = _partial(match[2]) if match else None
            if match is None or numbers is None:
                return None
            bounds.extend(_bounds(match[1] or "", numbers))
        alternatives.append(bounds)
    return alternatives


def max_satisfying(versions: Iterable[str], range_text: str) -> str | None:
    """The highest release (never a prerelease) the range admits, or None."""
    alternatives = parse_range(range_text)
    if alternatives is None:
        return None
    best: tuple[Version, str] | None = None
    for text in versions:
        version = parse_version(text)
        if version is None or version.prerelease is not None:
            continue
        if any(all(b.admits(version.release) for b in bounds) for bounds in alternatives) and (
                best is None or version.sort_key > best[0].sort_key):
            best = (version, text)
    return best[1] if best else None
