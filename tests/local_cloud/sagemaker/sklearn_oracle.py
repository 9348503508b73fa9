"""The conformance suite's oracle: AWS's scikit-learn container serving code (image 1.2-1), run on this machine.

``oracle_environment()`` makes (once, then reuses) a Python 3.9 virtual environment with sagemaker-containers
2.8.6.post2 from PyPI and the versions the 1.2-1 image pins (``ORACLE_PINS``), under a cache directory. The first
build downloads about 90 MB and takes about a minute; later runs find it ready. It returns the reason instead
when it cannot be had (no Python 3.9, no network to PyPI), for the tests to skip with.

``OracleContainer`` runs one model the way a SageMaker instance does: the model.tar.gz extracted into
``<base>/model`` (the container's /opt/ml/model), the model's Environment set, then the image's ``serve``
(container_oracle/serve.py: sagemaker-containers' server start, which pip-installs the code directory and runs
gunicorn on container_oracle/sklearn_serving.py). Each container gets a Python environment of its own that reads
the cached one's packages (a ``.pth`` file), so the code it pip-installs stays with it and containers can start
side by side. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import http.client
import io
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

DRIVER_DIR = Path(__file__).parent / "container_oracle"
ORACLE_PYTHON_ENV = "WORKSHOP_ORACLE_PYTHON"  # a Python 3.9 to use instead of searching for one
# What the 1.2-1 image's requirements.txt pins, for the packages its serving path imports (scikit-learn, pandas and
# the multi-model server are left out: no case uses them). setuptools < 70 keeps pkg_resources, which
# sagemaker-containers imports; zope.event 5 is the one gevent 23.9 was released with.
ORACLE_PINS = (
    "sagemaker-containers==2.8.6.post2",
    "Flask==1.1.1",
    "Werkzeug==2.0.3",
    "itsdangerous==2.0.1",
    "jinja2==3.0.3",
    "MarkupSafe==2.1.1",
    "gunicorn==23.0.0",
    "gevent==23.9.1",
    "zope.event==5.0",
    "numpy==1.24.1",
    "scipy==1.8.0",
    "six==1.15.0",
    "retrying==1.3.3",
    "boto3==1.28.57",
    "urllib3==1.26.17",
    "psutil==5.7.2",
    "protobuf==3.20.2",
    "python-dateutil==2.8.1",
    "setuptools<70",
    "wheel",
)
CONTAINER_ROOT = "/opt/ml"
RETRY_BUILD_AFTER_S = 3600


def find_python39() -> str | None:
    """A Python 3.9 interpreter: $WORKSHOP_ORACLE_PYTHON, python3.9 on PATH, or one of pyenv's."""
    candidates = [os.environ.get(ORACLE_PYTHON_ENV), shutil.which("python3.9")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9")), reverse=True)
    for candidate in candidates:
        if not candidate:
            continue
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 9))"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == "True":
            return candidate
    return None


@dataclass(frozen=True)
class OracleEnvironment:
    python: Path  # the cached environment's interpreter
    site_packages: Path


def oracle_environment(cache_dir: Path) -> OracleEnvironment | str:
    """The cached oracle environment (built on first use, under a lock), or why it cannot be had."""
    if os.name != "posix":
        return "the container's serving stack (gunicorn) runs on Linux and macOS only, as the container itself does"
    import fcntl  # POSIX only: the check above keeps Windows out

    python39 = find_python39()
    if python39 is None:
        return f"no Python 3.9 found (python3.9 on PATH, ~/.pyenv/versions/3.9*, or ${ORACLE_PYTHON_ENV})"
    key = hashlib.sha256("\n".join((*ORACLE_PINS, os.path.realpath(python39))).encode()).hexdigest()[:12]
    venv = cache_dir / f"venv-{key}"
    ready = venv / "oracle-ready"
    cache_dir.mkdir(parents=True, exist_ok=True)
    failed = cache_dir / f"venv-{key}.failed"  # a failed build is not tried again for an hour
    with open(cache_dir / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time, also across pytest-xdist workers
        if not ready.exists():
            if failed.exists() and time.time() - failed.stat().st_mtime < RETRY_BUILD_AFTER_S:
                return failed.read_text() + f" (not retried before an hour has passed: delete {failed} to retry now)"
            shutil.rmtree(venv, ignore_errors=True)
            problem = _build(python39, venv)
            if problem:
                shutil.rmtree(venv, ignore_errors=True)
                failed.write_text(problem)
                return problem
            failed.unlink(missing_ok=True)
            ready.write_text("\n".join(ORACLE_PINS) + "\n")
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return OracleEnvironment(python, Path(site))


def _build(python39: str, venv: Path) -> str | None:
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    steps = ([python39, "-m", "venv", str(venv)], [*pip, "--retries", "2", "--timeout", "20", *ORACLE_PINS])
    for step in steps:
        try:
            out = subprocess.run(step, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return f"building the oracle environment timed out: {' '.join(step[:4])} ..."
        if out.returncode != 0:
            lines = [line for line in (out.stdout + out.stderr).splitlines() if line and not line.startswith("WARN")]
            tail = "\n".join(lines[-3:])
            return f"could not install the oracle from PyPI ({' '.join(step[:4])} ...): {tail}"
    return None


@dataclass(frozen=True)
class Answer:
    """One HTTP answer of a container."""

    status: int
    content_type: str
    body: bytes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _container_path(value: str, base: Path) -> str:
    """A path of the model's Environment, moved from /opt/ml to this container's base directory."""
    if value == CONTAINER_ROOT or value.startswith(CONTAINER_ROOT + "/"):
        return str(base) + value[len(CONTAINER_ROOT) :]
    return value


class OracleContainer:
    """One model served by the scikit-learn container's code, on 127.0.0.1."""

    def __init__(
        self, env: OracleEnvironment, artifact: bytes, environment: dict[str, str], root: Path, workers: int = 1
    ) -> None:
        self.root = root
        self.base = root / "opt" / "ml"
        self.port = _free_port()
        self.log_path = root / "container.log"
        (self.base / "model").mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(artifact), mode="r:gz") as tar:
            tar.extractall(self.base / "model", filter="data")
        python = self._own_python(env)
        variables = {k: _container_path(v, self.base) for k, v in environment.items()}
        variables.update(
            PATH=f"{python.parent}{os.pathsep}{env.python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            HOME=str(root),
            SAGEMAKER_BASE_DIR=str(self.base),
            SAGEMAKER_USE_NGINX="false",
            SAGEMAKER_BIND_TO_PORT=str(self.port),
            SAGEMAKER_SERVING_MODULE="sklearn_serving:main",
            SAGEMAKER_MODEL_SERVER_WORKERS=str(workers),
            ORACLE_BIND_HOST="127.0.0.1",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            PIP_NO_INPUT="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(python), str(DRIVER_DIR / "serve.py")],
                cwd=root,
                env=variables,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _own_python(self, env: OracleEnvironment) -> Path:
        """A bare virtual environment of its own that also reads the cached environment's packages."""
        own = self.root / "venv"
        subprocess.run([str(env.python), "-m", "venv", "--without-pip", str(own)], check=True, capture_output=True)
        site = subprocess.run(
            [str(own / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        Path(site, "oracle_packages.pth").write_text(f"import site; site.addsitedir({str(env.site_packages)!r})\n")
        return own / "bin" / "python"

    def health(self, timeout_s: float = 90.0) -> str:
        """What SageMaker's health check finds: "healthy" (/ping 200), "unhealthy" (/ping answers another status)
        or "exited" (the server stopped)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return "exited"
            with contextlib.suppress(OSError):
                answer = self.request("GET", "/ping")
                return "healthy" if answer.status == 200 else "unhealthy"
            time.sleep(0.1)
        raise TimeoutError(f"the oracle container did not answer /ping in {timeout_s:.0f} s:\n{self.log()}")

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Answer(resp.status, resp.getheader("Content-Type") or "", resp.read())
        finally:
            conn.close()

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Answer:
        headers = {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        return self.request("POST", "/invocations", body, headers)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Kill the server and its gunicorn (one process group); nothing of it needs a graceful end."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
