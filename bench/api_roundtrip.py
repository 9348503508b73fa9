"""The seed's request end to end on the local cloud, and the same handler called in-process.

    .venv/bin/python bench/api_roundtrip.py [--requests 200] [--concurrency 1 4 8]

End to end is curl's path: HTTP to the local cloud -> API Gateway data plane (REST proxy event) -> Lambda
data plane (lambda_function.py in a worker process) -> SageMaker endpoint (the real model) and DynamoDB
(one PutItem) -> back. Each client thread keeps one HTTP connection open, as a load generator would.

In-process calls ``lambda_function.lambda_handler(event, context)`` in this process, with the function's
own environment (``ENDPOINT_NAME``, ``DYNAMODB_TABLE``, the execution role's temporary credentials from
STS, ``AWS_ENDPOINT_URL`` at the same local cloud), so its endpoint and DynamoDB calls are the same HTTP
calls the worker makes: the difference between the two rows is what API Gateway, the Lambda runtime and
the extra hops cost.

For every run the table's item count must grow by exactly the number of 200 responses (no lost record),
and every response must be a 200. The script starts a local cloud of its own (a temporary state folder),
deploys the workshop into it with workshop_lib (role and policies, model endpoint, table, Lambda, REST
API), prints one row per path and concurrency, and exits 1 if any request failed or any record is missing.
Goal on 2 cores: p50 <= 15 ms and >= 100 requests/s at concurrency 4. Both cannot hold at once (4
requests always in flight at 100 requests/s means 40 ms each on average), so the script reports
them as the issue must mean them: p50 at concurrency 1, requests/s at concurrency 4.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop_lib import api, deploy, iam, metadata  # noqa: E402
from workshop_lib.config import ENV_STATE_DIR, LAMBDA_ENV_ENDPOINT, LAMBDA_ENV_TABLE  # noqa: E402
from workshop_lib.connect import Connection, connect  # noqa: E402
from workshop_lib.local import lifecycle  # noqa: E402

REGION = "us-east-1"
BODY = json.dumps({"input": {"text": "Hello AI!"}}).encode()


@dataclass
class Run:
    path: str
    concurrency: int
    latencies_ms: list[float]
    seconds: float
    errors: int
    ok: int
    recorded: int

    def row(self) -> str:
        lat = sorted(self.latencies_ms)
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, round(0.99 * len(lat)) - 1)]
        rps = len(lat) / self.seconds
        lost = self.ok - self.recorded
        return (
            f"{self.path:<22} {self.concurrency:>4} {len(lat):>8} {p50:>8.1f} {p99:>8.1f} {rps:>8.0f} "
            f"{self.errors:>7} {lost:>5}"
        )


def table_count(conn: Connection) -> int:
    ddb = conn.client("dynamodb")
    total, kwargs = 0, {"TableName": conn.names.table, "Select": "COUNT"}
    while True:
        page = ddb.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def deploy_workshop(conn: Connection) -> str:
    """Everything the seed's request needs, built with the kit's own operations; returns the invoke URL."""
    from workshop_lib import endpoint  # the model endpoint (section 6)

    iam.ensure_execution_role(conn=conn)
    for template in ("invoke-endpoint", "logs", "metadata-write"):
        iam.attach_policy(template=template, conn=conn)
    served = endpoint.deploy(conn=conn)
    if not served.in_service:
        raise SystemExit(f"endpoint {served.name} is {served.status}: {served.failure_reason}")
    metadata.create_metadata_table(conn=conn)
    deploy.deploy_lambda(conn=conn)
    deploy.set_env_vars(conn=conn, **{LAMBDA_ENV_ENDPOINT: conn.names.endpoint, LAMBDA_ENV_TABLE: conn.names.table})
    return api.create_rest_api(conn=conn).invoke_url


def measure(path: str, concurrency: int, requests: int, call: Callable[[], int], conn: Connection) -> Run:
    before = table_count(conn)
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def one(_: int) -> None:
        start = time.perf_counter()
        status = call()
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            latencies.append(elapsed)
            statuses.append(status)

    with ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        list(pool.map(one, range(requests)))
        seconds = time.perf_counter() - start
    ok = sum(1 for s in statuses if s == 200)
    return Run(path, concurrency, latencies, seconds, len(statuses) - ok, ok, table_count(conn) - before)


def http_caller(url: str) -> Callable[[], int]:
    """POST the seed's body over one keep-alive connection per thread; returns the HTTP status."""
    parts = urlsplit(url)
    local = threading.local()

    def call() -> int:
        c = getattr(local, "conn", None)
        if c is None:
            c = local.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=35)
        try:
            c.request("POST", parts.path, body=BODY, headers={"Content-Type": "application/json"})
            resp = c.getresponse()
            resp.read()
            return resp.status
        except (OSError, http.client.HTTPException):
            local.conn = None
            c.close()
            return 0

    return call


class LambdaContext:
    """The attributes of the Lambda context object the handler reads."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 256
        self.aws_request_id = str(uuid.uuid4())

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def in_process_caller(conn: Connection, url: str) -> Callable[[], int]:
    """lambda_handler in this process, with the function's environment and its role's credentials."""
    iam = conn.client("iam")
    role = iam.get_role(RoleName=conn.names.role)["Role"]
    role_arn = role["Arn"]
    # The role trusts only Lambda (as on AWS, the admin may not assume it): in this bench's own cloud, let the
    # account's principals assume it too, so the handler runs here with exactly the role's permissions.
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    account_root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{conn.account_id}:root"}}
    trust["Statement"] = [*trust["Statement"], {**account_root, "Action": "sts:AssumeRole"}]
    iam.update_assume_role_policy(RoleName=conn.names.role, PolicyDocument=json.dumps(trust))
    creds = conn.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="bench-in-process")["Credentials"]
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": conn.endpoint_url or "",
            "AWS_REGION": conn.region,
            "AWS_DEFAULT_REGION": conn.region,
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
            LAMBDA_ENV_ENDPOINT: conn.names.endpoint,
            LAMBDA_ENV_TABLE: conn.names.table,
        }
    )
    sys.path.insert(0, str(ROOT))  # the handler imports inference_support.py from beside it
    spec = importlib.util.spec_from_file_location("lambda_function", ROOT / "lambda_function.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    api_id = urlsplit(url).path.split("/")[2]

    def call() -> int:
        event = {
            "resource": "/inference",
            "path": "/inference",
            "httpMethod": "POST",
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Content-Type": ["application/json"]},
            "queryStringParameters": None,
            "multiValueQueryStringParameters": None,
            "pathParameters": None,
            "stageVariables": None,
            "requestContext": {"requestId": str(uuid.uuid4()), "stage": "prod", "apiId": api_id, "httpMethod": "POST"},
            "body": BODY.decode(),
            "isBase64Encoded": False,
        }
        return int(module.lambda_handler(event, LambdaContext(conn.names.function))["statusCode"])

    return call


@contextlib.contextmanager
def private_local_cloud(prefix: str) -> Iterator[tuple[Connection, Path]]:
    """A local cloud of the benchmark's own (its state in a new temporary folder), connected; stopped at the end."""
    state_dir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ[ENV_STATE_DIR] = str(state_dir)
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "WORKSHOP_PREFIX"):
        os.environ.pop(var, None)
    lifecycle.start(region=REGION, directory=state_dir)
    try:
        yield connect("local", REGION), state_dir
    finally:
        lifecycle.stop(state_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per path and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args(argv)

    with private_local_cloud("bench-api-") as (conn, state_dir):
        t = time.perf_counter()
        url = deploy_workshop(conn)
        print(f"deployed the workshop in {time.perf_counter() - t:.1f} s; invoke URL {url}")
        http_call = http_caller(url)
        warm = max(args.concurrency)
        with ThreadPoolExecutor(warm) as pool:  # cold starts: one execution environment per concurrent request
            statuses = list(pool.map(lambda _: http_call(), range(4 * warm)))
        if any(s != 200 for s in statuses):
            print(f"warm-up failed: statuses {sorted(set(statuses))}; check the local cloud log in {state_dir}")
            return 1
        in_process = in_process_caller(conn, url)
        with contextlib.redirect_stdout(io.StringIO()):  # the handler's JSON log lines
            in_process()

        runs: list[Run] = []
        for concurrency in args.concurrency:
            runs.append(measure("HTTP->gateway->Lambda", concurrency, args.requests, http_call, conn))
            with contextlib.redirect_stdout(io.StringIO()):
                runs.append(measure("handler in-process", concurrency, args.requests, in_process, conn))

    print(
        f"\n{'path':<22} {'conc':>4} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>7} {'lost':>5}"
    )
    for run in runs:
        print(run.row())
    failed = [r for r in runs if r.errors or r.ok != r.recorded]
    http = {r.concurrency: r for r in runs if r.path.startswith("HTTP")}
    if 1 in http:
        p50 = statistics.median(http[1].latencies_ms)
        print(f"\ngoal (2 cores): p50 <= 15 ms at concurrency 1 end to end: {'met' if p50 <= 15 else 'NOT met'} "
              f"({p50:.1f} ms)")
    if 4 in http:
        rps = len(http[4].latencies_ms) / http[4].seconds
        print(f"goal (2 cores): >= 100 req/s at concurrency 4 end to end: {'met' if rps >= 100 else 'NOT met'} "
              f"({rps:.0f} req/s)")
    print(f"cpu cores: {os.cpu_count()}; python {sys.version.split()[0]}")
    if failed:
        print("FAILED: errors or lost records in " + ", ".join(f"{r.path} c={r.concurrency}" for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
