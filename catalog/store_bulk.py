"""Bulk statements the store writes with: updates of many rows by id, in chunks or as one executemany."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

CHUNK = 500
"""Ids per `IN (...)`: keeps SQLite well under its bound-parameter limit."""

_Item = TypeVar("_Item")


def chunks(items: Sequence[_Item], size: int = CHUNK) -> Iterator[Sequence[_Item]]:
    """The items in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def update_by_ids(
    connection: sa.Connection, table: sa.Table, ids: Sequence[int], values: Mapping[str, Any]
) -> None:
    """Set the same values on every row whose id is listed, one statement per chunk of ids."""
    for chunk in chunks(ids):
        connection.execute(sa.update(table).where(table.c.id.in_(list(chunk))).values(**values))


def update_each(
    connection: sa.Connection, table: sa.Table, id_param: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Set per-row values on many rows in one executemany; each row names its id under `id_param`.

    Every row must carry the same columns. Bound parameters carry their column's type, so JSON
    and timestamps are converted as an ordinary insert would.
    """
    if not rows:
        return
    columns = [name for name in rows[0] if name != id_param]
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam(id_param, type_=table.c.id.type))
        .values({name: sa.bindparam(name, type_=table.c[name].type) for name in columns})
    )
    connection.execute(statement, list(rows))
