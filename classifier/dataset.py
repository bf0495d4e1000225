"""Labelled examples (data/labels/**/*.jsonl) read into tool records with their labels."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from catalog.errors import ClassifierError
from catalog.records import Access, Capability, Location, LocationKind, ToolHints, ToolRecord

HAND = "hand"
WEAK = "weak"
REVIEW = "review"
REVIEW_FILE = "weak.jsonl"
"""`<labels>/review/weak.jsonl`: a reviewed access and capabilities for every weak row."""
LABELS_SERVER_KEY = "local:labels"
"""Every labelled row gets the same server key: labels never depend on where a tool lives."""


@dataclass(frozen=True, slots=True)
class LabelledTool:
    """One labelled row: the tool as a record, its access label and (when given) capabilities."""

    id: str
    record: ToolRecord
    access: Access
    capabilities: frozenset[Capability] | None
    domain: str | None
    source: str
    """`file:line` the row came from."""
    server: str | None = None
    """The real server a weak row was listed from (its `server` field); None on hand rows."""


def label_files(directory: Path) -> list[Path]:
    """The .jsonl files under a folder, sorted so hashes and folds are stable."""
    if not directory.is_dir():
        raise ClassifierError(f"no labelled data folder at {directory}")
    return sorted(directory.rglob("*.jsonl"))


def load_labels(directory: Path) -> list[LabelledTool]:
    """Every row of every .jsonl file under `directory`; a bad row is a ClassifierError naming it."""
    rows = [row for path in label_files(directory) for row in read_file(path, directory)]
    if not rows:
        raise ClassifierError(f"no labelled rows under {directory}")
    seen: dict[str, str] = {}
    for row in rows:
        if row.id in seen:
            raise ClassifierError(f"{row.source}: id {row.id!r} already used at {seen[row.id]}")
        seen[row.id] = row.source
    return rows


def read_file(path: Path, root: Path) -> list[LabelledTool]:
    """The rows of one .jsonl file (blank lines skipped)."""
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    rows: list[LabelledTool] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                rows.append(parse_row(line, f"{relative}:{number}"))
    return rows


def parse_row(line: str, where: str) -> LabelledTool:
    """One JSON line into a labelled tool."""
    data = _json_object(line, where)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ClassifierError(f"{where}: `name` must be a non-empty string")
    try:
        access = Access(str(data.get("access")))
    except ValueError:
        raise ClassifierError(f"{where}: `access` must be read, write or destructive") from None
    try:
        record = ToolRecord(
            server_key=LABELS_SERVER_KEY,
            name=name,
            title=data.get("title"),
            description=data.get("description") or "",
            input_schema=_schema(data.get("params"), where),
            hints=ToolHints.model_validate(data.get("hints") or {}),
            location=Location(kind=LocationKind.SAVED, detail=where),
        )
    except ValidationError as error:
        raise ClassifierError(f"{where}: {_first_error(error)}") from None
    return LabelledTool(
        id=str(data.get("id") or where),
        record=record,
        access=access,
        capabilities=_capabilities(data.get("capabilities"), where),
        domain=data.get("domain") if isinstance(data.get("domain"), str) else None,
        source=where,
        server=data.get("server") if isinstance(data.get("server"), str) else None,
    )


def load_reviewed(review_file: Path, weak_dir: Path) -> list[LabelledTool]:
    """The weak rows of `weak_dir`, in their order, with the access and capabilities a reviewer gave
    in `review_file` (hints kept, so `without_hints` still applies). Every weak row must be reviewed
    exactly once against the label its hints gave; anything else is a ClassifierError naming the line."""
    if not review_file.is_file():
        raise ClassifierError(f"no review file at {review_file}")
    weak = load_labels(weak_dir)
    by_id = {row.id: row for row in weak}
    name = f"{review_file.parent.name}/{review_file.name}"
    reviewed: dict[str, LabelledTool] = {}
    with review_file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                row = _reviewed_row(line, f"{name}:{number}", by_id, reviewed)
                reviewed[row.id] = row
    missing = [row for row in weak if row.id not in reviewed]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ClassifierError(
            f"{name}: weak row {missing[0].id!r} ({missing[0].source}) is not reviewed{more}"
        )
    return [reviewed[row.id] for row in weak]


def _reviewed_row(
    line: str, where: str, weak: Mapping[str, LabelledTool], done: Mapping[str, LabelledTool]
) -> LabelledTool:
    data = _json_object(line, where)
    row_id = data.get("id")
    if not isinstance(row_id, str) or row_id not in weak:
        raise ClassifierError(f"{where}: id {row_id!r} is not a weak row")
    if row_id in done:
        raise ClassifierError(f"{where}: id {row_id!r} already reviewed at {done[row_id].source}")
    hinted = weak[row_id]
    if data.get("hint_access") != hinted.access.value:
        raise ClassifierError(
            f"{where}: hint_access {data.get('hint_access')!r} is not the weak label "
            f"{hinted.access.value!r} of {row_id} ({hinted.source})"
        )
    try:
        access = Access(str(data.get("access")))
    except ValueError:
        raise ClassifierError(f"{where}: `access` must be read, write or destructive") from None
    capabilities = _capabilities(data.get("capabilities"), where)
    if capabilities is None:
        raise ClassifierError(f"{where}: `capabilities` must be a list (empty when none)")
    return dataclasses.replace(hinted, access=access, capabilities=capabilities, source=where)


def _json_object(line: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except ValueError as error:
        raise ClassifierError(f"{where}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise ClassifierError(f"{where}: a row must be a JSON object")
    return data


def _schema(params: Any, where: str) -> dict[str, Any]:
    if params is None:
        return {"type": "object", "properties": {}}
    if not isinstance(params, Mapping):
        raise ClassifierError(f"{where}: `params` must be an object of parameter schemas")
    properties = {
        str(key): dict(spec) if isinstance(spec, Mapping) else {"type": "string"}
        for key, spec in params.items()
    }
    return {"type": "object", "properties": properties}


def _capabilities(value: Any, where: str) -> frozenset[Capability] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ClassifierError(f"{where}: `capabilities` must be a list")
    try:
        return frozenset(Capability(item) for item in value)
    except ValueError as error:
        raise ClassifierError(f"{where}: {error}") from None


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first.get("loc", ()))
    return f"{location}: {first.get('msg', 'invalid')}" if location else str(first.get("msg"))


def data_sha256(directory: Path) -> str:
    """A hash over the relative paths and bytes of every .jsonl file under `directory`."""
    digest = hashlib.sha256()
    for path in label_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def without_hints(rows: Iterable[LabelledTool]) -> list[LabelledTool]:
    """The same rows with their declared hints removed (to test what the classifier sees alone)."""
    return [dataclasses.replace(row, record=row.record.model_copy(update={"hints": ToolHints()})) for row in rows]


def label_counts(rows: Sequence[LabelledTool]) -> dict[str, int]:
    """How many rows each access class has (every class listed, zeros included)."""
    return {access.value: sum(1 for row in rows if row.access is access) for access in Access}
