"""Listed actions written as identifiers read like tool names; later sentences' verbs are bounded."""

from __future__ import annotations

import pytest

from catalog.records import Access, Capability
from classifier.evidence import LATER_VERBS_PER_CLASS, text_evidence
from classifier.evidence_choices import choice_evidence
from tests.classifier.test_rules import CLASSIFIER, tool

LEXICON = CLASSIFIER.lexicon


def listed(reasons: tuple[str, ...]) -> list[str]:
    return [reason for reason in reasons if "lists actions" in reason]


@pytest.mark.parametrize(
    ("description", "worst"),
    [
        # Bullets under a header: the removal names what it removes.
        (
            "Manage plugins.\n\nPLUGINS:\n- list_plugins: List installed plugins\n"
            "- add_plugin: Install a plugin\n- remove_plugin: Uninstall a plugin",
            "remove plugin",
        ),
        # Lines under an "Actions:" header.
        ("Manage scene lights.\nActions:\n  create_light (name)\n  remove_light (name)\n", "remove light"),
        # Prose lines that offer identifiers as actions read each one whole: a labelled line ...
        (
            "Controls the editor. Read-only actions: status. Modifying actions: play, stop, add_tag, remove_tag.",
            "remove tag",
        ),
        # ... a capitals label over identifiers ...
        ("Physics tools.\nJOINTS: add_joint, configure_joint, remove_joint", "remove joint"),
        # ... and a bullet of nothing but identifiers, object first.
        ("Rendering volumes.\n- volume_create, volume_set_effect, volume_remove_effect", "volume remove effect"),
    ],
)
def test_an_identifier_that_removes_counts_as_a_removal(description: str, worst: str) -> None:
    features = CLASSIFIER.features(tool("manage_things", description, {"action": {"type": "string"}}))
    evidence, _ = choice_evidence(features, LEXICON)
    assert [(item.access, item.reason.rsplit(": ", 1)[1]) for item in evidence] == [
        (Access.DESTRUCTIVE, f"'{worst}' → destructive")
    ]


def test_an_action_parameter_naming_identifiers_counts_their_removal() -> None:
    # camelCase values in an action parameter's text are identifiers too.
    params = {"action": {"type": "string", "description": 'One of "listKeys", "addKey" or "removeKey".'}}
    features = CLASSIFIER.features(tool("manage_keys", "Manage signing keys.", params))
    evidence, actions = choice_evidence(features, LEXICON)
    assert actions == ["list", "add", "remove key"]
    assert [item.access for item in evidence] == [Access.DESTRUCTIVE]


def test_identifiers_in_prose_stay_plain_words() -> None:
    # Prose names parameters as identifiers too: `remove_label_ids` is not an action offered.
    description = "Add or remove labels on messages, using add_label_ids and remove_label_ids."
    features = CLASSIFIER.features(tool("batch_modify_labels", description))
    evidence, actions = choice_evidence(features, LEXICON)
    assert all(item.access is not Access.DESTRUCTIVE for item in evidence)
    assert not any(action.startswith("remove") for action in actions)


def test_removal_in_prose_lists_still_reads_as_a_detach() -> None:
    # "add or remove labels" edits a message: the plain word is not counted, as before.
    features = CLASSIFIER.features(tool("modify_message", "Add or remove labels, and mark messages read."))
    evidence, actions = choice_evidence(features, LEXICON)
    assert all(item.access is not Access.DESTRUCTIVE for item in evidence)
    assert "remove" not in actions


def test_a_name_pattern_in_a_listed_identifier_speaks_for_the_whole() -> None:
    description = (
        "Bridge to a running editor.\n\nActions:\n- status: is the editor reachable.\n"
        "- scene_info: read the scene.\n- import_model: import a model.\n"
        "- run_python(code): execute Python inside the editor.\n"
    )
    features = CLASSIFIER.features(tool("editor_bridge", description, {"action": {"type": "string"}}))
    evidence, actions = choice_evidence(features, LEXICON)
    assert "run python" in actions
    (found,) = evidence
    assert found.access is Access.DESTRUCTIVE
    assert Capability.EXECUTES_CODE in found.capabilities
    assert found.reason.endswith("'run python' → destructive, executes-code")


def test_identifiers_that_only_read_or_write_keep_their_first_verb() -> None:
    features = CLASSIFIER.features(
        tool("manage_sprites", "Actions: get_sprite_info, create_sprite, set_sprite_color.", {"action": {}})
    )
    evidence, actions = choice_evidence(features, LEXICON)
    assert actions == ["get", "create", "set"]
    assert [item.access for item in evidence] == [Access.WRITE]


def test_later_sentences_count_each_verb_once_and_a_few_per_class() -> None:
    lines = [
        "- set_color: Set the colour.",
        "- set_size: Set the size.",
        "- set_name: Set the name.",
        "- move_item: Move it.",
        "- copy_item: Copy it.",
        "- merge_items: Merge two.",
        "- split_item: Split one.",
    ]
    description = "Edit shapes in the open document.\n" + "\n".join(lines)
    features = CLASSIFIER.features(tool("shape_editor", description))
    evidence, actions = text_evidence(features, LEXICON)
    verbs = [item.reason for item in evidence if item.reason.startswith("description verb")]
    # The first sentence's verb always counts; later ones once each, at most this many per class.
    assert verbs[0] == "description verb 'edit' → write"
    later = verbs[1:]
    assert len(later) == LATER_VERBS_PER_CLASS == 3
    assert later == ["description verb 'set' → write", "description verb 'move' → write", "description verb 'copy' → write"]
    assert actions == ["edit"]


def test_a_long_list_of_edits_no_longer_outweighs_the_one_destructive_action_it_lists() -> None:
    lines = [f"- {verb}_faces: {verb.capitalize()} faces." for verb in ("extrude", "bevel", "subdivide", "merge", "flip")]
    lines += ["- delete_faces: Delete faces.", "- set_face_color: Set the colour.", "- move_vertices: Move them."]
    description = "Edit meshes of the open model.\n\nMESH EDITING:\n" + "\n".join(lines)
    result = CLASSIFIER.classify(tool("mesh_tools", description, {"action": {"type": "string"}}))
    assert result.access is Access.DESTRUCTIVE, result.reasons
    assert any("'delete' → destructive" in reason for reason in listed(result.reasons))


def test_a_bulleted_field_is_not_read_as_an_object_first_action() -> None:
    # `userCount:` and `release:` are search fields; `userCount` is not "count" (a read verb),
    # so no list of two actions appears.
    description = "Search issues.\nSyntax:\n- release:latest\n- userCount:>100\n- level:error"
    features = CLASSIFIER.features(tool("search_issues", description, {"query": {"type": "string"}}))
    evidence, actions = choice_evidence(features, LEXICON)
    assert evidence == []
    assert actions == []
