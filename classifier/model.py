"""The scikit-learn access model: its pipeline, batch prediction and explanations.

This module, the capability model and the model files (classifier/model_files.py) are the only
ones that import scikit-learn; the rest of the catalog reaches them lazily.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy import sparse  # type: ignore[import-untyped]  # no stubs; see pyproject overrides
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler
from sklearn.utils import check_array

from catalog.errors import ClassifierError
from catalog.records import Access, Capability
from classifier.capability_model import CapabilityModel, fit_capabilities
from classifier.signals import HINT_FEATURES, RULE_FEATURE_NAMES, Signals, hidden_hints

MODEL_VERSION = "access-2"
"""Bumped whenever the inputs or the pipeline's shape change: older files are then refused."""
RANDOM_STATE = 20260708
DEFAULT_C = 4.0
TEXT_COLUMNS = ("name", "body", "params")
_TOKEN = r"(?u)\b[A-Za-z][A-Za-z0-9']+\b"
_Target = TypeVar("_Target")


def build_pipeline(c: float = DEFAULT_C) -> Pipeline:
    """TF-IDF word and character n-grams of the name, words of the text and parameters, rule numbers."""
    first_numeric = len(TEXT_COLUMNS)
    columns = ColumnTransformer(
        [
            ("name_words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=_TOKEN), 0),
            ("name_chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2), 0),
            ("text_words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, token_pattern=_TOKEN), 1),
            ("param_words", TfidfVectorizer(sublinear_tf=True, min_df=2, token_pattern=r"\S+", lowercase=True), 2),
            ("rules", MaxAbsScaler(), slice(first_numeric, first_numeric + len(RULE_FEATURE_NAMES))),
        ]
    )
    classifier = LogisticRegression(
        C=c, class_weight="balanced", max_iter=5000, random_state=RANDOM_STATE
    )
    return Pipeline([("features", columns), ("model", classifier)])


def model_inputs(signals: Sequence[Signals]) -> NDArray[Any]:
    """The pipeline's input: one row per tool, three text columns then the rule numbers."""
    rows = np.empty((len(signals), len(TEXT_COLUMNS) + len(RULE_FEATURE_NAMES)), dtype=object)
    for index, item in enumerate(signals):
        rows[index, 0] = item.name_text
        rows[index, 1] = item.body_text
        rows[index, 2] = item.params_text
        rows[index, len(TEXT_COLUMNS) :] = item.numbers
    return rows


def fit(signals: Sequence[Signals], labels: Sequence[Access], c: float = DEFAULT_C) -> Pipeline:
    """A fitted pipeline; the same data always gives the same model (fixed solver and seed).

    Every row that declares hints is also shown with its hints hidden: most real tools declare
    none, and the model must not learn to lean on a hint that is usually absent.
    """
    if len(set(labels)) < 2:
        raise ClassifierError("training needs examples of at least two access classes")
    shown, targets = with_hidden_hints(signals, labels)
    pipeline = build_pipeline(c)
    pipeline.fit(model_inputs(shown), [label.value for label in targets])
    for _, transformer, _ in pipeline.named_steps["features"].transformers_:
        # The terms min_df dropped: only for introspection, and most of the file's size.
        if isinstance(transformer, TfidfVectorizer):
            transformer.stop_words_ = None
    return pipeline


def fit_capability_model(
    model: AccessModel, signals: Sequence[Signals], found: Sequence[frozenset[Capability] | None]
) -> CapabilityModel:
    """The capability model over `model`'s features, fitted on the rows whose capabilities are labelled."""
    labelled = [(item, caps) for item, caps in zip(signals, found, strict=True) if caps is not None]
    if not labelled:
        return CapabilityModel({})
    shown, targets = with_hidden_hints([item for item, _ in labelled], [caps for _, caps in labelled])
    matrix = model.transform(model_inputs(shown))
    return CapabilityModel(fit_capabilities(matrix, targets, RANDOM_STATE))


def with_hidden_hints(
    signals: Sequence[Signals], targets: Sequence[_Target]
) -> tuple[list[Signals], list[_Target]]:
    """Every row, then every row that declares hints again with its hints hidden (see `fit`)."""
    shown, shown_targets = list(signals), list(targets)
    for item, target in zip(signals, targets, strict=True):
        if any(item.numbers[-HINT_FEATURES:]):
            shown.append(hidden_hints(item))
            shown_targets.append(target)
    return shown, shown_targets


@dataclass(frozen=True, slots=True)
class Prediction:
    """The model's verdicts for a batch: probabilities per class and the transformed features."""

    classes: tuple[Access, ...]
    probabilities: NDArray[np.float64]
    transformed: Any
    """The sparse feature matrix the linear model saw (for explanations)."""


class AccessModel:
    """A fitted pipeline with its metadata; predicts and explains in batches."""

    def __init__(
        self, pipeline: Pipeline, meta: Mapping[str, Any], capabilities: CapabilityModel | None = None
    ) -> None:
        self.pipeline = pipeline
        self.meta = dict(meta)
        self.capabilities = capabilities
        linear: LogisticRegression = pipeline.named_steps["model"]
        self.classes = tuple(Access(value) for value in linear.classes_)
        names = pipeline.named_steps["features"].get_feature_names_out()
        self._names = [_readable(str(name)) for name in names]
        self._nameable = np.array(
            [bool(name) and name.strip("'") not in ENGLISH_STOP_WORDS for name in self._names],
            dtype=bool,
        )
        coef = np.asarray(linear.coef_, dtype=np.float64)
        # A binary model has one row of weights; per-class weights make explanations uniform.
        coef = np.vstack([-coef[0], coef[0]]) if coef.shape[0] == 1 else coef
        self._weights = coef - coef.mean(axis=0, keepdims=True)
        self._blocks = _blocks(pipeline.named_steps["features"])

    def predict(self, signals: Sequence[Signals]) -> Prediction:
        """Class probabilities for every tool, in one vectorised pass."""
        return self.predict_transformed(self.transform(model_inputs(signals)))

    def transform(self, inputs: NDArray[Any]) -> Any:
        """The pipeline's feature matrix for model inputs, each distinct text analysed once.

        The same as the column transformer's own `transform`, row for row and byte for byte:
        a TF-IDF row depends on its text alone. Names repeat across a batch (one product's
        tools, or the same server under several keys), and their character n-grams are the
        costliest part of the model's input; a column that repeats keeps its rows for the
        next batch too (a large batch goes through in several).
        """
        columns: ColumnTransformer = self.pipeline.named_steps["features"]
        if self._blocks is None:
            return columns.transform(inputs)
        blocks = []
        for transformer, column in self._blocks:
            part = inputs[:, column]
            if isinstance(transformer, TfidfVectorizer):
                distinct, rows = _distinct(part)
                if len(distinct) * 2 <= len(part):
                    blocks.append(_kept_rows(transformer).transform(distinct)[rows])
                else:
                    blocks.append(_in_vocabulary(transformer).transform(distinct)[rows])
            else:
                blocks.append(transformer.transform(part))
        # What ColumnTransformer._hstack does for a sparse output.
        checked = [check_array(block, accept_sparse=True, ensure_all_finite=False) for block in blocks]
        return sparse.hstack(checked).tocsr()

    def predict_transformed(self, transformed: Any) -> Prediction:
        """Probabilities for an already transformed matrix (the bare model step)."""
        linear: LogisticRegression = self.pipeline.named_steps["model"]
        probabilities = np.asarray(linear.predict_proba(transformed), dtype=np.float64)
        return Prediction(self.classes, probabilities, transformed)

    def capability_chances(self, prediction: Prediction) -> list[list[float]] | None:
        """Every row's probability of each capability (in Capability order); None without a capability model."""
        if self.capabilities is None:
            return None
        chances: list[list[float]] = self.capabilities.probabilities(prediction.transformed).tolist()
        return chances

    def top_terms(self, prediction: Prediction, row: int, access: Access, count: int = 3) -> list[str]:
        """The features that pushed this row most towards `access`, words before rule numbers.

        The rules' own reasons follow in a classification, so rule features are named only when
        no word of the tool pushed towards the class.
        """
        single = Prediction(self.classes, prediction.probabilities[row : row + 1], prediction.transformed[row])
        return self.top_terms_all(single, [access], count)[0]

    def top_terms_all(
        self, prediction: Prediction, accesses: Sequence[Access], count: int = 3
    ) -> list[list[str]]:
        """`top_terms` of every row of a batch towards its own access, in one vectorised pass."""
        matrix = prediction.transformed
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        targets = np.array([self.classes.index(access) for access in accesses], dtype=np.intp)
        contributions = matrix.data * self._weights[targets[rows], matrix.indices]
        # Only pushes towards the class on features a reader understands can be named.
        keep = (contributions > 0) & self._nameable[matrix.indices]
        rows, columns, contributions = rows[keep], matrix.indices[keep], contributions[keep]
        # By row, then strongest first; ties keep the matrix's order (a stable sort).
        order = np.lexsort((-contributions, rows))
        ranked = columns[order].tolist()
        bounds = np.searchsorted(rows[order], np.arange(len(accesses) + 1)).tolist()
        return [
            self._first_names(ranked, bounds[row], bounds[row + 1], count)
            for row in range(len(accesses))
        ]

    def _first_names(self, ranked: list[int], start: int, stop: int, count: int) -> list[str]:
        """The first `count` distinct words among ranked[start:stop], else its first rule names."""
        names = self._names
        words: list[str] = []
        rules: list[str] = []
        for position in range(start, stop):
            if len(words) >= count:
                break
            name = names[ranked[position]]
            if name in words:
                continue
            (rules if name in _RULE_NAMES else words).append(name)
        return words or rules[:count]


_RULE_NAMES = frozenset(RULE_FEATURE_NAMES)


def _blocks(columns: ColumnTransformer) -> list[tuple[Any, Any]] | None:
    """(fitted transformer, column) in output order; None when only `transform` itself will do."""
    if not columns.sparse_output_ or columns.transformer_weights is not None:
        return None
    blocks: list[tuple[Any, Any]] = []
    for _, transformer, column in columns.transformers_:
        if isinstance(transformer, str):
            if transformer != "drop":
                return None  # passthrough columns: leave them to scikit-learn
            continue
        blocks.append((transformer, column))
    return blocks


def _distinct(values: NDArray[Any]) -> tuple[list[Any], NDArray[np.intp]]:
    """The distinct values in first-seen order, and each value's position among them."""
    first: dict[Any, int] = {}
    rows = np.fromiter(
        (first.setdefault(value, len(first)) for value in values.tolist()),
        dtype=np.intp,
        count=len(values),
    )
    return list(first), rows


def _kept_rows(vectorizer: TfidfVectorizer) -> _KeptRows:
    """The rows `vectorizer` has made for texts of repeating columns, kept across batches."""
    kept = _KEPT.get(id(vectorizer))
    if kept is None or kept.vectorizer is not vectorizer:
        kept = _KEPT[id(vectorizer)] = _KeptRows(vectorizer)
    return kept


class _KeptRows:
    """A vectorizer's transform that remembers each text's row (its data and column indices)."""

    LIMIT = 1 << 16
    """Texts remembered at most: past that the memory starts again."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.vectorizer = vectorizer
        self.rows: dict[str, tuple[NDArray[Any], NDArray[Any]]] = {}
        self.made: Any = None
        """The last matrix the vectorizer made: matrices of kept rows are made like it."""

    def transform(self, texts: list[str]) -> Any:
        """`vectorizer.transform(texts)`, the same arrays, from kept rows where there are some."""
        missing = [text for text in dict.fromkeys(texts) if text not in self.rows]
        if missing:
            made = self.made = _in_vocabulary(self.vectorizer).transform(missing)
            if len(self.rows) + len(missing) > self.LIMIT:
                self.rows = {text: self.rows[text] for text in texts if text in self.rows}
            bounds = made.indptr.tolist()
            for index, text in enumerate(missing):
                start, stop = bounds[index], bounds[index + 1]
                # Copies: a view would keep the whole matrix alive.
                self.rows[text] = (made.data[start:stop].copy(), made.indices[start:stop].copy())
        rows = [self.rows[text] for text in texts]
        made = self.made
        indptr = np.zeros(len(rows) + 1, dtype=made.indptr.dtype)
        np.cumsum([len(data) for data, _ in rows], out=indptr[1:])
        data = np.concatenate([data for data, _ in rows])
        indices = np.concatenate([indices for _, indices in rows])
        return type(made)((data, indices, indptr), shape=(len(rows), made.shape[1]))


_KEPT: dict[int, _KeptRows] = {}


def _in_vocabulary(vectorizer: TfidfVectorizer) -> TfidfVectorizer:
    """`vectorizer`, or for words and word pairs a copy whose analyzer leaves out unknown terms.

    Its transform counts unknown terms nowhere anyway; leaving them out early spares looking
    up (and failing on) most word pairs, which are unknown. The matrices are the same.
    """
    cached = _PRUNED.get(id(vectorizer))
    if cached is None or cached[0] is not vectorizer:
        pruned = vectorizer
        if vectorizer.analyzer == "word" and vectorizer.ngram_range == (1, 2):
            pruned = copy.copy(vectorizer)
            pruned.analyzer = _KnownTerms(vectorizer)
        cached = _PRUNED[id(vectorizer)] = (vectorizer, pruned)
    return cached[1]


_PRUNED: dict[int, tuple[TfidfVectorizer, TfidfVectorizer]] = {}


class _KnownTerms:
    """A word analyzer's words then word pairs (its own steps, in its order), unknown terms left out."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.preprocess = vectorizer.build_preprocessor()
        self.tokenize = vectorizer.build_tokenizer()
        self.stop_words = vectorizer.get_stop_words()
        self.known: Mapping[str, int] = vectorizer.vocabulary_
        # Every way a known term could begin with a whole token and a space: a pair can only be
        # known when its first token is one of these.
        self.firsts = frozenset(
            term[:index] for term in self.known for index, char in enumerate(term) if char == " "
        )

    def __call__(self, document: str) -> list[str]:
        tokens = self.tokenize(self.preprocess(document))
        if self.stop_words is not None:
            tokens = [token for token in tokens if token not in self.stop_words]
        known = self.known
        terms = [token for token in tokens if token in known]
        firsts = self.firsts
        terms += [
            pair
            for first, second in pairwise(tokens)
            if first in firsts and (pair := f"{first} {second}") in known
        ]
        return terms


def _readable(feature: str) -> str:
    block, _, term = feature.partition("__")
    if block == "name_chars":
        return ""  # character fragments explain nothing to a reader
    if block == "rules":
        index = int(term.removeprefix("x")) - len(TEXT_COLUMNS)
        return RULE_FEATURE_NAMES[index]
    if block == "param_words":
        return f"param '{term.removeprefix('p_')}'" if term.startswith("p_") else f"'{term}'"
    return f"'{term}'"
