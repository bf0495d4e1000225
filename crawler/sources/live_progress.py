"""Where a live crawl has got to, and the one-line reasons it can end with; no SDK types here."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio

from catalog.errors import CrawlError


@dataclass
class Progress:
    """What the crawl has reached and seen, so a failure can say where and why in one line."""

    stage: str = "start"
    budget: float = 0.0
    http_status: int | None = None
    transport_errors: list[Exception] = field(default_factory=list)
    junk_lines: int = 0
    problems: list[str] = field(default_factory=list)


class Stopped(CrawlError):
    """The crawl ended with a complete one-line reason (timeout, cursor loop, error answer)."""


def step(deadline: anyio.CancelScope, progress: Progress, stage: str, seconds: float) -> None:
    progress.stage, progress.budget = stage, seconds
    deadline.deadline = anyio.current_time() + seconds


def leaf(error: BaseException) -> BaseException:
    """The first real exception inside (possibly nested) exception groups from task groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return short(text[0]) if text else type(error).__name__


def short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
