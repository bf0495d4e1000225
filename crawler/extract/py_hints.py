"""Tool hints from Python: `ToolAnnotations(...)`, dict literals, constants and tiny factories."""

from __future__ import annotations

import ast
from typing import Any

from catalog.records import ToolHints
from crawler.extract.py_values import (
    MAX_DEPTH,
    UNKNOWN,
    Evaluator,
    FunctionNode,
    PyIndex,
    PyModule,
    base_name,
)

_HINT_KEYS = {
    "readOnlyHint": "readOnlyHint", "read_only_hint": "readOnlyHint",
    "destructiveHint": "destructiveHint", "destructive_hint": "destructiveHint",
    "idempotentHint": "idempotentHint", "idempotent_hint": "idempotentHint",
    "openWorldHint": "openWorldHint", "open_world_hint": "openWorldHint",
}


def annotation_hints(index: PyIndex, node: ast.expr, module: PyModule) -> tuple[ToolHints, str | None]:
    """The hints and annotation title an `annotations=` argument declares; unknown ones absent."""
    pairs = _pairs(index, node, module, {}, 0)
    hints = {_HINT_KEYS[key]: value for key, value in pairs.items()
             if key in _HINT_KEYS and isinstance(value, bool)}
    title = pairs.get("title")
    return ToolHints.model_validate(hints), title if isinstance(title, str) else None


def _pairs(index: PyIndex, node: ast.expr, module: PyModule, bindings: dict[str, Any],
           depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        return {}
    values = Evaluator(index)
    if isinstance(node, ast.Name) and node.id not in bindings:
        found = index.constant(module, node.id)
        return _pairs(index, found[1], found[0], {}, depth + 1) if found else {}
    if isinstance(node, ast.Dict):
        result = values.value(node, module)
        return result if isinstance(result, dict) else {}
    if not isinstance(node, ast.Call):
        return {}
    name = base_name(node.func)
    if name in ("ToolAnnotations", "dict"):
        return {kw.arg: _bound_value(values, kw.value, module, bindings)
                for kw in node.keywords if kw.arg is not None}
    function = index.function(module, name) if isinstance(node.func, ast.Name) and name else None
    if function is None:
        return {}
    returned = _single_return(function[1])
    if returned is None:
        return {}
    arguments = _bind_arguments(values, function[1], node, module, bindings)
    return _pairs(index, returned, function[0], arguments, depth + 1)


def _bound_value(values: Evaluator, node: ast.expr, module: PyModule, bindings: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name) and node.id in bindings:
        return bindings[node.id]
    return values.value(node, module)


def _single_return(function: FunctionNode) -> ast.expr | None:
    """The returned expression of a function whose body is (docstring and) one return."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return body[0].value
    return None


def _bind_arguments(values: Evaluator, function: FunctionNode, call: ast.Call, module: PyModule,
                    bindings: dict[str, Any]) -> dict[str, Any]:
    """Parameter name to argument value for a call of a small annotation factory."""
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    bound: dict[str, Any] = {}
    defaults = dict(zip([a.arg for a in positional][-len(arguments.defaults):] if arguments.defaults
                        else [], arguments.defaults, strict=True))
    for kwonly, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if default is not None:
            defaults[kwonly.arg] = default
    for name, default in defaults.items():
        bound[name] = values.value(default, module)
    for parameter, argument in zip(positional, call.args, strict=False):
        bound[parameter.arg] = _bound_value(values, argument, module, bindings)
    for kw in call.keywords:
        if kw.arg is not None:
            bound[kw.arg] = _bound_value(values, kw.value, module, bindings)
    return {name: value for name, value in bound.items() if value is not UNKNOWN}
