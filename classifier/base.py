"""The classifier seam: tool records in, one Classification per tool out."""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from catalog.records import (
    Access,
    Capability,
    Category,
    Classification,
    Flag,
    Risk,
    ToolRecord,
)


class Classifier(ABC):
    """Anything that labels tools: the rules today, a trained model or a combination later."""

    version: str
    """Identifies the classifier and its data; stored with every classification it makes."""

    @abstractmethod
    def classify_all(self, tools: Sequence[ToolRecord]) -> list[Classification]:
        """One classification per tool, in the same order."""

    def classify(self, tool: ToolRecord) -> Classification:
        """The classification of a single tool."""
        return self.classify_all([tool])[0]


def default_classifier() -> Classifier:
    """The classifier the pipeline uses when none is given.

    The rules combined with the trained model when a model is shipped (data/model/meta.json),
    the rules alone otherwise. The model itself (and scikit-learn) loads on first use.
    """
    # Imported here: rules.py and combined.py subclass Classifier, so top-level imports would be circular.
    from catalog.paths import data_dir
    from classifier.combined import META_FILE, CombinedClassifier
    from classifier.rules import RulesClassifier

    rules = RulesClassifier.from_data()
    model_dir = data_dir() / "model"
    if (model_dir / META_FILE).is_file():
        return CombinedClassifier.from_dir(model_dir, rules)
    return rules


def distinct_definitions(tools: Sequence[ToolRecord]) -> tuple[list[ToolRecord], list[int]]:
    """The first tool of each distinct definition, and for every tool its definition's index.

    A definition is everything a verdict and its flags read: name, title, description, both
    schemas and the declared hints. The order of a schema's properties decides which parameter
    a reason names, so it counts; schemas are compared by repr, which is exact for JSON values
    (True and 1, 1 and 1.0 stay apart). A schema is only put into words when another tool has
    the same name, title, description and hints: most tools share them with none.
    """
    unique: list[ToolRecord] = []
    positions: list[int] = []
    by_text: dict[_Text, int] = {}
    by_schemas: dict[tuple[_Text, str], int] = {}
    for tool in tools:
        hints = tool.hints
        text = (
            tool.name,
            tool.title,
            tool.description,
            hints.read_only,
            hints.destructive,
            hints.idempotent,
            hints.open_world,
        )
        first = by_text.get(text)
        if first is None:
            by_text[text] = len(unique)
            positions.append(len(unique))
            unique.append(tool)
            continue
        if first >= 0:
            # The second tool with this text: from now on its tools are told apart by schemas.
            by_schemas[text, _schemas(unique[first])] = first
            by_text[text] = -1
        key = (text, _schemas(tool))
        index = by_schemas.get(key)
        if index is None:
            index = by_schemas[key] = len(unique)
            unique.append(tool)
        positions.append(index)
    return unique, positions


_Text = tuple[str, str | None, str, bool | None, bool | None, bool | None, bool | None]


def _schemas(tool: ToolRecord) -> str:
    # repr is twice as fast as json.dumps and exact for JSON values.
    return repr((tool.input_schema, tool.output_schema))


def classification(
    access: Access,
    risk: Risk,
    category: Category,
    capabilities: tuple[Capability, ...],
    confidence: float,
    reasons: tuple[str, ...],
    flags: tuple[Flag, ...],
    classifier_version: str,
) -> Classification:
    """`Classification(...)` of values that are valid by construction, without checking them again.

    The classifier makes one per tool, and validating values it typed itself costs twice as
    much as building the object. It is built the way pydantic builds one from a pickle; should
    a pydantic release keep other state, the check below makes this validate instead.
    """
    if _UNCHECKED and type(confidence) is float and 0.0 <= confidence <= 1.0:
        return _unchecked(
            access, risk, category, capabilities, confidence, reasons, flags, classifier_version
        )
    # Converted, or refused with pydantic's own error.
    return Classification(
        access=access,
        risk=risk,
        category=category,
        capabilities=capabilities,
        confidence=confidence,
        reasons=reasons,
        flags=flags,
        classifier_version=classifier_version,
    )


def _unchecked(
    access: Access,
    risk: Risk,
    category: Category,
    capabilities: tuple[Capability, ...],
    confidence: float,
    reasons: tuple[str, ...],
    flags: tuple[Flag, ...],
    classifier_version: str,
) -> Classification:
    made = _new(Classification)
    fields = {
        "access": access,
        "risk": risk,
        "category": category,
        "capabilities": capabilities,
        "confidence": confidence,
        "reasons": reasons,
        "flags": flags,
        "classifier_version": classifier_version,
    }
    _set(made, "__dict__", fields)
    _set(made, "__pydantic_fields_set__", set(fields))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


_new = object.__new__
_set = object.__setattr__


def _unchecked_is_validated() -> bool:
    """Whether an unchecked Classification is the validated one, state and all."""
    example = (
        Access.WRITE,
        Risk.MEDIUM,
        Category.WRITE,
        (Capability.SECRETS,),
        0.5,
        ("a reason",),
        (Flag(kind="kind", message="message"),),
        "version",
    )
    unchecked = _unchecked(*example)
    validated = Classification(**dict(zip(Classification.model_fields, example, strict=True)))
    return bool(unchecked.__getstate__() == validated.__getstate__() and unchecked == validated)


_UNCHECKED = _unchecked_is_validated()


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is classified.

    A batch allocates millions of small objects and frees them by reference counting; the
    collector would rescan every live object (the batch's tools included) again and again
    and find nothing, which costs about a fifth of the batch's time.

    What the batch keeps (its classifications, the memos) is long-lived: it joins the oldest
    generation at once. Left in the youngest, the first allocation after the pause would scan
    all of it, a few tenths of a second after a large batch, to find nothing again. Objects
    someone else froze stay frozen: the move is skipped then.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()  # every tracked object to the permanent generation...
                gc.unfreeze()  # ...and back, into the oldest one, without being scanned
            gc.enable()
