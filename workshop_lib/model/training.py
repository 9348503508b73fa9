"""Train the sentiment model on the kit's corpus (data/sentiment.csv) and measure it on the held-out split.

The pipeline is scikit-learn's ``TfidfVectorizer`` (with the inference script's own ``analyze`` as
analyzer, so training and serving cut text into the same features) and ``LogisticRegression``
(lbfgs). Both are deterministic: the same corpus gives the same coefficients, and it trains in
about a second. The split is fixed by the corpus's ``split`` column, never drawn at random.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from ..config import KIT_ROOT
from ..errors import InvalidInput
from . import inference

CORPUS_PATH = KIT_ROOT / "data" / "sentiment.csv"
COLUMNS = ("id", "text", "label", "split")
SPLITS = ("train", "test")
DEFAULT_C = 30.0  # inverse regularisation strength, chosen by 5-fold cross-validation on the train split


@dataclass(frozen=True)
class Corpus:
    """The labelled texts, in file order."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    splits: tuple[str, ...]
    sha256: str
    path: Path

    @property
    def label_set(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.labels)))

    def part(self, split: str) -> tuple[list[str], list[str]]:
        """Texts and labels of one split ("train" or "test")."""
        rows = [(t, y) for t, y, s in zip(self.texts, self.labels, self.splits, strict=True) if s == split]
        return [t for t, _ in rows], [y for _, y in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        """Number of texts per split and label."""
        out: dict[str, dict[str, int]] = {s: dict.fromkeys(self.label_set, 0) for s in SPLITS}
        for y, s in zip(self.labels, self.splits, strict=True):
            out[s][y] += 1
        return out


def load_corpus(path: Path | str = CORPUS_PATH) -> Corpus:
    """Read and check the corpus CSV (columns id,text,label,split; UTF-8)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput(
            "the corpus file does not exist", resource=str(path), fix="restore data/sentiment.csv"
        ) from exc
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    if not rows or tuple(rows[0].keys()) != COLUMNS:
        found = tuple(rows[0].keys()) if rows else ()
        raise InvalidInput(
            f"the corpus must have the columns {','.join(COLUMNS)}, found {','.join(found) or 'no rows'}",
            resource=str(path),
            fix="keep the header line id,text,label,split",
        )
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        problem = None
        if not (row["text"] or "").strip():
            problem = "has an empty text"
        elif not (row["label"] or "").strip():
            problem = "has no label"
        elif row["split"] not in SPLITS:
            problem = f"has split {row['split']!r}, expected one of {', '.join(SPLITS)}"
        elif row["text"] in seen:
            problem = "repeats a text that appears earlier (a duplicate could sit in both splits)"
        if problem:
            raise InvalidInput(f"line {line} {problem}", resource=str(path), fix="correct that line of the CSV")
        seen.add(row["text"])
    corpus = Corpus(
        ids=tuple(r["id"] for r in rows),
        texts=tuple(r["text"] for r in rows),
        labels=tuple(r["label"] for r in rows),
        splits=tuple(r["split"] for r in rows),
        sha256=hashlib.sha256(raw).hexdigest(),
        path=path,
    )
    for split, per_label in corpus.counts().items():
        if len(corpus.label_set) < 2 or min(per_label.values()) == 0:
            raise InvalidInput(
                f"the {split} split needs texts of every label, it has {per_label}",
                resource=str(path),
                fix="label more texts, or move some to that split",
            )
    return corpus


def build_pipeline(c: float = DEFAULT_C) -> Pipeline:
    """The untrained pipeline: TF-IDF over the inference script's features, then logistic regression."""
    return Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer=inference.analyze, sublinear_tf=True, norm="l2")),
            ("clf", LogisticRegression(C=c, max_iter=5000)),
        ]
    )


@dataclass(frozen=True)
class TrainingResult:
    """The fitted pipeline and how it did on the held-out split."""

    pipeline: Pipeline
    labels: tuple[str, ...]  # the classifier's class order; also the confusion matrix's row/column order
    accuracy: float
    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted label
    n_train: int
    n_test: int
    seconds: float
    corpus_sha256: str
    c: float

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(y) for y in self.pipeline.predict(list(texts))]

    def confusion_table(self) -> str:
        """The confusion matrix as a small Markdown table."""
        head = "| true \\ predicted | " + " | ".join(self.labels) + " |"
        rule = "|---|" + "---:|" * len(self.labels)
        body = [
            f"| {label} | " + " | ".join(str(n) for n in row) + " |"
            for label, row in zip(self.labels, self.confusion, strict=True)
        ]
        return "\n".join([head, rule, *body])

    def summary(self) -> str:
        return (
            f"held-out accuracy {self.accuracy:.3f} on {self.n_test} texts "
            f"(trained on {self.n_train} in {self.seconds:.2f} s)\n{self.confusion_table()}"
        )


def train(corpus: Corpus | Path | str | None = None, *, c: float = DEFAULT_C) -> TrainingResult:
    """Fit on the corpus's train split and evaluate on its test split."""
    if not isinstance(corpus, Corpus):
        corpus = load_corpus(corpus if corpus is not None else CORPUS_PATH)
    x_train, y_train = corpus.part("train")
    x_test, y_test = corpus.part("test")
    pipeline = build_pipeline(c)
    started = time.perf_counter()
    pipeline.fit(x_train, y_train)
    seconds = time.perf_counter() - started
    labels = tuple(str(label) for label in pipeline.classes_)
    predicted = pipeline.predict(x_test)
    matrix = confusion_matrix(y_test, predicted, labels=list(labels))
    return TrainingResult(
        pipeline=pipeline,
        labels=labels,
        accuracy=float(accuracy_score(y_test, predicted)),
        confusion=tuple(tuple(int(n) for n in row) for row in matrix),
        n_train=len(x_train),
        n_test=len(x_test),
        seconds=seconds,
        corpus_sha256=corpus.sha256,
        c=c,
    )


def cross_validate(
    corpus: Corpus | None = None, cs: Sequence[float] = (1.0, 3.0, 10.0, 30.0, 100.0), folds: int = 5
) -> dict[float, float]:
    """Mean k-fold accuracy on the train split for each C (how DEFAULT_C was chosen; the test split is not used)."""
    corpus = corpus or load_corpus()
    x_train, y_train = corpus.part("train")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    return {c: float(cross_val_score(build_pipeline(c), x_train, y_train, cv=splitter).mean()) for c in cs}
