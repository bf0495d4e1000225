"""Argument guards: which schemas trigger which rule, and what each rule lets through in both of its forms."""

from __future__ import annotations

import re
from typing import Any

import pytest

from catalog.policy_args import (
    Condition,
    Guard,
    Op,
    guards_for,
    path_root_pattern,
    regex_problem,
    tokens,
)
from catalog.policy_profiles import ArgumentLimits
from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Location,
    LocationKind,
    Risk,
    ToolRecord,
)

LIMITS = ArgumentLimits(max_amount=500, max_daily_amount=2000, max_quantity=5, max_recipients=3)


def record(props: dict[str, Any], required: tuple[str, ...] = (), name: str = "tool", description: str = "") -> ToolRecord:
    return ToolRecord(server_key="local:t", name=name, description=description,
                      input_schema={"type": "object", "properties": props, "required": list(required)},
                      location=Location(kind=LocationKind.LIVE))


def verdict(access: Access, *caps: Capability) -> Classification:
    return Classification(access=access, risk=Risk.MEDIUM, category=Category.WRITE, capabilities=tuple(sorted(caps)),
                          confidence=0.9, classifier_version="t")


def holds(condition: Condition, args: dict[str, Any]) -> bool:
    """A condition as both gateways evaluate it: a missing argument fails everything but `exists`."""
    present = condition.field in args
    if condition.op is Op.EXISTS:
        return present is condition.value
    if not present:
        return False
    actual = args[condition.field]
    match condition.op:
        case Op.REGEX:
            return isinstance(actual, str) and re.search(str(condition.value), actual) is not None
        case Op.EQ:
            return bool(actual == condition.value)
        case Op.NEQ:
            return bool(actual != condition.value)
        case Op.LTE:
            return bool(actual <= condition.value)
        case Op.GT:
            return bool(actual > condition.value)
        case _:
            raise AssertionError(condition.op)


def refused(guard: Guard, args: dict[str, Any]) -> tuple[bool, bool | None]:
    """(refused by the allow form, refused by the deny form or None when it has none)."""
    by_allow = not all(holds(c, args) for c in guard.allow_when)
    by_deny = None if guard.deny_when is None else all(holds(c, args) for c in guard.deny_when)
    return by_allow, by_deny


def only(guards: tuple[Guard, ...]) -> Guard:
    assert len(guards) == 1, guards
    return guards[0]


def test_argument_names_split_into_words() -> None:
    assert [tokens("filePath"), tokens("file_path"), tokens("dry-run"), tokens("SQL")] == [
        ["file", "path"], ["file", "path"], ["dry", "run"], ["sql"]
    ]


@pytest.mark.parametrize(
    ("statement", "refused_by_both"),
    [
        ("DROP TABLE users", True),
        ("truncate orders;", True),
        ("ALTER TABLE x ADD y int", True),
        ("DELETE FROM users", True),
        ("delete from users;", True),
        ("DELETE FROM users WHERE id = 4", False),
        ("UPDATE users SET name = 'a' WHERE id = 1", False),
        ("INSERT INTO t VALUES (1)", False),
        ("select * from t", False),
    ],
)
def test_sql_on_a_write_tool_refuses_drop_truncate_alter_and_unbounded_delete(statement: str, refused_by_both: bool) -> None:
    guard = only(guards_for(record({"sql": {"type": "string"}}, ("sql",)), verdict(Access.WRITE), LIMITS))

    assert refused(guard, {"sql": statement}) == (refused_by_both, refused_by_both)


def test_sql_allow_list_is_stricter_than_the_deny_form_for_several_statements() -> None:
    guard = only(guards_for(record({"sql": {"type": "string"}}, ("sql",)), verdict(Access.WRITE), LIMITS))

    assert refused(guard, {"sql": "SELECT 1; SELECT 2"}) == (True, False)


@pytest.mark.parametrize(
    ("statement", "refused_"),
    [("SELECT id FROM t", False), ("  with x as (select 1) select * from x", False), ("EXPLAIN SELECT 1", False),
     ("UPDATE t SET a = 1", True), ("SELECT 1; DROP TABLE t", True)],
)
def test_sql_on_a_read_only_tool_allows_only_one_select(statement: str, refused_: bool) -> None:
    guard = only(guards_for(record({"sql": {"type": "string"}}), verdict(Access.READ), LIMITS))

    assert guard.name == "sql: SELECT only" and guard.deny_when is None and guard.optional
    assert refused(guard, {"sql": statement}) == (refused_, None)


def test_a_search_query_is_not_taken_for_sql() -> None:
    tool = record({"query": {"type": "string", "description": "Words to look for"}}, name="search_notes")

    assert guards_for(tool, verdict(Access.READ), LIMITS) == ()


def test_a_query_on_a_database_tool_is_sql() -> None:
    tool = record({"query": {"type": "string"}}, name="run", description="Run a statement on the Postgres database")

    assert only(guards_for(tool, verdict(Access.WRITE), LIMITS)).name.startswith("query: no DROP")


@pytest.mark.parametrize(
    ("path", "refused_"),
    [("notes/a.txt", False), ("./a", False), ("/etc/passwd", True), ("~/.ssh/id_rsa", True), ("C:\\Windows", True),
     ("../secret", True), ("a/../../b", True), ("a\\..\\b", True)],
)
def test_path_without_a_root_must_be_relative_and_stay_below(path: str, refused_: bool) -> None:
    guard = only(guards_for(record({"path": {"type": "string"}}, ("path",)),
                            verdict(Access.READ, Capability.FILESYSTEM), LIMITS))

    assert refused(guard, {"path": path}) == (refused_, refused_)


@pytest.mark.parametrize(
    ("path", "refused_"),
    [("/srv/data", False), ("/srv/data/a/b.txt", False), ("/srv/database", True), ("/srv/data/../etc", True),
     ("/etc", True), ("notes.txt", True)],
)
def test_path_under_a_root_must_start_there(path: str, refused_: bool) -> None:
    guard = only(guards_for(record({"filePath": {"type": "string"}}), verdict(Access.WRITE, Capability.FILESYSTEM),
                            LIMITS, root="/srv/data/"))

    assert guard.deny_when is None
    assert refused(guard, {"filePath": path}) == (refused_, None)


def test_root_patterns_escape_regex_characters() -> None:
    assert [path_root_pattern("/"), path_root_pattern("/a.b/(c)")] == ["^/", r"^/a\.b/\(c\)([\\/]|$)"]


def test_path_rules_need_a_filesystem_tool() -> None:
    assert guards_for(record({"path": {"type": "string"}}), verdict(Access.READ), LIMITS) == ()


def test_amounts_and_quantities_on_money_tools_are_capped() -> None:
    tool = record({"amount": {"type": "integer"}, "quantity": {"type": "number"}, "note": {"type": "string"}},
                  ("amount",))

    amount, quantity = guards_for(tool, verdict(Access.WRITE, Capability.MOVES_MONEY), LIMITS)

    assert amount == Guard(
        name="amount: at most 500", reason="a single 'amount' above 500 (in the tool's own unit) is refused",
        allow_when=(Condition("amount", Op.LTE, 500),), deny_when=(Condition("amount", Op.GT, 500),),
        optional=False, daily_cap=2000,
    )
    assert quantity.daily_cap is None and quantity.optional
    assert [refused(amount, {"amount": n}) for n in (500, 501)] == [(False, False), (True, True)]


def test_a_lone_recipient_field_is_required_and_its_count_capped() -> None:
    tool = record({"to": {"type": "string"}, "bcc": {"type": "string"}, "body": {"type": "string"}})

    bcc, required, count = guards_for(tool, verdict(Access.WRITE, Capability.SENDS_MESSAGES), LIMITS)

    assert [bcc.name, required.name, count.name] == ["bcc: at most 3 recipients", "to: required", "to: at most 3 recipients"]
    assert refused(required, {}) == (True, True)
    assert refused(count, {"to": "a@x, b@x; c@x"}) == (False, False)
    assert refused(count, {"to": "a@x, b@x, c@x, d@x"}) == (True, True)


def test_several_recipient_fields_are_not_all_required() -> None:
    tool = record({"channel": {"type": "string"}, "users": {"type": "array"}})

    guards = guards_for(tool, verdict(Access.WRITE, Capability.SENDS_MESSAGES), LIMITS)

    assert [g.name for g in guards] == ["channel: at most 3 recipients"]


@pytest.mark.parametrize("flag", ["force", "recursive", "confirm", "skipConfirmation"])
def test_dangerous_booleans_refuse_true(flag: str) -> None:
    guard = only(guards_for(record({flag: {"type": "boolean"}}), verdict(Access.DESTRUCTIVE), LIMITS))

    assert [refused(guard, {flag: True}), refused(guard, {flag: False})] == [(True, True), (False, False)]
    assert refused(guard, {}) == (True, False)  # Intercept's form needs the flag given explicitly


def test_every_pattern_is_portable_to_re2() -> None:
    tool = record({"sql": {"type": "string"}, "path": {"type": "string"}, "to": {"type": "string"}})
    guards = guards_for(tool, verdict(Access.WRITE, Capability.FILESYSTEM), LIMITS) + guards_for(
        tool, verdict(Access.WRITE, Capability.SENDS_MESSAGES), LIMITS)
    patterns = [c.value for g in guards for c in (*g.allow_when, *(g.deny_when or ())) if c.op is Op.REGEX]

    assert patterns and [regex_problem(p) for p in patterns] == [None] * len(patterns)
    assert regex_problem("(?!x)") is not None and regex_problem("(a)\\1") is not None
    assert regex_problem("(") is not None
