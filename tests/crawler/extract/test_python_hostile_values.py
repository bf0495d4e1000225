"""Constants, enums and models defined through themselves, or doubling, never hang the Python extractor."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.records import Location, LocationKind, ToolRecord
from crawler.extract.bounds import MAX_VALUE_SIZE
from crawler.extract.python import extract
from crawler.extract.tree import LanguageExtraction, SourceFile

HEADER = "from enum import Enum\nfrom fastmcp import FastMCP\nfrom pydantic import BaseModel\n\nmcp = FastMCP('hostile')\n"
NO_INPUT: dict[str, Any] = {"type": "object", "properties": {}}
KEY = "local:hostile"


def _tool(name: str, where: str, *, description: str = "",
          schema: dict[str, Any] | None = None) -> ToolRecord:
    file, line = where.rsplit(":", 1)
    return ToolRecord(server_key=KEY, name=name, description=description,
                      input_schema=NO_INPUT if schema is None else schema,
                      location=Location(kind=LocationKind.STATIC, file=file, line=int(line)))


def _extract(*files: tuple[str, str]) -> LanguageExtraction:
    return extract([SourceFile(path, text) for path, text in files], KEY)


@pytest.mark.timeout(10)
def test_a_constant_defined_through_itself_is_unknown_and_its_tool_reported() -> None:
    source = HEADER + (
        "A = A + A\n\n"
        '@mcp.tool(name=A)\ndef loops() -> None:\n    """Docstring."""\n\n'
        '@mcp.tool(description=A)\ndef kept() -> None:\n    """Docstring."""\n')

    assert _extract(("srv/self.py", source)) == LanguageExtraction(
        tools=(_tool("kept", "srv/self.py:12", description="Docstring."),),
        runtime_sites=("srv/self.py:8: a tool name computed at run time",))


@pytest.mark.timeout(10)
def test_an_enum_member_defined_through_itself_is_unknown_not_a_recursion_error() -> None:
    source = HEADER + (
        'class Mode(str, Enum):\n    M0 = Mode.M0.value + Mode.M0.value\n    M1 = "one"\n\n'
        "@mcp.tool(name=Mode.M0.value)\ndef zero() -> None: ...\n\n"
        "@mcp.tool(name=Mode.M1.value)\ndef pick(mode: Mode) -> None: ...\n")

    pick = {"type": "object", "properties": {"mode": {"$ref": "#/$defs/Mode"}}, "required": ["mode"],
            "$defs": {"Mode": {"enum": ["one"], "type": "string"}}}
    assert _extract(("srv/enum.py", source)) == LanguageExtraction(
        tools=(_tool("one", "srv/enum.py:13", schema=pick),),
        runtime_sites=("srv/enum.py:10: a tool name computed at run time",))


@pytest.mark.timeout(10)
def test_a_wide_list_of_itself_is_unknown() -> None:
    source = HEADER + "A = [" + ", ".join(["A"] * 12) + ']\n\n@mcp.tool(description=" ".join(A))\ndef wide() -> None: ...\n'

    assert _extract(("srv/list.py", source)) == LanguageExtraction(tools=(_tool("wide", "srv/list.py:8"),))


@pytest.mark.timeout(10)
def test_strings_growing_eightfold_at_every_step_stop_at_the_size_limit() -> None:
    growing = "".join(f'A{i} = f"' + f"{{A{i - 1}}}" * 8 + '"\n' for i in range(1, 41))
    source = HEADER + (f'A0 = "x"\n{growing}\n'
                       "@mcp.tool(description=A5)\ndef five() -> None: ...\n\n"
                       "@mcp.tool(description=A6)\ndef six() -> None: ...\n\n"
                       "@mcp.tool(name=A40)\ndef forty() -> None: ...\n")

    assert 8**5 <= MAX_VALUE_SIZE < 8**6
    assert _extract(("srv/grow.py", source)) == LanguageExtraction(
        tools=(_tool("five", "srv/grow.py:48", description="x" * 8**5), _tool("six", "srv/grow.py:51")),
        runtime_sites=("srv/grow.py:54: a tool name computed at run time",))


@pytest.mark.timeout(10)
def test_models_whose_bases_share_bases_thirty_levels_deep_finish_with_each_field_once() -> None:
    levels = "".join(f"\nclass A{i}(A{i - 1}, B{i - 1}):\n    a{i}: str\n\nclass B{i}(A{i - 1}, B{i - 1}):\n    b{i}: str\n"
                     for i in range(1, 30))
    source = HEADER + ("class A0(BaseModel):\n    a0: str\n\nclass B0(BaseModel):\n    b0: str\n"
                       f"{levels}\n@mcp.tool\ndef deep(x: A29) -> None: ...\n")

    # Bases are followed 24 levels down, so A5 and B5 are where the fields start.
    fields = ["a5", "b5", *(f"{kind}{level}" for level in range(6, 29) for kind in "ab"), "a29"]
    model = {"type": "object", "properties": {name: {"type": "string"} for name in fields},
             "required": fields}
    assert _extract(("srv/bases.py", source)) == LanguageExtraction(tools=(_tool(
        "deep", "srv/bases.py:186", schema={"type": "object", "properties": {"x": {"$ref": "#/$defs/A29"}},
                                            "required": ["x"], "$defs": {"A29": model}}),))


@pytest.mark.timeout(10)
def test_a_description_of_nine_hundred_and_ninety_joined_literals_is_read_without_recursion() -> None:
    source = HEADER + "@mcp.tool(description=" + " + ".join(['"a"'] * 990) + ")\ndef long() -> None: ...\n"

    assert _extract(("srv/long.py", source)) == LanguageExtraction(
        tools=(_tool("long", "srv/long.py:6", description="a" * 990),))


@pytest.mark.timeout(10)
def test_sibling_modules_defining_constants_through_each_other_are_unknown() -> None:
    first = 'from srv.b import B\nA = B + B\nOWN = "own"\n'
    second = HEADER + ("from srv.a import A, OWN\nB = A + A\n\n"
                       "@mcp.tool(name=B)\ndef b() -> None: ...\n\n@mcp.tool(name=OWN)\ndef own() -> None: ...\n")

    assert _extract(("srv/a.py", first), ("srv/b.py", second)) == LanguageExtraction(
        tools=(_tool("own", "srv/b.py:12"),),
        runtime_sites=("srv/b.py:9: a tool name computed at run time",))
