"""The moto internals authentication reads (workshop_lib/local/core/moto_seam/iam.py), one test each: an access key's
secret, session token and expiry, a role's trust policy and MaxSessionDuration, a user's ID. moto runs in-process.
"""

from __future__ import annotations

import json
import time

import moto
import pytest

from workshop_lib.local.core.moto_seam import MotoBackends, MotoIdentities

REGION = "us-east-1"
TRUST = json.dumps(
    {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}]}
)


def changed(internal: str) -> str:
    return f"moto {moto.__version__} changed {internal}: update workshop_lib/local/core/moto_seam/iam.py"


@pytest.fixture
def identities(moto_conn) -> MotoIdentities:
    return MotoIdentities(moto_conn.account_id)


def test_moto_seam__assumed_role_key_has_its_secret_token_and_expiry(moto_conn, identities):
    role = moto_conn.client("iam").create_role(RoleName="seam-auth", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    before = time.time()
    creds = MotoBackends(moto_conn.account_id, REGION).assume_role(role, "seam", 900, REGION)
    assert 890 <= creds.expiration - before <= 910, changed("AssumedRole.expiration (naive UTC)")
    key = identities.signing_key(creds.access_key_id)
    assert key is not None, changed("STS get_assumed_role_from_access_key")
    assert (key.secret_key, key.session_token) == (creds.secret_access_key, creds.session_token), changed(
        "AssumedRole.secret_access_key / session_token"
    )
    assert key.expires_at == creds.expiration and key.role_arn == role
    assert key.principal.arn.endswith(":assumed-role/seam-auth/seam")


def test_moto_seam__user_access_key_has_its_secret_and_status(moto_conn, identities):
    iam = moto_conn.client("iam")
    iam.create_user(UserName="seam-user")
    created = iam.create_access_key(UserName="seam-user")["AccessKey"]
    key = identities.signing_key(created["AccessKeyId"])
    assert key is not None and key.secret_key == created["SecretAccessKey"], changed("AccessKey.secret_access_key")
    assert key.active and key.session_token is None and key.principal.kind == "user"
    iam.update_access_key(UserName="seam-user", AccessKeyId=created["AccessKeyId"], Status="Inactive")
    assert not identities.signing_key(created["AccessKeyId"]).active, changed("AccessKey.status")
    assert identities.user_id("seam-user") == iam.get_user(UserName="seam-user")["User"]["UserId"], changed("User.id")
    assert identities.signing_key("AKIANOSUCHKEY0000000") is None


def test_moto_seam__role_by_arn_has_its_trust_policy_and_max_session_duration(moto_conn, identities):
    iam = moto_conn.client("iam")
    arn = iam.create_role(RoleName="seam-trust", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=7200)["Role"]["Arn"]
    role = identities.role(arn)
    assert role is not None, changed("IAMBackend.get_role_by_arn")
    assert json.loads(role.trust_policy) == json.loads(TRUST), changed("Role.assume_role_policy_document")
    assert role.max_session_duration_s == 7200, changed("Role.max_session_duration")
    assert identities.role(arn + "-missing") is None
