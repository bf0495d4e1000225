"""Hostile inputs never crash the TypeScript extractor: bad bytes, huge files, broken or deep code."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.records import Location, LocationKind, ToolHints, ToolRecord
from crawler.extract.tree import MAX_SOURCE_BYTES, SourceFile, extract_tree
from crawler.extract.typescript import extract_tools

SUFFIXES = [".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx"]
JS_TOKENS = ["server", ".", "tool", "registerTool", "setRequestHandler", "(", ")", "{", "}", "[",
             "]", ",", ":", ";", '"x"', "'y'", "`t${a}`", "z", "zod_1", "z.string()", ".optional()",
             "=>", "async", "const", "a", "=", "+", "...", "ListToolsRequestSchema", "tools",
             "name", "import", "from", '"./a.js"', "export", "require", "exports", "as const",
             "return", "function", "!0", "-", "1", "\n", " ", "/*", "*/", "//", "\\", "\x00",
             "registerToolTask", "addTool", "addTools", "execute", "parameters", "createTask", "enum",
             "E", "declare", "z.nativeEnum(E)", "Object.defineProperty", "__exportStar", "get",
             ".map", "t", "Object.values"]


def test_non_utf8_file_is_read_with_replacement(tmp_path: Path) -> None:
    (tmp_path / "server.js").write_bytes(
        b'server.tool("latin_tool", "Caf\xe9 menu \xff", async () => ({ content: [] }));\n')
    assert extract_tree(tmp_path, "local:latin").tools == (ToolRecord(
        server_key="local:latin", name="latin_tool", description="Caf\ufffd menu \ufffd",
        input_schema={"type": "object", "properties": {}},
        location=Location(kind=LocationKind.STATIC, file="server.js", line=1),
    ),)


def test_ten_megabyte_bundle_is_skipped_with_a_note(tmp_path: Path) -> None:
    minified = "var a=1;" * (10 * 1024 * 1024 // 8)
    (tmp_path / "bundle.min.js").write_text(minified, encoding="utf-8")
    (tmp_path / "server.ts").write_text('server.tool("kept", async () => 1);\n', encoding="utf-8")
    found = extract_tree(tmp_path, "local:big")
    size = len(minified)
    assert [tool.name for tool in found.tools] == ["kept"]
    assert found.notes == (
        f"skipped bundle.min.js: {size} bytes is over the {MAX_SOURCE_BYTES}-byte limit",)
    assert found.complete is False


def test_one_megabyte_minified_file_with_a_registration_parses_quickly() -> None:
    chunk = 'var a{i}=function(e,t){{return e.map(function(n){{return{{k:n.k+"{i}",v:[t,!0]}}}})}};'
    body = "".join(chunk.format(i=i) for i in range(13_000))
    registration = 'r.tool("min_tool","Minified.",{q:o.z.string().optional()},async function(e){return e});'
    source = body[: len(body) // 2] + registration + body[len(body) // 2:]
    assert len(source) > 1_000_000
    started = time.process_time()
    (tool,) = extract_tools([SourceFile("bundle.min.js", source)], "local:min")
    assert time.process_time() - started < 5.0
    assert (tool.name, tool.description, tool.input_schema) == (
        "min_tool", "Minified.", {"type": "object", "properties": {"q": {"type": "string"}}})


def test_syntax_errors_around_a_registration_leave_it_readable() -> None:
    source = """
const broken = {{{ ;
server.tool("survivor", "Still here.", { a: z.string() }, async () => ({ content: [] }));
function ( { oops
"""
    (tool,) = extract_tools([SourceFile("src/broken.ts", source)], "local:broken")
    assert (tool.name, tool.description, tool.location.line) == ("survivor", "Still here.", 3)


def test_deeply_nested_expressions_do_not_recurse_out() -> None:
    sources = [
        "const N = " + "(" * 5000 + '"deep"' + ")" * 5000 + ";\nserver.tool(N, async () => 1);",
        "server.tool(" + "+".join(['"a"'] * 20_000) + ", async () => 1);",
        'server.tool("arrays", { x: ' + "[" * 3000 + "]" * 3000 + " }, async () => 1);",
        'server.tool("chain", { x: z.string()' + ".optional()" * 3000 + " }, async () => 1);",
        'server.tool("calls", { x: ' + "f(" * 3000 + ")" * 3000 + " }, async () => 1);",
    ]
    tools = extract_tools([SourceFile(f"src/deep{i}.ts", text) for i, text in enumerate(sources)],
                          "local:deep")
    assert [tool.name for tool in tools] == ["arrays", "chain", "calls"]
    assert all(tool.input_schema == {"type": "object", "properties": {"x": {}}, "required": ["x"]}
               for tool in tools)


def test_cyclic_constants_and_imports_are_skipped_not_looped() -> None:
    files = [
        SourceFile("src/a.ts", 'export { B as A } from "./b.js";\nexport const OWN = "own";\n'),
        SourceFile("src/b.ts", 'export { A as B } from "./a.js";\n'),
        SourceFile("src/index.ts", 'import { A, OWN } from "./a.js";\nconst p = q; const q = p;\n'
                                   'server.tool(A, async () => 1);\nserver.tool(p, async () => 1);\n'
                                   'server.tool(OWN, "Own.", async () => 1);\n'),
    ]
    assert extract_tools(files, "local:cycle") == [ToolRecord(
        server_key="local:cycle", name="own", description="Own.",
        input_schema={"type": "object", "properties": {}}, hints=ToolHints(),
        location=Location(kind=LocationKind.STATIC, file="src/index.ts", line=5),
    )]


def test_http_root_listing_and_console_strings_are_not_tools() -> None:
    source = """
app.get("/", (c) => c.json({ tools: ["alpha", "beta"] }));
console.log("tool gamma");
// server.tool("delta", async () => 1);
const docs = [{ name: "epsilon", description: "not served" }];
helper.tool("zeta", "label only");
"""
    assert extract_tools([SourceFile("src/http.ts", source)], "local:decoys") == []


def test_a_few_hundred_files_take_well_under_a_second_per_hundred() -> None:
    template = Path(__file__).resolve().parents[2] / "fixtures/repos/cortex-hub/src/tools/memory.ts"
    text = template.read_text(encoding="utf-8")
    files = [SourceFile(f"src/tools/t{i}.ts", text.replace("cortex_", f"c{i}_")) for i in range(300)]
    started = time.process_time()
    tools = extract_tools(files, "local:many")
    assert time.process_time() - started < 3.0
    assert len(tools) == 900


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=400), suffix=st.sampled_from(SUFFIXES))
def test_arbitrary_text_never_raises(text: str, suffix: str) -> None:
    tools = extract_tools([SourceFile(f"src/any{suffix}", text)], "local:any")
    assert all(tool.name for tool in tools)


@settings(max_examples=200, deadline=None)
@given(tokens=st.lists(st.sampled_from(JS_TOKENS), max_size=80), suffix=st.sampled_from(SUFFIXES))
def test_token_soup_never_raises(tokens: list[str], suffix: str) -> None:
    files = [SourceFile(f"src/a{suffix}", " ".join(tokens)),
             SourceFile("src/b.ts", "".join(reversed(tokens)))]
    tools = extract_tools(files, "local:soup")
    assert all(tool.name and tool.location.line for tool in tools)


def test_enum_members_referring_to_each_other_in_a_cycle_stay_fast() -> None:
    members = ", ".join(f"M{i} = E.M{(i + 1) % 300}" for i in range(300))
    source = f'enum E {{ {members} }}\nserver.tool("cyclic", {{ x: z.nativeEnum(E) }}, async () => 1);\n'
    started = time.process_time()
    (tool,) = extract_tools([SourceFile("src/enum.ts", source)], "local:enum")
    assert time.process_time() - started < 3.0
    assert tool.input_schema == {"type": "object", "properties": {"x": {}}, "required": ["x"]}


def test_a_tool_named_at_run_time_marks_the_tree_incomplete_with_the_run_time_note(tmp_path: Path) -> None:
    (tmp_path / "index.ts").write_text(
        'server.tool("static_one", "Listed in the source.", {}, async () => ({ content: [] }));\n'
        'server.tool(process.env.TOOL_NAME, "Named at run time.", {}, async () => ({ content: [] }));\n',
        encoding="utf-8",
    )

    found = extract_tree(tmp_path, "local:x")

    assert [tool.name for tool in found.tools] == ["static_one"]
    assert found.complete is False
    assert found.notes[0] == (
        "1 tools found statically; this server builds tools at run time: use --run or a live URL"
    )
