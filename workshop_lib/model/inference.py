"""Inference script of the sentiment model, as the SageMaker scikit-learn container runs it.

This file is shipped unchanged as ``code/inference.py`` inside ``model.tar.gz``. The container
(``sagemaker-scikit-learn:1.2-1-cpu-py3``: Python 3.9, numpy 1.x, Flask 1.1) imports it and calls:

- ``model_fn(model_dir)`` once per serving worker (one per vCPU), on the extracted tarball;
- ``input_fn(request_body, content_type)``, ``predict_fn(data, model)``, ``output_fn(prediction, accept)``
  for every InvokeEndpoint request.

Contract. JSON in: ``{"text": "..."}`` or a list of such objects. JSON out: ``{"result": label,
"score": probability}`` or a list of them, in the same order. A request the model cannot serve gets
the status sagemaker-containers uses for it (the scikit-learn image's defaults would answer 500):
415 for a content type other than JSON, 406 for an Accept other than JSON, 400 for a body that is
not the contract above (each with a JSON ``{"error", "message"}`` body). Any other exception
propagates, and the container answers 500; InvokeEndpoint then gives ``ModelError`` with that
original status.

The fitted model travels as ``model.json`` (vocabulary, idf weights, coefficients: plain numbers),
not as a pickle: pickles made with this kit's scikit-learn 1.9 and numpy 2 do not load in the
container's scikit-learn 1.2 and numpy 1.x. Prediction here is the same arithmetic the fitted
scikit-learn pipeline does (the tests check both agree to 1e-9 on the whole corpus).

Imports: only the standard library and numpy, both present in the container. Keep this file
compatible with Python 3.9 (no ``match``, no ``zip(strict=...)``, no ``X | Y`` outside annotations,
no nested same-kind quotes in f-strings).
"""

from __future__ import annotations

import json
import os
import re

import numpy as np

MODEL_FILE = "model.json"
MODEL_FORMAT = "workshop-sentiment-linear/1"
ANALYZER = "words-negation-bigrams-char3to5/1"  # bump when analyze() changes: old model.json files are refused
JSON_TYPE = "application/json"

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,!?;:]")
_CLAUSE_END = frozenset(".,!?;:")
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nowhere",
        "neither",
        "nor",
        "cannot",
        "without",
        "hardly",
        "barely",
    ]
)
_CHAR_NGRAMS = (3, 5)


def analyze(text: str) -> list[str]:
    """The features of a text: the training pipeline's analyzer and this script's, the same function.

    Lower-cased word tokens; words after a negation ("not", "never", "n't", ...) up to the end of
    the clause become ``NOT_word`` (so "not good" and "good" differ); word bigrams; and character
    3- to 5-grams of every non-negated word (so "disappointing" shares features with "disappointed").
    """
    if not isinstance(text, str):
        raise TypeError("text must be a string, not " + type(text).__name__)
    features = []
    words = []
    negated = False
    for token in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        if token in _CLAUSE_END:
            negated = False
            continue
        word = "NOT_" + token if negated else token
        words.append(word)
        features.append(word)
        if not negated:
            padded = " " + token + " "
            for n in range(_CHAR_NGRAMS[0], _CHAR_NGRAMS[1] + 1):
                features.extend("#" + padded[i : i + n] for i in range(len(padded) - n + 1))
        if token in _NEGATIONS or token.endswith("n't"):
            negated = True
    features.extend(words[i] + " " + words[i + 1] for i in range(len(words) - 1))
    return features


class SentimentModel:
    """TF-IDF (sublinear tf, l2 norm) then a linear classifier: scikit-learn's arithmetic on plain arrays."""

    def __init__(self, spec: dict) -> None:
        if spec.get("format") != MODEL_FORMAT:
            raise ValueError(f"model.json has format {spec.get('format')!r}, this script reads {MODEL_FORMAT!r}")
        if spec.get("analyzer") != ANALYZER:
            raise ValueError(
                f"model.json was trained with analyzer {spec.get('analyzer')!r}, this script has {ANALYZER!r}"
            )
        self.labels = [str(label) for label in spec["labels"]]
        self.index = {feature: i for i, feature in enumerate(spec["features"])}
        self.idf = np.asarray(spec["idf"], dtype=np.float64)
        self.sublinear_tf = bool(spec["sublinear_tf"])
        self.coef = np.asarray(spec["coef"], dtype=np.float64)  # (1, n) binary logistic, or (k, n) multinomial
        self.intercept = np.asarray(spec["intercept"], dtype=np.float64)
        self.metadata = spec.get("metadata", {})
        if self.coef.shape[1] != len(self.index) or self.idf.shape[0] != len(self.index):
            raise ValueError("model.json is inconsistent: features, idf and coef differ in length")

    def _decision(self, text: str) -> np.ndarray:
        counts = {}
        for feature in analyze(text):
            column = self.index.get(feature)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return self.intercept.copy()
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        weights = tf * self.idf[columns]
        weights /= np.sqrt(np.dot(weights, weights))
        return self.coef[:, columns].dot(weights) + self.intercept

    def predict_proba(self, texts: list) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``self.labels`` order."""
        rows = []
        for text in texts:
            scores = self._decision(text)
            if scores.shape[0] == 1:  # binary logistic regression: P(labels[1]) = sigmoid(score)
                positive = 1.0 / (1.0 + np.exp(-scores[0]))
                rows.append([1.0 - positive, positive])
            else:
                exp = np.exp(scores - scores.max())
                rows.append(exp / exp.sum())
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(self.labels))

    def predict(self, texts: list) -> list:
        """``[{"result": label, "score": probability of that label}, ...]``."""
        out = []
        for row in self.predict_proba(texts):
            best = int(np.argmax(row))
            out.append({"result": self.labels[best], "score": float(row[best])})
        return out


_REASONS = {400: "Bad Request", 406: "Not Acceptable", 415: "Unsupported Media Type"}


class ClientErrorResponse:
    """A 4xx answer, as a WSGI application.

    The container's Flask worker serves whatever ``output_fn`` returns; a WSGI callable is run as
    a response (Flask's documented return types), which is how a script that imports only the
    standard library can answer 400/406/415 instead of 500.
    """

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message

    @property
    def body(self) -> bytes:
        reason = _REASONS.get(self.status, "Client Error")
        return json.dumps({"error": reason, "message": self.message}).encode("utf-8")

    def __call__(self, environ: dict, start_response: object) -> list:
        body = self.body
        start_response(  # type: ignore[operator]
            f"{self.status} {_REASONS.get(self.status, 'Client Error')}",
            [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body)))],
        )
        return [body]


class Request:
    """What ``input_fn`` parsed: the texts, and whether the caller sent one object or a list."""

    def __init__(self, texts: list, single: bool) -> None:
        self.texts = texts
        self.single = single


class Prediction:
    def __init__(self, items: list, single: bool) -> None:
        self.items = items
        self.single = single


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def _text_of(item: object, position: str) -> str:
    if not isinstance(item, dict) or "text" not in item:
        got = f"an object with keys {sorted(item)}" if isinstance(item, dict) else f"a JSON {type(item).__name__}"
        raise ValueError(f'{position} must be an object {{"text": "..."}}, got {got}')
    text = item["text"]
    if not isinstance(text, str):
        raise ValueError(f'{position}: "text" must be a string, got a JSON {type(text).__name__}')
    return text


def model_fn(model_dir: str) -> SentimentModel:
    """Load ``model.json`` from the extracted model directory (the container passes /opt/ml/model)."""
    with open(os.path.join(model_dir, MODEL_FILE), encoding="utf-8") as fh:
        return SentimentModel(json.load(fh))


def input_fn(request_body: object, request_content_type: str | None) -> object:
    """Parse ``{"text": ...}`` or a list of them; a client error becomes a ClientErrorResponse."""
    content_type = _media_type(request_content_type) or JSON_TYPE  # the container's default
    if content_type != JSON_TYPE:
        return ClientErrorResponse(
            415, f"content type {request_content_type or ''!r} is not supported: send application/json"
        )
    try:
        if isinstance(request_body, (bytes, bytearray)):
            request_body = bytes(request_body).decode("utf-8")
        payload = json.loads(request_body)  # type: ignore[arg-type]
    except (UnicodeDecodeError, ValueError) as exc:
        return ClientErrorResponse(400, f"the body is not valid UTF-8 JSON: {exc}")
    try:
        if isinstance(payload, list):
            return Request([_text_of(item, f"item {i}") for i, item in enumerate(payload)], single=False)
        return Request([_text_of(payload, "the body")], single=True)
    except ValueError as exc:
        return ClientErrorResponse(400, str(exc))


def predict_fn(input_data: object, model: SentimentModel) -> object:
    """Predict every text; a client error from input_fn passes through untouched."""
    if isinstance(input_data, ClientErrorResponse):
        return input_data
    return Prediction(model.predict(input_data.texts), input_data.single)  # type: ignore[attr-defined]


def output_fn(prediction: object, accept: str | None) -> object:
    """JSON body and content type (the container turns the tuple into the HTTP response)."""
    if isinstance(prediction, ClientErrorResponse):
        return prediction
    if _media_type(accept) not in ("", "*/*", JSON_TYPE):
        return ClientErrorResponse(406, f"accept type {accept!r} is not supported: accept application/json")
    items = [{"result": p["result"], "score": round(p["score"], 4)} for p in prediction.items]  # type: ignore[attr-defined]
    body = items[0] if prediction.single else items  # type: ignore[attr-defined]
    return json.dumps(body), JSON_TYPE
