"""The sentiment model: corpus, deterministic training, held-out quality, and the SageMaker artifact.

The artifact's script is checked the way the scikit-learn serving container uses it: the tarball is
extracted, code/inference.py is imported from there (not from workshop_lib), model_fn(model_dir) is
called on the extracted directory, then input_fn -> predict_fn -> output_fn per request.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from workshop_lib.errors import InvalidInput
from workshop_lib.model import CORPUS_PATH, artifact_bytes, build_artifact, export_model, load_corpus, train
from workshop_lib.model import inference as inference_source
from workshop_lib.model.training import TrainingResult

ACCURACY_GOAL = 0.85


@pytest.fixture(scope="module")
def result() -> TrainingResult:
    return train()


@pytest.fixture(scope="module")
def served(result: TrainingResult, tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, object, Path]:
    """The artifact extracted like /opt/ml/model, its script imported from there, model_fn called."""
    model_dir = tmp_path_factory.mktemp("opt-ml-model")
    archive = build_artifact(result, model_dir.parent / "model.tar.gz")
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(model_dir, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    spec = importlib.util.spec_from_file_location("inference", model_dir / "code" / "inference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, module.model_fn(str(model_dir)), model_dir


def _call(module: ModuleType, model: object, body: object, content_type: str = "application/json", accept: str = ""):
    return module.output_fn(module.predict_fn(module.input_fn(body, content_type), model), accept)


def _client_error(result: object) -> tuple[int, dict]:
    """Run a WSGI answer the way the container's Flask worker would; return status and JSON body."""
    captured: dict[str, object] = {}

    def start_response(status: str, headers: list) -> None:
        captured["status"], captured["headers"] = status, dict(headers)

    body = b"".join(result({}, start_response))  # type: ignore[operator]
    assert captured["headers"]["Content-Type"] == "application/json"  # type: ignore[index]
    return int(str(captured["status"]).split()[0]), json.loads(body)


# --- Corpus ---------------------------------------------------------------------------------------
def test_corpus__has_several_hundred_texts_balanced_across_labels_in_both_splits():
    corpus = load_corpus()
    counts = corpus.counts()
    assert len(corpus.texts) >= 800
    assert corpus.label_set == ("negative", "positive")
    for split in ("train", "test"):
        assert counts[split]["negative"] == counts[split]["positive"]
    assert counts["test"]["positive"] >= 100


def test_corpus__holds_the_seed_greeting_in_the_train_split():
    corpus = load_corpus()
    i = corpus.texts.index("Hello AI!")
    assert (corpus.labels[i], corpus.splits[i]) == ("positive", "train")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("text,label\nhi,positive\n", "columns id,text,label,split"),
        ("id,text,label,split\n1,hi,positive,validation\n", "line 2 has split 'validation'"),
        ("id,text,label,split\n1,hi,positive,train\n2,hi,negative,test\n", "line 3 repeats a text"),
        (
            "id,text,label,split\n1,hi,positive,train\n2,bye,negative,train\n",
            "the test split needs texts of every label",
        ),
    ],
)
def test_load_corpus__bad_csv_gives_an_error_naming_the_problem(tmp_path: Path, content: str, problem: str):
    path = tmp_path / "corpus.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=problem):
        load_corpus(path)


# --- Training -------------------------------------------------------------------------------------
def test_train__held_out_accuracy_meets_the_goal_and_the_confusion_matrix_adds_up(result: TrainingResult):
    corpus = load_corpus()
    test_counts = corpus.counts()["test"]
    assert result.accuracy >= ACCURACY_GOAL, result.summary()
    assert result.labels == ("negative", "positive")
    assert [sum(row) for row in result.confusion] == [test_counts[label] for label in result.labels]
    correct = sum(result.confusion[i][i] for i in range(len(result.labels)))
    assert correct / result.n_test == pytest.approx(result.accuracy)
    assert "| negative |" in result.confusion_table()


def test_train__is_deterministic_the_same_corpus_gives_the_same_artifact_bytes(result: TrainingResult):
    assert artifact_bytes(train()) == artifact_bytes(result)


def test_train__the_seed_request_is_positive(result: TrainingResult):
    assert result.predict(["Hello AI!"]) == ["positive"]


# --- Artifact -------------------------------------------------------------------------------------
def test_artifact__holds_model_json_at_the_root_and_the_script_under_code(result: TrainingResult, tmp_path: Path):
    path = build_artifact(result, tmp_path)
    assert path.name == "model.tar.gz"
    with tarfile.open(path, "r:gz") as tar:
        assert sorted(tar.getnames()) == ["code/inference.py", "model.json"]
        script = tar.extractfile("code/inference.py").read()  # type: ignore[union-attr]
        spec = json.loads(tar.extractfile("model.json").read())  # type: ignore[union-attr]
    assert script == Path(inference_source.__file__).read_bytes()
    assert spec["labels"] == ["negative", "positive"]
    assert spec["metadata"]["heldout_accuracy"] == result.accuracy
    assert spec["metadata"]["corpus_sha256"] == load_corpus(CORPUS_PATH).sha256


def test_inference_script__imports_only_what_the_sklearn_container_has_and_parses_as_python_3_9():
    source = Path(inference_source.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 9))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported - {"__future__", "numpy"} <= set(sys.stdlib_module_names)
    assert not any(isinstance(n, ast.Match) for n in ast.walk(tree))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "zip"]
    assert all(kw.arg != "strict" for call in calls for kw in call.keywords)


def test_inference_script__predicts_what_the_fitted_pipeline_predicts_on_the_whole_corpus(served, result):
    _, model, _ = served
    texts = [*load_corpus().texts, "", "!!!", "not not good", "Ünïcödé — “quotes”"]
    expected = result.pipeline.predict_proba(texts)
    np.testing.assert_allclose(model.predict_proba(texts), expected, rtol=0, atol=1e-9)


def test_inference_script__a_single_object_in_gives_a_single_object_out(served):
    module, model, _ = served
    body, content_type = _call(module, model, '{"text": "Hello AI!"}')
    answer = json.loads(body)
    assert content_type == "application/json"
    assert answer["result"] == "positive"
    assert set(answer) == {"result", "score"} and 0.5 < answer["score"] <= 1.0


def test_inference_script__a_list_in_gives_a_list_out_in_order(served):
    module, model, _ = served
    payload = [{"text": "I love this, it works perfectly."}, {"text": "Awful, it broke after a day."}]
    body, _ = _call(module, model, json.dumps(payload).encode(), "application/json; charset=utf-8", "*/*")
    assert [item["result"] for item in json.loads(body)] == ["positive", "negative"]
    assert _call(module, model, "[]")[0] == "[]"


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "status", "message"),
    [
        ('{"text": 5}', "application/json", "", 400, '"text" must be a string, got a JSON int'),
        ('{"input": {"text": "hi"}}', "application/json", "", 400, "got an object with keys ['input']"),
        ('[{"text": "a"}, "b"]', "application/json", "", 400, "item 1 must be an object"),
        ("{not json", "application/json", "", 400, "not valid UTF-8 JSON"),
        ("Hello AI!", "text/plain", "", 415, "content type 'text/plain' is not supported"),
        ('{"text": "hi"}', "application/json", "text/csv", 406, "accept type 'text/csv' is not supported"),
    ],
)
def test_inference_script__a_request_it_cannot_serve_gets_the_containers_client_status(
    served, body, content_type, accept, status, message
):
    module, model, _ = served
    got_status, got_body = _client_error(_call(module, model, body, content_type, accept))
    assert got_status == status
    assert message in got_body["message"]


def test_inference_script__refuses_a_model_json_made_for_another_analyzer(served):
    module, _, model_dir = served
    spec = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    spec["analyzer"] = "something-else/0"
    with pytest.raises(ValueError, match="trained with analyzer 'something-else/0'"):
        module.SentimentModel(spec)


def test_export_model__refuses_a_pipeline_not_built_on_the_scripts_analyzer(result: TrainingResult):
    from dataclasses import replace

    from sklearn.base import clone

    other = clone(result.pipeline).set_params(tfidf__analyzer="word")
    with pytest.raises(ValueError, match="analyzer"):
        export_model(replace(result, pipeline=other))
