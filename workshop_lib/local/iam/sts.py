"""STS on the local cloud where moto is not AWS: AssumeRole's checks, GetSessionToken, and who a session is.

- AssumeRole: the parameters are validated as STS does (``RoleSessionName``, ``DurationSeconds`` 900 to 43200,
  ``ExternalId``), then the caller must be allowed by the role's trust policy and, when the policy trusts the
  account rather than the caller, by its own ``sts:AssumeRole`` permission (``trust.py``); a role that does not
  exist is refused with the same AccessDenied (AWS does not tell). ``DurationSeconds`` may not exceed the role's
  MaxSessionDuration, nor one hour when a role session assumes a role (role chaining). Then moto issues the
  credentials, which expire after ``DurationSeconds`` (default 3600).
- GetSessionToken (moto answers fixed example credentials that sign nothing): session credentials of the caller,
  for ``DurationSeconds`` (900 to 129600, default 43200), refused to callers that already use session
  credentials, as on AWS.
- GetCallerIdentity with GetSessionToken's credentials: the owner's identity (moto does not know those keys).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

from ..core.moto_seam import MotoDispatcher, MotoIdentities
from ..core.policy import Decision
from ..core.records import SigningKey
from ..core.signing import signed_service
from .authentication import identity_of
from .credentials import CredentialStore
from .exceptions import StsAccessDenied, StsValidationError
from .trust import ACTION, assume_role_decision, trust_context

_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
ROLE_DURATION_S = (900, 43200, 3600)  # min, max, default
SESSION_DURATION_S = (900, 129600, 43200)
CHAINED_MAX_S = 3600


def _params(request: Request) -> dict[str, str]:
    params = {k: v[0] for k, v in parse_qs(request.get_data(cache=True).decode("utf-8", "replace")).items()}
    return {**{k: v for k, v in request.args.items()}, **params}


def _duration(params: dict[str, str], limits: tuple[int, int, int]) -> int:
    low, high, default = limits
    raw = params.get("DurationSeconds")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise StsValidationError(
            f"Value '{raw}' at 'durationSeconds' failed to satisfy constraint: not a number"
        ) from None
    if value < low:
        raise StsValidationError(
            f"1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {low}"
        )
    if value > high:
        raise StsValidationError(
            f"1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy constraint: "
            f"Member must have value less than or equal to {high}"
        )
    return value


def _validate(name: str, value: str | None, pattern: re.Pattern[str], shape: str) -> None:
    if value is None:
        raise StsValidationError(
            f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
        )
    if not pattern.match(value):
        raise StsValidationError(
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must "
            f"satisfy regular expression pattern: {shape}"
        )


def _xml(action: str, result: str) -> Response:
    body = (
        f'<{action}Response xmlns="{_NAMESPACE}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
    )
    return Response(body, content_type="text/xml")


class StsService:
    """Answers AssumeRole after its checks (then moto issues the credentials), GetSessionToken, and
    GetCallerIdentity for GetSessionToken's credentials."""

    def __init__(self, store: CredentialStore, identities: MotoIdentities, moto: MotoDispatcher) -> None:
        self.store = store
        self.identities = identities
        self.moto = moto

    def matches(self, request: Request) -> bool:
        if signed_service(request) != "sts" or identity_of(request) is None:
            return False
        action = _params(request).get("Action")
        if action == "GetCallerIdentity":
            caller = identity_of(request)
            return caller is not None and self.store.session_of(caller.access_key) is not None
        return action in ("AssumeRole", "GetSessionToken")

    def handle(self, request: Request) -> Response:
        caller = identity_of(request)
        assert caller is not None  # matches() checked it
        params = _params(request)
        action = params.get("Action")
        if action == "GetCallerIdentity":
            return self._caller_identity(caller)
        if action == "GetSessionToken":
            return self._session_token(caller, params)
        return self._assume_role(request, caller, params)

    def close(self) -> None:
        """Nothing to stop."""

    def _caller_identity(self, caller: SigningKey) -> Response:
        principal = caller.principal
        user_id = self.identities.user_id(principal.name) if principal.kind == "user" else "AKIAIOSFODNN7EXAMPLE"
        account = self.store.account_id
        result = f"<Arn>{escape(principal.arn)}</Arn><UserId>{user_id}</UserId><Account>{account}</Account>"
        return _xml("GetCallerIdentity", result)

    def _session_token(self, caller: SigningKey, params: dict[str, str]) -> Response:
        duration = _duration(params, SESSION_DURATION_S)
        if caller.session_token is not None:
            raise StsAccessDenied("Cannot call GetSessionToken with session credentials")
        issued = self.store.issue_session(caller, duration)
        expiration = datetime.fromtimestamp(issued.expires_at or 0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = (
            f"<Credentials><AccessKeyId>{issued.access_key}</AccessKeyId>"
            f"<SecretAccessKey>{escape(issued.secret_key)}</SecretAccessKey>"
            f"<SessionToken>{escape(issued.session_token or '')}</SessionToken>"
            f"<Expiration>{expiration}</Expiration></Credentials>"
        )
        return _xml("GetSessionToken", result)

    def _assume_role(self, request: Request, caller: SigningKey, params: dict[str, str]) -> Response:
        role_arn = params.get("RoleArn") or ""
        session_name = params.get("RoleSessionName")
        _validate("roleSessionName", session_name, _SESSION_NAME, r"[\w+=,.@-]*")
        external_id = params.get("ExternalId")
        if external_id is not None:
            _validate("externalId", external_id, _EXTERNAL_ID, r"[\w+=,.@:\/-]*")
        duration = _duration(params, ROLE_DURATION_S)
        role = self.identities.role(role_arn)
        decision = Decision.IMPLICIT_DENY
        if role is not None:
            context = trust_context(caller, self.store.account_id, session_name or "", external_id)
            documents = self.identities.documents(caller.principal) if caller.principal.kind != "admin" else []
            decision = assume_role_decision(
                role.trust_policy, caller, documents, role.arn, self.store.account_id, context
            )
        if decision is not Decision.ALLOW:
            raise StsAccessDenied(
                f"User: {caller.principal.arn} is not authorized to perform: {ACTION} on resource: {role_arn}"
            )
        assert role is not None  # allowed
        if duration > role.max_session_duration_s:
            raise StsValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        if caller.role_arn is not None and duration > CHAINED_MAX_S:
            raise StsValidationError(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
            )
        return self.moto.answer(request)
