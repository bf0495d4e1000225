"""Validate data/labels/ and print counts per domain, class, capability and hints (a stats tool, not a generator).

Usage: .venv/bin/python scripts/labels/check_labels.py [--markdown]
Exits 1 with one line per problem when any row breaks the format documented in data/labels/README.md.
Also checks review/weak.jsonl (one reviewed label per weak row) and counts where it departs from the hints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalog.records import Access, Capability

# The taxonomy comes from the records, so the checker cannot drift from what the catalog accepts.
ACCESS = tuple(access.value for access in Access)
CAPABILITIES = frozenset(capability.value for capability in Capability)
HINTS = frozenset({"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"})
HAND_FIELDS = (
    "id",
    "domain",
    "name",
    "description",
    "params",
    "hints",
    "access",
    "capabilities",
    "provenance",
)
WEAK_FIELDS = (
    "id",
    "server",
    "name",
    "description",
    "params",
    "hints",
    "access",
    "weak_rule",
    "provenance",
)
REVIEW_FIELDS = frozenset(
    {"id", "server", "name", "hint_access", "access", "capabilities", "ambiguous", "provenance"}
)
"""Plus `reason`, required when the reviewed access differs from the hint's or the row is ambiguous."""
LABELS = Path(__file__).resolve().parents[2] / "data" / "labels"
REVIEW = Path("review") / "weak.jsonl"


def rows(folder: Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """Every row of every .jsonl file under folder, with where it came from."""
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield path, number, json.loads(line)


def problems(labels: Path = LABELS) -> list[str]:
    """Everything wrong with the label files, one line each."""
    found: list[str] = []
    seen: set[str] = set()
    for kind, fields in (("hand", HAND_FIELDS), ("weak", WEAK_FIELDS)):
        for path, number, row in rows(labels / kind):
            where = f"{path.name}:{number}"
            missing = [name for name in fields if name not in row]
            if missing:
                found.append(f"{where}: missing {', '.join(missing)}")
                continue
            if row["id"] in seen:
                found.append(f"{where}: duplicate id {row['id']}")
            seen.add(row["id"])
            if row["access"] not in ACCESS:
                found.append(f"{where}: access {row['access']!r}")
            if set(row["hints"]) - HINTS or not all(
                isinstance(v, bool) for v in row["hints"].values()
            ):
                found.append(f"{where}: bad hints {row['hints']}")
            if kind == "hand":
                if set(row["capabilities"]) - CAPABILITIES:
                    found.append(f"{where}: capabilities {row['capabilities']}")
                if path.stem != row["domain"] or not row["id"].startswith(row["domain"] + "-"):
                    found.append(f"{where}: domain/id do not match the file")
                if row["provenance"].get("source") != "hand":
                    found.append(f"{where}: provenance source must be 'hand'")
    if (labels / REVIEW).is_file():
        found += review_problems(labels)
    return found


def review_problems(labels: Path = LABELS) -> list[str]:
    """Everything wrong with review/weak.jsonl: one row per weak row, same order, valid labels."""
    weak = [row for _, _, row in rows(labels / "weak")]
    reviewed = [
        json.loads(line) for line in (labels / REVIEW).read_text(encoding="utf-8").splitlines()
    ]
    found: list[str] = []
    for number, (row, hinted) in enumerate(zip(reviewed, weak, strict=False), 1):
        where = f"review/weak.jsonl:{number}"
        fields = set(row) - {"reason"}
        if fields != REVIEW_FIELDS:
            found.append(f"{where}: fields {sorted(fields ^ REVIEW_FIELDS)} missing or unknown")
            continue
        if any(row[key] != hinted[key] for key in ("id", "server", "name")):
            found.append(f"{where}: reviews {row['id']}, expected weak row {hinted['id']}")
        if row["hint_access"] != hinted["access"]:
            found.append(
                f"{where}: hint_access {row['hint_access']!r}, weak label {hinted['access']!r}"
            )
        if row["access"] not in ACCESS:
            found.append(f"{where}: access {row['access']!r}")
        capabilities = row["capabilities"]
        if set(capabilities) - CAPABILITIES or capabilities != sorted(set(capabilities)):
            found.append(
                f"{where}: capabilities {capabilities} (taxonomy names, sorted, once each)"
            )
        if not isinstance(row["ambiguous"], bool):
            found.append(f"{where}: ambiguous must be true or false")
        needs_reason = row["access"] != row["hint_access"] or row["ambiguous"] is True
        if needs_reason and not str(row.get("reason") or "").strip():
            found.append(f"{where}: a disagreement or ambiguous row needs a reason")
        if row["provenance"].get("source") != "review":
            found.append(f"{where}: provenance source must be 'review'")
    found += [
        f"review/weak.jsonl: weak row {row['id']} not reviewed" for row in weak[len(reviewed) :]
    ]
    found += [
        f"review/weak.jsonl:{number}: extra row {row.get('id')}"
        for number, row in enumerate(reviewed[len(weak) :], len(weak) + 1)
    ]
    return found


def review_stats(labels: Path = LABELS) -> dict[str, Any]:
    """How the review compares with the hint labels: agreements, hint→reviewed pairs, ambiguous rows."""
    reviewed = [
        json.loads(line) for line in (labels / REVIEW).read_text(encoding="utf-8").splitlines()
    ]
    pairs = Counter((row["hint_access"], row["access"]) for row in reviewed)
    return {
        "rows": len(reviewed),
        "agree": sum(count for (hint, access), count in pairs.items() if hint == access),
        "disagree": {
            f"{hint}→{access}": pairs[hint, access]
            for hint in ACCESS
            for access in ACCESS
            if hint != access and pairs[hint, access]
        },
        "ambiguous": sum(row["ambiguous"] is True for row in reviewed),
        "access": Counter(row["access"] for row in reviewed),
        "capabilities": Counter(name for row in reviewed for name in row["capabilities"]),
    }


def stats(labels: Path = LABELS) -> dict[str, Any]:
    """Counts of rows by domain and class, capabilities, hints and weak sources."""
    by_domain: dict[str, Counter[str]] = defaultdict(Counter)
    capabilities: Counter[str] = Counter()
    hinted = misleading = 0
    for _, _, row in rows(labels / "hand"):
        by_domain[row["domain"]][row["access"]] += 1
        capabilities.update(row["capabilities"])
        hinted += bool(row["hints"])
        misleading += "misleading" in row["provenance"].get("note", "").lower()
    weak: dict[str, Counter[str]] = defaultdict(Counter)
    for _, _, row in rows(labels / "weak"):
        source = row["provenance"].get("package") or f"docker-mcp-catalog:{row['server']}"
        weak[source][row["access"]] += 1
    return {
        "hand": by_domain,
        "capabilities": capabilities,
        "hinted": hinted,
        "misleading": misleading,
        "weak": weak,
    }


def _table(title: str, groups: dict[str, Counter[str]], markdown: bool) -> list[str]:
    total: Counter[str] = Counter()
    lines = (
        [f"| {title} | read | write | destructive | total |", "|---|---:|---:|---:|---:|"]
        if markdown
        else [title]
    )
    for key in sorted(groups):
        counts = groups[key]
        total.update(counts)
        cells = [str(counts[a]) for a in ACCESS] + [str(sum(counts.values()))]
        lines.append(
            f"| {key} | " + " | ".join(cells) + " |"
            if markdown
            else f"  {key:<44} " + " ".join(f"{c:>5}" for c in cells)
        )
    share = " / ".join(f"{a} {total[a] / max(1, sum(total.values())):.0%}" for a in ACCESS)
    cells = [str(total[a]) for a in ACCESS] + [str(sum(total.values()))]
    lines.append(
        f"| **all ({len(groups)})** | " + " | ".join(cells) + " |"
        if markdown
        else f"  {'all (' + str(len(groups)) + ')':<44} " + " ".join(f"{c:>5}" for c in cells)
    )
    lines.append(f"\n{share}\n" if markdown else f"  {share}")
    return lines


def _review_lines(review: dict[str, Any], markdown: bool) -> list[str]:
    counts = [("agree", review["agree"]), *review["disagree"].items()]
    if not markdown:
        listed = ", ".join(f"{key} {value}" for key, value in counts)
        return [
            f"review of weak labels: {review['rows']} rows, {listed}, ambiguous {review['ambiguous']}"
        ]
    share = " / ".join(f"{a} {review['access'][a] / max(1, review['rows']):.0%}" for a in ACCESS)
    return [
        "| review of weak labels (hint → reviewed) | rows |",
        "|---|---:|",
        *(f"| {key} | {value} |" for key, value in counts),
        f"| **all** | {review['rows']} |",
        f"| of which marked ambiguous | {review['ambiguous']} |",
        f"\nreviewed: {share}\n",
        f"reviewed capabilities: {dict(sorted(review['capabilities'].items()))}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--markdown", action="store_true", help="print tables for the README")
    args = parser.parse_args(argv)
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    counted = stats()
    print("\n".join(_table("hand domain", counted["hand"], args.markdown)))
    print("\n".join(_table("weak source", counted["weak"], args.markdown)))
    print(f"capabilities: {dict(sorted(counted['capabilities'].items()))}")
    print(f"hand rows with hints: {counted['hinted']}, flagged misleading: {counted['misleading']}")
    if (LABELS / REVIEW).is_file():
        print("\n".join(_review_lines(review_stats(), args.markdown)))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
