"""How a Lambda worker process is made: its code on disk, its command line, its environment, and AWS's words
for how it ended.

Its code is the zip the Lambda API stored for the function (moto's copy, identified by CodeSha256), extracted
into the cloud's scratch folder; its environment is the one AWS sets, plus the function's variables, plus
temporary credentials of the function's execution role and AWS_ENDPOINT_URL pointing at the local cloud. Its
command runs this Python with a runtime client: the kit's ``runtime_client/bootstrap.py`` or AWS's
``awslambdaric`` (Linux only).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from ...config import ENV_LAMBDA_RUNTIME_CLIENT
from ...naming import RESERVED_ENV_NAMES
from ..core.records import TemporaryCredentials
from .exceptions import InvalidZipFileException, RuntimeClientUnavailable
from .models import FunctionSpec

BOOTSTRAP = Path(__file__).with_name("runtime_client") / "bootstrap.py"

# Set by Lambda; a function's own variables cannot replace them (AWS refuses them at create time).
RESERVED_VARIABLES = RESERVED_ENV_NAMES
# What a Python process needs from the host to start at all (nothing else of the learner's shell).
_HOST_VARIABLES = ("PATH", "SYSTEMROOT", "SystemRoot", "WINDIR", "COMSPEC", "PATHEXT", "TEMP", "TMP", "TMPDIR")
_HOST_VARIABLES += ("LD_LIBRARY_PATH",)
_SIGNALS = {
    1: "hangup",
    2: "interrupt",
    3: "quit",
    4: "illegal instruction",
    5: "trace/breakpoint trap",
    6: "aborted",
    7: "bus error",
    8: "floating point exception",
    9: "killed",
    11: "segmentation fault",
    13: "broken pipe",
    15: "terminated",
}



def platform_error(error_type: str, request_id: str, message: str) -> bytes:
    """An error document written by the Lambda service itself (not the runtime), as AWS shapes it."""
    doc = {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {message}"}
    return json.dumps(doc, separators=(",", ":")).encode()


RESPONSE_TOO_LARGE = json.dumps(
    {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
).encode()


def describe_exit(returncode: int) -> str:
    """AWS's words for how the runtime process ended (from the exit code or the signal)."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        return f"Runtime exited with error: signal: {_SIGNALS.get(-returncode, str(-returncode))}"
    return f"Runtime exited with error: exit status {returncode}"



def check_runtime_client(choice: str) -> None:
    """Raise RuntimeClientUnavailable when the runtime client chosen cannot run on this machine."""
    if choice == "awslambdaric" and (
        importlib.util.find_spec("awslambdaric") is None or importlib.util.find_spec("runtime_client") is None
    ):
        raise RuntimeClientUnavailable(
            f"{ENV_LAMBDA_RUNTIME_CLIENT}=awslambdaric, but awslambdaric is not installed (it ships Linux wheels "
            f"only): unset {ENV_LAMBDA_RUNTIME_CLIENT} to use the kit's portable runtime client"
        )


def extract_code(spec: FunctionSpec, root: Path) -> Path:
    """The task root: the stored zip extracted once per code version (root/<name>/<sha256 hex>)."""
    digest = spec.code_digest or "unknown"
    target = root / spec.name / digest
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(spec.code)) as archive:
            base = staging.resolve()
            for member in archive.infolist():
                dest = (staging / member.filename).resolve()
                if dest != base and base not in dest.parents:
                    raise InvalidZipFileException(
                        f"the package holds a path outside the task root: {member.filename!r}"
                    )
            archive.extractall(staging)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidZipFileException(f"the deployment package of {spec.name} is not a valid zip file: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        os.replace(staging, target)
    except OSError:  # another worker extracted it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _timezone() -> str:
    return "UTC" if os.name == "nt" else ":UTC"  # AWS sets ":UTC"; the Windows C runtime wants a bare name


def worker_environment(
    spec: FunctionSpec,
    *,
    api_address: str,
    log_group: str,
    log_stream: str,
    credentials: TemporaryCredentials,
    endpoint_url: str,
    task_root: Path,
    scratch: Path,
    telemetry_fd: str | None = None,
) -> dict[str, str]:
    """The variables a worker sees: the host's bare minimum, the function's own, then AWS's."""
    env = {name: os.environ[name] for name in _HOST_VARIABLES if name in os.environ}
    env |= {"LANG": "en_US.UTF-8", "TZ": _timezone()}
    env |= {name: value for name, value in spec.environment if name not in RESERVED_VARIABLES}
    env |= {
        "_HANDLER": spec.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        # The local cloud, for every AWS SDK call the handler makes, whatever the learner's config says.
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
    }
    if telemetry_fd is not None:  # the runtime's log channel; the runtime client removes it from os.environ
        env["_LAMBDA_TELEMETRY_LOG_FD"] = telemetry_fd
    return env


def worker_command(runtime_client: str, handler: str) -> list[str]:
    """The worker's command line: this Python, UTF-8 mode (as LANG=en_US.UTF-8 on AWS), no user
    site-packages, no .pyc files written into the task root (read-only on AWS)."""
    base = [sys.executable, "-s", "-B", "-X", "utf8"]
    if runtime_client == "awslambdaric":
        return [*base, "-m", "awslambdaric", handler]
    return [*base, str(BOOTSTRAP), handler]

