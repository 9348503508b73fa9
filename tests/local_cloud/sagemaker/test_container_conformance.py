"""The local SageMaker runtime against AWS's scikit-learn container code: the same artifacts, the same answers.

Every artifact below is served twice: by the container's own serving stack (sagemaker-containers 2.8.6.post2 and the
1.2-1 image's pins under Python 3.9, see sklearn_oracle.py) and by the session's local cloud (CreateEndpoint, then
InvokeEndpoint through boto3). The endpoint's fate must match the container's health (/ping 200 <-> InService; /ping
failing or the server exiting <-> Failed with the ping health check's FailureReason), and every request must get the
same status and body, and the same content type (through InvokeEndpoint for a success; for an error, whose content
type InvokeEndpoint does not carry, through the local runtime's container code in this process).

Cost: the oracle's environment is built once under build/sagemaker-sklearn-oracle (about a minute and 90 MB from
PyPI); then the containers start side by side (a pip install and a gunicorn each): the module adds about 15 s
to a test run (measured on this 2-core machine while busy).
Skipped, with the reason, when no Python 3.9 is found or PyPI cannot be reached.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from workshop_lib.config import KIT_ROOT
from workshop_lib.connect import Connection
from workshop_lib.model import CONTAINER_ENVIRONMENT, artifact_bytes, train
from workshop_lib.model.container import LoadedScript, extract_artifact, invoke, load_script

sys.path.insert(0, str(Path(__file__).parent))
from sklearn_oracle import Answer, OracleContainer, OracleEnvironment, oracle_environment

pytestmark = pytest.mark.local_cloud
REGION = "us-east-1"
CACHE_DIR = KIT_ROOT / "build" / "sagemaker-sklearn-oracle"
PING_FAILURE = (
    "The primary container for production variant AllTraffic did not pass the ping health check. "
    "Please check CloudWatch logs for this endpoint."
)
JSON = "application/json"


@dataclass(frozen=True)
class Request:
    id: str
    body: bytes
    content_type: str = JSON
    accept: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str] | None  # None: the kit's sentiment artifact
    environment: dict[str, str] = field(default_factory=lambda: dict(CONTAINER_ENVIRONMENT))
    requests: tuple[Request, ...] = ()
    serves: bool = True  # whether the container passes its health check


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


OUTPUT_KINDS = """
import json


def model_fn(model_dir):
    return "model"


def input_fn(body, content_type):
    return json.loads(body)


def predict_fn(data, model):
    return data


class Teapot:
    def __call__(self, environ, start_response):
        start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
        return [b"short and stout"]


def output_fn(prediction, accept):
    kind = prediction["kind"]
    if kind == "dict":
        return {"result": "positive", "score": 0.5, "extra": {"z": None, "a": [1.5, True]}, "text": "caf\\u00e9"}
    if kind == "tuple":
        return "a,b\\n", "text/csv"
    if kind == "str":
        return "plain text"
    if kind == "bytes":
        return b"\\x00raw"
    if kind == "wsgi":
        return Teapot()
    if kind == "list":
        return [1, 2]
    if kind == "none":
        return None
    raise ValueError("no such kind: " + kind)
"""

SOME_FUNCTIONS = """
def model_fn(model_dir):
    class Summer:
        def predict(self, rows):
            return rows.sum(axis=-1)

    return Summer()


def predict_fn(data, model):
    return model.predict(data) * 2
"""

HELPER_SCRIPT = """
import json


def model_fn(model_dir):
    with open(model_dir + "/greeting.txt") as fh:
        return fh.read().strip()


def input_fn(body, content_type):
    return json.loads(body)["text"]


def predict_fn(text, greeting):
    import textwords  # a sibling module, imported lazily: the container has code/ on sys.path

    return {"greeting": greeting, "words": textwords.count(text), "module": __name__}


def output_fn(prediction, accept):
    return json.dumps(prediction), "application/json"
"""

REQUIREMENTS_SCRIPT = """
import json

import numpy


def model_fn(model_dir):
    return numpy.arange(3)


def input_fn(body, content_type):
    return json.loads(body)


def predict_fn(data, model):
    return {"dot": int(numpy.dot(model, data["v"]))}


def output_fn(prediction, accept):
    return json.dumps(prediction), "application/json"
"""

NO_SUBMIT_DIRECTORY = {k: v for k, v in CONTAINER_ENVIRONMENT.items() if k != "SAGEMAKER_SUBMIT_DIRECTORY"}

CASES = (
    Case(
        "kit-sentiment-model",
        None,
        requests=(
            Request("seed-request", _json({"text": "Hello AI!"})),
            Request("a-list", _json([{"text": "Terrible, it broke at once."}, {"text": "Thanks, it works!"}])),
            Request("accept-any", _json({"text": "Lovely"}), accept="*/*"),
            Request("text-not-a-string-400", _json({"text": 5})),
            Request("not-json-content-type-415", b"Hello AI!", content_type="text/plain"),
            Request("accept-csv-406", _json({"text": "Hello AI!"}), accept="text/csv"),
            Request("invalid-json-400", b'{"text": '),
            Request("empty-body-400", b""),
        ),
    ),
    Case(
        "output-fn-return-kinds",
        {"code/inference.py": OUTPUT_KINDS},
        requests=tuple(
            Request(kind, _json({"kind": kind}))
            for kind in ("dict", "tuple", "str", "bytes", "wsgi", "list", "none", "raises")
        ),
    ),
    Case(
        "only-model-fn-and-predict-fn",
        {"code/inference.py": SOME_FUNCTIONS},
        requests=(
            Request("json-rows", b"[[1, 2], [3, 4.5]]"),
            Request("csv-rows-to-csv", b"1,2\n3,4\n", content_type="text/csv", accept="text/csv"),
            Request("json-to-npy", b"[[1, 2]]", accept="application/x-npy"),
            Request("unsupported-content-type", b"1 2", content_type="text/plain"),
            Request("unsupported-accept", b"[[1, 2]]", accept="text/plain"),
            Request("not-numbers", b'[["a", "b"]]'),
        ),
    ),
    Case(
        "helper-module",
        {
            "code/inference.py": HELPER_SCRIPT,
            "code/textwords.py": "def count(text):\n    return len(text.split())\n",
            "greeting.txt": "hello\n",
        },
        requests=(Request("lazy-import", _json({"text": "one two three"})),),
    ),
    Case(
        "requirements-txt",
        {"code/inference.py": REQUIREMENTS_SCRIPT, "code/requirements.txt": "# what the script needs\nnumpy\n"},
        requests=(Request("uses-the-requirement", _json({"v": [1, 1, 1]})),),
    ),
    Case(
        "model-fn-raises",
        {"code/inference.py": "def model_fn(model_dir):\n    raise OSError('no weights')\n"},
        serves=False,
    ),
    Case("no-model-fn", {"code/inference.py": "def predict_fn(data, model):\n    return data\n"}, serves=False),
    Case(
        "no-submit-directory",
        {"code/inference.py": "def model_fn(model_dir):\n    return 1\n"},
        environment=NO_SUBMIT_DIRECTORY,
        serves=False,
    ),
)
REQUESTS = [(case, request) for case in CASES for request in case.requests]


def _tarball(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def artifacts() -> dict[str, bytes]:
    kit = artifact_bytes(train())
    return {case.id: kit if case.files is None else _tarball(case.files) for case in CASES}


@pytest.fixture(scope="session")
def oracle_env() -> OracleEnvironment:
    found = oracle_environment(CACHE_DIR)
    if isinstance(found, str):
        pytest.skip(f"the scikit-learn container oracle is not available: {found}")
    return found


class Oracle:
    """Every case in a container of its own, started side by side; health checks run in the background."""

    def __init__(self, containers: dict[str, OracleContainer]) -> None:
        self.containers = containers
        self._pool = ThreadPoolExecutor(max_workers=len(containers))
        self._health = {name: self._pool.submit(c.health) for name, c in containers.items()}

    def health(self, case: str) -> str:
        return self._health[case].result()

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for container in self.containers.values():
            container.stop()


@pytest.fixture(scope="module")
def oracle(
    oracle_env: OracleEnvironment, artifacts: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Oracle]:
    root = tmp_path_factory.mktemp("oracle")
    containers: dict[str, OracleContainer] = {}
    try:
        for case in CASES:
            containers[case.id] = OracleContainer(oracle_env, artifacts[case.id], case.environment, root / case.id)
    except BaseException:
        for container in containers.values():
            container.stop()
        raise
    started = Oracle(containers)
    try:
        yield started
    finally:
        started.stop()


@dataclass(frozen=True)
class LocalEndpoint:
    name: str
    status: str
    failure_reason: str | None
    model_dir: Path  # the artifact extracted here too, for the in-process check of content types


@pytest.fixture(scope="module")
def local(
    conn: Connection, artifacts: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, LocalEndpoint]:
    """Every case deployed on the local cloud with plain boto3 calls."""
    s3, sm = conn.client("s3"), conn.client("sagemaker")
    bucket = f"{conn.names.prefix}-conformance"
    s3.create_bucket(Bucket=bucket)
    root = tmp_path_factory.mktemp("local")
    out = {}
    for case in CASES:
        name = f"{conn.names.prefix}-{case.id}"[:63]
        s3.put_object(Bucket=bucket, Key=f"{case.id}/model.tar.gz", Body=artifacts[case.id])
        container = {"Image": "img", "ModelDataUrl": f"s3://{bucket}/{case.id}/model.tar.gz"}
        sm.create_model(
            ModelName=name,
            ExecutionRoleArn=f"arn:aws:iam::{conn.account_id}:role/conformance",
            PrimaryContainer={**container, "Environment": case.environment},
        )
        variant = {
            "VariantName": "AllTraffic",
            "ModelName": name,
            "InitialInstanceCount": 1,
            "InstanceType": "ml.t2.medium",
        }
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
        described = sm.describe_endpoint(EndpointName=name)
        model_dir = root / case.id / "model"
        extract_artifact(artifacts[case.id], model_dir)
        out[case.id] = LocalEndpoint(name, described["EndpointStatus"], described.get("FailureReason"), model_dir)
    return out


def _through_invoke_endpoint(conn: Connection, name: str, request: Request) -> tuple[int, str | None, bytes]:
    params = {"EndpointName": name, "Body": request.body, "ContentType": request.content_type}
    if request.accept is not None:
        params["Accept"] = request.accept
    try:
        resp = conn.client("sagemaker-runtime").invoke_endpoint(**params)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "ModelError", exc.response
        return exc.response["OriginalStatusCode"], None, exc.response["OriginalMessage"].encode()
    return 200, resp["ContentType"], resp["Body"].read()


_LOADED: dict[str, LoadedScript] = {}


def _in_process(case: Case, endpoint: LocalEndpoint, request: Request) -> Answer:
    loaded = _LOADED.get(case.id)
    if loaded is None:
        code_dir = endpoint.model_dir.parent / "code"
        loaded = _LOADED[case.id] = load_script(case.environment, endpoint.model_dir, code_dir, lambda url: b"")
    outcome = invoke(loaded, request.body, request.content_type, request.accept, lambda text: None)
    return Answer(outcome.status, outcome.content_type, outcome.body)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_conformance__the_endpoint_serves_or_fails_as_the_container_passes_its_health_check_or_not(
    case: Case, oracle: Oracle, local: dict[str, LocalEndpoint]
):
    endpoint = local[case.id]
    assert (oracle.health(case.id) == "healthy") == case.serves, oracle.containers[case.id].log()[-3000:]
    if case.serves:
        assert (endpoint.status, endpoint.failure_reason) == ("InService", None)
    else:
        assert (endpoint.status, endpoint.failure_reason) == ("Failed", PING_FAILURE)


@pytest.mark.parametrize(("case", "request_"), REQUESTS, ids=[f"{c.id}:{r.id}" for c, r in REQUESTS])
def test_conformance__every_request_gets_the_containers_status_content_type_and_body(
    case: Case, request_: Request, oracle: Oracle, local: dict[str, LocalEndpoint], conn: Connection
):
    assert oracle.health(case.id) == "healthy", oracle.containers[case.id].log()[-3000:]
    expected = oracle.containers[case.id].invoke(request_.body, request_.content_type, request_.accept)
    status, content_type, body = _through_invoke_endpoint(conn, local[case.id].name, request_)
    assert (status, body) == (expected.status, expected.body)
    if status == 200:
        assert content_type == expected.content_type
    assert _in_process(case, local[case.id], request_) == expected
