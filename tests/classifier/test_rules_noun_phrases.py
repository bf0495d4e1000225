"""Nouns that look like actions: compound nouns in names, noun phrases in lists, adverbs before verbs,
and cloud operations whose mild verb hides an irreversible effect."""

from __future__ import annotations

import pytest

from catalog.records import Access, Capability
from classifier.evidence import text_evidence
from tests.classifier.test_rules import CLASSIFIER, access_of, listed, tool

LEXICON = CLASSIFIER.lexicon


def name_reasons(name: str) -> list[str]:
    evidence, _ = CLASSIFIER.access_evidence(CLASSIFIER.features(tool(name)))
    return [item.reason for item in evidence if item.reason.startswith("name ")]


@pytest.mark.parametrize(
    "name",
    [
        "web_data_apple_app_store",
        "google_play_store",
        "openai_vector_store",
        "stack_change_set",
        "kube_config_map",
    ],
)
def test_a_compound_noun_ending_a_name_is_not_its_action(name: str) -> None:
    assert name_reasons(name) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        # The same words as an action: the verb starts the name or follows another word.
        ("store_document", "name verb 'store' → write"),
        ("note_store", "name verb 'store' → write"),
        ("app_store_submit", "name verb 'submit' → write"),
        ("set_data", "name verb 'set' → write"),
    ],
)
def test_the_same_word_outside_a_compound_noun_is_still_an_action(name: str, reason: str) -> None:
    assert name_reasons(name) == [reason]


@pytest.mark.parametrize(
    "description",
    [
        "Restore a droplet from a backup/snapshot",  # a one-letter article counts too
        "Requires a valid Reddit post or comment thread URL.",
        "Shows the backup/snapshot schedule of the volume.",
    ],
)
def test_a_noun_phrase_after_an_article_is_not_a_list_of_actions(description: str) -> None:
    assert listed(description) == []


@pytest.mark.parametrize(
    ("description", "reason"),
    [
        # Lists that do offer actions: at the start, after a comma, or named as operations.
        (
            "Create, update or delete a contact.",
            "the description lists actions (create, update, delete): 'delete' → destructive",
        ),
        (
            "Create a ticket, update or delete it.",
            "the description lists actions (update, delete): 'delete' → destructive",
        ),
        (
            "Supports the create, update and delete operations.",
            "the description lists actions (create, update, delete): 'delete' → destructive",
        ),
    ],
)
def test_lists_of_actions_still_count(description: str, reason: str) -> None:
    assert listed(description) == [reason]


@pytest.mark.parametrize(
    ("description", "verb"),
    [
        ("Quickly read structured data about a product page.", "read"),
        ("Permanently deletes the bucket and every object in it.", "delete"),
        ("Recursively lists the files under a folder.", "list"),
    ],
)
def test_a_leading_adverb_is_skipped_to_its_verb(description: str, verb: str) -> None:
    assert lead_actions(description) == [verb]


def test_a_verb_ending_in_ly_is_not_skipped_as_an_adverb() -> None:
    assert lead_actions("Apply the migration plan.") == ["apply"]
    assert lead_actions("Only the owner may see this.") == []


def lead_actions(description: str) -> list[str]:
    return text_evidence(CLASSIFIER.features(tool("some_tool", description)), LEXICON)[1]


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("rebuild_droplet", "Rebuild a droplet from an image"),
        ("rebuild_server", "Rebuilds the server with the chosen image."),
        ("restore_droplet", "Restore a droplet from a backup/snapshot"),
        ("reserved_ip_release", "Release a reserved IPv4 or IPv6"),
        ("release_elastic_ip", "Releases an elastic IP address back to the pool."),
        ("release_phone_number", "Releases a number back to the carrier."),
        ("registry_garbage_collection_start", "Start a garbage collection to free up storage"),
        ("recycle_nodes", "Recycle specific nodes in a node pool"),
        ("batch_execute", "Executes multiple commands in a single batch."),
        ("execute_menu_item", "Execute an editor menu item by path."),
    ],
)
def test_cloud_and_editor_operations_that_cannot_be_undone_are_destructive(
    name: str, description: str
) -> None:
    assert access_of(name, description) is Access.DESTRUCTIVE


@pytest.mark.parametrize(
    ("name", "description", "access"),
    [
        (
            "restore_to_new_instance",
            "Restores a backup into a new instance, leaving the original untouched.",
            Access.WRITE,
        ),
        ("release_lock", "Releases the lock held on a resource.", Access.WRITE),
        ("garbage_collection_get", "Get a garbage collection of a registry.", Access.READ),
        ("rebuild_index", "Rebuilds the search index.", Access.WRITE),
        ("list_menu_items", "Lists the editor's menu items.", Access.READ),
    ],
)
def test_their_neighbours_keep_their_access(name: str, description: str, access: Access) -> None:
    assert access_of(name, description) is access


@pytest.mark.parametrize(
    "description",
    [
        "Lists the rules of a folder. Each rule has conditions and actions (moveToFolder, forwardTo, delete, etc.).",
        "Gets the filters. The result includes for each filter its actions (archive, forward or delete).",
        "Reads the policies. Every policy in the list has effects (allow, deny, delete).",
    ],
)
def test_a_list_in_a_sentence_about_the_output_names_fields_not_actions(description: str) -> None:
    assert listed(description) == []
    assert access_of("list_rules", description) is Access.READ


def test_a_list_of_offered_actions_after_an_output_sentence_still_counts() -> None:
    description = "Manage rules. Each rule has a name. Create, update or delete a rule."
    assert listed(description) == [
        "the description lists actions (create, update, delete): 'delete' → destructive"
    ]


@pytest.mark.parametrize(
    "description",
    [
        "Combine up to 20 requests in one call. Body: { requests: [{ method: 'GET'|'POST'|'PATCH'|'DELETE', url }] }.",
        "Calls the API with any of GET, POST, PUT and DELETE.",
    ],
)
def test_a_request_tool_taking_the_delete_method_is_destructive(description: str) -> None:
    assert access_of("api_batch", description) is Access.DESTRUCTIVE


def test_a_description_naming_fewer_methods_is_not_a_method_list() -> None:
    assert access_of("get_endpoint", "Gets one endpoint: its path and whether it accepts POST.") is Access.READ


@pytest.mark.parametrize(
    ("name", "access"),
    [
        ("format_excel_range_fill", Access.WRITE),
        ("format_cells", Access.WRITE),
        ("format_range", Access.WRITE),
        ("format_cell_value", Access.READ),
        ("format_timestamp", Access.READ),
    ],
)
def test_formatting_stored_cells_is_a_write_and_formatting_a_value_a_read(name: str, access: Access) -> None:
    assert access_of(name, "Formats it.") is access


@pytest.mark.parametrize(
    ("name", "personal"),
    [
        # A spreadsheet's `address` is a cell range ...
        ("format_excel_range", False),
        ("get_sheet_range", False),
        # ... a contact's is where a person lives.
        ("update_contact", True),
        ("create_shipment", True),
    ],
)
def test_an_address_parameter_is_personal_data_except_on_spreadsheet_tools(name: str, personal: bool) -> None:
    classification = CLASSIFIER.classify(tool(name, "Updates it.", {"address": {"type": "string"}}))
    assert (Capability.PERSONAL_DATA in classification.capabilities) is personal
