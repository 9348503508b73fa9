"""The moto internals of workshop_lib/local/core/moto_seam/iam.py (IAM and STS), one test each."""

from __future__ import annotations

from tests.unit.local.moto_seam.seam import REGION, changed, role
from workshop_lib.local.core.moto_seam import MotoIdentities


def test_moto_seam__sts_assume_role_gives_credentials_the_sts_backend_resolves(moto_conn, backends):
    role_arn = role(moto_conn, "seam-assumed")
    creds = backends.assume_role(role_arn, "seam-session", 900, REGION)
    assumed = backends.backend("sts").get_assumed_role_from_access_key(creds.access_key_id)
    assert assumed is not None and assumed.session_token == creds.session_token, changed("STS assume_role", "iam")
    assert assumed.role_arn == role_arn


def test_moto_seam__iam_roles_and_users_are_found_by_name(moto_conn):
    role(moto_conn, "seam-exists")
    moto_conn.client("iam").create_user(UserName="seam-user-exists")
    identities = MotoIdentities(moto_conn.account_id)
    assert identities.exists("role", "seam-exists") and identities.exists("user", "seam-user-exists"), changed(
        "the iam backend's get_role / get_user", "iam"
    )
    assert not identities.exists("role", "no-such-role") and not identities.exists("user", "no-such-user")
