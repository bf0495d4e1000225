"""Records in, Classification out: features, rules, the model and their combination."""

from classifier.base import Classifier, default_classifier

__all__ = ["Classifier", "default_classifier"]
