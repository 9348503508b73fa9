"""IAM enforcement in the local cloud: identity policies evaluated per call, on the call's real resource ARN.

moto checks permissions only when asked, and then (apart from S3, IAM, SQS and STS) against the resource "*",
so a policy scoped to a table's ARN would be denied. This guard, asked before every request, evaluates the
caller's identity-based policies the way AWS does for the calls the workshop makes.

Who is checked
- Requests signed with the local admin key (``config.LOCAL_ADMIN_ACCESS_KEY``) pass unchecked.
- Unsigned requests pass (API Gateway invoke URLs, the Lambda Runtime API, ...). AWS refuses an unsigned call to
  a service API; the local cloud leaves it to moto.
- Temporary credentials from moto's STS AssumeRole (the Lambda workers get these for the function's execution
  role) act as ``arn:aws:sts::{account}:assumed-role/{role}/{session}`` with the role's inline and attached
  policies.
- An IAM user's access key acts as the user: its inline and attached policies and those of its groups.
- Any other key, an inactive key, or a session token that is not the key's own gets the service's own
  "invalid security token" error (DynamoDB ``UnrecognizedClientException``, S3 ``InvalidAccessKeyId``, ...).

How a decision is made (AWS's logic for identity-based policies within one account)
- Policies are read from moto's IAM backend on every call, so a policy change takes effect on the next call.
- A statement applies when its Action (or NotAction) matches the action and its Resource (or NotResource)
  matches the resource. Wildcards ``*`` and ``?`` work in both; actions match case-insensitively, resources
  case-sensitively (so ``endpoint/My-Endpoint`` never matches: SageMaker endpoint ARNs are lower-case).
- An applying Deny wins (explicit deny); else an applying Allow allows; else the call is denied (implicit deny).
- A call that touches several resources (BatchWriteItem on two tables, TransactWriteItems, S3 CopyObject,
  DeleteObjects) needs every one of its checks allowed; the first refused one is reported.
- GetCallerIdentity is always allowed, as on AWS.

A denied call gets the service's own error: DynamoDB, Logs, SageMaker: 400 ``AccessDeniedException``; Lambda:
403 ``AccessDeniedException``; S3: 403 ``AccessDenied`` (XML, resource in quotes); CloudWatch, STS, IAM: 403
``AccessDenied``. The message is AWS's: "User: {principal} is not authorized to perform: {action} on resource:
{arn} because no identity-based policy allows the {action} action" (or "... with an explicit deny in an
identity-based policy"); " on resource: ..." is left out when the resource is "*".

Calls mapped to an action and resource ARN (see docs/iam-enforcement.md for the full table)
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
- STS AssumeRole on the role ARN.

Calls not mapped
- A call whose action can be named from the request (JSON protocol ``X-Amz-Target``, query protocol
  ``Action=``) but whose resource is not mapped above (CloudWatch PutMetricData, IAM, SNS, ...) is evaluated
  against the resource "*". That is right for actions without resource-level permissions (PutMetricData) and
  stricter than AWS for the others: a policy scoped to an ARN does not allow them here.
- A call whose action cannot be named (other REST APIs: the API Gateway control plane, most Lambda control
  calls, uncommon S3 subresources) is refused with the service's AccessDenied error and a message that says so,
  for every identity except the local admin.

Not emulated (on AWS these can change a decision)
- Condition elements: a statement with a Condition never applies here, so a conditional Allow grants nothing
  and a conditional Deny denies nothing. Policy variables (``${aws:username}``) are not substituted.
- Resource-based policies (bucket policies, Lambda function policies), permissions boundaries, session policies
  passed to AssumeRole, service control policies, cross-account access.
- Signatures are not verified, credential expiry is not checked, and AssumeRole does not check the role's trust
  policy (moto does not either).

moto seam: finding the identity behind an access key and reading its policies uses moto's in-process IAM and
STS backends (``MotoIdentities``). It is written against moto >=5.2,<5.3 (``MOTO_VERSIONS``); the tests in
tests/test_iam_enforcement.py named ``test_moto_seam__*`` fail clearly if moto's internals change.
"""

from __future__ import annotations

import enum
import functools
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from moto.backends import get_backend
from moto.iam.exceptions import NotFoundException
from werkzeug.wrappers import Request, Response

from ..config import LOCAL_ADMIN_ACCESS_KEY
from .edge import CloudContext

# The moto versions the seam below (MotoIdentities) is written and tested against; pyproject pins moto to this.
MOTO_VERSIONS = ">=5.2,<5.3"


# ------------------------------------------------------------------------------------------------
# Policy evaluation (pure: no moto, no HTTP)
# ------------------------------------------------------------------------------------------------
class Decision(enum.Enum):
    """The outcome of evaluating identity-based policies for one action on one resource."""

    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """Whether a policy Action pattern (``dynamodb:Put*``, ``*``) matches an action; case-insensitive."""
    return _glob(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """Whether a policy Resource pattern matches a resource ARN; case-sensitive, ``*`` and ``?`` wildcards."""
    return _glob(pattern, False).fullmatch(resource) is not None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)]


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> tuple[Mapping[str, Any], ...]:
    """Statements of a policy document's JSON text, parsed once per distinct text (a change is a new text)."""
    try:
        document = json.loads(text)
    except ValueError:
        return ()  # moto validates documents on the way in; an unreadable one grants nothing
    return tuple(_statements(document)) if isinstance(document, Mapping) else ()


def _statements(document: str | Mapping[str, Any]) -> list[Mapping[str, Any]] | tuple[Mapping[str, Any], ...]:
    if isinstance(document, str):
        return _parsed(document)
    if not isinstance(document, Mapping):
        return []
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    return [s for s in statements if isinstance(s, Mapping)]


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if statement.get("Condition"):
        return False  # condition keys are not emulated: see the module docstring
    if "Action" in statement:
        if not any(action_matches(p, action) for p in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(action_matches(p, action) for p in _as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        return any(resource_matches(p, resource) for p in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(resource_matches(p, resource) for p in _as_list(statement["NotResource"]))
    return False


def evaluate(documents: Iterable[str | Mapping[str, Any]], action: str, resource: str) -> Decision:
    """Evaluate identity-based policy documents (JSON text or dicts) for ``action`` on ``resource``."""
    allowed = False
    for document in documents:
        for statement in _statements(document):
            if not _applies(statement, action, resource):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def denial_message(principal_arn: str, action: str, resource: str, decision: Decision, *, quote: bool = False) -> str:
    """AWS's access-denied message for an identity-based policy decision (S3 quotes the resource)."""
    on = "" if resource == "*" else (f' on resource: "{resource}"' if quote else f" on resource: {resource}")
    if decision is Decision.EXPLICIT_DENY:
        return (
            f"User: {principal_arn} is not authorized to perform: {action}{on} "
            "with an explicit deny in an identity-based policy"
        )
    return (
        f"User: {principal_arn} is not authorized to perform: {action}{on} "
        f"because no identity-based policy allows the {action} action"
    )


# ------------------------------------------------------------------------------------------------
# Who is calling: the seam into moto's IAM and STS backends (moto >=5.2,<5.3)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Principal:
    """The identity behind an access key: an assumed role or an IAM user."""

    kind: str  # "role" or "user"
    name: str  # role name or user name
    arn: str  # the ARN AWS names in its messages (assumed-role session ARN, or user ARN)


class InvalidCredentials(Exception):
    """The access key is not known, not active, or the session token is not the key's own."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unknown-key" or "bad-token"


class MotoIdentities:
    """Looks up access keys and policies in moto's in-process backends.

    moto internals used (moto >=5.2,<5.3): STS backend ``get_assumed_role_from_access_key`` and the AssumedRole's
    ``role_arn``, ``session_name``, ``session_token``, ``arn``; IAM backend ``get_user_from_access_key_id``,
    ``list_access_keys`` (``access_key_id``, ``status``), ``list_role_policies``/``get_role_policy``,
    ``list_attached_role_policies``, ``get_policy_version(arn, default_version_id).document`` and the user and
    group equivalents, ``get_groups_for_user``.
    """

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    def _iam(self) -> Any:
        return get_backend("iam")[self.account_id]["global"]  # type: ignore[call-overload]

    def _sts(self) -> Any:
        return get_backend("sts")[self.account_id]["global"]  # type: ignore[call-overload]

    def principal(self, access_key: str, session_token: str | None) -> Principal:
        """The principal an access key belongs to; raises InvalidCredentials when it belongs to none."""
        assumed = self._sts().get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            if session_token != assumed.session_token:
                raise InvalidCredentials("bad-token")
            return Principal("role", assumed.role_arn.rsplit("/", 1)[-1], assumed.arn)
        iam = self._iam()
        user = iam.get_user_from_access_key_id(access_key)
        if user is None:
            raise InvalidCredentials("unknown-key")
        if session_token:
            raise InvalidCredentials("bad-token")  # a long-term key never carries a session token
        keys = [k for k in iam.list_access_keys(user.name) if k.access_key_id == access_key]
        if not keys or keys[0].status != "Active":
            raise InvalidCredentials("unknown-key")
        return Principal("user", user.name, user.arn)

    def documents(self, principal: Principal) -> list[str]:
        """The principal's policy documents, read fresh: inline and attached (and its groups' for a user)."""
        for _ in range(3):  # another request thread may change the backend while we read it
            try:
                return self._read_documents(principal)
            except RuntimeError:  # "dictionary changed size during iteration"
                continue
        return self._read_documents(principal)

    def _read_documents(self, principal: Principal) -> list[str]:
        iam = self._iam()
        docs: list[str] = []
        try:
            if principal.kind == "role":
                docs += [iam.get_role_policy(principal.name, n)[1] for n in iam.list_role_policies(principal.name)]
                docs += self._managed(iam, iam.list_attached_role_policies(principal.name)[0])
            else:
                name = principal.name
                docs += [iam.get_user_policy(name, n)["policy_document"] for n in list(iam.list_user_policies(name))]
                docs += self._managed(iam, iam.list_attached_user_policies(name)[0])
                for group in iam.get_groups_for_user(name):
                    docs += [
                        iam.get_group_policy(group.name, n)["policy_document"]
                        for n in iam.list_group_policies(group.name)
                    ]
                    docs += self._managed(iam, iam.list_attached_group_policies(group.name)[0])
        except NotFoundException:
            return []  # the role or user was deleted: its credentials grant nothing
        return docs

    @staticmethod
    def _managed(iam: Any, policies: Iterable[Any]) -> list[str]:
        return [iam.get_policy_version(p.arn, p.default_version_id).document for p in policies]


def role_decision(account_id: str, role_name: str, action: str, resource: str) -> Decision:
    """Evaluate a role's current policies for one action, e.g. for a data plane acting with a function's role."""
    identities = MotoIdentities(account_id)
    return evaluate(identities.documents(Principal("role", role_name, "")), action, resource)


# ------------------------------------------------------------------------------------------------
# What a request asks for: the IAM action(s) and resource ARN(s)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One authorization AWS makes for a call: an action on a resource ARN (or "*")."""

    action: str
    resource: str


@dataclass(frozen=True)
class Call:
    """What a request needs: every check allowed (or nothing, for calls AWS always allows)."""

    checks: tuple[Check, ...]
    always_allowed: bool = False


@dataclass(frozen=True)
class Credential:
    """The access key, session token, region and signing service a request was signed with."""

    access_key: str
    session_token: str | None
    region: str | None
    service: str | None


_HEADER_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_SIGV2_HEADER_RE = re.compile(r"^AWS ([^:\s]+):")


def credential_of(request: Request) -> Credential | None:
    """The credential a request was signed with (SigV4 header or query string, SigV2), None when unsigned."""
    token = request.headers.get("X-Amz-Security-Token") or request.args.get("X-Amz-Security-Token")
    auth = request.headers.get("Authorization", "")
    match = _HEADER_CREDENTIAL_RE.search(auth) or _HEADER_CREDENTIAL_RE.search(
        "Credential=" + request.args.get("X-Amz-Credential", "")
    )
    if match:
        return Credential(match.group(1), token, match.group(2), match.group(3))
    v2 = _SIGV2_HEADER_RE.match(auth)
    key = v2.group(1) if v2 else request.args.get("AWSAccessKeyId")
    if key:
        return Credential(key, token, None, "s3")  # SigV2 survives only on S3
    return None


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
            return (Check(f"sagemaker:{op}", f"{base}{kind}/{p[key].lower()}"),)
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
        name = match.groupdict().get("fn") or _json_body(body).get("FunctionName")
        if not isinstance(name, str) or not name:
            return Call((Check(f"lambda:{action}", "*"),))
        arn = _function_arn(name, request.args.get("Qualifier"), region, account)
        return Call((Check(f"lambda:{action}", arn),))
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


def _query_action(request: Request, body: bytes) -> tuple[str | None, dict[str, list[str]]]:
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
    action, params = _query_action(request, body)
    if not action or not prefix:
        return None
    if prefix == "sts" and action == "GetCallerIdentity":
        return Call((), always_allowed=True)
    if prefix == "sts" and action == "AssumeRole" and params.get("RoleArn"):
        return Call((Check("sts:AssumeRole", params["RoleArn"][0]),))
    return Call((Check(f"{prefix}:{action}", "*"),))


# ------------------------------------------------------------------------------------------------
# Errors in each service's own shape
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ErrorShape:
    protocol: str  # "json", "rest-json", "query", "s3"
    denied_status: int
    invalid_status: int
    denied_code: str = "AccessDeniedException"
    invalid_code: str = "UnrecognizedClientException"
    query_compatible: bool = False  # CloudWatch over JSON: botocore reads the query-protocol code from a header
    extra: dict[str, str] = field(default_factory=dict)


_INVALID_TOKEN = "The security token included in the request is invalid."
_QUERY_COMPATIBLE_TARGETS = ("GraniteServiceVersion20100801.", "AmazonSQS.")


def _error_shape(request: Request, service: str | None, body: bytes) -> _ErrorShape:
    if service == "s3":
        return _ErrorShape("s3", 403, 403, "AccessDenied", "InvalidAccessKeyId")
    target = request.headers.get("X-Amz-Target", "")
    if target:
        if target.startswith(_QUERY_COMPATIBLE_TARGETS):
            return _ErrorShape("json", 403, 403, query_compatible=True)
        return _ErrorShape("json", 400, 400)
    if service == "lambda":
        return _ErrorShape("rest-json", 403, 403, extra={"Type": "User"})
    if _query_action(request, body)[0]:
        return _ErrorShape("query", 403, 403, "AccessDenied", "InvalidClientTokenId")
    return _ErrorShape("rest-json", 400, 403)  # SageMaker runtime and other REST-JSON APIs


def _error(shape: _ErrorShape, status: int, code: str, message: str, query_code: str) -> Response:
    request_id = str(uuid.uuid4())
    if shape.protocol in ("json", "rest-json"):
        payload = {"__type": f"com.amazon.coral.service#{code}", "message": message, "Message": message}
        if shape.protocol == "rest-json":
            payload = {"Message": message, "message": message, **shape.extra}
        resp = Response(
            json.dumps(payload),
            status=status,
            content_type="application/x-amz-json-1.0" if shape.protocol == "json" else "application/json",
        )
        resp.headers["x-amzn-ErrorType"] = code
        if shape.query_compatible:
            resp.headers["x-amzn-query-error"] = f"{query_code};Sender"
    elif shape.protocol == "s3":
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        resp = Response(xml, status=status, content_type="application/xml")
    else:
        xml = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        resp = Response(xml, status=status, content_type="text/xml")
    resp.headers["x-amzn-RequestId"] = request_id
    return resp


def _access_denied(shape: _ErrorShape, message: str) -> Response:
    return _error(shape, shape.denied_status, shape.denied_code, message, "AccessDenied")


def _invalid_credentials(shape: _ErrorShape, reason: str) -> Response:
    if shape.protocol == "s3":
        if reason == "bad-token":
            return _error(shape, 400, "InvalidToken", "The provided token is malformed or otherwise invalid.", "")
        return _error(
            shape, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", ""
        )
    return _error(shape, shape.invalid_status, shape.invalid_code, _INVALID_TOKEN, "InvalidClientTokenId")


# ------------------------------------------------------------------------------------------------
# The guard
# ------------------------------------------------------------------------------------------------
class IamEnforcement:
    """Guard of the edge router: refuses what the caller's identity-based policies do not allow."""

    def __init__(self, ctx: CloudContext) -> None:
        self.ctx = ctx
        self.identities = MotoIdentities(ctx.account_id)

    def check(self, request: Request) -> Response | None:
        """None to let the request pass, else the service's own error response."""
        credential = credential_of(request)
        if credential is None or credential.access_key == LOCAL_ADMIN_ACCESS_KEY:
            return None
        body = request.get_data(cache=True)
        shape = _error_shape(request, credential.service, body)
        try:
            principal = self.identities.principal(credential.access_key, credential.session_token)
        except InvalidCredentials as exc:
            return _invalid_credentials(shape, exc.reason)
        region = credential.region or self.ctx.region
        call = describe_call(request, body, credential.service, region, self.ctx.account_id)
        if call is None:
            return _access_denied(
                shape,
                f"User: {principal.arn} is not authorized to perform this request: the local cloud cannot tell which "
                f"IAM action and resource {request.method} {request.path} ({credential.service}) needs, so it refuses "
                "it for every identity except the local admin (see docs/iam-enforcement.md)",
            )
        if call.always_allowed:
            return None
        documents = self.identities.documents(principal)
        for check in call.checks:
            decision = evaluate(documents, check.action, check.resource)
            if decision is not Decision.ALLOW:
                message = denial_message(
                    principal.arn, check.action, check.resource, decision, quote=shape.protocol == "s3"
                )
                return _access_denied(shape, message)
        return None
