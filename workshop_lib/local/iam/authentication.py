"""The first guard of the router: every request to an AWS API of the local cloud is authenticated as AWS
authenticates it, and refused in the called service's own shape when it is not (docs/authentication.md).

In order, as a service checks them:
1. the request is signed: an ``Authorization`` header (SigV4, or SigV2 for S3) or a presigned query string; an
   unsigned request is refused (``MissingAuthenticationToken``..., S3: ``AccessDenied``);
2. the signature elements are complete and the credential scope is well formed (terminator ``aws4_request``, a
   region name, a date that is the request's);
3. the request time is within the service's window of the local cloud's clock (15 minutes, Lambda 5), or a
   presigned URL is within its expiry;
4. the access key is one the local cloud issued (the local admin's, an IAM user's active key, temporary
   credentials from AssumeRole or GetSessionToken), with its own session token when it is temporary and none when
   it is not, and temporary credentials have not expired;
5. the signature is the one the key's secret gives the request (``core/canonical_request.py``), and for S3 a
   declared payload hash is the body's.

What passes unauthenticated, as on AWS: API Gateway stage URLs (``/restapis/{api}/{stage}/_user_request_/...``,
the local form of execute-api URLs: the stage applies its own authorization), and the package URLs GetFunction
answers in ``Code.Location`` (``/_lambda-code/{name}.zip?sha=...``, the local form of AWS's presigned S3 URL: the
local one names the package by its hash and does not expire). The kit's own ``/_workshop/`` admin paths never
reach the guards.

An authenticated request carries its ``SigningKey`` in the environ (``identity_of``): IAM enforcement and STS read
who is calling there instead of resolving the key again.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from werkzeug.wrappers import Request

from ..core.canonical_request import check_payload, signature_matches
from ..core.records import SigningKey
from ..core.sigv4 import AuthFailure, Failure, Signed, WireRequest, check_time, signature_of, wire_request
from .auth_refusals import protocol_of, refusal, service_of, window_s
from .credentials import CredentialStore

IDENTITY_ENVIRON_KEY = "workshop.identity"
_STAGE_URL = re.compile(r"^/restapis/[^/]+/[^/]+/_user_request_(/.*)?$")  # connect.invoke_url's local form
_CODE_LOCATION = re.compile(r"^/_lambda-code/[^/]+\.zip$")  # awslambda/control_plane.py's Code.Location
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def identity_of(request: Request) -> SigningKey | None:
    """Who signed a request the authentication guard let through (None: a public or unchecked request)."""
    return request.environ.get(IDENTITY_ENVIRON_KEY)


def is_public(request: Request) -> bool:
    """Requests AWS serves without authentication: API Gateway stage URLs, GetFunction's package URLs."""
    return _STAGE_URL.match(request.path) is not None or _CODE_LOCATION.match(request.path) is not None


def _check_scope(signed: Signed) -> None:
    if signed.terminator != "aws4_request":
        raise AuthFailure(
            Failure.SCOPE,
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{signed.terminator}'.",
            s3_message=f'The authorization header is malformed; incorrect terminal "{signed.terminator}". '
            'This endpoint uses "aws4_request".',
        )
    if not _REGION.match(signed.region) or (signed.service == "iam" and signed.region != "us-east-1"):
        raise AuthFailure(
            Failure.SCOPE,
            f"Credential should be scoped to a valid region, not '{signed.region}'.",
            s3_message=f"The authorization header is malformed; the region '{signed.region}' is wrong.",
        )


def _check_key(key: SigningKey | None, signed: Signed, now: float) -> SigningKey:
    if key is None or not key.active:
        raise AuthFailure(Failure.UNKNOWN_KEY)
    if key.session_token is None:
        if signed.session_token:
            raise AuthFailure(Failure.BAD_TOKEN)  # a long-term key never carries a session token
        return key
    if not signed.session_token:
        raise AuthFailure(Failure.UNKNOWN_KEY)  # temporary credentials are unknown without their token
    if not hmac.compare_digest(signed.session_token, key.session_token):
        raise AuthFailure(Failure.BAD_TOKEN)
    if key.expires_at is not None and now >= key.expires_at:
        raise AuthFailure(Failure.EXPIRED_TOKEN)
    return key


class Authentication:
    """Guard of the router: refuses requests that are unsigned, malformed, stale, or signed with a wrong or expired
    key, as the called service does."""

    def __init__(self, store: CredentialStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def check(self, request: Request) -> None:
        """Return to let the request pass (its identity recorded); raise the service's own refusal otherwise."""
        if is_public(request):
            return
        wire = wire_request(request)
        signed: Signed | None = None
        service = ""
        try:
            signed = signature_of(wire)
            service = signed.service if signed is not None and signed.version == 4 else service_of(request)
            if signed is None:
                raise AuthFailure(Failure.MISSING)
            key = self._authenticate(wire, signed, service)
        except AuthFailure as failure:
            service = service or service_of(request)
            raise refusal(
                protocol_of(request, service),
                failure,
                presigned=signed.presigned if signed is not None else "Authorization" not in request.headers,
                user_type=service == "lambda",
            ) from None
        request.environ[IDENTITY_ENVIRON_KEY] = key

    def _authenticate(self, wire: WireRequest, signed: Signed, service: str) -> SigningKey:
        s3 = service == "s3"
        if signed.version == 2 and not s3:  # only S3 still takes Signature Version 2
            raise AuthFailure(Failure.INCOMPLETE, "Signature Version 2 is not supported by this service.")
        if signed.version == 4:
            _check_scope(signed)
        now = self.clock()
        check_time(signed, datetime.fromtimestamp(now, UTC), window_s(service))
        key = _check_key(self.store.lookup(signed.access_key), signed, now)
        if not signature_matches(wire, signed, key.secret_key, s3=s3):
            raise AuthFailure(Failure.SIGNATURE)
        check_payload(wire, s3=s3)
        return key
