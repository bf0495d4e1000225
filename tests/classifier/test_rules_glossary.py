"""Descriptions in Chinese, Japanese and Korean, read through the glossary, and the shapes the ninth
blind set showed: actions offered as `action=...` in prose, uses listed after "useful for",
password resets, restores over current data, signals, generic API callers, overwritten backups."""

from __future__ import annotations

import pytest

from catalog.records import Access, Capability
from classifier.evidence import NEGATORS
from classifier.evidence_choices import choice_evidence
from classifier.features import text_words
from tests.classifier.test_rules import CLASSIFIER, access_of, listed, tool

LEXICON = CLASSIFIER.lexicon
GLOSSARY = LEXICON.glossary


# --- the glossary itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Delete a file.", "Löscht eine Datei — für immer.", "Emoji 🚀 and “quotes”", ""],
)
def test_text_without_cjk_is_returned_as_it_is(text: str) -> None:
    assert GLOSSARY.translate(text) is text


@pytest.mark.parametrize(
    ("text", "english"),
    [
        # A list of actions, each with its object: the objects go, the list stays.
        ("支持上传文件、下载文件、删除文件。", "~ upload , download , delete ."),
        # Verbs joined by a conjunction; the object after the last one goes.
        ("创建、更新和删除远端 Agent。", "create , update and delete ."),
        # A verb used as a noun inside the object of the verb before it is part of that object.
        ("获取部署记录", "get"),
        # A one-character negation belongs to the verb right after it, and only to a verb.
        ("不删除任何数据", "not delete"),
        ("不同的环境", "~"),
        # Qualifiers are kept, and no object follows them.
        ("查询数据（只读操作）", "query ( read-only ~)"),
        ("删除后无法恢复", "delete cannot be recovered"),
        # Plain English words after a verb are its object; identifiers and assignments stay.
        ("销毁 MySQL 实例，设置force=true", "destroy , set force=true"),
        ("删除 Storages[0].CdnDomain 的值", "delete Storages[0].CdnDomain ~"),
        # Japanese and Korean.
        ("指定したレコードを削除します。", "~ delete ."),
        ("원격 브랜치를 삭제합니다.", "~ ~ delete ."),
    ],
)
def test_translation_reads_the_actions_of_a_cjk_text(text: str, english: str) -> None:
    assert GLOSSARY.translate(text) == english


def test_every_glossary_english_word_is_one_the_lexicons_read() -> None:
    """A glossary entry whose English no lexicon knows would translate into nothing."""
    phrase_words = {"read-only", "irreversible", "unrecoverable", "be", "recovered", "undone"}
    phrase_words |= {"destructive", "operation", "permanently", "returns", "includes", "will", "do"}
    phrase_words |= {"force-push", "deleted"}  # "will be deleted" (phrases.toml)
    known = set(LEXICON.inflections) | NEGATORS | phrase_words
    tables = (
        GLOSSARY.verbs,
        GLOSSARY.phrases,
        GLOSSARY.negation_prefixes,
        GLOSSARY.conjunctions,
        GLOSSARY.russian.words,
        GLOSSARY.russian.stems,
    )
    unknown = {
        (term, word)
        for table in tables
        for term, english in table.items()
        for word in text_words(english)
        if word not in known and word not in ("and", "or")
    }
    assert unknown == set()
    # Every verb maps to a verb of the verbs lexicon, so it is read as an action.
    assert all(
        text_words(english)[-1] in LEXICON.inflections for english in GLOSSARY.verbs.values()
    )
    # Every Russian beginning is a verb, or one of the qualifiers the phrases read.
    qualifiers = {"irreversible", "permanently"}
    assert all(
        english in LEXICON.inflections or english in qualifiers
        for english in GLOSSARY.russian.stems.values()
    )


# --- verdicts on CJK descriptions ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "description", "access"),
    [
        ("manageAgents", "Agent 统一写入口。支持创建、更新和删除远端 Agent。", Access.DESTRUCTIVE),
        (
            "manageFiles",
            "管理云存储文件：支持上传文件、下载文件、删除文件等操作。",
            Access.DESTRUCTIVE,
        ),
        ("manageModel", "数据模型查询工具，支持查询和列出数据模型（只读操作）。", Access.READ),
        ("queryLogs", "查询云函数的运行日志，不会修改任何数据。", Access.READ),
        ("uploadFile", "上传本地文件到存储桶。", Access.WRITE),
        (
            "removeRecord",
            "指定したレコードを削除します。この操作は元に戻せません。",
            Access.DESTRUCTIVE,
        ),
        ("createIssue", "새 이슈를 생성합니다.", Access.WRITE),
    ],
)
def test_cjk_descriptions_give_the_english_verdict(
    name: str, description: str, access: Access
) -> None:
    assert access_of(name, description) is access


def test_a_cjk_list_gives_the_same_evidence_as_its_english_equivalent() -> None:
    assert listed("支持创建、更新和删除远端 Agent。") == listed(
        "Supports create, update and delete."
    )
    assert listed("支持创建、更新和删除远端 Agent。") != []


def test_a_negated_cjk_delete_is_no_destructive_mention() -> None:
    evidence, _ = CLASSIFIER.access_evidence(
        CLASSIFIER.features(tool("syncData", "同步数据，不会删除任何文件。"))
    )
    assert not any(item.access is Access.DESTRUCTIVE for item in evidence)
    evidence, _ = CLASSIFIER.access_evidence(
        CLASSIFIER.features(tool("syncData", "同步数据，并删除多余的文件。"))
    )
    assert any(item.access is Access.DESTRUCTIVE for item in evidence)


def test_a_cjk_title_is_translated_too() -> None:
    record = tool("cleanup", "")
    record = record.model_copy(update={"title": "删除全部缓存"})
    assert CLASSIFIER.features(record).title == "delete"


# --- actions offered as assignments in prose -----------------------------------------------


def test_action_assignments_in_prose_are_a_list_of_the_actions_offered() -> None:
    description = (
        "Manages hosting. action=upload sends files; action=delete removes files (confirm=true)."
    )
    assert listed(description) == [
        "the description lists actions (upload, delete): 'delete' → destructive"
    ]
    assert access_of("manageHosting", description) is Access.DESTRUCTIVE
    assert listed('Use operation: "archive" or operation: "read".') != []


@pytest.mark.parametrize(
    "description",
    [
        # Another tool's actions, shown as a call: this tool offers neither.
        'Generates code. To list or remove triggers use `manage_trigger` (action="list" / action="delete").',
        'Read-only. For ACLs use managePermissions(action="updatePermission") or queryPermissions(action="get").',
    ],
)
def test_assignments_inside_a_written_out_call_offer_nothing(description: str) -> None:
    assert listed(description) == []


def test_uses_listed_after_useful_for_are_not_actions() -> None:
    assert listed("Useful for system recovery, undoing changes, or testing.") == []
    assert listed("It supports undoing changes, or testing.") != []  # without the purpose words
    assert listed("Create, update or delete a webhook.") != []


# --- the ninth set's shapes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "description", "access"),
    [
        # Password set, changed or reset over the one in use.
        (
            "VPS_setRootPasswordV1",
            "Set root password for a specified virtual machine.",
            Access.DESTRUCTIVE,
        ),
        ("set_server_root_password", "Sets a new root password on a server.", Access.DESTRUCTIVE),
        ("change_db_user_password", "Changes a database user's password.", Access.DESTRUCTIVE),
        ("reset-droplet-password", "Reset password for a droplet", Access.DESTRUCTIVE),
        # ... but a reset link, a policy or a generator is not.
        ("send_password_reset_link", "Emails a link to choose a new password.", Access.WRITE),
        (
            "update_password_policy",
            "Changes the minimum password length for the account.",
            Access.WRITE,
        ),
        ("generate_password", "Generates a random password. Nothing is stored.", Access.READ),
        # Restores over current data, and into something new.
        (
            "VPS_restoreBackupV1",
            "Restore a backup for a specified virtual machine.",
            Access.DESTRUCTIVE,
        ),
        ("restore_snapshot", "Reverts the disk to a snapshot.", Access.DESTRUCTIVE),
        ("restore_backup_to_new_server", "Creates a new server from a backup.", Access.WRITE),
        ("restic_restore", "Restores a snapshot into a target directory.", Access.WRITE),
        ("create_restore", "Create a restore from a backup.", Access.WRITE),
        # Signals and generic API callers.
        (
            "signal-process",
            "Send a signal (INT, TERM, KILL) to a remote process by PID.",
            Access.DESTRUCTIVE,
        ),
        ("send_signal", "Sends a signal to a job.", Access.DESTRUCTIVE),
        ("callCloudApi", "Generic cloud API caller.", Access.DESTRUCTIVE),
        ("api_request", "Make an authenticated request to the API.", Access.DESTRUCTIVE),
        ("api_get_json", "Performs a GET on an API path and returns the parsed JSON.", Access.READ),
    ],
)
def test_ninth_set_shapes(name: str, description: str, access: Access) -> None:
    assert access_of(name, description) is access


def test_a_password_reset_is_about_secrets() -> None:
    verdict = CLASSIFIER.classify(tool("set_root_password", "Sets the root password."))
    assert Capability.SECRETS in verdict.capabilities


@pytest.mark.parametrize(
    ("description", "access"),
    [
        (
            "Create a snapshot of a machine. **Creating a new snapshot will overwrite the existing snapshot!**",
            Access.DESTRUCTIVE,
        ),
        ("Create a snapshot of a machine. Older snapshots are kept.", Access.WRITE),
        (
            "Restore a backup. All data on the virtual machine will be overwritten with the backup.",
            Access.DESTRUCTIVE,
        ),
    ],
)
def test_text_that_says_a_backup_or_data_is_overwritten(description: str, access: Access) -> None:
    assert (
        access_of(
            "VPS_createSnapshotV1" if "snapshot" in description else "apply_backup", description
        )
        is access
    )


# --- the tenth set's shapes (fixed after its blind measurement) ----------------------------


@pytest.mark.parametrize(
    ("name", "description", "params", "access"),
    [
        # A tool that says of itself that it is destructive; "non-destructive" is no evidence.
        (
            "release_device",
            "Release a reserved device. Releasing is destructive to the device's state.",
            None,
            Access.DESTRUCTIVE,
        ),
        (
            "release_device",
            "Release a reserved device. This is non-destructive.",
            None,
            Access.WRITE,
        ),
        # A batch of the server's own tools, by name or by text.
        ("device_batch_commands", "Run steps in one call.", None, Access.DESTRUCTIVE),
        # A dispatcher over named abilities.
        (
            "invoke_ability",
            "Invoke a registered ability.",
            {"ability": {}, "args": {}},
            Access.DESTRUCTIVE,
        ),
        ("list_abilities", "List the registered abilities.", {"ability": {}}, Access.READ),
        # An update of a user that takes a password reaches a password reset; a create does not.
        (
            "update_user",
            "Update user information.",
            {"id": {}, "email": {}, "password": {}},
            Access.DESTRUCTIVE,
        ),
        ("update_user", "Update user information.", {"id": {}, "email": {}}, Access.WRITE),
        ("create_user", "Create a new user.", {"username": {}, "password": {}}, Access.WRITE),
    ],
)
def test_tenth_set_shapes(
    name: str, description: str, params: dict[str, object] | None, access: Access
) -> None:
    assert access_of(name, description, params) is access


@pytest.mark.parametrize(
    ("description", "says"),
    [
        ("Run multiple tools in sequence in a single call.", True),
        ("Chains any other tools the server has.", True),
        ("Runs the stored flow, e.g. click, type, click.", False),
        ("Lists multiple tools.", False),
    ],
)
def test_text_that_says_the_tool_runs_other_tools(description: str, says: bool) -> None:
    evidence, _ = CLASSIFIER.access_evidence(CLASSIFIER.features(tool("flow", description)))
    found = "description says 'runs other tools' → destructive" in [
        item.reason for item in evidence
    ]
    assert found is says


# --- the eleventh set's shapes (fixed after its blind measurement) -------------------------


def test_action_values_described_one_per_line_are_the_closed_set_of_choices() -> None:
    described = {
        "action": {"type": "string", "description": "set_cell: Set a cell\nclear: Clear all cells"}
    }
    evidence, _ = choice_evidence(
        CLASSIFIER.features(tool("grid_edit", "Edits a grid.", described)), LEXICON
    )
    assert [item.reason for item in evidence] == [
        "parameter 'action' lists actions (set, clear): 'clear' → destructive"
    ]
    assert access_of("grid_edit", "Edits a grid.", described) is Access.DESTRUCTIVE
    harmless = {"action": {"type": "string", "description": "pan: Move the view\nzoom: Zoom in"}}
    assert access_of("view_edit", "Moves the view.", harmless) is Access.WRITE


@pytest.mark.parametrize(
    ("description", "lists"),
    [
        ("After login, call get_health to verify.", False),
        ("Before deploy, run the checks.", False),
        ("Log in, call or deploy as needed.", True),
    ],
)
def test_a_verb_right_after_after_or_before_names_an_event(description: str, lists: bool) -> None:
    assert bool(listed(description)) is lists


def test_an_effect_stated_as_the_means_is_evidence() -> None:
    evidence, _ = CLASSIFIER.access_evidence(
        CLASSIFIER.features(tool("unsplit", "Unsplit a transaction by deleting its children."))
    )
    assert "description says 'works by deleting' → destructive" in [
        item.reason for item in evidence
    ]
    assert (
        access_of("unsplit", "Unsplit a transaction by deleting its children.")
        is Access.DESTRUCTIVE
    )


@pytest.mark.parametrize(
    ("description", "counted"),
    [
        # A clause that sends the reader to another tool describes that tool.
        ("Lists archived items. To delete them permanently, use purge_archive.", False),
        ("Lists archived items. Use purge_archive instead to permanently delete them.", False),
        # The same phrase about this tool counts, whatever other tool a clause names.
        ("Permanently deletes the archive; use list_archive to check it first.", True),
    ],
)
def test_a_phrase_in_a_clause_about_another_tool_does_not_count(
    description: str, counted: bool
) -> None:
    evidence, _ = CLASSIFIER.access_evidence(CLASSIFIER.features(tool("archive_tool", description)))
    reasons = [item.reason for item in evidence]
    assert ("description says 'permanently deletes' → destructive" in reasons) is counted


@pytest.mark.parametrize(
    ("name", "description", "reason"),
    [
        (
            "deleteFile",
            "Moves a file or folder to trash in Drive. Files can be restored within 30 days.",
            "description says 'moves it to the trash' → write",
        ),
        (
            "removeAttachment",
            "Remove an attachment from an existing draft.",
            "description says 'detaches an item from a container' → write",
        ),
    ],
)
def test_trash_and_attachment_detach_are_writes(name: str, description: str, reason: str) -> None:
    evidence, _ = CLASSIFIER.access_evidence(CLASSIFIER.features(tool(name, description)))
    assert reason in [item.reason for item in evidence]
    assert access_of(name, description) is Access.WRITE


@pytest.mark.parametrize(
    ("name", "description", "access"),
    [
        # Moving to the trash is the action, and it outvotes the "delete" in the name.
        ("deleteFile", "Moves a file or folder to trash in Drive.", Access.WRITE),
        ("deleteGmailMessage", "Move a Gmail message to trash.", Access.WRITE),
        # Items that "can still be restored" describe what is listed, not what the tool does.
        (
            "list_deleted_branches",
            "Branches deleted this week that can still be restored.",
            Access.READ,
        ),
        ("deleteFile", "Permanently deletes a file; it cannot be restored.", Access.DESTRUCTIVE),
    ],
)
def test_moving_to_the_trash_is_a_soft_delete(name: str, description: str, access: Access) -> None:
    assert access_of(name, description) is access


def test_a_huge_cjk_description_is_bounded_before_it_is_translated() -> None:
    from classifier.features import MAX_DESCRIPTION_CHARS

    features = CLASSIFIER.features(tool("cleanup", "删除文件，" * 200_000))
    assert len(features.description) <= MAX_DESCRIPTION_CHARS
    assert features.description.startswith("delete , delete")


# --- the twelfth set's shapes (fixed after its blind measurement) --------------------------


@pytest.mark.parametrize(
    ("name", "params", "access"),
    [
        # A bulk tool whose operation is any string the caller names reaches every operation.
        (
            "bulk_edit_documents",
            {"operation": {"type": "string"}, "ids": {"type": "array"}},
            Access.DESTRUCTIVE,
        ),
        ("batch_apply", {"op": {"type": "string"}}, Access.DESTRUCTIVE),
        # Listed operations, or no operation parameter, are read as they are.
        (
            "bulk_set_status",
            {"operation": {"type": "string", "enum": ["mark_paid", "mark_sent"]}},
            Access.WRITE,
        ),
        ("bulk_update_objects", {"data": {"type": "array"}}, Access.WRITE),
        ("edit_documents", {"operation": {"type": "string"}}, Access.WRITE),
    ],
)
def test_a_bulk_tool_with_an_unlisted_operation_is_destructive(
    name: str, params: dict[str, object], access: Access
) -> None:
    assert access_of(name, "Apply an operation to a set of items.", params) is access


@pytest.mark.parametrize(
    ("description", "access"),
    [
        ("Imports SQL file into a MySQL database.", Access.DESTRUCTIVE),
        ("Loads a SQL dump file into the database.", Access.DESTRUCTIVE),
        ("Imports a CSV file into a table.", Access.WRITE),
    ],
)
def test_importing_a_sql_file_runs_what_it_holds(description: str, access: Access) -> None:
    assert access_of("db_import", description, {"path": {}}) is access


@pytest.mark.parametrize(
    ("name", "access"),
    [
        ("erpnext_purchase_order_get", Access.READ),
        ("purchase_invoice_list", Access.READ),
        ("purchase_credits", Access.WRITE),
    ],
)
def test_a_purchase_order_is_a_thing_not_an_act(name: str, access: Access) -> None:
    assert access_of(name, "") is access
