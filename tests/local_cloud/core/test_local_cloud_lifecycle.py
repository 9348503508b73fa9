"""`up`, `env`, `status` and `down` as a learner runs them: real processes, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import psutil
import pytest

from workshop_lib.config import ENV_STATE_DIR
from workshop_lib.errors import LocalCloudError
from workshop_lib.local import lifecycle
from workshop_lib.local.core.state import CloudState, read_state, write_state

pytestmark = pytest.mark.local_cloud


def _cli(state_dir, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ENV_STATE_DIR: str(state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "workshop_lib", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _parse_exports(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            out[key] = value
    return out


def test_up_prints_an_environment_that_boto3_uses_to_reach_the_cloud(tmp_path):
    up = _cli(tmp_path, "up")
    assert up.returncode == 0, up.stderr
    env = _parse_exports(up.stdout)
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    state = read_state(tmp_path)
    try:
        assert state is not None and state.is_alive()
        session = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        ddb = session.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"])
        assert ddb.list_tables()["TableNames"] == []
        # A second `up` reuses the running cloud; `env` prints the same variables again.
        again = _cli(tmp_path, "up")
        assert "already running" in again.stdout
        assert _parse_exports(_cli(tmp_path, "env").stdout) == env
        assert _cli(tmp_path, "status").returncode == 0
        # The listening socket is bound to loopback only.
        conns = [c for c in psutil.Process(state.pid).net_connections(kind="tcp") if c.status == "LISTEN"]
        assert conns and all(c.laddr.ip == "127.0.0.1" for c in conns)
    finally:
        down = _cli(tmp_path, "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not psutil.pid_exists(state.pid) or psutil.Process(state.pid).status() == psutil.STATUS_ZOMBIE
    assert read_state(tmp_path) is None
    assert _cli(tmp_path, "status").returncode == 3


def test_up_replaces_a_stale_state_file_whose_process_is_gone(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_state(
        CloudState(port=1, pid=dead.pid, account_id="123456789012", region="us-east-1", started_at=0.0), tmp_path
    )
    state, started = lifecycle.start(region="us-east-1", directory=tmp_path)
    try:
        assert started and state.pid != dead.pid and state.port != 1
    finally:
        assert lifecycle.stop(tmp_path)


def test_env_without_a_running_cloud_says_how_to_start_it(tmp_path):
    result = _cli(tmp_path, "env")
    assert result.returncode == 1
    assert "python -m workshop_lib up" in result.stderr


def test_up_in_another_region_than_the_running_cloud_is_refused(tmp_path):
    lifecycle.start(region="us-east-1", directory=tmp_path)
    try:
        with pytest.raises(LocalCloudError, match="serves region us-east-1"):
            lifecycle.start(region="eu-west-1", directory=tmp_path)
    finally:
        lifecycle.stop(tmp_path)
