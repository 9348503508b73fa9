"""IAM enforcement benchmark: what the guard costs per call.

1. Policy evaluation alone: decisions per second for the seed's policy plus a managed policy (no server).
2. End to end: PutItem latency on a real local cloud (started in a temp state dir, stopped after), signed with
   the admin key (passes unchecked) and with an execution role's temporary credentials (resolved, policies read
   from moto, evaluated). Prints median and p95 for each and the difference. Goal: the check adds well under a
   millisecond to a call that itself takes a few.

    .venv/bin/python bench/iam_enforcement.py [--calls 500]
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

from workshop_lib.config import LOCAL_ADMIN_ACCESS_KEY, POLICIES_DIR
from workshop_lib.local import lifecycle
from workshop_lib.local.core.policy import Decision, evaluate

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
        trust = string.Template((POLICIES_DIR / "trust-lambda.json").read_text()).substitute(account_id=ACCOUNT)
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
    finally:
        lifecycle.stop(state_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=100_000)
    args = parser.parse_args()
    bench_evaluate(args.rounds)
    bench_end_to_end(args.calls)


if __name__ == "__main__":
    main()
