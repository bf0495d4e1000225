"""Bounds that keep static evaluation of untrusted code linear: remembered results, value sizes."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Final, Generic, TypeVar

MAX_VALUE_SIZE: Final = 64 * 1024
"""The largest value an evaluator builds, in characters plus entries counted as if nothing were
shared: ten times the longest tool description in our labelled data. A bigger one is unknown
rather than built (`A1 = A0 + A0`, ... `A80` would be 2^80 characters). Nothing else in the
extractors caps a length; literals are taken as written, the file size cap bounds those."""

MAX_HEIGHT: Final = 100
"""The deepest nesting of lists and dicts a built value may have, well inside Python's recursion
limit, so that whatever reads it later (pydantic, json) may recurse. Depth limits keep one
evaluation shallower; remembered results could otherwise be stacked ever deeper."""

T = TypeVar("T")


class Memo(Generic[T]):
    """Results by key (a node), each with the depth it was worked out at.

    A result is reused at that depth or deeper, where working it out again could only stop
    sooner; nearer the top it is worked out again, so a node costs at most once per depth it is
    met at, however many paths lead to it (`A2 = A1 + A1`, `A1 = A0 + A0`, ...).
    While a node is being worked out it stands for `cut`: a value defined through itself
    (`const A = A + A`) is unknown, not an endless recursion.
    """

    def __init__(self) -> None:
        self._results: dict[Hashable, tuple[T, int]] = {}

    def recall(self, key: Hashable, depth: int) -> tuple[T] | None:
        """The result to reuse at this depth, if any (in a 1-tuple, as a result may be None)."""
        found = self._results.get(key)
        return (found[0],) if found is not None and depth >= found[1] else None

    def remembered(self, key: Hashable, depth: int, cut: T, compute: Callable[[], T]) -> T:
        """The result to reuse, or compute's, remembered."""
        known = self.recall(key, depth)
        if known is not None:
            return known[0]
        self._results[key] = (cut, depth)
        result = compute()
        self._results[key] = (result, depth)
        return result


class Sizes:
    """The size and nesting of every list and dict measured so far, so that a value built from
    measured parts costs only its own entries to measure (shared parts count in full each time)."""

    def __init__(self) -> None:
        # The values are kept alive here, so no other object can take over their ids.
        self._known: dict[int, tuple[object, int, int]] = {}

    def fits(self, value: Any) -> bool:
        """True when the value is at most MAX_VALUE_SIZE and MAX_HEIGHT."""
        size, height = self.measure(value)
        return size <= MAX_VALUE_SIZE and height <= MAX_HEIGHT

    def measure(self, value: Any, limit: int = MAX_VALUE_SIZE) -> tuple[int, int]:
        """(size, height) of a JSON-like value, height counting the lists and dicts on the way
        down; a size over limit is returned as soon as it is reached, the rest left unread."""
        if isinstance(value, str):
            return len(value), 0
        if not isinstance(value, dict | list):
            return 1, 0
        known = self._known.get(id(value))
        if known is not None:
            return known[1], known[2]
        size, height = 1, 1
        pairs = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        for key, item in pairs:
            size += len(key) if isinstance(key, str) else 0
            item_size, item_height = self.measure(item, limit - size)
            size += item_size
            height = max(height, item_height + 1)
            if size > limit:
                return size, height
        self._known[id(value)] = (value, size, height)
        return size, height
