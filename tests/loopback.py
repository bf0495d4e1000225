"""Real HTTP servers on 127.0.0.1 for tests, each run in a thread: the shared lifecycle and a simple GET server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

Answer = tuple[int, bytes, str]
"""Status, body and Content-Type."""

Handle = Callable[[BaseHTTPRequestHandler], None]
"""Answers one GET request completely: status, headers and body."""


class LoopbackHTTP:
    """A ThreadingHTTPServer on a free loopback port calling `handle` for every GET.

    Used as a context manager: the server thread starts on enter and is shut down on exit.
    `keep_alive` speaks HTTP/1.1 with Nagle off, as registries do, so a client reuses connections.
    """

    def __init__(self, handle: Handle, *, keep_alive: bool = False) -> None:
        class Handler(BaseHTTPRequestHandler):
            if keep_alive:
                protocol_version = "HTTP/1.1"
                disable_nagle_algorithm = True

            def do_GET(self) -> None:
                handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A short poll keeps shutdown quick: serve_forever checks for it only between polls.
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def send(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes,
         *, length: bool = True) -> None:
    """Write a whole response; Content-Length is added unless given or `length` is False."""
    request.send_response(status)
    for name, value in headers.items():
        request.send_header(name, value)
    if length and "Content-Length" not in headers:
        request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


class LoopbackServer(LoopbackHTTP):
    """Serves GETs with `answer(path)` and records every path asked for, in order, in `seen`."""

    def __init__(self, answer: Callable[[str], Answer]) -> None:
        self.seen: list[str] = []

        def handle(request: BaseHTTPRequestHandler) -> None:
            self.seen.append(request.path)
            status, body, kind = answer(request.path)
            send(request, status, {"Content-Type": kind}, body)

        super().__init__(handle)
