"""What static evaluation has worked out about one TypeScript/JavaScript file, by node id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from crawler.extract.bounds import Memo

if TYPE_CHECKING:
    from crawler.extract.ts_scope import FileScope, Resolved
    from crawler.extract.zod_schema import Zod


@dataclass
class FileMemo:
    """Results per node of one file, so that a constant used many times is evaluated once."""

    values: Memo[Any] = field(default_factory=Memo)
    """Evaluated values (ts_values.evaluate)."""
    members: Memo[Resolved | None] = field(default_factory=Memo)
    """What member accesses (`O.a`, `E["B"]`) refer to."""
    entries: Memo[dict[str, tuple[Node, FileScope]]] = field(default_factory=Memo)
    """The statically named entries of object literals, spreads merged in."""
    elements: Memo[list[tuple[Node, FileScope]]] = field(default_factory=Memo)
    """The elements of array literals, spreads inlined."""
    schemas: Memo[Zod | None] = field(default_factory=Memo)
    """Zod expressions converted to JSON Schema."""
    spent: set[int] = field(default_factory=set)
    """Expressions whose evaluation ran out of steps: unknown from then on, to every caller alike."""
