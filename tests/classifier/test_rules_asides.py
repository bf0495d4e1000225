"""Text about something other than the tool's own actions: clauses that send the reader to another
tool, statements a query console refuses, blocks that describe the output or list related tools,
other tools named as where output goes; and tools that call themselves destructive or read-only
consoles (the shapes the thirteenth blind set showed)."""

from __future__ import annotations

import pytest

from catalog.records import Access
from classifier.evidence import clauses, pointed_tool, refused
from tests.classifier.test_rules import CLASSIFIER, access_of, listed
from tests.classifier.test_rules import evidence_reasons as reasons

LEXICON = CLASSIFIER.lexicon


# --- clauses about another tool ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "tool_name"),
    [
        ("Use ``router_cli_admin`` for remove/reset/reboot commands", "router_cli_admin"),
        ("Use `listItems` for reads", "listItems"),
        ("To erase tiles, use tile_edit instead", "tile_edit"),
        ("Call this tool when the build is done", None),
        ("Use this tool to create, update or delete", None),  # no other tool named
        ("Use the filter to narrow, sort or page results", None),
    ],
)
def test_pointed_tool_names_the_other_tool(clause: str, tool_name: str | None) -> None:
    assert pointed_tool(clause) == tool_name


def test_a_wrapped_line_does_not_end_a_clause_but_a_new_line_of_its_own_does() -> None:
    wrapped = "Use ``api_get`` for GET and ``api_set`` for non-destructive\nwrites (POST/PUT)."
    assert len(clauses(wrapped)) == 1
    assert clauses("Reads a row; use drop_row to delete it\n- second line") == [
        "Reads a row",
        "use drop_row to delete it",
        "- second line",
    ]


@pytest.mark.parametrize(
    ("description", "counted"),
    [
        # The list names what the tools it points to do.
        ("Reads cells. To paint, erase, or clear tiles, use tile_edit instead.", False),
        ("Read-only console. Use ``cli_write`` for edits or ``cli_admin`` for remove/reset/reboot.", False),
        ("Use `api_get` for GET and `api_change` for non-destructive\nwrites (POST/PUT/PATCH).", False),
        # The same list about this tool counts.
        ("Paints, erases or clears tiles in the open level.", True),
        # A parameter of the tool is not another tool: its clause describes this tool.
        ("Use dry_run when you create, update or delete records.", True),
    ],
)
def test_a_list_in_a_clause_about_another_tool_does_not_count(description: str, counted: bool) -> None:
    assert bool(listed(description, {"dry_run": {"type": "boolean"}})) is counted


@pytest.mark.parametrize(
    ("description", "mentioned"),
    [
        ("Reads the scene. For deleting nodes, use scene_edit.", False),
        ("Reads the scene. Use scene_edit to delete nodes.", False),
        ("Reads the scene, then deletes the nodes it marks.", True),
        ("Reads the scene. Use purge_all to delete nodes.", True),  # purge_all is a parameter here
    ],
)
def test_a_destructive_mention_about_another_tool_does_not_count(description: str, mentioned: bool) -> None:
    found = [
        reason
        for reason in reasons("scene_nodes", description, {"purge_all": {"type": "boolean"}})
        if reason.startswith("description mentions 'delet")
    ]
    assert bool(found) is mentioned


# --- statements a console refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "is_refused"),
    [
        ("rejects non-select statements", "", True),
        ("blocks write queries such as", "", True),
        ("statements that", "and commit are rejected", True),
        ("drop and", "are not allowed here", True),
        # A refusal word about something else, or a state after the list, refuses nothing.
        ("blocks a user and", "all their posts", False),
        ("creates non-empty folders or", "them", False),
        ("create or", "records whose names are unique", False),
    ],
)
def test_refused_words(before: str, after: str, is_refused: bool) -> None:
    assert refused(before.split(), after.split()) is is_refused


@pytest.mark.parametrize(
    ("description", "counted"),
    [
        ("Runs one SELECT. Rejects non-SELECT statements (INSERT/UPDATE/DELETE/DROP).", False),
        (
            "Rejects non-SELECT statements (INSERT/UPDATE), multi-statements, transaction "
            "control (BEGIN/COMMIT/ROLLBACK) and comments.",
            False,
        ),
        ("Runs one query. INSERT, UPDATE or DELETE statements are rejected.", False),
        # Contrasts: a refusal word inside the list, or a list that is offered.
        ("Blocks, unblocks or deletes users.", True),
        ("Inserts, updates or deletes rows of a table.", True),
    ],
)
def test_a_list_of_refused_statements_is_not_offered(description: str, counted: bool) -> None:
    assert bool(listed(description)) is counted


def test_a_refused_statement_is_no_destructive_mention_but_a_plain_one_is() -> None:
    refusing = reasons("run_select", "Runs one SELECT. Statements that DELETE or DROP are rejected.")
    plain = reasons("user_block", "Blocks a user and deletes all their posts.")
    assert not [reason for reason in refusing if reason.startswith("description mentions")]
    assert "description mentions 'deletes' → destructive" in plain


# --- output and related-tools blocks; other tools as where output goes ---------------------------


@pytest.mark.parametrize(
    ("description", "counted"),
    [
        (
            "Summarises a document's layout.\n\nWHAT THE OUTPUT SHOWS:\n- empty_paragraphs: count\n"
            "- deleted_ranges: ranges removed by tracked changes\n- tables: positions",
            False,
        ),
        (
            "Browses the skill catalog.\n\nRELATED TOOLS:\n- manage_skill: create, update or delete a skill\n"
            "- attach_skill: attach one to an agent",
            False,
        ),
        ("Lists rows.\n\nReturns:\n    rows, or an error when create/delete failed", False),
        # An actions block after the aside (past a blank line) is read as always.
        (
            "Manages skills.\n\nRelated tools:\n- list_skills: read them\n\nActions:\n"
            "- create: add a skill\n- delete: remove a skill",
            True,
        ),
    ],
)
def test_output_and_related_tool_blocks_are_not_offered_actions(description: str, counted: bool) -> None:
    found = listed(description)
    assert bool(found) is counted
    if counted:
        assert "'delete' → destructive" in found[0]


@pytest.mark.parametrize(
    ("description", "counted"),
    [
        ("Reads a document. Offsets can be passed to format_text or delete_text.", False),
        ("Reads a document; its ids work with insert_row, delete_row and move_row.", False),
        ("Formats or deletes the text of a range.", True),
    ],
)
def test_tools_named_as_where_output_goes_are_not_offered(description: str, counted: bool) -> None:
    assert bool(listed(description)) is counted


# --- what a tool says of itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "says"),
    [
        ("Destructive RouterOS REST API call (DELETE).", "a destructive operation"),
        ("This is a destructive operation and cannot be undone.", "a destructive operation"),
        ("DESTRUCTIVE: wipes every cached page.", "Destructive (its first word)"),
        ("Performs a non-destructive API call.", None),
        ("This is not a destructive operation.", None),
        ("Marks destructive tools in the list it returns.", None),
    ],
)
def test_a_tool_that_calls_itself_destructive(description: str, says: str | None) -> None:
    phrases = [reason for reason in reasons("router_call", description) if "destructive" in reason.split("→")[0].lower()]
    phrases = [reason for reason in phrases if reason.startswith("description says")]
    if says is None:
        assert phrases == []
    else:
        assert f"description says '{says}' → destructive" in phrases


@pytest.mark.parametrize(
    ("name", "description", "access"),
    [
        # Read-only consoles: bounded, so the query or command parameter is outvoted.
        (
            "mysql_database_query",
            "Executes a safe, read-only SQL SELECT query against a database. Rejects non-SELECT "
            "statements (INSERT/UPDATE/DELETE/DROP), transaction control (BEGIN/COMMIT/ROLLBACK) and "
            "other destructive keywords.",
            Access.READ,
        ),
        (
            "router_ssh_read",
            "Read-only RouterOS CLI command via SSH.\n\nAllowed verbs: print, get, find, export.\n"
            "Use ``router_ssh`` for write commands or ``router_ssh_destructive`` for\n"
            "remove/reset/reboot/shutdown.",
            Access.READ,
        ),
        # The same console without the read-only claim runs whatever it is given.
        ("mysql_database_query", "Executes a SQL query against a database.", Access.DESTRUCTIVE),
        # A read-only MODE is the server's setting: the tool still runs any query.
        (
            "run_query",
            "Runs a SQL query. When the server starts in read-only mode, writes fail.",
            Access.DESTRUCTIVE,
        ),
        (
            "router_api_destructive",
            "Destructive RouterOS REST API call (DELETE).\n\nUse ``router_api_read`` for GET and "
            "``router_api`` for non-destructive writes (POST/PUT/PATCH).",
            Access.DESTRUCTIVE,
        ),
    ],
)
def test_consoles_and_calls_get_their_labels(name: str, description: str, access: Access) -> None:
    params = {"query": {}, "command": {}} if name != "router_api_destructive" else {"path": {}}
    assert access_of(name, description, params) is access


def test_the_read_only_console_phrase_needs_a_query_or_command() -> None:
    says = "description says 'runs read-only queries or commands' → read"
    assert says in reasons("run_query", "Runs a read-only Cypher query.", {"query": {"type": "string"}})
    assert says not in reasons("run_query", "Runs a query; read-only mode blocks writes.", {"query": {}})
