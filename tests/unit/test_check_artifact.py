"""wl.check_artifact: the kit's artifact passes; each broken artifact fails at its step, with the fix to make."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

import workshop_lib as wl
from workshop_lib.model import build_artifact, train

ECHO = (
    "import json\n"
    "def model_fn(model_dir):\n    return 'm'\n"
    "def input_fn(body, content_type):\n    return json.loads(body)\n"
    "def predict_fn(data, model):\n    return {'echo': data}\n"
    "def output_fn(prediction, accept):\n    return json.dumps(prediction), 'application/json'\n"
)


def _artifact(tmp_path: Path, files: dict[str, str | bytes], name: str = "model.tar.gz") -> Path:
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tar:
        for member, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _failure(path: Path, **kwargs) -> wl.ArtifactCheckFailed:
    with pytest.raises(wl.ArtifactCheckFailed) as err:
        wl.check_artifact(path, **kwargs)
    assert isinstance(err.value, wl.WorkshopError)
    return err.value


def test_check_artifact__the_kits_artifact_is_ready_with_a_prediction_of_the_seed_request(tmp_path: Path):
    report = wl.check_artifact(build_artifact(train(), tmp_path / "model.tar.gz"))
    assert report.ok and report.status == 200 and report.content_type == "application/json"
    text = str(report)
    assert text.startswith(f"{tmp_path / 'model.tar.gz'}: ready to deploy")
    steps = [step for step, _ in report.steps]
    assert steps == ["archive", "layout", "python 3.9", "requirements", "import", "functions", "model_fn", "prediction"]
    assert '{"text": "Hello AI!"} -> 200 {"result": "positive", "score": 0.8879}' in text
    assert "code/inference.py (SAGEMAKER_PROGRAM=inference.py" in text


def test_check_artifact__a_file_that_is_not_a_gzip_tar_fails_the_archive_step(tmp_path: Path):
    path = tmp_path / "model.tar.gz"
    path.write_bytes(b"PK\x03\x04 a zip archive")
    error = _failure(path)
    assert error.step == "archive" and "SageMaker could not extract it" in str(error)
    assert "tar -czf model.tar.gz" in str(error)
    assert _failure(tmp_path / "missing.tar.gz").step == "archive"


def test_check_artifact__a_folder_above_code_fails_the_layout_step_saying_where_the_script_is(tmp_path: Path):
    error = _failure(_artifact(tmp_path, {"model/code/inference.py": ECHO}))
    assert error.step == "layout"
    assert "the archive has no code/inference.py; it is at model/code/inference.py" in str(error)
    assert "with no folder above code/" in str(error)


def test_check_artifact__without_a_submit_directory_the_layout_step_explains_opt_ml_code(tmp_path: Path):
    error = _failure(
        _artifact(tmp_path, {"code/inference.py": ECHO}), environment={"SAGEMAKER_PROGRAM": "inference.py"}
    )
    assert error.step == "layout"
    assert "SAGEMAKER_SUBMIT_DIRECTORY is not set: the container then looks for inference.py in /opt/ml/code" in str(
        error
    )


def test_check_artifact__syntax_newer_than_python_3_9_fails_its_step(tmp_path: Path):
    script = ECHO + "def route(x):\n    match x:\n        case 1:\n            return 'one'\n"
    error = _failure(_artifact(tmp_path, {"code/inference.py": script}))
    assert error.step == "python 3.9" and "code/inference.py line " in str(error)
    assert "Pattern matching is only supported in Python 3.10" in str(error)


def test_check_artifact__a_requirement_missing_here_fails_its_step_naming_it(tmp_path: Path):
    files = {"code/inference.py": ECHO, "code/requirements.txt": "numpy\nno-such-package-anywhere==1.0\n"}
    error = _failure(_artifact(tmp_path, files))
    assert error.step == "requirements" and "no-such-package-anywhere==1.0" in str(error)
    assert "pip install" in str(error)


def test_check_artifact__a_script_that_does_not_import_fails_the_import_step_with_its_traceback(tmp_path: Path):
    error = _failure(_artifact(tmp_path, {"code/inference.py": "import helpers_not_packed\n" + ECHO}))
    assert error.step == "import"
    assert "ModuleNotFoundError: No module named 'helpers_not_packed'" in str(error)
    assert "a module of your own must sit in code/ beside it" in str(error)


def test_check_artifact__transform_fn_with_input_fn_fails_the_functions_step(tmp_path: Path):
    script = ECHO + "def transform_fn(model, body, content_type, accept):\n    return body\n"
    error = _failure(_artifact(tmp_path, {"code/inference.py": script}))
    assert error.step == "functions" and "Cannot use transform_fn implementation with input_fn" in str(error)


def test_check_artifact__a_model_fn_that_cannot_find_its_file_fails_the_model_fn_step(tmp_path: Path):
    script = "def model_fn(model_dir):\n    return open('/opt/ml/model/m.bin')\n"  # not relative to model_dir
    error = _failure(_artifact(tmp_path, {"code/inference.py": script, "m.bin": b"\x00"}))
    assert error.step == "model_fn" and "FileNotFoundError" in str(error)
    assert "relative to it, e.g. os.path.join(model_dir" in str(error)
    assert [step for step, _ in error.report.steps] == ["archive", "layout", "python 3.9"]


def test_check_artifact__a_sample_the_model_cannot_serve_fails_the_prediction_step_and_another_sample_passes(
    tmp_path: Path,
):
    script = ECHO.replace("return {'echo': data}", "return {'sum': sum(data['values'])}")
    path = _artifact(tmp_path, {"code/inference.py": script})
    error = _failure(path)
    assert error.step == "prediction"
    assert 'the sample {"text": "Hello AI!"} got 500: <!DOCTYPE HTML' in str(error)
    assert "KeyError: 'values'" in str(error)
    report = wl.check_artifact(path, sample={"values": [1, 2]})
    assert (report.status, report.body) == (200, b'{"sum": 3}')


def test_check_artifact__a_pickle_and_default_functions_are_noted(tmp_path: Path):
    script = "def model_fn(model_dir):\n    return None\ndef predict_fn(data, model):\n    return data * 2\n"
    report = wl.check_artifact(_artifact(tmp_path, {"code/inference.py": script, "model.joblib": b"x"}), sample=[1, 2])
    assert report.body == b"[2.0, 4.0]"
    notes = "\n".join(report.notes)
    assert "input_fn, output_fn: the image's default" in notes
    assert "model.joblib: a pickle loads in the container only if made with its versions (Python 3.9" in notes
