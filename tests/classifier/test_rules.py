"""The rules classifier labels realistic tools, explains itself and flags contradicting hints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Flag,
    Location,
    LocationKind,
    Risk,
    ToolHints,
    ToolRecord,
)
from classifier.base import default_classifier
from classifier.evidence_choices import choice_evidence
from classifier.rules import RULES_VERSION, RulesClassifier

sys.path.insert(0, str(Path(__file__).parent))
from cases import CASES, Case

CLASSIFIER = RulesClassifier.from_data()


def tool(
    name: str,
    description: str = "",
    params: dict[str, object] | None = None,
    hints: dict[str, bool] | None = None,
    server_key: str = "github:acme/tools",
) -> ToolRecord:
    properties = {
        key: value if isinstance(value, dict) else {"type": "string"}
        for key, value in (params or {}).items()
    }
    return ToolRecord(
        server_key=server_key,
        name=name,
        description=description,
        input_schema={"type": "object", "properties": properties},
        hints=ToolHints.model_validate(hints or {}),
        location=Location(kind=LocationKind.STATIC, file="src/index.ts", line=10),
    )


def evidence_reasons(
    name: str, description: str, params: dict[str, object] | None = None
) -> list[str]:
    """The reasons of every piece of access evidence the rules find for a tool."""
    evidence, _ = CLASSIFIER.access_evidence(CLASSIFIER.features(tool(name, description, params)))
    return [item.reason for item in evidence]


def access_of(name: str, description: str = "", params: dict[str, object] | None = None) -> Access:
    """The rules' access verdict for a tool."""
    return CLASSIFIER.classify(tool(name, description, params)).access


def listed(description: str, params: dict[str, object] | None = None) -> list[str]:
    """The reasons of the listed-actions evidence of a tool with this description."""
    features = CLASSIFIER.features(tool("some_tool", description, params))
    evidence, _ = choice_evidence(features, CLASSIFIER.lexicon)
    return [item.reason for item in evidence]


def record_of(case: Case) -> ToolRecord:
    return ToolRecord(
        server_key="github:acme/tools",
        name=case.name,
        description=case.description,
        input_schema=case.schema(),
        hints=ToolHints.model_validate(case.hints),
        location=Location(kind=LocationKind.LIVE),
    )


def label(classification: Classification) -> tuple[str, str, str, frozenset[str]]:
    return (
        classification.access.value,
        classification.risk.value,
        classification.category.value,
        frozenset(capability.value for capability in classification.capabilities),
    )


def test_the_table_covers_at_least_120_distinct_tools() -> None:
    assert len({case.name for case in CASES}) == len(CASES) >= 120


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_realistic_tool_gets_its_expected_label(case: Case) -> None:
    result = CLASSIFIER.classify(record_of(case))
    assert label(result) == (case.access, case.risk, case.category, case.capabilities)


def test_cortex_session_end_is_a_plain_write_with_no_capabilities() -> None:
    result = CLASSIFIER.classify(
        tool(
            "cortex_session_end",
            "Close a session with a summary of work done. Reports session duration and compliance.",
            {
                "sessionId": {"type": "string"},
                "summary": {"type": "string"},
                "filesChanged": {"type": "array", "items": {"type": "string"}},
            },
        )
    )
    assert result == Classification(
        access=Access.WRITE,
        risk=Risk.MEDIUM,
        category=Category.WRITE,
        capabilities=(),
        confidence=0.928,
        reasons=(
            "name verb 'end' → write",
            "description verb 'close' → write",
            "category Write → medium (risk table)",
        ),
        flags=(),
        classifier_version=CLASSIFIER.version,
    )


def test_shell_tool_puts_its_deciding_reasons_first() -> None:
    result = CLASSIFIER.classify(
        tool("run_command", "Run a shell command.", {"command": {"type": "string"}})
    )
    assert result.model_dump(exclude={"confidence", "classifier_version"}) == {
        "access": Access.DESTRUCTIVE,
        "risk": Risk.CRITICAL,
        "category": Category.EXECUTE,
        "capabilities": (Capability.EXECUTES_CODE,),
        "reasons": (
            "name pattern 'run command' → destructive, executes-code",
            "parameter 'command' with verb 'run' → destructive, executes-code",
            "description mentions 'shell' → destructive, executes-code",
            "access destructive → critical (risk table)",
            "description verb 'run' → write",
        ),
        "flags": (),
    }
    assert result.confidence > 0.9


@pytest.mark.parametrize(
    ("name", "description"),
    [
        (
            "find_stale_branches",
            "Finds stale branches without deleting them; it never removes anything.",
        ),
        ("list_items", "Lists items in the folder. It does not delete or overwrite anything."),
        ("list_deleted_items", "List deleted items in the trash."),
        ("search_archived_threads", "Search archived threads by keyword."),
        ("get_removal_status", "Get the status of a removal request."),
        (
            "export_table",
            "Exports a table as CSV. This does not permanently delete the source rows.",
        ),
    ],
)
def test_negated_or_adjectival_destructive_words_are_not_destructive_evidence(
    name: str, description: str
) -> None:
    result = CLASSIFIER.classify(tool(name, description))
    assert (result.access, result.risk) == (Access.READ, Risk.LOW)
    assert not any("destructive" in reason for reason in result.reasons)


def test_description_phrase_can_make_a_vague_name_destructive() -> None:
    result = CLASSIFIER.classify(
        tool("housekeeping", "Permanently removes stale caches. This cannot be undone.")
    )
    assert (result.access, result.risk, result.category) == (
        Access.DESTRUCTIVE,
        Risk.CRITICAL,
        Category.DESTRUCTIVE,
    )
    assert result.reasons[:2] == (
        "description says 'permanently deletes' → destructive",
        "description says 'cannot be undone' → destructive",
    )


@pytest.mark.parametrize(
    ("name", "access", "reason"),
    [
        ("firecrawl_monitor_create", Access.WRITE, "name verb 'create' → write"),
        ("uptime_monitor_delete", Access.DESTRUCTIVE, "name verb 'delete' → destructive"),
        ("monitor_service_health", Access.READ, "name verb 'monitor' → read"),
    ],
)
def test_monitor_first_in_a_name_is_the_object_when_a_later_word_is_the_action(
    name: str, access: Access, reason: str
) -> None:
    result = CLASSIFIER.classify(tool(name))
    assert result.access is access
    assert result.reasons[0] == reason


def test_cleanup_as_a_name_is_a_destructive_verb() -> None:
    result = CLASSIFIER.classify(tool("cleanup", "Cleanup all managed resources"))
    assert (result.access, result.risk) == (Access.DESTRUCTIVE, Risk.CRITICAL)
    assert result.reasons[0] == "name verb 'cleanup' → destructive"


def test_a_dispatcher_that_runs_a_named_tool_is_destructive() -> None:
    params = {"tool_name": {"type": "string"}, "arguments": {"type": "object"}}
    result = CLASSIFIER.classify(tool("execute_tool", "Execute an available tool by name.", params))
    assert result.access is Access.DESTRUCTIVE
    assert "parameter 'tool_name' with verb 'execute' → destructive" in result.reasons
    described = CLASSIFIER.classify(tool("describe_tool", "Schema of one tool.", {"tool_name": {"type": "string"}}))
    assert described.access is Access.READ


def test_a_tool_named_as_running_tools_is_destructive_unless_it_only_describes_them() -> None:
    params = {"name": {"type": "string"}, "arguments": {"type": "object"}}
    runner = CLASSIFIER.classify(tool("execute_sentry_tool", "Execute an available tool.", params))
    lister = CLASSIFIER.classify(tool("list_tools", "Names of the available tools."))
    assert runner.access is Access.DESTRUCTIVE
    assert runner.reasons[0] == "name word 'tool' with verb 'execute' → destructive"
    assert lister.access is Access.READ


@pytest.mark.parametrize("flag", ["dropTarget", "delete_local_data", "purge", "truncate_first"])
def test_a_switch_that_deletes_makes_the_tool_destructive(flag: str) -> None:
    params = {"collection": {"type": "string"}, flag: {"type": "boolean"}}
    result = CLASSIFIER.classify(tool("rename_collection", "Renames a collection.", params))
    assert result.access is Access.DESTRUCTIVE
    assert result.reasons[0].startswith("parameter '") and result.reasons[0].endswith("' → destructive")


def test_removing_base64_images_from_output_is_not_a_deleting_switch() -> None:
    params = {"url": {"type": "string"}, "removeBase64Images": {"type": "boolean"}}
    assert CLASSIFIER.classify(tool("scrape_page", "Scrapes a page.", params)).access is Access.READ


def test_read_only_hint_on_a_delete_tool_is_outvoted_and_flagged() -> None:
    result = CLASSIFIER.classify(
        tool("delete_user", "Delete a user account.", {"userId": {}}, {"readOnlyHint": True})
    )
    assert (result.access, result.risk, result.category) == (
        Access.DESTRUCTIVE,
        Risk.CRITICAL,
        Category.DESTRUCTIVE,
    )
    assert result.flags == (
        Flag(
            kind="hints-contradict",
            message="declares readOnlyHint=true but its name, description or parameters say destructive",
        ),
    )
    assert "declared readOnlyHint=true → read (evidence)" in result.reasons


def test_destructive_hint_false_on_a_destructive_tool_is_flagged() -> None:
    result = CLASSIFIER.classify(
        tool(
            "purge_queue",
            "Purges every message in a queue.",
            {"queue": {}},
            {"destructiveHint": False},
        )
    )
    assert result.access is Access.DESTRUCTIVE
    assert [flag.kind for flag in result.flags] == ["hints-contradict"]


def test_hints_that_agree_add_a_reason_and_no_flag() -> None:
    result = CLASSIFIER.classify(
        tool("get_forecast", "Get the weather forecast.", {"city": {}}, {"readOnlyHint": True})
    )
    assert (result.access, result.flags) == (Access.READ, ())
    assert result.reasons[:3] == (
        "name verb 'get' → read",
        "declared readOnlyHint=true → read (evidence)",
        "description verb 'get' → read",
    )


def test_hints_alone_decide_only_with_modest_confidence() -> None:
    result = CLASSIFIER.classify(tool("widget", "", {}, {"readOnlyHint": True}))
    assert (result.access, result.confidence) == (Access.READ, 0.6)


def test_destructive_hint_tips_an_ambiguous_tool_without_overriding_a_clear_name() -> None:
    vague = CLASSIFIER.classify(tool("apply_changes", "", {}, {"destructiveHint": True}))
    clear = CLASSIFIER.classify(
        tool("list_changes", "List pending changes.", {}, {"destructiveHint": True})
    )
    assert (vague.access, clear.access) == (Access.DESTRUCTIVE, Access.READ)


def test_tool_with_no_evidence_is_a_low_confidence_write() -> None:
    result = CLASSIFIER.classify(tool("zorblax", "Zorblax the frobnicator."))
    assert result == Classification(
        access=Access.WRITE,
        risk=Risk.MEDIUM,
        category=Category.WRITE,
        confidence=0.3,
        reasons=(
            "no evidence of what the tool does → write (unknown effects are not assumed safe)",
            "category Write → medium (risk table)",
        ),
        classifier_version=CLASSIFIER.version,
    )


def test_same_definition_on_two_servers_gets_the_same_classification() -> None:
    first = tool(
        "send_message",
        "Send a chat message.",
        {"channel": {}, "text": {}},
        server_key="github:a/chat",
    )
    second = first.model_copy(
        update={"server_key": "npm:@b/chat-mcp", "location": Location(kind=LocationKind.LIVE)}
    )
    assert CLASSIFIER.classify_all([first, second]) == [CLASSIFIER.classify(first)] * 2


def test_nested_parameters_are_evidence() -> None:
    nested = {
        "type": "object",
        "properties": {
            "auth": {"type": "object", "properties": {"client_secret": {"type": "string"}}}
        },
    }
    result = CLASSIFIER.classify(
        tool("connect_service", "Connect to the billing service.", {"options": nested})
    )
    assert result.capabilities == (Capability.SECRETS,)
    assert "parameter 'client_secret' → secrets" in result.reasons


def test_bounded_command_enum_is_not_arbitrary_code() -> None:
    result = CLASSIFIER.classify(
        tool(
            "run_task",
            "Run a named maintenance task.",
            {"command": {"type": "string", "enum": ["vacuum", "analyze"]}},
        )
    )
    assert Capability.EXECUTES_CODE not in result.capabilities


def test_money_wins_over_code_for_the_category() -> None:
    result = CLASSIFIER.classify(
        tool(
            "run_payment_script",
            "Runs a payment script that charges the customer.",
            {"script": {}, "amount": {"type": "number"}},
        )
    )
    assert (result.category, result.risk) == (Category.FINANCIAL, Risk.CRITICAL)
    assert result.capabilities == (Capability.EXECUTES_CODE, Capability.MOVES_MONEY)


def test_every_classification_is_well_formed() -> None:
    for result in CLASSIFIER.classify_all([record_of(case) for case in CASES]):
        assert list(result.capabilities) == sorted(set(result.capabilities))
        assert 1 <= len(result.reasons) <= 6
        assert 0.3 <= result.confidence <= 0.95
        assert result.classifier_version == CLASSIFIER.version


def test_default_classifier_starts_from_the_shipped_rules() -> None:
    # With a shipped model it is the combination, whose version extends the rules' version.
    classifier = default_classifier()
    assert classifier.version.startswith(CLASSIFIER.version)
    assert (
        CLASSIFIER.version.startswith(f"{RULES_VERSION}+") and len(CLASSIFIER.version) == len(RULES_VERSION) + 9
    )


def test_importing_the_classifier_never_imports_scikit_learn() -> None:
    code = (
        "import sys, classifier, classifier.base, classifier.rules, classifier.features;"
        "classifier.base.default_classifier();"
        "print('sklearn' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"


def test_ten_thousand_tools_classify_in_one_process() -> None:
    records = [record_of(case) for case in CASES]
    many = [
        records[index % len(records)].model_copy(update={"server_key": f"local:s{index}"})
        for index in range(10_000)
    ]
    results = CLASSIFIER.classify_all(many)
    assert len(results) == 10_000
    assert results[len(records)] == results[0]


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(max_size=60),
    description=st.text(max_size=300),
    params=st.dictionaries(
        st.text(max_size=20),
        st.recursive(
            st.none() | st.text(max_size=10),
            lambda inner: st.dictionaries(st.text(max_size=10), inner, max_size=3),
            max_leaves=6,
        ),
        max_size=5,
    ),
)
def test_classification_never_raises_on_any_text(
    name: str, description: str, params: dict[str, object]
) -> None:
    record = ToolRecord(
        server_key="local:x",
        name=name,
        description=description,
        input_schema={"type": "object", "properties": params},
        location=Location(kind=LocationKind.LIVE),
    )
    assert isinstance(CLASSIFIER.classify(record), Classification)


def test_given_capabilities_replace_the_rules_own_and_category_and_risk_follow() -> None:
    record = tool("list_widgets", "List the widgets of a project.")
    features = CLASSIFIER.features(record)
    evidence, actions = CLASSIFIER.access_evidence(features)
    own = CLASSIFIER.label(features, evidence, actions, Access.READ, 0.9)
    assert own.capabilities == () and own.category is Category.READ
    given = CLASSIFIER.label(
        features, evidence, actions, Access.READ, 0.9, capabilities=[Capability.MOVES_MONEY], lead=["why"]
    )
    assert given.capabilities == (Capability.MOVES_MONEY,)
    assert given.category is Category.FINANCIAL
    assert given.risk is CLASSIFIER.risk_table.assess(Access.READ, Category.FINANCIAL, given.capabilities)[0]
    assert given.reasons[0] == "why"
