"""A static search index: documents in numbered shards, postings sharded by a word's first two letters.

Layout under `search/`:
- `meta.json`: `{"version": 1, "docs": N, "per_shard": K, "shards": ["ab", "ac", ...]}`
- `docs/<n>.json`: documents n*K .. n*K+K-1, each `[kind, name, context, url, risk, summary]`
- `words/<ab>.json`: `{"word": [deltas...]}`; each posting is `doc * 2 + (1 if the word is in the name)`,
  sorted, stored as differences from the previous one (small numbers compress and parse fast).

A query's words must all match as prefixes of indexed words; a name match scores 3, a description
match 1; ties go to the lower document number. `site.js` runs the same algorithm in the browser.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.site.model import SiteMap
from catalog.site.text import clean, snippet, words

DOCS_PER_SHARD = 256
MAX_WORD = 24
MAX_DESCRIPTION_WORDS = 300
STOP_WORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "will", "with"]
)


def index_words(text: str) -> list[str]:
    """The words a text is indexed under: lowercase ASCII, split at case changes, stop words dropped."""
    return [w[:MAX_WORD] for w in words(text) if len(w) >= 2 and w not in STOP_WORDS]


@dataclass(frozen=True)
class SearchDoc:
    """One searchable thing: a server or a tool."""

    kind: str
    name: str
    context: str
    url: str
    risk: str
    summary: str
    name_text: str
    body_text: str

    def row(self) -> list[str]:
        """The document as stored in a docs shard."""
        return [self.kind, self.name, self.context, self.url, self.risk, self.summary]


def search_docs(site: SiteMap) -> list[SearchDoc]:
    """Servers (by slug), then tools (in site order)."""
    docs = [
        SearchDoc("server", clean(s.name, 200), clean(s.key, 300), site.server_path(s.key), "",
                  snippet(s.description, 140), f"{s.name} {s.title or ''} {s.key}", s.description or "")
        for s in site.servers
    ]
    for item in site.tools:
        verdict = item.classification
        docs.append(SearchDoc(
            "tool", clean(item.tool.name, 200), clean(item.server_name, 200),
            site.tool_path((item.tool.server_key, item.tool.name)), verdict.risk.value if verdict else "",
            snippet(item.tool.description, 140), f"{item.tool.name} {item.tool.title or ''}",
            f"{item.tool.description} {item.server_name}",
        ))
    return docs


def _postings(docs: Sequence[SearchDoc]) -> dict[str, list[int]]:
    postings: dict[str, list[int]] = defaultdict(list)
    for number, doc in enumerate(docs):
        in_name = set(index_words(doc.name_text))
        body = index_words(doc.body_text)[:MAX_DESCRIPTION_WORDS]
        for word in sorted(in_name | set(body)):
            postings[word].append(number * 2 + (1 if word in in_name else 0))
    return postings


def _deltas(values: Iterable[int]) -> list[int]:
    previous, out = 0, []
    for value in values:
        out.append(value - previous)
        previous = value
    return out


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def index_files(docs: Sequence[SearchDoc]) -> dict[str, bytes]:
    """Every file of the index, by path from the site root."""
    files: dict[str, bytes] = {}
    for start in range(0, len(docs), DOCS_PER_SHARD):
        files[f"search/docs/{start // DOCS_PER_SHARD}.json"] = _dump([d.row() for d in docs[start:start + DOCS_PER_SHARD]])
    shards: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for word, values in _postings(docs).items():
        shards[word[:2]][word] = _deltas(values)
    for prefix, entries in shards.items():
        files[f"search/words/{prefix}.json"] = _dump(entries)
    meta = {"version": 1, "docs": len(docs), "per_shard": DOCS_PER_SHARD, "shards": sorted(shards)}
    files["search/meta.json"] = _dump(meta)
    return dict(sorted(files.items()))


def query(site_dir: Path, text: str, limit: int = 20) -> list[list[str]]:
    """Search a built site's index the way site.js does; returns document rows, best first."""
    meta = json.loads((site_dir / "search" / "meta.json").read_text(encoding="utf-8"))
    terms = list(dict.fromkeys(index_words(text)))
    if not terms:
        return []
    scores: dict[int, int] | None = None
    for term in terms:
        found: dict[int, int] = {}
        if term[:2] in meta["shards"]:
            shard = json.loads((site_dir / "search" / "words" / f"{term[:2]}.json").read_text(encoding="utf-8"))
            for word, deltas in shard.items():
                if word.startswith(term):
                    value = 0
                    for delta in deltas:
                        value += delta
                        doc, weight = value // 2, 3 if value % 2 else 1
                        found[doc] = max(found.get(doc, 0), weight)
        scores = found if scores is None else {d: s + found[d] for d, s in scores.items() if d in found}
    ranked = sorted(scores or {}, key=lambda d: (-(scores or {})[d], d))[:limit]
    rows: list[list[str]] = []
    loaded: dict[int, list[list[str]]] = {}
    for doc in ranked:
        shard_number = doc // meta["per_shard"]
        if shard_number not in loaded:
            path = site_dir / "search" / "docs" / f"{shard_number}.json"
            loaded[shard_number] = json.loads(path.read_text(encoding="utf-8"))
        rows.append(loaded[shard_number][doc % meta["per_shard"]])
    return rows
