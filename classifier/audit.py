"""Flags on a verdict: declared hints that contradict it, and suspicious instructions in the tool's text."""

from __future__ import annotations

from collections.abc import Sequence

from catalog.records import Access, Classification, Flag, ToolHints, ToolRecord
from classifier.features import split_name, tool_part
from classifier.poisoning import FLAG_KIND, Scanner, default_scanner

HINTS_FLAG = "hints-contradict"
NOT_IDEMPOTENT = frozenset(
    {
        "send",
        "post",
        "publish",
        "append",
        "increment",
        "decrement",
        "charge",
        "pay",
        "transfer",
        "tweet",
        "reply",
        "notify",
        "enqueue",
        "forward",
        "invite",
        "email",
        "message",
        "sms",
        "dm",
    }
)
"""Actions whose every call has a further effect: a second `send` sends a second message."""
_OWN_KINDS = frozenset({HINTS_FLAG, FLAG_KIND})


def hint_flags(hints: ToolHints, name_words: Sequence[str], access: Access) -> tuple[Flag, ...]:
    """Flags for declared hints that contradict `access` (the name's words serve idempotentHint).

    readOnlyHint=true on a write or destructive tool, destructiveHint=false on a destructive one
    (worded for the explicit "additive write" pair readOnlyHint=false + destructiveHint=false),
    and idempotentHint=true on a write whose action repeats its effect on every call.
    """
    if hints.read_only is None and hints.destructive is None and hints.idempotent is not True:
        return ()  # nothing declared that could contradict: most tools
    flags: list[Flag] = []
    if hints.read_only is True and access is not Access.READ:
        message = (
            f"declares readOnlyHint=true but its name, description or parameters say {access.value}"
        )
        flags.append(Flag(kind=HINTS_FLAG, message=message))
    elif hints.destructive is False and access is Access.DESTRUCTIVE:
        declared = (
            "declares readOnlyHint=false and destructiveHint=false (an additive write)"
            if hints.read_only is False
            else "declares destructiveHint=false"
        )
        message = f"{declared} but its name, description or parameters say destructive"
        flags.append(Flag(kind=HINTS_FLAG, message=message))
    repeats = hints.idempotent is True and access is Access.WRITE
    action = _repeating_action(name_words) if repeats else None
    if action is not None:
        message = (
            f"declares idempotentHint=true but a '{action}' has a further effect on every call"
        )
        flags.append(Flag(kind=HINTS_FLAG, message=message))
    return tuple(flags)


def _repeating_action(words: Sequence[str]) -> str | None:
    # The action leads the name, possibly after one product word (`slack_send_message`).
    leading = words[:1] if len(words) < 3 else words[:2]
    return next((word for word in leading if word in NOT_IDEMPOTENT), None)


def audit_hints(tool: ToolRecord, classification: Classification) -> list[Flag]:
    """Flags where the tool's declared hints contradict the classification's access."""
    hints = tool.hints
    # The name's words matter to idempotentHint alone; splitting it is skipped otherwise.
    words = split_name(tool_part(tool.name)) if hints.idempotent is True else []
    return list(hint_flags(hints, words, classification.access))


def flag_tool(
    tool: ToolRecord, classification: Classification, scanner: Scanner | None = None
) -> Classification:
    """`classification` with the hints audit and suspicious-instruction flags of `tool` merged in.

    Flags of those two kinds are recomputed (so the audit follows the final access, whoever
    decided it, and calling this twice changes nothing); other flags stay, first, in order.
    """
    found = [*audit_hints(tool, classification), *(scanner or default_scanner()).scan_tool(tool)]
    if not found and not classification.flags:
        return classification  # nothing to merge: most tools
    kept = [item for item in classification.flags if item.kind not in _OWN_KINDS]
    flags = tuple(dict.fromkeys([*kept, *found]))
    if flags == classification.flags:
        return classification
    return classification.model_copy(update={"flags": flags})
