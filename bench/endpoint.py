"""SageMaker InvokeEndpoint on the local cloud versus the model's own code called in-process.

    .venv/bin/python bench/endpoint.py [--requests 2000] [--threads 4]

Starts a fresh local cloud in a temporary folder (stopped at the end), trains the sentiment model,
deploys its model.tar.gz with workshop_lib.endpoint.deploy(), and prints:
- InvokeEndpoint p50 / p99 through boto3 ``sagemaker-runtime`` (one client, sequential calls) and the
  requests per second that gives, plus requests per second with --threads clients in parallel;
- the same request served in-process: the artifact's own input_fn -> predict_fn -> output_fn on the
  model model_fn loaded from the extracted tarball (no HTTP, no boto3), and predict_fn alone;
- the overhead (InvokeEndpoint p50 minus in-process p50) and the ratio of the two p50s;
- where the overhead goes: boto3 alone (the same call answered by a stub, no network), the HTTP round
  trip alone (http.client on a kept-alive connection, the request boto3 signed), and the local cloud's
  WSGI app alone (edge router, IAM guard, this plane, the model; called in-process on a copy of the state).
Goal: overhead <= 2 ms at p50.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import io
import json
import os
import statistics
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import urllib3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop_lib import endpoint
from workshop_lib.config import ENV_STATE_DIR
from workshop_lib.connect import connect
from workshop_lib.local import lifecycle
from workshop_lib.model import build_artifact, train

REGION = "us-east-1"
BODY = json.dumps({"text": "Hello AI!"})


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _time(call: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _in_process(artifact: Path, workdir: Path) -> tuple[Callable[[], object], Callable[[], object]]:
    """The artifact's handlers, loaded the way the container loads them."""
    with tarfile.open(artifact, "r:gz") as tar:
        tar.extractall(workdir, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    spec = importlib.util.spec_from_file_location("bench_inference", workdir / "code" / "inference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.model_fn(str(workdir))
    data = module.input_fn(BODY, "application/json")

    def full() -> object:
        return module.output_fn(module.predict_fn(module.input_fn(BODY, "application/json"), model), "application/json")

    def predict_only() -> object:
        return module.predict_fn(data, model)

    return full, predict_only


def _boto3_only(client_factory: Callable[[], object], name: str, n: int) -> list[float]:
    """boto3's own cost for the call: a stub answers at before-send, nothing goes on the wire."""
    stub = client_factory()

    def answer(request: object, **_: object) -> AWSResponse:
        raw = urllib3.HTTPResponse(body=io.BytesIO(b'{"result": "positive", "score": 0.9}'), preload_content=False)
        headers = {"Content-Type": "application/json", "x-Amzn-Invoked-Production-Variant": "AllTraffic"}
        return AWSResponse(request.url, 200, headers, raw)  # type: ignore[attr-defined]

    stub.meta.events.register("before-send.sagemaker-runtime.InvokeEndpoint", answer)  # type: ignore[attr-defined]
    call = lambda: stub.invoke_endpoint(EndpointName=name, ContentType="application/json", Body=BODY)["Body"].read()  # type: ignore[attr-defined]  # noqa: E731
    _time(call, 200)
    return _time(call, n)


def _http_only(client_factory: Callable[[], object], endpoint_url: str, name: str, n: int) -> list[float]:
    """The HTTP round trip without boto3: the request boto3 signs, replayed with http.client (kept alive)."""
    signed: dict[str, str] = {}
    client = client_factory()

    def capture(request: object, **_: object) -> None:
        for key, value in request.headers.items():  # type: ignore[attr-defined]
            signed[key] = value.decode() if isinstance(value, bytes) else value

    client.meta.events.register("before-send.sagemaker-runtime.InvokeEndpoint", capture)  # type: ignore[attr-defined]
    client.invoke_endpoint(EndpointName=name, ContentType="application/json", Body=BODY)  # type: ignore[attr-defined]
    host, port = endpoint_url.rsplit("/", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port))

    def call() -> bytes:
        connection.request("POST", f"/endpoints/{name}/invocations", body=BODY, headers=signed)
        return connection.getresponse().read()

    _time(call, 200)
    return _time(call, n)


def _wsgi_only(artifact: Path, workdir: Path, n: int) -> list[float]:
    """The local cloud's WSGI app (edge router, guards, every plane's matches(), this plane, the model), in-process.

    A second router is built in this process over moto's in-process backends, given the same endpoint
    directly through the backends, and called with werkzeug's test client: no socket, no HTTP parsing.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from moto.backends import get_backend
    from werkzeug.test import Client

    from workshop_lib.config import LOCAL_ACCOUNT_ID, LOCAL_ADMIN_ACCESS_KEY
    from workshop_lib.local.core.context import CloudContext
    from workshop_lib.local.core.wiring import build_router

    ctx = CloudContext(port=1, account_id=LOCAL_ACCOUNT_ID, region=REGION, work_dir=workdir)
    app = build_router(ctx)
    s3 = get_backend("s3")[LOCAL_ACCOUNT_ID]["global"]
    s3.create_bucket("bench-wsgi-artifacts", REGION)
    s3.put_object("bench-wsgi-artifacts", "model.tar.gz", artifact.read_bytes())
    sm = get_backend("sagemaker")[LOCAL_ACCOUNT_ID][REGION]
    environment = dict(endpoint.CONTAINER_ENVIRONMENT)
    container = {"Image": "x", "ModelDataUrl": "s3://bench-wsgi-artifacts/model.tar.gz", "Environment": environment}
    sm.create_model("m", "arn:aws:iam::123456789012:role/r", container, None, None, None)
    variant = {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}
    sm.create_endpoint_config("c", [variant], None, None, None, None)
    client = Client(app)
    signer = SigV4Auth(Credentials(LOCAL_ADMIN_ACCESS_KEY, ctx.admin_secret_key), "sagemaker", REGION)

    def post(path: str, body: bytes | str, headers: dict[str, str]) -> bytes:  # signed as the admin: the router checks
        request = AWSRequest("POST", f"http://localhost{path}", data=body, headers=headers)
        signer.add_auth(request)
        return client.post(path, data=body, headers=dict(request.headers.items())).data

    create = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.CreateEndpoint"}
    post("/", json.dumps({"EndpointName": "e", "EndpointConfigName": "c"}).encode(), create)  # deploys the model
    call = lambda: post("/endpoints/e/invocations", BODY, {"Content-Type": "application/json"})  # noqa: E731
    assert json.loads(call())["result"] == "positive"
    _time(call, 200)
    try:
        return _time(call, n)
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-endpoint-"))
    os.environ[ENV_STATE_DIR] = str(scratch / "state")
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "WORKSHOP_TARGET"):
        os.environ.pop(var, None)
    started = time.perf_counter()
    result = train()
    artifact = build_artifact(result, scratch / "model.tar.gz")
    print(f"trained: held-out accuracy {result.accuracy:.3f} in {time.perf_counter() - started:.1f} s")
    try:
        conn = connect("local", REGION, prefix="bench")
        started = time.perf_counter()
        info = endpoint.deploy(artifact, conn=conn)
        print(f"deployed {info.name} ({info.model_name}) in {time.perf_counter() - started:.2f} s")
        session = conn.session

        def client():  # what a caller uses: boto3 sagemaker-runtime, no retries to hide anything
            return session.client(
                "sagemaker-runtime", endpoint_url=conn.endpoint_url, config=Config(retries={"max_attempts": 1})
            )

        runtime = client()

        def invoke() -> object:
            resp = runtime.invoke_endpoint(EndpointName=info.name, ContentType="application/json", Body=BODY)
            return resp["Body"].read()

        assert json.loads(invoke())["result"] == "positive"  # first call loads the model
        _time(invoke, 200)  # warm-up
        t0 = time.perf_counter()
        remote = _time(invoke, args.requests)
        sequential_rps = args.requests / (time.perf_counter() - t0)

        per_thread = max(1, args.requests // args.threads)
        clients = [client() for _ in range(args.threads)]

        def worker(c: object) -> None:
            for _ in range(per_thread):
                c.invoke_endpoint(EndpointName=info.name, ContentType="application/json", Body=BODY)["Body"].read()  # type: ignore[attr-defined]

        threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        parallel_rps = per_thread * args.threads / (time.perf_counter() - t0)

        client_only = _boto3_only(client, info.name, args.requests)
        http_only = _http_only(client, conn.endpoint_url, info.name, args.requests)
        wsgi_only = _wsgi_only(artifact, scratch / "wsgi", args.requests)
        full, predict_only = _in_process(artifact, scratch / "opt-ml-model")
        _time(full, 200)
        local = _time(full, args.requests)
        predict = _time(predict_only, args.requests)
        endpoint.delete_endpoint(conn=conn)
    finally:
        lifecycle.stop(scratch / "state")

    r50, r99 = _percentiles(remote)
    l50, l99 = _percentiles(local)
    p50, p99 = _percentiles(predict)
    print(f"\n{'path':<46}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    print(f"{'InvokeEndpoint via boto3 (1 client)':<46}{r50:>9.3f}{r99:>9.3f}{sequential_rps:>9.0f}")
    print(f"{f'InvokeEndpoint via boto3 ({args.threads} threads)':<46}{'':>9}{'':>9}{parallel_rps:>9.0f}")
    print(
        f"{'in-process input_fn+predict_fn+output_fn':<46}{l50:>9.3f}{l99:>9.3f}{1000 / statistics.mean(local):>9.0f}"
    )
    print(f"{'in-process predict_fn only':<46}{p50:>9.3f}{p99:>9.3f}{1000 / statistics.mean(predict):>9.0f}")
    c50, c99 = _percentiles(client_only)
    h50, h99 = _percentiles(http_only)
    print(f"{'  of which boto3 alone (stubbed, no network)':<46}{c50:>9.3f}{c99:>9.3f}")
    w50, w99 = _percentiles(wsgi_only)
    print(f"{'  of which HTTP round trip alone (http.client)':<46}{h50:>9.3f}{h99:>9.3f}")
    print(f"{'  of which local cloud WSGI app alone':<46}{w50:>9.3f}{w99:>9.3f}")
    overhead = r50 - l50
    print(f"\noverhead at p50: {overhead:.3f} ms (InvokeEndpoint p50 is {r50 / l50:.1f}x the in-process p50)")
    print(
        f"  boto3: {c50:.3f} ms; HTTP server and loopback: {h50 - w50:.3f} ms; "
        f"router, guard and plane: {w50 - l50:.3f} ms (p50 differences)"
    )
    print(f"goal (overhead <= 2 ms at p50): {'met' if overhead <= 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
