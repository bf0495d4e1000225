"""The lexicon and risk data files: loading, validation, versioning and the risk table rows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from catalog.errors import ClassifierError
from catalog.paths import data_dir
from catalog.records import Access, Capability, Category, Risk
from classifier.lexicon import third_person
from classifier.risk import category_of, load_risk_table
from classifier.rules import RulesClassifier


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(data_dir() / "lexicons", target / "lexicons")
    shutil.copy(data_dir() / "risk.toml", target / "risk.toml")
    return target


@pytest.mark.parametrize(
    ("verb", "form"),
    [
        ("delete", "deletes"),
        ("fetch", "fetches"),
        ("query", "queries"),
        ("push", "pushes"),
        ("play", "plays"),
        ("do", "does"),
    ],
)
def test_third_person_forms(verb: str, form: str) -> None:
    assert third_person(verb) == form


def test_same_data_gives_the_same_version_and_a_data_change_a_new_one(tmp_path: Path) -> None:
    copied = copy_data(tmp_path)
    assert RulesClassifier.from_data(copied).version == RulesClassifier.from_data().version
    verbs = copied / "lexicons" / "verbs.toml"
    verbs.write_text(verbs.read_text(encoding="utf-8") + "\n# tuned\n", encoding="utf-8")
    changed = tmp_path / "changed"
    shutil.copytree(copied, changed)
    assert RulesClassifier.from_data(changed).version != RulesClassifier.from_data().version


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "lexicons/phrases.toml",
            "pattern = '\\bread[- ]only\\b'",
            "pattern = '(unclosed'",
            "bad regular expression",
        ),
        (
            "lexicons/verbs.toml",
            'access = "destructive"',
            'access = "explosive"',
            "unknown access 'explosive'",
        ),
        (
            "lexicons/verbs.toml",
            '"get", "list",',
            '"get", "get", "list",',
            "the verb 'get' is listed twice",
        ),
        (
            "lexicons/rules.toml",
            'capabilities = ["moves-money"]',
            'capabilities = ["teleports"]',
            "unknown capability",
        ),
        ("lexicons/patterns.toml", "[[pattern]]", "[[pattern", "cannot be read"),
        (
            "lexicons/verbs.toml",
            '"app store", "play store",',
            '"store", "play store",',
            "compound noun 'store' must have two or more words",
        ),
        (
            "lexicons/glossary.toml",
            '"删除" = "delete"',
            '"delete" = "delete"',
            "'delete' is plain ASCII; only foreign terms belong here",
        ),
        (
            "lexicons/glossary.toml",
            '"删除" = "delete"',
            '"删除" = 3',
            "[verbs]: '删除' must map to English text",
        ),
        (
            "lexicons/glossary.toml",
            '"删除" = "delete"',
            '"删除" = "删掉"',
            "[verbs]: '删除' must map to English text",
        ),
        (
            "lexicons/glossary.toml",
            '"返回" = "returns"',
            '"返回" = "returns"\n"删除" = "delete"',
            "'删除' is both a verb and a phrase",
        ),
        ("lexicons/glossary.toml", "[conjunctions]", "[joiners]", "[conjunctions] table is missing"),
        (
            "lexicons/glossary.toml",
            '"удал" = "delete"',
            '"Удал" = "delete"',
            "[russian_stems]: 'Удал' must be lowercase Cyrillic letters",
        ),
        (
            "lexicons/glossary.toml",
            '"удал" = "delete"',
            '"udal" = "delete"',
            "[russian_stems]: 'udal' must be lowercase Cyrillic letters",
        ),
        (
            "lexicons/glossary.toml",
            '"удал" = "delete"',
            '"удал" = "удалить"',
            "[russian_stems]: 'удал' must map to English text",
        ),
        (
            "lexicons/glossary.toml",
            "\n[russian_words]\n",
            "\n[russian]\n",
            "[russian_words] table is missing",
        ),
        (
            "lexicons/glossary.toml",
            "beginnings = [",
            "starts = [",
            "[russian_nouns] needs `beginnings`, a list of words",
        ),
        (
            "lexicons/rules.toml",
            'verbs = ["delete", "purge", "prune",',
            'verbs = ["obliterate-ish", "purge", "prune",',
            "[flag_params]: 'obliterate-ish' is not a verb in verbs.toml",
        ),
        ("lexicons/rules.toml", "[flag_params]", "[flags]", "[flag_params]"),
        ("risk.toml", 'Execute = "high"', 'Execute = "dire"', "unknown risk 'dire'"),
        ("risk.toml", 'Financial = "critical"', "", "[category] has no risk for 'Financial'"),
    ],
)
def test_bad_data_raises_a_classifier_error_naming_the_problem(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    directory = copy_data(tmp_path)
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ClassifierError, match=re.escape(message)):
        RulesClassifier.from_data(directory)


def test_missing_data_file_raises_a_classifier_error(tmp_path: Path) -> None:
    directory = copy_data(tmp_path)
    (directory / "lexicons" / "rules.toml").unlink()
    with pytest.raises(ClassifierError, match=r"rules\.toml is missing"):
        RulesClassifier.from_data(directory)


@pytest.mark.parametrize(
    ("access", "capabilities", "category"),
    [
        (Access.READ, (), Category.READ),
        (Access.DESTRUCTIVE, (Capability.FILESYSTEM,), Category.DESTRUCTIVE),
        (Access.DESTRUCTIVE, (Capability.EXECUTES_CODE,), Category.EXECUTE),
        (Access.WRITE, (Capability.EXECUTES_CODE, Capability.MOVES_MONEY), Category.FINANCIAL),
    ],
)
def test_category_prefers_money_then_code_then_access(
    access: Access, capabilities: tuple[Capability, ...], category: Category
) -> None:
    assert category_of(access, capabilities) == category


@pytest.mark.parametrize(
    ("access", "capabilities", "expected"),
    [
        (Access.READ, (), (Risk.LOW, "category Read → low (risk table)")),
        (Access.READ, (Capability.FILESYSTEM,), (Risk.LOW, "category Read → low (risk table)")),
        (
            Access.READ,
            (Capability.PERSONAL_DATA,),
            (Risk.MEDIUM, "read with personal-data → medium (risk table)"),
        ),
        (
            Access.READ,
            (Capability.EXECUTES_CODE,),
            (Risk.HIGH, "category Execute → high (risk table)"),
        ),
        (Access.WRITE, (), (Risk.MEDIUM, "category Write → medium (risk table)")),
        (
            Access.WRITE,
            (Capability.ADMIN, Capability.SENDS_MESSAGES),
            (Risk.HIGH, "write with admin, sends-messages → high (risk table)"),
        ),
        (
            Access.WRITE,
            (Capability.MOVES_MONEY,),
            (Risk.CRITICAL, "category Financial → critical (risk table)"),
        ),
        (
            Access.DESTRUCTIVE,
            (Capability.EXECUTES_CODE,),
            (Risk.CRITICAL, "access destructive → critical (risk table)"),
        ),
    ],
)
def test_risk_table_rows(
    access: Access, capabilities: tuple[Capability, ...], expected: tuple[Risk, str]
) -> None:
    table = load_risk_table(data_dir() / "risk.toml")
    assert table.assess(access, category_of(access, capabilities), capabilities) == expected
