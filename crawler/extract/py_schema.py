"""JSON Schema from Python type hints, shaped like pydantic's output with every `title` left out.

The shape follows what FastMCP/MCPServer produce through pydantic: `X | None` is
`{"anyOf": [X, {"type": "null"}]}`, a default gives `"default"` and makes the property optional,
repo Enums and BaseModels become `$defs` entries referenced by `{"$ref": "#/$defs/Name"}`.
pydantic's automatic `title` keys (the field name, title-cased) carry nothing a reader needs,
so none are emitted; types the extractor cannot know (imported from elsewhere) become `{}`.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

from crawler.extract.bounds import Memo
from crawler.extract.py_values import (
    MAX_DEPTH,
    UNKNOWN,
    Evaluator,
    FunctionNode,
    PyIndex,
    PyModule,
    base_name,
    enum_members,
    keyword,
)

_SIMPLE: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "bytes": {"type": "string", "format": "binary"},
    "None": {"type": "null"},
    "NoneType": {"type": "null"},
    "Any": {},
    "object": {},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "timedelta": {"type": "string", "format": "duration"},
    "UUID": {"type": "string", "format": "uuid"},
    "Path": {"type": "string", "format": "path"},
    "AnyUrl": {"type": "string", "format": "uri", "minLength": 1},
    "HttpUrl": {"type": "string", "format": "uri", "minLength": 1, "maxLength": 2083},
    "AnyHttpUrl": {"type": "string", "format": "uri", "minLength": 1},
    "EmailStr": {"type": "string", "format": "email"},
    "dict": {"type": "object", "additionalProperties": True},
    "Dict": {"type": "object", "additionalProperties": True},
    "Mapping": {"type": "object", "additionalProperties": True},
    "list": {"type": "array", "items": {}},
    "List": {"type": "array", "items": {}},
    "Sequence": {"type": "array", "items": {}},
    "tuple": {"type": "array", "items": {}},
    "set": {"type": "array", "items": {}, "uniqueItems": True},
}
_ARRAYS = frozenset({"list", "List", "Sequence", "MutableSequence", "Iterable", "Collection"})
_SETS = frozenset({"set", "Set", "frozenset", "FrozenSet", "AbstractSet"})
_MAPPINGS = frozenset({"dict", "Dict", "Mapping", "MutableMapping"})
_CONTEXT_NAMES = frozenset({"Context", "ServerContext", "RequestContext"})
_FIELD_KEYS = {
    "description": "description", "ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum", "multiple_of": "multipleOf", "pattern": "pattern",
    "examples": "examples",
}


def _json_type(value: Any) -> str | None:
    match value:
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "number"
        case str():
            return "string"
        case None:
            return "null"
    return None


class SchemaBuilder:
    """Builds schemas for one tool, collecting the `$defs` its references need."""

    def __init__(self, index: PyIndex) -> None:
        self.index = index
        self.values = Evaluator(index)
        self.defs: dict[str, dict[str, Any]] = {}
        # Each base model's schema once: bases may share bases, and the sharing may nest.
        self.bases: Memo[dict[str, Any]] = Memo()

    def of_annotation(self, node: ast.expr | None, module: PyModule, depth: int = 0) -> dict[str, Any]:
        """The schema of one type hint."""
        if node is None or depth > MAX_DEPTH:
            return {}
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return {}
            return self.of_annotation(parsed, module, depth + 1)
        if isinstance(node, ast.Constant) and node.value is None:
            return {"type": "null"}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._union([node.left, node.right], module, depth)
        if isinstance(node, ast.Subscript):
            return self._generic(node, module, depth)
        name = base_name(node)
        if name is None:
            return {}
        found = self.index.cls(module, name)
        if found is not None and (self.index.is_enum(*found) or self.index.is_model(*found)):
            return self._reference(found[0], found[1])
        return dict(_SIMPLE.get(name, {}))

    def _generic(self, node: ast.Subscript, module: PyModule, depth: int) -> dict[str, Any]:
        name = base_name(node.value)
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if name == "Optional":
            return self._union([args[0], ast.Constant(None)], module, depth)
        if name == "Union":
            return self._union(args, module, depth)
        if name == "Annotated":
            schema = self.of_annotation(args[0], module, depth + 1)
            for meta in args[1:]:
                if isinstance(meta, ast.Call) and base_name(meta.func) == "Field":
                    schema = self.apply_field(schema, meta, module)
            return schema
        if name == "Literal":
            return self._literal(args, module)
        if name in _ARRAYS:
            return {"type": "array", "items": self.of_annotation(args[0], module, depth + 1)}
        if name in _SETS:
            items = self.of_annotation(args[0], module, depth + 1)
            return {"type": "array", "items": items, "uniqueItems": True}
        if name in ("tuple", "Tuple"):
            return self._tuple(args, module, depth)
        if name in _MAPPINGS and len(args) == 2:
            values = self.of_annotation(args[1], module, depth + 1)
            return {"type": "object", "additionalProperties": values or True}
        return self.of_annotation(node.value, module, depth + 1)

    def _union(self, members: list[ast.expr], module: PyModule, depth: int) -> dict[str, Any]:
        flat: list[ast.expr] = []
        pending = list(members)
        while pending:
            member = pending.pop(0)
            if isinstance(member, ast.BinOp) and isinstance(member.op, ast.BitOr):
                pending[:0] = [member.left, member.right]
            else:
                flat.append(member)
        schemas = [self.of_annotation(member, module, depth + 1) for member in flat]
        if any(schema == {} for schema in schemas):
            return {}
        return {"anyOf": schemas}

    def _literal(self, args: list[ast.expr], module: PyModule) -> dict[str, Any]:
        values = [self.values.value(arg, module) for arg in args]
        values = [value for value in values if value is not UNKNOWN]
        types = {_json_type(value) for value in values}
        schema: dict[str, Any] = {"const": values[0]} if len(values) == 1 else {"enum": values}
        if len(types) == 1 and None not in types:
            schema["type"] = types.pop()
        return schema

    def _tuple(self, args: list[ast.expr], module: PyModule, depth: int) -> dict[str, Any]:
        if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
            return {"type": "array", "items": self.of_annotation(args[0], module, depth + 1)}
        items = [self.of_annotation(arg, module, depth + 1) for arg in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items),
                "maxItems": len(items)}

    def _reference(self, module: PyModule, cls: ast.ClassDef) -> dict[str, Any]:
        if cls.name not in self.defs:
            # The placeholder stops a model that refers to itself from recursing forever.
            self.defs[cls.name] = {}
            if self.index.is_enum(module, cls):
                self.defs[cls.name] = self.enum_schema(module, cls)
            else:
                self.defs[cls.name] = self.model_schema(module, cls)
        return {"$ref": f"#/$defs/{cls.name}"}

    def enum_schema(self, module: PyModule, cls: ast.ClassDef) -> dict[str, Any]:
        """`{"enum": [values], "type": ...}` for an Enum class defined in the repo."""
        values = [v for v in enum_members(self.index, module, cls).values() if v is not UNKNOWN]
        schema: dict[str, Any] = {"enum": values}
        types = {_json_type(value) for value in values}
        if len(types) == 1 and None not in types:
            schema["type"] = types.pop()
        return _with_docstring(schema, cls)

    def model_schema(self, module: PyModule, cls: ast.ClassDef, depth: int = 0) -> dict[str, Any]:
        """The object schema of a pydantic model defined in the repo, its bases' fields first."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for base in cls.bases:
            found = self.index.cls(module, base_name(base) or "")
            if found is None or found[1] is cls or depth >= MAX_DEPTH:
                continue
            if self.index.is_model(*found):
                inherited = self._base_schema(found[0], found[1], depth + 1)
                properties.update(inherited.get("properties", {}))
                # Two bases sharing a base both list its fields; each is required once.
                required.extend(name for name in inherited.get("required", []) if name not in required)
        for statement in cls.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue
            name = statement.target.id
            if name.startswith("_") or name == "model_config" or base_name(statement.annotation) == "ClassVar":
                continue
            prop_name, schema, is_required = self.field(name, statement.annotation, statement.value, module)
            properties[prop_name] = schema
            if is_required and prop_name not in required:
                required.append(prop_name)
            elif not is_required and prop_name in required:
                required.remove(prop_name)
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            result["required"] = required
        return _with_docstring(result, cls)

    def _base_schema(self, module: PyModule, cls: ast.ClassDef, depth: int) -> dict[str, Any]:
        return self.bases.remembered(id(cls), depth, {}, lambda: self.model_schema(module, cls, depth))

    def field(
        self, name: str, annotation: ast.expr | None, default: ast.expr | None, module: PyModule
    ) -> tuple[str, dict[str, Any], bool]:
        """One property: its name (an alias wins), schema, and whether it is required."""
        schema = self.of_annotation(annotation, module)
        alias = _annotated_alias(annotation, self.values, module)
        required = default is None
        if isinstance(default, ast.Call) and base_name(default.func) == "Field":
            field_call = default
            schema = self.apply_field(schema, field_call, module)
            alias = self._text_keyword(field_call, "alias", module) or alias
            default = field_call.args[0] if field_call.args else keyword(field_call, "default")
            required = default is None and keyword(field_call, "default_factory") is None
            if isinstance(default, ast.Constant) and default.value is Ellipsis:
                default, required = None, True
        if default is not None:
            value = self._default_value(default, module)
            if value is not UNKNOWN:
                schema["default"] = value
        return alias or name, schema, required

    def apply_field(self, schema: dict[str, Any], call: ast.Call, module: PyModule) -> dict[str, Any]:
        """Fold a `Field(...)`'s description and constraints into a schema."""
        schema = dict(schema)
        for kw in call.keywords:
            if kw.arg is None:
                continue
            value = self.values.value(kw.value, module)
            if kw.arg == "description":
                value = self.values.text(kw.value, module)
            if value is UNKNOWN or value is None:
                continue
            if kw.arg in _FIELD_KEYS:
                schema[_FIELD_KEYS[kw.arg]] = value
            elif kw.arg in ("min_length", "max_length"):
                bound = "min" if kw.arg == "min_length" else "max"
                suffix = "Items" if schema.get("type") == "array" else "Length"
                schema[bound + suffix] = value
        return schema

    def _text_keyword(self, call: ast.Call, name: str, module: PyModule) -> str | None:
        node = keyword(call, name)
        return self.values.text(node, module) if node is not None else None

    def _default_value(self, node: ast.expr, module: PyModule) -> Any:
        value = self.values.value(node, module)
        if value is UNKNOWN and isinstance(node, ast.Attribute):
            # An Enum member as a default serialises to its value.
            member = self.values.value(ast.Attribute(node, "value", ast.Load()), module)
            return member
        return value

    def signature(self, function: FunctionNode, module: PyModule) -> dict[str, Any]:
        """The input schema FastMCP derives from a tool function's parameters."""
        arguments = function.args
        positional = arguments.posonlyargs + arguments.args
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults += arguments.defaults
        pairs = list(zip(positional, defaults, strict=True))
        pairs += list(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
        properties: dict[str, Any] = {}
        required: list[str] = []
        for position, (argument, default) in enumerate(pairs):
            if _is_context(argument) or (position == 0 and argument.arg in ("self", "cls")):
                continue
            name, schema, is_required = self.field(argument.arg, argument.annotation, default, module)
            properties[name] = schema
            if is_required:
                required.append(name)
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            result["required"] = required
        return self.finish(result)

    def finish(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Attach the collected `$defs`, sorted by name so the output is stable."""
        if self.defs:
            schema["$defs"] = {name: self.defs[name] for name in sorted(self.defs)}
        return schema

    def model_json_schema(self, module: PyModule, cls: ast.ClassDef) -> dict[str, Any]:
        """What `Model.model_json_schema()` returns, titles left out."""
        self.defs[cls.name] = {}
        schema = self.model_schema(module, cls)
        del self.defs[cls.name]
        return self.finish(schema)


def _with_docstring(schema: dict[str, Any], cls: ast.ClassDef) -> dict[str, Any]:
    doc = ast.get_docstring(cls)
    if doc:
        schema["description"] = inspect.cleandoc(doc)
    return schema


def _annotated_alias(annotation: ast.expr | None, values: Evaluator, module: PyModule) -> str | None:
    if not (isinstance(annotation, ast.Subscript) and base_name(annotation.value) == "Annotated"):
        return None
    if not isinstance(annotation.slice, ast.Tuple):
        return None
    for meta in annotation.slice.elts[1:]:
        if isinstance(meta, ast.Call) and base_name(meta.func) == "Field":
            alias = keyword(meta, "alias")
            if alias is not None:
                text = values.text(alias, module)
                if text:
                    return text
    return None


def _is_context(argument: ast.arg) -> bool:
    """FastMCP injects Context parameters itself; they are not part of the input schema."""
    if argument.annotation is None:
        return argument.arg in ("ctx", "context")
    return _names_context(argument.annotation)


def _names_context(annotation: ast.expr) -> bool:
    """`Context`, `Context[...]`, `Context | None`, `Optional[Context]`, or the same as a string."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return False
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _names_context(annotation.left) or _names_context(annotation.right)
    if isinstance(annotation, ast.Subscript) and base_name(annotation.value) == "Optional":
        return _names_context(annotation.slice)
    return base_name(annotation) in _CONTEXT_NAMES
