"""Evidence from the actions a multi-purpose tool says it offers, where no enum lists them.

`manage_contact` with "Create, update, or delete a contact", an `action` parameter described as
`"create", "list", "update", or "delete"`, an "Actions:" list of `- delete: ...` bullets, or an
"Actions:" header over lines that each start with an action (`  delete (project_id, label_id).`)
can all delete, whatever its name says: the taxonomy labels a tool by the worst effect it can
reach, so the most severe listed action counts (with the weight of an `action` enum,
`[action_params]`). An action parameter whose described values are all reads counts as read, as
an enum of reads does, unless its text gives them as examples ("e.g. 'get pods'") or the parameter
is a free-form command: examples are not the whole set. Lists in prose that offer only reads say
nothing.

Only lists of choices count (two or more actions joined by commas, slashes or "or", "and" only
beside those, or two or more bullets), only base, third-person and -ing forms ("deleted" is a
state, not an offer), and not after a negation ("does not create, update or delete") or a state
word ("status: creating, deleting"), nor inside a noun phrase that an article starts ("from a
backup/snapshot", "a valid Reddit post or comment URL"), nor in a sentence that describes what the
tool returns ("Each rule has ... actions (moveToFolder, delete)"): prose that merely mentions a
verb is left to the ordinary mention evidence. A bullet name, action line or quoted value written
as an identifier (`run_python`, `removePackage`) is read like a tool name of its words; so is each
identifier of a line labelled as actions ("Modifying actions: play, add_tag, remove_tag",
"JOINTS: add_joint, remove_joint") or made of identifiers only. Elsewhere in prose an identifier
counts as its first word, since prose names parameters that way too (`remove_label_ids`).

Lists that are not this tool's offer are skipped too: a clause that sends the reader to another
tool ("Use ``ssh_admin`` for remove/reset/reboot", "To erase tiles, use tile_edit instead"; a
parameter of the tool named that way is not another tool), statements a console refuses
("Rejects non-SELECT statements (INSERT/UPDATE/DELETE)", "... are rejected"), blocks headed as
the output or as related tools ("WHAT THE OUTPUT SHOWS:", "RELATED TOOLS:", "Returns:"), and
other tools named as where output goes ("can be passed to format_text or delete_text").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import pairwise

from catalog.records import Access
from classifier.evidence import (
    Evidence,
    clauses,
    elsewhere,
    identifier_action,
    negated,
    pointed_tool,
    refused,
    rule_verdicts,
    severity,
    targets,
    value_verb,
)
from classifier.features import ToolFeatures, name_words, sentences
from classifier.lexicon import Lexicon, Verb

# An action named as an identifier ("createTable", "delete_rows") in prose stands for its first
# word: prose names parameters that way too (`remove_label_ids`), so it is read as plain words.
_IDENTIFIER = re.compile(r"\b([a-z]+)(?:[A-Z][A-Za-z0-9]*|_[a-z0-9_]*[a-z0-9])\b")
# A word, or a separator of a list of actions.
_LIST_TOKEN = re.compile(r"[a-z](?:[a-z'-]*[a-z])?|,|/|\bor\b|\band\b|[^\sa-z,/]+")
_LIST_TOKEN_WHOLE = re.compile(r"[a-z](?:[a-z0-9_'-]*[a-z0-9])?|,|/|\bor\b|\band\b|[^\sa-z,/]+")
# In a line that offers identifiers as actions, each is read whole, as a listed value is.
_IDENTIFIER_WHOLE = re.compile(r"\b[a-z]+(?:[A-Z][A-Za-z0-9]*|_[a-z0-9_]*[a-z0-9])\b")
# A sentence that describes what the tool returns: lists in it name fields or values of the
# output ("Each rule has conditions and actions (move, forward, delete)"), not offered actions.
_DESCRIBES_OUTPUT = re.compile(
    r"\W*(?:each|every)\s+(?:\w+\s+){1,3}(?:has|have|contains|includes)\b"
    r"|\W*(?:returns|the response|the result|the output|results?|responses?)\s+(?:\w+\s+){0,2}"
    r"(?:includes?|contains?|lists?|has|have|with)\b",
    re.IGNORECASE,
)
# A header over what the tool returns or over other tools ("WHAT THE OUTPUT SHOWS:", "Returns:",
# "RELATED TOOLS:", "See also:"), and the block it heads, up to a blank line or the end.
_ASIDE_HEADER = re.compile(
    r"^[ \t]*(?:[*#]+[ \t]*)?(?:[A-Za-z]+[ \t]+){0,3}"
    r"(?:output|outputs|returns|response|responses|result|results|fields|related(?:[ \t]+tools)?"
    r"|see[ \t]+also|other[ \t]+tools)\b[^:\n]{0,30}:[ \t]*(?:[*]+[ \t]*)?$",
    re.IGNORECASE | re.MULTILINE,
)
_ASIDE_BLOCK = re.compile(_ASIDE_HEADER.pattern + r"(?:\n[ \t]*\S.*)*", re.IGNORECASE | re.MULTILINE)
# Tools named as where something goes ("passed straight to format_text or delete_text"): a list
# of identifiers after a preposition names other tools, not actions this one offers.
_PASSED_TO = re.compile(
    r"\b(?:to|into|via|with|from|than)\s+(?:[`'\"]*[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+[`'\"]*"
    r"(?:\s*(?:,|/|\bor\b|\band\b)\s*)*)+",
    re.IGNORECASE,
)
_LEAD_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")
_ACTIONS_LABEL = re.compile(
    r"(?:[A-Za-z-]+[ \t]+){0,2}(?:actions|operations|commands|methods|modes)[ \t]*:", re.IGNORECASE
)
_CAPS_LABEL = re.compile(r"[A-Z][A-Z0-9 /&()-]{1,40}:[ \t]")
_ONLY_IDENTIFIERS = re.compile(r"[A-Za-z0-9_]+(?:\s*(?:,|/|\bor\b|\band\b)\s*[A-Za-z0-9_]+)+\s*[.;]?")
# Quoted values and bullet names are read in their own case: value_verb splits `deleteRows`.
_QUOTED = re.compile(r"[\"'`“‘]([a-zA-Z][a-zA-Z_ -]{0,40})[\"'`”’]")
# An action parameter's values described one per line, each as `value: what it does`.
_VALUE_LINE = re.compile(r"^[ \t]*(?:[-*•][ \t]*)?[\"'`]?([a-z][a-z_]*)[\"'`]?[ \t]*:", re.MULTILINE)
_BULLET = re.compile(r"(?:^|\s)(?:[-*•]|\d+[.)])\s*[\"'`]?([a-zA-Z][a-zA-Z_]*)[\"'`]?:")
# A header line ("Actions:", "Supported operations:") over one action per line, each line starting
# with the action's name followed by its arguments, a colon or a dash; a blank line ends the block.
_ACTION_HEADER = re.compile(
    r"^[ \t]*(?:[A-Za-z]+[ \t]+){0,2}(?:actions|operations|commands|subcommands|methods|modes)[ \t]*:[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ACTION_LINE = re.compile(
    r"[ \t]*(?:[-*•][ \t]*|\d+[.)][ \t]*)?[\"'`]?([a-zA-Z][a-zA-Z_]*)[\"'`]?[ \t]*(?:\(|:|--|—|–|-[ \t]|;|\.?[ \t]*$)"
)
# An action parameter's value given in prose as an assignment ("action=delete removes files",
# `operation: "archive"`): each one the description names is an action it offers.
_ASSIGNED = re.compile(
    r"\b(?:action|operation|op)\s*(?:=\s*[\"'`]?|:\s*[\"'`])([a-zA-Z][a-zA-Z_]*)(?![\w=])"
)
# A call of a tool written out (`manage_trigger` (action="delete"), queryApps(action=list)): the
# description points at another tool, or shows an example call, and offers nothing by it.
_CALL = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*`?\s*\([^()]{0,300}\)")
"""(An identifier starts only where no identifier character precedes it: tried from inside a long
one, the search would be quadratic in its length.)"""
# Values given as examples, or of a free-form command, are not all the choices there are.
_EXAMPLES = re.compile(r"(?<!\w)(e\.g\.|eg\.|for example|for instance|such as|like|examples?)(?!\w)", re.IGNORECASE)
_FREE_FORM = frozenset({"command", "subcommand", "cmd"})
_BULK_WORDS = frozenset({"bulk", "batch", "mass"})
# A listed value written as an identifier of two or more words: snake_case or camelCase.
_IDENTIFIER_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]*)+")
_JOINERS = frozenset({",", "/", "or", "and"})
# Words before a list that make it a list of states or filters, not of offered actions.
_STATE_WORDS = frozenset({"status", "statuses", "state", "states", "phase", "filter", "filters", "by"})
_STATE_WINDOW = 3
# Prepositions after which a verb-like word is a noun ("after login", "before deploy", "on delete").
_NOUN_PREPOSITIONS = frozenset({"after", "before", "upon", "during", "until", "on"})
# Words before "for" that make what follows the uses of the tool, not actions it offers ("useful
# for system recovery, undoing changes, or testing").
_PURPOSE_WORDS = frozenset({"useful", "helpful", "ideal", "handy", "suitable", "used", "great"})
# Words after which a list names things, not offered actions ("restore from a backup/snapshot"),
# unless the list is followed by a word that says they are operations ("the create, update or
# delete operations").
_DETERMINERS = frozenset(
    {"a", "an", "the", "this", "that", "these", "those", "its", "their", "your", "each", "every",
     "any"}
)
_ARTICLE_WINDOW = 3
_OFFER_NOUNS = frozenset(
    {"action", "actions", "operation", "operations", "mode", "modes", "command", "commands",
     "method", "methods"}
)
_MIN_CHOICES = 2
_MEMO_SIZE = 50_000
_Clauses = tuple[tuple[str | None, tuple[Verb, ...]], ...]
"""Per clause of a sentence: the other tool it points to, and the verbs it lists."""
_MEMO: dict[int, tuple[Lexicon, dict[str, _Clauses]]] = {}
# Removal verbs that as often detach as delete ("add or remove labels" edits a message): in a list
# they are not counted, and the ordinary name and mention evidence speaks for them.
_DETACHING = frozenset({"remove", "detach", "unlink"})


def choice_evidence(features: ToolFeatures, lexicon: Lexicon) -> tuple[list[Evidence], list[str]]:
    """Evidence for the most severe action a tool lists, over every list it gives."""
    worst: Verb | None = None
    where_worst = ""
    actions: list[str] = []
    closed = False
    for where, listed_verbs, complete in _choices(features, lexicon):
        verbs = [verb for verb in listed_verbs if verb.word not in _DETACHING]
        actions.extend(verb.word for verb in verbs)
        closed = closed or (complete and bool(verbs))
        for verb in verbs:
            if worst is None or severity(verb.access) > severity(worst.access):
                worst, where_worst = verb, where
    if worst is None and _open_bulk_operation(features, lexicon):
        reason = "a bulk tool whose operation parameter lists no values: any operation → destructive"
        return [Evidence(Access.DESTRUCTIVE, (), lexicon.action_param_weight, reason)], []
    # Only a closed set of choices (an action parameter's values) says a tool does no more than read.
    if worst is None or (worst.access is Access.READ and not closed):
        return [], []
    listed = ", ".join(dict.fromkeys(actions))
    reason = f"{where_worst} lists actions ({listed}): '{worst.word}' → {targets(worst.access, worst.capabilities)}"
    return [Evidence(worst.access, worst.capabilities, lexicon.action_param_weight, reason)], actions


def _open_bulk_operation(features: ToolFeatures, lexicon: Lexicon) -> bool:
    """A bulk or batch tool that takes its operation as a free string, with no enum and no values
    in its text ("Apply a bulk operation to a set of documents"): whichever operation the caller
    names, the deletes the API offers among them, so the worst one reachable counts."""
    if _BULK_WORDS.isdisjoint(features.name_words):
        return False
    return any(
        param.joined in lexicon.action_params
        and param.joined not in _FREE_FORM
        and not param.enum
        and param.type in (None, "string")
        for param in features.params
    )


def _choices(features: ToolFeatures, lexicon: Lexicon) -> Iterator[tuple[str, list[Verb], bool]]:
    """Each list of actions a tool gives: where, its verbs, and whether it is the closed set."""
    for param in features.params:
        if param.joined in lexicon.action_params and not param.enum and param.description:
            values = _QUOTED.findall(param.description)
            if "\n" in param.description:
                values += _VALUE_LINE.findall(param.description)  # "clear_cell: Clear a cell"
            if rule_verdicts(values):
                continue  # "Action — 'accept', 'drop', or 'reject'": the rule's, not the tool's
            verbs = _verbs_of(values, lexicon)
            if len(verbs) >= _MIN_CHOICES:
                closed = param.joined not in _FREE_FORM and not _EXAMPLES.search(param.description)
                yield f"parameter '{param.name}'", verbs, closed
    description = features.description
    sentence_list: Sequence[str] = features.sentences
    if "\n" in description and ":" in description and _ASIDE_HEADER.search(description):
        # What the tool returns and the related tools it names are not what it offers.
        description = _ASIDE_BLOCK.sub("\n\n", description)
        sentence_list = sentences(description)
    named = _BULLET.findall(description) + action_lines(description)
    if "=" in description or ":" in description:
        named += _ASSIGNED.findall(_CALL.sub(" ", description))
    bullets = _verbs_of(list(dict.fromkeys(named)), lexicon)
    if len(bullets) >= _MIN_CHOICES:
        yield "the description", bullets, False
    memo = _sentence_memo(lexicon)
    for sentence in sentence_list:
        listed = memo.get(sentence)
        if listed is None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()  # cheaper than an LRU and as good: it fills again at once
            listed = memo[sentence] = _clause_verbs(sentence, lexicon)
        for pointed, clause_verbs in listed:
            if not elsewhere(pointed, features):  # "Use ``ssh_admin`` for reboot/shutdown": another tool's
                yield "the description", list(clause_verbs), False


def action_lines(description: str) -> list[str]:
    """The action names of every line under an "Actions:"-like header, up to a blank line."""
    if "\n" not in description or ":" not in description:
        return []
    names: list[str] = []
    for header in _ACTION_HEADER.finditer(description):
        for line in description[header.end() :].split("\n")[1:]:
            if not line.strip():
                break
            found = _ACTION_LINE.match(line)
            if found:
                names.append(found.group(1))
    return names


def _clause_verbs(sentence: str, lexicon: Lexicon) -> _Clauses:
    """The listed verbs of each clause of a sentence that lists any, with the tool it points to."""
    # A list of choices needs a comma, a slash or "or": most sentences are ruled out at once.
    if "," not in sentence and "/" not in sentence and " or " not in sentence.lower():
        return ()
    found = []
    for clause in clauses(sentence):
        verbs = _sentence_verbs(clause, lexicon)
        if verbs:
            found.append((pointed_tool(clause), verbs))
    return tuple(found)


def _sentence_verbs(sentence: str, lexicon: Lexicon) -> tuple[Verb, ...]:
    # One clause of a listing sentence may hold no list of its own.
    if "," not in sentence and "/" not in sentence and " or " not in sentence.lower():
        return ()
    if _DESCRIBES_OUTPUT.match(sentence):
        return ()  # "Each rule has ... actions (moveToFolder, delete)": fields of what is returned
    if _is_action_list(sentence):
        snake = _IDENTIFIER_WHOLE.sub(lambda found: "_".join(name_words(found.group())), sentence)
        return tuple(_listed_verbs(snake.lower(), lexicon, whole=True))
    # "can be passed to format_text or delete_text": other tools the output goes to
    if "_" in sentence:
        sentence = _PASSED_TO.sub(" ~ ", sentence)
    return tuple(_listed_verbs(_IDENTIFIER.sub(r"\1", sentence).lower(), lexicon))


def _is_action_list(sentence: str) -> bool:
    """A line that offers identifiers as actions: labelled ("Modifying actions: play, add_tag",
    "JOINTS: add_joint, remove_joint") or made of nothing but identifiers and separators."""
    body = _LEAD_BULLET.sub("", sentence, count=1)
    label = _ACTIONS_LABEL.match(body) or _CAPS_LABEL.match(body)
    if label is not None:
        return True
    return _IDENTIFIER.search(body) is not None and _ONLY_IDENTIFIERS.fullmatch(body) is not None


def _sentence_memo(lexicon: Lexicon) -> dict[str, _Clauses]:
    """Listed verbs by sentence, per lexicon: descriptions recur across servers and versions."""
    found = _MEMO.get(id(lexicon))
    if found is None or found[0] is not lexicon:
        found = _MEMO[id(lexicon)] = (lexicon, {})
    return found[1]


def _verbs_of(values: Sequence[str], lexicon: Lexicon) -> list[Verb]:
    return [verb for verb in (_value_action(value, lexicon) for value in values) if verb]


def _value_action(value: str, lexicon: Lexicon) -> Verb | None:
    """The action a listed value names: an identifier (`run_python`, `removePackage`) is read
    like a tool name of those words, its name patterns included, and a removal it names counts
    as one, as it does in an `action` enum; a plain word is read as a verb."""
    if not _IDENTIFIER_VALUE.fullmatch(value):
        return value_verb(value, lexicon, _verb)
    return _named(name_words(value), lexicon)


def _named(words: Sequence[str], lexicon: Lexicon, *, actions: bool = False) -> Verb | None:
    verb = identifier_action(words, lexicon, _verb, any_object_first=actions)
    if verb is not None and verb.word in _DETACHING:
        # `remove_package` names what it removes: not the prose "add or remove labels".
        return Verb(" ".join(words), verb.access, verb.weight, verb.capabilities)
    return verb


def _listed_verbs(sentence: str, lexicon: Lexicon, *, whole: bool = False) -> list[Verb]:
    """The verbs of every run of at least two verbs joined like a list of choices.

    A choice needs a comma, a slash or "or" somewhere in the run: "select and run" or "find and
    replace" are steps of one operation, which the lead verb already speaks for.
    """
    tokens = (_LIST_TOKEN_WHOLE if whole else _LIST_TOKEN).findall(sentence)
    found: list[Verb] = []
    run: list[Verb] = []
    start = 0
    choice = False
    expecting_verb = True
    for index, token in enumerate(tokens):
        if token in _JOINERS:
            if run:
                expecting_verb = True
                choice = choice or token != "and"
            continue
        if whole and "_" in token:
            verb = _named(token.split("_"), lexicon, actions=True)
        else:
            verb = _verb(token, lexicon)
        if verb is not None and expecting_verb:
            start = index if not run else start
            run.append(verb)
            expecting_verb = False
            continue
        if choice and _is_list(run, tokens, start, index, lexicon):
            found += run
        run, start, choice = ([verb], index, False) if verb is not None else ([], 0, False)
        expecting_verb = verb is None
    if choice and _is_list(run, tokens, start, len(tokens), lexicon):
        found += run
    return found


def _is_list(
    run: list[Verb], tokens: Sequence[str], start: int, end: int, lexicon: Lexicon
) -> bool:
    if len(run) < _MIN_CHOICES:
        return False
    before = [token for token in tokens[:start] if token not in _JOINERS]
    if negated(before) or refused(before, tokens[end:]):
        return False
    if _after_article(tokens, start, lexicon) and (
        end >= len(tokens) or tokens[end] not in _OFFER_NOUNS
    ):
        # "from a backup/snapshot", "a valid Reddit post or comment URL": nouns of a noun phrase,
        # unless they are followed by a word that names them as the operations offered
        return False
    if not _STATE_WORDS.isdisjoint(before[-_STATE_WINDOW:]):
        return False
    if start > 0 and tokens[start - 1] in _NOUN_PREPOSITIONS:
        return False  # "After login, call get_health": a verb right after "after" names an event
    return not any(
        word == "for" and previous in _PURPOSE_WORDS for previous, word in pairwise(before)
    )


def _after_article(tokens: Sequence[str], start: int, lexicon: Lexicon) -> bool:
    """Does an article start the noun phrase the run at `start` ends ("a valid Reddit post")?

    Up to `_ARTICLE_WINDOW` plain words that are not verbs may stand between them; a comma, a
    verb or anything else ends the look back ("create a ticket, update or delete it" is a list).
    """
    index = start - 1
    for _ in range(_ARTICLE_WINDOW + 1):
        if index < 0:
            return False
        token = tokens[index]
        if token in _DETERMINERS:
            return True
        if token in _JOINERS or not token.isalpha() or _verb(token, lexicon) is not None:
            return False
        index -= 1
    return False


def _verb(word: str, lexicon: Lexicon) -> Verb | None:
    """The lexicon verb of a base, third-person or -ing form; past forms are states, not offers."""
    base = lexicon.inflections.get(word)
    if base is None and word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        for candidate in (stem, stem + "e", stem[:-1]):
            if candidate in lexicon.verbs:
                base = candidate
                break
    return lexicon.verbs[base] if base is not None else None
