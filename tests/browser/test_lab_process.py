"""`python kit.py lab` as a learner runs it, without a browser: what it prints, and what Ctrl-C leaves behind."""

from __future__ import annotations

import json
import os

import psutil
import pytest

import workshop_lib as wl
from tests.browser.lab_session import LabProcess
from workshop_lib import lab as lab_module
from workshop_lib import working_copy
from workshop_lib.config import ENV_STATE_DIR
from workshop_lib.local import lifecycle

pytestmark = [
    pytest.mark.local_cloud,
    pytest.mark.skipif(os.name == "nt", reason="Ctrl-C is sent as SIGINT to a process group (POSIX)"),
]

HANDLER = "def lambda_handler(event, context):\n    return {'ok': True}\n"


def _cmdlines(processes: list[psutil.Process]) -> str:
    lines = []
    for p in processes:
        try:
            lines.append(" ".join(p.cmdline()))
        except psutil.NoSuchProcess:
            continue
    return "\n".join(lines)


def test_ctrl_c_stops_jupyterlab_its_kernels_the_local_cloud_and_its_workers(tmp_path, monkeypatch):
    lab = LabProcess(tmp_path)
    try:
        url = lab.start()
        assert url.startswith(f"http://127.0.0.1:{lab.port}/lab?token=")
        assert lab.api("/api/status") is not None
        assert sorted(p.name for p in lab.copy_dir.glob("*.ipynb")) == [
            p.name for p in working_copy.workshop_notebooks()
        ]
        if lab_module.is_root():
            assert "lab: running as root, so JupyterLab is given --allow-root" in lab.lines
        assert any(
            line.startswith("local cloud: http://127.0.0.1:") and line.endswith("(started)") for line in lab.lines
        )

        # A kernel, as opening a notebook starts one; a Lambda worker, as a notebook's request starts one.
        body = json.dumps({"path": "00_setup.ipynb", "type": "notebook", "kernel": {"name": "python3"}}).encode()
        lab.api_post("/api/sessions", body)
        monkeypatch.setenv(ENV_STATE_DIR, str(lab.state_dir))
        conn = wl.connect("local")
        wl.ensure_execution_role(conn=conn)
        wl.deploy_lambda(sources={"lambda_function.py": HANDLER}, conn=conn)
        assert json.loads(conn.client("lambda").invoke(FunctionName=conn.names.function)["Payload"].read()) == {
            "ok": True
        }
        running = lab.processes()
        everything = _cmdlines(running)
        for part in ("-m jupyterlab", "ipykernel_launcher", lifecycle.SERVER_MODULE, "runtime_client/bootstrap.py"):
            assert part in everything, f"{part} is not running:\n{everything}"
    finally:
        code = lab.stop()
        lab.remove_copy()
    assert code == 0, lab.output()
    assert lab.lines[-2:] == [
        "lab: stopping JupyterLab and the local cloud",
        "local cloud: stopped (and every worker it started)",
    ], lab.output()
    _, alive = psutil.wait_procs(running, timeout=15)
    assert not alive, f"still running after Ctrl-C:\n{_cmdlines(alive)}"
    assert lifecycle.status(lab.state_dir) is None


def test_a_local_cloud_that_was_running_is_left_running_and_the_learners_edits_are_kept(tmp_path):
    lab = LabProcess(tmp_path)
    working_copy.ensure(lab.copy_dir)
    edited = lab.copy_dir / "08_2a_update_lambda.ipynb"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Step 1", "Step 1 (my notes)"), encoding="utf-8")
    cloud, started = lifecycle.start(directory=lab.state_dir)
    assert started
    try:
        lab.start()
        assert f"local cloud: {cloud.endpoint_url} (already running: left running)" in lab.lines
        assert f"notebooks: your working copy {lab.copy_dir}" in lab.lines
        assert lab.stop() == 0
        assert lab.lines[-1] == "local cloud: left running, as it was before the lab; `python kit.py down` stops it"
        assert lifecycle.status(lab.state_dir) == cloud
        assert "Step 1 (my notes)" in edited.read_text(encoding="utf-8")
    finally:
        lab.stop()
        lab.remove_copy()
        lifecycle.stop(lab.state_dir)
