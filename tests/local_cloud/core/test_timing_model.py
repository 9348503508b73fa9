"""A local cloud started with the timing model (docs/aws-timing.md) says so: its state, its health answer, `up` and
`status`; a cloud started without it wires none of the model's parts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from workshop_lib.config import ENV_STATE_DIR
from workshop_lib.local.core.timing import ENV_LOCAL_SEED, ENV_LOCAL_TIME_SCALE, ENV_LOCAL_TIMING, TimingSettings

pytestmark = pytest.mark.local_cloud


def _health(endpoint_url: str) -> dict:
    with urllib.request.urlopen(f"{endpoint_url}/_workshop/health", timeout=10) as resp:
        return json.loads(resp.read())


def test_timed_cloud__its_state_and_health_answer_show_the_timing_and_its_rules_are_wired(timed_cloud):
    assert timed_cloud.timing == TimingSettings("aws", 0.1, 12)
    health = _health(timed_cloud.endpoint_url)
    assert health["timing"] == {"mode": "aws", "scale": 0.1, "seed": 12}
    assert {"FunctionRoleCheck", "ModelRoleCheck", "LogsQuotas", "ApiGatewayQuotas"} <= set(health["guards"])
    assert {"DynamoDbTiming", "EndpointControlPlane", "RoleChanges", "PermissionChanges"} <= set(health["planes"])


def _cli(state_dir, *args: str, **timing: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_LOCAL_")}
    env |= {ENV_STATE_DIR: str(state_dir), **timing}
    return subprocess.run(
        [sys.executable, "-m", "workshop_lib", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_up__reads_the_timing_from_its_environment_and_status_shows_it_without_it(tmp_path):
    timing = {ENV_LOCAL_TIMING: "aws", ENV_LOCAL_TIME_SCALE: "0.25", ENV_LOCAL_SEED: "5"}
    up = _cli(tmp_path, "up", **timing)
    try:
        assert up.returncode == 0, up.stderr
        assert "AWS timing aws at scale 0.25 (seed 5)" in up.stdout
        status = _cli(tmp_path, "status")  # a terminal without the variables: the cloud keeps its timing
        assert status.returncode == 0, status.stderr
        assert "AWS timing: aws at scale 0.25 (seed 5)" in status.stdout
    finally:
        assert _cli(tmp_path, "down").returncode == 0


def test_up__a_bad_timing_variable_fails_with_its_name_and_starts_nothing(tmp_path):
    up = _cli(tmp_path, "up", **{ENV_LOCAL_TIMING: "slow"})
    assert up.returncode == 2
    assert f"{ENV_LOCAL_TIMING}='slow' is not a timing mode: use one of off, aws" in up.stderr
    assert _cli(tmp_path, "status").returncode == 3


def test_default_cloud__runs_without_the_timing_and_wires_none_of_its_parts(local_cloud):
    if TimingSettings.from_env().enabled:
        pytest.skip("this session's clouds were started with the timing on (WORKSHOP_LOCAL_TIMING is set)")
    assert local_cloud.timing == TimingSettings()
    health = _health(local_cloud.endpoint_url)
    assert health["timing"] == {"mode": "off", "scale": 1.0, "seed": None}
    assert health["guards"] == ["Authentication", "IamEnforcement"]
    assert not {"DynamoDbTiming", "RoleChanges", "PermissionChanges"} & set(health["planes"])
    assert "EndpointControlPlane" in health["planes"]  # it deploys the endpoints' models, its states take no time
