"""Package a trained model as the SageMaker scikit-learn container expects its ``model.tar.gz``.

Layout (what the container extracts to /opt/ml/model)::

    model.json          the fitted model: features, idf weights, coefficients, labels, metrics
    code/inference.py   model_fn, input_fn, predict_fn, output_fn (workshop_lib/model/inference.py)

CreateModel points the container at the script with the environment variables
``SAGEMAKER_PROGRAM=inference.py`` and ``SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code`` (see
``CONTAINER_ENVIRONMENT``), as the SageMaker Python SDK does when it repacks a model.

The tarball is byte-for-byte reproducible (fixed mtimes and owners, gzip without a timestamp), so
the same training run gives the same SHA-256, and deploying it twice is recognisably the same model.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import inference

if TYPE_CHECKING:
    from .training import TrainingResult

ARTIFACT_NAME = "model.tar.gz"
CODE_DIR = "code"
ENTRY_POINT = "inference.py"
CONTAINER_ENVIRONMENT = {
    "SAGEMAKER_PROGRAM": ENTRY_POINT,
    "SAGEMAKER_SUBMIT_DIRECTORY": f"/opt/ml/model/{CODE_DIR}",
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
}
_FIXED_MTIME = 1_700_000_000  # any constant: it keeps the tarball reproducible


def export_model(result: TrainingResult) -> dict[str, Any]:
    """The fitted pipeline as plain data (what ``model.json`` holds and the inference script reads)."""
    import numpy as np
    import sklearn

    tfidf = result.pipeline.named_steps["tfidf"]
    clf = result.pipeline.named_steps["clf"]
    if tfidf.analyzer is not inference.analyze:
        raise ValueError("the pipeline was not built with the inference script's analyzer")
    features = [""] * len(tfidf.vocabulary_)
    for feature, column in tfidf.vocabulary_.items():
        features[column] = feature
    return {
        "format": inference.MODEL_FORMAT,
        "analyzer": inference.ANALYZER,
        "labels": [str(label) for label in clf.classes_],
        "features": features,
        "idf": tfidf.idf_.tolist(),
        "sublinear_tf": bool(tfidf.sublinear_tf),
        "norm": tfidf.norm,
        "coef": np.asarray(clf.coef_, dtype=np.float64).tolist(),
        "intercept": np.asarray(clf.intercept_, dtype=np.float64).tolist(),
        "metadata": {
            "trained_with": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
            "corpus_sha256": result.corpus_sha256,
            "C": result.c,
            "n_train": result.n_train,
            "n_test": result.n_test,
            "heldout_accuracy": result.accuracy,
            "confusion_matrix": {"labels": list(result.labels), "rows_true_columns_predicted": result.confusion},
        },
    }


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = _FIXED_MTIME
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def artifact_bytes(result: TrainingResult) -> bytes:
    """The model.tar.gz content for a training result."""
    model_json = json.dumps(export_model(result), separators=(",", ":")).encode("utf-8")
    script = Path(inference.__file__).read_bytes()
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        _add(tar, inference.MODEL_FILE, model_json)
        _add(tar, f"{CODE_DIR}/{ENTRY_POINT}", script)
    return buffer.getvalue()


def build_artifact(result: TrainingResult, out: Path | str) -> Path:
    """Write model.tar.gz for ``result`` to ``out`` (a file path, or a directory to put model.tar.gz in)."""
    out = Path(out)
    if out.is_dir():
        out = out / ARTIFACT_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(artifact_bytes(result))
    return out


def sha256_of(path: Path | str) -> str:
    """Hex SHA-256 of a file (the artifact's identity in S3 keys and SageMaker model names)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
