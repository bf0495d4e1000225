"""Each zod form a server writes converts to the JSON Schema the TS SDK would advertise, in spirit."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.extract.tree import SourceFile
from crawler.extract.typescript import extract_tools


def _input_schema(shape: str, prelude: str = "", path: str = "src/t.ts") -> dict[str, Any]:
    source = f'{prelude}\nserver.tool("t", {shape}, async () => ({{ content: [] }}));\n'
    (tool,) = extract_tools([SourceFile(path, source)], "local:zod")
    return tool.input_schema


CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("z.string()", {"type": "string"}, True),
    ("z.number()", {"type": "number"}, True),
    ("z.boolean()", {"type": "boolean"}, True),
    ("z.bigint()", {"type": "integer", "format": "int64"}, True),
    ("z.any()", {}, True),
    ("z.unknown()", {}, True),
    ('z.enum(["a", "b"])', {"type": "string", "enum": ["a", "b"]}, True),
    ('z.literal("on")', {"type": "string", "const": "on"}, True),
    ("z.literal(3)", {"type": "integer", "const": 3}, True),
    ("z.array(z.string())", {"type": "array", "items": {"type": "string"}}, True),
    ("z.string().array()", {"type": "array", "items": {"type": "string"}}, True),
    ("z.object({ a: z.string(), b: z.number().optional() })",
     {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}},
      "required": ["a"]}, True),
    ("z.object({ a: z.string() }).strict()",
     {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
      "additionalProperties": False}, True),
    ("z.object({ a: z.string() }).passthrough()",
     {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
      "additionalProperties": True}, True),
    ("z.string().optional()", {"type": "string"}, False),
    ('z.string().default("x")', {"type": "string", "default": "x"}, False),
    ("z.number().default(2)", {"type": "number", "default": 2}, False),
    ("z.string().nullable()", {"type": ["string", "null"]}, True),
    ("z.string().nullish()", {"type": ["string", "null"]}, False),
    ("z.union([z.string(), z.number()])", {"anyOf": [{"type": "string"}, {"type": "number"}]}, True),
    ("z.string().or(z.number())", {"anyOf": [{"type": "string"}, {"type": "number"}]}, True),
    ("z.record(z.number())", {"type": "object", "additionalProperties": {"type": "number"}}, True),
    ("z.record(z.string(), z.boolean())",
     {"type": "object", "additionalProperties": {"type": "boolean"}}, True),
    ('z.string().describe("who")', {"type": "string", "description": "who"}, True),
    ('z.string().optional().describe("who")', {"type": "string", "description": "who"}, False),
    ('z.string({ description: "who" })', {"type": "string", "description": "who"}, True),
    ("z.number().int().min(1).max(9)", {"type": "integer", "minimum": 1, "maximum": 9}, True),
    ("z.string().min(2).max(5)", {"type": "string", "minLength": 2, "maxLength": 5}, True),
    ("z.array(z.string()).min(1)", {"type": "array", "items": {"type": "string"}, "minItems": 1}, True),
    ("z.number().positive()", {"type": "number", "exclusiveMinimum": 0}, True),
    ("z.string().email()", {"type": "string", "format": "email"}, True),
    ("z.string().url()", {"type": "string", "format": "uri"}, True),
    ("z.string().uuid()", {"type": "string", "format": "uuid"}, True),
    ("z.string().regex(/^a+$/)", {"type": "string", "pattern": "^a+$"}, True),
    ("z.coerce.number()", {"type": "number"}, True),
    ("zod.string()", {"type": "string"}, True),
    ("z.string().transform((s) => s.trim())", {"type": "string"}, True),
    ("someHelper()", {}, True),
    ("z.custom<Buffer>()", {}, True),
]


@pytest.mark.parametrize(("expression", "expected", "required"), CASES)
def test_zod_property_converts(expression: str, expected: dict[str, Any], required: bool) -> None:
    schema = _input_schema(f"{{ x: {expression} }}")
    assert schema == {"type": "object", "properties": {"x": expected},
                      **({"required": ["x"]} if required else {})}


def test_required_keeps_declaration_order() -> None:
    schema = _input_schema("{ zeta: z.string(), alpha: z.string().optional(), mid: z.number() }")
    assert schema["required"] == ["zeta", "mid"]


def test_schema_constants_spreads_and_extend_resolve() -> None:
    prelude = """
const Base = z.object({ id: z.string() });
const Full = Base.extend({ note: z.string().optional() });
const common = { verbose: z.boolean().default(false) };
"""
    assert _input_schema("{ ...common, item: Full }", prelude) == {
        "type": "object",
        "properties": {
            "verbose": {"type": "boolean", "default": False},
            "item": {"type": "object", "properties": {"id": {"type": "string"},
                                                       "note": {"type": "string"}},
                     "required": ["id"]},
        },
        "required": ["item"],
    }


def test_commonjs_zod_spellings_convert() -> None:
    prelude = 'const zod_1 = require("zod");'
    assert _input_schema("{ a: zod_1.z.string(), b: (0, zod_1.z).number().optional() }",
                         prelude, "dist/t.js") == {
        "type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}},
        "required": ["a"],
    }


def test_partial_makes_every_property_optional() -> None:
    prelude = "const Args = z.object({ a: z.string(), b: z.number() });"
    assert _input_schema("Args.partial()", prelude) == {
        "type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}}


NATIVE_ENUMS: list[tuple[str, dict[str, Any]]] = [
    ('enum E { A = "a", B = "b" }', {"type": "string", "enum": ["a", "b"]}),
    ("enum E { A, B, C = 7, D }", {"type": "number", "enum": [0, 1, 7, 8]}),
    ("const enum E { Half = 0.5, Whole = 1 }", {"type": "number", "enum": [0.5, 1]}),
    ('enum E { No = 0, Yes = "yes" }', {"enum": [0, "yes"]}),
    ('const E = { A: "a", B: "b" } as const;', {"type": "string", "enum": ["a", "b"]}),
    ('const E = Object.freeze({ A: 1, B: 2, 1: "A", 2: "B" });', {"type": "number", "enum": [1, 2]}),
    ("const E = loadEnum();", {}),
    ("", {}),
]


@pytest.mark.parametrize(("prelude", "expected"), NATIVE_ENUMS)
def test_native_enum_lists_the_enum_values(prelude: str, expected: dict[str, Any]) -> None:
    schema = _input_schema("{ x: z.nativeEnum(E) }", prelude)
    assert schema == {"type": "object", "properties": {"x": expected}, "required": ["x"]}


def test_native_enum_imported_from_a_sibling_module() -> None:
    files = [SourceFile("src/kinds.ts", 'export enum Kind { Doc = "doc", Sheet = "sheet" }\n'),
             SourceFile("src/t.ts", 'import { Kind } from "./kinds";\n'
                                    'server.tool("t", { k: z.nativeEnum(Kind).optional() }, async () => 1);\n')]
    (tool,) = extract_tools(files, "local:zod")
    assert tool.input_schema == {"type": "object", "properties": {
        "k": {"type": "string", "enum": ["doc", "sheet"]}}}
