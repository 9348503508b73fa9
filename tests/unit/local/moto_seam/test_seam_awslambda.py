"""The moto internals of workshop_lib/local/core/moto_seam/awslambda.py (Lambda), one test each."""

from __future__ import annotations

import pytest

from tests.unit.local.moto_seam.seam import changed, role
from workshop_lib.deploy import package
from workshop_lib.local.core.records import FunctionNotFound


def _function(moto_conn, name: str = "seam-fn") -> dict:
    return moto_conn.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role(moto_conn),
        Handler="app.handler",
        Code={"ZipFile": package({"app.py": "def handler(e, c):\n    return 1\n"})},
        Environment={"Variables": {"B": "2", "A": "1"}},
        MemorySize=256,
        Timeout=7,
    )


def test_moto_seam__a_lambda_function_is_read_with_its_code_configuration_and_policy(moto_conn, backends):
    created = _function(moto_conn)
    moto_conn.client("lambda").add_permission(
        FunctionName="seam-fn",
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    fn = backends.function("seam-fn")
    assert (fn.name, fn.arn, fn.version, fn.handler, fn.runtime) == (
        "seam-fn",
        created["FunctionArn"],
        "$LATEST",
        "app.handler",
        "python3.11",
    ), changed("LambdaFunction's configuration attributes", "awslambda")
    assert (fn.memory_mb, fn.timeout_s, fn.environment) == (256, 7.0, (("A", "1"), ("B", "2")))
    assert fn.code_sha256 == created["CodeSha256"] and fn.code.startswith(b"PK"), changed(
        "code_bytes / code_sha_256", "awslambda"
    )
    assert len(fn.code_digest) == 64, changed("LambdaFunction.code_digest", "awslambda")
    principals = [s["Principal"] for s in fn.policy]
    assert principals == [{"Service": "apigateway.amazonaws.com"}], changed(
        "LambdaFunction.policy.statements", "awslambda"
    )
    assert backends.function(created["FunctionArn"]) == fn  # a full ARN names the same function
    with pytest.raises(FunctionNotFound):
        backends.function("no-such-fn")
