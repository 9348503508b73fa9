"""Every access key the local cloud accepts, with its secret: the local admin's, the session credentials
GetSessionToken issued, and moto's (IAM users' access keys, AssumeRole's temporary credentials).

The local admin is an identity like the others: its access key ID is ``config.LOCAL_ADMIN_ACCESS_KEY`` and its
secret key is new at every start of the local cloud (``CloudContext.admin_secret_key``, kept in the state file).
It passes IAM enforcement (an administrator), not authentication.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
import time
from dataclasses import replace

from ...config import LOCAL_ADMIN_ACCESS_KEY
from ..core.context import new_secret_key
from ..core.moto_seam import MotoIdentities
from ..core.records import Principal, SigningKey

_KEY_ALPHABET = string.ascii_uppercase + string.digits


def admin_principal(account_id: str) -> Principal:
    """The local admin as the local cloud names it (the ARN moto's GetCallerIdentity answers for it)."""
    return Principal("admin", "admin", f"arn:aws:sts::{account_id}:user/moto")


def _temporary_key_id() -> str:
    return "ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


class CredentialStore:
    """Finds the secret and owner of an access key; issues GetSessionToken's session credentials."""

    def __init__(self, account_id: str, admin_secret_key: str, identities: MotoIdentities) -> None:
        self.account_id = account_id
        self.identities = identities
        self._admin = SigningKey(LOCAL_ADMIN_ACCESS_KEY, admin_secret_key, admin_principal(account_id))
        self._sessions: dict[str, SigningKey] = {}
        self._lock = threading.Lock()

    def lookup(self, access_key: str) -> SigningKey | None:
        """The key's record, None when the local cloud never issued it."""
        if access_key == self._admin.access_key:
            return self._admin
        session = self._sessions.get(access_key)
        return session if session is not None else self.identities.signing_key(access_key)

    def issue_session(self, owner: SigningKey, duration_s: int) -> SigningKey:
        """New session credentials acting as ``owner``'s principal for ``duration_s`` seconds (GetSessionToken)."""
        now = time.time()
        token = base64.b64encode(secrets.token_bytes(96)).decode()
        issued = replace(
            owner,
            access_key=_temporary_key_id(),
            secret_key=new_secret_key(),
            session_token=token,
            expires_at=now + duration_s,
        )
        with self._lock:
            for key in [k for k, s in self._sessions.items() if (s.expires_at or 0) < now - 3600]:
                del self._sessions[key]  # expired over an hour ago: nobody can use it any more
            self._sessions[issued.access_key] = issued
        return issued

    def session_of(self, access_key: str) -> SigningKey | None:
        """Session credentials GetSessionToken issued, by access key."""
        return self._sessions.get(access_key)
