"""Multi-purpose tools that list their actions in prose, detaching items, power actions, `eval` as a noun."""

from __future__ import annotations

import pytest

from catalog.errors import ClassifierError
from catalog.paths import data_dir
from catalog.records import Access, Capability
from classifier import signals
from classifier.base import default_classifier
from classifier.evidence import EVIDENCE_VERSION
from classifier.model_files import load
from classifier.rules import RULES_VERSION
from classifier.signals import lexicon_digest
from tests.classifier.test_rules import CLASSIFIER, tool

DEFAULT = default_classifier()


def listed(result_reasons: tuple[str, ...]) -> list[str]:
    return [reason for reason in result_reasons if "lists actions" in reason]


@pytest.mark.parametrize(
    ("name", "description", "params", "expected_reason"),
    [
        (
            "manage_contact",
            "Create, update, or delete a contact.",
            {},
            "the description lists actions (create, update, delete): 'delete' → destructive",
        ),
        (
            "manage_drive_access",
            "Supports granting, batch-granting, updating, revoking permissions, and transferring ownership.",
            {},
            "the description lists actions (update, revoke): 'revoke' → destructive",
        ),
        (
            "manage_focus_time",
            "Manages Focus Time events on Google Calendar.",
            {"action": {"type": "string", "description": 'Action to perform - "create", "list", "update", or "delete".'}},
            "parameter 'action' lists actions (create, list, update, delete): 'delete' → destructive",
        ),
        (
            "manage_document_comment",
            "Manage comments on a document.\nActions:\n  - create: Create a comment.\n  - reply: Reply to it.\n"
            "  - delete: Delete a comment.",
            {"action": {"type": "string"}},
            "the description lists actions (create, reply, delete): 'delete' → destructive",
        ),
        (
            "manage_datatable",
            "Manage data tables. Actions: createTable, listTables, getTable, updateTable, deleteTable, insertRows.",
            {"action": {"type": "string"}},
            "the description lists actions (create, list, get, update, delete, insert): 'delete' → destructive",
        ),
        (
            "table_admin",
            "Operations on tables: create_table, rename_table or drop_table.",
            {},
            "the description lists actions (create, rename, drop): 'drop' → destructive",
        ),
    ],
)
def test_a_tool_that_lists_a_destructive_action_is_destructive_by_its_worst_effect(
    name: str, description: str, params: dict[str, object], expected_reason: str
) -> None:
    result = CLASSIFIER.classify(tool(name, description, params))
    assert result.access is Access.DESTRUCTIVE
    assert listed(result.reasons) == [expected_reason]
    # The shipped combination agrees: the listed action outweighs the generic verb 'manage'.
    assert DEFAULT.classify(tool(name, description, params)).access is Access.DESTRUCTIVE


def test_the_worst_action_counts_over_every_list_a_tool_gives() -> None:
    # The action parameter's text lists only writes; the prose also lists a revoke.
    params = {"action": {"type": "string", "description": '"list", "add" or "update" a grant.'}}
    description = "List, grant, update, or revoke an agent's access to boards."
    result = CLASSIFIER.classify(tool("manage_agent_knowledge", description, params))
    assert result.access is Access.DESTRUCTIVE
    assert listed(result.reasons) == [
        "the description lists actions (list, add, update, grant, revoke): 'revoke' → destructive"
    ]
    # Several lists in one sentence: the later insert/delete counts, not only hide/unhide.
    sentence = "Resize columns, freeze rows/columns, hide/unhide rows/columns, and insert/delete rows/columns."
    assert CLASSIFIER.classify(tool("sheet_dimensions", sentence)).access is Access.DESTRUCTIVE


def test_starting_a_process_from_a_free_form_command_runs_code() -> None:
    params = {"command": {"type": "string"}, "timeout_ms": {"type": "integer"}}
    for classifier in (CLASSIFIER, DEFAULT):
        result = classifier.classify(tool("start_process", "Start a terminal process on the device.", params))
        assert result.access is Access.DESTRUCTIVE
        assert Capability.EXECUTES_CODE in result.capabilities


@pytest.mark.parametrize(
    "description",
    [
        "Returns items created, updated or deleted since the given time.",  # past forms are states
        "Filter by status: creating, deleting or deleted.",  # a list of states
        "Does not create, update or delete anything; it only reports.",  # negated
        "Select and run one of the read operations (read-only).",  # steps, not choices
        "Lists, searches and gets boards.",  # only reads listed
    ],
)
def test_prose_that_is_not_an_offer_of_actions_lists_none(description: str) -> None:
    result = CLASSIFIER.classify(tool("board_report", description))
    assert listed(result.reasons) == []


def test_an_action_enum_keeps_its_own_evidence_and_its_text_is_not_counted_twice() -> None:
    params = {"action": {"type": "string", "enum": ["create", "delete"], "description": '"create" or "delete"'}}
    result = CLASSIFIER.classify(tool("manage_webhook", "Manage webhooks.", params))
    assert result.access is Access.DESTRUCTIVE
    assert "parameter 'action' allows 'delete' → destructive" in result.reasons
    assert listed(result.reasons) == []


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("firewall-remove-tags", "Removes one or more tags from a firewall"),
        ("stories-remove-external-link", "Remove an external link from a story."),
        ("linear_removeIssueFromProject", "Remove an existing issue from a project"),
        ("lb-remove-droplets", "Remove Droplets from a Load Balancer"),
    ],
)
def test_detaching_an_item_that_goes_on_existing_is_a_write(name: str, description: str) -> None:
    for classifier in (CLASSIFIER, DEFAULT):
        result = classifier.classify(tool(name, description))
        assert result.access is Access.WRITE, (classifier, result.reasons)
    assert "description says 'detaches an item from a container' → write" in CLASSIFIER.classify(
        tool(name, description)
    ).reasons


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("remove_user_from_group", "Removes a user from a group."),
        ("remove_file", "Removes a file from the workspace directory."),
        ("remove_record", "Remove a record from the table."),
    ],
)
def test_removing_people_or_data_stays_destructive(name: str, description: str) -> None:
    for classifier in (CLASSIFIER, DEFAULT):
        assert classifier.classify(tool(name, description)).access is Access.DESTRUCTIVE


@pytest.mark.parametrize(
    "name", ["power-off-droplet", "power-on-droplet", "power_cycle_server", "shutdown-droplet", "reassign_share"]
)
def test_power_and_reassignment_actions_are_writes(name: str) -> None:
    for classifier in (CLASSIFIER, DEFAULT):
        assert classifier.classify(tool(name, "")).access is Access.WRITE


@pytest.mark.parametrize(
    "name", ["genai-model-eval-get-preset", "genai-model-eval-list-runs", "model_eval_get_results"]
)
def test_eval_before_a_later_verb_is_the_object_not_code_evaluation(name: str) -> None:
    result = CLASSIFIER.classify(tool(name, "Get or list evaluation data."))
    assert result.access is Access.READ
    assert not result.capabilities


def test_eval_as_the_action_still_runs_code() -> None:
    result = CLASSIFIER.classify(tool("eval_js", "Evaluate JavaScript in the page.", {"expression": {"type": "string"}}))
    assert result.access is Access.DESTRUCTIVE


def test_the_rules_version_follows_the_evidence_code_version() -> None:
    assert f"rules-{EVIDENCE_VERSION}" == RULES_VERSION
    assert CLASSIFIER.version.startswith(f"{RULES_VERSION}+")


def test_a_model_trained_on_other_evidence_code_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shipped model loads under the current evidence version ...
    digest = lexicon_digest(CLASSIFIER.lexicon)
    assert load(data_dir() / "model", digest) is not None
    # ... and is refused once the evidence code says it reads tools differently, lexicon unchanged.
    monkeypatch.setattr(signals, "EVIDENCE_VERSION", EVIDENCE_VERSION + 1)
    changed = lexicon_digest(CLASSIFIER.lexicon)
    assert changed != digest
    with pytest.raises(ClassifierError, match="lexicon_digest"):
        load(data_dir() / "model", changed)


@pytest.mark.parametrize(
    "description",
    [
        "Pick one of createTable, listTables or getTable.",
        "Call list_records or search_records, then get_record.",
        "Fields: tableName, rowCount, columnNames.",
    ],
)
def test_identifiers_that_name_no_destructive_action_add_no_listed_action(description: str) -> None:
    result = CLASSIFIER.classify(tool("table_info", description, {}))
    assert result.access is not Access.DESTRUCTIVE
    assert not any("→ destructive" in reason for reason in listed(result.reasons))


def test_a_description_that_calls_the_tool_a_destructive_operation_is_evidence() -> None:
    result = CLASSIFIER.classify(tool("reset_config", "WARNING - DESTRUCTIVE OPERATION. Reverts settings.", {}))
    assert "description says 'a destructive operation' → destructive" in result.reasons
    for harmless in (
        "Runs a non-destructive operation on the index.",
        "This is not a destructive operation: it only reads.",
    ):
        reasons = CLASSIFIER.classify(tool("check_index", harmless, {})).reasons
        assert not any("a destructive operation" in reason for reason in reasons), harmless


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("kubevirt_vm_unpause", "Unpause a VirtualMachine."),
        ("abort_rollout", "Abort an Argo Rollout."),
        ("switch_context", "Switch to a different kubectl context."),
        ("autofix_workflow", "Automatically fix common workflow validation errors."),
        ("repair_index", "Repairs a corrupted search index."),
    ],
)
def test_pausing_aborting_switching_and_fixing_are_writes(name: str, description: str) -> None:
    assert CLASSIFIER.classify(tool(name, description, {})).access is Access.WRITE


def test_a_kubeconfig_is_a_secret_and_an_order_sized_by_qty_or_notional_moves_money() -> None:
    kubeconfig = CLASSIFIER.classify(tool("kind_get_kubeconfig", "Get the kubeconfig of a kind cluster.", {"name": {"type": "string"}}))
    assert (kubeconfig.access, Capability.SECRETS in kubeconfig.capabilities) == (Access.READ, True)
    for size in ("qty", "notional"):
        order = CLASSIFIER.classify(
            tool("submit_stock_order", "Submit a stock order.", {"symbol": {"type": "string"}, size: {"type": "number"}})
        )
        assert Capability.MOVES_MONEY in order.capabilities, size
    quote = CLASSIFIER.classify(tool("get_order_book", "Bids and asks.", {"symbol": {"type": "string"}, "qty": {"type": "number"}}))
    assert Capability.MOVES_MONEY not in quote.capabilities


@pytest.mark.parametrize(
    ("description", "params", "expected_reason"),
    [
        (
            "Manage data tables.",
            {"action": {"type": "string", "enum": ["createTable", "listTables", "deleteTable"]}},
            "parameter 'action' allows 'delete' → destructive",
        ),
        (
            "Manage data tables.\nActions:\n  - createTable: make one.\n  - deleteRows: remove rows.",
            {"action": {"type": "string"}},
            "the description lists actions (create, delete): 'delete' → destructive",
        ),
        (
            "Manage data tables.",
            {"action": {"type": "string", "description": 'One of "createTable", "getTable" or "dropTable".'}},
            "parameter 'action' lists actions (create, get, drop): 'drop' → destructive",
        ),
    ],
)
def test_camel_case_actions_count_as_their_first_word_in_enums_bullets_and_quotes(
    description: str, params: dict[str, object], expected_reason: str
) -> None:
    result = CLASSIFIER.classify(tool("manage_tables", description, params))
    assert result.access is Access.DESTRUCTIVE
    assert expected_reason in result.reasons


@pytest.mark.parametrize("name", ["run_tests", "runTestSuite", "execute-tests", "project_run_unit_tests"])
def test_running_a_projects_tests_runs_its_code(name: str) -> None:
    # The hand set's run_tests: a project's tests are its own code, whatever that code does.
    result = CLASSIFIER.classify(tool(name, "Starts the test run and returns a job id."))
    assert result.access is Access.DESTRUCTIVE, result.reasons
    assert Capability.EXECUTES_CODE in result.capabilities


@pytest.mark.parametrize("name", ["get_test_report", "list_test_runs", "create_test_case", "helm_test"])
def test_tools_about_tests_that_run_nothing_are_not_code_execution(name: str) -> None:
    result = CLASSIFIER.classify(tool(name, ""))
    assert result.access is not Access.DESTRUCTIVE, result.reasons
    assert Capability.EXECUTES_CODE not in result.capabilities
