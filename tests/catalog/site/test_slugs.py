"""Slugs: URL-safe, stable, unique; collisions resolved by a hash of the original, predictably."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from catalog.site.slugs import MAX_SLUG, short_hash, slugify, unique_slugs

SAFE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def test_keys_become_readable_slugs() -> None:
    assert [slugify(k) for k in ("github:Acme/Tools#packages/git", "npm:@scope/Name", "pypi:mcp_server.x")] == [
        "github-acme-tools-packages-git", "npm-scope-name", "pypi-mcp_server-x"]


def test_accents_fold_and_names_without_latin_letters_fall_back() -> None:
    assert slugify("Créer_Fiché") == "creer_fiche"
    assert slugify("工具", fallback="tool") == "tool"


def test_colliding_names_first_in_order_keeps_the_bare_slug_others_get_their_own_hash() -> None:
    names = ["github:acme/tools", "github:Acme/Tools", "github:acme-tools"]

    slugs = unique_slugs(names)

    assert slugs == {
        "github:Acme/Tools": "github-acme-tools",
        "github:acme-tools": f"github-acme-tools-{short_hash('github:acme-tools')}",
        "github:acme/tools": f"github-acme-tools-{short_hash('github:acme/tools')}",
    }
    assert unique_slugs(reversed(names)) == slugs


def test_a_collision_joining_later_does_not_move_names_that_sort_before_it() -> None:
    before = unique_slugs(["local:Data", "local:other"])
    after = unique_slugs(["local:Data", "local:other", "local:data"])

    assert before["local:Data"] == after["local:Data"] == "local-data"
    assert after["local:data"] == f"local-data-{short_hash('local:data')}"


def test_a_hashed_slug_never_takes_a_slug_another_name_owns() -> None:
    squatter = f"x-{short_hash('X')}"

    slugs = unique_slugs(["x", "X", squatter])

    assert len(set(slugs.values())) == 3
    assert slugs[squatter] == squatter


@given(st.lists(st.text(max_size=120), max_size=30))
def test_any_names_get_distinct_safe_bounded_slugs(names: list[str]) -> None:
    slugs = unique_slugs(names)

    assert len(set(slugs.values())) == len(set(names))
    assert all(SAFE.match(slug) and len(slug) <= MAX_SLUG for slug in slugs.values())
