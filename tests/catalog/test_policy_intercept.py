"""Intercept's checks, reproduced from its documented validation errors, and the YAML we render."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from catalog.policy import InterceptYAML, load_profile
from catalog.policy_intercept import validate
from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Location,
    LocationKind,
    Risk,
    StoredTool,
    ToolRecord,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def policy(tools: str, top: str = 'version: "1"\n') -> object:
    return yaml.safe_load(top + "tools:\n" + tools)


def test_documented_example_with_spend_counter_and_wildcard_is_valid() -> None:
    document = policy(
        "  create_charge:\n    rules:\n"
        "      - name: max single charge\n        conditions:\n"
        "          - {path: args.amount, op: lte, value: 50000}\n        on_deny: too big\n"
        "      - name: daily spend cap\n        conditions:\n"
        "          - {path: state.create_charge.daily_spend, op: lte, value: 1000000}\n"
        "        state: {counter: daily_spend, window: day, increment_from: args.amount}\n"
        "      - name: currencies\n        conditions:\n          - {path: args.currency, op: in, value: [usd, eur]}\n"
        "  delete_customer:\n    rules:\n      - {name: block, action: deny, on_deny: not allowed}\n"
        '  "*":\n    rules:\n      - {name: global, rate_limit: 60/minute}\n',
        'version: "1"\ndefault: deny\nhide: [transfer_repository]\n',
    )

    assert validate(document) == []


@pytest.mark.parametrize(
    ("tools", "error"),
    [
        ("  t:\n    rules:\n      - {action: deny}\n", "tools.t.rules[0]: rule must have a name"),
        ("  t:\n    rules:\n      - {name: a, action: block}\n", 'tools.t.rules[0]: action must be "evaluate" or "deny", got "block"'),
        ("  t:\n    rules:\n      - {name: a, action: deny, conditions: [{path: args.x, op: eq, value: 1}]}\n",
         "tools.t.rules[0]: deny rules must not have conditions"),
        ("  t:\n    rules:\n      - {name: a}\n", "tools.t.rules[0]: evaluate rules must have at least one condition"),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: x, op: eq, value: 1}]}\n",
         'tools.t.rules[0].conditions[0]: path must start with "args." or "state.", got "x"'),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: like, value: 1}]}\n",
         'tools.t.rules[0].conditions[0]: unknown operator "like"'),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: in, value: 1}]}\n",
         'tools.t.rules[0].conditions[0]: operator "in" requires a list value'),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: lte, value: '5'}]}\n",
         'tools.t.rules[0].conditions[0]: operator "lte" requires a numeric value'),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: exists, value: 1}]}\n",
         'tools.t.rules[0].conditions[0]: operator "exists" requires a boolean value'),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: regex, value: '('}]}\n",
         "tools.t.rules[0].conditions[0]: invalid regex '('"),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: regex, value: '(?!x)'}]}\n",
         "look-around or back-reference"),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: eq, value: 1}], state: {counter: '', window: day}}\n",
         "tools.t.rules[0].state: counter must not be empty"),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: eq, value: 1}], state: {counter: c, window: week}}\n",
         'tools.t.rules[0].state: window must be "minute", "hour", or "day", got "week"'),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: args.x, op: eq, value: 1}], "
         "state: {counter: c, window: day, increment_from: amount}}\n",
         'tools.t.rules[0].state: increment_from must start with "args.", got "amount"'),
        ("  t:\n    rules:\n      - {name: a, conditions: [{path: state.t.spend, op: lte, value: 1}]}\n",
         "tools.t.rules[0]: condition references state.t.spend but no matching state block found"),
        ("  t:\n    rules:\n      - {name: a, rate_limit: 0/hour}\n", 'rate_limit count must be a positive integer, got "0"'),
        ("  t:\n    rules:\n      - {name: a, rate_limit: 5/week}\n",
         'rate_limit window must be "minute", "hour", or "day", got "week"'),
        ("  t:\n    rules:\n      - {name: a, rate_limit: 5/hour, action: deny}\n",
         'tools.t.rules[0]: rate_limit cannot be used with action "deny"'),
        ("  t:\n    rules:\n      - {name: a, rate_limit: 5/hour, conditions: [{path: args.x, op: eq, value: 1}]}\n",
         "tools.t.rules[0]: rate_limit cannot be combined with conditions or state"),
        ("  t:\n    rules:\n      - {name: a, rate_limit: 5/hour}\n      - {name: b, rate_limit: 9/hour}\n",
         'tools.t.rules[1]: duplicate state counter "_rate_hour" (also used by rules[0])'),
        ("  t:\n    rules:\n      - {name: a, rate_limit: 5/hour, ondeny: typo}\n", "tools.t.rules[0]: unknown key 'ondeny'"),
    ],
)
def test_each_documented_mistake_is_one_line(tools: str, error: str) -> None:
    errors = validate(policy(tools))

    assert len(errors) == 1, errors
    assert error in errors[0]


@pytest.mark.parametrize(
    ("top", "error"),
    [
        ('version: "2"\n', 'version must be "1", got "2"'),
        ('version: "1"\ndefault: block\n', 'default must be "allow" or "deny", got "block"'),
        ('version: "1"\nhide: ["a", " "]\n', "hide[1]: entry must not be empty"),
        ('version: "1"\nhide: [a, a]\n', 'hide: duplicate entry "a"'),
    ],
)
def test_top_level_mistakes_are_reported(top: str, error: str) -> None:
    assert validate(policy("  t: {rules: []}\n", top)) == [error]


def test_not_a_mapping_is_reported() -> None:
    assert validate(["version"]) == ["the policy must be a YAML mapping"]


def test_rendered_yaml_keeps_reasons_as_comments_and_parses_to_intercepts_shape() -> None:
    verdict = Classification(access=Access.DESTRUCTIVE, risk=Risk.CRITICAL, category=Category.DESTRUCTIVE,
                             capabilities=(Capability.FILESYSTEM,), confidence=0.9, classifier_version="t")
    write = verdict.model_copy(update={"access": Access.WRITE, "risk": Risk.MEDIUM, "category": Category.WRITE})
    schema = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
    tools = [
        StoredTool(tool=ToolRecord(server_key="local:fs", name=name, input_schema=schema,
                                   location=Location(kind=LocationKind.LIVE)),
                   classification=v, server_name="fs", first_seen=NOW, last_seen=NOW)
        for name, v in (("delete_file", verdict), ("write_file", write))
    ]

    text = InterceptYAML().render(tools, load_profile("balanced"))

    assert "# delete_file: destructive tools are hidden and refused\n- delete_file\n" in text
    assert "    # writes are rate-limited to 30 calls per minute per grant\n    - name: rate limit\n" in text
    assert yaml.safe_load(text) == {
        "version": "1",
        "description": "catalog recommendation (profile balanced) for local:fs",
        "default": "deny",
        "hide": ["delete_file"],
        "tools": {"write_file": {"rules": [
            {"name": "rate limit", "rate_limit": "30/minute", "on_deny": "write_file is limited to 30 calls per minute"},
            {"name": "path: relative path without parent segments", "conditions": [
                {"path": "args.path", "op": "regex", "value": "^([A-Za-z]([^:]|$)|[^/\\\\~A-Za-z])"},
                {"path": "args.path", "op": "regex", "value": "^(\\.?[^.])*\\.?$"},
            ], "on_deny": "'path' must be a relative path without '..' (no root was given, so absolute paths are refused)"},
        ]}},
    }


def test_everything_hidden_still_has_a_tools_mapping() -> None:
    verdict = Classification(access=Access.DESTRUCTIVE, risk=Risk.CRITICAL, category=Category.DESTRUCTIVE,
                             confidence=0.9, classifier_version="t")
    tool = StoredTool(tool=ToolRecord(server_key="local:x", name="wipe", location=Location(kind=LocationKind.LIVE)),
                      classification=verdict, server_name="x", first_seen=NOW, last_seen=NOW)

    document = yaml.safe_load(InterceptYAML().render([tool], load_profile("balanced")))

    assert (document["hide"], document["tools"]) == (["wipe"], {})
