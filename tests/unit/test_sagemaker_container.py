"""workshop_lib.model.container: the scikit-learn container's loading and answering, in this Python.

The answers themselves are compared with the container's own code in
tests/local_cloud/sagemaker/test_container_conformance.py; these tests cover what needs no container: archives
SageMaker refuses, where the script is looked for, requirements, the load steps' errors, and several models'
same-named modules side by side in one process.
"""

from __future__ import annotations

import datetime
import io
import pickle
import re
import sys
import tarfile
from pathlib import Path

import pytest

from workshop_lib.model.container import ArtifactError, ScriptError, extract_artifact, invoke, load_script
from workshop_lib.model.container.layout import unmet_requirements
from workshop_lib.model.container.responses import jsonify

ENV = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
ECHO = (
    "import json\n"
    "def model_fn(d):\n    return 'm'\n"
    "def input_fn(body, content_type):\n    return json.loads(body)\n"
    "def predict_fn(data, model):\n    return data\n"
)


def _tarball(files: dict[str, str | bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def _no_s3(url: str) -> bytes:
    raise LookupError(f"{url}: no such object")


def _load(tmp_path: Path, files: dict[str, str | bytes], environment: dict[str, str] = ENV, fetch=_no_s3):
    root = tmp_path / f"instance{len(list(tmp_path.iterdir()))}"
    extract_artifact(_tarball(files), root / "model")
    return load_script(environment, root / "model", root / "code", fetch)


def _call(loaded, body: bytes, content_type: str = "application/json", accept: str | None = None):
    logged: list[str] = []
    outcome = invoke(loaded, body, content_type, accept, logged.append)
    return outcome, logged


# --- The archive ----------------------------------------------------------------------------------
def test_extract_artifact__refuses_links_paths_outside_and_what_is_not_a_gzip_tar(tmp_path: Path):
    with pytest.raises(ArtifactError, match=re.escape("holds a link, 'model.bin'")):
        extract_artifact(_tarball({"code/inference.py": ECHO}, links={"model.bin": "/etc/passwd"}), tmp_path / "a")
    with pytest.raises(ArtifactError, match="a path outside the model directory"):
        extract_artifact(_tarball({"../escape.txt": "x"}), tmp_path / "b")
    with pytest.raises(ArtifactError, match="not a readable tar"):
        extract_artifact(b"PK\x03\x04 a zip file", tmp_path / "c")
    assert not (tmp_path / "escape.txt").exists()


# --- Where the script is looked for ---------------------------------------------------------------
def test_load_script__without_a_submit_directory_the_container_looks_in_the_empty_opt_ml_code(tmp_path: Path):
    with pytest.raises(ScriptError) as err:
        _load(tmp_path, {"code/inference.py": ECHO}, {"SAGEMAKER_PROGRAM": "inference.py"})
    assert (err.value.step, err.value.message) == ("import", "No module named 'inference'")


def test_load_script__a_submit_directory_on_s3_is_fetched_and_extracted_into_the_code_directory(tmp_path: Path):
    source = _tarball({"inference.py": ECHO})
    environment = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://b/sourcedir.tar.gz"}
    loaded = _load(tmp_path, {"model.json": "{}"}, environment, fetch={"s3://b/sourcedir.tar.gz": source}.__getitem__)
    assert _call(loaded, b'{"a": 1}')[0].body == b'{"a": 1}'  # the default output_fn: JSON of the prediction
    with pytest.raises(ScriptError, match=re.escape("SAGEMAKER_SUBMIT_DIRECTORY s3://b/sourcedir.tar.gz: ")) as err:
        _load(tmp_path, {"model.json": "{}"}, environment)
    assert err.value.step == "submit directory"


def test_load_script__a_submit_directory_elsewhere_or_missing_from_the_artifact_is_named(tmp_path: Path):
    with pytest.raises(ScriptError, match="/opt/ml/model/src does not exist in the model artifact"):
        _load(tmp_path, {"code/inference.py": ECHO}, {**ENV, "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/src"})
    with pytest.raises(ScriptError, match="neither inside the model artifact"):
        _load(tmp_path, {"code/inference.py": ECHO}, {**ENV, "SAGEMAKER_SUBMIT_DIRECTORY": "/home/me/code"})
    with pytest.raises(ScriptError, match="no SAGEMAKER_PROGRAM"):
        _load(tmp_path, {"code/inference.py": ECHO}, {"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"})


# --- Requirements -----------------------------------------------------------------------------------
def test_unmet_requirements__checks_names_versions_and_markers_and_leaves_pip_options_alone(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text(
        "# comment\n"
        "numpy  # installed\n"
        "numpy<1.0\n"
        "no-such-package-anywhere>=2\n"
        "windows-only-package; sys_platform == 'win32'\n"
        "-r other.txt\n"
        "--index-url https://example.invalid/simple\n"
        "git+https://example.invalid/repo.git\n"
        "not a requirement !!\n"
    )
    unmet = unmet_requirements(tmp_path)
    assert len(unmet) == 3
    assert unmet[0].startswith("numpy<1.0 (this Python has numpy ")
    assert unmet[1:] == ["no-such-package-anywhere>=2", "not a requirement !!"]
    assert unmet_requirements(tmp_path / "nowhere") == []


def test_load_script__an_unmet_requirement_fails_the_load_naming_it(tmp_path: Path):
    files = {"code/inference.py": ECHO, "code/requirements.txt": "numpy\nno-such-package-anywhere\n"}
    with pytest.raises(ScriptError, match="needs what this Python does not have: no-such-package-anywhere ") as err:
        _load(tmp_path, files)
    assert err.value.step == "requirements"


# --- The load steps -----------------------------------------------------------------------------------
def test_load_script__each_failing_step_is_named_with_the_containers_message_or_the_traceback(tmp_path: Path):
    cases = {
        "import": ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
        "functions": (
            "def model_fn(d):\n    return 1\ndef transform_fn(m, b, c, a):\n    return b\n"
            "def input_fn(b, c):\n    return b\n",
            "Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn",
        ),
        "model_fn": ("def predict_fn(d, m):\n    return d\n", "Please provide a model_fn implementation."),
    }
    for step, (script, message) in cases.items():
        with pytest.raises(ScriptError) as err:
            _load(tmp_path, {"code/inference.py": script})
        assert err.value.step == step and message in err.value.message, (step, err.value.message)
    with pytest.raises(ScriptError) as err:
        _load(tmp_path, {"code/inference.py": "def model_fn(d):\n    return {}['weights']\n"})
    assert err.value.message == "KeyError: 'weights'"
    assert "Traceback" in err.value.details and "inference.py" in err.value.details


def test_load_script__the_missing_functions_are_the_images_defaults_and_transform_fn_replaces_the_three(
    tmp_path: Path,
):
    loaded = _load(tmp_path, {"code/inference.py": "def model_fn(d):\n    return None\n"})
    assert loaded.defaulted == ("input_fn", "predict_fn", "output_fn")
    transform = "def model_fn(d):\n    return 2\ndef transform_fn(model, body, content_type, accept):\n"
    transform += "    return body * model, 'text/plain'\n"
    loaded = _load(tmp_path, {"code/inference.py": transform})
    outcome, _ = _call(loaded, b"ab", content_type="text/plain")
    assert (outcome.status, outcome.content_type, outcome.body) == (200, "text/plain; charset=utf-8", b"abab")


# --- Several models in one process ----------------------------------------------------------------------
def test_two_models_with_the_same_module_names_each_see_their_own_modules_and_leave_sys_modules_alone(
    tmp_path: Path,
):
    def files(word: str) -> dict[str, str | bytes]:
        script = ECHO.replace("return data", "import helpers\n    return helpers.WORD")
        return {"code/inference.py": script, "code/helpers.py": f"WORD = {word!r}\n"}

    first, second = _load(tmp_path, files("one")), _load(tmp_path, files("two"))
    for _ in range(2):
        assert _call(first, b"{}")[0].body == b'"one"'  # the default output_fn: JSON of the prediction
        assert _call(second, b"{}")[0].body == b'"two"'
    assert "helpers" not in sys.modules and "inference" not in sys.modules
    assert first.module.__name__ == second.module.__name__ == "inference"
    assert str(first.modules.code_dir) not in sys.path


def test_a_pickle_that_names_a_class_of_the_script_loads_in_model_fn_as_in_the_container(tmp_path: Path):
    source = "class Thing:\n    def __init__(self, v):\n        self.v = v\n"
    namespace: dict[str, object] = {"__name__": "inference"}
    exec(compile(source, "inference.py", "exec"), namespace)
    thing_class = namespace["Thing"]
    sys.modules["inference"] = type(sys)("inference")
    sys.modules["inference"].Thing = thing_class  # type: ignore[attr-defined]
    try:
        blob = pickle.dumps(thing_class(41))  # type: ignore[operator]
    finally:
        del sys.modules["inference"]
    script = (
        source + "import pickle, os\ndef model_fn(d):\n    return pickle.load(open(os.path.join(d, 'm.pkl'), 'rb'))\n"
    )
    script += "def predict_fn(data, model):\n    return model.v + 1\n"
    loaded = _load(tmp_path, {"code/inference.py": script, "m.pkl": blob})
    assert _call(loaded, b"[]")[0].body == b"42"


# --- Answers --------------------------------------------------------------------------------------------
def test_invoke__an_exception_gives_the_500_page_as_html_with_charset_and_the_traceback_to_the_log(tmp_path: Path):
    loaded = _load(tmp_path, {"code/inference.py": ECHO.replace("return data", "raise RuntimeError('boom')")})
    outcome, logged = _call(loaded, b"{}")
    assert (outcome.status, outcome.content_type) == (500, "text/html; charset=utf-8")
    assert b"<title>500 Internal Server Error</title>" in outcome.body
    assert len(logged) == 1 and "RuntimeError: boom" in logged[0]


def test_jsonify__is_flasks_compact_sorted_ascii_with_a_newline_and_http_dates():
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9)
    assert jsonify({"b": "\u00e9", "a": [1, None], "t": moment}) == (
        b'{"a":[1,null],"b":"\\u00e9","t":"Mon, 06 May 2024 07:08:09 GMT"}\n'
    )


# --- Where the local cloud deliberately differs from the container ------------------------------------------
def test_model_fn_runs_once_per_load_where_the_container_runs_it_once_per_worker(tmp_path: Path):
    script = "CALLS = []\ndef model_fn(d):\n    CALLS.append(d)\n    return len(CALLS)\n"
    script += "def predict_fn(data, model):\n    return [model, len(CALLS)]\n"
    loaded = _load(tmp_path, {"code/inference.py": script})
    for _ in range(3):
        assert _call(loaded, b"[]")[0].body == b"[1, 1]"


def test_an_npy_body_is_read_without_pickles_where_the_container_would_unpickle_it(tmp_path: Path):
    import numpy as np

    loaded = _load(tmp_path, {"code/inference.py": "def model_fn(d):\n    return None\n"
                              "def predict_fn(data, model):\n    return data\n"})  # fmt: skip
    numbers, objects = io.BytesIO(), io.BytesIO()
    np.save(numbers, np.array([1.5, 2.5]))
    np.save(objects, np.array([{"a": 1}], dtype=object))
    assert _call(loaded, numbers.getvalue(), content_type="application/x-npy")[0].body == b"[1.5, 2.5]"
    outcome, logged = _call(loaded, objects.getvalue(), content_type="application/x-npy")
    assert outcome.status == 500 and "allow_pickle=False" in logged[0]
