"""InvokeEndpoint: what the inference Lambda asks the workshop's endpoint, asked from a notebook."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from .connect import Connection, current
from .errors import DeploymentError, InvalidInput, ResourceNotFound, aws_code, aws_error, aws_message
from .i18n import _


def invoke(payload: Any, *, name: str | None = None, conn: Connection | None = None) -> Any:
    """Send a JSON payload (``{"text": ...}`` or a list of them) to the endpoint; return its JSON answer."""
    conn = conn or current()
    name = name or conn.names.endpoint
    try:
        resp = conn.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=name, ContentType="application/json", Accept="application/json", Body=json.dumps(payload)
        )
    except ClientError as exc:
        if aws_code(exc) == "ValidationError" and "not found" in aws_message(exc):
            raise ResourceNotFound(
                aws_message(exc),
                resource=f"endpoint {name}",
                fix=_("deploy() it, or use_existing_endpoint(name) with the right name"),
            ) from exc
        if aws_code(exc) == "ModelError":
            status = exc.response.get("OriginalStatusCode")
            original = exc.response.get("OriginalMessage", "")
            if isinstance(status, int) and status < 500:
                raise InvalidInput(
                    _("the model refused the request ({status}): {original}").format(status=status, original=original),
                    resource=f"endpoint {name}",
                    fix=_('send {"text": "..."} or a list of such objects'),
                ) from exc
            raise DeploymentError(
                _("the model's code failed ({status})").format(status=status),
                resource=f"endpoint {name}",
                fix=_("read the log group /aws/sagemaker/Endpoints/{name} for the traceback").format(name=name),
            ) from exc
        raise aws_error(exc, f"endpoint {name}") from exc
    return json.loads(resp["Body"].read())
