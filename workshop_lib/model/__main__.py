"""``python -m workshop_lib.model [--out PATH]``: retrain, print held-out accuracy and the confusion matrix,
write model.tar.gz."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .artifact import build_artifact, sha256_of
from .training import CORPUS_PATH, DEFAULT_C, cross_validate, load_corpus, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop_lib.model", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS_PATH, help="labelled CSV (id,text,label,split)")
    parser.add_argument("--out", type=Path, default=Path("build") / "model.tar.gz", help="where to write model.tar.gz")
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="logistic regression C")
    parser.add_argument("--cv", action="store_true", help="also print 5-fold cross-validation accuracy per C")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.corpus)
    if args.cv:
        for c, accuracy in cross_validate(corpus).items():
            sys.stdout.write(f"5-fold CV on the train split: C={c:g} accuracy {accuracy:.3f}\n")
    result = train(corpus, c=args.c)
    path = build_artifact(result, args.out)
    sys.stdout.write(f"corpus {corpus.path} ({len(corpus.texts)} texts, per split and label: {corpus.counts()})\n")
    sys.stdout.write(result.summary() + "\n")
    sys.stdout.write(f"artifact {path} sha256 {sha256_of(path)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
