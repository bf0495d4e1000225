"""Repository URL normalisation, package identities and the key several registries' sightings share."""

from __future__ import annotations

import pytest

from crawler.registries.base import PackageRef, RegistryEntry
from crawler.registries.identity import IdentityIndex, RepoRef, normalise_repo_url, package_key


@pytest.mark.parametrize("url", [
    "https://github.com/Acme/Weather-MCP",
    "https://www.github.com/acme/weather-mcp/",
    "git+https://github.com/acme/weather-mcp.git",
    "git@github.com:Acme/weather-mcp.git",
    "ssh://git@github.com/acme/weather-mcp.git",
    "github.com/acme/weather-mcp",
    "HTTPS://GITHUB.COM/ACME/WEATHER-MCP.git",
])
def test_spellings_of_one_repository_normalise_alike(url: str) -> None:
    assert normalise_repo_url(url) == RepoRef("github.com", "acme", "weather-mcp")


def test_tree_subpath_becomes_the_subfolder_and_an_explicit_one_wins() -> None:
    assert normalise_repo_url("https://github.com/acme/servers/tree/main/src/weather") == RepoRef(
        "github.com", "acme", "servers", "src/weather")
    assert normalise_repo_url("https://github.com/acme/servers/tree/main/src/x", "./pkg/y/") == RepoRef(
        "github.com", "acme", "servers", "pkg/y")


@pytest.mark.parametrize("url", [None, "", "https://github.com/acme", "not a url at all", "https://github.com/"])
def test_what_is_not_a_repository_is_none(url: str | None) -> None:
    assert normalise_repo_url(url) is None


def test_package_keys_fold_case_and_pep503_separators() -> None:
    assert [package_key("npm", "@Acme/Weather"), package_key("pypi", "Weather_MCP.Server"),
            package_key("oci", "docker.io/acme/weather")] == ["npm:@acme/weather", "pypi:weather-mcp-server", None]


def entry(registry: str, entry_id: str, **fields: object) -> RegistryEntry:
    return RegistryEntry(registry=registry, entry_id=entry_id, name=entry_id, **fields)  # type: ignore[arg-type]


def test_one_server_seen_in_four_registries_gets_one_key() -> None:
    index = IdentityIndex()
    keys = [
        index.key_for(entry("official", "io.github.acme/weather", repository_url="https://github.com/Acme/Weather.git",
                            packages=(PackageRef("npm", "acme-weather"),), mcp_name="io.github.acme/weather")),
        index.key_for(entry("glama", "acme/weather", repository_url="https://www.github.com/acme/weather")),
        index.key_for(entry("npm", "acme-weather", packages=(PackageRef("npm", "acme-weather"),))),
        index.key_for(entry("smithery", "@acme/weather", repository_url="github.com/acme/weather/")),
    ]
    assert keys == ["github:acme/weather"] * 4


def test_packages_of_one_monorepo_stay_separate_servers() -> None:
    index = IdentityIndex()
    repo = "https://github.com/acme/servers"
    keys = [index.key_for(entry("npm", name, repository_url=repo, packages=(PackageRef("npm", name),)))
            for name in ("@acme/files", "@acme/git")]
    assert keys == ["github:acme/servers", "npm:@acme/git"]


def test_without_repository_or_package_the_registry_names_the_server() -> None:
    index = IdentityIndex()
    assert [index.key_for(entry("official", "io.example/remote-only")),
            index.key_for(entry("smithery", "@someone/thing"))] == [
        "registry:io.example/remote-only", "registry:smithery:@someone/thing"]


def test_official_entries_sharing_a_repository_with_subfolders_are_distinct() -> None:
    index = IdentityIndex()
    keys = [index.key_for(entry("official", f"io.github.acme/{name}", repository_url="https://github.com/acme/mono",
                                subfolder=f"servers/{name}")) for name in ("a", "b")]
    assert keys == ["github:acme/mono#servers/a", "github:acme/mono#servers/b"]
