"""LocalSource on real folders and archives."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest

from catalog.errors import ConfigError, CrawlError
from catalog.records import CrawlResult, Origin, OriginKind, ServerRecord
from crawler.http import build_client
from crawler.source import CrawlContext
from crawler.sources.local import LocalSource, archive_stem
from tests.crawler.fake_github import folder_files, tarball

FIXTURE = Path(__file__).parent.parent / "fixtures" / "github" / "weather-server"
PACKAGE_DESCRIPTION = "A small MCP server that reports and records the weather (test fixture)."


def crawl(source: LocalSource) -> list[CrawlResult]:
    async def run() -> list[CrawlResult]:
        async with build_client() as client:
            return [result async for result in source.crawl(CrawlContext(http=client))]

    return asyncio.run(run())


def weather_server(key: str, origin: str) -> ServerRecord:
    return ServerRecord(key=key, name="@fixture/weather-server", description=PACKAGE_DESCRIPTION,
                        version="0.3.1",
                        origins=(Origin(kind=OriginKind.LOCAL, value=origin, version="0.3.1"),))


def test_folder_is_one_server_named_by_its_package_json() -> None:
    [result] = crawl(LocalSource(FIXTURE))
    assert (result.server, result.complete) == (weather_server("local:weather-server", "weather-server"), True)
    assert [tool.name for tool in result.tools] == ["delete_station", "get_forecast"]
    assert [tool.location.file for tool in result.tools] == ["src/index.ts", "src/index.ts"]


def test_dot_names_the_server_after_the_current_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURE)
    source = LocalSource(".")
    assert (source.key, source.target) == ("local:weather-server", ".")


def test_github_style_tarball_keeps_the_archive_stem_and_leaves_no_temp_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "weather-server-0.3.1.tar.gz"
    archive.write_bytes(tarball(folder_files(FIXTURE), "octo-weather-server-abc1234"))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    [result] = crawl(LocalSource(archive))
    assert result.server == weather_server("local:weather-server-0.3.1", "weather-server-0.3.1")
    assert [tool.name for tool in result.tools] == ["delete_station", "get_forecast"]
    assert list(scratch.iterdir()) == []


def test_zip_without_package_json_is_named_by_its_stem(tmp_path: Path) -> None:
    archive = tmp_path / "bare.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.js", 'server.tool("ping", "Answer pong.", {}, async () => ({content: []}));\n')
        bundle.writestr("notes.txt", "not code")
    [result] = crawl(LocalSource(archive))
    assert result.server == ServerRecord(key="local:bare", name="bare",
                                         origins=(Origin(kind=OriginKind.LOCAL, value="bare"),))
    assert [tool.name for tool in result.tools] == ["ping"]


def test_unreadable_package_json_falls_back_to_the_folder_name(tmp_path: Path) -> None:
    root = tmp_path / "odd-server"
    shutil.copytree(FIXTURE, root)
    (root / "package.json").write_text('{"name": 7, "version": ', encoding="utf-8")
    [result] = crawl(LocalSource(root))
    assert result.server == ServerRecord(key="local:odd-server", name="odd-server",
                                         origins=(Origin(kind=OriginKind.LOCAL, value="odd-server"),))


def test_machine_paths_never_reach_the_records(tmp_path: Path) -> None:
    root = tmp_path / "private-place" / "srv"
    shutil.copytree(FIXTURE, root)
    [result] = crawl(LocalSource(root))
    assert "private-place" not in result.model_dump_json()


def test_missing_path_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^no such file or directory: /definitely/not/here$"):
        LocalSource("/definitely/not/here")


def test_file_that_is_not_an_archive_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "server.ts").write_text("export {};\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^not a directory or a \.tar\.gz/\.tgz/\.zip archive: "):
        LocalSource(tmp_path / "server.ts")


def test_corrupt_archive_fails_the_crawl_with_the_archive_error(tmp_path: Path) -> None:
    archive = tmp_path / "broken.tgz"
    archive.write_bytes(tarball({"a.ts": "x"}, "top")[:40])
    with pytest.raises(CrawlError, match=r"^corrupt archive broken\.tgz: "):
        crawl(LocalSource(archive))


@pytest.mark.parametrize(("file_name", "stem"), [
    ("demo.tar.gz", "demo"), ("demo-1.0.tgz", "demo-1.0"), ("Demo.ZIP", "Demo"), ("x.tar", "x"),
    (".tar.gz", ".tar.gz"), ("plain", "plain"),
])
def test_archive_stem_strips_one_archive_suffix(file_name: str, stem: str) -> None:
    assert archive_stem(file_name) == stem
