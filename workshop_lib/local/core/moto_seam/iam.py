"""IAM's and STS's internals: STS ``assume_role`` and ``get_assumed_role_from_access_key``, IAM's user, role, group
and policy lookups (``MotoIdentities`` lists them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from moto.backends import get_backend
from moto.iam.exceptions import NotFoundException

from ..records import InvalidCredentials, Principal, RoleRecord, SigningKey, TemporaryCredentials
from .base import BackendAccess


class StsInternals(BackendAccess):
    def assume_role(self, role_arn: str, session_name: str, duration_s: int, region: str) -> TemporaryCredentials:
        creds = self.backend("sts").assume_role(
            region_name=region,
            role_session_name=session_name,
            role_arn=role_arn,
            policy="",
            duration=duration_s,
            external_id="",
        )
        expiration = creds.expiration.replace(tzinfo=UTC).timestamp()  # moto keeps a naive UTC datetime
        return TemporaryCredentials(creds.access_key_id, creds.secret_access_key, creds.session_token, expiration)


class MotoIdentities:
    """Looks up access keys and policies in moto's in-process IAM and STS backends.

    Used: STS ``get_assumed_role_from_access_key`` and the AssumedRole's ``role_arn``, ``session_name``,
    ``session_token``, ``arn``, ``secret_access_key``, ``expiration``; IAM ``get_user_from_access_key_id``,
    ``list_access_keys`` (``access_key_id``, ``secret_access_key``, ``status``), ``get_user(name).id``,
    ``get_role_by_arn`` (``arn``,
    ``name``, ``assume_role_policy_document``, ``max_session_duration``), ``list_role_policies``/``get_role_policy``,
    ``list_attached_role_policies``, ``get_policy_version(arn, default_version_id).document`` and the user and group
    equivalents, ``get_groups_for_user``.
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

    def signing_key(self, access_key: str) -> SigningKey | None:
        """An assumed role's or an IAM user's access key with its secret (and session token, expiry), else None."""
        assumed = self._sts().get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            role = Principal("role", assumed.role_arn.rsplit("/", 1)[-1], assumed.arn)
            expires = assumed.expiration.replace(tzinfo=UTC).timestamp()
            return SigningKey(access_key, assumed.secret_access_key, role, assumed.session_token, expires,
                              role_arn=assumed.role_arn)  # fmt: skip
        iam = self._iam()
        user = iam.get_user_from_access_key_id(access_key)
        if user is None:
            return None
        key = next((k for k in iam.list_access_keys(user.name) if k.access_key_id == access_key), None)
        if key is None:
            return None
        return SigningKey(access_key, key.secret_access_key, Principal("user", user.name, user.arn),
                          active=key.status == "Active")  # fmt: skip

    def user_id(self, name: str) -> str:
        """An IAM user's unique ID (``AIDA...``), empty when there is no such user."""
        try:
            return str(self._iam().get_user(name).id)
        except Exception:  # noqa: BLE001 - moto raises its own not-found type
            return ""

    def role(self, arn: str) -> RoleRecord | None:
        """A role of this account by ARN, None when there is none."""
        try:
            role = self._iam().get_role_by_arn(arn)
        except Exception:  # noqa: BLE001 - moto raises its own not-found type
            return None
        trust = role.assume_role_policy_document
        return RoleRecord(role.arn, role.name, trust if isinstance(trust, str) else "", int(role.max_session_duration))

    def exists(self, kind: str, name: str) -> bool:
        """Whether a role (kind "role") or user of this name exists."""
        iam = self._iam()
        try:
            iam.get_role(name) if kind == "role" else iam.get_user(name)
        except Exception:  # noqa: BLE001 - moto raises its own not-found type
            return False
        return True

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
