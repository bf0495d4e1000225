"""The scikit-learn access model: its pipeline, batch prediction, explanations and skops files.

This is the one module that imports scikit-learn; the rest of the catalog reaches it lazily.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops.io as sio
from numpy.typing import NDArray
from scipy import sparse  # type: ignore[import-untyped]  # no stubs; see pyproject overrides
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler
from sklearn.utils import check_array

from catalog.errors import ClassifierError
from catalog.records import Access
from classifier.signals import HINT_FEATURES, RULE_FEATURE_NAMES, Signals, hidden_hints

MODEL_VERSION = "access-1"
"""Bumped whenever the inputs or the pipeline's shape change: older files are then refused."""
MODEL_FILE = "access.skops"
META_FILE = "meta.json"
RANDOM_STATE = 20260708
DEFAULT_C = 4.0
TEXT_COLUMNS = ("name", "body", "params")
# skops trusts scikit-learn, numpy and scipy types by default; nothing else may be in a model file.
EXTRA_TRUSTED_TYPES: frozenset[str] = frozenset()
_TOKEN = r"(?u)\b[A-Za-z][A-Za-z0-9']+\b"


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
    shown, targets = list(signals), list(labels)
    for item, label in zip(signals, labels, strict=True):
        if any(item.numbers[-HINT_FEATURES:]):
            shown.append(hidden_hints(item))
            targets.append(label)
    pipeline = build_pipeline(c)
    pipeline.fit(model_inputs(shown), [label.value for label in targets])
    for _, transformer, _ in pipeline.named_steps["features"].transformers_:
        # The terms min_df dropped: only for introspection, and most of the file's size.
        if isinstance(transformer, TfidfVectorizer):
            transformer.stop_words_ = None
    return pipeline


@dataclass(frozen=True, slots=True)
class Prediction:
    """The model's verdicts for a batch: probabilities per class and the transformed features."""

    classes: tuple[Access, ...]
    probabilities: NDArray[np.float64]
    transformed: Any
    """The sparse feature matrix the linear model saw (for explanations)."""


class AccessModel:
    """A fitted pipeline with its metadata; predicts and explains in batches."""

    def __init__(self, pipeline: Pipeline, meta: Mapping[str, Any]) -> None:
        self.pipeline = pipeline
        self.meta = dict(meta)
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
        costliest part of the model's input.
        """
        columns: ColumnTransformer = self.pipeline.named_steps["features"]
        if self._blocks is None:
            return columns.transform(inputs)
        blocks = []
        for transformer, column in self._blocks:
            part = inputs[:, column]
            if isinstance(transformer, TfidfVectorizer):
                distinct, rows = _distinct(part)
                blocks.append(transformer.transform(distinct)[rows])
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
            self._first_names(ranked[bounds[row] : bounds[row + 1]], count)
            for row in range(len(accesses))
        ]

    def _first_names(self, columns: list[int], count: int) -> list[str]:
        words: list[str] = []
        rules: list[str] = []
        for column in columns:
            if len(words) >= count:
                break
            name = self._names[column]
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


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(pipeline: Pipeline, meta: Mapping[str, Any], directory: Path) -> Path:
    """Write the model (skops) and meta.json; the meta records the model file's hash."""
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    payload = {"pipeline": pipeline, "model_version": meta["model_version"], "data_sha256": meta["data_sha256"]}
    # skops writes the vocabularies as verbose JSON: deflate shrinks the file about twentyfold.
    sio.dump(payload, model_path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    full = {**meta, "sklearn_version": sklearn.__version__, "model_sha256": sha256_file(model_path)}
    (directory / META_FILE).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return model_path


def read_meta(directory: Path) -> dict[str, Any]:
    """meta.json of a model folder; a missing or unreadable file is a ClassifierError."""
    path = directory / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClassifierError(f"no model metadata at {path}", hint="run `catalog classifier train`") from None
    except (OSError, ValueError) as error:
        raise ClassifierError(f"cannot read {path}: {error}") from None
    if not isinstance(meta, dict):
        raise ClassifierError(f"{path}: expected a JSON object")
    return meta


def load(directory: Path, lexicon_digest: str) -> AccessModel:
    """Load and verify a shipped model; refuse files made by other code, data or lexicons."""
    meta = read_meta(directory)
    _check_meta(meta, lexicon_digest, directory)
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ClassifierError(f"model file {model_path} is missing", hint="run `catalog classifier train`")
    if sha256_file(model_path) != meta.get("model_sha256"):
        raise ClassifierError(f"{model_path} does not match the sha256 in {META_FILE}; retrain the model")
    untrusted = set(sio.get_untrusted_types(file=model_path))
    unknown = sorted(untrusted - EXTRA_TRUSTED_TYPES)
    if unknown:
        raise ClassifierError(f"{model_path} holds types that are not trusted: {', '.join(unknown)}")
    payload = sio.load(model_path, trusted=sorted(untrusted))
    if not isinstance(payload, dict) or not isinstance(payload.get("pipeline"), Pipeline):
        raise ClassifierError(f"{model_path} does not hold a catalog access model")
    for key in ("model_version", "data_sha256"):
        if payload.get(key) != meta.get(key):
            raise ClassifierError(f"{model_path} and {META_FILE} disagree on {key}; retrain the model")
    return AccessModel(payload["pipeline"], meta)


def _check_meta(meta: Mapping[str, Any], lexicon_digest: str, directory: Path) -> None:
    hint = "run `catalog classifier train` to rebuild it"
    expected = {
        "model_version": MODEL_VERSION,
        "sklearn_version": sklearn.__version__,
        "lexicon_digest": lexicon_digest,
    }
    for key, value in expected.items():
        if meta.get(key) != value:
            raise ClassifierError(
                f"the model in {directory} was made with {key} {meta.get(key)!r}, this is {value!r}",
                hint=hint,
            )
    data_hash = meta.get("data_sha256")
    if not isinstance(data_hash, str) or len(data_hash) != 64:
        raise ClassifierError(f"{directory / META_FILE} lacks the training data's sha256", hint=hint)
