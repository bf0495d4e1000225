"""Descriptions in Chinese, Japanese, Korean or Russian read through a glossary into the lexicons'
English.

The rules read English words. A description written in a script without spaces gives them
nothing, so a Chinese "manage" tool that lists 删除 (delete) among its actions came out a plain
write. The glossary (data/lexicons/glossary.toml) maps the verbs, negations and a few phrases of
those languages to English; `translate` puts the English in place, with spaces around it, turns
full-width punctuation into ASCII and conjunctions into "and"/"or", drops the objects of the
verbs it translated and puts a placeholder for other words it does not know. Text without
characters of these scripts is returned as it is.

Russian is written with spaces but inflects its words ("удалить", "удаляет", "удаление": delete,
deletes, deletion), so its words are read by their beginnings (`Stems`): the longest known
beginning gives the English, a listed noun that starts like a verb ("снимок", snapshot, starts
like "снимать", remove) stays unknown, and every unknown word becomes the placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from catalog.errors import ClassifierError

_SCRIPTS = re.compile(
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]"
)
"""CJK punctuation, kana, ideographs, Hangul syllables and full-width forms."""

_PUNCTUATION = str.maketrans(
    {
        "、": ", ",
        "，": ", ",
        "。": ". ",
        "；": "; ",
        "：": ": ",
        "！": "! ",
        "？": "? ",
        "（": " (",
        "）": ") ",
        "「": ' "',
        "」": '" ',
        "『": ' "',
        "』": '" ',
        "【": " [",
        "】": "] ",
        "　": " ",
    }
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")
_RUSSIAN_PUNCTUATION = str.maketrans({"«": '"', "»": '"', "„": '"', "“": '"'})
_REPEATED_PLACEHOLDER = re.compile(r"~(?:[ \t]+~)+")
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+([.,;:!?)])")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
"""Kana, ideographs and Hangul syllables: the letters of the words the glossary may not know."""
_CLAUSE_END = ',.;:()!?[]"\n'
"""Punctuation (after the full-width forms became ASCII) that ends an action's object."""
_SPACES = re.compile(r"[ \t]{2,}")
_PLAIN = re.compile(r"(?:[ \t/-]*[A-Za-z0-9]+(?![\w=(\[`'\"]|\.\w))+[ \t]*")
"""Plain words (no identifier, assignment or call) that stand as a verb's object."""
_PLACEHOLDER = "~"
"""Stands for foreign words that are no action's object: a token the list reader sees as a
word (so it breaks a run of actions) and the word readers skip."""


@dataclass(frozen=True, slots=True)
class Stems:
    """Russian: whole words and phrases, word beginnings, and nouns that only start like a verb."""

    words: Mapping[str, str]
    """Whole words and phrases (negations, conjunctions, "только для чтения"), matched first."""
    stems: Mapping[str, str]
    """Word beginnings -> English; the longest one a word starts with counts."""
    nouns: tuple[str, ...]
    """Beginnings of words that stay unknown although a shorter stem is a verb's."""
    words_regex: re.Pattern[str]
    stems_regex: re.Pattern[str]
    nouns_regex: re.Pattern[str] | None

    def translate(self, text: str) -> str:
        """Every Russian word of `text` in English, or the placeholder when it is not known."""
        text = text.translate(_RUSSIAN_PUNCTUATION)
        text = self.words_regex.sub(lambda found: f" {self.words[found.group(1).lower()]} ", text)
        text = _CYRILLIC_WORD.sub(self._word, text)
        text = _SPACE_BEFORE_MARK.sub(r"\1", _REPEATED_PLACEHOLDER.sub(_PLACEHOLDER, text))
        return _SPACES.sub(" ", text).strip()

    def _word(self, found: re.Match[str]) -> str:
        word = found.group().lower()
        if self.nouns_regex is not None and self.nouns_regex.match(word):
            return _PLACEHOLDER
        stem = self.stems_regex.match(word)
        return self.stems[stem.group()] if stem else _PLACEHOLDER


@dataclass(frozen=True, slots=True)
class Glossary:
    """Foreign terms -> English, compiled into one alternation (longest term first)."""

    verbs: Mapping[str, str]
    """Actions: the words after one, to the next clause punctuation, are its object."""
    phrases: Mapping[str, str]
    """Negations and qualifiers: kept wherever they stand, and no object follows them."""
    negation_prefixes: Mapping[str, str]
    conjunctions: Mapping[str, str]
    regex: re.Pattern[str]
    russian: Stems

    def translate(self, text: str) -> str:
        """`text` with every glossary term in English; `text` itself when it holds no character of
        these scripts. Russian words are read first (`Stems`), then Chinese, Japanese and Korean.

        Chinese and Japanese put an action's object right after its verb, with no space:
        "上传文件、删除文件" is "upload files, delete files". So the words after a translated
        verb, up to the next clause punctuation, are its object and are dropped, translated
        terms among them when they touch it ("获取部署记录", get deployment records, is a get,
        not a deploy); with the objects gone, that list reads as the English "upload, delete".
        Foreign words that follow no verb become one placeholder each, so they still part
        what they stood between. A conjunction becomes "and" or "or".
        """
        if not text or text.isascii():
            return text
        if _CYRILLIC.search(text) is not None:
            text = self.russian.translate(text)
        if _SCRIPTS.search(text) is None:
            return text
        text = text.translate(_PUNCTUATION)
        out: list[str] = []
        position = 0
        in_object = False  # after a translated verb, before clause punctuation
        for found in self.regex.finditer(text):
            in_object = self._gap(text[position : found.start()], in_object, out)
            gap = found.start() > position
            position = found.end()
            prefix, term, conjunction, _letter = found.groups()
            if term is not None:
                verb = term in self.verbs
                if verb and in_object and not gap:
                    continue  # a verb as a noun, inside the object of the verb before it
                english = self.verbs[term] if verb else self.phrases[term]
                if prefix:
                    english = f"{self.negation_prefixes[prefix]} {english}"
                out.append(f" {english} ")
                in_object = verb
            elif conjunction is not None:
                out.append(f" {self.conjunctions[conjunction]} ")
                in_object = False
            elif not in_object and not (out and out[-1] == _PLACEHOLDER and not gap):
                out.append(_PLACEHOLDER)
        self._gap(text[position:], in_object, out)
        return _SPACES.sub(" ", "".join(out)).strip()

    @staticmethod
    def _gap(gap: str, in_object: bool, out: list[str]) -> bool:
        """Copy the text between two matches; whether an object still runs after it."""
        if not gap:
            return in_object
        if in_object:
            # plain words after a verb ("删除 MySQL 实例", delete a MySQL instance) are its object
            plain = _PLAIN.match(gap)
            gap = gap[plain.end() :] if plain else gap
            if not gap:
                return True
        out.append(gap)
        return in_object and not any(mark in gap for mark in _CLAUSE_END)


def glossary_of(table: Mapping[str, object]) -> Glossary:
    """The glossary from glossary.toml's tables; a malformed entry is a ClassifierError."""
    verbs = _pairs(table, "verbs")
    phrases = _pairs(table, "phrases")
    prefixes = _pairs(table, "negation_prefixes")
    conjunctions = _pairs(table, "conjunctions")
    both = set(verbs) & set(phrases)
    if both:
        raise ClassifierError(f"glossary.toml: {sorted(both)[0]!r} is both a verb and a phrase")
    terms = {**verbs, **phrases}
    for term in (*terms, *prefixes, *conjunctions):
        if term.isascii():
            raise ClassifierError(
                f"glossary.toml: {term!r} is plain ASCII; only foreign terms belong here"
            )
    words = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    negations = "|".join(re.escape(prefix) for prefix in sorted(prefixes, key=len, reverse=True))
    joins = "|".join(re.escape(word) for word in sorted(conjunctions, key=len, reverse=True))
    return Glossary(
        verbs=verbs,
        phrases=phrases,
        negation_prefixes=prefixes,
        conjunctions=conjunctions,
        russian=_stems_of(table),
        # A term (a one-character negation right before it belongs to it), else a conjunction,
        # else one letter of a word the glossary does not know.
        regex=re.compile(f"({negations})?({words})|({joins})|([{_CJK}])"),
    )


def _stems_of(table: Mapping[str, object]) -> Stems:
    words = _pairs(table, "russian_words")
    stems = _pairs(table, "russian_stems")
    nouns_table = table.get("russian_nouns")
    nouns = nouns_table.get("beginnings") if isinstance(nouns_table, Mapping) else None
    if not isinstance(nouns, list) or not all(isinstance(noun, str) and noun for noun in nouns):
        raise ClassifierError("glossary.toml: [russian_nouns] needs `beginnings`, a list of words")
    for key, terms in (("russian_words", words), ("russian_stems", stems), ("russian_nouns", nouns)):
        for term in terms:
            if term != term.lower() or not all(_CYRILLIC.match(part) for part in term.replace(" ", "")):
                raise ClassifierError(
                    f"glossary.toml [{key}]: {term!r} must be lowercase Cyrillic letters"
                )
    return Stems(
        words=words,
        stems=stems,
        nouns=tuple(nouns),
        # whole words only: not followed or preceded by another Cyrillic letter
        words_regex=re.compile(
            rf"(?<![\u0400-\u04ff])({_alternation(words)})(?![\u0400-\u04ff])", re.IGNORECASE
        ),
        stems_regex=re.compile(_alternation(stems)),
        nouns_regex=re.compile(_alternation(nouns)) if nouns else None,
    )


def _alternation(terms: Iterable[str]) -> str:
    """One regex alternation of `terms`, the longest first (so it wins where two start alike)."""
    return "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))


def _pairs(table: Mapping[str, object], key: str) -> dict[str, str]:
    section = table.get(key)
    if not isinstance(section, Mapping) or not section:
        raise ClassifierError(f"glossary.toml: [{key}] table is missing or empty")
    pairs: dict[str, str] = {}
    for term, english in section.items():
        if not isinstance(english, str) or not english.strip() or not english.isascii():
            raise ClassifierError(f"glossary.toml [{key}]: {term!r} must map to English text")
        pairs[str(term)] = english.strip()
    return pairs
