"""What the model sees of a tool: its text fields and the rules' evidence as numbers (no sklearn here)."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum
from typing import Any

from catalog.records import Access, ToolRecord
from classifier.evidence import EVIDENCE_VERSION, Evidence
from classifier.features import ToolFeatures
from classifier.lexicon import Lexicon
from classifier.rules import RulesClassifier, confidence_of, rank

MODEL_TEXT_CHARS = 1000
"""The description's first characters feed the model: the action is stated early."""
ACCESS_ORDER: tuple[Access, ...] = tuple(Access)

RULE_FEATURE_NAMES: tuple[str, ...] = (
    *(f"rules {source} evidence for {access.value}" for source in ("name", "text", "other") for access in Access),
    *(f"rules verdict {access.value}" for access in Access),
    "rules margin",
    "rules found no evidence",
    "declared readOnlyHint=true",
    "declared readOnlyHint=false",
    "declared destructiveHint=true",
    "declared destructiveHint=false",
    "declared idempotentHint=true",
    "declared openWorldHint=true",
)
"""The numeric features, in column order; their names appear in the model's reasons."""


@dataclass(frozen=True, slots=True)
class Signals:
    """One tool as the combination sees it: the rules' view and the model's inputs."""

    features: ToolFeatures
    evidence: tuple[Evidence, ...]
    """Access evidence, declared hints included (each marked `from_hints`)."""
    actions: tuple[str, ...]
    verdict: Access | None
    """The rules' verdict on evidence other than hints; None when there is none."""
    margin: float
    """The verdict's lead over the runner-up, hints left out: how strong the rules are."""
    confidence: float
    """The rules' confidence in `verdict` (hints left out)."""
    name_text: str
    body_text: str
    params_text: str
    numbers: tuple[float, ...]


def gather(rules: RulesClassifier, tool: ToolRecord) -> Signals:
    """The signals of one tool; the server it came from plays no part."""
    features = rules.features(tool)
    evidence, actions = rules.access_evidence(features)
    scores = _scores(evidence)
    plain = [item for item in evidence if not item.from_hints]
    verdict, margin, confidence = _rules_verdict(plain)
    # Positional: keyword arguments would make this, done once per tool, a third slower.
    return Signals(
        features,
        tuple(evidence),
        tuple(actions),
        verdict,
        margin,
        confidence,
        " ".join(features.words),
        _body_text(features),
        _params_text(features),
        _numbers(scores, verdict, margin, features),
    )


HINT_FEATURES = 6
"""The last numbers are the declared hints; everything before them is hint-free."""


def hidden_hints(signals: Signals) -> Signals:
    """The same signals as if the tool declared no hints (its rule evidence is hint-free already)."""
    numbers = signals.numbers[:-HINT_FEATURES] + (0.0,) * HINT_FEATURES
    return replace(signals, numbers=numbers)


def _rules_verdict(plain: Sequence[Evidence]) -> tuple[Access | None, float, float]:
    verdict, top, margin = rank(plain)
    if top <= 0:
        return None, 0.0, 0.0
    return verdict, margin, confidence_of(plain, verdict, margin)


def _scores(evidence: Sequence[Evidence]) -> list[float]:
    """Evidence weight by (source, access), hints left out, in RULE_FEATURE_NAMES order."""
    scores = [0.0] * (len(_SOURCES) * len(ACCESS_ORDER))
    for item in evidence:
        if item.access is None or item.from_hints:
            continue
        scores[_source(item.reason) + _ACCESS_INDEX[item.access]] += item.weight
    return scores


_SOURCES = ("name", "text", "other")
_ACCESS_INDEX = {access: index for index, access in enumerate(ACCESS_ORDER)}
_NAME, _TEXT, _OTHER = (index * len(ACCESS_ORDER) for index in range(len(_SOURCES)))


def _source(reason: str) -> int:
    """Where in the scores a reason's source starts."""
    if reason.startswith("name "):
        return _NAME
    if reason.startswith(("title ", "description ")):
        return _TEXT
    return _OTHER


def _numbers(
    scores: list[float], verdict: Access | None, margin: float, features: ToolFeatures
) -> tuple[float, ...]:
    hints = features.hints
    declared = (hints.read_only, hints.destructive, hints.idempotent, hints.open_world)
    # log1p keeps a pile of weak mentions from outweighing one strong name verb.
    return (
        *map(math.log1p, scores),
        *_VERDICT[verdict],
        math.log1p(margin),
        1.0 if verdict is None else 0.0,
        *_DECLARED[declared],
    )


_VERDICT = {
    verdict: tuple(1.0 if verdict is access else 0.0 for access in ACCESS_ORDER)
    for verdict in (*ACCESS_ORDER, None)
}
_DECLARED = {
    (read_only, destructive, idempotent, open_world): (
        float(read_only is True),
        float(read_only is False),
        float(destructive is True),
        float(destructive is False),
        float(idempotent is True),
        float(open_world is True),
    )
    for read_only, destructive, idempotent, open_world in itertools.product(
        (True, False, None), repeat=4
    )
}
"""The hint numbers of every combination of declared (or absent) hints, worked out once."""


def _body_text(features: ToolFeatures) -> str:
    text = f"{features.title} {features.description}" if features.title else features.description
    return text[:MODEL_TEXT_CHARS]


def _params_text(features: ToolFeatures) -> str:
    parts: list[str] = []
    for param in features.params:
        parts.append(f"p_{param.joined} {' '.join(param.words)} t_{param.type or 'any'}")
        if param.enum:
            parts.append(" ".join(f"e_{value}" for value in param.enum[:12]))
        if param.description:
            parts.append(param.description[:200])
    return " ".join(parts)


def lexicon_digest(lexicon: Lexicon) -> str:
    """A hash of the compiled lexicon: what the rule features mean (risk and other data excluded).

    A model is tied to this rather than to the rules' version, so editing the risk table or
    the suspicious-instruction patterns does not invalidate it; editing a lexicon, or changing
    the evidence code (`EVIDENCE_VERSION`), does.
    """
    described = {"evidence_version": EVIDENCE_VERSION, "lexicon": _canonical(lexicon)}
    canonical = json.dumps(described, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _canonical(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: _canonical(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, re.Pattern):
        return [value.pattern, value.flags]
    if isinstance(value, Mapping):
        return sorted([json.dumps(_canonical(key)), _canonical(item)] for key, item in value.items())
    if isinstance(value, frozenset | set):
        return sorted(json.dumps(_canonical(item), sort_keys=True) for item in value)
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    return value
