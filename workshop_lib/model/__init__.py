"""The sentiment model: corpus, training, the SageMaker artifact, and the inference script it ships.

``train()`` fits a scikit-learn pipeline on data/sentiment.csv and reports held-out accuracy and a
confusion matrix; ``build_artifact()`` writes the model.tar.gz the SageMaker scikit-learn container
serves (``inference.py`` is its entry point). Importing this package is cheap: scikit-learn is
imported when a training name is first used, so workshop_lib.endpoint does not pay for it.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ARTIFACT_NAME": "artifact",
    "CONTAINER_ENVIRONMENT": "artifact",
    "artifact_bytes": "artifact",
    "build_artifact": "artifact",
    "export_model": "artifact",
    "sha256_of": "artifact",
    "CORPUS_PATH": "training",
    "Corpus": "training",
    "TrainingResult": "training",
    "build_pipeline": "training",
    "load_corpus": "training",
    "train": "training",
    "cross_validate": "training",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
