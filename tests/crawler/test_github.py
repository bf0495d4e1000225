"""GitHubSource against a real loopback HTTP server that answers like the GitHub API."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

import crawler.http
import crawler.sources.github
from catalog.errors import CrawlError, RateLimited
from catalog.records import Origin, OriginKind, ServerRecord
from crawler.source import MemoryState
from crawler.sources.github import GitHubSource
from crawler.targets import resolve
from tests.crawler.crawling import crawl_all as crawl
from tests.crawler.fake_github import Canned, FakeGitHub, FakeRepo, folder_files, tarball

FIXTURE = Path(__file__).parent.parent / "fixtures" / "github" / "weather-server"
TOP = "Octo-Org-Weather-Server-abc1234"
DESCRIPTION = "Forecasts and station admin over MCP"


def weather_repo(**overrides: object) -> FakeRepo:
    repo = FakeRepo("Octo-Org", "Weather-Server", description=DESCRIPTION,
                    tarballs={"main": tarball(folder_files(FIXTURE), TOP)})
    for name, value in overrides.items():
        setattr(repo, name, value)
    return repo


def instant_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make retries instant and return the waits they asked for."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(crawler.http, "sleep", record)
    return waits


def point_at(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub, token: str | None = None) -> None:
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    if token is None:
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    else:
        monkeypatch.setenv("GITHUB_TOKEN", token)


def expected_server(version: str = "main@abc1234", notes: tuple[str, ...] = ()) -> ServerRecord:
    return ServerRecord(
        key="github:octo-org/weather-server",
        name="Weather-Server",
        description=DESCRIPTION,
        origins=(Origin(kind=OriginKind.GITHUB, value="Octo-Org/Weather-Server", version=version,
                        url="https://github.com/Octo-Org/Weather-Server"),),
        notes=notes,
    )


def test_repository_crawl_yields_one_server_with_its_tools_and_pinned_commit(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        results = crawl(GitHubSource("Octo-Org", "Weather-Server"))
        assert fake.paths() == ["/repos/Octo-Org/Weather-Server",
                                "/repos/Octo-Org/Weather-Server/tarball/main",
                                "/codeload/Octo-Org/Weather-Server/legacy.tar.gz/main"]
    [result] = results
    assert (result.server, result.complete, result.failures) == (expected_server(), True, ())
    assert [tool.name for tool in result.tools] == ["delete_station", "get_forecast"]
    assert {tool.server_key for tool in result.tools} == {"github:octo-org/weather-server"}
    assert list(tmp_path.iterdir()) == [], "the tarball and its extraction are removed afterwards"


def test_token_is_sent_as_bearer_with_the_api_version_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake, token="ghp_fixture_token")
        crawl(GitHubSource("Octo-Org", "Weather-Server"))
        metadata_request = fake.seen[0]
    headers = metadata_request.headers
    assert (headers["authorization"], headers["accept"], headers["x-github-api-version"]) == (
        "Bearer ghp_fixture_token", "application/vnd.github+json", "2022-11-28")
    assert headers["user-agent"].startswith("catalog/")


def test_explicit_ref_downloads_that_ref_and_pins_it_in_the_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = weather_repo(tarballs={"v1.2.0": tarball(folder_files(FIXTURE), "Octo-Org-Weather-Server-def5678")})
    with FakeGitHub(repo) as fake:
        point_at(monkeypatch, fake)
        source = resolve("Octo-Org/Weather-Server@v1.2.0")
        assert isinstance(source, GitHubSource)
        [result] = crawl(source)
        assert "/repos/Octo-Org/Weather-Server/tarball/v1.2.0" in fake.paths()
    assert result.server == expected_server(version="v1.2.0@def5678")


def test_missing_repository_says_not_found_or_private(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as fake:
        point_at(monkeypatch, fake)
        with pytest.raises(CrawlError) as raised:
            crawl(GitHubSource("octo-org", "nothing-here"))
        assert fake.paths() == ["/repos/octo-org/nothing-here"]
    assert str(raised.value) == "GitHub repository octo-org/nothing-here not found (or private: set GITHUB_TOKEN)"


def test_unknown_ref_says_which_ref_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        with pytest.raises(CrawlError, match=r"^GitHub repository Octo-Org/Weather-Server has no ref 'nope'$"):
            crawl(GitHubSource("Octo-Org", "Weather-Server", "nope"))


def test_bad_token_is_reported_as_bad_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake, token="ghp_revoked")
        fake.script("/repos/Octo-Org/Weather-Server", Canned.json(401, {"message": "Bad credentials"}))
        with pytest.raises(CrawlError, match=r"rejected the credentials in GITHUB_TOKEN \(401 Bad credentials\)"):
            crawl(GitHubSource("Octo-Org", "Weather-Server"))


def test_exhausted_rate_limit_names_the_reset_time_without_retrying(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        fake.script("/repos/Octo-Org/Weather-Server", Canned.json(
            403, {"message": "API rate limit exceeded for 127.0.0.1."},
            {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000"}))
        with pytest.raises(RateLimited) as raised:
            crawl(GitHubSource("Octo-Org", "Weather-Server"))
        assert len(fake.seen) == 1
    assert str(raised.value) == ("GitHub API rate limit exhausted; resets at 2023-11-14 22:13:20 UTC "
                                 "(set GITHUB_TOKEN for a higher limit)")
    assert waits == []


def test_429_with_a_short_retry_after_is_waited_out_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        fake.script("/repos/Octo-Org/Weather-Server",
                    Canned.json(429, {"message": "slow down"}, {"Retry-After": "2"}))
        [result] = crawl(GitHubSource("Octo-Org", "Weather-Server"))
        assert fake.paths()[:2] == ["/repos/Octo-Org/Weather-Server"] * 2
    assert waits == [2.0]
    assert result.server == expected_server()


def test_retry_after_longer_than_we_wait_is_reported_as_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        fake.script("/repos/Octo-Org/Weather-Server", Canned.json(
            403, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "3600"}))
        with pytest.raises(RateLimited, match=r"retry after 3600 s"):
            crawl(GitHubSource("Octo-Org", "Weather-Server"))
        assert len(fake.seen) == 1
    assert waits == []


def test_burst_of_502_is_retried_with_backoff_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        fake.script("/repos/Octo-Org/Weather-Server", Canned(502), Canned(502))
        fake.script("/repos/Octo-Org/Weather-Server/tarball/main", Canned(503))
        [result] = crawl(GitHubSource("Octo-Org", "Weather-Server"))
        assert fake.paths().count("/repos/Octo-Org/Weather-Server") == 3
        assert fake.paths().count("/repos/Octo-Org/Weather-Server/tarball/main") == 2
    assert len(waits) == 3 and waits[0] < waits[1], "exponential backoff between tries"
    assert result.server == expected_server()


def test_persistent_5xx_becomes_an_error_after_the_last_try(monkeypatch: pytest.MonkeyPatch) -> None:
    instant_sleeps(monkeypatch)
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        fake.script("/repos/Octo-Org/Weather-Server", *[Canned(502)] * 4)
        with pytest.raises(CrawlError, match=r"^GitHub API answered 502 for /repos/Octo-Org/Weather-Server$"):
            crawl(GitHubSource("Octo-Org", "Weather-Server"))
        assert len(fake.seen) == 4


def test_second_crawl_revalidates_metadata_with_the_cached_etag(monkeypatch: pytest.MonkeyPatch) -> None:
    state = MemoryState()
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        [first] = crawl(GitHubSource("Octo-Org", "Weather-Server"), state)
        # Change what a fresh 200 would say: a 304 must make the crawl use the cached body instead.
        fake.repos[("octo-org", "weather-server")].description = "changed upstream"
        [second] = crawl(GitHubSource("Octo-Org", "Weather-Server"), state)
        revalidation = fake.seen[3]
    assert revalidation.path == "/repos/Octo-Org/Weather-Server"
    assert revalidation.headers["if-none-match"] == 'W/"0f1e2d3c"'
    assert second.server == first.server == expected_server()
    assert state.get_state("github:etag:/repos/Octo-Org/Weather-Server") == {
        "etag": 'W/"0f1e2d3c"',
        "body": {"full_name": "Octo-Org/Weather-Server", "description": DESCRIPTION,
                 "default_branch": "main", "html_url": "https://github.com/Octo-Org/Weather-Server",
                 "archived": False, "stargazers_count": 42, "license": {"spdx_id": "MIT"}},
    }


def test_unreachable_api_is_a_clear_crawl_error(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = instant_sleeps(monkeypatch)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(CrawlError, match=rf"^cannot reach GitHub API at http://127\.0\.0\.1:{port}: connection refused$"):
        crawl(GitHubSource("octo-org", "weather-server"))
    assert len(waits) == 3, "connection errors are retried before giving up"


def test_tarball_that_is_not_an_archive_reports_the_archive_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub(weather_repo(tarballs={"main": b"<html>maintenance</html>"})) as fake:
        point_at(monkeypatch, fake)
        with pytest.raises(CrawlError, match=r"^corrupt archive Octo-Org-Weather-Server\.tar\.gz: not a tar or zip"):
            crawl(GitHubSource("Octo-Org", "Weather-Server"))


def test_tarball_over_the_download_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crawler.sources.github, "MAX_TARBALL_BYTES", 100)
    with FakeGitHub(weather_repo()) as fake:
        point_at(monkeypatch, fake)
        with pytest.raises(CrawlError, match=r"^download of .*/tarball/main exceeds 100 bytes$"):
            crawl(GitHubSource("Octo-Org", "Weather-Server"))


def test_archived_repository_is_noted_on_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub(weather_repo(archived=True)) as fake:
        point_at(monkeypatch, fake)
        [result] = crawl(GitHubSource("Octo-Org", "Weather-Server"))
    assert result.server == expected_server(notes=("the repository is archived on GitHub",))
