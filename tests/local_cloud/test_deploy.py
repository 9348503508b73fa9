"""deploy_lambda and code_diff against the local cloud: what deploying would change, then nothing."""

from __future__ import annotations

import pytest

import workshop_lib as wl

HANDLER_V1 = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'v1'}\n"
HANDLER_V2 = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'v2'}\n"


@pytest.mark.local_cloud
def test_code_diff__shows_what_deploying_would_change_then_nothing(local_conn, tmp_path):
    import uuid

    name = f"diff-{uuid.uuid4().hex[:8]}"
    role = wl.ensure_execution_role(f"{name}-role", conn=local_conn)
    src = tmp_path / "lambda_function.py"
    src.write_text(HANDLER_V1)
    wl.deploy_lambda(name, src, role, conn=local_conn)
    assert wl.deployed_code(name, conn=local_conn) == {"lambda_function.py": HANDLER_V1}
    src.write_text(HANDLER_V2)
    diff = wl.code_diff(name, src, conn=local_conn)
    assert "-    return {'statusCode': 200, 'body': 'v1'}" in diff
    assert "+    return {'statusCode': 200, 'body': 'v2'}" in diff
    wl.deploy_lambda(name, src, role, conn=local_conn)
    assert wl.code_diff(name, src, conn=local_conn) == ""
