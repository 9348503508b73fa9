"""May this caller assume this role? AWS's answer for AssumeRole within one account, from the one policy engine.

The role's trust policy is a resource-based policy on the role: its ``Principal`` names who may assume it. Within
one account (STS's AssumeRole reference: "To allow a user to assume a role in the same account, you can do either
of the following: attach a policy to the user that allows the user to call AssumeRole (as long as the role's trust
policy trusts the account), or add the user as a principal directly in the role's trust policy"):

- a trust policy statement that names the caller itself (an IAM user's ARN; for a role session, the role's ARN or
  the session's ARN) allows it, whatever the caller's own policies say;
- a statement that trusts the account (``arn:aws:iam::{account}:root``, the bare account ID, or ``*``) allows it
  only when the caller's identity-based policies also allow ``sts:AssumeRole`` on the role;
- an explicit Deny in either policy denies; anything else is an implicit deny.

Conditions of the trust policy are evaluated with the request's keys: ``sts:ExternalId`` (when the caller passed
one), ``sts:RoleSessionName``, ``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalType``, and
``aws:username`` for an IAM user. The local admin is an account principal with every permission: it may assume a
role whose trust policy trusts the account, not one that trusts only a service such as ``lambda.amazonaws.com``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.policy import Decision, Document, PolicyRequest, decide, evaluate
from ..core.records import SigningKey

ACTION = "sts:AssumeRole"
_PRINCIPAL_TYPES = {"role": "AssumedRole", "user": "User", "admin": "User"}


def trust_context(caller: SigningKey, account_id: str, session_name: str, external_id: str | None) -> dict[str, str]:
    """The condition keys AWS gives a trust policy for this AssumeRole request (lower-cased)."""
    principal = caller.principal
    context = {
        "aws:principalarn": caller.role_arn or principal.arn,
        "aws:principalaccount": account_id,
        "aws:principaltype": _PRINCIPAL_TYPES.get(principal.kind, "User"),
        "sts:rolesessionname": session_name,
    }
    if principal.kind == "user":
        context["aws:username"] = principal.name
    if external_id is not None:
        context["sts:externalid"] = external_id
    return context


def assume_role_decision(
    trust_policy: Document,
    caller: SigningKey,
    identity_documents: Iterable[Document],
    role_arn: str,
    account_id: str,
    context: dict[str, str],
) -> Decision:
    """ALLOW, or the deny AWS answers AssumeRole with (explicit when a Deny applied)."""
    aliases = (caller.role_arn,) if caller.role_arn else ()
    named = decide([trust_policy], PolicyRequest(ACTION, None, caller.principal.arn, context, aliases))
    account = decide(
        [trust_policy],
        PolicyRequest(ACTION, None, caller.principal.arn, context, (*aliases, f"arn:aws:iam::{account_id}:root")),
    )
    admin = caller.principal.kind == "admin"  # every permission
    identity = Decision.ALLOW if admin else evaluate(identity_documents, ACTION, role_arn)
    if Decision.EXPLICIT_DENY in (account, identity):
        return Decision.EXPLICIT_DENY
    if named is Decision.ALLOW:
        return Decision.ALLOW
    if account is Decision.ALLOW and identity is Decision.ALLOW:
        return Decision.ALLOW
    return Decision.IMPLICIT_DENY
