"""The seam between targets and the pipeline: a Source yields one CrawlResult per server."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from catalog.records import CrawlResult


class StateCache(Protocol):
    """Small persistent key/value state a source may keep between runs (ETags, cursors).

    The store implements it; tests can pass a dict-backed one.
    """

    def get_state(self, key: str) -> dict[str, Any] | None: ...

    def put_state(self, key: str, value: dict[str, Any]) -> None: ...


class MemoryState:
    """A StateCache held in memory, for runs without a store and for tests."""

    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any]] = {}

    def get_state(self, key: str) -> dict[str, Any] | None:
        return self._values.get(key)

    def put_state(self, key: str, value: dict[str, Any]) -> None:
        self._values[key] = value


def _no_progress(message: str) -> None:
    """Progress sink that drops messages."""


@dataclass
class CrawlContext:
    """What every source receives: the one HTTP client, persistent state, a progress sink."""

    http: httpx.AsyncClient
    state: StateCache = field(default_factory=MemoryState)
    progress: Callable[[str], None] = _no_progress


class Source(ABC):
    """A crawl target turned into something that yields records; it never classifies or stores."""

    target: str
    """The target as the user wrote it."""

    @abstractmethod
    def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """Yield one CrawlResult per server found; raise CrawlError when nothing can be read."""
