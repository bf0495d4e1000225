"""Evidence from declared MCP annotations: moderate, never the verdict on their own."""

from __future__ import annotations

from catalog.records import Access, ToolHints
from classifier.evidence import Evidence

HINT_WEIGHT = 2.0
WEAK_HINT_WEIGHT = 0.75


def hint_evidence(hints: ToolHints) -> list[Evidence]:
    """Declared annotations: moderate evidence, never the verdict on their own."""
    return list(_HINT_EVIDENCE[hints.read_only, hints.destructive])


def _hints_evidence(read_only: bool | None, destructive: bool | None) -> tuple[Evidence, ...]:
    evidence: list[Evidence] = []
    if read_only is True:
        evidence.append(_hint(Access.READ, HINT_WEIGHT, "readOnlyHint=true"))
        return tuple(evidence)
    if read_only is False:
        evidence.append(_hint(Access.WRITE, WEAK_HINT_WEIGHT, "readOnlyHint=false"))
    if destructive is True:
        evidence.append(_hint(Access.DESTRUCTIVE, HINT_WEIGHT, "destructiveHint=true"))
    elif destructive is False:
        evidence.append(_hint(Access.WRITE, WEAK_HINT_WEIGHT, "destructiveHint=false"))
    return tuple(evidence)


def _hint(access: Access, weight: float, declared: str) -> Evidence:
    return Evidence(
        access, (), weight, f"declared {declared} → {access.value} (evidence)", from_hints=True
    )


_HINT_EVIDENCE = {
    (read_only, destructive): _hints_evidence(read_only, destructive)
    for read_only in (True, False, None)
    for destructive in (True, False, None)
}
"""The evidence of every combination of the two hints that count, made once."""
