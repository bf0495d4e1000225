"""Running a crawled server command safely: scrubbed environment, own temp dirs, whole group killed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import ByteReceiveStream, Process

from catalog.errors import CrawlError

PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "npm_config_registry", "UV_INDEX_URL", "PIP_INDEX_URL")
"""The only variables of ours a server sees: what finding programs and packages needs, no secrets."""
STDERR_LINES = 8
"""How many of the last stderr lines a failure reason may quote."""
STDERR_CHARS = 1000
"""Most characters of stderr a failure reason may quote (its end is kept)."""
STDERR_LINE_CHARS = 300
"""Longest stderr line kept; longer ones are cut."""
MAX_LINE_BYTES = 64 * 1024 * 1024
"""Longest stdout line (one JSON-RPC message) accepted before the server is treated as broken."""
STOP_GRACE = 0.5
"""Seconds a server gets to exit on its own after its stdin closes."""
TERM_GRACE = 1.0
"""Seconds between SIGTERM and SIGKILL to the process group."""


def scrubbed_environment(
    home: Path, tmp: Path, extra: Mapping[str, str], inherited: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A minimal environment: PATH and locale passed through, HOME and TMPDIR fresh, plus the user's --env."""
    source = os.environ if inherited is None else inherited
    env = {key: source[key] for key in PASSED_THROUGH if key in source}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    env.update(HOME=str(home), TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp))
    env.update(extra)
    return env


@dataclass
class StderrTail:
    """The last lines a server wrote to stderr, bounded in count and width."""

    lines: deque[str]
    finished: anyio.Event

    async def settled_text(self, seconds: float = 0.5) -> str:
        """The tail once the server's stderr has closed (or after seconds), for a failure reason."""
        with anyio.move_on_after(seconds):
            await self.finished.wait()
        return self.text()

    def text(self) -> str:
        """The kept lines joined with ' | ' so a failure reason stays one line."""
        text = " | ".join(line for line in self.lines if line.strip())
        return text if len(text) <= STDERR_CHARS else "…" + text[-STDERR_CHARS:]


class ServerProcess:
    """A started server: newline-delimited stdout lines in, lines out, stderr kept as a tail."""

    def __init__(self, process: Process, stderr: StderrTail) -> None:
        self.process = process
        self.stderr = stderr

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def lines(self) -> AsyncIterator[bytes]:
        """Each stdout line (without its newline) until the server closes stdout."""
        assert self.process.stdout is not None
        buffer = bytearray()
        with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            async for chunk in self.process.stdout:
                buffer.extend(chunk)
                while (end := buffer.find(b"\n")) >= 0:
                    yield bytes(buffer[:end])
                    del buffer[: end + 1]
                if len(buffer) > MAX_LINE_BYTES:
                    raise CrawlError(f"server wrote a stdout line longer than {MAX_LINE_BYTES} bytes")
        if buffer.strip():
            yield bytes(buffer)

    async def send_line(self, line: str) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send(line.encode("utf-8") + b"\n")

    async def wait_exit(self, seconds: float) -> int | None:
        """The exit code once the server has exited, or None if it is still running after seconds."""
        with anyio.move_on_after(seconds):
            while self.process.returncode is None:
                await anyio.sleep(0.02)
        return self.process.returncode

    async def stop(self) -> None:
        """Close stdin, give a short grace, then SIGTERM and SIGKILL the whole process group."""
        with anyio.CancelScope(shield=True):
            if self.process.stdin is not None:
                with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await self.process.stdin.aclose()
            await self.wait_exit(STOP_GRACE)
            if _signal_group(self.process.pid, signal.SIGTERM):
                with anyio.move_on_after(TERM_GRACE):
                    while _group_alive(self.process.pid):
                        _ = self.process.returncode  # reading it reaps the leader
                        await anyio.sleep(0.02)
            # Always: children that ignore SIGTERM, or outlived a leader that exited by itself.
            _signal_group(self.process.pid, signal.SIGKILL)
            await self.wait_exit(TERM_GRACE)


@asynccontextmanager
async def running_server(
    command: tuple[str, ...], extra_env: Mapping[str, str], cwd: Path | None = None
) -> AsyncIterator[ServerProcess]:
    """Start command in a new session with a scrubbed environment; on exit kill its process group."""
    with tempfile.TemporaryDirectory(prefix="catalog-stdio-") as scratch:
        root = Path(scratch)
        home, tmp, work = root / "home", root / "tmp", root / "work"
        for folder in (home, tmp, work):
            folder.mkdir()
        env = scrubbed_environment(home, tmp, extra_env)
        process = await _spawn(_absolute_program(command), env, cwd or work)
        server = ServerProcess(process, StderrTail(deque(maxlen=STDERR_LINES), anyio.Event()))
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_keep_stderr_tail, process.stderr, server.stderr)
                try:
                    yield server
                finally:
                    await server.stop()
                    group.cancel_scope.cancel()
        finally:
            # Also reached on Ctrl-C mid-start: nothing of the server may outlive the crawl.
            _signal_group(process.pid, signal.SIGKILL)
            await _close_pipes(process)


def _absolute_program(command: tuple[str, ...]) -> tuple[str, ...]:
    """`./server.py` means the user's directory, not the server's fresh working directory."""
    if command and "/" in command[0]:
        return (str(Path(command[0]).absolute()), *command[1:])
    return command


async def _spawn(command: tuple[str, ...], env: dict[str, str], cwd: Path) -> Process:
    if not command:
        raise CrawlError("no command to run")
    try:
        return await anyio.open_process(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError as error:
        raise CrawlError(f"cannot start {command[0]!r}: command not found") from error
    except PermissionError as error:
        raise CrawlError(f"cannot start {command[0]!r}: permission denied") from error
    except OSError as error:
        raise CrawlError(f"cannot start {command[0]!r}: {error.strerror or error}") from error


async def _keep_stderr_tail(stream: ByteReceiveStream | None, tail: StderrTail) -> None:
    pending = b""
    try:
        if stream is None:
            return
        with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            async for chunk in stream:
                *complete, pending = (pending + chunk).split(b"\n")
                pending = pending[-STDERR_LINE_CHARS * 4 :]
                for line in complete:
                    tail.lines.append(line.decode("utf-8", "replace").strip()[:STDERR_LINE_CHARS])
        if pending.strip():
            tail.lines.append(pending.decode("utf-8", "replace").strip()[:STDERR_LINE_CHARS])
    finally:
        tail.finished.set()


async def _close_pipes(process: Process) -> None:
    with anyio.CancelScope(shield=True):
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await pipe.aclose()


def _signal_group(pgid: int, signum: signal.Signals) -> bool:
    """Signal every process in the group; False when none is left. The leader's pid is the pgid."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
