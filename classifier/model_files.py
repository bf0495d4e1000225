"""Model files: the skops archive and meta.json written byte-for-byte reproducibly, loaded only after checks."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops.io as sio
from sklearn.pipeline import Pipeline

from catalog.errors import ClassifierError
from classifier.capability_model import verified_capability_model
from classifier.combined import CapabilityPolicy
from classifier.model import MODEL_VERSION, AccessModel

MODEL_FILE = "access.skops"
META_FILE = "meta.json"
# skops trusts scikit-learn, numpy and scipy types by default; nothing else may be in a model file.
EXTRA_TRUSTED_TYPES: frozenset[str] = frozenset()
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(model: AccessModel, directory: Path) -> Path:
    """Write the model (skops) and meta.json; the meta records the model file's hash."""
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    meta = model.meta
    for _, transformer, _ in model.pipeline.named_steps["features"].transformers_:
        # Every transform caches id() of the stop words, which differs from process to process;
        # left in, the same model would give different files (transform simply checks again).
        vars(transformer).pop("_stop_words_id", None)
    payload = {
        "pipeline": model.pipeline,
        "capabilities": model.capabilities.models if model.capabilities is not None else {},
        "model_version": meta["model_version"],
        "data_sha256": meta["data_sha256"],
    }
    # skops writes the vocabularies as verbose JSON: deflate shrinks the file about twentyfold.
    archive = sio.dumps(payload, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    model_path.write_bytes(_canonical_archive(archive))
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
    pipeline: Pipeline = payload["pipeline"]
    features = np.asarray(pipeline.named_steps["model"].coef_).shape[1]
    policy = CapabilityPolicy.from_meta(meta)
    capabilities = verified_capability_model(payload.get("capabilities"), features, policy, str(model_path))
    return AccessModel(pipeline, meta, capabilities)


def _canonical_archive(archive: bytes) -> bytes:
    """The skops archive with the same bytes whenever the model is the same.

    skops names shared objects and array files by their id() in the saving process, and zip
    entries carry the time of writing; here ids are renumbered in order of appearance and
    every entry gets one fixed time.
    """
    numbers: dict[int, int] = {}

    def renumber(node: Any) -> Any:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    node[key] = numbers.setdefault(value, len(numbers))
                elif key == "file" and isinstance(value, str):
                    stem, dot, suffix = value.partition(".")
                    node[key] = f"{numbers.setdefault(int(stem), len(numbers))}{dot}{suffix}"
                else:
                    renumber(value)
        elif isinstance(node, list):
            for item in node:
                renumber(item)
        return node

    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(output, "w") as target:
        schema = renumber(json.loads(source.read("schema.json")))
        for entry in source.infolist():
            name = entry.filename
            if name == "schema.json":
                data = json.dumps(schema, indent=2).encode("utf-8")
            else:
                stem, dot, suffix = name.partition(".")
                name, data = f"{numbers[int(stem)]}{dot}{suffix}", source.read(entry)
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            target.writestr(info, data, compresslevel=9)
    return output.getvalue()


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
