"""IAM enforcement in the local cloud: identity policies evaluated per call, on the call's real resource ARN.

moto checks permissions only when asked, and then (apart from S3, IAM, SQS and STS) against the resource "*",
so a policy scoped to a table's ARN would be denied. This guard, asked before every request, evaluates the
caller's identity-based policies the way AWS does for the calls the workshop makes.

Who is checked (the authentication guard, ``authentication.py``, has verified the signature and the key before)
- Requests signed with the local admin key (``config.LOCAL_ADMIN_ACCESS_KEY``), or with session credentials the
  admin got from GetSessionToken, pass unchecked.
- Unsigned requests reaching this guard are the public ones (API Gateway stage URLs): they pass.
- Temporary credentials from moto's STS AssumeRole (the Lambda workers get these for the function's execution
  role) act as ``arn:aws:sts::{account}:assumed-role/{role}/{session}`` with the role's inline and attached
  policies.
- An IAM user's access key, or session credentials it got from GetSessionToken, acts as the user: its inline and
  attached policies and those of its groups.
- Any other key, an inactive key, or a session token that is not the key's own gets the service's own
  "invalid security token" error (DynamoDB ``UnrecognizedClientException``, S3 ``InvalidAccessKeyId``, ...).

How a decision is made (AWS's logic for identity-based policies within one account)
- Policies are read from moto's IAM backend on every call, so a policy change takes effect on the next call;
  with the timing model on, a role's policy change takes effect seconds later, as on AWS (``propagation.py``).
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

Calls mapped to an action and resource ARN: see ``actions.py`` (and docs/iam-enforcement.md for the full table).
The decision itself is the one policy engine's (``core/policy.py``).

Calls not mapped
- A call whose action can be named from the request (JSON protocol ``X-Amz-Target``, query protocol
  ``Action=``) but whose resource is not mapped above (CloudWatch PutMetricData, IAM, SNS, ...) is evaluated
  against the resource "*". That is right for actions without resource-level permissions (PutMetricData) and
  stricter than AWS for the others: a policy scoped to an ARN does not allow them here.
- A call whose action cannot be named (other REST APIs: the API Gateway control plane, most Lambda control
  calls, uncommon S3 subresources) is refused with the service's AccessDenied error and a message that says so,
  for every identity except the local admin.

Not emulated (on AWS these can change a decision)
- Condition elements: the guard gives the policy engine no condition keys (but PassRole's, below), so a statement
  with a Condition never applies here: a conditional Allow grants nothing and a conditional Deny denies nothing.
  Policy variables (``${aws:username}``) are not substituted.
- Resource-based policies in a caller's decision: bucket policies, and a Lambda function's policy for a signed
  Invoke call (the function policy is evaluated, with conditions, when API Gateway invokes the function: see
  awslambda/invoke.py). Permissions boundaries, session policies passed to AssumeRole, service control policies,
  cross-account access.
- Condition keys other than ``iam:PassedToService`` and ``iam:AssociatedResourceArn`` (given for the PassRole
  check of CreateFunction, UpdateFunctionConfiguration and CreateModel). AssumeRole is decided by ``sts.py``
  (the role's trust policy and the caller's ``sts:AssumeRole`` permission), not here.

moto seam: finding the identity behind an access key and reading its policies uses moto's in-process IAM and
STS backends through ``core/moto_seam/iam.py`` (``MotoIdentities``); tests/unit/local/moto_seam/ fails clearly if moto's
internals change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Request

from ...config import LOCAL_ADMIN_ACCESS_KEY
from ..core.context import CloudContext
from ..core.errors import ServiceError
from ..core.moto_seam import MotoBackends, MotoIdentities
from ..core.policy import Decision, evaluate
from ..core.records import InvalidCredentials, Principal
from ..core.signing import credential_of
from .actions import describe_call, query_action
from .authentication import identity_of
from .exceptions import (
    INVALID_TOKEN,
    AccessDenied,
    AccessDeniedException,
    InvalidAccessKeyId,
    InvalidClientTokenId,
    InvalidToken,
    RestAccessDeniedException,
    RestUnrecognizedClientException,
    S3AccessDenied,
    UnrecognizedClientException,
)
from .propagation import RolePolicies

_QUERY_COMPATIBLE_TARGETS = ("GraniteServiceVersion20100801.", "AmazonSQS.")


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


def role_decision(account_id: str, role_name: str, action: str, resource: str) -> Decision:
    """Evaluate a role's current policies for one action, e.g. for a service acting with a function's role."""
    identities = MotoIdentities(account_id)
    return evaluate(identities.documents(Principal("role", role_name, "")), action, resource)


@dataclass(frozen=True)
class Refusals:
    """How the called service says "access denied" and "invalid security token"."""

    denied: Callable[[str], ServiceError]
    invalid: Callable[[str], ServiceError]  # from InvalidCredentials.reason
    quote_resource: bool = False  # S3 quotes the resource in its message


def refusals_for(request: Request, service: str | None, body: bytes) -> Refusals:
    """The refusals in the shape of the service a request calls (by its signing service and protocol)."""
    if service == "s3":
        return Refusals(
            lambda m: S3AccessDenied(m),
            lambda reason: InvalidToken() if reason == "bad-token" else InvalidAccessKeyId(),
            quote_resource=True,
        )
    target = request.headers.get("X-Amz-Target", "")
    if target.startswith(_QUERY_COMPATIBLE_TARGETS):
        return Refusals(
            lambda m: AccessDeniedException(m, status=403, query_code="AccessDenied"),
            lambda _: UnrecognizedClientException(INVALID_TOKEN, status=403, query_code="InvalidClientTokenId"),
        )
    if target:
        return Refusals(AccessDeniedException, lambda _: UnrecognizedClientException(INVALID_TOKEN))
    if service == "lambda":
        return Refusals(
            lambda m: RestAccessDeniedException(m, user_type=True),
            lambda _: RestUnrecognizedClientException(INVALID_TOKEN, user_type=True),
        )
    if query_action(request, body)[0]:
        return Refusals(AccessDenied, lambda _: InvalidClientTokenId(INVALID_TOKEN))
    # SageMaker runtime and other REST-JSON APIs
    return Refusals(
        lambda m: RestAccessDeniedException(m, status=400), lambda _: RestUnrecognizedClientException(INVALID_TOKEN)
    )


class IamEnforcement:
    """Guard of the router: refuses what the caller's identity-based policies do not allow."""

    def __init__(self, ctx: CloudContext, backends: MotoBackends, policies: RolePolicies | None = None) -> None:
        self.ctx = ctx
        self.identities = MotoIdentities(backends.account_id)
        # The policy lookup: moto's current policies, or (timing model on) what a role's callers see while a
        # change of its policies propagates.
        self.policies: RolePolicies | MotoIdentities = policies or self.identities

    def check(self, request: Request) -> None:
        """Return to let the request pass; raise the called service's own refusal otherwise."""
        credential = credential_of(request)
        identity = identity_of(request)  # set by the authentication guard
        if credential is None or credential.access_key == LOCAL_ADMIN_ACCESS_KEY:
            return
        if identity is not None and identity.principal.kind == "admin":
            return
        body = request.get_data(cache=True)
        refusals = refusals_for(request, credential.service, body)
        try:
            if identity is not None:
                principal = identity.principal
            else:  # a router built without the authentication guard
                principal = self.identities.principal(credential.access_key, credential.session_token)
        except InvalidCredentials as exc:
            raise refusals.invalid(exc.reason) from None
        region = credential.region or self.ctx.region
        call = describe_call(request, body, credential.service, region, self.ctx.account_id)
        if call is None:
            raise refusals.denied(
                f"User: {principal.arn} is not authorized to perform this request: the local cloud cannot tell which "
                f"IAM action and resource {request.method} {request.path} ({credential.service}) needs, so it refuses "
                "it for every identity except the local admin (see docs/iam-enforcement.md)"
            )
        if call.always_allowed or call.decided_by:
            return
        documents = self.policies.documents(principal)
        for check in call.checks:
            decision = evaluate(documents, check.action, check.resource, dict(check.context))
            if decision is not Decision.ALLOW:
                message = denial_message(
                    principal.arn, check.action, check.resource, decision, quote=refusals.quote_resource
                )
                raise refusals.denied(message)
