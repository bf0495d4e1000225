"""resolve(): every target form we accept, and clear refusals for the rest."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.errors import ConfigError
from crawler.sources.github import GitHubSource
from crawler.sources.local import LocalSource
from crawler.targets import TargetOptions, resolve


def github(target: str) -> tuple[str, str, str | None, str]:
    source = resolve(target)
    assert isinstance(source, GitHubSource)
    return source.owner, source.repo, source.ref, source.target


@pytest.mark.parametrize(("target", "expected"), [
    ("octo-org/weather", ("octo-org", "weather", None)),
    ("octo-org/weather@main", ("octo-org", "weather", "main")),
    ("octo-org/weather@v1.2.0", ("octo-org", "weather", "v1.2.0")),
    ("octo-org/weather@feature/new-tools", ("octo-org", "weather", "feature/new-tools")),
    ("octo-org/weather@0123abc", ("octo-org", "weather", "0123abc")),
    ("a/b", ("a", "b", None)),
    ("A1-b2/repo.name_with-chars", ("A1-b2", "repo.name_with-chars", None)),
    ("github:octo-org/weather", ("octo-org", "weather", None)),
    ("GitHub:octo-org/weather@v2", ("octo-org", "weather", "v2")),
    ("https://github.com/octo-org/weather", ("octo-org", "weather", None)),
    ("https://github.com/octo-org/weather/", ("octo-org", "weather", None)),
    ("https://github.com/octo-org/weather.git", ("octo-org", "weather", None)),
    ("http://www.github.com/octo-org/weather", ("octo-org", "weather", None)),
    ("https://github.com/octo-org/weather/tree/release/2.x", ("octo-org", "weather", "release/2.x")),
    ("https://github.com/octo-org/weather?tab=readme", ("octo-org", "weather", None)),
    ("  octo-org/weather  ", ("octo-org", "weather", None)),
])
def test_github_forms_resolve_to_a_github_source(target: str, expected: tuple[str, str, str | None]) -> None:
    assert github(target) == (*expected, target.strip())


def test_github_source_reads_api_url_and_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_env")
    source = resolve("octo-org/weather")
    assert isinstance(source, GitHubSource)
    assert (source.api_url, source.token) == ("http://127.0.0.1:9/api", "ghp_env")


@pytest.mark.parametrize("target", [
    "octo-org",
    "octo-org/",
    "octo-org/weather/extra",
    "-octo/weather",
    "octo-/weather",
    "octo--org/weather",
    "o" * 40 + "/weather",
    "octo-org/" + "r" * 101,
    "octo-org/..",
    "octo-org/.",
    "octo_org/weather",
    "octo org/weather",
    "octo-org/weather@",
    "octo-org/weather@bad..ref",
    "octo-org/weather@-rf",
    "octo-org/weather@has space",
    "octo-org/weather@ends.lock",
    "github:octo-org",
    "https://github.com/octo-org",
    "https://github.com/octo-org/weather/issues/4",
    "https://github.com/octo-org/weather/tree/",
])
def test_malformed_targets_are_config_errors(target: str) -> None:
    with pytest.raises(ConfigError):
        resolve(target)


def test_malformed_repository_message_lists_the_accepted_forms() -> None:
    with pytest.raises(ConfigError) as raised:
        resolve("octo--org/weather")
    assert str(raised.value) == (
        "not a valid target 'octo--org/weather': expected owner/repo[@ref], github:owner/repo[@ref], "
        "https://github.com/owner/repo[/tree/ref], or a local path (a folder, .tar.gz, .tgz or .zip)")


@pytest.mark.parametrize(("target", "message"), [
    ("registry:io.github.octo/weather",
     "unknown registry 'io.github.octo/weather'; choose one of official, smithery, glama, pulsemcp, mcpso, npm"),
    ("stdio -- npx weather", "stdio targets are not supported yet"),
    ("stdio", "stdio needs the server command after --"),
    ("", "an empty target: expected owner/repo[@ref], github:owner/repo[@ref], "
         "https://github.com/owner/repo[/tree/ref], or a local path (a folder, .tar.gz, .tgz or .zip)"),
])
def test_kinds_not_built_yet_say_so(target: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        resolve(target)
    assert str(raised.value) == message


def test_existing_folder_and_archives_resolve_to_local_sources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "srv").mkdir()
    (tmp_path / "owner" / "repo").mkdir(parents=True)
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as bundle:
        bundle.writestr("index.js", "export {};\n")
    monkeypatch.chdir(tmp_path)
    resolved = {target: resolve(target) for target in ("srv", "./srv", str(tmp_path / "srv"),
                                                       "bundle.zip", "owner/repo")}
    assert {target: (type(s).__name__, s.key, s.target) for target, s in resolved.items()
            if isinstance(s, LocalSource)} == {
        "srv": ("LocalSource", "local:srv", "srv"),
        "./srv": ("LocalSource", "local:srv", "./srv"),
        str(tmp_path / "srv"): ("LocalSource", "local:srv", str(tmp_path / "srv")),
        "bundle.zip": ("LocalSource", "local:bundle", "bundle.zip"),
        "owner/repo": ("LocalSource", "local:repo", "owner/repo"),
    }


@pytest.mark.parametrize("target", ["./nowhere", "/no/such/dir", "~/no-such-catalog-dir", "gone.tar.gz",
                                    "../missing.zip"])
def test_missing_local_paths_are_config_errors(target: str) -> None:
    with pytest.raises(ConfigError, match=rf"^no such file or directory: {target.replace('.', '[.]')}$"):
        resolve(target)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_resolve_never_raises_anything_but_a_one_line_config_error(target: str) -> None:
    try:
        source = resolve(target)
    except ConfigError as error:
        assert str(error).isprintable() and str(error)
        return
    assert isinstance(source, GitHubSource | LocalSource)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"(github:|https://github\.com/)?[A-Za-z0-9-]{1,45}/[A-Za-z0-9._/-]{0,30}(@[^\s]{0,20})?",
                     fullmatch=True))
def test_resolve_on_near_valid_slugs_gives_github_or_config_error(target: str) -> None:
    try:
        source = resolve(target)
    except ConfigError:
        return
    assert isinstance(source, GitHubSource | LocalSource)


def test_live_targets_resolve_to_live_and_saved_sources(tmp_path: Path) -> None:
    listing = tmp_path / "tools.json"
    listing.write_text('{"tools": []}', encoding="utf-8")

    http = resolve("https://mcp.example.com/mcp")
    sse = resolve("https://mcp.example.com/sse", TargetOptions(transport="sse"))
    stdio = resolve("stdio", TargetOptions(name="memory", command=("npx", "-y", "pkg")))
    saved = resolve(str(listing), TargetOptions(name="acme-crm"))

    assert [type(s).__name__ for s in (http, sse, stdio, saved)] == [
        "LiveSource", "LiveSource", "LiveSource", "SavedListingSource"]
    assert isinstance(resolve("https://github.com/octo/weather"), GitHubSource)
