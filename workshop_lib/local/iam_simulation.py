"""IAM SimulatePrincipalPolicy on the local cloud (moto does not implement it).

``diagnose()`` asks IAM whether the function's role may do what the Lambda does, with the same
API call on both targets. Here the answer comes from the same policy evaluation the local cloud
enforces (``iam_enforcement.evaluate``). Emulated: roles and users as PolicySourceArn, ActionNames,
ResourceArns, decisions ``allowed`` / ``implicitDeny`` / ``explicitDeny``. Not emulated: context
entries, permission boundaries, resource policies, MatchedStatements (always empty).
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.wrappers import Request, Response

from .edge import CloudContext, signature_of
from .iam_enforcement import Decision, MotoIdentities, Principal, evaluate

_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
_DECISIONS = {Decision.ALLOW: "allowed", Decision.IMPLICIT_DENY: "implicitDeny", Decision.EXPLICIT_DENY: "explicitDeny"}


def _members(params: dict[str, list[str]], name: str) -> list[str]:
    keys = sorted((k for k in params if k.startswith(f"{name}.member.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    return [params[k][0] for k in keys]


def _error(code: str, message: str, status: int) -> Response:
    body = (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Response(body, status=status, content_type="text/xml")


class IamSimulationPlane:
    """Answers IAM SimulatePrincipalPolicy from the local cloud's own policy evaluation."""

    def __init__(self, ctx: CloudContext) -> None:
        self.ctx = ctx

    def matches(self, request: Request) -> bool:
        if request.method != "POST":
            return False
        sig = signature_of(request)
        return sig is not None and sig.service == "iam" and b"Action=SimulatePrincipalPolicy" in request.get_data()

    def handle(self, request: Request) -> Response:
        params = parse_qs(request.get_data().decode("utf-8"))
        source = params.get("PolicySourceArn", [""])[0]
        actions = _members(params, "ActionNames")
        resources = _members(params, "ResourceArns") or ["*"]
        if not actions:
            return _error("ValidationError", "1 validation error detected: ActionNames must not be empty", 400)
        kind, _, name = source.partition(":")[2].rpartition(":")[2].partition("/")
        if kind not in ("role", "user") or not name:
            return _error("InvalidInput", f"Invalid ARN: {source}. Use the ARN of an IAM user or role.", 400)
        name = name.rsplit("/", 1)[-1]  # a path may precede the name
        iam = self.ctx.backend("iam")
        try:
            iam.get_role(name) if kind == "role" else iam.get_user(name)
        except Exception:  # noqa: BLE001 - moto raises its own not-found type
            return _error("NoSuchEntity", f"The {kind} with name {name} cannot be found.", 404)
        documents = MotoIdentities(self.ctx.account_id).documents(Principal(kind, name, ""))
        members = []
        for action in actions:
            for resource in resources:
                decision = _DECISIONS[evaluate(documents, action, resource)]
                members.append(
                    f"<member><EvalActionName>{escape(action)}</EvalActionName>"
                    f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
                    f"<EvalDecision>{decision}</EvalDecision><MatchedStatements/><MissingContextValues/>"
                    "</member>"
                )
        body = (
            f'<SimulatePrincipalPolicyResponse xmlns="{_NS}"><SimulatePrincipalPolicyResult>'
            f"<IsTruncated>false</IsTruncated><EvaluationResults>{''.join(members)}</EvaluationResults>"
            f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
            "</ResponseMetadata></SimulatePrincipalPolicyResponse>"
        )
        return Response(body, content_type="text/xml")

    def close(self) -> None:
        pass
