"""The REST API in front of the inference Lambda (section 7): create it, find its URL, test it, delete it.

``create_rest_api()`` builds what the workshop builds in the console: a REST API (the kit's name and
tags) with the resource ``/inference``, a ``POST`` method without authorization, a Lambda proxy
(``AWS_PROXY``) integration, the Lambda permission that lets ``apigateway.amazonaws.com`` invoke the
function for that method, and a deployment to stage ``prod``. Running it again changes nothing that is
already right, and deploys again only when something changed.

The invoke URL is ``https://{api}.execute-api.{region}.amazonaws.com/prod/inference`` on AWS and
``{local cloud URL}/restapis/{api}/prod/_user_request_/inference`` on the local cloud; the same
``curl`` command works against both.

AWS's timing: CreateRestApi, CreateDeployment and DeleteRestApi are rate-limited per account
(api_quotas.py paces and retries them); a stage just deployed, or a function whose permission was just
added, answers 5xx for a few seconds, which send_test_request() retries (api_request.py, re-exported here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .api_quotas import apigateway_call
from .api_request import SEED_PAYLOAD, STAGE_WAIT_S, TestResponse, curl_command, send_test_request
from .connect import Connection, current
from .errors import (
    ResourceConflict,
    ResourceNotFound,
    aws_code,
    aws_error,
)
from .i18n import _

__all__ = [
    "SEED_PAYLOAD",
    "STAGE_WAIT_S",
    "ApiInfo",
    "TestResponse",
    "create_rest_api",
    "curl_command",
    "delete_api_by_id",
    "delete_rest_api",
    "invoke_url",
    "send_test_request",
]

RESOURCE_PART = "inference"
RESOURCE_PATH = f"/{RESOURCE_PART}"
HTTP_METHOD = "POST"


@dataclass(frozen=True)
class ApiInfo:
    """The workshop's REST API: its id, stage and invoke URL, and whether this call changed it."""

    api_id: str
    name: str
    stage: str
    invoke_url: str
    function_arn: str
    resource_id: str
    changed: bool  # True when this call created or changed something (and deployed the stage again)


# --- Helpers -----------------------------------------------------------------------------------------


def _function_arn(conn: Connection, function: str) -> str:
    try:
        return conn.client("lambda").get_function_configuration(FunctionName=function)["FunctionArn"]
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            raise ResourceNotFound(
                _("Lambda function {function!r} does not exist, so no API can invoke it").format(function=function),
                resource=f"function {function}",
                fix=_("deploy it first with deploy_lambda(), or check the name and the participant prefix"),
            ) from exc
        raise aws_error(exc, f"function {function}") from exc


def _kit_apis(conn: Connection) -> list[dict[str, Any]]:
    """The REST APIs named as the kit names its API; refuses one the kit did not create (no kit tags)."""
    apis = []
    try:
        for page in conn.client("apigateway").get_paginator("get_rest_apis").paginate():
            apis.extend(a for a in page.get("items", []) if a.get("name") == conn.names.api)
    except ClientError as exc:
        raise aws_error(exc, f"REST API {conn.names.api}") from exc
    foreign = [a["id"] for a in apis if any((a.get("tags") or {}).get(k) != v for k, v in conn.tags.items())]
    if foreign:
        raise ResourceConflict(
            _("REST API {api!r} ({foreign}) exists but was not created by the kit (it lacks the tags {tags})").format(
                api=conn.names.api, foreign=", ".join(foreign), tags=conn.tags
            ),
            resource=f"REST API {conn.names.api}",
            fix=_(
                "connect with a participant prefix (connect(prefix='yourname')) so the kit uses other "
                "names, or delete that API yourself if it is yours"
            ),
        )
    return apis


def _the_api(conn: Connection) -> dict[str, Any] | None:
    apis = _kit_apis(conn)
    if len(apis) > 1:
        raise ResourceConflict(
            _("{apis_count} REST APIs are named {api!r}: {value}").format(
                apis_count=len(apis), api=conn.names.api, value=", ".join(a["id"] for a in apis)
            ),
            resource=f"REST API {conn.names.api}",
            fix=_("delete the extra ones (delete_rest_api() deletes them all), then run create_rest_api() again"),
        )
    return apis[0] if apis else None


def _resources(conn: Connection, api_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in conn.client("apigateway").get_paginator("get_resources").paginate(restApiId=api_id):
        items.extend(page.get("items", []))
    return items


def _method(conn: Connection, api_id: str, resource_id: str) -> dict[str, Any] | None:
    try:
        return conn.client("apigateway").get_method(restApiId=api_id, resourceId=resource_id, httpMethod=HTTP_METHOD)
    except ClientError as exc:
        if aws_code(exc) == "NotFoundException":
            return None
        raise


def _stage_exists(conn: Connection, api_id: str, stage: str) -> bool:
    try:
        conn.client("apigateway").get_stage(restApiId=api_id, stageName=stage)
        return True
    except ClientError as exc:
        if aws_code(exc) == "NotFoundException":
            return False
        raise


def _statement_id(api_id: str) -> str:
    return f"apigateway-{api_id}-{HTTP_METHOD.lower()}-{RESOURCE_PART}"


def _policy_sids(conn: Connection, function_arn: str) -> set[str]:
    try:
        policy = json.loads(conn.client("lambda").get_policy(FunctionName=function_arn)["Policy"])
    except ClientError as exc:
        if aws_code(exc) == "ResourceNotFoundException":
            return set()
        raise
    return {st.get("Sid", "") for st in policy.get("Statement", [])}


def _grant_invoke(conn: Connection, function_arn: str, api_id: str) -> bool:
    """Let API Gateway invoke the function for POST /inference of this API; True when it was added now."""
    sid = _statement_id(api_id)
    if sid in _policy_sids(conn, function_arn):
        return False
    source_arn = conn.arn("execute-api", f"{api_id}/*/{HTTP_METHOD}{RESOURCE_PATH}")
    try:
        conn.client("lambda").add_permission(
            FunctionName=function_arn,
            StatementId=sid,
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=source_arn,
        )
    except ClientError as exc:
        if aws_code(exc) == "ResourceConflictException":  # added meanwhile (the statement id names this API)
            return False
        raise aws_error(exc, f"function {function_arn}") from exc
    return True


def _ensure_api(conn: Connection) -> tuple[str, bool]:
    """The kit's REST API id, creating the API when there is none; True when it was created now."""
    api = _the_api(conn)
    if api is not None:
        return api["id"], False
    api = apigateway_call(
        conn,
        "create_rest_api",
        what=f"REST API {conn.names.api}",
        name=conn.names.api,
        description="Inference API of the inference-metadata workshop (POST /inference -> Lambda)",
        endpointConfiguration={"types": ["REGIONAL"]},
        tags=conn.tags,
    )
    return api["id"], True


def _ensure_resource(conn: Connection, api_id: str) -> tuple[str, bool]:
    """The id of the API's /inference resource, creating it when missing; True when it was created now."""
    resources = _resources(conn, api_id)
    resource = next((r for r in resources if r["path"] == RESOURCE_PATH), None)
    if resource is not None:
        return resource["id"], False
    root = next(r for r in resources if r["path"] == "/")
    created = conn.client("apigateway").create_resource(restApiId=api_id, parentId=root["id"], pathPart=RESOURCE_PART)
    return created["id"], True


def _ensure_method(conn: Connection, api_id: str, resource_id: str) -> tuple[dict[str, Any], bool]:
    """POST /inference without authorization (what exists, or {} when put now); True when it was put now."""
    method = _method(conn, api_id, resource_id)
    if method is None:
        conn.client("apigateway").put_method(
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=HTTP_METHOD,
            authorizationType="NONE",
            apiKeyRequired=False,
        )
        return {}, True
    if method.get("authorizationType") != "NONE" or method.get("apiKeyRequired"):
        raise ResourceConflict(
            _(
                "{http_method} {resource_path} of API {api_id} requires authorization ({value}, API key "
                "required: {value2}), so the workshop's curl command would be refused"
            ).format(
                http_method=HTTP_METHOD,
                resource_path=RESOURCE_PATH,
                api_id=api_id,
                value=method.get("authorizationType"),
                value2=method.get("apiKeyRequired"),
            ),
            resource=f"REST API {conn.names.api} ({api_id})",
            fix=_("delete the API with delete_rest_api() and run create_rest_api() again"),
        )
    return method, False


def _ensure_integration(
    conn: Connection, api_id: str, resource_id: str, method: dict[str, Any], function_arn: str
) -> bool:
    """The Lambda proxy integration of POST /inference; True when it was put now."""
    uri = f"arn:aws:apigateway:{conn.region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    integration = method.get("methodIntegration") or {}
    if (integration.get("type"), integration.get("httpMethod"), integration.get("uri")) == ("AWS_PROXY", "POST", uri):
        return False
    conn.client("apigateway").put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=HTTP_METHOD,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=uri,
    )
    return True


# --- Operations -------------------------------------------------------------------------------------


def create_rest_api(function: str | None = None, conn: Connection | None = None) -> ApiInfo:
    """Create (or complete) the workshop's REST API in front of ``function`` and deploy it to ``prod``.

    ``function`` is a name or ARN (default: the workshop's function). Idempotent: what exists in the
    right shape is kept, and the stage is deployed again only when something was created or changed.
    """
    conn = conn or current()
    function_arn = _function_arn(conn, function or conn.names.function)
    name, stage = conn.names.api, conn.names.stage
    try:
        api_id, api_created = _ensure_api(conn)
        resource_id, resource_created = _ensure_resource(conn, api_id)
        method, method_put = _ensure_method(conn, api_id, resource_id)
        integration_put = _ensure_integration(conn, api_id, resource_id, method, function_arn)
        changed = api_created or resource_created or method_put or integration_put
        _grant_invoke(conn, function_arn, api_id)
        if changed or not _stage_exists(conn, api_id, stage):
            apigateway_call(
                conn,
                "create_deployment",
                what=f"stage {stage} of REST API {name}",
                restApiId=api_id,
                stageName=stage,
                description="deployed by create_rest_api()",
            )
            changed = True
    except ClientError as exc:
        raise aws_error(exc, f"REST API {name}") from exc
    return ApiInfo(
        api_id, name, stage, conn.invoke_url(api_id, stage, RESOURCE_PATH), function_arn, resource_id, changed
    )


def invoke_url(conn: Connection | None = None) -> str:
    """The URL the workshop's curl command calls: ``.../prod/inference`` of the deployed API."""
    conn = conn or current()
    try:
        api = _the_api(conn)
        deployed = api is not None and _stage_exists(conn, api["id"], conn.names.stage)
    except ClientError as exc:
        raise aws_error(exc, f"REST API {conn.names.api}") from exc
    if api is None or not deployed:
        state = "does not exist" if api is None else f"is not deployed to stage {conn.names.stage!r}"
        raise ResourceNotFound(
            f"REST API {conn.names.api!r} {state}",
            resource=f"REST API {conn.names.api}",
            fix=_("run create_rest_api() first"),
        )
    return conn.invoke_url(api["id"], conn.names.stage, RESOURCE_PATH)


def delete_rest_api(conn: Connection | None = None) -> bool:
    """Delete the workshop's REST API (only one the kit created) and the Lambda permission it used.

    Returns False when there was nothing to delete.
    """
    conn = conn or current()
    apis = _kit_apis(conn)
    for api in apis:
        _revoke_invoke(conn, api["id"])
        delete_api_by_id(conn, api["id"], api["name"])
    return bool(apis)


def delete_api_by_id(conn: Connection, api_id: str, name: str) -> None:
    """DeleteRestApi within AWS's rate limit (one call per 30 s per account); done when it is gone already."""
    try:
        apigateway_call(conn, "delete_rest_api", what=f"REST API {name} ({api_id})", restApiId=api_id)
    except ClientError as exc:
        if aws_code(exc) != "NotFoundException":
            raise aws_error(exc, f"REST API {name} ({api_id})") from exc


def _revoke_invoke(conn: Connection, api_id: str) -> None:
    """Remove the permission create_rest_api() added for this API (its function may be gone already)."""
    try:
        resource = next((r for r in _resources(conn, api_id) if r["path"] == RESOURCE_PATH), None)
        method = _method(conn, api_id, resource["id"]) if resource else None
    except ClientError as exc:
        raise aws_error(exc, f"REST API {api_id}") from exc
    uri = ((method or {}).get("methodIntegration") or {}).get("uri", "")
    if "/functions/" not in uri:
        return
    function_arn = uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    try:
        conn.client("lambda").remove_permission(FunctionName=function_arn, StatementId=_statement_id(api_id))
    except ClientError as exc:
        if aws_code(exc) != "ResourceNotFoundException":
            raise aws_error(exc, f"function {function_arn}") from exc
