"""Actions listed one per line under an "Actions:" header, action parameters that offer only reads,
soft deletes the text calls recoverable, and links removed between two items."""

from __future__ import annotations

import pytest

from catalog.records import Access
from classifier.base import default_classifier
from classifier.evidence_choices import action_lines
from tests.classifier.test_rules import CLASSIFIER, tool

DEFAULT = default_classifier()

LABELS = (
    "Labels in a project.\n\nActions:\n  list (project_id; optional cursor);\n  retrieve (project_id, label_id);\n"
    "  create (project_id, name);\n  update (project_id, label_id; optional name) -- only the given fields change;\n"
    "  delete (project_id, label_id).\n\nColors are hex codes."
)


def listed(reasons: tuple[str, ...]) -> list[str]:
    return [reason for reason in reasons if "lists actions" in reason]


def test_actions_one_per_line_under_a_header_count_as_a_list() -> None:
    params = {"action": {"type": "string"}, "project_id": {"type": "string"}}
    result = CLASSIFIER.classify(tool("project_labels", LABELS, params))
    assert result.access is Access.DESTRUCTIVE
    assert listed(result.reasons) == [
        "the description lists actions (list, retrieve, create, update, delete): 'delete' → destructive"
    ]
    assert DEFAULT.classify(tool("project_labels", LABELS, params)).access is Access.DESTRUCTIVE


@pytest.mark.parametrize(
    ("description", "names"),
    [
        (LABELS, ["list", "retrieve", "create", "update", "delete"]),
        # Other header words, bullets, numbers, quotes, colons and dashes after the name.
        ("Supported operations:\n- 'create': make one.\n- 'delete': expire it.", ["create", "delete"]),
        ("Commands:\n1. archive: hide a board\n2. purge - erase it for good", ["archive", "purge"]),
        ("Modes:\n  create_points (estimate_id);\n  delete_point (point_id).", ["create_points", "delete_point"]),
        # A blank line ends the block; continuation lines of an action name nothing.
        ("Actions:\n  list (a)\n  create (b,\n    optional name, website)\n\n  delete (c)", ["list", "create"]),
        # Without a header, indented lines are examples or prose, not offered actions.
        ("Examples:\n  delete (x)\n  list (y)", []),
        ("Actions: list, create.", []),
        ("One line only, no header", []),
    ],
)
def test_action_lines_are_read_only_under_a_header_and_up_to_a_blank_line(description: str, names: list[str]) -> None:
    assert action_lines(description) == names


def test_a_single_action_line_is_no_list_of_choices() -> None:
    result = CLASSIFIER.classify(tool("pql_reference", "Query syntax.\n\nActions:\n  read (optional detail)."))
    assert listed(result.reasons) == []


def test_an_action_parameter_that_offers_only_reads_is_read_evidence() -> None:
    # Quoted values in an action parameter's text are an enum in prose: all reads make a read,
    # whatever the generic verb 'manage' says (an enum of reads already did).
    params = {
        "operation": {
            "type": "string",
            "description": "'get_policies' to fetch the policy tree, 'get_contact_points' to list contact points, "
            "'get_time_intervals' to list intervals",
        }
    }
    result = CLASSIFIER.classify(tool("routing_settings", "Manage alert routing settings.", params))
    assert result.access is Access.READ
    assert listed(result.reasons) == ["parameter 'operation' lists actions (get): 'get' → read"]
    # Prose that lists only reads still says nothing.
    assert listed(CLASSIFIER.classify(tool("board_report", "Lists, searches and gets boards.")).reasons) == []


@pytest.mark.parametrize(
    ("name", "params"),
    [
        # Examples are not the whole set of choices: the command may be anything.
        ("kube_do", {"verb": {"type": "string", "description": "What to do, e.g. 'get' or 'describe'."}}),
        ("kube_do", {"operation": {"type": "string", "description": "Any operation such as 'get' or 'list'."}}),
        # A free-form command's quoted values are examples of it, whatever the wording.
        ("kube_do", {"command": {"type": "string", "description": "'get pods' or 'describe node'."}}),
    ],
)
def test_reads_given_as_examples_or_for_a_free_form_command_are_no_read_evidence(
    name: str, params: dict[str, object]
) -> None:
    assert listed(CLASSIFIER.classify(tool(name, "Talk to the cluster.", params)).reasons) == []


def test_a_destructive_example_still_counts() -> None:
    params = {"operation": {"type": "string", "description": "e.g. 'get', 'update' or 'delete'."}}
    result = CLASSIFIER.classify(tool("kube_do", "Talk to the cluster.", params))
    assert listed(result.reasons) == ["parameter 'operation' lists actions (get, update, delete): 'delete' → destructive"]


SOFT = "description says 'soft delete (recoverable)' → write"


@pytest.mark.parametrize(
    ("description", "soft"),
    [
        ("Delete a run. It moves to the deleted stage but stays recoverable through the API.", True),
        ("Deletes a board; it can be restored from the bin for 30 days.", True),
        ("Deleted deals can be recovered by an admin within 90 days.", True),
        ("Delete a run. It is not recoverable.", False),
        ("Delete a run. Non-recoverable.", False),
        ("Erases the run for good; it cannot be restored.", False),
        ("Erases the run; it can no longer be restored afterwards.", False),
    ],
)
def test_a_delete_the_text_calls_recoverable_is_soft_delete_evidence(description: str, soft: bool) -> None:
    assert (SOFT in CLASSIFIER.classify(tool("delete_run", description)).reasons) is soft


@pytest.mark.parametrize(
    ("name", "description", "combined"),
    [
        ("remove_issue_link", "Remove a link between two issues.", True),
        ("unlink_tasks", "Detach the dependency between two tasks.", True),
        # The rules' margin is short of the policy's here (name 'delete' plus its echo), so the
        # model decides the combination, and on this short text it still leans destructive (0.5).
        ("delete_issue_link", "Delete an issue link. Use this to remove an existing relationship between two issues.", False),
    ],
)
def test_removing_a_link_between_two_items_is_a_write(name: str, description: str, combined: bool) -> None:
    for classifier in (CLASSIFIER, DEFAULT) if combined else (CLASSIFIER,):
        result = classifier.classify(tool(name, description))
        assert result.access is Access.WRITE, (classifier, result.reasons)
    assert "description says 'detaches a link between two items' → write" in CLASSIFIER.classify(
        tool(name, description)
    ).reasons


PROMPT = "description says 'sends a prompt to a model for its answer' → read"


@pytest.mark.parametrize(
    ("name", "description", "query"),
    [
        ("gpt_insights", "Send a prompt to ChatGPT and get back AI-generated insights.", True),
        ("ask_docs", "Submits a question to the documentation assistant and returns its answer.", True),
        ("compare_answers", "Sends the same prompt to two models and returns both answers.", True),
        ("ask_llm", "Pass your query to a language model; the reply is returned.", True),
        # Prompts and questions for people are messages.
        ("post_prompt", "Sends a prompt to the team channel so colleagues can answer it.", False),
        ("ask_reviewer", "Sends a question to the assigned reviewer by email.", False),
    ],
)
def test_a_prompt_sent_to_a_model_for_its_answer_is_read_evidence(
    name: str, description: str, query: bool
) -> None:
    result = CLASSIFIER.classify(tool(name, description, {"prompt": {"type": "string"}}))
    assert (PROMPT in result.reasons) is query
    if query:
        assert result.access is Access.READ, result.reasons
        assert DEFAULT.classify(tool(name, description, {"prompt": {"type": "string"}})).access is Access.READ
