"""Large batches shared with worker processes; results come back in order.

On Linux the workers are forked from this process once its model is loaded: they start at
once and read the batch from the memory they share with it, so only the classifications
travel. Elsewhere, or while other threads run in this process, workers are spawned and load
the model themselves (~2 s). Classifications travel as plain tuples and are rebuilt here:
unpickling the pydantic objects and their enums whole took this process ~30 µs each, time
it could not spend on its own share of the batch; a tuple costs it ~4 µs.

The main process works too, from the other end of the batch, so a slow worker start costs
nothing: the workers are only ever handed the next chunk when they are about to need it.
Chunks start large (the model's batch transform is cheapest on many tools at once) and
shrink as the batch runs out, so no process waits long for another at the end.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import threading
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
from classifier.base import classification, collection_paused

if TYPE_CHECKING:
    from classifier.combined import CombinedClassifier

PARALLEL_FROM = 20_000
"""Distinct tools below which a batch stays in one process: it takes ~2 s or less there."""
MAX_CHUNK = 20_000
MIN_CHUNK = 250
RESULT_TURN = 0.0002
"""Seconds this process's thread holds the interpreter while a worker's results wait to be read."""

# Plain tuples cross the process boundary to a spawned worker: unpickling pydantic models
# costs more than validating these few fields again.
_Row = tuple[str, str | None, str, dict[str, Any], dict[str, Any] | None, dict[str, bool]]

_Packed = tuple[str, str, str, tuple[str, ...], float, tuple[str, ...], tuple[Flag, ...], str]
"""A classification as it travels back from a worker: enums by value, flags (rare) whole."""

_WORKER: CombinedClassifier | None = None
_TOOLS: Sequence[ToolRecord] = ()
"""A forked worker's batch: the parent's, as it was when the worker was forked."""


def available_cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start_method() -> str:
    """How worker processes start: "fork" where that is safe, else "spawn".

    Forking copies only the calling thread, so a lock another thread holds would stay held
    in the child forever: fork is used only when this process runs no other Python thread,
    and only on Linux (macOS system libraries are not fork-safe). Native thread pools are
    no obstacle: OpenBLAS, which numpy and scipy bring, stops its threads before a fork and
    starts them again when next needed, and the workers run no OpenMP code (the model's
    work in them is TF-IDF, sparse products and numpy).
    """
    if (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    ):
        return "fork"
    return "spawn"


def classify_in_parallel(
    classifier: CombinedClassifier,
    tools: Sequence[ToolRecord],
    workers: int,
    model_dir: Path,
    classify: Callable[[Sequence[ToolRecord]], list[Classification]],
) -> list[Classification]:
    """`classify(tools)`, shared between this process and `workers` worker processes.

    Every tool's classification depends on its definition alone, so chunks can go anywhere.
    Workers are kept one chunk ahead from the front while this process works from the back;
    a worker that cannot start or dies leaves its chunks to this process.
    """
    method = start_method()
    pool = _pool(classifier, tools, workers, model_dir, method)
    submitting = pool is not None
    # The executor's thread reads each worker's results in pieces, waiting for this thread to
    # let go of the interpreter before each piece (5 ms by default): the worker waits too,
    # unable to start its next chunk. A shorter turn lets results through as they come.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, RESULT_TURN))
    participants = workers + 1
    results: dict[int, list[Classification]] = {}
    pending: dict[Future[list[_Packed]], tuple[int, int]] = {}
    front, back = 0, len(tools)
    try:
        while front < back or pending:
            while pool is not None and submitting and front < back and len(pending) < 2 * workers:
                stop = min(back, front + chunk_size(back - front, participants))
                try:
                    pending[_submit(pool, method, tools, front, stop)] = (front, stop)
                except (BrokenProcessPool, OSError, RuntimeError):
                    submitting = False  # no worker after all: this process does the rest
                    break
                front = stop
            for future in [future for future in pending if future.done()]:
                start, stop = pending.pop(future)
                results[start] = _collect(future, tools[start:stop], classify)
            if front < back:
                start = max(front, back - chunk_size(back - front, participants))
                results[start] = classify(tools[start:back])
                back = start
            elif pending:
                wait(pending, return_when=FIRST_COMPLETED)
    finally:
        sys.setswitchinterval(switch_interval)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return [verdict for start in sorted(results) for verdict in results[start]]


def chunk_size(remaining: int, participants: int) -> int:
    """The next chunk's size: a share of what is left, so chunks shrink as the batch runs out."""
    return max(MIN_CHUNK, min(MAX_CHUNK, remaining // (2 * participants)))


def _pool(
    classifier: CombinedClassifier,
    tools: Sequence[ToolRecord],
    workers: int,
    model_dir: Path,
    method: str,
) -> ProcessPoolExecutor | None:
    try:
        if method == "fork":
            # A forked worker inherits these arguments as they are: nothing is pickled.
            return ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_adopt,
                initargs=(classifier, tools),
            )
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(pickle.dumps(classifier.rules), classifier.meta, str(model_dir)),
        )
    except (OSError, RuntimeError, pickle.PicklingError):
        return None


def _submit(
    pool: ProcessPoolExecutor, method: str, tools: Sequence[ToolRecord], start: int, stop: int
) -> Future[list[_Packed]]:
    if method == "fork":
        return pool.submit(_classify_range, start, stop)
    # A _Chunk arrives in the worker as the list of rows it pickles to.
    return pool.submit(_classify_rows, cast("list[_Row]", _Chunk(tools[start:stop])))


def _collect(
    future: Future[list[_Packed]],
    chunk: Sequence[ToolRecord],
    classify: Callable[[Sequence[ToolRecord]], list[Classification]],
) -> list[Classification]:
    try:
        packed = future.result()
    except (BrokenProcessPool, OSError, pickle.PicklingError):
        return classify(chunk)  # the worker is gone: same answers, computed here
    return [unpack(item) for item in packed]


def pack(verdict: Classification) -> _Packed:
    """`verdict` as plain values, for the trip from a worker to this process."""
    return (
        verdict.access.value,
        verdict.risk.value,
        verdict.category.value,
        tuple(capability.value for capability in verdict.capabilities),
        verdict.confidence,
        verdict.reasons,
        verdict.flags,
        verdict.classifier_version,
    )


def unpack(packed: _Packed) -> Classification:
    """The classification `pack` made `packed` from."""
    access, risk, category, capabilities, confidence, reasons, flags, version = packed
    return classification(
        _ACCESS[access],
        _RISK[risk],
        _CATEGORY[category],
        tuple(_CAPABILITY[capability] for capability in capabilities),
        confidence,
        reasons,
        flags,
        version,
    )


# Enum lookups by value, without the enum machinery: Access("read") costs ~1 µs each.
_ACCESS = {member.value: member for member in Access}
_RISK = {member.value: member for member in Risk}
_CATEGORY = {member.value: member for member in Category}
_CAPABILITY = {member.value: member for member in Capability}


def _adopt(classifier: CombinedClassifier, tools: Sequence[ToolRecord]) -> None:
    global _WORKER, _TOOLS
    _WORKER, _TOOLS = classifier, tools


def _classify_range(start: int, stop: int) -> list[_Packed]:
    assert _WORKER is not None, "worker not started"
    with collection_paused():
        return [pack(verdict) for verdict in _WORKER.classify_distinct(_TOOLS[start:stop])]


def _start_worker(rules: bytes, meta: dict[str, Any], model_dir: str) -> None:
    global _WORKER
    from classifier.combined import CombinedClassifier

    # The rules come from the parent (they may not be the shipped ones); the model from disk.
    worker = CombinedClassifier(pickle.loads(rules), meta, model_dir=Path(model_dir), workers=1)
    _ = worker.model
    _WORKER = worker


def _classify_rows(rows: list[_Row]) -> list[_Packed]:
    assert _WORKER is not None, "worker not started"
    with collection_paused():
        return [pack(verdict) for verdict in _WORKER.classify_distinct([_tool(row) for row in rows])]


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
