"""Descriptions in Russian, read through the glossary's word beginnings; and the shapes the
fourteenth blind set showed: boolean flags that reach a deletion, text that calls the tool
destructive in a sentence of its own, rotations whose old credential stops working at once,
what a tool says will be deleted, and passwords on mailboxes and contacts."""

from __future__ import annotations

import pytest

from catalog.records import Access
from classifier.evidence import flag_evidence
from tests.classifier.test_rules import CLASSIFIER, access_of, tool
from tests.classifier.test_rules import evidence_reasons as reasons

LEXICON = CLASSIFIER.lexicon
RUSSIAN = LEXICON.glossary.russian


# --- Russian ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "english"),
    [
        # Inflected forms share a beginning: infinitive, third person, noun, imperative.
        ("Удалить сайт.", "delete ~."),
        ("Удаляет сайт.", "delete ~."),
        ("Удаление сайта.", "delete ~."),
        ("Уберите задачу.", "remove ~."),
        # A list of actions with a conjunction, as in English.
        ("Создать, изменить или удалить запись", "create, change or delete ~"),
        # A negation stays before its verb; a phrase is read whole.
        ("Не удаляет файлы, только для чтения.", "not delete ~, read-only."),
        ("Записи будут удалены.", "~ will be deleted."),
        # A noun that starts like a verb stays unknown: a snapshot is not a removal.
        ("Список снимков диска.", "list ~."),
        ("Создать задание.", "create ~."),
        # Case does not matter; unknown words in a row are one placeholder.
        ("ПОЛУЧИТЬ сведения об аккаунте", "get ~"),
    ],
)
def test_russian_words_are_read_by_their_beginnings(text: str, english: str) -> None:
    assert LEXICON.glossary.translate(text) == english


def test_text_in_latin_letters_is_untouched_and_mixed_text_keeps_its_latin() -> None:
    text = "Delete a site (DELETE /sites/{id})."
    assert LEXICON.glossary.translate(text) is text
    assert LEXICON.glossary.translate("Задать A-запись (IPv4) для FQDN.") == "set A-~ (IPv4) ~ FQDN."


@pytest.mark.parametrize(
    ("name", "description", "params", "access"),
    [
        ("site_remove", "Удаляет сайт вместе со всеми его файлами.", {}, Access.DESTRUCTIVE),
        ("mailbox_list", "Возвращает список почтовых ящиков домена.", {}, Access.READ),
        ("backups", "Показывает доступные резервные копии. Только для чтения.", {}, Access.READ),
        ("db_access", "Отзывает доступ пользователя к базе данных.", {}, Access.DESTRUCTIVE),
        ("files_in_dir", "Список файлов в каталоге; ничего не изменяет.", {}, Access.READ),
        ("domain_attach", "Регистрирует домен в аккаунте (без покупки).", {}, Access.WRITE),
        # The words of the name decide as usual; the Russian description adds to them.
        ("cron_toggle", "Переключить активность cron-задачи.", {}, Access.WRITE),
    ],
)
def test_russian_descriptions_give_the_english_verdict(
    name: str, description: str, params: dict[str, object], access: Access
) -> None:
    assert access_of(name, description, params) is access


def test_a_russian_list_gives_the_same_evidence_as_its_english_equivalent() -> None:
    russian = reasons("manage_records", "Создать, изменить или удалить запись.")
    english = reasons("manage_records", "Create, change or delete a record.")
    lists = "the description lists actions (create, change, delete): 'delete' → destructive"
    assert lists in russian
    assert lists in english


def test_a_long_hostile_russian_text_is_bounded() -> None:
    text = "удалить " * 200_000 + "и " * 10_000
    features = CLASSIFIER.features(tool("t", text))
    assert len(features.description) <= 4 * 4_000


# --- flags that reach a deletion -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {"prune": {"type": "boolean", "description": "Delete resources no longer in Git"}},
            "flag 'prune' says 'delete' → destructive",
        ),
        (
            {"force": {"type": "boolean", "description": "Purge permanently instead of trashing"}},
            "flag 'force' says 'purge' → destructive",
        ),
        # Not a flag, or a flag that trims a result or replaces a label: no evidence.
        ({"prune": {"type": "string", "description": "Delete resources matching this"}}, None),
        ({"dedupe": {"type": "boolean", "description": "Remove duplicate results"}}, None),
        ({"overwrite": {"type": "boolean", "description": "Overwrite existing labels"}}, None),
        ({"verbose": {"type": "boolean", "description": "Deleted items are shown too"}}, None),
    ],
)
def test_a_boolean_flag_that_deletes(params: dict[str, object], reason: str | None) -> None:
    found = [item.reason for item in flag_evidence(CLASSIFIER.features(tool("sync_app", "", params)), LEXICON)]
    assert found == ([reason] if reason else [])


def test_a_flag_counts_once_and_tips_a_sync_that_calls_itself_destructive() -> None:
    params = {
        "prune": {"type": "boolean", "description": "Delete resources no longer in Git"},
        "force": {"type": "boolean", "description": "Delete and recreate on conflict"},
    }
    found = flag_evidence(CLASSIFIER.features(tool("sync_app", "", params)), LEXICON)
    assert len(found) == 1
    assert access_of("sync_app", "Sync an application to Git.", params) is Access.WRITE
    text = "Sync an application. destructive because prune and force can delete resources."
    assert access_of("sync_app", text, params) is Access.DESTRUCTIVE


# --- phrases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "says"),
    [
        ("Delete an application. destructive.", "calls itself destructive"),
        ("destructive because prune can delete resources", "calls itself destructive"),
        ("Run an action: destructive", "calls itself destructive"),
        ("\n    DESTRUCTIVE. Drops the local table, then downloads it again.", "calls itself destructive"),
        ("Destructive RouterOS call (DELETE).", "Destructive (its first word)"),
        ("Changes the ones that are the most destructive.", None),
        ("Lists tools, marking the destructive ones.", None),
        ("A non-destructive dry run.", None),
        ("Issues a new key. The old key stops working immediately.", "the old credential stops working"),
        ("Rotates the token; old tokens are revoked.", "the old credential stops working"),
        ("Rotates the key; the old key keeps working for a day.", None),
        ("Snapshots, if there are any, will be deleted.", "says what will be deleted"),
        ("Resets the machine: the VM data will be lost.", "says what will be deleted"),
        ("This tool will be removed in version 2.", None),
        ("No data will be deleted.", None),
    ],
)
def test_destructive_phrases(description: str, says: str | None) -> None:
    phrases = [
        reason for reason in reasons("some_tool", description) if reason.startswith("description says")
    ]
    wanted = f"description says '{says}' → destructive"
    if says is None:
        assert not [reason for reason in phrases if reason.endswith("→ destructive")]
    else:
        assert wanted in phrases


def test_rotation_that_locks_out_the_old_key_is_destructive_and_one_with_grace_is_not() -> None:
    at_once = "Rotate a user's API keys. The old keys stop working immediately."
    grace = "Rotate a user's API keys. The old keys keep working for 24 hours."
    assert access_of("rotate_keys", at_once) is Access.DESTRUCTIVE
    assert access_of("rotate_keys", grace) is Access.WRITE


# --- passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "access"),
    [
        ("mail_change_password", {"mailbox": {}, "password": {}}, Access.DESTRUCTIVE),
        ("update_contact", {"contact": {}, "phone": {}, "password": {}}, Access.DESTRUCTIVE),
        ("update_contact", {"contact": {}, "phone": {}}, Access.WRITE),
        # A reset link sent by email replaces no password.
        ("send_password_reset_email", {"user": {}}, Access.WRITE),
        ("create_contact", {"name": {}, "password": {}}, Access.WRITE),
    ],
)
def test_passwords_of_mailboxes_and_contacts(
    name: str, params: dict[str, object], access: Access
) -> None:
    assert access_of(name, "", params) is access


# --- the fifteenth set's shapes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "access"),
    [
        # A name that starts with the noun "list" and ends with the action done to the list.
        ("list_create", Access.WRITE),
        ("list_delete", Access.DESTRUCTIVE),
        ("list_accounts_add", Access.WRITE),
        # A list of things, as ever: the last word is a noun, a form that is no base verb, or a
        # noun as often as a verb.
        ("list_trash", Access.READ),
        ("list_updates", Access.READ),
        ("list_deleted_items", Access.READ),
        ("list_run_logs", Access.READ),
        # "poll" can be the object too.
        ("poll_vote", Access.WRITE),
        ("poll_status", Access.READ),
    ],
)
def test_names_whose_first_word_is_the_object(name: str, access: Access) -> None:
    assert access_of(name, "") is access


@pytest.mark.parametrize(
    ("params", "access"),
    [
        # The verdict of the firewall rule being written, not the tool's action.
        ({"action": {"type": "string", "enum": ["accept", "drop", "reject"]}}, Access.WRITE),
        ({"action": {"type": "string", "description": 'Action — "accept", "drop", or "reject"'}}, Access.WRITE),
        # An action parameter that offers a drop among the tool's own actions still counts.
        ({"action": {"type": "string", "enum": ["create", "drop"]}}, Access.DESTRUCTIVE),
    ],
)
def test_the_verdicts_of_a_firewall_rule_are_not_the_tools_actions(
    params: dict[str, object], access: Access
) -> None:
    assert access_of("firewall_rule_manage", "Writes a firewall rule.", params) is access


@pytest.mark.parametrize(
    ("name", "description", "access"),
    [
        ("status_favourite", "Favourite (like) a status.", Access.WRITE),
        ("status_unbookmark", "Remove a bookmark from a status.", Access.WRITE),
        ("remove_from_watchlist", "Remove a symbol from the user's watchlist.", Access.WRITE),
        (
            "cleanup_candidates",
            "Suggest which artifacts could be deleted. READ-ONLY — never deletes anything.",
            Access.READ,
        ),
        ("cleanup_artifacts", "Deletes the artifacts nobody pulled.", Access.DESTRUCTIVE),
    ],
)
def test_social_actions_detaches_and_tools_that_change_nothing(
    name: str, description: str, access: Access
) -> None:
    assert access_of(name, description) is access
