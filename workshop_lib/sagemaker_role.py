"""The SageMaker execution role the workshop's model runs with (section 6), least privilege.

SageMaker assumes the role to read the artifact from the kit's bucket, pull the scikit-learn image
and write the container's logs.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from .connect import Connection, current
from .errors import aws_error
from .iam import ensure_role
from .sagemaker_image import IMAGE_REPOSITORY, SKLEARN_REGISTRIES

ROLE_POLICY_NAME = "SageMakerModelAccess"


def sagemaker_role_documents(conn: Connection | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SageMaker execution role's trust policy and its inline permissions (least privilege).

    SageMaker assumes the role to read the artifact from the kit's bucket (``s3:GetObject`` under
    ``models/``), pull the scikit-learn image (ECR; ``GetAuthorizationToken`` has no resource-level
    permissions, hence its ``*``) and write the container's logs to ``/aws/sagemaker/Endpoints/*``.
    """
    conn = conn or current()
    image_account = SKLEARN_REGISTRIES.get(conn.region, "*")
    logs = f"arn:aws:logs:{conn.region}:{conn.account_id}:log-group:/aws/sagemaker/Endpoints/*"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    permissions = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadModelArtifacts",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{conn.bucket}/models/*",
            },
            {
                "Sid": "PullScikitLearnImage",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                "Resource": f"arn:aws:ecr:{conn.region}:{image_account}:repository/{IMAGE_REPOSITORY}",
            },
            {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "EndpointLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                "Resource": logs,
            },
        ],
    }
    return trust, permissions


def ensure_sagemaker_role(conn: Connection | None = None) -> str:
    """Create (or reuse) the role SageMaker runs the model with; (re)write its inline policy; return its ARN."""
    conn = conn or current()
    name = conn.names.sagemaker_role
    trust, permissions = sagemaker_role_documents(conn)
    description = "SageMaker execution role of the workshop's sentiment endpoint"
    arn = ensure_role(conn, name, "sagemaker.amazonaws.com", trust, description)
    try:
        conn.client("iam").put_role_policy(
            RoleName=name, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(permissions)
        )
    except ClientError as exc:
        raise aws_error(exc, f"role {name}") from exc
    return arn
