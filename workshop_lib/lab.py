"""``python kit.py lab``: the local cloud, then JupyterLab on the learner's working copy; both stop with it.

JupyterLab runs as a child process on 127.0.0.1 with a token of this run, its log in the local cloud's
state folder (jupyterlab.log). As root it gets ``--allow-root`` (JupyterLab refuses root otherwise). On
Ctrl-C, or when JupyterLab exits (File > Shut Down), the kit stops JupyterLab and its kernels, then the
local cloud with every worker it started, if this command started it; a local cloud that was already
running is left running. Portable: no POSIX-only call without a Windows path.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import psutil

from . import lab_cli, working_copy
from .config import ENV_LANG, KIT_ROOT, NOTEBOOKS_DIR, lab_dir, state_dir
from .errors import InvalidInput, WorkshopError
from .i18n import DEFAULT_LANGUAGE, _, set_language
from .local import lifecycle

LOG_NAME = "jupyterlab.log"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
PORT_TRIES = 50  # like JupyterLab's port_retries: 8888, 8889, ...
# Default settings of the kit's JupyterLab (overrides.json): no "get notified about Jupyter news?" prompt, no
# update check; the kit runs offline. The learner's own settings still win over these.
APP_SETTINGS_DIR = Path(__file__).resolve().parent / "lab_settings"


def is_root() -> bool:
    """True for the superuser on POSIX; never on Windows (which has no geteuid)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could listen on ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if os.name != "nt":  # as tornado does: a port in TIME_WAIT is free (on Windows this flag means steal)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(wanted: int | None) -> int:
    """``wanted`` if it is free (else InvalidInput), or the first free port from 8888."""
    if wanted is not None:
        if not port_is_free(wanted):
            raise InvalidInput(
                _("port {port} is in use on 127.0.0.1").format(port=wanted),
                resource=f"port {wanted}",
                fix=_("choose another with --port (or leave it out: the kit takes a free one)"),
            )
        return wanted
    for port in range(lab_cli.DEFAULT_PORT, lab_cli.DEFAULT_PORT + PORT_TRIES):
        if port_is_free(port):
            return port
    raise InvalidInput(
        _("no free port between {first} and {last}").format(
            first=lab_cli.DEFAULT_PORT, last=lab_cli.DEFAULT_PORT + PORT_TRIES - 1
        ),
        resource="port",
        fix=_("stop other Jupyter servers, or give a port with --port"),
    )


def lab_url(port: int, token: str, path: str = "lab") -> str:
    return f"http://127.0.0.1:{port}/{path}?token={token}"


def jupyter_command(port: int, root_dir: Path, *, allow_root: bool) -> list[str]:
    """JupyterLab on 127.0.0.1:``port`` over ``root_dir``, quiet about news and updates (no network needed)."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",  # the kit opens the browser itself, once the server answers
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.app_settings_dir={APP_SETTINGS_DIR}",
    ]
    return [*cmd, "--allow-root"] if allow_root else cmd


def answers(port: int, token: str, timeout: float = 2.0) -> bool:
    """True when the server at ``port`` answers its status API with this token."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_until_ready(proc: subprocess.Popen, port: int, token: str, timeout: float = READY_TIMEOUT_S) -> bool:
    """Wait for JupyterLab to answer; False when it exited or did not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if answers(port, token):
            return True
        time.sleep(0.1)
    return False


def has_display() -> bool:
    """Whether a graphical browser can open here (a console browser would take over the terminal)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_browser(url: str) -> bool:
    if not has_display():
        return False
    with contextlib.suppress(webbrowser.Error):
        return webbrowser.open(url)
    return False


def start_jupyter(
    port: int, root_dir: Path, token: str, log_path: Path, *, allow_root: bool, lang: str = DEFAULT_LANGUAGE
) -> subprocess.Popen:
    """Start JupyterLab in its own process group, so that Ctrl-C reaches the kit, which stops it in order.

    Its kernels inherit $WORKSHOP_LANG = ``lang``: the notebooks' ``lang = ""`` then means that language.
    """
    # The token is in the environment, not on a command line others can read.
    env = {**os.environ, "JUPYTER_TOKEN": token, ENV_LANG: lang}
    kwargs: dict[str, object] = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            jupyter_command(port, root_dir, allow_root=allow_root),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            **kwargs,  # type: ignore[arg-type]
        )


def stop_jupyter(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop JupyterLab (it shuts its kernels down), then end any process of it that is left."""
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: a clean shutdown; on Windows TerminateProcess, hence the sweep below
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for child in descendants:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(descendants, timeout=5)


STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Let the clean-up finish when Ctrl-C is pressed again (or another stop signal comes)."""
    saved = {number: signal.signal(number, signal.SIG_IGN) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM (kill, a container stopping) and SIGHUP (the terminal closed) stop the lab as Ctrl-C does."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    saved = {number: signal.signal(number, interrupt) for number in STOP_SIGNALS if number != signal.SIGINT}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _prepare_copy(
    directory: Path, *, reset: bool, yes: bool, source: Path = NOTEBOOKS_DIR, root: Path = KIT_ROOT
) -> None:
    if reset and directory.exists():
        lost = working_copy.edited(directory, source)
        if lost and not yes:
            if not sys.stdin or not sys.stdin.isatty():
                raise InvalidInput(
                    _("--reset would replace {count} notebooks you changed: {names}").format(
                        count=len(lost), names=", ".join(lost)
                    ),
                    resource=str(directory),
                    fix=_("add --yes to replace them without being asked"),
                )
            answer = input(
                _("Replace {count} notebooks you changed in {folder} ({names})? [y/N] ").format(
                    count=len(lost), folder=directory, names=", ".join(lost)
                )
            )
            if answer.strip().lower() not in ("y", "yes", "c", "có", "co"):
                print(_("lab: nothing replaced"))
                raise SystemExit(1)
        replaced = working_copy.reset(directory, source, root=root)
        print(
            _("notebooks: {folder} renewed from notebooks/ ({count} of your changed notebooks replaced)").format(
                folder=directory, count=len(replaced)
            )
        )
    _report_copy(working_copy.ensure(directory, source, root=root))


def _report_copy(report: working_copy.CopyReport) -> None:
    directory = report.directory
    if report.created:
        print(
            _("notebooks: your working copy {folder} was made from notebooks/ (git-ignored; edit freely)").format(
                folder=directory
            )
        )
    elif report.added:
        print(
            _("notebooks: your working copy {folder} (added: {names})").format(
                folder=directory, names=", ".join(report.added)
            )
        )
    else:
        print(_("notebooks: your working copy {folder}").format(folder=directory))
    if report.outdated:
        print(
            _(
                "notebooks: changed in notebooks/ since your copy was made: {names}; "
                "`python kit.py lab --reset` renews your copy (your edits in those are then lost)"
            ).format(names=", ".join(report.outdated))
        )


def notebook_source(lang: str) -> Path:
    """The notebooks the working copy of ``lang`` is made from: notebooks/, or those built in ``lang``."""
    if lang == DEFAULT_LANGUAGE:
        return NOTEBOOKS_DIR
    from .notebook_translation import build

    folder = KIT_ROOT / "build" / lang / "source"
    build(lang, folder)
    return folder


def run(args: argparse.Namespace) -> int:
    """Run the lab until Ctrl-C or until JupyterLab exits; returns the exit code."""
    lang = set_language(getattr(args, "lang", DEFAULT_LANGUAGE))
    directory = lab_dir(lang)
    _prepare_copy(directory, reset=args.reset, yes=args.yes, source=notebook_source(lang))
    port = choose_port(args.port)
    if is_root():
        print(_("lab: running as root, so JupyterLab is given --allow-root"))
    started = lifecycle.status() is None
    proc: subprocess.Popen | None = None
    try:
        with _stop_signals_interrupt():
            token = secrets.token_hex(24)
            log_path = state_dir() / LOG_NAME
            # JupyterLab starts in the background while the local cloud starts: both take seconds.
            proc = start_jupyter(port, directory, token, log_path, allow_root=is_root() or args.allow_root, lang=lang)
            cloud = lifecycle.start(region=args.region)[0]
            said = (
                _("local cloud: {url} (started)")
                if started
                else _("local cloud: {url} (already running: left running)")
            )
            print(said.format(url=cloud.endpoint_url))
            if not wait_until_ready(proc, port, token):
                print(
                    _("lab: JupyterLab did not start; the end of {log}:").format(log=log_path) + f"\n{_tail(log_path)}",
                    file=sys.stderr,
                )
                return 1
            url = lab_url(port, token)
            print(f"JupyterLab: {url}")
            if args.no_browser or not open_browser(url):
                print(_("lab: open the URL above in your browser"))
            print(
                _("lab: Ctrl-C stops JupyterLab and the local cloud") if started else _("lab: Ctrl-C stops JupyterLab"),
                flush=True,
            )
            return _wait(proc)
    except KeyboardInterrupt:
        return 0
    finally:
        with _no_interrupts():
            _shut_down(proc, started)


def _wait(proc: subprocess.Popen) -> int:
    code = proc.wait()
    print(_("lab: JupyterLab exited (code {code})").format(code=code))
    return 0 if code in (0, -signal.SIGTERM) else code


def _shut_down(proc: subprocess.Popen | None, started: bool) -> None:
    _say("\n" + (_("lab: stopping JupyterLab and the local cloud") if started else _("lab: stopping JupyterLab")))
    if proc is not None:
        stop_jupyter(proc)
    if started:
        lifecycle.stop()
        _say(_("local cloud: stopped (and every worker it started)"))
    else:
        _say(_("local cloud: left running, as it was before the lab; `python kit.py down` stops it"))


def _say(line: str) -> None:
    """Print, unless the terminal is gone (closing its window sends SIGHUP): the clean-up goes on regardless."""
    with contextlib.suppress(OSError, ValueError):
        print(line, flush=True)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return _("(no log)")


def main(argv: list[str] | None = None) -> int:
    args = lab_cli.parse(sys.argv[1:] if argv is None else argv, prog="python -m workshop_lib lab")
    try:
        return run(args)
    except WorkshopError as exc:
        print(_("error: {error}").format(error=exc), file=sys.stderr)
        return 2
