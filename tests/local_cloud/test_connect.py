"""connect() to the local cloud: the admin identity on loopback, and a learner using someone else's endpoint."""

from __future__ import annotations

import pytest

import workshop_lib as wl


@pytest.mark.local_cloud
def test_connect__local_target_reaches_the_running_cloud_as_the_admin(local_conn):
    assert local_conn.target == "local"
    assert local_conn.endpoint_url.startswith("http://127.0.0.1:")
    assert local_conn.account_id == "123456789012"
    assert local_conn.describe()["endpoint"] == local_conn.endpoint_url
    assert local_conn.client("dynamodb").list_tables()["TableNames"] is not None
    env = local_conn.environment()
    assert env["AWS_ENDPOINT_URL"] == local_conn.endpoint_url and env["AWS_ACCESS_KEY_ID"].startswith("AKIA")


@pytest.mark.local_cloud
def test_connect__with_an_existing_endpoint_the_workshop_uses_it_as_it_is(local_conn):
    import uuid

    owner = wl.connect("local", local_conn.region, prefix=f"own{uuid.uuid4().hex[:6]}")
    built = wl.deploy_endpoint(conn=owner)
    learner = wl.connect("local", local_conn.region, prefix=f"lrn{uuid.uuid4().hex[:6]}", endpoint=built.name)
    assert learner.names.endpoint == built.name
    assert wl.use_existing_endpoint(built.name, conn=learner).in_service
    assert wl.invoke_endpoint({"text": "Hello AI!"}, conn=learner)["result"] in ("positive", "negative")
    assert wl.render_policy(
        "invoke-endpoint", region=learner.region, account_id=learner.account_id, endpoint=learner.names.endpoint.lower()
    )["Statement"][0]["Resource"].endswith(built.name)
    assert wl.kit_resources(learner) == []  # the learner's clean-up would not delete someone else's endpoint
