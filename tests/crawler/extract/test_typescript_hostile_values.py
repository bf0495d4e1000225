"""Constants defined through themselves, or doubling at every step, never hang the TS/JS evaluator."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.records import Location, LocationKind, ToolRecord
from crawler.extract import ts_values
from crawler.extract.bounds import MAX_VALUE_SIZE
from crawler.extract.tree import LanguageExtraction, SourceFile
from crawler.extract.ts_scope import Project
from crawler.extract.ts_values import evaluate
from crawler.extract.typescript import extract

HANDLER = "async () => ({ content: [] })"
NO_INPUT: dict[str, Any] = {"type": "object", "properties": {}}
PICK_INPUT: dict[str, Any] = {"type": "object", "properties": {"mode": {}}, "required": ["mode"]}
KEY = "local:hostile"


def _tool(name: str, where: str, *, description: str = "",
          schema: dict[str, Any] | None = None) -> ToolRecord:
    file, line = where.rsplit(":", 1)
    return ToolRecord(server_key=KEY, name=name, description=description,
                      input_schema=NO_INPUT if schema is None else schema,
                      location=Location(kind=LocationKind.STATIC, file=file, line=int(line)))


def _extract(*files: tuple[str, str]) -> LanguageExtraction:
    return extract([SourceFile(path, text) for path, text in files], KEY)


SELF_REFERENCES = {
    "src/const.ts": "const A = A + A;\n",
    "dist/const.js": '"use strict";\nvar A = A + A;\n',
}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("path", list(SELF_REFERENCES))
def test_a_constant_defined_through_itself_is_unknown_and_its_tool_reported(path: str) -> None:
    prelude = SELF_REFERENCES[path]
    line = prelude.count("\n") + 1
    source = (f"{prelude}server.tool(A, {HANDLER});\n"
              f'server.registerTool("kept", {{ description: A, inputSchema: {{}} }}, {HANDLER});\n')

    assert _extract((path, source)) == LanguageExtraction(
        tools=(_tool("kept", f"{path}:{line + 1}"),),
        runtime_sites=(f"{path}:{line}: tool(A, ...)",))


ENUMS = {
    "src/declared.ts": 'enum E { M0 = E.M0 + E.M0, M1 = "one" }\n',
    # tsc: the function's parameter shadows E, so the members never reach the outer enum.
    "dist/tsc.js": 'var E;\n(function (E) {\n    E[E["M0"] = E.M0 + E.M0] = "M0";\n'
                   '    E["M1"] = "one";\n})(E || (E = {}));\n',
    # esbuild renames the parameter, so `E.M0` inside is the enum being built.
    "dist/esbuild.js": 'var E = /* @__PURE__ */ ((E2) => {\n  E2[E2["M0"] = E.M0 + E.M0] = "M0";\n'
                       '  E2["M1"] = "one";\n  return E2;\n})(E || {});\n',
    "dist/outer.js": 'var E;\n(function (P) {\n    P[P["M0"] = E.M0 + E.M0] = "M0";\n'
                     '    P["M1"] = "one";\n})(E || (E = {}));\n',
}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("path", list(ENUMS))
def test_an_enum_member_defined_through_itself_is_unknown_and_closes_nothing(path: str) -> None:
    prelude = ENUMS[path]
    line = prelude.count("\n") + 1
    source = (f"{prelude}server.tool(E.M0, {HANDLER});\nserver.tool(E.M1, {HANDLER});\n"
              f'server.tool("pick", {{ mode: z.nativeEnum(E) }}, {HANDLER});\n')

    # An enum with a member we cannot compute is left open: its known members would reject input.
    assert _extract((path, source)) == LanguageExtraction(
        tools=(_tool("one", f"{path}:{line + 1}"), _tool("pick", f"{path}:{line + 2}", schema=PICK_INPUT)),
        runtime_sites=(f"{path}:{line}: tool(E.M0, ...)",))


OBJECTS = {
    "src/object.ts": 'const E = { M0: E.M0 + E.M0, M1: "one" } as const;\n',
    "dist/object.js": '"use strict";\nconst E = Object.freeze({ M0: E.M0 + E.M0, M1: "one" });\n',
}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("path", list(OBJECTS))
def test_an_object_entry_defined_through_itself_is_left_out_of_the_object(path: str) -> None:
    prelude = OBJECTS[path]
    line = prelude.count("\n") + 1
    source = (f"{prelude}server.tool(E.M0, {HANDLER});\nserver.tool(E.M1, {HANDLER});\n"
              f'server.tool("pick", {{ mode: z.nativeEnum(E) }}, {HANDLER});\n')

    pick = {"type": "object", "properties": {"mode": {"type": "string", "enum": ["one"]}},
            "required": ["mode"]}
    assert _extract((path, source)) == LanguageExtraction(
        tools=(_tool("one", f"{path}:{line + 1}"), _tool("pick", f"{path}:{line + 2}", schema=pick)),
        runtime_sites=(f"{path}:{line}: tool(E.M0, ...)",))


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("path", "keyword"), [("src/dag.ts", "const"), ("dist/dag.js", "var")])
def test_constants_doubling_eighty_times_finish_and_stop_at_the_size_limit(path: str, keyword: str) -> None:
    doubling = "".join(f"{keyword} A{i} = A{i - 1} + A{i - 1};\n" for i in range(1, 81))
    source = (f'{keyword} A0 = "x";\n{doubling}'
              f"server.tool(A80, {HANDLER});\n"
              f"server.tool(A3, {HANDLER});\n"
              f'server.registerTool("sixteen", {{ description: A16 }}, {HANDLER});\n'
              f'server.registerTool("seventeen", {{ description: `${{A16}}${{A16}}` }}, {HANDLER});\n')

    assert MAX_VALUE_SIZE == 2**16  # A16 is as long as a built value may be
    assert _extract((path, source)) == LanguageExtraction(
        tools=(_tool("xxxxxxxx", f"{path}:83"),
               _tool("sixteen", f"{path}:84", description="x" * 2**16),
               _tool("seventeen", f"{path}:85")),
        runtime_sites=(f"{path}:82: tool(A80, ...)",))


@pytest.mark.timeout(10)
def test_objects_arrays_and_zod_schemas_doubling_eighty_times_finish() -> None:
    levels = range(1, 81)
    source = ('const O0 = { a: "x" };\n'
              + "".join(f"const O{i} = {{ ...O{i - 1}, ...O{i - 1} }};\n" for i in levels)
              + 'const L0 = ["x"];\n'
              + "".join(f"const L{i} = [...L{i - 1}, ...L{i - 1}];\n" for i in levels)
              + "const S0 = z.string();\n"
              + "".join(f"const S{i} = z.union([S{i - 1}, S{i - 1}]);\n" for i in levels)
              + f"server.tool(O2.a, {HANDLER});\n"
              + f'server.tool("listed", {{ mode: z.enum(L80), two: z.enum(L1), s: S80 }}, {HANDLER});\n')

    found = _extract(("src/shapes.ts", source))

    assert [(tool.name, tool.location.line) for tool in found.tools] == [("x", 244), ("listed", 245)]
    listed = found.tools[1].input_schema
    assert (listed["properties"]["mode"], listed["properties"]["two"]) == (
        {"type": "string"}, {"type": "string", "enum": ["x", "x"]})
    assert len(str(listed)) < 4 * MAX_VALUE_SIZE  # the union of unions is cut, not spelled out


@pytest.mark.timeout(10)
def test_a_chain_of_five_thousand_aliases_finishes_and_is_unknown_past_the_depth_limit() -> None:
    aliases = "".join(f"const A{i} = A{i - 1};\n" for i in range(1, 5001))
    suffixed = "".join(f'const B{i} = B{i - 1} + "y";\n' for i in range(1, 5001))
    source = (f'const A0 = "x";\n{aliases}const B0 = "x";\n{suffixed}'
              f"server.tool(A40, {HANDLER});\nserver.tool(A5000, {HANDLER});\n"
              f"server.tool(B20, {HANDLER});\nserver.tool(B5000, {HANDLER});\n")

    assert _extract(("src/chain.ts", source)) == LanguageExtraction(
        tools=(_tool("x", "src/chain.ts:10003"), _tool("x" + "y" * 20, "src/chain.ts:10005")),
        runtime_sites=("src/chain.ts:10004: tool(A5000, ...)", "src/chain.ts:10006: tool(B5000, ...)"))


MUTUAL = {
    "ts": (("src/a.ts", 'import { B } from "./b.js";\nexport const A = B + B;\nexport const OWN = "own";\n'
                        f"server.tool(A, {HANDLER});\n"),
           ("src/b.ts", 'import { A, OWN } from "./a.js";\nexport const B = A + A;\n'
                        f"server.tool(B, {HANDLER});\nserver.tool(OWN, {HANDLER});\n")),
    "js": (("src/a.js", '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n'
                        'const b_js_1 = require("./b.js");\nexports.A = b_js_1.B + b_js_1.B;\n'
                        f'exports.OWN = "own";\nserver.tool(exports.A, {HANDLER});\n'),
           ("src/b.js", '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n'
                        'const a_js_1 = require("./a.js");\nexports.B = a_js_1.A + a_js_1.A;\n'
                        f"server.tool(exports.B, {HANDLER});\nserver.tool(a_js_1.OWN, {HANDLER});\n")),
}


@pytest.mark.timeout(10)
def test_sibling_modules_defining_constants_through_each_other_are_unknown() -> None:
    assert _extract(*MUTUAL["ts"]) == LanguageExtraction(
        tools=(_tool("own", "src/b.ts:4"),),
        runtime_sites=("src/a.ts:4: tool(A, ...)", "src/b.ts:3: tool(B, ...)"))
    assert _extract(*MUTUAL["js"]) == LanguageExtraction(
        tools=(_tool("own", "src/b.js:6"),),
        runtime_sites=("src/a.js:6: tool(exports.A, ...)", "src/b.js:5: tool(exports.B, ...)"))


@pytest.mark.timeout(10)
def test_numbers_past_what_javascript_holds_do_not_break_string_building() -> None:
    source = (f'server.tool(`t${{0x{"f" * 5000}}}`, {HANDLER});\n'
              f'server.tool("n" + 1e400, {HANDLER});\n'
              f'server.tool("m" + 9007199254740993, {HANDLER});\n')

    found = _extract(("src/numbers.ts", source))

    assert [tool.name for tool in found.tools] == ["m9007199254740992"]  # a double, as in Node
    assert [site.split(":")[1] for site in found.runtime_sites] == ["1", "2"]


@pytest.mark.timeout(10)
def test_an_evaluation_out_of_steps_keeps_what_it_knew_and_the_next_call_does_not_start_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ts_values, "MAX_STEPS", 500)
    entries = ", ".join(f'k{i}: "v{i}"' for i in range(3000))
    source = (f"const O = {{ {entries} }};\n"
              f"server.tool(O.k1, {HANDLER});\nserver.tool(O.k2999, {HANDLER});\n"
              f"server.tool(O.k2, {HANDLER});\n")

    # The first name runs out of steps reading O; O's first entries are remembered for the rest.
    assert _extract(("src/big.ts", source)) == LanguageExtraction(
        tools=(_tool("v2", "src/big.ts:4"),),
        runtime_sites=("src/big.ts:2: tool(O.k1, ...)", "src/big.ts:3: tool(O.k2999, ...)"))


def test_a_value_handed_out_is_the_callers_own_not_the_remembered_one() -> None:
    project = Project()
    scope = project.add("src/v.ts", 'const V = { list: ["a"], nested: { n: 1 } };\n', "typescript")
    (declarator,) = [node for node in scope.bindings["V"]]

    first = evaluate(declarator.value, scope)
    first["list"].append("changed")
    first["nested"]["n"] = 2

    assert evaluate(declarator.value, scope) == {"list": ["a"], "nested": {"n": 1}}


# Random graphs of string constants: each is a few literals and references to any of the
# others (itself included), spelled as constants, templates, object entries or enum members.
Term = tuple[str, int]
Graph = list[list[Term]]
SPELLINGS = ("const", "template", "object", "enum", "compiled")


@st.composite
def _graphs(draw: st.DrawFn) -> Graph:
    size = draw(st.integers(1, 6))
    term = st.one_of(st.tuples(st.just("literal"), st.integers(0, 2)),
                     st.tuples(st.just("ref"), st.integers(0, size - 1)))
    return [draw(st.lists(term, min_size=1, max_size=3)) for _ in range(size)]


def _expected(graph: Graph) -> list[str | None]:
    """Each constant's value, None when it depends on a cycle (JavaScript would throw or loop)."""
    values: dict[int, str | None] = {}

    def value(index: int) -> str | None:
        if index not in values:
            values[index] = None  # reached again while being worked out: a cycle
            parts = [("a", "b", "xy")[arg] if kind == "literal" else value(arg)
                     for kind, arg in graph[index]]
            known = [part for part in parts if part is not None]
            values[index] = "".join(known) if len(known) == len(parts) else None
        return values[index]

    return [value(index) for index in range(len(graph))]


def _source(graph: Graph, spelling: str) -> tuple[str, list[str]]:
    """The file defining the graph, and how each constant is referred to."""
    refs = {"const": "N{}", "template": "N{}", "object": "O.N{}", "enum": "E.N{}", "compiled": "E.N{}"}
    names = [refs[spelling].format(index) for index in range(len(graph))]

    def expression(terms: list[Term]) -> str:
        if spelling == "template":
            return "`" + "".join(("a", "b", "xy")[arg] if kind == "literal" else f"${{{names[arg]}}}"
                                 for kind, arg in terms) + "`"
        return " + ".join(f'"{("a", "b", "xy")[arg]}"' if kind == "literal" else names[arg]
                          for kind, arg in terms)

    lines = [expression(terms) for terms in graph]
    if spelling in ("const", "template"):
        body = "".join(f"const N{index} = {line};\n" for index, line in enumerate(lines))
    elif spelling == "object":
        body = "const O = {\n" + "".join(f"  N{index}: {line},\n" for index, line in enumerate(lines)) + "};\n"
    elif spelling == "enum":
        body = "enum E {\n" + "".join(f"  N{index} = {line},\n" for index, line in enumerate(lines)) + "}\n"
    else:
        body = "var E;\n(function (E2) {\n" + "".join(
            f'  E2["N{index}"] = {line};\n' for index, line in enumerate(lines)) + "})(E || (E = {}));\n"
    return body + "".join(f"server.tool({name}, {HANDLER});\n" for name in names), names


@pytest.mark.timeout(10)
@settings(max_examples=120, deadline=None)
@given(graph=_graphs(), spelling=st.sampled_from(SPELLINGS))
def test_random_constant_graphs_evaluate_exactly_where_acyclic_and_to_unknown_on_cycles(
        graph: Graph, spelling: str) -> None:
    path = "src/graph.js" if spelling == "compiled" else "src/graph.ts"
    source, names = _source(graph, spelling)
    first_line = source.count("\n") - len(graph) + 1

    found = _extract((path, source))

    expected = _expected(graph)
    assert found == LanguageExtraction(
        tools=tuple(_tool(value, f"{path}:{first_line + index}")
                    for index, value in enumerate(expected) if value is not None),
        runtime_sites=tuple(f"{path}:{first_line + index}: tool({names[index]}, ...)"
                            for index, value in enumerate(expected) if value is None))
