"""Store bookkeeping: crawl failures, server status after failures, and crawl runs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from catalog.errors import NotFound, StoreError
from catalog.records import (
    CrawlFailure,
    CrawlResult,
)
from catalog.store import Store
from tests.catalog.store_builders import (
    FILES,
    crawl_result,
    server_record,
    tool_record,
)


def test_recorded_failure_marks_known_server_failed_and_keeps_tools(database_url: str) -> None:
    failure = CrawlFailure(target="acme/files", server_key=FILES, stage="fetch", reason="HTTP 500")
    unknown = CrawlFailure(target="ghost/repo", stage="resolve", reason="no such repository")

    with Store.open(database_url) as store:
        store.save_crawl(crawl_result(tool_record("read_file")), {})
        run_id = store.begin_run("acme/files")
        store.record_failure(failure, run_id)
        store.record_failure(unknown)
        server = store.server(FILES)
        present = store.tools()
        everything = store.failures()
        for_files = store.failures(FILES)

    assert (server.status, server.tool_count) == ("failed", 1)
    assert [item.tool.name for item in present] == ["read_file"]
    assert everything == [failure, unknown]
    assert for_files == [failure]


def test_failures_in_a_crawl_result_are_stored_and_make_it_partial(database_url: str) -> None:
    failure = CrawlFailure(
        target="acme/files", server_key=FILES, stage="extract", reason="src/big.ts is too large"
    )
    crawl = CrawlResult(server=server_record(), tools=(tool_record("read_file"),), failures=(failure,))

    with Store.open(database_url) as store:
        store.save_crawl(crawl, {})
        server = store.server(FILES)
        failures = store.failures(FILES)

    assert server.status == "partial"
    assert failures == [failure]


def test_crawl_run_records_start_and_finish(database_url: str) -> None:
    with Store.open(database_url) as store:
        run_id = store.begin_run("registry:official")
        store.finish_run(run_id, "partial", servers_ok=3, failure_count=1)
        with pytest.raises(NotFound, match=r"^no crawl run 999$"):
            store.finish_run(999, "ok", servers_ok=0, failure_count=0)
        with pytest.raises(StoreError, match="not 'running'"):
            store.finish_run(run_id, "running", servers_ok=0, failure_count=0)

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT target, status, servers_ok, failure_count, finished_at FROM crawl_runs")
        ).one()
    engine.dispose()
    assert row[:4] == ("registry:official", "partial", 3, 1)
    assert row[4] is not None
