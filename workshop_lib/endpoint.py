"""The sentiment model on a SageMaker real-time endpoint (workshop section 6), on either target.

Every function makes the same boto3 calls on the local cloud and on a real account; only the
Connection differs. The steps, each idempotent (run it again and nothing changes):

    ensure_bucket -> upload_artifact -> ensure_sagemaker_role -> create_model
    -> create_endpoint_config -> create_endpoint (or update_endpoint) -> wait_for_endpoint

``deploy()`` runs them all and updates a running endpoint to a new model. ``use_existing_endpoint()``
adopts an endpoint the learner already has (section 6 done in the console). ``delete_endpoint()``
removes the endpoint and the kit's configs and models, never anything the kit did not tag.

The bucket and the upload are in artifact_bucket.py, the execution role in sagemaker_role.py, the
serving image in sagemaker_image.py; this module offers them too, so that ``endpoint.upload_artifact``
and the others work as before.

Names: an artifact is stored at ``models/{model}/{sha256[:16]}/model.tar.gz``; its SageMaker model
and endpoint config carry a short hash suffix, so a new artifact gives a new model and config (both
immutable on AWS) and the same artifact gives the same names.

The model runs in AWS's scikit-learn inference image for the connection's region
(``sklearn_image_uri``); the framework version is pinned to ``FRAMEWORK_VERSION``. On the local
cloud the image is recorded but not pulled: the local runtime runs the artifact's script in-process
(see workshop_lib/local/sagemaker/ for what it does not emulate: the container, instance
types, autoscaling, the Creating/Updating states). Check a learner's own artifact before deploying it with
``workshop_lib.check_artifact(path)`` (docs/bring-your-own-model.md).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from .artifact_bucket import ensure_bucket, upload_artifact
from .config import tag_dict, tag_list
from .connect import Connection, current
from .errors import (
    DeploymentError,
    InvalidInput,
    ResourceConflict,
    ResourceNotFound,
    WorkshopError,
    aws_code,
    aws_error,
    aws_message,
)
from .model.artifact import ARTIFACT_NAME, CONTAINER_ENVIRONMENT
from .sagemaker_image import FRAMEWORK_VERSION, SKLEARN_REGISTRIES, sklearn_image_uri
from .sagemaker_role import ROLE_POLICY_NAME, ensure_sagemaker_role, sagemaker_role_documents

__all__ = [
    "DEFAULT_INSTANCE_TYPE",
    "FRAMEWORK_VERSION",
    "ROLE_POLICY_NAME",
    "SKLEARN_REGISTRIES",
    "VARIANT_NAME",
    "EndpointInfo",
    "create_endpoint",
    "create_endpoint_config",
    "create_model",
    "delete_endpoint",
    "deploy",
    "describe_endpoint",
    "ensure_bucket",
    "ensure_sagemaker_role",
    "invoke",
    "sagemaker_role_documents",
    "sklearn_image_uri",
    "update_endpoint",
    "upload_artifact",
    "use_existing_endpoint",
    "wait_for_endpoint",
]

DEFAULT_INSTANCE_TYPE = "ml.t2.medium"  # the smallest real-time instance the scikit-learn image runs on
VARIANT_NAME = "AllTraffic"
WAIT_DELAY_S = 15  # between DescribeEndpoint polls (AWS takes minutes; the local cloud is InService at once)
WAIT_MAX_ATTEMPTS = 120  # 30 minutes
ROLE_PROPAGATION_S = 90  # a new IAM role takes a few seconds before SageMaker can assume it
_BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed")


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


def _not_found(exc: ClientError) -> bool:
    """SageMaker's "not found": a ValidationException whose message says it could not find the resource."""
    return aws_code(exc) in ("ValidationException", "ResourceNotFound") and "could not find" in aws_message(exc).lower()


def _suffix(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


_KINDS = {"ModelName": "model", "EndpointConfigName": "endpoint config", "EndpointName": "endpoint"}


def _describe(call: Any, **kwargs: str) -> dict[str, Any] | None:
    """A SageMaker Describe* call's answer, or None when the resource does not exist."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise aws_error(exc, " ".join(f"{_KINDS.get(k, k)} {v}" for k, v in kwargs.items())) from exc


def create_model(
    model_data_url: str, *, role_arn: str | None = None, name: str | None = None, conn: Connection | None = None
) -> str:
    """Create the SageMaker model for an uploaded artifact (the scikit-learn image); return its name."""
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or f"{conn.names.model}-{_suffix(model_data_url)}"
    image = sklearn_image_uri(conn.region)
    if not model_data_url.startswith("s3://"):
        raise InvalidInput(
            f"{model_data_url!r} is not an s3:// URL", resource=f"model {name}", fix="use upload_artifact()"
        )
    existing = _describe(sm.describe_model, ModelName=name)
    if existing is not None:
        primary = existing.get("PrimaryContainer", {})
        if primary.get("ModelDataUrl") != model_data_url or primary.get("Image") != image:
            raise ResourceConflict(
                "the model exists with another artifact or image "
                f"({primary.get('ModelDataUrl')}, {primary.get('Image')})",
                resource=f"model {name}",
                fix="delete it (delete_endpoint() removes the kit's models) or pass another name",
            )
        return name
    role_arn = role_arn or ensure_sagemaker_role(conn)
    container = {
        "Image": image,
        "ModelDataUrl": model_data_url,
        "Environment": {**CONTAINER_ENVIRONMENT, "SAGEMAKER_REGION": conn.region},
    }
    deadline = time.monotonic() + ROLE_PROPAGATION_S
    while True:
        try:
            sm.create_model(
                ModelName=name, ExecutionRoleArn=role_arn, PrimaryContainer=container, Tags=tag_list(conn.tags)
            )
            return name
        except ClientError as exc:
            if "assume" in aws_message(exc).lower() and time.monotonic() < deadline:
                time.sleep(5)  # a role created seconds ago is not yet visible to SageMaker
                continue
            raise aws_error(exc, f"model {name}") from exc


def create_endpoint_config(
    model_name: str,
    *,
    name: str | None = None,
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    conn: Connection | None = None,
) -> str:
    """Create an endpoint config serving ``model_name`` on one instance; return its name."""
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or f"{conn.names.endpoint_config}-{_suffix(model_name, instance_type)}"
    existing = _describe(sm.describe_endpoint_config, EndpointConfigName=name)
    if existing is not None:
        variants = existing.get("ProductionVariants", [])
        if (
            len(variants) != 1
            or variants[0].get("ModelName") != model_name
            or variants[0].get("InstanceType") != instance_type
        ):
            raise ResourceConflict(
                f"the endpoint config exists with other variants: {variants}",
                resource=f"endpoint config {name}",
                fix="delete it (delete_endpoint() removes the kit's configs) or pass another name",
            )
        return name
    try:
        sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": VARIANT_NAME,
                    "ModelName": model_name,
                    "InitialInstanceCount": 1,
                    "InstanceType": instance_type,
                    "InitialVariantWeight": 1.0,
                }
            ],
            Tags=tag_list(conn.tags),
        )
    except ClientError as exc:
        raise aws_error(exc, f"endpoint config {name}") from exc
    return name


def describe_endpoint(name: str | None = None, *, conn: Connection | None = None) -> EndpointInfo:
    """The endpoint's status and what it serves (config, model, artifact, image when readable)."""
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    desc = _describe(sm.describe_endpoint, EndpointName=name)
    if desc is None:
        raise ResourceNotFound(
            f"the endpoint does not exist in {conn.region} (account {conn.account_id})",
            resource=f"endpoint {name}",
            fix="deploy it with workshop_lib.endpoint.deploy(), or check the name and region in the SageMaker console",
        )
    info: dict[str, Any] = {
        "name": name,
        "arn": desc["EndpointArn"],
        "status": desc["EndpointStatus"],
        "config_name": desc["EndpointConfigName"],
        "failure_reason": desc.get("FailureReason"),
    }
    try:  # best effort: the config or model may be gone (AWS keeps serving) or not readable by this identity
        config = _describe(sm.describe_endpoint_config, EndpointConfigName=info["config_name"]) or {}
        variant = (config.get("ProductionVariants") or [{}])[0]
        info["variant"] = variant.get("VariantName")
        info["model_name"] = variant.get("ModelName")
        if info["model_name"]:
            primary = (_describe(sm.describe_model, ModelName=info["model_name"]) or {}).get("PrimaryContainer", {})
            info["model_data_url"] = primary.get("ModelDataUrl")
            info["image"] = primary.get("Image")
    except WorkshopError:
        pass
    return EndpointInfo(**info)


def wait_for_endpoint(
    name: str | None = None, *, config_name: str | None = None, conn: Connection | None = None
) -> EndpointInfo:
    """Wait (boto3's endpoint_in_service waiter) until the endpoint is InService, serving ``config_name`` if given.

    A Failed endpoint ends the wait at once with a DeploymentError naming its FailureReason. So does an update that
    failed: the endpoint is InService again but still serves its old config, and DescribeEndpoint's FailureReason
    says why the new one did not deploy.
    """
    conn = conn or current()
    name = name or conn.names.endpoint
    logs = f"/aws/sagemaker/Endpoints/{name}"
    try:
        conn.client("sagemaker").get_waiter("endpoint_in_service").wait(
            EndpointName=name, WaiterConfig={"Delay": WAIT_DELAY_S, "MaxAttempts": WAIT_MAX_ATTEMPTS}
        )
    except WaiterError as exc:
        info = describe_endpoint(name, conn=conn)
        raise DeploymentError(
            f"the endpoint did not reach InService: status {info.status}"
            + (f", reason: {info.failure_reason}" if info.failure_reason else f" ({exc})"),
            resource=f"endpoint {name}",
            fix=f"read the log group {logs}; check the artifact with wl.check_artifact(path); "
            "then delete_endpoint() and deploy() again",
        ) from exc
    info = describe_endpoint(name, conn=conn)
    if config_name is not None and info.config_name != config_name:
        raise DeploymentError(
            f"the update to endpoint config {config_name} failed and the endpoint still serves "
            f"{info.config_name}: {info.failure_reason or 'no reason given'}",
            resource=f"endpoint {name}",
            fix=f"read the log group {logs}; check the artifact with wl.check_artifact(path), then deploy() again",
        )
    return info


def create_endpoint(
    config_name: str, *, name: str | None = None, wait: bool = True, conn: Connection | None = None
) -> EndpointInfo:
    """Create the endpoint from a config (nothing to do if it already serves that config)."""
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    existing = _describe(sm.describe_endpoint, EndpointName=name)
    if existing is None:
        try:
            sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=tag_list(conn.tags))
        except ClientError as exc:
            raise aws_error(exc, f"endpoint {name}") from exc
    elif existing["EndpointConfigName"] != config_name:
        raise ResourceConflict(
            f"the endpoint exists and serves endpoint config {existing['EndpointConfigName']}, not {config_name}",
            resource=f"endpoint {name}",
            fix=f"call update_endpoint({config_name!r}) (or deploy()) to switch it",
        )
    elif existing["EndpointStatus"] == "Failed":
        raise DeploymentError(
            f"the endpoint exists in status Failed: {existing.get('FailureReason', 'no reason given')}",
            resource=f"endpoint {name}",
            fix="delete_endpoint(), fix the cause, then deploy() again",
        )
    return wait_for_endpoint(name, conn=conn) if wait else describe_endpoint(name, conn=conn)


def update_endpoint(
    config_name: str, *, name: str | None = None, wait: bool = True, conn: Connection | None = None
) -> EndpointInfo:
    """Switch a running endpoint to another endpoint config (a new model); it keeps serving meanwhile."""
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    info = describe_endpoint(name, conn=conn)
    if info.status in _BUSY:
        info = wait_for_endpoint(name, conn=conn)
    if info.status == "Failed":
        raise DeploymentError(
            f"the endpoint is Failed ({info.failure_reason or 'no reason given'}) and cannot be updated",
            resource=f"endpoint {name}",
            fix="delete_endpoint(), check the artifact with wl.check_artifact(path), then deploy() again",
        )
    if info.config_name == config_name and info.in_service:
        return info
    try:
        sm.update_endpoint(EndpointName=name, EndpointConfigName=config_name)
    except ClientError as exc:
        raise aws_error(exc, f"endpoint {name}") from exc
    if not wait:
        return describe_endpoint(name, conn=conn)
    return wait_for_endpoint(name, config_name=config_name, conn=conn)


def use_existing_endpoint(name: str, *, conn: Connection | None = None) -> EndpointInfo:
    """Adopt an endpoint the learner already runs (e.g. from section 6); it must be InService."""
    conn = conn or current()
    if not name or not isinstance(name, str):
        raise InvalidInput(
            "an endpoint name is needed", resource="endpoint", fix="pass the name shown in the SageMaker console"
        )
    info = describe_endpoint(name, conn=conn)
    if not info.in_service:
        raise DeploymentError(
            f"the endpoint is {info.status}, not InService"
            + (f" ({info.failure_reason})" if info.failure_reason else ""),
            resource=f"endpoint {name}",
            fix="wait for it (wait_for_endpoint) or repair it in the SageMaker console, then try again",
        )
    return info


def _default_artifact() -> Path:
    from .model import build_artifact, train

    return build_artifact(train(), Path(tempfile.mkdtemp(prefix="workshop-model-")) / ARTIFACT_NAME)


def deploy(
    artifact: Path | str | None = None,
    *,
    name: str | None = None,
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    wait: bool = True,
    conn: Connection | None = None,
) -> EndpointInfo:
    """Serve an artifact on the endpoint: create it, or update it when it serves another model.

    ``artifact`` defaults to a freshly trained model (a few seconds). Running deploy() again with
    the same artifact changes nothing.
    """
    conn = conn or current()
    name = name or conn.names.endpoint
    path = Path(artifact) if artifact is not None else _default_artifact()
    url = upload_artifact(path, conn)
    role_arn = ensure_sagemaker_role(conn)
    model_name = create_model(url, role_arn=role_arn, conn=conn)
    config_name = create_endpoint_config(model_name, instance_type=instance_type, conn=conn)
    existing = _describe(conn.client("sagemaker").describe_endpoint, EndpointName=name)
    if existing is None or existing["EndpointConfigName"] == config_name:
        return create_endpoint(config_name, name=name, wait=wait, conn=conn)
    return update_endpoint(config_name, name=name, wait=wait, conn=conn)


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
                fix="deploy() it, or use_existing_endpoint(name) with the right name",
            ) from exc
        if aws_code(exc) == "ModelError":
            status = exc.response.get("OriginalStatusCode")
            original = exc.response.get("OriginalMessage", "")
            if isinstance(status, int) and status < 500:
                raise InvalidInput(
                    f"the model refused the request ({status}): {original}",
                    resource=f"endpoint {name}",
                    fix='send {"text": "..."} or a list of such objects',
                ) from exc
            raise DeploymentError(
                f"the model's code failed ({status})",
                resource=f"endpoint {name}",
                fix=f"read the log group /aws/sagemaker/Endpoints/{name} for the traceback",
            ) from exc
        raise aws_error(exc, f"endpoint {name}") from exc
    return json.loads(resp["Body"].read())


# --- Delete ---------------------------------------------------------------------------------------
def _kit_tagged(sm: Any, arn: str, tags: dict[str, str]) -> bool:
    found = tag_dict(sm.list_tags(ResourceArn=arn).get("Tags"))
    return all(found.get(k) == v for k, v in tags.items())


def delete_endpoint(name: str | None = None, *, force: bool = False, conn: Connection | None = None) -> list[str]:
    """Delete the endpoint, then the kit's endpoint configs and models; return what was deleted.

    Only resources carrying the kit's tags are deleted: an endpoint adopted with
    use_existing_endpoint() is refused unless ``force=True``. Configs and models are those named
    ``{endpoint_config}-*`` / ``{model}-*`` for this participant prefix.
    """
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    deleted: list[str] = []
    existing = _describe(sm.describe_endpoint, EndpointName=name)
    if existing is not None:
        if not force and not _kit_tagged(sm, existing["EndpointArn"], conn.tags):
            raise ResourceConflict(
                "the endpoint was not created by the kit (it lacks the kit's tags)",
                resource=f"endpoint {name}",
                fix="delete it in the SageMaker console, or call delete_endpoint(name, force=True)",
            )
        try:
            sm.delete_endpoint(EndpointName=name)
            sm.get_waiter("endpoint_deleted").wait(
                EndpointName=name, WaiterConfig={"Delay": WAIT_DELAY_S, "MaxAttempts": WAIT_MAX_ATTEMPTS}
            )
        except ClientError as exc:
            raise aws_error(exc, f"endpoint {name}") from exc
        except WaiterError as exc:
            raise DeploymentError(f"the endpoint was not deleted: {exc}", resource=f"endpoint {name}") from exc
        deleted.append(f"endpoint {name}")
    for kind, prefix, lister, key, deleter in (
        (
            "endpoint config",
            conn.names.endpoint_config,
            "list_endpoint_configs",
            "EndpointConfigs",
            "delete_endpoint_config",
        ),
        ("model", conn.names.model, "list_models", "Models", "delete_model"),
    ):
        label = "EndpointConfig" if kind == "endpoint config" else "Model"
        for page in sm.get_paginator(lister).paginate(NameContains=prefix):
            for item in page[key]:
                item_name = item[f"{label}Name"]
                if not item_name.startswith(f"{prefix}-") or not _kit_tagged(sm, item[f"{label}Arn"], conn.tags):
                    continue
                try:
                    getattr(sm, deleter)(**{f"{label}Name": item_name})
                except ClientError as exc:
                    if not _not_found(exc):
                        raise aws_error(exc, f"{kind} {item_name}") from exc
                    continue
                deleted.append(f"{kind} {item_name}")
    return deleted
