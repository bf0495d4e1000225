"""The classifier seam: tool records in, one Classification per tool out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

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
    """The classifier the pipeline uses when none is given (the rules, for now)."""
    # Imported here: rules.py subclasses Classifier, so a top-level import would be circular.
    from classifier.rules import RulesClassifier

    return RulesClassifier.from_data()
