"""What the seam tests share: the region, a role, and the message naming the internal a moto upgrade changed."""

from __future__ import annotations

import json

import moto

REGION = "us-east-1"
LAMBDA_TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [LAMBDA_TRUST]})


def changed(internal: str, module: str) -> str:
    """The failure message: which internal changed, and which seam module to update."""
    return f"moto {moto.__version__} changed {internal}: update workshop_lib/local/core/moto_seam/{module}.py"


def role(moto_conn, name: str = "seam-fn-role") -> str:
    return moto_conn.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
