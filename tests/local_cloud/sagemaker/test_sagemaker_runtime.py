"""The local SageMaker runtime end to end: deploy through workshop_lib.endpoint, invoke with plain boto3.

The module connects once with a participant prefix of its own (its bucket, role, models and configs
are its own in the session's shared local cloud) and deploys the sentiment model once; tests that
change an endpoint deploy their own, under a unique name.
"""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from workshop_lib import endpoint
from workshop_lib.connect import Connection
from workshop_lib.endpoint import EndpointInfo
from workshop_lib.errors import DeploymentError
from workshop_lib.local.sagemaker.exceptions import MAX_BODY_BYTES
from workshop_lib.model import CONTAINER_ENVIRONMENT, build_artifact, train

pytestmark = pytest.mark.local_cloud
REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def sentiment_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_artifact(train(), tmp_path_factory.mktemp("artifact") / "model.tar.gz")


@pytest.fixture(scope="module")
def deployed(conn: Connection, sentiment_artifact: Path) -> EndpointInfo:
    """The sentiment model on the module's endpoint (tests here only invoke it)."""
    return endpoint.deploy(sentiment_artifact, conn=conn)


def _unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def _artifact(path: Path, files: dict[str, str]) -> Path:
    """A model.tar.gz holding ``files`` (name -> text)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _script_artifact(path: Path, predict_body: str) -> Path:
    """A model.tar.gz whose code/inference.py predicts with ``predict_body`` (for error and update cases)."""
    script = (
        "import json\n"
        "def model_fn(model_dir):\n    return 'model'\n"
        "def input_fn(body, content_type):\n    return json.loads(body)\n"
        f"def predict_fn(data, model):\n    {predict_body}\n"
        "def output_fn(prediction, accept):\n    return json.dumps(prediction), 'application/json'\n"
    )
    return _artifact(path, {"code/inference.py": script})


def _create_endpoint(conn: Connection, model_data_url: str, environment: dict[str, str]) -> str:
    """An endpoint created with plain boto3 for a model of this artifact URL and Environment; its name."""
    sm, name = conn.client("sagemaker"), _unique("plain")
    container = {"Image": "img", "ModelDataUrl": model_data_url, "Environment": environment}
    sm.create_model(ModelName=name, ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/any", PrimaryContainer=container)
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": name,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.t2.medium",
    }
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


def _invoke_error(conn: Connection, name: str, body: bytes | str, content_type: str = "application/json") -> dict:
    with pytest.raises(ClientError) as err:
        conn.client("sagemaker-runtime").invoke_endpoint(EndpointName=name, ContentType=content_type, Body=body)
    return err.value.response


def _log_messages(conn: Connection, name: str) -> list[str]:
    events = conn.client("logs").filter_log_events(logGroupName=f"/aws/sagemaker/Endpoints/{name}")["events"]
    return [e["message"] for e in events]


def test_invoke_endpoint__the_seeds_request_gets_a_real_prediction_through_plain_boto3(
    conn: Connection, deployed: EndpointInfo, monkeypatch: pytest.MonkeyPatch
):
    for var, value in conn.environment().items():  # what `python -m workshop_lib env` exports
        monkeypatch.setenv(var, value)
    runtime = boto3.client("sagemaker-runtime")  # no endpoint_url: AWS_ENDPOINT_URL routes it
    resp = runtime.invoke_endpoint(
        EndpointName=deployed.name, ContentType="application/json", Body=json.dumps({"text": "Hello AI!"})
    )
    answer = json.loads(resp["Body"].read())
    assert answer["result"] == "positive" and 0.5 < answer["score"] <= 1.0
    assert resp["ContentType"] == "application/json"
    assert resp["InvokedProductionVariant"] == "AllTraffic"


def test_invoke_endpoint__a_list_of_texts_gets_a_list_of_predictions_in_order(conn: Connection, deployed):
    batch = endpoint.invoke([{"text": "Terrible, it broke at once."}, {"text": "Hello AI!"}], conn=conn)
    assert [item["result"] for item in batch] == ["negative", "positive"]


def test_invoke_endpoint__unknown_endpoint_gives_validation_error(conn: Connection):
    resp = _invoke_error(conn, "no-such-endpoint", "{}")
    assert resp["Error"] == {
        "Code": "ValidationError",
        "Message": f"Endpoint no-such-endpoint of account {ACCOUNT} not found.",
    }
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_invoke_endpoint__text_that_is_not_a_string_gives_model_error_with_the_original_status(
    conn: Connection, deployed: EndpointInfo
):
    resp = _invoke_error(conn, deployed.name, json.dumps({"text": 5}))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert resp["Error"]["Code"] == "ModelError"
    assert resp["OriginalStatusCode"] == 400
    assert json.loads(resp["OriginalMessage"]) == {
        "error": "Bad Request",
        "message": 'the body: "text" must be a string, got a JSON int',
    }
    assert resp["Error"]["Message"].startswith('Received client error (400) from primary with message "{')
    assert (
        f"#logEventViewer:group=/aws/sagemaker/Endpoints/{deployed.name} in account {ACCOUNT}"
        in resp["Error"]["Message"]
    )
    assert resp["LogStreamArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/{deployed.name}"


def test_invoke_endpoint__a_content_type_other_than_json_gives_model_error_415(conn: Connection, deployed):
    resp = _invoke_error(conn, deployed.name, "Hello AI!", content_type="text/plain")
    assert (resp["Error"]["Code"], resp["OriginalStatusCode"]) == ("ModelError", 415)
    assert "content type 'text/plain' is not supported" in json.loads(resp["OriginalMessage"])["message"]


def test_invoke_endpoint__a_body_over_6_mb_is_refused_before_the_model(conn: Connection, deployed: EndpointInfo):
    at_limit = _invoke_error(conn, deployed.name, b" " * MAX_BODY_BYTES)  # reaches the model: not JSON, 400
    assert (at_limit["Error"]["Code"], at_limit["OriginalStatusCode"]) == ("ModelError", 400)
    over = _invoke_error(conn, deployed.name, b" " * (MAX_BODY_BYTES + 1))
    assert over["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert over["Error"]["Message"] == "HTTP content length exceeded 6291456 bytes."


def test_invoke_endpoint__a_deleted_endpoint_is_not_found(conn: Connection, deployed: EndpointInfo):
    name = _unique("short-lived")
    conn.client("sagemaker").create_endpoint(EndpointName=name, EndpointConfigName=deployed.config_name)
    assert endpoint.invoke({"text": "Lovely!"}, name=name, conn=conn)["result"] == "positive"
    conn.client("sagemaker").delete_endpoint(EndpointName=name)
    assert _invoke_error(conn, name, '{"text": "Lovely!"}')["Error"] == {
        "Code": "ValidationError",
        "Message": f"Endpoint {name} of account {ACCOUNT} not found.",
    }


def test_invoke_endpoint__an_exception_in_the_script_gives_500_and_its_traceback_in_the_endpoint_logs(
    conn: Connection, tmp_path: Path
):
    artifact = _script_artifact(tmp_path / "model.tar.gz", "raise RuntimeError('boom in predict_fn')")
    info = endpoint.deploy(artifact, name=_unique("raising"), conn=conn)
    resp = _invoke_error(conn, info.name, '{"text": "hi"}')
    assert (resp["Error"]["Code"], resp["OriginalStatusCode"]) == ("ModelError", 500)
    assert "<title>500 Internal Server Error</title>" in resp["OriginalMessage"]
    assert resp["Error"]["Message"].startswith("Received server error (500) from primary")
    assert any("RuntimeError: boom in predict_fn" in m for m in _log_messages(conn, info.name))


def test_invoke_endpoint__the_artifact_is_read_at_create_endpoint_so_deleting_it_afterwards_changes_nothing(
    conn: Connection, tmp_path: Path
):
    info = endpoint.deploy(_script_artifact(tmp_path / "model.tar.gz", "return data"), name=_unique("gone"), conn=conn)
    bucket, key = info.model_data_url[len("s3://") :].split("/", 1)
    conn.client("s3").delete_object(Bucket=bucket, Key=key)
    assert endpoint.invoke({"still": "served"}, name=info.name, conn=conn) == {"still": "served"}


def test_create_endpoint__an_artifact_missing_from_s3_fails_the_endpoint_with_the_download_failure_reason(
    conn: Connection, deployed: EndpointInfo
):
    url = f"s3://{conn.names.bucket}/models/nothing-here.tar.gz"
    name = _create_endpoint(conn, url, CONTAINER_ENVIRONMENT)
    sm = conn.client("sagemaker")
    described = sm.describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"] == (
        f'Failed to download model data for container "container_1" from URL: "{url}". Please ensure that there is '
        "an object located at the URL and that the role passed to CreateModel has permissions to download the object."
    )
    with pytest.raises(DeploymentError, match="status Failed, reason: Failed to download model data"):
        endpoint.wait_for_endpoint(name, conn=conn)
    assert _invoke_error(conn, name, "{}")["Error"]["Code"] == "ValidationError"  # a Failed endpoint takes no calls


def test_create_endpoint__a_model_that_does_not_load_fails_the_ping_health_check_and_logs_why(
    conn: Connection, tmp_path: Path
):
    script = "def model_fn(d):\n    raise OSError('no weights')\n"
    artifact = _artifact(tmp_path / "model.tar.gz", {"code/inference.py": script})
    name = _unique("no-load")
    with pytest.raises(DeploymentError) as err:
        endpoint.deploy(artifact, name=name, conn=conn)
    reason = (
        "The primary container for production variant AllTraffic did not pass the ping health check. "
        "Please check CloudWatch logs for this endpoint."
    )
    assert reason in str(err.value) and "wl.check_artifact" in str(err.value)
    info = endpoint.describe_endpoint(name, conn=conn)
    assert (info.status, info.failure_reason) == ("Failed", reason)
    messages = _log_messages(conn, name)
    assert any("OSError: no weights" in m and "Traceback" in m for m in messages)
    assert "the model could not be loaded (model_fn): OSError: no weights" in messages


def test_create_endpoint__without_sagemaker_submit_directory_the_script_is_looked_for_in_opt_ml_code(
    conn: Connection, tmp_path: Path
):
    url = endpoint.upload_artifact(_script_artifact(tmp_path / "model.tar.gz", "return data"), conn)
    name = _create_endpoint(conn, url, {"SAGEMAKER_PROGRAM": "inference.py"})
    assert conn.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointStatus"] == "Failed"
    assert "the model could not be loaded (import): No module named 'inference'" in _log_messages(conn, name)


def test_invoke_endpoint__a_helper_module_beside_the_script_is_importable_lazily_as_in_the_container(
    conn: Connection, tmp_path: Path
):
    script = (
        "import json\n"
        "def model_fn(d):\n    return 'm'\n"
        "def input_fn(body, content_type):\n    return json.loads(body)\n"
        "def predict_fn(data, model):\n    import helpers\n    return helpers.shout(data['text'])\n"
        "def output_fn(p, accept):\n    return json.dumps({'module': __name__, 'said': p}), accept\n"
    )
    files = {"code/inference.py": script, "code/helpers.py": "def shout(text):\n    return text.upper()\n"}
    info = endpoint.deploy(_artifact(tmp_path / "model.tar.gz", files), name=_unique("helper"), conn=conn)
    assert endpoint.invoke({"text": "hi"}, name=info.name, conn=conn) == {"module": "inference", "said": "HI"}


def test_create_endpoint__a_requirement_this_python_lacks_fails_the_load_as_the_local_cloud_installs_nothing(
    conn: Connection, tmp_path: Path
):
    files = {
        "code/inference.py": "def model_fn(d):\n    return 1\n",
        "code/requirements.txt": "numpy\nno-such-package-for-the-kit==1.0  # the container would install it\n",
    }
    name = _unique("reqs")
    with pytest.raises(DeploymentError, match="did not pass the ping health check"):
        endpoint.deploy(_artifact(tmp_path / "model.tar.gz", files), name=name, conn=conn)
    assert (
        "the model could not be loaded (requirements): code/requirements.txt needs what this Python does not have: "
        "no-such-package-for-the-kit==1.0 (the container pip-installs it; the local cloud installs nothing)"
    ) in _log_messages(conn, name)


def test_update_endpoint__a_model_that_does_not_load_leaves_the_old_one_serving_with_the_failure_reason(
    conn: Connection, tmp_path: Path
):
    name = _unique("bad-update")
    first = endpoint.deploy(_script_artifact(tmp_path / "v1.tar.gz", "return {'v': 1}"), name=name, conn=conn)
    broken = _artifact(tmp_path / "v2.tar.gz", {"code/inference.py": "import no_such_module\n"})
    with pytest.raises(DeploymentError, match="still serves") as err:
        endpoint.deploy(broken, name=name, conn=conn)
    assert "did not pass the ping health check" in str(err.value)
    info = endpoint.describe_endpoint(name, conn=conn)
    assert (info.status, info.config_name) == ("InService", first.config_name)
    assert info.failure_reason is not None and "ping health check" in info.failure_reason
    assert endpoint.invoke({"text": "x"}, name=name, conn=conn) == {"v": 1}
    assert any("No module named 'no_such_module'" in m for m in _log_messages(conn, name))


def test_invoke_endpoint__loads_the_model_once_and_serves_the_new_model_after_an_update(
    conn: Connection, sentiment_artifact: Path, tmp_path: Path
):
    name = _unique("updated")
    first = endpoint.deploy(sentiment_artifact, name=name, conn=conn)
    for _ in range(3):
        assert endpoint.invoke({"text": "Hello AI!"}, name=name, conn=conn)["result"] == "positive"
    loads = [m for m in _log_messages(conn, name) if m.startswith("Loaded model")]
    assert len(loads) == 1 and loads[0].startswith(f"Loaded model {first.model_name} from {first.model_data_url} in ")

    v2 = _script_artifact(tmp_path / "model.tar.gz", "return {'result': 'v2', 'score': 1.0}")
    second = endpoint.deploy(v2, name=name, conn=conn)
    assert second.in_service and second.arn == first.arn  # the same endpoint, updated
    assert (second.config_name, second.model_name) != (first.config_name, first.model_name)
    assert endpoint.invoke({"text": "Hello AI!"}, name=name, conn=conn) == {"result": "v2", "score": 1.0}
    loads = [m for m in _log_messages(conn, name) if m.startswith("Loaded model")]
    assert len(loads) == 2 and loads[1].startswith(f"Loaded model {second.model_name} ")


def test_update_endpoint__unknown_endpoint_or_config_gives_validation_exception(conn: Connection, deployed):
    sm = conn.client("sagemaker")
    with pytest.raises(ClientError) as err:
        sm.update_endpoint(EndpointName="Nope-Endpoint", EndpointConfigName=deployed.config_name)
    assert err.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f'Could not find endpoint "arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/nope-endpoint".',
    }
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sm.update_endpoint(EndpointName=deployed.name, EndpointConfigName="no-such-config")
