"""The one policy engine of the local cloud: AWS's evaluation logic for policy documents within one account.

Used by the IAM guard (identity-based policies of the caller), by IAM SimulatePrincipalPolicy (the same), and by
Lambda's resource-policy check (may API Gateway invoke this function for this source ARN?).

A statement applies to a request when
- its ``Principal`` (resource policies only) names the caller: ``"*"``, ``{"AWS": "*"}``, or the caller's
  service principal (``{"Service": "apigateway.amazonaws.com"}``) or ARN, or one of its aliases (a role session's
  role ARN; the account's root ARN, which a 12-digit account ID in ``AWS`` stands for);
- its ``Action`` matches (or its ``NotAction`` does not): ``*`` and ``?`` wildcards, case-insensitive;
- its ``Resource`` matches (or its ``NotResource`` does not): ``*`` and ``?`` wildcards, case-sensitive. A
  resource policy is attached to its resource, so its check passes ``resource=None`` and Resource is not read;
- every condition holds: each key must be in the request's context (keys are case-insensitive) and match one of
  the values by its operator: ``StringEquals``, ``StringLike``, ``StringEqualsIgnoreCase``, ``ArnEquals``,
  ``ArnLike``. Any other operator never holds, and neither does a key the context lacks; the IAM guard gives
  no context at all, so an identity policy statement with a Condition never applies there.

Then an applying ``Deny`` wins (explicit deny), else an applying ``Allow`` allows, else the request is denied
(implicit deny). ``Effect`` is case-sensitive: anything but ``Allow`` or ``Deny`` grants nothing.

Not emulated: policy variables (``${aws:username}``), ``...IfExists`` and negated operators, numeric, date, IP
and boolean operators, ``NotPrincipal``, permissions boundaries, session policies and SCPs.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Statement = Mapping[str, Any]
Document = str | Mapping[str, Any]


class Decision(enum.Enum):
    """The outcome of evaluating policies for one action on one resource."""

    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


@dataclass(frozen=True)
class PolicyRequest:
    """What is asked: an action, on a resource (None: the policy's own resource), by a principal, in a context."""

    action: str
    resource: str | None
    principal: str | None = None  # a service principal or an ARN; None for identity policies (no Principal)
    context: Mapping[str, str] = field(default_factory=dict)  # condition keys, lower-cased
    principal_aliases: tuple[str, ...] = ()  # other names of the caller (a session's role ARN, its account's root)


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = [".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM-style wildcards over the whole value: ``*`` any characters, ``?`` exactly one."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Whether a policy Action pattern (``dynamodb:Put*``, ``*``) matches an action; case-insensitive."""
    return glob_matches(pattern, action, ignore_case=True)


def resource_matches(pattern: str, resource: str) -> bool:
    """Whether a policy Resource pattern matches a resource ARN; case-sensitive, ``*`` and ``?`` wildcards."""
    return glob_matches(pattern, resource)


def as_list(value: Any) -> list[str]:
    """A policy element's values (a string or a list of them); anything else counts for nothing."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> tuple[Statement, ...]:
    """Statements of a policy document's JSON text, parsed once per distinct text (a change is a new text)."""
    try:
        document = json.loads(text)
    except ValueError:
        return ()  # moto validates documents on the way in; an unreadable one grants nothing
    return tuple(statements_of(document)) if isinstance(document, Mapping) else ()


def statements_of(document: Document) -> list[Statement] | tuple[Statement, ...]:
    """The statements of a document (JSON text or a mapping; a single statement object counts as a list of one)."""
    if isinstance(document, str):
        return _parsed(document)
    if not isinstance(document, Mapping):
        return []
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    return [s for s in statements if isinstance(s, Mapping)]


def _account_root(value: str) -> str:
    """A 12-digit account ID in a Principal stands for the account's root ARN, as AWS rewrites it."""
    return f"arn:aws:iam::{value}:root" if len(value) == 12 and value.isdigit() else value


def _principal_matches(element: Any, identifiers: tuple[str, ...]) -> bool:
    if element == "*":
        return True
    if isinstance(element, Mapping):
        aws = [_account_root(v) for v in as_list(element.get("AWS"))]
        if "*" in aws:
            return True
        services = as_list(element.get("Service"))
        return any(name in services or name in aws for name in identifiers)
    return element in identifiers


_OPERATORS = {
    "StringEquals": lambda wanted, actual: actual == wanted,
    "ArnEquals": lambda wanted, actual: actual == wanted,
    "StringLike": lambda wanted, actual: glob_matches(wanted, actual),
    "ArnLike": lambda wanted, actual: glob_matches(wanted, actual),
    "StringEqualsIgnoreCase": lambda wanted, actual: actual.lower() == wanted.lower(),
}


def conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Whether every condition of a statement holds in ``context`` (keys lower-cased)."""
    for operator, entries in conditions.items():
        test = _OPERATORS.get(operator)
        if test is None or not isinstance(entries, Mapping) or not entries:
            return False  # an operator the kit does not evaluate (or an empty one): never treated as satisfied
        for key, expected in entries.items():
            actual = context.get(str(key).lower())
            wanted = [str(e) for e in (expected if isinstance(expected, list) else [expected])]
            if actual is None or not any(test(w, actual) for w in wanted):
                return False
    return True


def _matches_any(statement: Statement, key: str, not_key: str, value: str, test: Any) -> bool | None:
    if key in statement:
        return any(test(p, value) for p in as_list(statement[key]))
    if not_key in statement:
        return not any(test(p, value) for p in as_list(statement[not_key]))
    return None


def applies(statement: Statement, request: PolicyRequest) -> bool:
    """Whether one statement applies to the request (its Effect aside)."""
    if request.principal is not None and not _principal_matches(
        statement.get("Principal"), (request.principal, *request.principal_aliases)
    ):
        return False
    if not _matches_any(statement, "Action", "NotAction", request.action, action_matches):
        return False
    if request.resource is not None and not _matches_any(
        statement, "Resource", "NotResource", request.resource, resource_matches
    ):
        return False
    conditions = statement.get("Condition")
    return not conditions or (isinstance(conditions, Mapping) and conditions_hold(conditions, request.context))


def decide(documents: Iterable[Document], request: PolicyRequest) -> Decision:
    """Evaluate policy documents (JSON text or mappings) for one request."""
    allowed = False
    for document in documents:
        for statement in statements_of(document):
            if not applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def evaluate(
    documents: Iterable[Document], action: str, resource: str, context: Mapping[str, str] | None = None
) -> Decision:
    """Evaluate identity-based policy documents for ``action`` on ``resource`` (no principal; condition keys in
    ``context``, lower-cased, when the caller has any)."""
    return decide(documents, PolicyRequest(action, resource, context=context or {}))
