"""TypeScript enums compiled to JavaScript (tsc, esbuild, Babel, minifiers) still list their values."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.tree import SourceFile, extract_tree
from crawler.extract.typescript import extract_tools

REPOS = Path(__file__).resolve().parents[2] / "fixtures" / "repos"


def _native_enum_schema(prelude: str, path: str = "dist/t.js") -> dict[str, Any]:
    source = f'{prelude}\nserver.tool("t", {{ x: z.nativeEnum(E) }}, async () => ({{ content: [] }}));\n'
    (tool,) = extract_tools([SourceFile(path, source)], "local:compiled")
    schema: dict[str, Any] = tool.input_schema["properties"]["x"]
    return schema


def test_tsc_commonjs_enums_from_a_sibling_module_become_json_enums() -> None:
    key = "npm:shelf-keeper"
    found = extract_tree(REPOS / "js-tsc-enums-cjs", key)
    assert found.tools == (
        ToolRecord(
            server_key=key, name="shelf_find_books", description="Find books on a shelf.",
            input_schema={"type": "object", "properties": {
                "shelf": {"type": "string", "enum": ["fiction", "reference", "archive"],
                          "default": "fiction"},
                "sort": {},
                "tidy": {},
                "colour": {},
                "label": {},
            }, "required": ["sort"]},
            hints=ToolHints.model_validate({"readOnlyHint": True}),
            location=Location(kind=LocationKind.STATIC, file="dist/index.js", line=41)),
        ToolRecord(
            server_key=key, name="shelf_put_book", description="Put a book on a shelf.",
            input_schema={"type": "object", "properties": {
                "title": {"type": "string"},
                "shelf": {"type": "string", "enum": ["fiction", "reference", "archive"]},
                "priority": {"type": "number", "enum": [0, 1, 2]},
                "format": {"enum": [0, 10, 11, "md"]},
            }, "required": ["title", "shelf", "format"]},
            location=Location(kind=LocationKind.STATIC, file="dist/index.js", line=32)),
    )
    assert (found.notes, found.complete) == ((), True)


def test_tsc_esm_enums_imported_from_a_sibling_module_become_json_enums() -> None:
    key = "npm:print-queue"
    assert extract_tree(REPOS / "js-tsc-enums-esm", key).tools == (
        ToolRecord(
            server_key=key, name="print_document", title="Print a document",
            description="Send a document to the printer.",
            input_schema={"type": "object", "properties": {
                "path": {"type": "string"},
                "paper": {"type": "string", "enum": ["a4", "letter"], "default": "a4"},
                "copies": {"type": "number", "enum": [1, 2, 50, 51]},
                "tray": {},
                "colour": {"type": "string", "enum": ["mono", "full"]},
                "preset": {},
            }, "required": ["path", "copies", "colour"]},
            location=Location(kind=LocationKind.STATIC, file="dist/index.js", line=17)),
    )


def test_esbuild_bundle_enums_become_json_enums() -> None:
    key = "npm:tide-tables"
    assert extract_tree(REPOS / "js-bundled-enums", key).tools == (
        ToolRecord(
            server_key=key, name="tide_predict", description="Predict the tide height at a station.",
            input_schema={"type": "object", "properties": {
                "station": {},
                "unit": {"type": "string", "enum": ["m", "ft"], "default": "m"},
                "datum": {"type": "number", "enum": [0, 1, 5, 6]},
                "days": {},
                "region": {},
            }, "required": ["station"]},
            hints=ToolHints.model_validate({"readOnlyHint": True}),
            location=Location(kind=LocationKind.STATIC, file="dist/index.js", line=41)),
    )


STRING_AB = {"type": "string", "enum": ["a", "b"]}

COMPILED: list[tuple[str, dict[str, Any]]] = [
    ('var E;\n(function (E) {\n    E["A"] = "a";\n    E["B"] = "b";\n})(E || (E = {}));', STRING_AB),
    ('var E;\n(function (E) { E["A"] = "a"; E["B"] = "b"; })(E || (exports.E = E = {}));', STRING_AB),
    ('var E;\n(function (E) { E["A"] = "a"; E["B"] = "b"; })(E = exports.E || (exports.E = {}));',
     STRING_AB),
    ('let E;\n(function (E) { E["A"] = "a"; E["B"] = "b"; })(E || (E = {}));', STRING_AB),
    ('let E;\nexports.E = E;\n(function (E) { E["A"] = "a"; E["B"] = "b"; })(E || (exports.E = E = {}));',
     STRING_AB),
    ('let E = exports.E = /*#__PURE__*/function (E) { E["A"] = "a"; E["B"] = "b"; return E; }({});',
     STRING_AB),
    ('var E = /* @__PURE__ */ ((E2) => {\n  E2["A"] = "a";\n  E2["B"] = "b";\n  return E2;\n})(E || {});',
     STRING_AB),
    ('var E;!function(n){n.A="a",n.B="b"}(E||(exports.Kind=E={}));', STRING_AB),
    ('var E;\n(function (E) {\n    E[E["A"] = 0] = "A";\n    E[E["B"] = 1] = "B";\n'
     '    E[E["C"] = 7] = "C";\n    E[E["D"] = 8] = "D";\n})(E || (E = {}));',
     {"type": "number", "enum": [0, 1, 7, 8]}),
    ('var E;!function(n){n[n.Down=-1]="Down",n[n.Half=.5]="Half"}(E||(E={}));',
     {"type": "number", "enum": [-1, 0.5]}),
    ('var E;\n(function (E) { E[E["No"] = 0] = "No"; E["Yes"] = "yes"; })(E || (E = {}));',
     {"enum": [0, "yes"]}),
    ('var E;\n(function (E) { E[E["A"] = 0] = "A"; E[E["B"] = size()] = "B"; })(E || (E = {}));', {}),
    ('var E;\n(function (E) { E["A"] = "a"; E["B"] = prefix + "b"; })(E || (E = {}));', {}),
]


@pytest.mark.parametrize(("prelude", "expected"), COMPILED)
def test_native_enum_of_a_compiled_enum_lists_its_values(prelude: str, expected: dict[str, Any]) -> None:
    assert _native_enum_schema(prelude) == expected


NOT_ENUMS = [
    'var E;\n(function (E) { function f() { return 1; } E.f = f; })(E || (E = {}));',
    'var E;\n(function (E) { E["A"] = "a"; console.log(E); })(E || (E = {}));',
    'var E = {};\n(function (m) { m["A"] = "a"; })(E);',
    'var E;\n(function (E) { E["A"] = "a"; })(E || {});',
    'var E;\n(function (E) { E["A"] = "a"; })(E || (E = { B: "b" }));',
    'var E;\n(function (E) { E[E["A"] = 0] = "B"; })(E || (E = {}));',
    'var E;\n(function (E, F) { E["A"] = "a"; })(E || (E = {}));',
    'var E = ((E2) => { E2["A"] = "a"; return { ...E2 }; })(E || {});',
    'var E = ((E2) => { E2["A"] = "a"; })(E || {});',
    'var E = ((E2) => { E2["A"] = "a"; return E2; })(F || {});',
    'const E = {};\nE["A"] = "a";\nE["B"] = "b";',
]


@pytest.mark.parametrize("prelude", NOT_ENUMS)
def test_calls_and_objects_that_only_look_like_compiled_enums_stay_open(prelude: str) -> None:
    assert _native_enum_schema(prelude) == {}


def test_compiled_enum_members_name_tools_and_give_defaults_and_literals() -> None:
    types = ('"use strict";\nvar Tool;\n(function (Tool) { Tool["Read"] = "notes_read"; })'
             '(Tool || (exports.Tool = Tool = {}));\nvar Level;\n(function (Level) {\n'
             '    Level[Level["Low"] = 0] = "Low";\n    Level[Level["High"] = 1] = "High";\n'
             '})(Level || (exports.Level = Level = {}));\n')
    index = ('const zod_1 = require("zod");\nconst types_1 = require("./types");\n'
             'server.tool(types_1.Tool.Read, { at: zod_1.z.literal(types_1.Level.High),\n'
             '  level: zod_1.z.nativeEnum(types_1.Level).default(types_1.Level.Low) }, async () => 1);\n')
    (tool,) = extract_tools([SourceFile("dist/types.js", types), SourceFile("dist/index.js", index)],
                            "local:notes")
    assert (tool.name, tool.input_schema) == ("notes_read", {"type": "object", "properties": {
        "at": {"type": "integer", "const": 1},
        "level": {"type": "number", "enum": [0, 1], "default": 0}}, "required": ["at"]})


def test_merged_enum_blocks_list_every_member() -> None:
    prelude = ('var E;\n(function (E) { E["A"] = "a"; })(E || (exports.E = E = {}));\n'
               '(function (E) { E["B"] = "b"; })(E || (exports.E = E = {}));')
    assert _native_enum_schema(prelude) == STRING_AB


def test_a_typescript_enum_with_a_member_we_cannot_compute_stays_open() -> None:
    assert _native_enum_schema('enum E { A = "a", B = compute() }', "src/t.ts") == {}


def test_compiled_enum_members_referring_to_each_other_in_a_cycle_stay_fast() -> None:
    members = "".join(f'E2["M{i}"] = E.M{(i + 1) % 300};\n' for i in range(300))
    prelude = f"var E = ((E2) => {{\n{members}return E2;\n}})(E || {{}});"
    started = time.process_time()
    assert _native_enum_schema(prelude) == {}
    assert time.process_time() - started < 3.0


ENUM_TOKENS = ["var", "E", "E2", ";", "(", ")", "{", "}", "[", "]", "function", "=>", "=", "||",
               "exports", ".", "E.A", '"A"', '"a"', "0", "1", ",", "return", "!", "/* @__PURE__ */",
               "z.nativeEnum(E)", 'server.tool("t", {x:', "async () => 1)", "\n"]


@given(tokens=st.lists(st.sampled_from(ENUM_TOKENS), max_size=80))
def test_enum_shaped_token_soup_never_raises(tokens: list[str]) -> None:
    tools = extract_tools([SourceFile("dist/a.js", " ".join(tokens))], "local:soup")
    assert all(tool.name for tool in tools)
