"""The static search index: words of names and descriptions, prefixes, all words required, names first."""

from __future__ import annotations

import json
from pathlib import Path

from catalog.records import Access, Risk
from catalog.site import build_site
from catalog.site.search import DOCS_PER_SHARD, index_words, query
from tests.catalog.site.conftest import catalog, stored_tool, verdict


def build(tmp_path: Path) -> Path:
    tools = [
        stored_tool("local:files", "deleteFile", "Removes a file from the workspace.",
                    classification=verdict(Access.DESTRUCTIVE, Risk.CRITICAL)),
        stored_tool("local:files", "read_file", "Reads a file; never deletes anything.",
                    classification=verdict(Access.READ, Risk.LOW)),
        stored_tool("local:mail", "send_email", "Sends an email to a recipient.",
                    classification=verdict(Access.WRITE, Risk.HIGH)),
    ]
    build_site(catalog(tools), tmp_path)
    return tmp_path


def test_words_split_at_case_changes_and_underscores_and_fold_accents() -> None:
    assert index_words("deleteFile read_file Créer the a x") == ["delete", "file", "read", "file", "creer"]


def test_a_description_word_finds_the_tool_with_its_page_and_risk(tmp_path: Path) -> None:
    root = build(tmp_path)

    assert query(root, "recipient") == [
        ["tool", "send_email", "mail", "tools/local-mail/send_email/", "high", "Sends an email to a recipient."]]


def test_prefixes_match_and_name_matches_rank_above_description_matches(tmp_path: Path) -> None:
    root = build(tmp_path)

    assert [row[1] for row in query(root, "delet")] == ["deleteFile", "read_file"]


def test_every_word_of_the_query_must_match(tmp_path: Path) -> None:
    root = build(tmp_path)

    assert [row[1] for row in query(root, "file workspace")] == ["deleteFile"]
    assert query(root, "file unicorn") == []
    assert query(root, "the a") == []


def test_servers_are_searchable_too(tmp_path: Path) -> None:
    root = build(tmp_path)

    assert [row[:2] for row in query(root, "mail")] == [["server", "mail"], ["tool", "send_email"]]


def test_index_files_are_small_shards_listed_in_meta(tmp_path: Path) -> None:
    root = build(tmp_path)
    meta = json.loads((root / "search/meta.json").read_text(encoding="utf-8"))

    assert meta == {"version": 1, "docs": 5, "per_shard": DOCS_PER_SHARD,
                    "shards": sorted(p.stem for p in (root / "search/words").glob("*.json"))}
    assert sorted(p.name for p in (root / "search/docs").glob("*.json")) == ["0.json"]
