"""The classifier seam: tool records in, one Classification per tool out."""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from catalog.records import Classification, ToolRecord


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


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is classified.

    A batch allocates millions of small objects and frees them by reference counting; the
    collector would rescan every live object (the batch's tools included) again and again
    and find nothing, which costs about a fifth of the batch's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
