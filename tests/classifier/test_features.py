"""Name splitting, prefix removal, sentences and bounded parameter extraction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from classifier.evidence import is_action
from classifier.features import (
    MAX_PARAMS,
    Param,
    extract_features,
    sentences,
    split_name,
    tool_part,
)
from classifier.rules import RulesClassifier

IS_ACTION = is_action(RulesClassifier.from_data().lexicon)


def tool(name: str, schema: Mapping[str, Any] | None = None, description: str = "") -> ToolRecord:
    return ToolRecord(
        server_key="local:x",
        name=name,
        description=description,
        input_schema=dict(schema or {"type": "object"}),
        location=Location(kind=LocationKind.LIVE),
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("read_file", ["read", "file"]),
        ("getFileContents", ["get", "file", "contents"]),
        ("CreatePullRequest", ["create", "pull", "request"]),
        ("resolve-library-id", ["resolve", "library", "id"]),
        ("files.read", ["files", "read"]),
        ("github/create_issue", ["github", "create", "issue"]),
        ("s3PutObject2", ["s", "3", "put", "object", "2"]),
        ("parseHTTPResponse", ["parse", "http", "response"]),
        ("mcp__server__list_tools", ["mcp", "server", "list", "tools"]),
        ("  __weird--name..  ", ["weird", "name"]),
        ("", []),
    ],
)
def test_names_split_into_lowercase_words(name: str, words: list[str]) -> None:
    assert split_name(name) == words


@given(st.text())
def test_splitting_never_raises_and_yields_lowercase_alphanumeric_words(name: str) -> None:
    for word in split_name(name):
        assert word and word == word.lower() and word.isalnum()


def test_namespaced_mcp_name_keeps_only_the_tool_part() -> None:
    assert (tool_part("mcp__github__create_issue"), tool_part("create__issue")) == (
        "create_issue",
        "create__issue",
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("cortex_session_end", ("session", "end")),
        ("github_create_issue", ("create", "issue")),
        ("mcp__github__create_issue", ("create", "issue")),
        ("acme_crm_delete_contact", ("delete", "contact")),
        ("session_end", ("session", "end")),
        ("weather_forecast_today", ("weather", "forecast", "today")),
        ("soft_delete_record", ("soft", "delete", "record")),
    ],
)
def test_server_prefix_is_removed_only_before_an_action(name: str, words: tuple[str, ...]) -> None:
    assert extract_features(tool(name), IS_ACTION).words == words


def test_parameters_are_read_from_nested_schemas_with_types_and_enums() -> None:
    schema = {
        "type": "object",
        "properties": {
            "filePath": {"type": ["string", "null"], "description": "Where to write"},
            "options": {
                "type": "object",
                "properties": {"mode": {"anyOf": [{"const": "append"}, {"const": "overwrite"}]}},
            },
            "recipients": {
                "type": "array",
                "items": {"type": "object", "properties": {"email": {"type": "string"}}},
            },
        },
    }
    assert extract_features(tool("write", schema), IS_ACTION).params == (
        Param("filePath", ("file", "path"), "file_path", "string", "Where to write", (), 0),
        Param("options", ("options",), "options", "object", "", (), 0),
        Param("mode", ("mode",), "mode", None, "", ("append", "overwrite"), 1),
        Param("recipients", ("recipients",), "recipients", "array", "", (), 0),
        Param("email", ("email",), "email", "string", "", (), 1),
    )


def test_parameter_depth_and_count_are_bounded() -> None:
    deep: dict[str, object] = {"type": "string"}
    for level in range(10):
        deep = {"type": "object", "properties": {f"level{level}": deep}}
    wide = {
        "type": "object",
        "properties": {f"p{index}": {"type": "string"} for index in range(500)},
    }
    assert [p.depth for p in extract_features(tool("x", deep), IS_ACTION).params] == [0, 1, 2, 3]
    assert len(extract_features(tool("x", wide), IS_ACTION).params) == MAX_PARAMS


def test_malformed_schemas_yield_what_can_be_read() -> None:
    schema = {
        "type": "object",
        "properties": {"ok": {"type": 5}, "bad": "string", "nested": {"properties": []}},
    }
    names = [param.name for param in extract_features(tool("x", schema), IS_ACTION).params]
    assert names == ["ok", "bad", "nested"]


def test_description_splits_into_sentences_and_list_items() -> None:
    text = "Close a session. Reports duration!\n\nOptions:\n- force: skip checks\n- dry run"
    assert sentences(text) == [
        "Close a session.",
        "Reports duration!",
        "Options:",
        "force: skip checks",
        "dry run",
    ]


def test_features_keep_hints_and_bound_the_description() -> None:
    record = tool("x", description="a" * 10_000).model_copy(
        update={"hints": ToolHints(read_only=True)}
    )
    features = extract_features(record, IS_ACTION)
    assert (features.hints.read_only, len(features.description)) == (True, 4000)
