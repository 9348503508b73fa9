"""Lambda Invoke on the local cloud: cold start, warm latency through boto3, in-process baseline, throughput.

    .venv/bin/python bench/lambda_invoke.py [--warm 1000] [--colds 5] [--seconds 3]

Starts a fresh local cloud in a temporary folder (stopped at the end), deploys a function whose module
imports boto3 (as the workshop's function does), and prints:
- cold start: the first invocation after a configuration change, through boto3 (median of --colds),
  and the REPORT line's Init Duration;
- warm invoke p50 / p99 through boto3 ``lambda.invoke`` (one client, sequential calls);
- the same handler called in-process (no Lambda at all), and the ratio of the two p50s;
- throughput at concurrency 1 and 4 (client processes, each with its own boto3 client);
- where the warm time goes: boto3 against a server that does no work (the client's own cost), a bare
  request through the local cloud's HTTP edge (GET /_workshop/health), and the Lambda data plane with its
  worker called in-process, without HTTP.
Goals on the reference 2-core machine: warm p50 <= 3 ms, cold start <= 1.5 s.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing as mp
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
import uuid
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop_lib.config import LOCAL_ADMIN_ACCESS_KEY
from workshop_lib.deploy import package
from workshop_lib.local import lifecycle

REGION = "us-east-1"
HANDLER = """
import json
import boto3  # as the workshop's function: part of the cold start

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"echo": event.get("input")})}
"""
EVENT = {"input": {"text": "Hello AI!"}}


def _client(endpoint: str, secret: str, service: str = "lambda"):
    """A client as the local admin (``secret``: its secret key, new at every start, from the state)."""
    session = boto3.Session(aws_access_key_id=LOCAL_ADMIN_ACCESS_KEY, aws_secret_access_key=secret, region_name=REGION)
    return session.client(service, endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _invoke(lam, name: str) -> dict:
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(EVENT).encode())
    resp["Payload"].read()
    if resp.get("FunctionError"):
        raise SystemExit(f"the function failed: {resp}")
    return resp


def _load(endpoint: str, secret: str, name: str, seconds: float, start_at: float, out: mp.Queue) -> None:
    lam = _client(endpoint, secret)
    _invoke(lam, name)
    while time.time() < start_at:
        time.sleep(0.001)
    count, stop = 0, start_at + seconds
    while time.time() < stop:
        _invoke(lam, name)
        count += 1
    out.put(count)


def _throughput(endpoint: str, secret: str, name: str, concurrency: int, seconds: float) -> float:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    start_at = time.time() + 3.0  # every client process up and warm before the clock starts
    load_args = (endpoint, secret, name, seconds, start_at, out)
    procs = [ctx.Process(target=_load, args=load_args) for _ in range(concurrency)]
    for proc in procs:
        proc.start()
    total = sum(out.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join()
    return total / seconds


def _init_duration(logs, name: str, request_id: str) -> float | None:
    for _ in range(100):
        events = logs.filter_log_events(
            logGroupName=f"/aws/lambda/{name}", filterPattern=f'"REPORT RequestId: {request_id}"'
        )
        for event in events["events"]:
            match = re.search(r"Init Duration: ([\d.]+) ms", event["message"])
            if match:
                return float(match.group(1))
        time.sleep(0.05)
    return None


CANNED_SERVER = r"""
import socket, sys, threading
reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Amz-Executed-Version: $LATEST\r\n"
         b"x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(64)
print(listener.getsockname()[1], flush=True)
def serve(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stream = conn.makefile("rb"); stream.readline(); length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    stream.read(length); conn.sendall(reply); conn.close()
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


def _timed(call, count: int) -> list[float]:
    for _ in range(min(50, count)):
        call()
    times = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def _boto3_floor(count: int) -> float:
    """boto3 lambda.invoke against a server (another process) that answers at once: the client's own cost."""
    server = subprocess.Popen([sys.executable, "-c", CANNED_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        lam = _client(f"http://127.0.0.1:{int(server.stdout.readline())}", "any")  # the canned server checks none
        return _pct(_timed(lambda: lam.invoke(FunctionName="f", Payload=b"{}")["Payload"].read(), count), 0.5)
    finally:
        server.kill()
        server.wait()


def _edge_floor(port: int, count: int) -> float:
    def call() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/_workshop/health")
        conn.getresponse().read()
        conn.close()

    return _pct(_timed(call, count), 0.5)


def _plane_in_process(count: int) -> float:
    """The Lambda data plane and its worker, called in this process (no HTTP, no edge, no boto3)."""
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
    from workshop_lib.local.awslambda.invoke import LambdaDataPlane
    from workshop_lib.local.core.context import CloudContext
    from workshop_lib.local.core.moto_seam import MotoBackends

    work_dir = Path(tempfile.mkdtemp(prefix="bench-lambda-plane-"))
    ctx = CloudContext(port=1, account_id="123456789012", region=REGION, work_dir=work_dir)
    backends = MotoBackends(ctx.account_id, ctx.region)
    role = backends.backend("iam").create_role("bench", "{}", "/", None, "", [], None)
    code = base64.b64encode(package({"app.py": HANDLER})).decode()
    backends.backend("lambda").create_function(
        {
            "FunctionName": "f",
            "Runtime": "python3.11",
            "Role": role.arn,
            "Handler": "app.handler",
            "Code": {"ZipFile": code},
        }
    )
    plane = LambdaDataPlane(ctx, backends)
    try:
        payload = json.dumps(EVENT).encode()
        return _pct(_timed(lambda: plane.invoke("f", payload), count), 0.5)
    finally:
        plane.close()
        shutil.rmtree(work_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm", type=int, default=1000, help="warm invocations to time")
    parser.add_argument("--colds", type=int, default=5, help="cold starts to time")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput run")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="bench-lambda-"))
    state, _ = lifecycle.start(region=REGION, directory=directory)
    try:
        endpoint = state.endpoint_url
        secret = state.admin_secret_key
        lam, iam, logs = _client(endpoint, secret), _client(endpoint, secret, "iam"), _client(endpoint, secret, "logs")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        role = iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        name = f"bench-{uuid.uuid4().hex[:8]}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": package({"app.py": HANDLER})},
            Timeout=30,
        )

        colds, inits = [], []
        for i in range(args.colds):
            lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"RUN": str(i)}})
            began = time.perf_counter()
            resp = _invoke(lam, name)
            colds.append(time.perf_counter() - began)
            inits.append(_init_duration(logs, name, resp["ResponseMetadata"]["RequestId"]) or float("nan"))

        for _ in range(50):
            _invoke(lam, name)
        warm = []
        for _ in range(args.warm):
            began = time.perf_counter()
            _invoke(lam, name)
            warm.append((time.perf_counter() - began) * 1000)

        module = types.ModuleType("app")
        exec(compile(HANDLER, "app.py", "exec"), module.__dict__)
        context = types.SimpleNamespace(aws_request_id="local", get_remaining_time_in_millis=lambda: 30000)
        local = []
        for _ in range(max(args.warm, 1000)):
            payload = json.dumps(EVENT).encode()
            began = time.perf_counter()
            json.dumps(module.handler(json.loads(payload), context)).encode()
            local.append((time.perf_counter() - began) * 1000)

        tput1 = _throughput(endpoint, secret, name, 1, args.seconds)
        tput4 = _throughput(endpoint, secret, name, 4, args.seconds)
        boto3_floor = _boto3_floor(args.warm)
        edge_floor = _edge_floor(state.port, args.warm)
        plane_p50 = _plane_in_process(args.warm)

        p50, p99, local_p50 = _pct(warm, 0.5), _pct(warm, 0.99), _pct(local, 0.5)
        print(
            f"cold start (boto3 invoke after a config change), median of {args.colds}: "
            f"{statistics.median(colds) * 1000:.0f} ms (Init Duration {statistics.median(inits):.0f} ms)"
        )
        print(f"warm invoke through boto3 lambda.invoke ({args.warm} calls): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        ratio = p50 / local_p50
        print(f"same handler in-process: p50 {local_p50 * 1000:.1f} us; boto3 Invoke / in-process = {ratio:.0f}x")
        print(f"throughput: concurrency 1: {tput1:.0f} invokes/s, concurrency 4: {tput4:.0f} invokes/s")
        print(
            f"where the warm time goes (p50): boto3 against a do-nothing server {boto3_floor:.2f} ms; "
            f"a bare request through the edge {edge_floor:.2f} ms; Lambda plane + worker in-process {plane_p50:.2f} ms"
        )
        print(
            f"goals: warm p50 <= 3 ms: {'met' if p50 <= 3 else 'NOT met'}; "
            f"cold start <= 1.5 s: {'met' if statistics.median(colds) <= 1.5 else 'NOT met'}"
        )
    finally:
        lifecycle.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
