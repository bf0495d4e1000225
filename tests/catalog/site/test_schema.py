"""Parameters tables from JSON Schema: nesting, required, enums, defaults, constraints; never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from catalog.site.schema import ParamRow, parameter_rows, type_of


def test_nested_objects_and_arrays_become_dotted_rows_with_required_enum_and_default() -> None:
    schema = {
        "type": "object",
        "properties": {
            "owner": {"type": "string", "description": "Repository owner"},
            "state": {"type": "string", "enum": ["open", "closed"], "default": "open"},
            "labels": {"type": "array", "items": {"type": "object", "required": ["name"],
                                                  "properties": {"name": {"type": "string", "maxLength": 50}}}},
            "limit": {"type": ["integer", "null"], "minimum": 1},
        },
        "required": ["owner"],
    }

    rows = parameter_rows(schema)

    assert rows == [
        ParamRow("owner", 0, "string", True, "Repository owner", [], None, []),
        ParamRow("state", 0, "string", False, "", ["open", "closed"], "open", []),
        ParamRow("labels", 0, "array of object", False, "", [], None, []),
        ParamRow("labels[].name", 1, "string", True, "", [], None, ["maxLength 50"]),
        ParamRow("limit", 0, "integer | null", False, "", [], None, ["minimum 1"]),
    ]


def test_unions_and_refs_have_readable_types() -> None:
    assert type_of({"anyOf": [{"type": "string"}, {"type": "number"}]}) == "string | number"
    assert type_of({"$ref": "#/$defs/Filter"}) == "ref #/$defs/Filter"
    assert type_of("not a schema") == "any"


def test_deep_objects_stop_at_the_depth_limit() -> None:
    schema: dict[str, Any] = {"type": "object"}
    node = schema
    for level in range(20):
        child: dict[str, Any] = {"type": "object"}
        node["properties"] = {f"l{level}": child}
        node = child

    rows = parameter_rows(schema)

    assert [row.path.count(".") for row in rows] == [0, 1, 2, 3, 4, 5]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "properties", "items", "required", "enum", "default", "anyOf", "x"]) | st.text(max_size=5),
        inner, max_size=5),
    max_leaves=30,
)


@given(json_values)
def test_any_json_value_gives_rows_without_raising(schema: Any) -> None:
    rows = parameter_rows(schema)

    assert all(isinstance(row, ParamRow) for row in rows)
