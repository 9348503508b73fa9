"""IAM's eventual consistency: a role's policy change reaches its callers seconds later, a new role is not usable
at once. Applied with the timing model on (``core/timing.py``); see docs/aws-timing.md.

AWS source: IAM User Guide, "Troubleshoot IAM", section "Changes that I make are not always immediately visible":
IAM is eventually consistent; a change (a policy attached or removed, a role created) takes time to reach every
service, and applications must not depend on it being immediate.

- A role's identity-policy change (PutRolePolicy, DeleteRolePolicy, AttachRolePolicy, DetachRolePolicy) takes
  effect for that role's callers ``POLICY_CHANGE`` (2 to 8 s) later. Until then the IAM guard evaluates the role's
  previous policy set: an added permission does not allow yet, a removed one still allows. Several changes in a row
  take effect in order.
- A role created moments ago (``NEW_ROLE``: 3 to 10 s) cannot be passed to a service yet: Lambda's CreateFunction
  and SageMaker's CreateModel refuse it with their own errors (``awslambda/role_check.py``,
  ``sagemaker/role_check.py``).

Not emulated: propagation of users' and groups' policies, of a managed policy's new default version
(CreatePolicyVersion), of trust-policy changes, and of deletions of roles (their credentials stop at once).
"""

from __future__ import annotations

from ..core.moto_seam import MotoIdentities
from ..core.propagation import Deadlines, Propagation
from ..core.records import Principal
from ..core.timing import Delay, Timing

_SOURCE = 'IAM User Guide, "Troubleshoot IAM": "Changes that I make are not always immediately visible"'
POLICY_CHANGE = Delay(2.0, 8.0, _SOURCE)
NEW_ROLE = Delay(3.0, 10.0, _SOURCE)


class RolePolicies:
    """The IAM guard's policy lookup: a principal's policy documents as its calls see them now."""

    def __init__(self, timing: Timing, identities: MotoIdentities) -> None:
        self.identities = identities
        self._changes: Propagation[str, list[str]] = Propagation(timing, POLICY_CHANGE)

    def documents(self, principal: Principal) -> list[str]:
        """A role's previous policy set while a change of it propagates; otherwise the current one, read fresh."""
        if principal.kind == "role":
            propagating, documents = self._changes.seen(principal.name)
            if propagating and documents is not None:
                return documents
        return self.identities.documents(principal)

    def changed(self, role_name: str, before: list[str]) -> float:
        """Record that ``role_name``'s policies changed (``before``: what its callers saw); returns when the new set
        takes effect."""
        after = self.identities.documents(Principal("role", role_name, ""))
        return self._changes.change(role_name, before, after)


class NewRoles:
    """Roles created moments ago, which services cannot assume yet."""

    def __init__(self, timing: Timing) -> None:
        self._new: Deadlines[str] = Deadlines(timing, NEW_ROLE)

    def created(self, role_name: str) -> None:
        self._new.start(role_name)

    def assumable(self, role_arn: str) -> bool:
        """Whether a service could assume the role of this ARN (or name) by now, as far as its age goes."""
        return not self._new.active(role_arn.rsplit("/", 1)[-1])
