"""What one request costs: AWS calls by operation, and the module's import time (cold start), kit vs seed.

    .venv/bin/python bench/handler_cost.py [--requests 50] [--imports 9]

Both handlers run in-process against moto (no network): lambda_function.py (the kit) and
bench/baselines/seed_lambda_function.py (the seed's code, verbatim). AWS calls are counted with botocore event
hooks on each module's own clients: ``provide-client-params`` (API calls by operation, even those a
Stubber answers) and ``before-send`` (HTTP attempts, so retries would show). The goal for a good
request is exactly one InvokeEndpoint and one PutItem, nothing else. Import time is measured in a fresh
interpreter per run (median and min of --imports runs, the modules interleaved so that a busy machine
slows them alike).

The milliseconds of a request here are moto's in-process cost plus the handler's own; on AWS the
network round trips to SageMaker and DynamoDB dominate. Compare the two columns, not the absolute values.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "lambda_function.py"
SEED = ROOT / "bench" / "baselines" / "seed_lambda_function.py"
ENV = {
    "ENDPOINT_NAME": "ml-endpoint",
    "DYNAMODB_TABLE": "InferenceMetadata",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def _import_code(path: Path | None) -> str:
    if path is None:
        return "import time; t = time.perf_counter(); import boto3; print(time.perf_counter() - t)"
    return (
        f"import sys, time; sys.path.insert(0, {str(path.parent)!r}); t = time.perf_counter(); "
        f"import {path.stem}; print(time.perf_counter() - t)"
    )


def import_times(targets: dict[str, Path | None], repeats: int) -> dict[str, tuple[float, float]]:
    """Median and min import time (ms) per target, each in a fresh interpreter; None means `import boto3`.

    The targets are interleaved round by round, so that a busy machine slows them alike.
    """
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **ENV}
    runs: dict[str, list[float]] = {name: [] for name in targets}
    for round_no in range(repeats + 1):
        for name, path in targets.items():
            cmd = [sys.executable, "-c", _import_code(path)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            if round_no:  # round 0 may compile .pyc files
                runs[name].append(float(out.stdout.strip()) * 1000)
    return {name: (statistics.median(r), min(r)) for name, r in runs.items()}


def load(path: Path, name: str) -> Any:
    if str(path.parent) not in sys.path:  # the kit's handler imports inference_support.py beside it
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Counter:
    """API calls by operation and HTTP attempts, from botocore event hooks on the given clients."""

    def __init__(self, clients: list[Any]) -> None:
        self.calls: dict[str, int] = {}
        self.attempts = 0
        for client in clients:
            client.meta.events.register("provide-client-params", self._call)
            client.meta.events.register("before-send", self._send)

    def _call(self, event_name: str, **kwargs: Any) -> None:
        op = event_name.rsplit(".", 1)[-1]
        self.calls[op] = self.calls.get(op, 0) + 1

    def _send(self, **kwargs: Any) -> None:
        self.attempts += 1

    def reset(self) -> None:
        self.calls, self.attempts = {}, 0


class LambdaContext:
    function_name = "ml-inference-lambda"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())


def api_event() -> dict[str, Any]:
    return {
        "resource": "/inference",
        "path": "/inference",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "requestContext": {"requestId": str(uuid.uuid4()), "stage": "prod", "httpMethod": "POST"},
        "body": json.dumps({"input": {"text": "Hello AI!"}}),
        "isBase64Encoded": False,
    }


def per_call(counter: Counter, n: int) -> str:
    parts = [f"{op} {count / n:g}" for op, count in sorted(counter.calls.items())]
    return (", ".join(parts) or "none") + f"  (HTTP attempts {counter.attempts / n:g})"


def run_requests(handler: Any, n: int) -> list[float]:
    times = []
    for _ in range(n):
        ev, ctx = api_event(), LambdaContext()
        start = time.perf_counter()
        response = handler(ev, ctx)
        times.append((time.perf_counter() - start) * 1000)
        assert response["statusCode"] == 200, response
    return times


def _rows() -> int:
    import boto3

    return boto3.client("dynamodb").scan(TableName=ENV["DYNAMODB_TABLE"], Select="COUNT")["Count"]


def scenario(handler: Any, counter: Counter, event: Any) -> str:
    """Status (or the escaping exception), AWS calls, and what was kept: a table row or a replay log line."""
    counter.reset()
    rows_before = _rows()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            response = handler(event, LambdaContext())
        outcome = f"{response['statusCode']}"
    except Exception as exc:  # noqa: BLE001 - the seed raises; that is what is measured
        outcome = f"raises {type(exc).__name__}"
    kept = "table row" if _rows() > rows_before else ("replay log line" if '"replay"' in out.getvalue() else "-")
    return f"{outcome:<24} calls: {per_call(counter, 1):<52} kept: {kept}"


def measure(name: str, path: Path, n: int, stubber: Any) -> tuple[Any, ...]:
    """Import, first request, warm requests with calls counted, then the fault scenarios, for one handler."""
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the kit's two log lines per request, not the report
    with quiet, contextlib.redirect_stdout(quiet):
        start = time.perf_counter()
        module = load(path, f"bench_{name}_lambda")
        in_process_import = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        first = module.lambda_handler(api_event(), LambdaContext())
        first_ms = (time.perf_counter() - start) * 1000
        assert first["statusCode"] == 200, first
        if name == "seed":
            clients = [module.sagemaker, module.dynamodb]
        else:
            clients = [module.client("sagemaker-runtime"), module.client("dynamodb")]
        counter = Counter(clients)
        warm = run_requests(module.lambda_handler, n)
        calls = per_call(counter, n)
        faults = {
            "console hello-world event": scenario(
                module.lambda_handler, counter, {"key1": "value1", "key2": "value2", "key3": "value3"}
            ),
            "non-JSON body": scenario(module.lambda_handler, counter, api_event() | {"body": "not json"}),
        }
        with stubber(clients[0]) as stub:
            stub.add_client_error("invoke_endpoint", service_error_code="ModelError", http_status_code=424)
            faults["endpoint ModelError"] = scenario(module.lambda_handler, counter, api_event())
        with stubber(clients[1]) as stub:
            stub.add_client_error("put_item", service_error_code="AccessDeniedException", http_status_code=400)
            faults["PutItem AccessDenied"] = scenario(module.lambda_handler, counter, api_event())
    return in_process_import, first_ms, statistics.median(warm), calls, faults


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="warm requests per handler")
    parser.add_argument("--imports", type=int, default=9, help="fresh-interpreter imports per module")
    args = parser.parse_args()
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(ENV)

    print(f"python {sys.version.split()[0]}, {args.requests} warm requests, {args.imports} imports each\n")
    imports = import_times({"boto3": None, "seed": SEED, "kit": KIT}, args.imports)

    import boto3
    import requests
    from botocore.stub import Stubber
    from moto import mock_aws

    with mock_aws():
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName=ENV["DYNAMODB_TABLE"],
            AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        result = {"Body": json.dumps({"label": "positive", "score": 0.93}), "ContentType": "application/json"}
        results = {"results": [result] * 3}  # warm-up, seed, kit: moto keys its results by body and Accept
        requests.post("http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results", json=results)
        # Warm moto up (its first call of each service is slow), so neither handler pays it in "first request".
        boto3.client("sagemaker-runtime").invoke_endpoint(EndpointName="warm-up", Body="{}")
        ddb.put_item(TableName=ENV["DYNAMODB_TABLE"], Item={"requestId": {"S": "warm-up"}})
        ddb.delete_item(TableName=ENV["DYNAMODB_TABLE"], Key={"requestId": {"S": "warm-up"}})
        rows = {name: measure(name, path, args.requests, Stubber) for name, path in (("seed", SEED), ("kit", KIT))}

    print("import time, fresh interpreter (cold-start cost of the module):")
    labels = {"boto3": "import boto3 alone", "seed": "seed (boto3 + 2 clients)", "kit": "kit (boto3, lazy clients)"}
    for name, label in labels.items():
        median, least = imports[name]
        print(f"  {label:<28}  median {median:7.1f} ms   min {least:7.1f} ms")
    print()
    print("per request, in-process against moto:")
    for name in ("seed", "kit"):
        imp, first_ms, warm_ms, calls, _ = rows[name]
        print(
            f"  {name}: import (boto3 already loaded) {imp:6.1f} ms, first request {first_ms:6.1f} ms, "
            f"warm request median {warm_ms:5.1f} ms"
        )
        print(f"        AWS calls per good request: {calls}")
    print("\nfaults (status or the exception that escapes; AWS calls made; what keeps the request):")
    for scenario_name in rows["kit"][4]:
        print(f"  {scenario_name}")
        for name in ("seed", "kit"):
            print(f"    {name}: {rows[name][4][scenario_name]}")


if __name__ == "__main__":
    main()
