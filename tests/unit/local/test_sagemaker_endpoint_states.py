"""The local SageMaker's endpoint states and deployed models without a cloud (workshop_lib/local/sagemaker/
endpoint_states.py, models.py): an update's outcome runs when Updating ends, never over a Failed endpoint nor a
deleted one; an update's model is staged, then promoted, and every discarded model's folder is removed. moto
in-process, a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop_lib.local.core.moto_seam import MotoBackends
from workshop_lib.local.core.timing import Timing, TimingSettings
from workshop_lib.local.sagemaker.endpoint_states import ENDPOINT_UPDATE, EndpointStates
from workshop_lib.local.sagemaker.models import ModelStore, ServedModel

REGION = "us-east-1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def backends(moto_conn) -> MotoBackends:
    sm = moto_conn.client("sagemaker")
    role = f"arn:aws:iam::{moto_conn.account_id}:role/r"
    sm.create_model(ModelName="m", ExecutionRoleArn=role, PrimaryContainer={"Image": "i", "ModelDataUrl": "s3://b/k"})
    for config in ("c1", "c2"):
        variant = {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1,
                   "InstanceType": "ml.t2.medium"}  # fmt: skip
        sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="c1")
    return MotoBackends(moto_conn.account_id, REGION)


def _states(backends: MotoBackends) -> tuple[EndpointStates, FakeClock]:
    clock = FakeClock()
    return EndpointStates(Timing(TimingSettings("aws", 1.0, 5), clock), backends), clock


def test_update__updating_with_the_new_config_until_its_time_then_the_outcome_runs_once(backends):
    states, clock = _states(backends)
    ran: list[str] = []
    states.update(REGION, "ep", "c2", lambda: ran.append("switched"))
    assert (states.status(REGION, "ep", "InService"), states.new_config(REGION, "ep")) == ("Updating", "c2")
    clock.now += ENDPOINT_UPDATE.low - 0.1
    states.expire()
    assert ran == [] and states.status(REGION, "ep", "InService") == "Updating"
    clock.now += ENDPOINT_UPDATE.high
    states.expire()
    states.expire()
    assert ran == ["switched"]
    assert (states.status(REGION, "ep", "InService"), states.new_config(REGION, "ep")) == ("InService", None)


def test_update__the_outcome_never_runs_over_a_failed_endpoint(backends):
    states, clock = _states(backends)
    ran: list[str] = []
    states.update(REGION, "ep", "c2", lambda: ran.append("switched"))
    backends.set_endpoint_status("ep", REGION, "Failed", "the reason")
    clock.now += ENDPOINT_UPDATE.high + 1
    states.expire()
    assert ran == []
    endpoint = backends.endpoint("ep", REGION)
    assert endpoint is not None and endpoint.status == "Failed"


def test_update__a_deletion_while_updating_drops_the_outcome(backends):
    states, clock = _states(backends)
    ran: list[str] = []
    states.update(REGION, "ep", "c2", lambda: ran.append("switched"))
    states.delete(REGION, "ep")
    assert states.status(REGION, "ep", "InService") == "Deleting"
    clock.now += 1000
    states.expire()
    assert ran == [] and backends.endpoint("ep", REGION) is None


def test_update__with_the_timing_off_the_outcome_runs_before_the_call_returns(backends):
    states = EndpointStates(Timing(), backends)
    ran: list[str] = []
    states.update(REGION, "ep", "c2", lambda: ran.append("switched"))
    assert ran == ["switched"] and states.status(REGION, "ep", "InService") == "InService"


def _served(root: Path, config: str) -> ServedModel:
    directory = root / config
    directory.mkdir(parents=True)
    return ServedModel(config, "AllTraffic", "m", "s3://b/k", loaded=None, directory=directory)  # type: ignore[arg-type]


def test_model_store__a_staged_model_serves_once_promoted_and_the_old_ones_folder_is_removed(backends, tmp_path):
    store = ModelStore(backends, tmp_path, lambda *_: None)
    old, new = _served(tmp_path, "c1"), _served(tmp_path, "c2")
    store.put(REGION, "ep", old)
    store.stage(REGION, "ep", new)
    assert store.serving(REGION, "ep") is old  # the old model serves while the update is pending
    assert store.promote(REGION, "ep") is new
    assert store.serving(REGION, "ep") is new and not old.directory.exists() and new.directory.exists()
    assert store.promote(REGION, "ep") is None  # nothing staged any more
    assert store.serving(REGION, "ep") is new


def test_model_store__forget_discards_the_serving_and_the_staged_model(backends, tmp_path):
    store = ModelStore(backends, tmp_path, lambda *_: None)
    serving, staged = _served(tmp_path, "c1"), _served(tmp_path, "c2")
    store.put(REGION, "ep", serving)
    store.stage(REGION, "ep", staged)
    store.forget(REGION, "ep")
    assert store.serving(REGION, "ep") is None and store.promote(REGION, "ep") is None
    assert not serving.directory.exists() and not staged.directory.exists()
