"""IAM enforcement benchmark: what the guards cost per call.

1. Policy evaluation alone: decisions per second for the seed's policy plus a managed policy (no server).
2. Signature verification alone (the authentication guard, in-process, no server): the p50 of
   ``Authentication.check`` on a botocore-signed PutItem as the HTTP server hands it over (raw target and header
   lines), for the admin key and for an assumed role's temporary credentials (key looked up in moto's STS
   backend), and of the bare signature comparison. Goal: <= 0.2 ms per request.
3. End to end: PutItem latency on a real local cloud (started in a temp state dir, stopped after), signed with
   the admin key (authenticated, passes IAM unchecked) and with an execution role's temporary credentials
   (authenticated, policies read from moto, evaluated). Prints median and p95 for each and the difference. Goal:
   the checks add well under a millisecond to a call that itself takes a few.

    .venv/bin/python bench/iam_enforcement.py [--calls 500] [--verifications 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import string
import tempfile
import time
from pathlib import Path

import boto3
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from workshop_lib.config import LOCAL_ADMIN_ACCESS_KEY, POLICIES_DIR
from workshop_lib.local import lifecycle
from workshop_lib.local.core.policy import Decision, evaluate
from workshop_lib.local.core.router import RAW_HEADERS_ENVIRON_KEY

REGION = "us-east-1"
ACCOUNT = "123456789012"


def bench_evaluate(rounds: int) -> None:
    seed = string.Template((POLICIES_DIR / "metadata-write.json").read_text()).substitute(
        region=REGION, account_id=ACCOUNT, table="InferenceMetadata"
    )
    managed = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
                {"Effect": "Deny", "Action": "dynamodb:Delete*", "Resource": "*"},
            ],
        }
    )
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/InferenceMetadata"
    assert evaluate([seed, managed], "dynamodb:PutItem", arn) is Decision.ALLOW
    start = time.perf_counter()
    for _ in range(rounds):
        evaluate([seed, managed], "dynamodb:PutItem", arn)
    elapsed = time.perf_counter() - start
    print(f"evaluate(): {rounds} decisions, {elapsed / rounds * 1e6:.1f} us each, {rounds / elapsed:,.0f}/s")


def _signed_request(key: str, secret: str, token: str | None) -> Request:
    """A PutItem botocore signs, as the local cloud's HTTP server hands it to the router."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = json.dumps({"TableName": "InferenceMetadata", "Item": {"requestId": {"S": "r-1"}}}).encode()
    aws = AWSRequest("POST", "http://127.0.0.1:4566/", data=body)
    aws.headers["X-Amz-Target"] = "DynamoDB_20120810.PutItem"
    aws.headers["Content-Type"] = "application/x-amz-json-1.0"
    SigV4Auth(Credentials(key, secret, token), "dynamodb", REGION).add_auth(aws)
    lines = [("Host", "127.0.0.1:4566"), *aws.headers.items(), ("Content-Length", str(len(body)))]
    environ = EnvironBuilder(method="POST", path="/", data=body, headers=lines).get_environ()
    environ |= {"RAW_URI": "/", RAW_HEADERS_ENVIRON_KEY: lines}
    return Request(environ)


def _p50_us(call, rounds: int) -> float:
    for _ in range(min(1000, rounds)):
        call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def bench_verification(rounds: int) -> None:
    from moto.backends import get_backend

    from workshop_lib.local.core.canonical_request import signature_matches
    from workshop_lib.local.core.context import new_secret_key
    from workshop_lib.local.core.moto_seam import MotoBackends, MotoIdentities
    from workshop_lib.local.core.sigv4 import signature_of, wire_request
    from workshop_lib.local.iam.authentication import IDENTITY_ENVIRON_KEY, Authentication
    from workshop_lib.local.iam.credentials import CredentialStore

    get_backend("sts")  # moto's in-process backends, as the local cloud's process holds them
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/bench-verify"
    creds = MotoBackends(ACCOUNT, REGION).assume_role(role_arn, "bench", 3600, REGION)
    admin_secret = new_secret_key()
    guard = Authentication(CredentialStore(ACCOUNT, admin_secret, MotoIdentities(ACCOUNT)))
    cases = {
        "admin key": _signed_request(LOCAL_ADMIN_ACCESS_KEY, admin_secret, None),
        "role credentials": _signed_request(creds.access_key_id, creds.secret_access_key, creds.session_token),
    }
    for name, request in cases.items():
        guard.check(request)
        assert request.environ[IDENTITY_ENVIRON_KEY].access_key in (LOCAL_ADMIN_ACCESS_KEY, creds.access_key_id)
        p50 = _p50_us(lambda r=request: guard.check(r), rounds)
        print(f"signature verification, {name:<17} p50 {p50 / 1000:.3f} ms per request (goal <= 0.2 ms)")
    request = cases["admin key"]
    wire = wire_request(request)
    signed = signature_of(wire)
    p50 = _p50_us(lambda: signature_matches(wire, signed, admin_secret, s3=False), rounds)
    print(f"  of which the canonical request and HMAC alone: p50 {p50 / 1000:.3f} ms")


def _latencies(clients: list[object], table: str, calls: int) -> list[list[float]]:
    """PutItem latencies in ms per client, the clients taking turns so drift hits both alike."""
    out: list[list[float]] = [[] for _ in clients]
    for i in range(calls):
        for n, ddb in enumerate(clients):
            start = time.perf_counter()
            ddb.put_item(TableName=table, Item={"requestId": {"S": f"r-{n}-{i}"}})  # type: ignore[attr-defined]
            out[n].append((time.perf_counter() - start) * 1000)
    return out


def _summary(name: str, ms: list[float]) -> float:
    p50 = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=20)[-1]
    print(f"{name:<28} median {p50:6.2f} ms   p95 {p95:6.2f} ms   ({len(ms)} calls)")
    return p50


def bench_end_to_end(calls: int) -> None:
    state_dir = Path(tempfile.mkdtemp(prefix="bench-iam-"))
    state, _ = lifecycle.start(region=REGION, directory=state_dir)
    try:
        url = state.endpoint_url
        admin = boto3.Session(LOCAL_ADMIN_ACCESS_KEY, state.admin_secret_key, region_name=REGION)
        ddb = admin.client("dynamodb", endpoint_url=url)
        ddb.create_table(
            TableName="InferenceMetadata",
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        iam = admin.client("iam", endpoint_url=url)
        trusts_account = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
        trust = json.dumps({"Statement": [trusts_account]})  # the admin assumes it: AssumeRole checks trust
        role = iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        seed = string.Template((POLICIES_DIR / "metadata-write.json").read_text()).substitute(
            region=REGION, account_id=ACCOUNT, table="InferenceMetadata"
        )
        iam.put_role_policy(RoleName="bench-role", PolicyName="seed", PolicyDocument=seed)
        creds = admin.client("sts", endpoint_url=url).assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
        role_ddb = boto3.Session(
            creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region_name=REGION
        ).client("dynamodb", endpoint_url=url)
        _latencies([ddb, role_ddb], "InferenceMetadata", 50)  # warm both connections
        admin_ms, role_ms = _latencies([ddb, role_ddb], "InferenceMetadata", calls)
        admin_p50 = _summary("PutItem, admin key", admin_ms)
        role_p50 = _summary("PutItem, role credentials", role_ms)
        print(f"IAM check overhead (median difference): {role_p50 - admin_p50:+.2f} ms")
        print("(both calls are authenticated: the signature check is in both medians, see the figure above)")
    finally:
        lifecycle.stop(state_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--verifications", type=int, default=20_000)
    args = parser.parse_args()
    bench_evaluate(args.rounds)
    bench_verification(args.verifications)
    bench_end_to_end(args.calls)


if __name__ == "__main__":
    main()
