"""What a request asks of IAM: the action(s) it needs and the resource ARN(s) they are on, for the calls the
workshop makes (see docs/iam-enforcement.md for the full table).

- DynamoDB: every operation with a TableName (table ARN, ``/index/{name}`` with IndexName), BatchWriteItem and
  BatchGetItem per table, TransactWriteItems / TransactGetItems per item (PutItem, UpdateItem, DeleteItem,
  ConditionCheckItem, GetItem), ListTables on ``table/*``, ResourceArn for tagging.
- SageMaker runtime InvokeEndpoint(Async) on ``endpoint/{lower-cased name}``; control-plane calls with an
  EndpointName / EndpointConfigName / ModelName on that ARN.
- CloudWatch Logs: stream calls (CreateLogStream, PutLogEvents, GetLogEvents, DeleteLogStream) on
  ``log-group:{group}:log-stream:{stream}``; other group calls (CreateLogGroup, FilterLogEvents,
  DescribeLogStreams, ...) on ``log-group:{group}:log-stream:`` and DescribeLogGroups on
  ``log-group::log-stream:``, which is how AWS evaluates them (hence policies use ``log-group:{group}:*``).
- S3 object calls on ``arn:aws:s3:::{bucket}/{key}``, bucket calls on ``arn:aws:s3:::{bucket}``.
- Lambda Invoke (and a few control calls) on ``function:{name}[:{qualifier}]``.
- iam:PassRole on the role a call hands to a service (Lambda CreateFunction and UpdateFunctionConfiguration with a
  Role, SageMaker CreateModel with an ExecutionRoleArn), with ``iam:PassedToService`` and
  ``iam:AssociatedResourceArn``.
- STS AssumeRole on the role ARN, decided by ``sts.py`` with the role's trust policy (``decided_by``), and
  GetSessionToken, also decided there.

A call whose action can be named (JSON protocol ``X-Amz-Target``, query protocol ``Action=``) but whose resource
is not mapped above is checked against the resource "*"; a call whose action cannot be named gives None.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree

from werkzeug.wrappers import Request


@dataclass(frozen=True)
class Check:
    """One authorization AWS makes for a call: an action on a resource ARN (or "*"), with the condition keys AWS
    gives it (lower-cased; only PassRole's here)."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def pass_role(role_arn: Any, service: str, resource: str) -> tuple[Check, ...]:
    """The iam:PassRole check AWS adds when a call hands a role to a service (none when no role is given)."""
    if not isinstance(role_arn, str) or not role_arn:
        return ()
    context = (("iam:passedtoservice", service), ("iam:associatedresourcearn", resource))
    return (Check("iam:PassRole", role_arn, context),)


@dataclass(frozen=True)
class Call:
    """What a request needs: every check allowed (or nothing, for calls AWS always allows)."""

    checks: tuple[Check, ...]
    always_allowed: bool = False
    decided_by: str | None = None  # the module that authorizes the call itself (AssumeRole: the trust policy too)


_IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}  # signing name -> IAM action prefix, where they differ


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


# TransactWriteItems / TransactGetItems are authorized item by item, as the single-item calls.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb_checks(op: str, p: dict[str, Any], region: str, account: str) -> tuple[Check, ...]:
    base = f"arn:aws:dynamodb:{region}:{account}:table/"

    def table(name: Any, index: Any = None) -> str:
        arn = name if isinstance(name, str) and name.startswith("arn:") else f"{base}{name}"
        return f"{arn}/index/{index}" if index else arn

    if op in ("BatchWriteItem", "BatchGetItem"):
        return tuple(Check(f"dynamodb:{op}", table(t)) for t in p.get("RequestItems") or {}) or (
            Check(f"dynamodb:{op}", "*"),
        )
    if op in ("TransactWriteItems", "TransactGetItems"):
        checks = []
        for item in p.get("TransactItems") or []:
            for kind, body in (item or {}).items():
                if kind in _TRANSACT_ACTIONS and isinstance(body, dict):
                    checks.append(Check(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", table(body.get("TableName"))))
        return tuple(checks) or (Check(f"dynamodb:{op}", "*"),)
    if op == "ListTables":
        return (Check("dynamodb:ListTables", f"{base}*"),)
    if p.get("TableName"):
        return (Check(f"dynamodb:{op}", table(p["TableName"], p.get("IndexName"))),)
    if isinstance(p.get("ResourceArn"), str):
        return (Check(f"dynamodb:{op}", p["ResourceArn"]),)
    return (Check(f"dynamodb:{op}", "*"),)


_LOG_STREAM_OPS = {"CreateLogStream", "PutLogEvents", "GetLogEvents", "DeleteLogStream"}
_LOG_TAG_OPS = {"TagResource", "UntagResource", "ListTagsForResource"}


def _logs_checks(op: str, p: dict[str, Any], region: str, account: str) -> tuple[Check, ...]:
    base = f"arn:aws:logs:{region}:{account}:log-group:"
    action = f"logs:{op}"
    if op in _LOG_TAG_OPS and isinstance(p.get("resourceArn"), str):
        return (Check(action, p["resourceArn"]),)
    if op == "DescribeLogGroups":
        return (Check(action, f"{base}:log-stream:"),)
    group = p.get("logGroupName")
    identifier = p.get("logGroupIdentifier")
    if not group and isinstance(identifier, str):  # a name, or an ARN with or without the trailing :*
        group = identifier.split(":log-group:", 1)[1].removesuffix(":*") if ":log-group:" in identifier else identifier
    if not isinstance(group, str) or not group:
        return (Check(action, "*"),)
    if op in _LOG_STREAM_OPS and isinstance(p.get("logStreamName"), str):
        return (Check(action, f"{base}{group}:log-stream:{p['logStreamName']}"),)
    return (Check(action, f"{base}{group}:log-stream:"),)


def _sagemaker_checks(op: str, p: dict[str, Any], region: str, account: str) -> tuple[Check, ...]:
    base = f"arn:aws:sagemaker:{region}:{account}:"
    for key, kind in (("EndpointName", "endpoint"), ("EndpointConfigName", "endpoint-config"), ("ModelName", "model")):
        if isinstance(p.get(key), str):
            arn = f"{base}{kind}/{p[key].lower()}"
            passed = pass_role(p.get("ExecutionRoleArn"), "sagemaker.amazonaws.com", arn) if op == "CreateModel" else ()
            return (Check(f"sagemaker:{op}", arn), *passed)
    return (Check(f"sagemaker:{op}", "*"),)


_JSON_MAPPERS = {"dynamodb": _dynamodb_checks, "logs": _logs_checks, "sagemaker": _sagemaker_checks}

_SAGEMAKER_RUNTIME_RE = re.compile(r"^/endpoints/(?P<name>[^/]+)/(?P<kind>invocations|async-invocations)$")

_FN = r"(?P<fn>[^/]+)"
_LAMBDA_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(path), action)
    for method, path, action in (
        ("POST", rf"^/2015-03-31/functions/{_FN}/invocations/?$", "InvokeFunction"),
        ("POST", rf"^/2021-11-15/functions/{_FN}/response-streaming-invocations/?$", "InvokeFunction"),
        ("POST", rf"^/2014-11-13/functions/{_FN}/invoke-async/?$", "InvokeFunction"),
        ("GET", r"^/2015-03-31/functions/?$", "ListFunctions"),
        ("POST", r"^/2015-03-31/functions/?$", "CreateFunction"),
        ("GET", rf"^/2015-03-31/functions/{_FN}/?$", "GetFunction"),
        ("DELETE", rf"^/2015-03-31/functions/{_FN}/?$", "DeleteFunction"),
        ("GET", rf"^/2015-03-31/functions/{_FN}/configuration/?$", "GetFunctionConfiguration"),
        ("PUT", rf"^/2015-03-31/functions/{_FN}/configuration/?$", "UpdateFunctionConfiguration"),
        ("PUT", rf"^/2015-03-31/functions/{_FN}/code/?$", "UpdateFunctionCode"),
    )
)


_ROLE_ACTIONS = ("CreateFunction", "UpdateFunctionConfiguration")  # calls that pass the function's role


def _function_arn(name: str, qualifier: str | None, region: str, account: str) -> str:
    """arn:aws:lambda:...:function:{name}[:{qualifier}] from a name, a partial ARN or a full ARN."""
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:  # partial ARN: 123456789012:function:my-function
        arn = f"arn:aws:lambda:{region}:{name}"
    else:
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn


def _lambda_call(request: Request, body: bytes, region: str, account: str) -> Call | None:
    for method, pattern, action in _LAMBDA_ROUTES:
        match = pattern.match(request.path)
        if request.method != method or not match:
            continue
        if action == "ListFunctions":
            return Call((Check("lambda:ListFunctions", "*"),))
        payload = _json_body(body) if action in _ROLE_ACTIONS or not match.groupdict().get("fn") else {}
        name = match.groupdict().get("fn") or payload.get("FunctionName")
        if not isinstance(name, str) or not name:
            return Call((Check(f"lambda:{action}", "*"),))
        arn = _function_arn(name, request.args.get("Qualifier"), region, account)
        passed = pass_role(payload.get("Role"), "lambda.amazonaws.com", arn) if action in _ROLE_ACTIONS else ()
        return Call((Check(f"lambda:{action}", arn), *passed))
    return None


# S3: (method, has key, subresource) -> action; None subresource = no recognised subresource in the query.
_S3_BUCKET_SUBRESOURCES = ("versions", "uploads", "location", "tagging", "policy", "versioning", "acl")
_S3_OBJECT_SUBRESOURCES = ("tagging", "acl", "uploadId", "uploads", "restore", "attributes")
_S3_ACTIONS: dict[tuple[str, bool, str | None], str] = {
    # objects
    ("GET", True, None): "GetObject",
    ("HEAD", True, None): "GetObject",
    ("PUT", True, None): "PutObject",
    ("DELETE", True, None): "DeleteObject",
    ("GET", True, "tagging"): "GetObjectTagging",
    ("PUT", True, "tagging"): "PutObjectTagging",
    ("DELETE", True, "tagging"): "DeleteObjectTagging",
    ("GET", True, "acl"): "GetObjectAcl",
    ("PUT", True, "acl"): "PutObjectAcl",
    ("GET", True, "attributes"): "GetObjectAttributes",
    ("POST", True, "uploads"): "PutObject",
    ("PUT", True, "uploadId"): "PutObject",
    ("POST", True, "uploadId"): "PutObject",
    ("GET", True, "uploadId"): "ListMultipartUploadParts",
    ("DELETE", True, "uploadId"): "AbortMultipartUpload",
    ("POST", True, "restore"): "RestoreObject",
    # buckets
    ("GET", False, None): "ListBucket",
    ("HEAD", False, None): "ListBucket",
    ("PUT", False, None): "CreateBucket",
    ("DELETE", False, None): "DeleteBucket",
    ("GET", False, "versions"): "ListBucketVersions",
    ("GET", False, "uploads"): "ListBucketMultipartUploads",
    ("GET", False, "location"): "GetBucketLocation",
    ("GET", False, "tagging"): "GetBucketTagging",
    ("PUT", False, "tagging"): "PutBucketTagging",
    ("DELETE", False, "tagging"): "PutBucketTagging",
    ("GET", False, "policy"): "GetBucketPolicy",
    ("PUT", False, "policy"): "PutBucketPolicy",
    ("DELETE", False, "policy"): "DeleteBucketPolicy",
    ("GET", False, "versioning"): "GetBucketVersioning",
    ("PUT", False, "versioning"): "PutBucketVersioning",
    ("GET", False, "acl"): "GetBucketAcl",
    ("PUT", False, "acl"): "PutBucketAcl",
}

# Query parameters of S3 calls that are arguments, not subresources.
_S3_PARAMS = {
    "list-type", "prefix", "delimiter", "encoding-type", "max-keys", "marker", "continuation-token",
    "start-after", "fetch-owner", "versionId", "partNumber", "max-parts", "part-number-marker", "key-marker",
    "upload-id-marker", "version-id-marker", "max-uploads", "response-content-type", "response-content-language",
    "response-expires", "response-cache-control", "response-content-disposition", "response-content-encoding",
    "bucket-region", "max-buckets",
}  # fmt: skip

_IP_OR_LOCAL_RE = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|localhost)$")
_VIRTUAL_HOST_RE = re.compile(r"^(?P<bucket>.+?)\.(s3[.-]|localhost$)")


def _s3_bucket_and_key(request: Request) -> tuple[str | None, str | None]:
    host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else request.host
    path = request.path
    virtual = None if _IP_OR_LOCAL_RE.match(host) else _VIRTUAL_HOST_RE.match(host)
    if virtual:
        bucket, key = virtual.group("bucket"), path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    return bucket or None, key or None


def _s3_call(request: Request, body: bytes) -> Call | None:
    bucket, key = _s3_bucket_and_key(request)
    if bucket is None:
        return Call((Check("s3:ListAllMyBuckets", "*"),)) if request.method == "GET" else None
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if key is None and request.method == "POST" and "delete" in request.args:
        try:
            keys = [k.text or "" for k in ElementTree.fromstring(body).iter() if k.tag.endswith("Key")]
        except ElementTree.ParseError:
            keys = []
        return Call(
            tuple(Check("s3:DeleteObject", f"{bucket_arn}/{k}") for k in keys)
            or (Check("s3:DeleteObject", bucket_arn),)
        )
    known = _S3_OBJECT_SUBRESOURCES if key is not None else _S3_BUCKET_SUBRESOURCES
    subresources = [name for name in known if name in request.args]
    if key is not None and "uploadId" in subresources:
        subresources = ["uploadId"]  # UploadPart / CompleteMultipartUpload also carry partNumber etc.
    unknown = [a for a in request.args if a not in known and not a.startswith(("x-", "X-")) and a not in _S3_PARAMS]
    if len(subresources) > 1 or unknown:
        return None
    action = _S3_ACTIONS.get((request.method, key is not None, subresources[0] if subresources else None))
    if action is None:
        return None
    if action in ("GetObject", "DeleteObject") and "versionId" in request.args:
        action += "Version"
    resource = f"{bucket_arn}/{key}" if key is not None else bucket_arn
    checks = [Check(f"s3:{action}", resource)]
    source = request.headers.get("x-amz-copy-source")
    if source and action == "PutObject":  # CopyObject / UploadPartCopy also read the source object
        source_path = unquote(source.split("?", 1)[0]).lstrip("/")
        checks.append(Check("s3:GetObject", f"arn:aws:s3:::{source_path}"))
    return Call(tuple(checks))


def query_action(request: Request, body: bytes) -> tuple[str | None, dict[str, list[str]]]:
    params = parse_qs(body.decode("utf-8", "replace")) if request.method == "POST" else {}
    for key, values in request.args.lists():
        params.setdefault(key, values)
    action = params.get("Action", [None])[0]
    return action, params


def describe_call(request: Request, body: bytes, service: str | None, region: str, account: str) -> Call | None:
    """The IAM checks a request needs, or None when the local cloud cannot name its action."""
    if service == "s3":
        return _s3_call(request, body)
    prefix = _IAM_PREFIX.get(service or "", service or "")
    target = request.headers.get("X-Amz-Target")
    if target and "." in target:
        op = target.rsplit(".", 1)[1]
        mapper = _JSON_MAPPERS.get(prefix)
        return Call(mapper(op, _json_body(body), region, account) if mapper else (Check(f"{prefix}:{op}", "*"),))
    if service == "lambda":
        return _lambda_call(request, body, region, account)
    if service == "sagemaker":
        match = _SAGEMAKER_RUNTIME_RE.match(request.path)
        if match and request.method == "POST":
            action = "InvokeEndpoint" if match.group("kind") == "invocations" else "InvokeEndpointAsync"
            name = match.group("name").lower()
            return Call((Check(f"sagemaker:{action}", f"arn:aws:sagemaker:{region}:{account}:endpoint/{name}"),))
        return None
    action, params = query_action(request, body)
    if not action or not prefix:
        return None
    if prefix == "sts" and action == "GetCallerIdentity":
        return Call((), always_allowed=True)
    if prefix == "sts" and action == "AssumeRole" and params.get("RoleArn"):
        return Call((Check("sts:AssumeRole", params["RoleArn"][0]),), decided_by="sts.py")
    if prefix == "sts" and action == "GetSessionToken":
        return Call((), decided_by="sts.py")
    return Call((Check(f"{prefix}:{action}", "*"),))


