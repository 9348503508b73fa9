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
types, autoscaling). The endpoint's status and the waits for it are in endpoint_status.py. Check a learner's own
artifact before deploying it with ``workshop_lib.check_artifact(path)`` (docs/bring-your-own-model.md).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from . import waiting
from .artifact_bucket import ensure_bucket, upload_artifact
from .config import DEFAULT_INSTANCE_TYPE, tag_dict, tag_list
from .connect import Connection, current
from .endpoint_invoke import invoke
from .endpoint_quota import check_endpoint_quota, instance_type, quota_fix
from .endpoint_status import (
    BUSY,
    EndpointInfo,
    delete_endpoint_log_group,
    describe,
    describe_endpoint,
    not_found,
    wait_endpoint_gone,
    wait_for_endpoint,
)
from .errors import (
    DeploymentError,
    InvalidInput,
    ResourceConflict,
    aws_code,
    aws_error,
    aws_message,
)
from .i18n import _
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
    "delete_endpoint_log_group",
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
    "wait_endpoint_gone",
    "wait_for_endpoint",
]

VARIANT_NAME = "AllTraffic"
ROLE_PROPAGATION_S = 90  # a new IAM role takes a few seconds before SageMaker can assume it


def _suffix(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


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
            _("{model_data_url!r} is not an s3:// URL").format(model_data_url=model_data_url),
            resource=f"model {name}",
            fix=_("use upload_artifact()"),
        )
    existing = describe(sm.describe_model, ModelName=name)
    if existing is not None:
        primary = existing.get("PrimaryContainer", {})
        if primary.get("ModelDataUrl") != model_data_url or primary.get("Image") != image:
            raise ResourceConflict(
                _("the model exists with another artifact or image ({value}, {value2})").format(
                    value=primary.get("ModelDataUrl"), value2=primary.get("Image")
                ),
                resource=f"model {name}",
                fix=_("delete it (delete_endpoint() removes the kit's models) or pass another name"),
            )
        return name
    role_arn = role_arn or ensure_sagemaker_role(conn)
    container = {
        "Image": image,
        "ModelDataUrl": model_data_url,
        "Environment": {**CONTAINER_ENVIRONMENT, "SAGEMAKER_REGION": conn.region},
    }
    try:
        waiting.call_with_retry(
            lambda: sm.create_model(
                ModelName=name, ExecutionRoleArn=role_arn, PrimaryContainer=container, Tags=tag_list(conn.tags)
            ),
            what=f"role {role_arn.rsplit('/', 1)[-1]} to be usable by SageMaker (a new role takes seconds)",
            timeout=ROLE_PROPAGATION_S,
            fix=_("check that the role exists and trusts sagemaker.amazonaws.com (ensure_sagemaker_role())"),
            rule=waiting.IAM_NEW_ROLE,
            # SageMaker's "Could not assume role ..." while a role created seconds ago propagates.
            retry_if=waiting.refused_with("assume", "the role cannot be assumed by SageMaker yet"),
        )
    except ClientError as exc:
        raise aws_error(exc, f"model {name}") from exc
    return name


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
    instance_type = _instance_type(instance_type)
    name = name or f"{conn.names.endpoint_config}-{_suffix(model_name, instance_type)}"
    existing = describe(sm.describe_endpoint_config, EndpointConfigName=name)
    if existing is not None:
        variants = existing.get("ProductionVariants", [])
        if (
            len(variants) != 1
            or variants[0].get("ModelName") != model_name
            or variants[0].get("InstanceType") != instance_type
        ):
            raise ResourceConflict(
                _("the endpoint config exists with other variants: {variants}").format(variants=variants),
                resource=f"endpoint config {name}",
                fix=_("delete it (delete_endpoint() removes the kit's configs) or pass another name"),
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


def create_endpoint(
    config_name: str, *, name: str | None = None, wait: bool = True, conn: Connection | None = None
) -> EndpointInfo:
    """Create the endpoint from a config (nothing to do if it already serves that config)."""
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    existing = describe(sm.describe_endpoint, EndpointName=name)
    if existing is None:
        try:
            sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=tag_list(conn.tags))
        except ClientError as exc:
            if aws_code(exc) == "ResourceLimitExceeded":
                raise _limit_exceeded(exc, conn, name, config_name) from exc
            raise aws_error(exc, f"endpoint {name}") from exc
    elif existing["EndpointConfigName"] != config_name:
        raise ResourceConflict(
            _("the endpoint exists and serves endpoint config {endpoint_config_name}, not {config_name}").format(
                endpoint_config_name=existing["EndpointConfigName"], config_name=config_name
            ),
            resource=f"endpoint {name}",
            fix=_("call update_endpoint({config_name!r}) (or deploy()) to switch it").format(config_name=config_name),
        )
    elif existing["EndpointStatus"] == "Failed":
        raise DeploymentError(
            _("the endpoint exists in status Failed: {value}").format(
                value=existing.get("FailureReason", "no reason given")
            ),
            resource=f"endpoint {name}",
            fix=_("delete_endpoint(), fix the cause, then deploy() again"),
        )
    return wait_for_endpoint(name, conn=conn) if wait else describe_endpoint(name, conn=conn)


def _limit_exceeded(exc: ClientError, conn: Connection, name: str, config_name: str) -> DeploymentError:
    config = describe(conn.client("sagemaker").describe_endpoint_config, EndpointConfigName=config_name) or {}
    instance = (config.get("ProductionVariants") or [{}])[0].get("InstanceType", DEFAULT_INSTANCE_TYPE)
    return DeploymentError(
        _("CreateEndpoint failed: ResourceLimitExceeded: {value}").format(value=aws_message(exc)),
        resource=f"endpoint {name}",
        fix=quota_fix(instance, conn.region),
        aws_code="ResourceLimitExceeded",
    )


def update_endpoint(
    config_name: str, *, name: str | None = None, wait: bool = True, conn: Connection | None = None
) -> EndpointInfo:
    """Switch a running endpoint to another endpoint config (a new model); it keeps serving meanwhile."""
    conn = conn or current()
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    info = describe_endpoint(name, conn=conn)
    if info.status in BUSY:
        info = wait_for_endpoint(name, conn=conn)
    if info.status == "Failed":
        raise DeploymentError(
            _("the endpoint is Failed ({reason}) and cannot be updated").format(
                reason=info.failure_reason or "no reason given"
            ),
            resource=f"endpoint {name}",
            fix=_("delete_endpoint(), check the artifact with wl.check_artifact(path), then deploy() again"),
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
            _("an endpoint name is needed"), resource="endpoint", fix=_("pass the name shown in the SageMaker console")
        )
    info = describe_endpoint(name, conn=conn)
    if not info.in_service:
        raise DeploymentError(
            f"the endpoint is {info.status}, not InService"
            + (f" ({info.failure_reason})" if info.failure_reason else ""),
            resource=f"endpoint {name}",
            fix=_("wait for it (wait_for_endpoint) or repair it in the SageMaker console, then try again"),
        )
    return info


_instance_type = instance_type  # the parameter of the same name hides the function in deploy()


def _default_artifact() -> Path:
    from .model import build_artifact, train

    return build_artifact(train(), Path(tempfile.mkdtemp(prefix="workshop-model-")) / ARTIFACT_NAME)


def deploy(
    artifact: Path | str | None = None,
    *,
    name: str | None = None,
    instance_type: str | None = None,
    wait: bool = True,
    conn: Connection | None = None,
) -> EndpointInfo:
    """Serve an artifact on the endpoint: create it, or update it when it serves another model.

    ``artifact`` defaults to a freshly trained model (a few seconds). ``instance_type`` defaults to
    $WORKSHOP_INSTANCE_TYPE, else ml.t2.medium; before anything is created, the account's endpoint
    quota for it is checked (Service Quotas, when this identity may read it). Running deploy() again
    with the same artifact changes nothing.
    """
    conn = conn or current()
    name = name or conn.names.endpoint
    instance_type = _instance_type(instance_type)
    check_endpoint_quota(instance_type, conn)
    path = Path(artifact) if artifact is not None else _default_artifact()
    url = upload_artifact(path, conn)
    role_arn = ensure_sagemaker_role(conn)
    model_name = create_model(url, role_arn=role_arn, conn=conn)
    config_name = create_endpoint_config(model_name, instance_type=instance_type, conn=conn)
    existing = describe(conn.client("sagemaker").describe_endpoint, EndpointName=name)
    if existing is None or existing["EndpointConfigName"] == config_name:
        return create_endpoint(config_name, name=name, wait=wait, conn=conn)
    return update_endpoint(config_name, name=name, wait=wait, conn=conn)


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
    deleted: list[str] = []  # the endpoint is waited for until gone, and its log group deleted with it
    existing = describe(sm.describe_endpoint, EndpointName=name)
    if existing is not None:
        if not force and not _kit_tagged(sm, existing["EndpointArn"], conn.tags):
            raise ResourceConflict(
                _("the endpoint was not created by the kit (it lacks the kit's tags)"),
                resource=f"endpoint {name}",
                fix=_("delete it in the SageMaker console, or call delete_endpoint(name, force=True)"),
            )
        try:
            sm.delete_endpoint(EndpointName=name)
        except ClientError as exc:
            if not not_found(exc):
                raise aws_error(exc, f"endpoint {name}") from exc
        wait_endpoint_gone(name, conn)
        deleted.append(f"endpoint {name}")
        if delete_endpoint_log_group(name, conn):
            deleted.append(f"log group /aws/sagemaker/Endpoints/{name}")
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
                    if not not_found(exc):
                        raise aws_error(exc, f"{kind} {item_name}") from exc
                    continue
                deleted.append(f"{kind} {item_name}")
    return deleted
