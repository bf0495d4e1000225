"""Live crawls with the official mcp SDK: initialize, tools/list with pagination, resource and prompt counts.

The only module that imports the SDK; its types are converted to records here and go no further.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import mcp_types as types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.client.session import ClientSession, IncomingMessage
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from catalog.errors import CrawlError
from catalog.records import (
    CrawlResult,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    ServerRecord,
)
from crawler.http import catalog_version
from crawler.source import CrawlContext, Source
from crawler.sources.live_progress import Progress, Stopped, leaf, one_line, short, step
from crawler.sources.live_spec import (
    HttpServer,
    LiveSpec,
    StdioServer,
    Timeouts,
    Transport,
    normalise_url,
    request_headers,
    server_key,
    stdio_name,
)
from crawler.sources.stdio_process import ServerProcess, running_server
from crawler.sources.tool_json import InvalidTool, check_unique_names, tool_from_json

DEFAULT_MAX_PAGES = 100
MAX_TOOLS = 100_000
"""Most tools one server may list before the crawl is refused."""
_AUTH_STATUSES = (401, 403)

Streams = tuple[MemoryObjectReceiveStream[SessionMessage | Exception], MemoryObjectSendStream[SessionMessage]]


@dataclass(frozen=True)
class _Listing:
    """Everything read from a server, still in wire form (dicts), before conversion."""

    initialize: types.InitializeResult
    tools: list[dict[str, Any]]
    resources: int | None
    prompts: int | None


class LiveSource(Source):
    """One running server, listed through the SDK; yields one CrawlResult or raises CrawlError."""

    def __init__(
        self,
        spec: LiveSpec,
        *,
        timeouts: Timeouts | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        target: str | None = None,
    ) -> None:
        self.spec = spec
        self.timeouts = timeouts or Timeouts()
        self.max_pages = max_pages
        self.server_key = server_key(spec)
        match spec:
            case HttpServer(url=url):
                self.detail = normalise_url(url)
                self.target = target or self.detail
            case StdioServer(command=command):
                self.detail = stdio_name(spec)
                self.target = target or "stdio -- " + " ".join(command)

    async def crawl(self, context: CrawlContext) -> AsyncIterator[CrawlResult]:
        """List the server; nothing is yielded unless the whole listing succeeded."""
        context.progress(f"listing {self.target}")
        yield await self.list_server()

    async def list_server(self) -> CrawlResult:
        """Connect, list everything, disconnect, and convert to records."""
        progress = Progress()
        match self.spec:
            case HttpServer():
                listing = await self._list_http(self.spec, progress)
            case StdioServer():
                listing = await self._list_stdio(self.spec, progress)
        return self._to_result(listing, progress)

    async def _list_http(self, spec: HttpServer, progress: Progress) -> _Listing:
        headers = request_headers(spec)

        async def record_status(response: httpx2.Response) -> None:
            if response.status_code >= 400:
                progress.http_status = response.status_code

        def client_factory(
            headers: dict[str, str] | None = None,
            timeout: httpx2.Timeout | None = None,
            auth: httpx2.Auth | None = None,
        ) -> httpx2.AsyncClient:
            return httpx2.AsyncClient(
                headers={"User-Agent": f"catalog/{catalog_version()}", **(headers or {})},
                timeout=timeout or httpx2.Timeout(self.timeouts.start, read=self.timeouts.page),
                auth=auth,
                event_hooks={"response": [record_status]},
            )

        @asynccontextmanager
        async def connect() -> AsyncIterator[Any]:
            if spec.transport is Transport.SSE:
                async with sse_client(
                    spec.url, headers=headers, timeout=self.timeouts.start,
                    sse_read_timeout=self.timeouts.page, httpx_client_factory=client_factory,
                ) as streams:
                    yield streams
            else:
                async with client_factory(headers) as client, streamable_http_client(
                    spec.url, http_client=client
                ) as streams:
                    yield streams

        try:
            return await self._list_over(connect(), progress)
        except Stopped:
            raise
        except Exception as error:
            raise self._http_failure(leaf(error), progress) from error

    async def _list_stdio(self, spec: StdioServer, progress: Progress) -> _Listing:
        process: ServerProcess | None = None

        @asynccontextmanager
        async def connect() -> AsyncIterator[Streams]:
            nonlocal process
            async with running_server(spec.command, dict(spec.env), spec.cwd) as started:
                process = started
                async with _stdio_streams(started, progress) as streams:
                    yield streams

        try:
            return await self._list_over(connect(), progress)
        except Stopped:
            raise
        except Exception as error:
            if process is None:
                if isinstance(error, CrawlError):
                    raise
                raise CrawlError(f"cannot start {spec.command[0]!r}: {one_line(leaf(error))}") from error
            raise await self._stdio_failure(process, progress, one_line(leaf(error))) from error

    async def _list_over(self, transport: Any, progress: Progress) -> _Listing:
        """Run the whole exchange under one deadline that each step moves: start, initialize, pages."""
        listing: _Listing | None = None
        failure: Exception | None = None
        with anyio.CancelScope() as deadline:
            step(deadline, progress, "start", self.timeouts.start)
            async with AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(transport)

                async def on_message(message: IncomingMessage) -> None:
                    if isinstance(message, Exception):
                        progress.transport_errors.append(message)

                session = await stack.enter_async_context(
                    ClientSession(
                        read, write, message_handler=on_message,
                        client_info=types.Implementation(name="catalog", version=catalog_version()),
                    )
                )
                try:
                    listing = await self._exchange(session, deadline, progress)
                except Exception as error:
                    # Kept, not raised: raising through the SDK's task groups would wrap it.
                    failure = error
                deadline.deadline = math.inf  # teardown has its own bounded waits
        if deadline.cancelled_caught:
            raise Stopped(f"timed out after {progress.budget:g}s during {progress.stage}")
        if failure is not None:
            raise failure
        assert listing is not None
        return listing

    async def _exchange(
        self, session: ClientSession, deadline: anyio.CancelScope, progress: Progress
    ) -> _Listing:
        step(deadline, progress, "initialize", self.timeouts.initialize)
        initialized = await _request(session.initialize(), progress)
        capabilities = initialized.capabilities
        tools = await self._pages(session, "tools/list", deadline, progress)
        resources = prompts = None
        if capabilities.resources is not None:
            resources = await self._count(session, "resources/list", deadline, progress)
        if capabilities.prompts is not None:
            prompts = await self._count(session, "prompts/list", deadline, progress)
        return _Listing(initialized, tools, resources, prompts)

    async def _count(
        self, session: ClientSession, method: str, deadline: anyio.CancelScope, progress: Progress
    ) -> int | None:
        """How many items a secondary list holds; its failure is a note, the tools are what matter."""
        try:
            return len(await self._pages(session, method, deadline, progress))
        except Stopped as stopped:
            progress.problems.append(f"{method} failed: {stopped}")
            return None

    async def _pages(
        self, session: ClientSession, method: str, deadline: anyio.CancelScope, progress: Progress
    ) -> list[dict[str, Any]]:
        """Every item of a paginated list, refusing repeated cursors and more than max_pages pages."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _page in range(self.max_pages):
            step(deadline, progress, method, self.timeouts.page)
            params = types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None
            result = await _request(_list_call(session, method, params), progress)
            items.extend(_wire(item) for item in _items(result))
            if len(items) > MAX_TOOLS:
                raise Stopped(f"more than {MAX_TOOLS} items from {method}; stopping")
            cursor = result.next_cursor
            if cursor is None:
                return items
            if cursor in seen:
                raise Stopped(f"server repeated pagination cursor {short(cursor)!r}; stopping")
            seen.add(cursor)
        noun = method.split("/")[0]
        raise Stopped(f"more than {self.max_pages} pages of {noun}; stopping")

    def _to_result(self, listing: _Listing, progress: Progress) -> CrawlResult:
        info = listing.initialize.server_info
        location = Location(kind=LocationKind.LIVE, detail=self.detail)
        try:
            tools = [tool_from_json(raw, server_key=self.server_key, location=location) for raw in listing.tools]
            check_unique_names(tools)
        except InvalidTool as error:
            raise CrawlError(f"server sent an invalid tools/list answer: {error}") from error
        server = ServerRecord(
            key=self.server_key,
            name=info.name,
            title=info.title,
            description=info.description,
            version=info.version,
            instructions=listing.initialize.instructions,
            origins=(self._origin(info.version),),
            notes=_notes(listing, progress),
        )
        return CrawlResult(server=server, tools=tuple(tools))

    def _origin(self, version: str | None) -> Origin:
        kind = OriginKind.URL if isinstance(self.spec, HttpServer) else OriginKind.STDIO
        return Origin(kind=kind, value=self.detail, version=version)

    def _http_failure(self, error: BaseException, progress: Progress) -> CrawlError:
        if progress.http_status in _AUTH_STATUSES:
            return CrawlError(f"needs authentication (HTTP {progress.http_status})")
        if progress.http_status is not None:
            return CrawlError(f"server answered HTTP {progress.http_status} during {progress.stage}")
        if isinstance(error, httpx2.ConnectError):
            return CrawlError(f"cannot connect to {self.detail}: {one_line(error)}")
        return CrawlError(f"{progress.stage} failed: {one_line(error)}")

    async def _stdio_failure(self, process: ServerProcess, progress: Progress, reason: str) -> CrawlError:
        code = await process.wait_exit(1.0)
        stderr = await process.stderr.settled_text()
        tail = f": {stderr}" if stderr else ""
        if code is not None:
            return CrawlError(f"server exited with code {code} during {progress.stage}{tail}")
        return CrawlError(f"{reason} during {progress.stage}{tail}")


async def _request(call: Any, progress: Progress) -> Any:
    """Await one SDK request, turning protocol errors into one-line CrawlErrors."""
    try:
        return await call
    except MCPError as error:
        if progress.http_status in _AUTH_STATUSES:
            raise Stopped(f"needs authentication (HTTP {progress.http_status})") from error
        if progress.http_status is not None:
            # The SDK turns an HTTP error into a generic JSON-RPC error; the status says more.
            raise Stopped(f"server answered HTTP {progress.http_status} during {progress.stage}") from error
        if error.code == types.CONNECTION_CLOSED:
            raise  # the caller knows whether a process exited or a connection dropped
        raise Stopped(f"server answered {progress.stage} with error {error.code}: {short(error.message)}") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Stopped(f"server sent an invalid {progress.stage} answer: {where}: {first['msg']}") from error


def _list_call(session: ClientSession, method: str, params: types.PaginatedRequestParams | None) -> Any:
    match method:
        case "tools/list":
            return session.list_tools(params=params)
        case "resources/list":
            return session.list_resources(params=params)
        case _:
            return session.list_prompts(params=params)


def _items(result: Any) -> list[Any]:
    match result:
        case types.ListToolsResult(tools=tools):
            return list(tools)
        case types.ListResourcesResult(resources=resources):
            return list(resources)
        case types.ListPromptsResult(prompts=prompts):
            return list(prompts)
        case _:
            return []


def _wire(item: Any) -> dict[str, Any]:
    """Back to the wire form as sent: unset fields left out, explicit nulls kept (absent is not false)."""
    dumped: dict[str, Any] = item.model_dump(by_alias=True, mode="json", exclude_unset=True)
    return dumped


def _notes(listing: _Listing, progress: Progress) -> tuple[str, ...]:
    notes = [f"protocol version {listing.initialize.protocol_version}"]
    offers = [
        f"{count} {noun if count == 1 else noun + 's'}"
        for count, noun in ((listing.resources, "resource"), (listing.prompts, "prompt"))
        if count is not None
    ]
    if offers:
        notes.append("offers " + " and ".join(offers))
    notes.extend(progress.problems)
    if progress.junk_lines:
        notes.append(f"ignored {progress.junk_lines} stdout lines that were not JSON-RPC")
    return tuple(notes)


@asynccontextmanager
async def _stdio_streams(process: ServerProcess, progress: Progress) -> AsyncIterator[Streams]:
    """SDK streams over a server's stdin/stdout, dropping stdout lines that are not JSON-RPC."""
    to_session, from_server = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    to_server, from_session = anyio.create_memory_object_stream[SessionMessage](0)

    async def pump_stdout() -> None:
        async with to_session:
            async for line in process.lines():
                if not line.strip():
                    continue
                try:
                    message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                except ValueError:
                    progress.junk_lines += 1  # log lines and banners on stdout: common, harmless
                    continue
                try:
                    await to_session.send(SessionMessage(message))
                except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                    return

    async def pump_stdin() -> None:
        async with from_session:
            try:
                async for outgoing in from_session:
                    await process.send_line(outgoing.message.model_dump_json(by_alias=True, exclude_unset=True))
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return  # the server is gone; the stdout side reports it

    async with anyio.create_task_group() as group:
        group.start_soon(pump_stdout)
        group.start_soon(pump_stdin)
        try:
            yield from_server, to_server
        finally:
            group.cancel_scope.cancel()
            from_server.close()
            to_server.close()
