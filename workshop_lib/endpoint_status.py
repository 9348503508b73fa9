"""An endpoint's status, and the kit's waits for it (part of workshop_lib/endpoint.py, which offers all of these).

``describe_endpoint`` reads DescribeEndpoint (and, best effort, the config and model behind it). The waits poll it
through the kit's polling primitive (``waiting.poll``): Creating and Updating take minutes on AWS, Deleting less.

A Failed endpoint ends a wait at once with a DeploymentError naming DescribeEndpoint's FailureReason and the fix. A
failed UpdateEndpoint ends the same way: AWS puts the endpoint back to InService on its old config, with the
FailureReason saying why the new one did not deploy, so a wait for a config (``config_name``) checks which one
serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from . import waiting
from .connect import Connection, current
from .errors import DeploymentError, ResourceNotFound, WorkshopError, aws_code, aws_error, aws_message
from .i18n import _

ENDPOINT_WAIT_S = 1800.0  # Creating / Updating / Deleting: minutes on AWS; 30 at most
ENDPOINT_BACKOFF = waiting.Backoff(first=1.0, factor=1.5, cap=3.0)
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed")
_KINDS = {"ModelName": "model", "EndpointConfigName": "endpoint config", "EndpointName": "endpoint"}


@dataclass(frozen=True)
class EndpointInfo:
    """What a notebook needs to know about an endpoint."""

    name: str
    arn: str
    status: str
    config_name: str
    variant: str | None = None
    model_name: str | None = None
    model_data_url: str | None = None
    image: str | None = None
    failure_reason: str | None = None

    @property
    def in_service(self) -> bool:
        return self.status == "InService"


def log_group(name: str) -> str:
    """The CloudWatch log group of an endpoint's containers."""
    return f"/aws/sagemaker/Endpoints/{name}"


def not_found(exc: ClientError) -> bool:
    """SageMaker's "not found": a ValidationException whose message says it could not find the resource."""
    return aws_code(exc) in ("ValidationException", "ResourceNotFound") and "could not find" in aws_message(exc).lower()


def describe(call: Any, **kwargs: str) -> dict[str, Any] | None:
    """A SageMaker Describe* call's answer, or None when the resource does not exist."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if not_found(exc):
            return None
        raise aws_error(exc, " ".join(f"{_KINDS.get(k, k)} {v}" for k, v in kwargs.items())) from exc


def describe_endpoint(name: str | None = None, *, conn: Connection | None = None) -> EndpointInfo:
    """The endpoint's status and what it serves (config, model, artifact, image when readable)."""
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    desc = describe(sm.describe_endpoint, EndpointName=name)
    if desc is None:
        raise ResourceNotFound(
            _("the endpoint does not exist in {region} (account {account_id})").format(
                region=conn.region, account_id=conn.account_id
            ),
            resource=f"endpoint {name}",
            fix=_(
                "deploy it with workshop_lib.endpoint.deploy(), or check the name and region in the SageMaker console"
            ),
        )
    info: dict[str, Any] = {
        "name": name,
        "arn": desc["EndpointArn"],
        "status": desc["EndpointStatus"],
        "config_name": desc["EndpointConfigName"],
        "failure_reason": desc.get("FailureReason"),
    }
    try:  # best effort: the config or model may be gone (AWS keeps serving) or not readable by this identity
        config = describe(sm.describe_endpoint_config, EndpointConfigName=info["config_name"]) or {}
        variant = (config.get("ProductionVariants") or [{}])[0]
        info["variant"] = variant.get("VariantName")
        info["model_name"] = variant.get("ModelName")
        if info["model_name"]:
            primary = (describe(sm.describe_model, ModelName=info["model_name"]) or {}).get("PrimaryContainer", {})
            info["model_data_url"] = primary.get("ModelDataUrl")
            info["image"] = primary.get("Image")
    except WorkshopError:
        pass
    return EndpointInfo(**info)


def failed(info: EndpointInfo) -> DeploymentError:
    """The error of an endpoint that ended Failed (CreateEndpoint could not deploy its model)."""
    return DeploymentError(
        f"the endpoint did not reach InService: status {info.status}"
        + (f", reason: {info.failure_reason}" if info.failure_reason else ""),
        resource=f"endpoint {info.name}",
        fix=_(
            "read the log group {group}; check the artifact with wl.check_artifact(path); "
            "then delete_endpoint() and deploy() again"
        ).format(group=log_group(info.name)),
    )


def wait_for_endpoint(
    name: str | None = None, *, config_name: str | None = None, conn: Connection | None = None
) -> EndpointInfo:
    """Poll DescribeEndpoint until the endpoint is InService (Creating / Updating take minutes on AWS), serving
    ``config_name`` if given.

    A Failed endpoint ends the wait at once with a DeploymentError naming its FailureReason. So does an update that
    failed: the endpoint is InService again but still serves its old config, and DescribeEndpoint's FailureReason
    says why the new one did not deploy.
    """
    conn = conn or current()
    name = name or conn.names.endpoint

    def observe() -> EndpointInfo | waiting.NotYet:
        info = describe_endpoint(name, conn=conn)
        if info.in_service:
            return info
        if info.status not in BUSY:
            raise failed(info)
        return waiting.NotYet(info.status)

    info = waiting.poll(
        observe,
        what=f"endpoint {name} to be InService",
        timeout=ENDPOINT_WAIT_S,
        fix=_("look at the endpoint in the SageMaker console; an instance type without capacity can take long"),
        rule=waiting.ENDPOINT_CREATE,
        backoff=ENDPOINT_BACKOFF,
    )
    if config_name is not None and info.config_name != config_name:
        raise DeploymentError(
            _(
                "the update to endpoint config {config_name} failed and the endpoint still serves {serving}: {reason}"
            ).format(
                config_name=config_name, serving=info.config_name, reason=info.failure_reason or "no reason given"
            ),
            resource=f"endpoint {name}",
            fix=_(
                "read the log group {group}; check the artifact with wl.check_artifact(path), then deploy() again"
            ).format(group=log_group(name)),
        )
    return info


def wait_endpoint_gone(name: str, conn: Connection) -> None:
    """Poll DescribeEndpoint until a deleted endpoint is gone (it is Deleting, and still listed, for a while)."""
    sm = conn.client("sagemaker")

    def observe() -> bool | waiting.NotYet:
        desc = describe(sm.describe_endpoint, EndpointName=name)
        return True if desc is None else waiting.NotYet(desc["EndpointStatus"])

    waiting.poll(
        observe,
        what=f"endpoint {name} to be deleted",
        timeout=ENDPOINT_WAIT_S,
        fix=_("look at the endpoint in the SageMaker console; run the clean-up again"),
        rule=waiting.ENDPOINT_DELETE,
        backoff=ENDPOINT_BACKOFF,
    )


def delete_endpoint_log_group(name: str, conn: Connection) -> bool:
    """Delete the endpoint's log group /aws/sagemaker/Endpoints/{name}; False when there was none."""
    group = log_group(name)
    try:
        conn.client("logs").delete_log_group(logGroupName=group)
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return False
        raise aws_error(exc, f"log group {group}") from exc
    return True
