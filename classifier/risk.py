"""Category and risk from one documented table (data/risk.toml) over access and capabilities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from catalog.errors import ClassifierError
from catalog.records import Access, Capability, Category, Risk
from classifier.lexicon import read_toml

RISK_FILE = "risk.toml"

_Key = TypeVar("_Key", Category, Access)
_RANK = {risk: risk.rank for risk in Risk}
"""Risk.rank, looked up once: it runs for every tool classified."""


def category_of(access: Access, capabilities: Iterable[Capability]) -> Category:
    """Financial when money moves, else Execute when code runs, else the access class capitalised."""
    present = set(capabilities)
    if Capability.MOVES_MONEY in present:
        return Category.FINANCIAL
    if Capability.EXECUTES_CODE in present:
        return Category.EXECUTE
    category = _ACCESS_CATEGORY.get(access)
    if category is None:
        category = _ACCESS_CATEGORY[access] = Category(access.value.capitalize())
    return category


_ACCESS_CATEGORY: dict[Access, Category] = {}
"""Each access class's own category, looked up once (an Enum lookup by value is slow)."""


@dataclass(frozen=True, slots=True)
class Raise:
    """A refinement: tools of these access classes with any of these capabilities are at least `risk`."""

    access: frozenset[Access]
    capabilities: frozenset[Capability]
    risk: Risk


@dataclass(frozen=True, slots=True)
class RiskTable:
    """Baselines by category and by access, and refinements that only raise."""

    by_category: Mapping[Category, Risk]
    by_access: Mapping[Access, Risk]
    raises: tuple[Raise, ...]
    _assessed: dict[tuple[Access, Category, frozenset[Capability]], tuple[Risk, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Verdicts already assessed: a handful of combinations covers a whole catalog."""

    def assess(
        self, access: Access, category: Category, capabilities: Iterable[Capability]
    ) -> tuple[Risk, str]:
        """The highest risk the table gives, and a reason naming the row that decided it."""
        present = frozenset(capabilities)
        key = (access, category, present)
        assessed = self._assessed.get(key)
        if assessed is None:
            assessed = self._assessed[key] = self._assess(access, category, present)
        return assessed

    def _assess(
        self, access: Access, category: Category, present: frozenset[Capability]
    ) -> tuple[Risk, str]:
        risk = self.by_category[category]
        reason = f"category {category.value} → {risk.value} (risk table)"
        if _RANK[self.by_access[access]] > _RANK[risk]:
            risk = self.by_access[access]
            reason = f"access {access.value} → {risk.value} (risk table)"
        for row in self.raises:
            matched = sorted(row.capabilities & present)
            if access in row.access and matched and _RANK[row.risk] > _RANK[risk]:
                risk = row.risk
                reason = f"{access.value} with {', '.join(matched)} → {risk.value} (risk table)"
        return risk, reason


def load_risk_table(path: Path) -> RiskTable:
    """Load and validate the risk table; every category and access class must have a baseline."""
    table = read_toml(path)
    return RiskTable(
        by_category=_baselines(table, "category", Category),
        by_access=_baselines(table, "access", Access),
        raises=tuple(_raise(item, index) for index, item in enumerate(_rows(table))),
    )


def _baselines(table: Mapping[str, Any], key: str, kind: type[_Key]) -> dict[_Key, Risk]:
    section = table.get(key)
    if not isinstance(section, Mapping):
        raise ClassifierError(f"{RISK_FILE}: [{key}] table is missing")
    baselines: dict[_Key, Risk] = {}
    for member in kind:
        if member.value not in section:
            raise ClassifierError(f"{RISK_FILE}: [{key}] has no risk for {member.value!r}")
        baselines[member] = _risk(section[member.value], f"[{key}] {member.value}")
    return baselines


def _rows(table: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rows = table.get("raise", [])
    if not isinstance(rows, list) or not all(isinstance(row, Mapping) for row in rows):
        raise ClassifierError(f"{RISK_FILE}: [[raise]] rows must be tables")
    return rows


def _raise(row: Mapping[str, Any], index: int) -> Raise:
    where = f"[[raise]] row {index + 1}"
    try:
        access = frozenset(Access(value) for value in row.get("access", []))
        capabilities = frozenset(Capability(value) for value in row.get("capabilities", []))
    except (ValueError, TypeError) as error:
        raise ClassifierError(f"{RISK_FILE} {where}: {error}") from None
    if not access or not capabilities:
        raise ClassifierError(f"{RISK_FILE} {where}: needs `access` and `capabilities` lists")
    return Raise(access, capabilities, _risk(row.get("risk"), where))


def _risk(value: Any, where: str) -> Risk:
    try:
        return Risk(value)
    except ValueError:
        raise ClassifierError(
            f"{RISK_FILE} {where}: unknown risk {value!r} (low, medium, high, critical)"
        ) from None
