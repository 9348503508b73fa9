"""Start, find and stop the local cloud process, portably (Linux, macOS, Windows)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from ...config import DEFAULT_REGION, state_dir
from ...errors import LocalCloudError
from ...i18n import _
from .state import CloudState, read_state, remove_state, state_file
from .timing import TimingSettings, TimingSettingsError

LOG_FILE_NAME = "local-cloud.log"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
SERVER_MODULE = "workshop_lib.local.core.server"  # run as `python -m SERVER_MODULE --state-dir DIR --region R`


def _answers(state: CloudState, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{state.endpoint_url}/_workshop/health", timeout=timeout) as resp:
            return resp.status == 200 and json.loads(resp.read()).get("status") == "running"
    except (OSError, urllib.error.URLError, ValueError):
        return False


def status(directory: Path | None = None) -> CloudState | None:
    """The running local cloud, or None. A stale state file (process gone) is removed."""
    directory = directory or state_dir()
    state = read_state(directory)
    if state is None:
        return None
    if not state.is_alive():
        remove_state(directory, pid=state.pid)
        return None
    return state


def timing_from_env() -> TimingSettings:
    """The AWS timing the environment asks for (``WORKSHOP_LOCAL_TIMING`` and kin), refused with a clear error."""
    try:
        return TimingSettings.from_env()
    except TimingSettingsError as exc:
        raise LocalCloudError(
            str(exc), fix=_("correct or unset the variable, then start the local cloud again (see docs/aws-timing.md)")
        ) from None


def start(
    region: str | None = None, directory: Path | None = None, timing: TimingSettings | None = None
) -> tuple[CloudState, bool]:
    """Start the local cloud in the background, or reuse the running one.

    ``timing`` is the AWS timing a new cloud runs with (default: what the environment asks for); a running cloud
    is reused with the timing it was started with (its state file and ``status`` say which). Returns the state and
    whether this call started it.
    """
    directory = directory or state_dir()
    region = region or DEFAULT_REGION
    timing = timing or timing_from_env()
    running = status(directory)
    if running is not None:
        _check_reusable(running, region, directory)
        return running, False

    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / LOG_FILE_NAME
    cmd = [sys.executable, "-m", SERVER_MODULE, "--state-dir", str(directory), "--region", region]
    proc = _spawn([*cmd, *timing.server_args()], log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalCloudError(
                f"the local cloud exited during start-up with code {proc.returncode}:\n" + _tail(log_path),
                resource=str(log_path),
                fix=_("read the log above; `python -m workshop_lib status` shows what runs"),
            )
        state = read_state(directory)
        if state is not None and state.pid == proc.pid and _answers(state, timeout=1.0):
            return state, True
        time.sleep(0.05)
    _kill_tree(proc.pid)
    raise LocalCloudError(
        f"the local cloud did not answer within {START_TIMEOUT_S:.0f} s:\n" + _tail(log_path),
        resource=str(log_path),
        fix=_("check the log; on a slow machine run `python -m workshop_lib up` again"),
    )


def _check_reusable(running: CloudState, region: str, directory: Path) -> None:
    """Raise when the running local cloud cannot serve this start (not answering, an older kit's, another region)."""
    if not _answers(running):
        raise LocalCloudError(
            _("a local cloud process (pid {pid}) is recorded but does not answer on {endpoint_url}").format(
                pid=running.pid, endpoint_url=running.endpoint_url
            ),
            resource=str(state_file(directory)),
            fix=_("run `python -m workshop_lib down`, then `python -m workshop_lib up` again"),
        )
    if not running.admin_secret_key:
        raise LocalCloudError(
            _("the running local cloud was started by an older kit: its state file holds no admin secret key"),
            resource=str(state_file(directory)),
            fix=_("run `python -m workshop_lib down`, then `python -m workshop_lib up` again"),
        )
    if running.region != region:
        raise LocalCloudError(
            _("the running local cloud serves region {region}, not {region2}").format(
                region=running.region, region2=region
            ),
            resource=running.endpoint_url,
            fix=_("use region {region!r}, or run `python -m workshop_lib down` first").format(region=running.region),
        )


def _spawn(cmd: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start the server process in the background, its output appended to ``log_path``."""
    kwargs: dict[str, object] = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
    else:
        kwargs["start_new_session"] = True  # not killed by the terminal's Ctrl-C
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            close_fds=True,
            **kwargs,  # type: ignore[arg-type]
        )


def stop(directory: Path | None = None) -> bool:
    """Stop the local cloud and every process it started. Returns False when none was running."""
    directory = directory or state_dir()
    state = status(directory)
    if state is None:
        return False
    try:
        proc = psutil.Process(state.pid)
        children = proc.children(recursive=True)
    except psutil.NoSuchProcess:
        remove_state(directory)
        return False
    try:
        req = urllib.request.Request(f"{state.endpoint_url}/_workshop/shutdown", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=5).close()
    except (OSError, urllib.error.URLError):
        pass  # not answering: fall through to terminating it
    _, alive = psutil.wait_procs([proc], timeout=STOP_TIMEOUT_S)
    if alive:
        _kill_tree(state.pid)
    # Workers the cloud started and did not stop (it should have): end them too.
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(children, timeout=5)
    remove_state(directory, pid=state.pid)
    return True


def _kill_tree(pid: int) -> None:
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    procs = [*root.children(recursive=True), root]
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(procs, timeout=5)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
