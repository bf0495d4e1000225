"""The registry crawl's progress bar on stderr and its summary lines: servers listed, tools found, failures."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from catalog.records import CrawlFailure
from catalog.registry_sync import RegistryReport
from catalog.render import inert, one_line
from crawler.registries.source import ListedServer


class RichSyncProgress:
    """A live line per registry: servers listed, tools found, failures; silent when stderr is no terminal."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"),
            TextColumn("[bold]{task.fields[servers]}[/] servers"),
            TextColumn("{task.fields[tools]} tools"),
            TextColumn("[red]{task.fields[failures]}[/] failures"),
            TimeElapsedColumn(), console=console, transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._counts: dict[str, list[int]] = {}
        self._current: str | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._tasks:
            self._progress.stop()

    def _task(self, registry: str) -> TaskID:
        if not self._tasks:
            # Started with the first registry, so an error before any walk prints no empty bar.
            self._progress.start()
        if registry not in self._tasks:
            self._counts[registry] = [0, 0, 0]
            self._tasks[registry] = self._progress.add_task(
                f"registry:{registry}", total=None, servers=0, tools=0, failures=0
            )
        self._current = registry
        return self._tasks[registry]

    def _refresh(self, registry: str) -> None:
        servers, tools, failures = self._counts[registry]
        self._progress.update(self._tasks[registry], servers=servers, tools=tools, failures=failures)

    def listed(self, registry: str, listed: ListedServer) -> None:
        """One more server stored."""
        self._task(registry)
        self._counts[registry][0] += 1
        self._counts[registry][1] += len(listed.result.tools)
        self._refresh(registry)

    def failed(self, failure: CrawlFailure) -> None:
        """One more failure, counted against the registry being walked."""
        registry = self._current or failure.target.removeprefix("registry:")
        self._task(registry)
        self._counts[registry][2] += 1
        self._refresh(registry)

    def message(self, text: str) -> None:
        """A status message from the walk (page numbers): shown as the line's description."""
        registry = text.split(":", 1)[0]
        if registry in self._tasks or self._current is None:
            self._progress.update(self._task(registry), description=f"registry:{one_line(text, 80)}")


def print_summaries(out: Console, err: Console, reports: Sequence[RegistryReport]) -> None:
    """One summary line per registry and one red line per failure."""
    for report in reports:
        ways = ", ".join(f"{count} by {way}" for way, count in sorted(report.ways.items()))
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(report.upstream.items()))
        since = f" since {report.since.isoformat()}" if report.since else ""
        resumed = " (resumed)" if report.resumed_from else ""
        out.print(Text(
            f"{report.target}{since}{resumed}: {report.saved} servers ({statuses or 'none'}), "
            f"{report.tools} tools ({ways or 'none'}), {report.unchanged} unchanged, "
            f"{len(report.removed)} removed upstream, {len(report.failures)} failures, "
            f"{report.pages} pages in {report.seconds:.1f} s"
        ))
        for failure in report.failures:
            err.print(Text(f"failed {inert(failure.target)} ({failure.stage}): {one_line(failure.reason)}",
                           style="red"))
