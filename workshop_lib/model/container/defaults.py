"""The image's default model_fn, input_fn, predict_fn and output_fn, for a script that does not define them.

The scikit-learn image has no default model_fn (it raises, so the endpoint fails its health check). Its input_fn
decodes ``application/json``, ``text/csv`` and ``application/x-npy`` bodies to a numpy array (the two text types as
float32); predict_fn calls ``model.predict``; output_fn encodes the prediction for the Accept type (the same three).
Any other type raises, which the worker answers with 500: the image wraps its defaults like the script's own
functions, so sagemaker-containers' 415 and 406 answers are never reached. One deliberate difference: an NPY body
is read without pickles (the container allows them; here they would run code in the local cloud's process).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
UTF8_TYPES = (JSON, CSV)  # the worker hands these bodies to input_fn as str, any other as bytes
NO_MODEL_FN = (
    "\nPlease provide a model_fn implementation.\n"
    "See documentation for model_fn at https://github.com/aws/sagemaker-python-sdk\n"
)


class UnsupportedFormatError(Exception):
    """A content type or Accept type the defaults cannot decode or encode."""

    def __init__(self, content_type: str) -> None:
        super().__init__(f"Content type {content_type} is not supported by this framework.")


def model_fn(model_dir: str) -> Any:
    raise NotImplementedError(NO_MODEL_FN)


def _csv_to_array(text: str) -> np.ndarray:
    rows = list(csv.reader(io.StringIO(text), delimiter=",", quotechar='"', doublequote=True, strict=True))
    array = np.array(rows).squeeze()
    try:
        return array.astype(None)  # numbers as float64; text stays text (and fails below)
    except ValueError:
        return array


def decode(content: Any, content_type: str) -> np.ndarray:
    if content_type == JSON:
        return np.array(json.loads(content))
    if content_type == CSV:
        return _csv_to_array(content)
    if content_type == NPY:
        return np.load(io.BytesIO(content), allow_pickle=False)
    raise UnsupportedFormatError(content_type)


def input_fn(content: Any, content_type: str) -> np.ndarray:
    array = decode(content, content_type)
    return array.astype(np.float32) if content_type in UTF8_TYPES else array


def predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def _to_list(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(prediction: Any, accept: str) -> bytes | str:
    if accept == JSON:
        return json.dumps(prediction, default=_to_list)
    if accept == CSV:
        array = np.array(prediction)
        if array.ndim == 1:
            array = array.reshape(array.shape[0], 1)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True, strict=True).writerows(
            array
        )
        return out.getvalue()
    if accept == NPY:
        buffer = io.BytesIO()
        np.save(buffer, prediction)
        return buffer.getvalue()
    raise UnsupportedFormatError(accept)


def output_fn(prediction: Any, accept: str) -> tuple[bytes | str, str]:
    """The encoded prediction and its type (the worker makes the response's Content-Type of it)."""
    return encode(prediction, accept), accept
