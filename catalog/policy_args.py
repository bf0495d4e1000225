"""Argument-aware guards read from a tool's input schema: SQL, paths, money, recipients, dangerous flags."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from catalog.errors import ConfigError
from catalog.policy_profiles import ArgumentLimits
from catalog.records import Access, Capability, Classification, ToolRecord


class Op(StrEnum):
    """Condition operators; PolicyLayer and Intercept share this set."""

    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    NOT_IN = "not_in"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    REGEX = "regex"
    CONTAINS = "contains"
    EXISTS = "exists"


@dataclass(frozen=True)
class Condition:
    """One test on one argument: `args.<field> <op> <value>`."""

    field: str
    op: Op
    value: Any

    @property
    def path(self) -> str:
        """The argument's path as both dialects write it."""
        return f"args.{self.field}"


@dataclass(frozen=True)
class Guard:
    """One argument rule, written both ways because the dialects differ in what they can negate.

    `deny_when` (all hold → refuse) is what PolicyLayer's `deny_if` says; a missing argument never
    matches, so optional fields stay usable. `allow_when` (all must hold, else refuse) is what
    PolicyLayer's `require` and Intercept's `evaluate` rules say; a missing argument fails it.
    Patterns avoid inline flags, look-arounds and back-references so Go's RE2, Python and
    JavaScript read them alike.
    """

    name: str
    reason: str
    allow_when: tuple[Condition, ...]
    deny_when: tuple[Condition, ...] | None = None
    optional: bool = False
    """The argument is not required by the schema: Intercept will refuse calls that omit it."""
    daily_cap: int | None = None
    """A per-day sum of this argument (Intercept's spend counter), for amounts."""
    allow_note: str = ""
    """Where the allow form is stricter than the reason says (it cannot negate), what it lets through."""


def ci(word: str) -> str:
    """A case-insensitive pattern for a word without inline flags: `drop` → `[Dd][Rr][Oo][Pp]`."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


def _words(*words: str) -> str:
    return "(" + "|".join(ci(word) for word in words) + ")"


_IDENT = r"[^\s;]+"
SQL_DANGEROUS = r"\b" + _words("drop", "truncate", "alter") + r"\b"
SQL_UNBOUNDED_DELETE = r"\b" + ci("delete") + r"\s+" + ci("from") + r"\s+" + _IDENT + r"\s*(;|$)"
SQL_SELECT_ONLY = r"^\s*" + _words("select", "with", "explain", "show", "describe") + r"\b[^;]*;?\s*$"
SQL_WRITES = r"\b" + _words("insert", "update", "delete", "merge", "drop", "truncate", "alter", "create",
                            "grant", "revoke", "replace") + r"\b"
# Intercept cannot negate a pattern, so "no DROP/TRUNCATE/ALTER and no DELETE without WHERE"
# becomes an allow-list: one statement opening with a verb that is none of those, or a DELETE
# that has a WHERE.
SQL_SAFE_WRITE = (
    r"^\s*(" + _words("select", "with", "explain", "show", "describe", "insert", "update", "create",
                      "merge", "values") + r"\b[^;]*|" + ci("delete") + r"\s+" + ci("from") + r"\s[^;]*\b"
    + ci("where") + r"\b[^;]*);?\s*$"
)
PATH_PARENT = r"(^|[\\/])\.\.([\\/]|$)"
PATH_NO_DOUBLE_DOT = r"^(\.?[^.])*\.?$"
PATH_ABSOLUTE = r"^([/\\~]|[A-Za-z]:)"
PATH_RELATIVE = r"^([A-Za-z]([^:]|$)|[^/\\~A-Za-z])"

_SQL_WORDS = {"sql", "query", "queries", "select", "database", "postgres", "postgresql", "mysql", "sqlite",
              "table", "tables", "db", "bigquery", "snowflake", "clickhouse", "duckdb"}
_PATH_TAILS = {"path", "file", "filename", "filepath", "dir", "directory", "folder"}
_PATH_NAMES = {"source", "destination", "src", "dst", "target"}
_AMOUNT_WORDS = {"amount", "price", "total"}
_QUANTITY_WORDS = {"quantity", "qty"}
_RECIPIENT_NAMES = {"to", "recipient", "recipients", "channel", "channel_id", "channels", "chat_id", "phone",
                    "phone_number", "email", "emails", "email_address", "user_id", "users"}
_COPY_NAMES = {"cc", "bcc"}
DANGEROUS_FLAGS = frozenset({"force", "recursive", "confirm", "confirmed", "overwrite", "skip_confirmation",
                             "no_verify", "purge", "cascade", "delete_all", "hard_delete", "force_delete"})


def tokens(name: str) -> list[str]:
    """The lower-case words of an argument name: `filePath` and `file_path` → ['file', 'path']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [word.lower() for word in re.split(r"[\s_\-.]+", spaced) if word]


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    found = {declared} if isinstance(declared, str) else {t for t in declared or () if isinstance(t, str)}
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key) or ():
            if isinstance(option, Mapping):
                found |= _types(option)
    return found - {"null"}


def _properties(tool: ToolRecord) -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    properties = tool.input_schema.get("properties")
    required = tool.input_schema.get("required") or ()
    if not isinstance(properties, Mapping):
        return
    for name in sorted(properties):
        schema = properties[name]
        if isinstance(name, str) and isinstance(schema, Mapping):
            yield name, schema, name not in required


def _executes_queries(tool: ToolRecord, name: str, schema: Mapping[str, Any]) -> bool:
    words = set(tokens(name))
    if "sql" in words or "cypher" in words:
        return True
    if not words & {"query", "statement", "statements"}:
        return False
    text = " ".join([tool.name, tool.description, str(schema.get("description", ""))])
    return bool(set(tokens(" ".join(re.findall(r"[A-Za-z]+", text)))) & _SQL_WORDS)


def _sql_guard(field: str, read_only: bool, optional: bool) -> Guard:
    if read_only:
        return Guard(
            name=f"{field}: SELECT only",
            reason=f"a read-only tool may only run one SELECT (or WITH/EXPLAIN/SHOW) statement in '{field}'",
            allow_when=(Condition(field, Op.REGEX, SQL_SELECT_ONLY),),
            optional=optional,
        )
    return Guard(
        name=f"{field}: no DROP, TRUNCATE, ALTER or unbounded DELETE",
        reason=f"statements in '{field}' that drop, truncate or alter, or DELETE without a WHERE, are refused",
        allow_when=(Condition(field, Op.REGEX, SQL_SAFE_WRITE),),
        deny_when=(Condition(field, Op.REGEX, SQL_DANGEROUS + "|" + SQL_UNBOUNDED_DELETE),),
        optional=optional,
        allow_note="written as an allow-list: one statement opening with SELECT, WITH, EXPLAIN, SHOW, DESCRIBE, "
        "INSERT, UPDATE, CREATE, MERGE or VALUES, or a DELETE with a WHERE",
    )


def path_root_pattern(root: str) -> str:
    """The pattern of paths at or under an absolute root."""
    trimmed = root.rstrip("/\\") or root[:1]
    if not re.match(PATH_ABSOLUTE, trimmed) or trimmed.startswith("~"):
        raise ConfigError(f"--root must be an absolute path, not '{root}'")
    escaped = re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", trimmed)
    return "^" + escaped + ("" if trimmed in {"/", "\\"} else r"([\\/]|$)")


def _path_guard(field: str, root: str | None, optional: bool) -> Guard:
    if root is None:
        return Guard(
            name=f"{field}: relative path without parent segments",
            reason=f"'{field}' must be a relative path without '..' (no root was given, so absolute paths are refused)",
            allow_when=(Condition(field, Op.REGEX, PATH_RELATIVE), Condition(field, Op.REGEX, PATH_NO_DOUBLE_DOT)),
            deny_when=(Condition(field, Op.REGEX, PATH_ABSOLUTE + "|" + PATH_PARENT),),
            optional=optional,
            allow_note="written as an allow-list, so any name containing '..' is refused",
        )
    return Guard(
        name=f"{field}: under {root} without parent segments",
        reason=f"'{field}' must be a path under {root} without '..'",
        allow_when=(Condition(field, Op.REGEX, path_root_pattern(root)),
                    Condition(field, Op.REGEX, PATH_NO_DOUBLE_DOT)),
        optional=optional,
        allow_note="any name containing '..' is refused",
    )


def _money_guards(field: str, words: set[str], limits: ArgumentLimits, optional: bool) -> Iterator[Guard]:
    if words & _AMOUNT_WORDS:
        yield Guard(
            name=f"{field}: at most {limits.max_amount}",
            reason=f"a single '{field}' above {limits.max_amount} (in the tool's own unit) is refused",
            allow_when=(Condition(field, Op.LTE, limits.max_amount),),
            deny_when=(Condition(field, Op.GT, limits.max_amount),),
            optional=optional,
            daily_cap=limits.max_daily_amount if "amount" in words else None,
        )
    elif words & _QUANTITY_WORDS:
        yield Guard(
            name=f"{field}: at most {limits.max_quantity}",
            reason=f"a '{field}' above {limits.max_quantity} is refused",
            allow_when=(Condition(field, Op.LTE, limits.max_quantity),),
            deny_when=(Condition(field, Op.GT, limits.max_quantity),),
            optional=optional,
        )


def _recipient_guards(
    field: str, types: set[str], limits: ArgumentLimits, optional: bool, primary: bool
) -> Iterator[Guard]:
    if primary:
        yield Guard(
            name=f"{field}: required",
            reason=f"a message must name its recipients in '{field}' (no default audience)",
            allow_when=(Condition(field, Op.EXISTS, True),),
            deny_when=(Condition(field, Op.EXISTS, False),),
        )
    if "string" in types:
        most = limits.max_recipients
        yield Guard(
            name=f"{field}: at most {most} recipients",
            reason=f"more than {most} comma- or semicolon-separated recipients in '{field}' are refused",
            allow_when=(Condition(field, Op.REGEX, rf"^[^,;]*([,;][^,;]*){{0,{most - 1}}}$" if most > 1
                                  else "^[^,;]*$"),),
            deny_when=(Condition(field, Op.REGEX, rf"^([^,;]*[,;]){{{most}}}"),),
            optional=optional,
        )


def _names_a_path(words: list[str]) -> bool:
    return bool(words) and (words[-1] in _PATH_TAILS or "_".join(words) in _PATH_NAMES)


def _flag_guard(field: str, optional: bool) -> Guard:
    return Guard(
        name=f"{field}: not true",
        reason=f"'{field}: true' is refused",
        allow_when=(Condition(field, Op.NEQ, True),),
        deny_when=(Condition(field, Op.EQ, True),),
        optional=optional,
    )


def guards_for(
    tool: ToolRecord, classification: Classification, limits: ArgumentLimits, root: str | None = None
) -> tuple[Guard, ...]:
    """The argument rules a tool's input schema calls for, in argument-name order."""
    capabilities = set(classification.capabilities)
    found: list[Guard] = []
    # Neither dialect can say "one of these fields", so only a lone recipient field is required.
    primaries = [f for f, _, _ in _properties(tool) if "_".join(tokens(f)) in _RECIPIENT_NAMES]
    for field, schema, optional in _properties(tool):
        words, types = tokens(field), _types(schema)
        joined = "_".join(words)
        if "string" in types and _executes_queries(tool, field, schema):
            found.append(_sql_guard(field, classification.access is Access.READ, optional))
        elif "string" in types and Capability.FILESYSTEM in capabilities and _names_a_path(words):
            found.append(_path_guard(field, root, optional))
        elif types & {"number", "integer"} and Capability.MOVES_MONEY in capabilities:
            found.extend(_money_guards(field, set(words), limits, optional))
        elif Capability.SENDS_MESSAGES in capabilities and joined in _RECIPIENT_NAMES | _COPY_NAMES:
            found.extend(_recipient_guards(field, types, limits, optional, primaries == [field]))
        elif types == {"boolean"} and joined in DANGEROUS_FLAGS:
            found.append(_flag_guard(field, optional))
    return tuple(found)


_NOT_PORTABLE = re.compile(r"\(\?(=|!|<=|<!|P=)|\\[1-9]")


def regex_problem(pattern: str) -> str | None:
    """Why a pattern would not mean the same in RE2, Python and JavaScript; None when it would."""
    if _NOT_PORTABLE.search(pattern):
        return f"regex {pattern!r} uses a look-around or back-reference, which RE2 (Go) does not support"
    try:
        re.compile(pattern)
    except re.error as error:
        return f"invalid regex {pattern!r}: {error}"
    return None
