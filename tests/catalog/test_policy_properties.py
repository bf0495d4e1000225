"""Properties: no classification ever gets a looser action than its profile, or PolicyLayer's defaults, allow."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.paths import data_dir
from catalog.policy import ActionKind, Window, load_profile, recommend
from catalog.policy_claude import list_for
from catalog.policy_plan import build_plan
from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Location,
    LocationKind,
    Risk,
    StoredTool,
    ToolRecord,
)
from classifier.risk import category_of, load_risk_table

PROFILES = {name: load_profile(name) for name in ("strict", "balanced", "permissive")}
RISK_TABLE = load_risk_table(data_dir() / "risk.toml")
NOW = datetime(2026, 11, 24, tzinfo=UTC)
# PolicyLayer's own per-category defaults: the loosest any profile may be.
POLICYLAYER_DEFAULTS = {
    Category.READ: (ActionKind.ALLOW, None),
    Category.WRITE: (ActionKind.RATE_LIMIT, 30),
    Category.EXECUTE: (ActionKind.RATE_LIMIT, 10),
    Category.DESTRUCTIVE: (ActionKind.HIDE, None),
    Category.FINANCIAL: (ActionKind.APPROVE, None),
}
ARGUMENTS = st.dictionaries(
    st.sampled_from(["sql", "query", "path", "filePath", "amount", "quantity", "to", "cc", "force", "recursive",
                     "confirm", "title"]),
    st.sampled_from([{"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "array"}]),
    max_size=5,
)


@st.composite
def any_classification(draw: st.DrawFn) -> Classification:
    access = draw(st.sampled_from(Access))
    capabilities = tuple(sorted(draw(st.sets(st.sampled_from(Capability)))))
    return Classification(access=access, risk=draw(st.sampled_from(Risk)), category=category_of(access, capabilities),
                          capabilities=capabilities, confidence=0.5, classifier_version="property")


@st.composite
def classifier_consistent(draw: st.DrawFn) -> Classification:
    """A classification the risk table could produce: risk at least what the table says."""
    verdict = draw(any_classification())
    floor, _ = RISK_TABLE.assess(verdict.access, verdict.category, verdict.capabilities)
    return verdict.model_copy(update={"risk": draw(st.sampled_from([r for r in Risk if r.rank >= floor.rank]))})


def stored(verdict: Classification, properties: dict[str, object]) -> StoredTool:
    tool = ToolRecord(server_key="local:p", name="the_tool", location=Location(kind=LocationKind.LIVE),
                      input_schema={"type": "object", "properties": properties})
    return StoredTool(tool=tool, classification=verdict, server_name="p", first_seen=NOW, last_seen=NOW)


@settings(max_examples=300, deadline=None)
@given(verdict=any_classification(), name=st.sampled_from(sorted(PROFILES)))
def test_no_action_is_looser_than_the_profiles_ceiling(verdict: Classification, name: str) -> None:
    profile = PROFILES[name]
    action = profile.action_for(verdict)

    assert action.kind.permissiveness <= profile.ceiling(verdict).permissiveness
    if name in {"balanced", "strict"} and verdict.access is Access.DESTRUCTIVE:
        assert action.kind is not ActionKind.ALLOW


@settings(max_examples=300, deadline=None)
@given(verdict=classifier_consistent(), name=st.sampled_from(sorted(PROFILES)))
def test_no_profile_is_looser_than_policylayers_own_defaults(verdict: Classification, name: str) -> None:
    action = PROFILES[name].action_for(verdict)
    loosest, most_per_minute = POLICYLAYER_DEFAULTS[verdict.category]

    assert action.kind.permissiveness <= loosest.permissiveness
    if action.kind is ActionKind.RATE_LIMIT and loosest is ActionKind.RATE_LIMIT:
        assert action.window is Window.MINUTE and action.max is not None and most_per_minute is not None
        assert action.max <= most_per_minute


@settings(max_examples=150, deadline=None)
@given(verdict=any_classification(), name=st.sampled_from(sorted(PROFILES)), properties=ARGUMENTS)
def test_every_dialect_says_at_least_what_the_action_says(
    verdict: Classification, name: str, properties: dict[str, object]
) -> None:
    tool = stored(verdict, properties)
    kind = PROFILES[name].action_for(verdict).kind
    document = json.loads(recommend([tool], profile=name))
    rules = document["tools"].get("the_tool")
    (planned,) = build_plan([tool], PROFILES[name]).tools
    claude = list_for(planned)

    assert (rules is None) == (kind is ActionKind.HIDE) == ("the_tool" in document.get("hide", []))
    if kind in {ActionKind.APPROVE, ActionKind.DENY}:
        assert rules is not None and {"conditions": []} | {"on_deny": rules["deny_if"][0]["on_deny"]} == rules["deny_if"][0]
    if kind is ActionKind.RATE_LIMIT:
        assert rules is not None and len(rules["limits"]) == 1
    assert claude == {ActionKind.ALLOW: "ask" if planned.guards else "allow", ActionKind.RATE_LIMIT: "ask",
                      ActionKind.APPROVE: "ask", ActionKind.DENY: "deny", ActionKind.HIDE: "deny"}[kind]
