"""Large batches shared with worker processes: each loads the model once; results come back in order.

The main process works too, from the other end of the batch, so a slow worker start costs
nothing: the workers are only ever handed the next chunk when they are about to need it.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Flag,
    Location,
    LocationKind,
    Risk,
    ToolHints,
    ToolRecord,
)
from classifier.base import collection_paused

if TYPE_CHECKING:
    from classifier.combined import CombinedClassifier

PARALLEL_FROM = 20_000
"""Distinct tools below which a batch stays in one process: starting a worker costs ~2 s."""
MAX_CHUNK = 2_000
MIN_CHUNK = 100

# Plain tuples cross the process boundary: unpickling pydantic models costs ~25 µs each.
_Row = tuple[str, str | None, str, dict[str, Any], dict[str, Any] | None, dict[str, bool]]
_Verdict = tuple[
    str, str, str, tuple[str, ...], float, tuple[str, ...], tuple[tuple[str, str, str | None], ...]
]

_WORKER: CombinedClassifier | None = None


def available_cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def classify_in_parallel(
    classifier: CombinedClassifier,
    tools: Sequence[ToolRecord],
    workers: int,
    model_dir: Path,
    classify: Callable[[Sequence[ToolRecord]], list[Classification]],
) -> list[Classification]:
    """`classify(tools)`, shared between this process and `workers` spawned processes.

    Every tool's classification depends on its definition alone, so chunks can go anywhere.
    Workers are kept one chunk ahead from the front while this process works from the back;
    a worker that cannot start or dies leaves its chunks to this process.
    """
    size = max(MIN_CHUNK, min(MAX_CHUNK, len(tools) // (8 * (workers + 1))))
    chunks = [tools[start : start + size] for start in range(0, len(tools), size)]
    results: list[list[Classification] | None] = [None] * len(chunks)
    pool = _pool(classifier, workers, model_dir)
    submitting = pool is not None
    pending: dict[Future[list[_Verdict]], int] = {}
    front, back = 0, len(chunks)
    try:
        while front < back or pending:
            while pool is not None and submitting and front < back and len(pending) < 2 * workers:
                try:
                    # A _Chunk arrives in the worker as the list of rows it pickles to.
                    rows = cast("list[_Row]", _Chunk(chunks[front]))
                    pending[pool.submit(_classify_rows, rows)] = front
                except (BrokenProcessPool, OSError, RuntimeError):
                    submitting = False  # no worker after all: this process does the rest
                    break
                front += 1
            for future in [future for future in pending if future.done()]:
                index = pending.pop(future)
                results[index] = _collect(future, chunks[index], classifier.version, classify)
            if front < back:
                back -= 1
                results[back] = classify(chunks[back])
            elif pending:
                wait(pending, return_when=FIRST_COMPLETED)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return [verdict for chunk in results if chunk is not None for verdict in chunk]


def _pool(classifier: CombinedClassifier, workers: int, model_dir: Path) -> ProcessPoolExecutor | None:
    try:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(pickle.dumps(classifier.rules), classifier.meta, str(model_dir)),
        )
    except (OSError, RuntimeError, pickle.PicklingError):
        return None


def _collect(
    future: Future[list[_Verdict]],
    chunk: Sequence[ToolRecord],
    version: str,
    classify: Callable[[Sequence[ToolRecord]], list[Classification]],
) -> list[Classification]:
    try:
        verdicts = future.result()
    except (BrokenProcessPool, OSError, pickle.PicklingError):
        return classify(chunk)  # the worker is gone: same answers, computed here
    return [_classification(verdict, version) for verdict in verdicts]


def _start_worker(rules: bytes, meta: dict[str, Any], model_dir: str) -> None:
    global _WORKER
    from classifier.combined import CombinedClassifier

    # The rules come from the parent (they may not be the shipped ones); the model from disk.
    worker = CombinedClassifier(pickle.loads(rules), meta, model_dir=Path(model_dir), workers=1)
    _ = worker.model
    _WORKER = worker


def _classify_rows(rows: list[_Row]) -> list[_Verdict]:
    assert _WORKER is not None, "worker not started"
    with collection_paused():
        results = _WORKER.classify_distinct([_tool(row) for row in rows])
        return [_verdict(result) for result in results]


class _Chunk:
    """Tools bound for a worker; they become plain rows only if a worker really takes them."""

    def __init__(self, tools: Sequence[ToolRecord]) -> None:
        self.tools = tools

    def __reduce__(self) -> tuple[Callable[[list[_Row]], list[_Row]], tuple[list[_Row]]]:
        # Pickled when the executor hands the chunk to a worker: it arrives as a list of rows.
        return _as_rows, ([_row(tool) for tool in self.tools],)


def _as_rows(rows: list[_Row]) -> list[_Row]:
    return rows


def _row(tool: ToolRecord) -> _Row:
    return (
        tool.name,
        tool.title,
        tool.description,
        tool.input_schema,
        tool.output_schema,
        tool.hints.declared(),
    )


def _tool(row: _Row) -> ToolRecord:
    name, title, description, input_schema, output_schema, hints = row
    # Validated in the parent already; only the parts a classification reads are carried over.
    return ToolRecord.model_construct(
        server_key="",
        name=name,
        title=title,
        description=description,
        input_schema=input_schema,
        output_schema=output_schema,
        hints=ToolHints.model_validate(hints),
        meta=None,
        location=_NOWHERE,
    )


_NOWHERE = Location(kind=LocationKind.LIVE)


def _verdict(result: Classification) -> _Verdict:
    return (
        result.access.value,
        result.risk.value,
        result.category.value,
        tuple(capability.value for capability in result.capabilities),
        result.confidence,
        result.reasons,
        tuple((item.kind, item.message, item.span) for item in result.flags),
    )


def _classification(verdict: _Verdict, version: str) -> Classification:
    access, risk, category, capabilities, confidence, reasons, flags = verdict
    return Classification(
        access=Access(access),
        risk=Risk(risk),
        category=Category(category),
        capabilities=tuple(Capability(value) for value in capabilities),
        confidence=confidence,
        reasons=reasons,
        flags=tuple(Flag(kind=kind, message=message, span=span) for kind, message, span in flags),
        classifier_version=version,
    )
