"""IAM policy documents as the IAM tests write them: statements, a policy's JSON, the kit's templates rendered.

Shared by the policy-evaluation unit tests (tests/unit/local/) and the end-to-end IAM tests (tests/local_cloud/iam/).
"""

from __future__ import annotations

import json
import string
from typing import Any

from workshop_lib.config import POLICIES_DIR

TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/InferenceMetadata"


def policy_json(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def rendered_template(template: str, **values: str) -> str:
    """policies/<template>.json with its ${...} placeholders filled in."""
    return string.Template((POLICIES_DIR / f"{template}.json").read_text()).substitute(values)


def allow(action: Any, resource: Any = TABLE_ARN, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = TABLE_ARN, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}
