"""The IAM calls the timing model must see (``propagation.py``): CreateRole, and the four calls that change a
role's identity policies. Each goes to moto as before; on success the change is recorded."""

from __future__ import annotations

import threading

from werkzeug.wrappers import Request, Response

from ..core.moto_seam import MotoDispatcher
from ..core.records import Principal
from ..core.signing import signed_service
from .actions import query_action
from .propagation import NewRoles, RolePolicies

POLICY_CHANGES = ("PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy")


class RoleChanges:
    """Records new roles and role policy changes made through the local cloud."""

    def __init__(self, policies: RolePolicies, new_roles: NewRoles, moto: MotoDispatcher) -> None:
        self.policies = policies
        self.new_roles = new_roles
        self.moto = moto
        self._lock = threading.Lock()  # one change at a time: its "before" and "after" are read around it

    def matches(self, request: Request) -> bool:
        if request.method != "POST" or signed_service(request) != "iam":
            return False
        action, _ = query_action(request, request.get_data(cache=True))
        return action == "CreateRole" or action in POLICY_CHANGES

    def handle(self, request: Request) -> Response:
        action, params = query_action(request, request.get_data(cache=True))
        role = params.get("RoleName", [""])[0]
        if action == "CreateRole":
            resp = self.moto.answer(request)
            if resp.status_code == 200:
                self.new_roles.created(role)
            return resp
        with self._lock:
            before = self.policies.documents(Principal("role", role, ""))
            resp = self.moto.answer(request)
            if resp.status_code == 200:
                self.policies.changed(role, before)
        return resp

    def close(self) -> None:
        pass
