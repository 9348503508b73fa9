"""The moto internals of workshop_lib/local/core/moto_seam/logs.py (CloudWatch Logs), one test each."""

from __future__ import annotations

import time

from tests.unit.local.moto_seam.seam import REGION, changed


def test_moto_seam__logs_groups_streams_and_events_are_written_to_the_logs_backend(moto_conn, backends):
    logs = backends.logs(REGION)
    assert backends.logs(REGION) is logs  # one handle per region
    logs.ensure_stream("/aws/lambda/seam", "s1")
    logs.ensure_stream("/aws/lambda/seam", "s1")  # idempotent
    logs.put_events("/aws/lambda/seam", "s1", [{"timestamp": int(time.time() * 1000), "message": "hello\n"}])
    events = moto_conn.client("logs").get_log_events(logGroupName="/aws/lambda/seam", logStreamName="s1")["events"]
    assert [e["message"] for e in events] == ["hello\n"], changed(
        "ensure_log_group, ensure_log_stream, put_log_events", "logs"
    )
