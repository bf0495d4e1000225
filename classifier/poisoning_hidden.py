"""Content hidden in untrusted text: invisible characters, terminal escapes, base64 blobs, HTML comments."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from catalog.records import Flag

FLAG_KIND = "suspicious-instructions"
MAX_SPAN = 120
"""Longest span a flag carries, escapes included."""
CONTEXT = 20
"""Characters of visible text shown either side of something invisible."""
MAX_DECODED = 80
"""Longest hidden text quoted in a message."""
MAX_BLOBS = 3
MAX_COMMENTS = 3
BASE64_MIN = 80
_BASE64_SAMPLE = 4096
_COMMENT_SAMPLE = 2000

_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_FILLERS = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0})
"""Hangul fillers: letters that render as nothing, used for invisible identifiers."""
_ZWJ_LIKE = frozenset({0x200C, 0x200D, 0xFE0E, 0xFE0F})
"""Joiners and emoji presentation selectors, which emoji and several scripts use legitimately."""
_TAG_FIRST, _TAG_LAST, _CANCEL_TAG = 0xE0000, 0xE007F, 0xE007F
_BLACK_FLAG = 0x1F3F4
_BIDI_OVERRIDES = frozenset({0x202D, 0x202E})

_INVISIBLE_RUN = re.compile(
    "[\u200b-\u200d\u2060-\u2064\ufeff\u180e\u115f\u1160\u3164\uffa0"
    "\u202a-\u202e\u2066-\u2069\ufe00-\ufe0f\U000e0000-\U000e007f\U000e0100-\U000e01ef]+"
)
_SUBDIVISION_FLAG = re.compile("[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,7}\U000e007f")
"""The tag run of an emoji subdivision flag (England, Scotland, Wales): not hidden text."""
_ANSI = re.compile(
    r"\x1b(?:\[[0-?]{0,32}[ -/]{0,8}[@-~]|\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)?|[@-Z\\-_])?"
    r"|\x9b[0-?]{0,32}[ -/]{0,8}[@-~]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9a\x9c-\x9f]|\r(?!\n)")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{" + str(BASE64_MIN) + r",}={0,2}")
_ESCAPE_OR_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Where, in ASCII text, _ANSI or _CONTROL could match: at the escape byte or another control
character (carriage return included; tab and newline are neither)."""
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{" + str(BASE64_MIN) + "}")
"""Where _BASE64 could match: a run of its characters this long (tried only where a run starts)."""
_PLAIN = re.compile(r"[ -~]*")
"""Printable ASCII: nothing to escape."""
_LOWER, _UPPER, _DIGIT = re.compile("[a-z]"), re.compile("[A-Z]"), re.compile("[0-9]")
_COMMENT_OPEN, _COMMENT_CLOSE = re.compile("<!--"), re.compile("-->")
_WORD = re.compile(r"[^\W\d_]{2,}")
_STEERING = re.compile(
    r"\b(?:you|your|must|should|always|never|ignore|call|send|read|tool|assistant|model|agent|ai|"
    r"llm|instructions?|important|user|do\s+not|don't)\b",
    re.IGNORECASE,
)


def escape_char(char: str) -> str:
    """A character fit to show: itself, or a `\\u200b`-style escape when it is invisible or control."""
    code = ord(char)
    if char in "\n\t\r":
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char]
    if unicodedata.category(char) in _ESCAPED_CATEGORIES or code in _FILLERS or _is_selector(code):
        if code <= 0xFF:
            return f"\\x{code:02x}"
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def inert_span(text: str, limit: int = MAX_SPAN) -> str:
    """`text` with invisible and control characters escaped, cut to `limit` characters with `…`."""
    if _PLAIN.fullmatch(text, 0, limit) is not None:
        return text if len(text) <= limit else text[: limit - 1] + "…"
    pieces: list[str] = []
    length = 0
    for char in islice(text, limit):
        piece = escape_char(char)
        if length + len(piece) > limit - 1:
            return "".join(pieces) + "…"
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces) if len(text) <= limit else "".join(pieces) + "…"


def hidden_flags(text: str, where: str) -> list[Flag]:
    """Flags for invisible characters, escapes, control characters, base64 blobs, HTML comments."""
    flags: list[Flag] = []
    if not text.isascii():
        flags += _invisible_flags(text, where)
    flags += _escape_flags(text, where)
    if len(text) >= BASE64_MIN:
        flags += _base64_flags(text, where)
    if "<!--" in text:
        flags += _comment_flags(text, where)
    return flags


def may_hide_content(text: str) -> bool:
    """False when `text` certainly holds nothing hidden_flags would report (a cheap pre-check)."""
    if not text.isascii() or "<!--" in text:
        return True
    if _ESCAPE_OR_CONTROL.search(text) is None and (
        len(text) < BASE64_MIN or _BASE64_RUN.search(text) is None
    ):
        return False  # no escape or control character and no base64-length run: the usual case
    return (
        _ANSI.search(text) is not None
        or _CONTROL.search(text) is not None
        or (len(text) >= BASE64_MIN and _BASE64.search(text) is not None)
    )


def flag(severity: str, sentence: str, span: str) -> Flag:
    """A suspicious-instructions flag: severity first, one sentence, an inert span."""
    return Flag(kind=FLAG_KIND, message=f"{severity}: {sentence}.", span=span)


@dataclass
class _Hidden:
    """What the invisible-character runs of one text hold, by kind."""

    tags: list[str] = field(default_factory=list)
    tag_count: int = 0
    tag_at: int = -1
    selector_bytes: bytearray = field(default_factory=bytearray)
    selector_count: int = 0
    selector_at: int = -1
    zero_width: dict[int, int] = field(default_factory=dict)
    zero_width_at: int = -1
    bidi: dict[int, int] = field(default_factory=dict)
    bidi_at: int = -1


def _invisible_flags(text: str, where: str) -> list[Flag]:
    hidden = _Hidden()
    for match in _INVISIBLE_RUN.finditer(text):
        if not _legitimate_run(text, match.start(), match.end()):
            _collect(hidden, match.group(), match.start())
    flags: list[Flag] = []
    if hidden.tag_count:
        decoded = inert_span("".join(hidden.tags), MAX_DECODED)
        flags.append(
            flag(
                "high",
                f'the {where} hides the text "{decoded}" in '
                f"{_plural(hidden.tag_count, 'invisible Unicode tag character')}",
                _context(text, hidden.tag_at),
            )
        )
    if hidden.selector_count:
        flags.append(
            flag("high", _selector_sentence(hidden, where), _context(text, hidden.selector_at))
        )
    if hidden.zero_width:
        flags.append(
            flag(
                "high",
                f"the {where} contains {_plural(sum(hidden.zero_width.values()), 'zero-width or invisible character')} "
                f"({_codes(hidden.zero_width)}) that can hide text or disguise words",
                _context(text, hidden.zero_width_at),
            )
        )
    if hidden.bidi:
        severity = "high" if _BIDI_OVERRIDES & hidden.bidi.keys() else "medium"
        flags.append(
            flag(
                severity,
                f"the {where} contains {_plural(sum(hidden.bidi.values()), 'bidirectional control character')} "
                f"({_codes(hidden.bidi)}) that can make text display in a different order than it reads",
                _context(text, hidden.bidi_at),
            )
        )
    return flags


def _legitimate_run(text: str, start: int, end: int) -> bool:
    run = text[start:end]
    if len(run) == 1 and _is_selector(ord(run)):
        return True  # one selector after a character: an emoji or keycap presentation
    if start == 0 and run == "\ufeff":
        return True  # a byte-order mark left by the file the text came from
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before == chr(_BLACK_FLAG) and _SUBDIVISION_FLAG.fullmatch(run):
        return True
    joins_letters = (
        len(run) <= 2
        and len(set(run)) == len(run)
        and all(ord(char) in _ZWJ_LIKE for char in run)
        and any(ord(char) in {0x200C, 0x200D} for char in run)
    )
    # Emoji sequences and Indic or Persian words join non-ASCII neighbours; hidden text needs ASCII.
    return joins_letters and _non_ascii_visible(before) and _non_ascii_visible(after)


def _non_ascii_visible(char: str) -> bool:
    return bool(char) and not char.isascii() and not char.isspace()


def _collect(hidden: _Hidden, run: str, start: int) -> None:
    selectors = sum(1 for char in run if _is_selector(ord(char)))
    for offset, char in enumerate(run):
        code = ord(char)
        if _TAG_FIRST <= code <= _TAG_LAST:
            hidden.tag_at = start + offset if hidden.tag_at < 0 else hidden.tag_at
            hidden.tag_count += 1
            if len(hidden.tags) < MAX_DECODED * 2:
                hidden.tags.append(chr(code - _TAG_FIRST))
        elif _is_selector(code) and selectors >= 2:
            hidden.selector_at = start + offset if hidden.selector_at < 0 else hidden.selector_at
            hidden.selector_count += 1
            if len(hidden.selector_bytes) < MAX_DECODED * 4:
                hidden.selector_bytes.append(_selector_byte(code))
        elif 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
            hidden.bidi_at = start + offset if hidden.bidi_at < 0 else hidden.bidi_at
            hidden.bidi[code] = hidden.bidi.get(code, 0) + 1
        else:
            hidden.zero_width_at = (
                start + offset if hidden.zero_width_at < 0 else hidden.zero_width_at
            )
            hidden.zero_width[code] = hidden.zero_width.get(code, 0) + 1


def _is_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _selector_byte(code: int) -> int:
    # The usual smuggling scheme: selectors 1-16 carry bytes 0-15, selectors 17-256 bytes 16-255.
    return code - 0xFE00 if code <= 0xFE0F else code - 0xE0100 + 16


def _selector_sentence(hidden: _Hidden, where: str) -> str:
    sentence = f"the {where} hides data in {hidden.selector_count} variation selectors in a row"
    decoded = _as_text(bytes(hidden.selector_bytes))
    return (
        f'{sentence}; they decode to "{inert_span(decoded, MAX_DECODED)}"' if decoded else sentence
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _codes(counts: dict[int, int]) -> str:
    codes = sorted(counts)
    shown = ", ".join(f"U+{code:04X}" for code in codes[:4])
    return shown + (", …" if len(codes) > 4 else "")


def _context(text: str, at: int) -> str:
    start = max(0, at - CONTEXT)
    return inert_span(text[start : at + MAX_SPAN])


def _escape_flags(text: str, where: str) -> list[Flag]:
    flags: list[Flag] = []
    escapes = list(islice(_ANSI.finditer(text), 1000))
    if escapes:
        count = (
            "1000+ ANSI escape sequences"
            if len(escapes) == 1000
            else _plural(len(escapes), "ANSI escape sequence")
        )
        first = escapes[0].start()
        flags.append(
            flag(
                "high",
                f"the {where} contains {count} that can rewrite or hide what a terminal shows",
                inert_span(text[first : first + MAX_SPAN]),
            )
        )
    # The bytes inside an escape sequence are already reported with it.
    rest = _ANSI.sub("", text) if escapes else text
    control = _CONTROL.search(rest)
    if control is not None:
        flags.append(
            flag(
                "medium",
                f"the {where} contains control characters that can corrupt what a terminal or log shows",
                _context(rest, control.start()),
            )
        )
    return flags


def _base64_flags(text: str, where: str) -> list[Flag]:
    flags: list[Flag] = []
    for match in _BASE64.finditer(text):
        blob = match.group()
        decoded = _decode_base64(blob)
        if decoded is None:
            continue
        readable = _as_text(decoded)
        if readable:
            sentence = (
                f"a {len(blob)}-character base64 blob in the {where} decodes to text: "
                f'"{inert_span(" ".join(readable.split()), MAX_DECODED)}"'
            )
            flags.append(flag("high", sentence, inert_span(blob)))
        else:
            sentence = f"a {len(blob)}-character base64 blob in the {where} hides binary data"
            flags.append(flag("medium", sentence, inert_span(blob)))
        if len(flags) == MAX_BLOBS:
            break
    return flags


def _decode_base64(blob: str) -> bytes | None:
    """The bytes a real base64 blob holds; None for long identifiers, paths and hex that only look like one."""
    core = blob.rstrip("=")
    if not (_LOWER.search(core) and _UPPER.search(core) and _DIGIT.search(core)):
        return None
    standard, url_safe = ("+" in core or "/" in core), ("-" in core or "_" in core)
    if (standard and url_safe) or core.count("/") * 16 > len(core):
        return None
    if len(core) > _BASE64_SAMPLE:
        sample = core[:_BASE64_SAMPLE]  # a multiple of 4: whole groups only
    else:
        sample = core[: len(core) - 1] if len(core) % 4 == 1 else core
        sample += "=" * (-len(sample) % 4)
    try:
        return base64.b64decode(sample, altchars=b"-_" if url_safe else None, validate=True)
    except (binascii.Error, ValueError):
        return None


def _as_text(data: bytes) -> str | None:
    """`data` as text when it is mostly printable UTF-8, else None."""
    text = data.decode("utf-8", errors="replace")
    if not text:
        return None
    printable = sum(
        1 for char in text if (char.isprintable() and char != "\ufffd") or char in "\n\t\r"
    )
    return text if printable >= 0.9 * len(text) else None


def _comment_flags(text: str, where: str) -> list[Flag]:
    closes = [match.start() for match in _COMMENT_CLOSE.finditer(text)]
    flags: list[Flag] = []
    for start, content in islice(_comments(text, closes), 1000):
        if len(_WORD.findall(content)) < 3:
            continue
        steering = _STEERING.search(content) is not None
        kind = "instructions" if steering else "text"
        sentence = (
            f"a hidden HTML comment in the {where} carries {kind} a rendered page does not show"
        )
        flags.append(
            flag(
                "high" if steering else "low",
                sentence,
                inert_span(text[start : start + MAX_SPAN + 1]),
            )
        )
        if len(flags) == MAX_COMMENTS:
            break
    return flags


def _comments(text: str, closes: list[int]) -> Iterator[tuple[int, str]]:
    """(start, content) of each comment; an unclosed one runs to the end, as browsers render it."""
    resume = 0
    for match in _COMMENT_OPEN.finditer(text):
        start = match.start()
        if start < resume:
            continue
        index = bisect_left(closes, start + 4)
        end = closes[index] if index < len(closes) else len(text)
        yield start, text[start + 4 : min(end, start + 4 + _COMMENT_SAMPLE)]
        resume = end + 3
        if end == len(text):
            return
