"""IAM SimulatePrincipalPolicy on the local cloud (moto does not implement it).

``diagnose()`` asks IAM whether the function's role may do what the Lambda does, with the same API call on both
targets. Here the answer comes from the one policy engine the local cloud enforces with (``core/policy.py``).
Emulated: roles and users as PolicySourceArn, ActionNames, ResourceArns, decisions ``allowed`` / ``implicitDeny``
/ ``explicitDeny``. Not emulated, as in the guard: context entries (so a statement with a Condition never
applies), permissions boundaries, the ``ResourcePolicy`` parameter (AWS too leaves resource policies out unless
one is passed), MatchedStatements (always empty).
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

from ..core.moto_seam import MotoBackends, MotoIdentities
from ..core.policy import Decision, evaluate
from ..core.records import Principal
from ..core.signing import signed_service
from .exceptions import IamApiError, InvalidInput, NoSuchEntity, ValidationError

_DECISIONS = {Decision.ALLOW: "allowed", Decision.IMPLICIT_DENY: "implicitDeny", Decision.EXPLICIT_DENY: "explicitDeny"}


def _members(params: dict[str, list[str]], name: str) -> list[str]:
    keys = sorted((k for k in params if k.startswith(f"{name}.member.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    return [params[k][0] for k in keys]


def _result(action: str, resource: str, decision: Decision) -> str:
    return (
        f"<member><EvalActionName>{escape(action)}</EvalActionName>"
        f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
        f"<EvalDecision>{_DECISIONS[decision]}</EvalDecision><MatchedStatements/><MissingContextValues/>"
        "</member>"
    )


class IamSimulation:
    """Answers IAM SimulatePrincipalPolicy from the local cloud's own policy evaluation."""

    def __init__(self, backends: MotoBackends) -> None:
        self.backends = backends
        self.identities = MotoIdentities(backends.account_id)

    def matches(self, request: Request) -> bool:
        if request.method != "POST" or signed_service(request) != "iam":
            return False
        return b"Action=SimulatePrincipalPolicy" in request.get_data()

    def handle(self, request: Request) -> Response:
        params = parse_qs(request.get_data().decode("utf-8"))
        source = params.get("PolicySourceArn", [""])[0]
        actions = _members(params, "ActionNames")
        resources = _members(params, "ResourceArns") or ["*"]
        if not actions:
            raise ValidationError("1 validation error detected: ActionNames must not be empty")
        kind, _, name = source.partition(":")[2].rpartition(":")[2].partition("/")
        if kind not in ("role", "user") or not name:
            raise InvalidInput(f"Invalid ARN: {source}. Use the ARN of an IAM user or role.")
        name = name.rsplit("/", 1)[-1]  # a path may precede the name
        if not self.identities.exists(kind, name):
            raise NoSuchEntity(f"The {kind} with name {name} cannot be found.")
        documents = self.identities.documents(Principal(kind, name, ""))
        members = [_result(a, r, evaluate(documents, a, r)) for a in actions for r in resources]
        body = (
            f'<SimulatePrincipalPolicyResponse xmlns="{IamApiError.namespace}"><SimulatePrincipalPolicyResult>'
            f"<IsTruncated>false</IsTruncated><EvaluationResults>{''.join(members)}</EvaluationResults>"
            f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
            "</ResponseMetadata></SimulatePrincipalPolicyResponse>"
        )
        return Response(body, content_type="text/xml")

    def close(self) -> None:
        pass
