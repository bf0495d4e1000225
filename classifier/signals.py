"""What the model sees of a tool: its text fields and the rules' evidence as numbers (no sklearn here)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum
from typing import Any

from catalog.records import Access, ToolRecord
from classifier.evidence import Evidence
from classifier.features import ToolFeatures
from classifier.lexicon import Lexicon
from classifier.rules import RulesClassifier, decide

MODEL_TEXT_CHARS = 1000
"""The description's first characters feed the model: the action is stated early."""
ACCESS_ORDER: tuple[Access, ...] = tuple(Access)
_SEVERITY = {access: rank for rank, access in enumerate(Access)}

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
    return Signals(
        features=features,
        evidence=tuple(evidence),
        actions=tuple(actions),
        verdict=verdict,
        margin=margin,
        confidence=confidence,
        name_text=" ".join(features.words),
        body_text=_body_text(features),
        params_text=_params_text(features),
        numbers=_numbers(scores, verdict, margin, features),
    )


HINT_FEATURES = 6
"""The last numbers are the declared hints; everything before them is hint-free."""


def hidden_hints(signals: Signals) -> Signals:
    """The same signals as if the tool declared no hints (its rule evidence is hint-free already)."""
    numbers = signals.numbers[:-HINT_FEATURES] + (0.0,) * HINT_FEATURES
    return replace(signals, numbers=numbers)


def _rules_verdict(plain: Sequence[Evidence]) -> tuple[Access | None, float, float]:
    totals = dict.fromkeys(ACCESS_ORDER, 0.0)
    for item in plain:
        if item.access is not None:
            totals[item.access] += item.weight
    if max(totals.values()) <= 0:
        return None, 0.0, 0.0
    ranked = sorted(ACCESS_ORDER, key=lambda access: (totals[access], _SEVERITY[access]), reverse=True)
    verdict, confidence = decide(plain)
    return verdict, totals[ranked[0]] - totals[ranked[1]], confidence


def _scores(evidence: Sequence[Evidence]) -> dict[tuple[str, Access], float]:
    scores: dict[tuple[str, Access], float] = {}
    for item in evidence:
        if item.access is None or item.from_hints:
            continue
        source = _source(item.reason)
        scores[source, item.access] = scores.get((source, item.access), 0.0) + item.weight
    return scores


def _source(reason: str) -> str:
    if reason.startswith("name "):
        return "name"
    if reason.startswith(("title ", "description ")):
        return "text"
    return "other"


def _numbers(
    scores: dict[tuple[str, Access], float],
    verdict: Access | None,
    margin: float,
    features: ToolFeatures,
) -> tuple[float, ...]:
    hints = features.hints
    # log1p keeps a pile of weak mentions from outweighing one strong name verb.
    evidence = [
        math.log1p(scores.get((source, access), 0.0))
        for source in ("name", "text", "other")
        for access in ACCESS_ORDER
    ]
    return (
        *evidence,
        *(1.0 if verdict is access else 0.0 for access in ACCESS_ORDER),
        math.log1p(margin),
        1.0 if verdict is None else 0.0,
        float(hints.read_only is True),
        float(hints.read_only is False),
        float(hints.destructive is True),
        float(hints.destructive is False),
        float(hints.idempotent is True),
        float(hints.open_world is True),
    )


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
    the suspicious-instruction patterns does not invalidate it; editing a lexicon does.
    """
    canonical = json.dumps(_canonical(lexicon), sort_keys=True, separators=(",", ":"))
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
