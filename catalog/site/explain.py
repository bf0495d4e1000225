"""Sentences generated from one tool's own data: why it needs a policy, and its FAQ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog.policy import Action, ActionKind
from catalog.records import Access, Capability, Classification, StoredTool
from catalog.site.schema import ParamRow
from catalog.site.text import clean, snippet

_CAPABILITY_RISK = {
    Capability.EXECUTES_CODE: "it can run code or commands, so one call can do anything the host can",
    Capability.MOVES_MONEY: "it can move money, and a payment is hard to take back",
    Capability.SENDS_MESSAGES: "it can send messages to people, which cannot be unsent",
    Capability.SECRETS: "it touches secrets or credentials that an agent could leak elsewhere",
    Capability.FILESYSTEM: "it reaches the filesystem",
    Capability.NETWORK_EGRESS: "it can send data out over the network",
    Capability.ADMIN: "it changes permissions or administrative settings",
    Capability.PERSONAL_DATA: "it handles personal data about people",
}
_ACCESS_RISK = {
    Access.READ: "It only reads, but what it returns goes straight into the agent's context.",
    Access.WRITE: "Each call changes state on {server}; an agent that loops repeats the change.",
    Access.DESTRUCTIVE: "One mistaken call can delete or overwrite data on {server} that may not be recoverable.",
}
_WIDE_NAMES = ("command", "cmd", "script", "code", "query", "sql", "expression", "path", "url", "body")


def action_sentence(name: str, action: Action | None, profile: str) -> str:
    """What the recommended policy does with the tool, in one sentence."""
    if action is None:
        return f"{name} has not been classified yet, so no policy is recommended."
    match action.kind:
        case ActionKind.ALLOW:
            return f"The {profile} profile allows it: listing it keeps it callable under a default-deny policy."
        case ActionKind.RATE_LIMIT:
            window = action.window.value if action.window else "window"
            return f"The {profile} profile limits it to {action.max} calls per {window} per grant."
        case ActionKind.APPROVE:
            return f"The {profile} profile refuses each call until a person approves it."
        case ActionKind.DENY:
            return f"The {profile} profile refuses every call (agents still see it listed)."
        case ActionKind.HIDE:
            return f"The {profile} profile hides it from agents and refuses every call."


def _parameter_sentence(rows: Sequence[ParamRow]) -> str:
    top = [row for row in rows if row.depth == 0]
    if not top:
        return "It takes no parameters, so every call does the same thing."
    required = [row.path for row in top if row.required]
    wide = [row.path for row in top if not row.enum and row.type in ("string", "any")
            and any(word in row.path.lower() for word in _WIDE_NAMES)]
    closed = [row.path for row in top if row.enum]
    parts = [f"The agent chooses {len(top)} parameter{'s' if len(top) != 1 else ''}"]
    if required:
        parts.append(f"; required: {', '.join(required[:6])}")
    sentence = "".join(parts) + "."
    if wide:
        sentence += f" Free-form {', '.join(wide[:4])} give{'s' if len(wide) == 1 else ''} the agent wide latitude."
    if closed:
        sentence += f" {', '.join(closed[:4])} accept{'s' if len(closed) == 1 else ''} only listed values."
    return sentence


def why_policy(
    item: StoredTool, rows: Sequence[ParamRow], action: Action | None, profile: str
) -> dict[str, Any]:
    """A summary sentence, the classifier's evidence, and what follows from it, for this tool."""
    name, server = clean(item.tool.name, 200), clean(item.server_name, 200)
    verdict = item.classification
    if verdict is None:
        return {"summary": f"{name} has not been classified yet.", "evidence": [],
                "consequences": [_parameter_sentence(rows)], "action": action_sentence(name, action, profile)}
    consequences = [_ACCESS_RISK[verdict.access].format(server=server)]
    consequences += [f"It is flagged because {_CAPABILITY_RISK[c]}." for c in verdict.capabilities]
    consequences.append(_parameter_sentence(rows))
    consequences += [f"Audit: {clean(flag.message, 500)}" for flag in verdict.flags]
    return {
        "summary": (f"{name} is a {verdict.access.value} tool of {verdict.risk.value} risk "
                    f"({verdict.confidence:.0%} confidence), category {verdict.category.value}."),
        "evidence": [clean(reason, 500) for reason in verdict.reasons],
        "consequences": consequences,
        "action": action_sentence(name, action, profile),
    }


def _read_only_answer(name: str, item: StoredTool, verdict: Classification | None) -> str:
    declared = item.tool.hints.read_only
    said = ("" if declared is None else
            f" Its server declares readOnlyHint={'true' if declared else 'false'}.")
    if verdict is None:
        return f"Unknown: {name} has not been classified yet.{said}"
    if verdict.access is Access.READ:
        return f"Yes. The catalog classifies {name} as read-only.{said}"
    return f"No. The catalog classifies {name} as {verdict.access.value}: it changes state.{said}"


def faq(item: StoredTool, action: Action | None, profile: str, source: str) -> list[dict[str, str]]:
    """Questions people ask about a tool, answered from its data."""
    name, server = clean(item.tool.name, 200), clean(item.server_name, 200)
    verdict = item.classification
    described = snippet(item.tool.description, 300) or "Its server gives no description."
    if described[-1] not in ".!?…":
        described += "."
    kind = f" It is a {verdict.access.value} tool." if verdict else ""
    risk = (f"{verdict.risk.value.capitalize()}. The first reason: {clean(verdict.reasons[0], 300)}."
            if verdict and verdict.reasons else
            verdict.risk.value.capitalize() + "." if verdict else "Not classified yet.")
    if action is not None and action.kind is ActionKind.RATE_LIMIT:
        limit = (f"The recommended policy already limits it to {action.max} calls per "
                 f"{action.window.value if action.window else 'window'}; change max in its limits entry.")
    else:
        limit = (f"Give {name} a rule with action = \"rate-limit\", a window and a max in a profile TOML, "
                 f"then run catalog recommend --tool {name} --profile your.toml.")
    blocked = " The recommended policy already hides it." if action and action.kind is ActionKind.HIDE else ""
    return [
        {"question": f"What does {name} do?", "answer": described + kind},
        {"question": f"Is {name} read-only?", "answer": _read_only_answer(name, item, verdict)},
        {"question": f"What risk level is {name}?", "answer": risk},
        {"question": f"How do I rate-limit {name}?", "answer": limit},
        {"question": f"How do I block {name}?", "answer": (
            f"Policies deny by default: leave {name} out of the policy's tools, or list it under "
            f"hide so agents never see it.{blocked}")},
        {"question": f"Which server provides {name}?", "answer": f"{server} ({clean(item.tool.server_key, 300)}), "
                                                                 f"found at {source}."},
    ]


def faq_jsonld(questions: Sequence[dict[str, str]]) -> dict[str, Any]:
    """The FAQ as schema.org FAQPage structured data."""
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {"@type": "Question", "name": q["question"],
             "acceptedAnswer": {"@type": "Answer", "text": q["answer"]}}
            for q in questions
        ],
    }
