"""History query benchmark: "model X, last hour" by the index Query versus a filtered Scan.

Fills a table (moto, in-process) with 100,000 items over 10 models and 24 hours, then asks for one
model's last hour both ways and prints items read (ScannedCount), items returned, wall time and
the ratios. Goal: the Query reads no more items than it returns.

    .venv/bin/python bench/history_query.py [--items 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from workshop_lib.config import LOCAL_ACCOUNT_ID, ResourceNames
from workshop_lib.connect import Connection
from workshop_lib.metadata import create_metadata_table, iso_timestamp, query_inferences

MODELS = [f"model-{i}" for i in range(10)]


def fill(conn: Connection, items: int, now: datetime) -> None:
    ddb = conn.client("dynamodb")
    step = timedelta(hours=24) / items
    batch = []
    for i in range(items):
        batch.append({"PutRequest": {"Item": {
            "requestId": {"S": f"req-{i:06d}"},
            "timestamp": {"S": iso_timestamp(now - i * step)},
            "modelName": {"S": MODELS[i % len(MODELS)]},
            "inputData": {"S": json.dumps({"text": f"sample text {i}"})},
            "prediction": {"S": json.dumps({"result": "positive", "score": 0.9})},
            "latencyMs": {"N": str(20 + i % 50)},
        }}})
        if len(batch) == 25:
            ddb.batch_write_item(RequestItems={conn.names.table: batch})
            batch = []
    if batch:
        ddb.batch_write_item(RequestItems={conn.names.table: batch})


def read_all(ddb: object, operation: str, **kwargs: object) -> tuple[int, int, float]:
    start = time.perf_counter()
    scanned = returned = 0
    for page in ddb.get_paginator(operation).paginate(**kwargs):  # type: ignore[attr-defined]
        scanned += page["ScannedCount"]
        returned += page["Count"]
    return scanned, returned, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    with mock_aws():
        conn = Connection("aws", "us-east-1", LOCAL_ACCOUNT_ID, "bench", boto3.Session(region_name="us-east-1"),
                          ResourceNames())
        create_metadata_table(conn=conn)
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        fill(conn, args.items, now)
        print(f"filled {args.items:,} items over {len(MODELS)} models and 24 h in {time.perf_counter() - t0:.1f} s")
        since = iso_timestamp(now - timedelta(hours=1))
        ddb = conn.client("dynamodb")
        q = read_all(ddb, "query", TableName=conn.names.table, IndexName=conn.names.history_index,
                     KeyConditionExpression="modelName = :m AND #ts >= :lo",
                     ExpressionAttributeNames={"#ts": "timestamp"},
                     ExpressionAttributeValues={":m": {"S": "model-3"}, ":lo": {"S": since}})
        s = read_all(ddb, "scan", TableName=conn.names.table,
                     FilterExpression="modelName = :m AND #ts >= :lo",
                     ExpressionAttributeNames={"#ts": "timestamp"},
                     ExpressionAttributeValues={":m": {"S": "model-3"}, ":lo": {"S": since}})
        t1 = time.perf_counter()
        df = query_inferences(model="model-3", since=timedelta(hours=1), conn=conn)
        t_df = time.perf_counter() - t1
    print(f"\n{'method':<22}{'items read':>12}{'returned':>10}{'wall ms':>10}")
    print(f"{'index Query':<22}{q[0]:>12,}{q[1]:>10,}{q[2] * 1000:>10.1f}")
    print(f"{'filtered Scan':<22}{s[0]:>12,}{s[1]:>10,}{s[2] * 1000:>10.1f}")
    print(f"{'query_inferences()':<22}{'':>12}{len(df):>10,}{t_df * 1000:>10.1f}")
    print(f"\nScan reads {s[0] / max(q[0], 1):.0f}x the items of the Query and takes {s[2] / q[2]:.1f}x its time")
    verdict = "met" if q[0] <= q[1] and q[1] == s[1] else "NOT met"
    print(f"goal (Query reads no more items than it returns, same answer as the Scan): {verdict}")


if __name__ == "__main__":
    main()
