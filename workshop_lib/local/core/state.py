"""The local cloud's state file: where it listens, which process it is, whether it still runs, and the local admin's
credentials (the secret key is new at every start), and its AWS timing.

The file is written readable by its owner only (mode 0600 on POSIX). On Windows the mode is not applied: the state
folder sits in the learner's profile or project folder, which other users cannot read by default.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from ...config import LOCAL_ADMIN_ACCESS_KEY, STATE_FILE_NAME, state_dir
from .timing import TimingSettings


@dataclass(frozen=True)
class CloudState:
    """What a running local cloud recorded about itself."""

    port: int
    pid: int
    account_id: str
    region: str
    started_at: float  # process create time (seconds since the epoch), guards against pid reuse
    host: str = "127.0.0.1"
    admin_access_key: str = LOCAL_ADMIN_ACCESS_KEY
    admin_secret_key: str = field(default="", repr=False)  # generated at start; empty in a state file of an old kit
    timing_mode: str = "off"  # the timing model the cloud runs with (core/timing.py)
    time_scale: float = 1.0
    time_seed: int | None = None

    @property
    def timing(self) -> TimingSettings:
        return TimingSettings(self.timing_mode, self.time_scale, self.time_seed)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """The standard AWS variables that point any AWS SDK or the AWS CLI at this cloud."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.admin_access_key,
            "AWS_SECRET_ACCESS_KEY": self.admin_secret_key,
        }

    def is_alive(self) -> bool:
        """True when the recorded process still runs (and is the same process, not a reused pid)."""
        try:
            proc = psutil.Process(self.pid)
            return proc.is_running() and abs(proc.create_time() - self.started_at) < 1.0
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False


def state_file(directory: Path | None = None) -> Path:
    return (directory or state_dir()) / STATE_FILE_NAME


def read_state(directory: Path | None = None) -> CloudState | None:
    """The recorded state, or None when there is no (readable) state file."""
    path = state_file(directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CloudState(**data)
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def write_state(state: CloudState, directory: Path | None = None) -> Path:
    """Write the state atomically (a reader never sees half a file), readable by its owner only."""
    path = state_file(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # created private, never readable by others
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(asdict(state), indent=2))
    os.replace(tmp, path)
    return path


def remove_state(directory: Path | None = None, *, pid: int | None = None) -> None:
    """Remove the state file (only if it still names ``pid``, when given)."""
    path = state_file(directory)
    current = read_state(directory)
    if pid is not None and current is not None and current.pid != pid:
        return
    path.unlink(missing_ok=True)


def process_start_time(pid: int) -> float:
    return psutil.Process(pid).create_time()
