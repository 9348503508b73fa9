"""A class on a local cloud keeping AWS's timing (at a tenth of its delays and rate-limit windows): prepare and
clear meet API Gateway's account-wide quotas, learn them from the 429 answers (Retry-After), pace themselves,
and finish; nothing of the class is left."""

from __future__ import annotations

import io
import math
import uuid

import pytest

from tests.local_cloud.core.timed_cloud import running_timed_cloud
from workshop_lib import api_quotas
from workshop_lib.classroom import connections
from workshop_lib.classroom.clear import clear_class
from workshop_lib.classroom.prepare import new_roster, prepare_class
from workshop_lib.config import ENV_STATE_DIR
from workshop_lib.local.apigateway.quotas import DELETE_REST_API

SCALE = 0.1


@pytest.fixture(scope="module")
def timed_class(tmp_path_factory):
    state = tmp_path_factory.mktemp("class-timed-cloud")
    with running_timed_cloud(state, SCALE) as cloud, pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_STATE_DIR, str(state))  # connect("local") finds this cloud
        tag = uuid.uuid4().hex[:4]
        the_class = new_roster(
            [f"t{tag}-{i}" for i in range(2)],
            "local",
            cloud.region,
            shared=True,
            from_step="08_2a",
            directory=tmp_path_factory.mktemp("timed-class"),
        )
        yield the_class


def test_prepare_then_clear__paced_by_the_quotas_the_account_enforces(timed_class):
    prepared = prepare_class(timed_class, workers=2, out=io.StringIO(), bars=False)
    assert prepared.ok, str(prepared)
    base = connections.class_connection(timed_class)

    cleared = clear_class(timed_class, workers=2, out=io.StringIO())
    assert cleared.ok, str(cleared)
    assert all(cleared.deleted[name] for name in timed_class.names())
    # Two DeleteRestApi at once: the account refused some (429, Retry-After), so clear paced them from then on,
    # at the Retry-After the cloud sent: within the scaled window, never AWS's full 30 s.
    paced = api_quotas.pacer(base, "delete_rest_api")
    assert paced is not None
    assert 0 < paced.interval <= max(1, math.ceil(DELETE_REST_API.per_seconds * SCALE))
