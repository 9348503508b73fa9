"""The sentiment model on a SageMaker real-time endpoint (workshop section 6), on either target.

Every function makes the same boto3 calls on the local cloud and on a real account; only the
Connection differs. The steps, each idempotent (run it again and nothing changes):

    ensure_bucket -> upload_artifact -> ensure_sagemaker_role -> create_model
    -> create_endpoint_config -> create_endpoint (or update_endpoint) -> wait_for_endpoint

``deploy()`` runs them all and updates a running endpoint to a new model. ``use_existing_endpoint()``
adopts an endpoint the learner already has (section 6 done in the console). ``delete_endpoint()``
removes the endpoint and the kit's configs and models, never anything the kit did not tag.

Names: an artifact is stored at ``models/{model}/{sha256[:16]}/model.tar.gz``; its SageMaker model
and endpoint config carry a short hash suffix, so a new artifact gives a new model and config (both
immutable on AWS) and the same artifact gives the same names.

The model runs in AWS's scikit-learn inference image for the connection's region
(``sklearn_image_uri``); the framework version is pinned to ``FRAMEWORK_VERSION``. On the local
cloud the image is recorded but not pulled: the local runtime runs the artifact's script in-process
(see workshop_lib/local/sagemaker/ for what it does not emulate: the container, instance
types, autoscaling, the Creating/Updating states).
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError, WaiterError

from .connect import Connection, current
from .errors import DeploymentError, InvalidInput, ResourceConflict, ResourceNotFound, WorkshopError
from .model.artifact import ARTIFACT_NAME, CODE_DIR, CONTAINER_ENVIRONMENT, ENTRY_POINT, sha256_of

# --- The serving image ------------------------------------------------------------------------
# scikit-learn 1.2.1 on Python 3.9: the newest version the SageMaker Python SDK's image table lists
# for every region below. The artifact holds no pickle, so the version only has to run the script.
FRAMEWORK_VERSION = "1.2-1"
IMAGE_REPOSITORY = "sagemaker-scikit-learn"
# Account of AWS's registry for the scikit-learn images, per region
# (sagemaker-python-sdk, src/sagemaker/image_uri_config/sklearn.json; same for 0.23-1 .. 1.2-1).
SKLEARN_REGISTRIES: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}

DEFAULT_INSTANCE_TYPE = "ml.t2.medium"  # the smallest real-time instance the scikit-learn image runs on
VARIANT_NAME = "AllTraffic"
ROLE_POLICY_NAME = "SageMakerModelAccess"
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


def _conn(conn: Connection | None) -> Connection:
    return conn if conn is not None else current()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def _not_found(exc: ClientError) -> bool:
    return _code(exc) in ("ValidationException", "ResourceNotFound") and "could not find" in _message(exc).lower()


def _failed(action: str, resource: str, exc: ClientError, fix: str | None = None) -> WorkshopError:
    code = _code(exc)
    if "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthorizationError"):
        fix = fix or f"your identity needs permission for {action}; ask the account's administrator"
    return DeploymentError(f"{action} failed: {code}: {_message(exc)}", resource=resource, fix=fix)


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _suffix(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


# --- Image --------------------------------------------------------------------------------------
def sklearn_image_uri(region: str, framework_version: str = FRAMEWORK_VERSION) -> str:
    """AWS's scikit-learn inference image for a region.

    For us-east-1: ``683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3``.
    """
    account = SKLEARN_REGISTRIES.get(region)
    if account is None:
        raise InvalidInput(
            f"no SageMaker scikit-learn image is known for region {region!r}",
            resource="region",
            fix=f"use one of {', '.join(sorted(SKLEARN_REGISTRIES))}",
        )
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{IMAGE_REPOSITORY}:{framework_version}-cpu-py3"


# --- S3 -------------------------------------------------------------------------------------------
def ensure_bucket(conn: Connection | None = None) -> str:
    """Create the kit's artifact bucket (private, tagged) unless it exists; return its name."""
    conn = _conn(conn)
    s3, bucket = conn.client("s3"), conn.bucket
    try:
        s3.head_bucket(Bucket=bucket)
        exists = True
    except ClientError as exc:
        if _code(exc) in ("403", "AccessDenied", "Forbidden"):
            raise ResourceConflict(
                "the bucket exists but this identity may not use it "
                "(another account owns the name, or a policy denies it)",
                resource=f"bucket {bucket}",
                fix="set a participant prefix (WORKSHOP_PREFIX) so the kit uses another bucket name",
            ) from exc
        if _code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise _failed("s3:HeadBucket", f"bucket {bucket}", exc) from exc
        exists = False
    if not exists:
        where = {} if conn.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": conn.region}}
        try:
            s3.create_bucket(Bucket=bucket, **where)
        except ClientError as exc:
            if _code(exc) == "BucketAlreadyExists":
                raise ResourceConflict(
                    "another AWS account already owns this bucket name",
                    resource=f"bucket {bucket}",
                    fix="set a participant prefix (WORKSHOP_PREFIX) so the kit uses another bucket name",
                ) from exc
            if _code(exc) != "BucketAlreadyOwnedByYou":
                raise _failed("s3:CreateBucket", f"bucket {bucket}", exc) from exc
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    try:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    except ClientError as exc:
        if _code(exc) != "NoSuchTagSet":
            raise _failed("s3:GetBucketTagging", f"bucket {bucket}", exc) from exc
        tags = {}
    if any(tags.get(k) != v for k, v in conn.tags.items()):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tag_list(tags | conn.tags)})
    return bucket


def _check_artifact(path: Path) -> None:
    script = f"{CODE_DIR}/{ENTRY_POINT}"
    try:
        with tarfile.open(path, "r:gz") as tar:
            names = set(tar.getnames())
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInput(
            f"not a readable tar.gz: {exc}", resource=str(path), fix="build it with workshop_lib.model.build_artifact()"
        ) from exc
    if script not in names:
        raise InvalidInput(
            f"the artifact has no {script}, which the scikit-learn container runs (it holds {sorted(names)})",
            resource=str(path),
            fix="build it with workshop_lib.model.build_artifact()",
        )


def upload_artifact(artifact: Path | str, conn: Connection | None = None) -> str:
    """Upload model.tar.gz to the kit's bucket (once per content); return its s3:// URL."""
    conn = _conn(conn)
    path = Path(artifact)
    if not path.is_file():
        raise InvalidInput(
            "the model artifact does not exist", resource=str(path), fix="run `python -m workshop_lib.model`"
        )
    _check_artifact(path)
    digest = sha256_of(path)
    bucket = ensure_bucket(conn)
    key = f"models/{conn.names.model}/{digest[:16]}/{ARTIFACT_NAME}"
    s3 = conn.client("s3")
    try:
        if s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256") == digest:
            return f"s3://{bucket}/{key}"
    except ClientError as exc:
        if _code(exc) not in ("404", "NoSuchKey", "NotFound"):
            raise _failed("s3:HeadObject", f"s3://{bucket}/{key}", exc) from exc
    try:
        s3.put_object(
            Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType="application/gzip", Metadata={"sha256": digest}
        )
    except ClientError as exc:
        raise _failed("s3:PutObject", f"s3://{bucket}/{key}", exc) from exc
    return f"s3://{bucket}/{key}"


# --- IAM ------------------------------------------------------------------------------------------
def sagemaker_role_documents(conn: Connection | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SageMaker execution role's trust policy and its inline permissions (least privilege).

    SageMaker assumes the role to read the artifact from the kit's bucket (``s3:GetObject`` under
    ``models/``), pull the scikit-learn image (ECR; ``GetAuthorizationToken`` has no resource-level
    permissions, hence its ``*``) and write the container's logs to ``/aws/sagemaker/Endpoints/*``.
    """
    conn = _conn(conn)
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


def _trusts_sagemaker(document: Any) -> bool:
    if isinstance(document, str):  # IAM returns it URL-encoded; boto3 usually decodes it already
        document = json.loads(unquote(document))
    statements = document.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        services = st.get("Principal", {}).get("Service", []) if isinstance(st.get("Principal"), dict) else []
        services = [services] if isinstance(services, str) else services
        if st.get("Effect") == "Allow" and "sagemaker.amazonaws.com" in services:
            return True
    return False


def ensure_sagemaker_role(conn: Connection | None = None) -> str:
    """Create (or reuse) the role SageMaker runs the model with; (re)write its inline policy; return its ARN."""
    conn = _conn(conn)
    iam, name = conn.client("iam"), conn.names.sagemaker_role
    trust, permissions = sagemaker_role_documents(conn)
    try:
        role = iam.get_role(RoleName=name)["Role"]
        if not _trusts_sagemaker(role["AssumeRolePolicyDocument"]):
            raise ResourceConflict(
                "the role exists but does not trust sagemaker.amazonaws.com",
                resource=f"role {name}",
                fix="delete that role, or connect with another participant prefix",
            )
    except ClientError as exc:
        if _code(exc) != "NoSuchEntity":
            raise _failed("iam:GetRole", f"role {name}", exc) from exc
        try:
            role = iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust),
                Description="SageMaker execution role of the workshop's sentiment endpoint",
                Tags=_tag_list(conn.tags),
            )["Role"]
            iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        except ClientError as exc2:
            raise _failed("iam:CreateRole", f"role {name}", exc2) from exc2
        except WaiterError as exc2:
            raise DeploymentError(
                "the role was created but is not visible yet", resource=f"role {name}", fix="run the step again"
            ) from exc2
    try:
        iam.put_role_policy(RoleName=name, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(permissions))
    except ClientError as exc:
        raise _failed("iam:PutRolePolicy", f"role {name}", exc) from exc
    return str(role["Arn"])


# --- SageMaker: model, endpoint config, endpoint -------------------------------------------------
def _describe(call: Any, **kwargs: Any) -> dict[str, Any] | None:
    try:
        return call(**kwargs)
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise


def create_model(
    model_data_url: str, *, role_arn: str | None = None, name: str | None = None, conn: Connection | None = None
) -> str:
    """Create the SageMaker model for an uploaded artifact (the scikit-learn image); return its name."""
    conn = _conn(conn)
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
                ModelName=name, ExecutionRoleArn=role_arn, PrimaryContainer=container, Tags=_tag_list(conn.tags)
            )
            return name
        except ClientError as exc:
            if "assume" in _message(exc).lower() and time.monotonic() < deadline:
                time.sleep(5)  # a role created seconds ago is not yet visible to SageMaker
                continue
            raise _failed("sagemaker:CreateModel", f"model {name}", exc) from exc


def create_endpoint_config(
    model_name: str,
    *,
    name: str | None = None,
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    conn: Connection | None = None,
) -> str:
    """Create an endpoint config serving ``model_name`` on one instance; return its name."""
    conn = _conn(conn)
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
            Tags=_tag_list(conn.tags),
        )
    except ClientError as exc:
        raise _failed("sagemaker:CreateEndpointConfig", f"endpoint config {name}", exc) from exc
    return name


def describe_endpoint(name: str | None = None, *, conn: Connection | None = None) -> EndpointInfo:
    """The endpoint's status and what it serves (config, model, artifact, image when readable)."""
    conn = _conn(conn)
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
    except ClientError:
        pass
    return EndpointInfo(**info)


def wait_for_endpoint(name: str | None = None, *, conn: Connection | None = None) -> EndpointInfo:
    """Wait (boto3's endpoint_in_service waiter) until the endpoint is InService."""
    conn = _conn(conn)
    name = name or conn.names.endpoint
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
            fix=f"read the log group /aws/sagemaker/Endpoints/{name}; then delete_endpoint() and deploy() again",
        ) from exc
    return describe_endpoint(name, conn=conn)


def create_endpoint(
    config_name: str, *, name: str | None = None, wait: bool = True, conn: Connection | None = None
) -> EndpointInfo:
    """Create the endpoint from a config (nothing to do if it already serves that config)."""
    conn = _conn(conn)
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    existing = _describe(sm.describe_endpoint, EndpointName=name)
    if existing is None:
        try:
            sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=_tag_list(conn.tags))
        except ClientError as exc:
            raise _failed("sagemaker:CreateEndpoint", f"endpoint {name}", exc) from exc
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
    conn = _conn(conn)
    sm = conn.client("sagemaker")
    name = name or conn.names.endpoint
    info = describe_endpoint(name, conn=conn)
    if info.status in _BUSY:
        info = wait_for_endpoint(name, conn=conn)
    if info.config_name == config_name and info.in_service:
        return info
    try:
        sm.update_endpoint(EndpointName=name, EndpointConfigName=config_name)
    except ClientError as exc:
        raise _failed("sagemaker:UpdateEndpoint", f"endpoint {name}", exc) from exc
    return wait_for_endpoint(name, conn=conn) if wait else describe_endpoint(name, conn=conn)


def use_existing_endpoint(name: str, *, conn: Connection | None = None) -> EndpointInfo:
    """Adopt an endpoint the learner already runs (e.g. from section 6); it must be InService."""
    conn = _conn(conn)
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
    conn = _conn(conn)
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
    conn = _conn(conn)
    name = name or conn.names.endpoint
    try:
        resp = conn.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=name, ContentType="application/json", Accept="application/json", Body=json.dumps(payload)
        )
    except ClientError as exc:
        if _code(exc) == "ValidationError" and "not found" in _message(exc):
            raise ResourceNotFound(
                _message(exc),
                resource=f"endpoint {name}",
                fix="deploy() it, or use_existing_endpoint(name) with the right name",
            ) from exc
        if _code(exc) == "ModelError":
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
        raise _failed("sagemaker:InvokeEndpoint", f"endpoint {name}", exc) from exc
    return json.loads(resp["Body"].read())


# --- Delete ---------------------------------------------------------------------------------------
def _kit_tagged(sm: Any, arn: str, tags: dict[str, str]) -> bool:
    found = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn).get("Tags", [])}
    return all(found.get(k) == v for k, v in tags.items())


def delete_endpoint(name: str | None = None, *, force: bool = False, conn: Connection | None = None) -> list[str]:
    """Delete the endpoint, then the kit's endpoint configs and models; return what was deleted.

    Only resources carrying the kit's tags are deleted: an endpoint adopted with
    use_existing_endpoint() is refused unless ``force=True``. Configs and models are those named
    ``{endpoint_config}-*`` / ``{model}-*`` for this participant prefix.
    """
    conn = _conn(conn)
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
            raise _failed("sagemaker:DeleteEndpoint", f"endpoint {name}", exc) from exc
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
                        raise _failed(f"sagemaker:{deleter}", f"{kind} {item_name}", exc) from exc
                    continue
                deleted.append(f"{kind} {item_name}")
    return deleted
