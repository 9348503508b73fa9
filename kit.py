#!/usr/bin/env python3
"""The kit's launcher: needs only Python 3.11+; the Makefile's targets call it, and so can you.

    python kit.py workshop   run every workshop notebook on the local cloud (the main job); --lang vi: in Vietnamese
    python kit.py test       lint, then the whole test suite
    python kit.py lab        JupyterLab on your copy of the notebooks, with the local cloud
                             (python kit.py lab --help: --port N, --no-browser, --reset, --lang vi, ...)
    python kit.py bench [NAME ...] [-- OPTIONS]   the benchmarks in bench/ (bench/*.py with a main()), or those named
    python kit.py notebooks --strip|--check   strip outputs and volatile metadata from notebooks/*.ipynb
    python kit.py up|down|status|env   the local cloud alone
    python kit.py class prepare|status|reset|clear|plan   an instructor's class (docs/instructor.md)
    python kit.py clean      remove .venv, build/ and the local cloud's state

On first use it creates .venv and installs the pinned dependencies of requirements.lock; it
reinstalls when requirements.lock changes.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
MARKER = VENV / ".kit-installed"
COMMANDS = ("workshop", "test", "lab", "bench", "notebooks", "up", "down", "status", "env", "clean", "setup", "class")
INTERRUPTS_BEFORE_KILL = 3  # Ctrl-C reaches the child too; the kit waits for its clean-up, up to this many


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(cmd: list[str | os.PathLike[str]], **kwargs: object) -> int:
    """Run a child to its end. Ctrl-C reaches it as well (same process group), so the kit waits while it
    cleans up (the lab and the workshop stop the local cloud they started) instead of killing it."""
    proc = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, **kwargs)  # type: ignore[arg-type]
    forwarded = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n) and os.name != "nt"]
    saved = {number: signal.signal(number, lambda number, frame: proc.send_signal(number)) for number in forwarded}
    interrupts = 0
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                interrupts += 1
                if interrupts >= INTERRUPTS_BEFORE_KILL:
                    proc.kill()
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def lab_options(argv: list[str]) -> argparse.Namespace:
    """Parse `lab`'s options before the venv exists: workshop_lib/lab_cli.py is stdlib only, loaded by path
    (importing the package would import boto3). Exits after --help, or naming a bad option."""
    spec = importlib.util.spec_from_file_location("_kit_lab_cli", ROOT / "workshop_lib" / "lab_cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse(argv)


def ensure_venv() -> Path:
    """Create .venv and install the pinned dependencies, unless that is already done."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    py = venv_python()
    if py.exists() and MARKER.exists() and MARKER.read_text().strip() == wanted:
        return py
    if not py.exists():
        print(f"kit: creating {VENV.name}/ with {sys.executable}", flush=True)
        if _run([sys.executable, "-m", "venv", VENV]) != 0:
            sys.exit("kit: could not create the virtual environment (on Debian/Ubuntu: apt install python3-venv)")
    print("kit: installing the pinned dependencies (first run only; a few minutes)", flush=True)
    steps = [
        [py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [py, "-m", "pip", "install", "--quiet", "-r", LOCK],
        [py, "-m", "pip", "install", "--quiet", "--no-deps", "-e", "."],
    ]
    for step in steps:
        if _run(step) != 0:
            sys.exit(f"kit: this step failed: {' '.join(map(str, step))}")
    MARKER.write_text(wanted)
    return py


def benchmarks() -> list[Path]:
    """The benchmark scripts: bench/*.py that define a top-level main() (helpers and baselines do not)."""
    def defines_main(script: Path) -> bool:
        tree = ast.parse(script.read_bytes(), filename=str(script))
        return any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body)

    return [s for s in sorted((ROOT / "bench").glob("*.py")) if defines_main(s)]


def run_benchmarks(py: Path, args: list[str]) -> int:
    """Run the benchmarks named in args (all when none is), each in its own interpreter.

    args: NAME ... [-- OPTION ...]; the options after `--` go to every benchmark run. Returns 0 when every one
    passed, else 1 after naming those that failed (2 for a name that is no benchmark).
    """
    known = {s.stem: s for s in benchmarks()}
    cut = args.index("--") if "--" in args else len(args)
    names = [a.removesuffix(".py").removeprefix("bench/") for a in args[:cut]]
    options = args[cut + 1 :]
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"kit: no benchmark named {', '.join(unknown)}; the benchmarks are: {', '.join(known)}")
        return 2
    failed = []
    for name in names or list(known):
        print(f"\n=== bench/{name}.py", flush=True)
        if _run([py, known[name], *options]) != 0:
            failed.append(name)
    print(f"\nkit: these benchmarks failed: {', '.join(failed)}" if failed else "\nkit: every benchmark passed")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    rest = argv[1:]
    if command in ("help", "-h", "--help"):
        print(__doc__)
        return 0
    if command not in COMMANDS:
        print(f"{__doc__}\nkit: unknown command {command!r}", file=sys.stderr)
        return 2
    if command == "lab":
        lab_options(rest)  # answers --help and refuses a bad option before anything is installed
    if command == "clean":
        for path in (VENV, ROOT / "build", ROOT / ".workshop"):
            shutil.rmtree(path, ignore_errors=True)
        return 0
    py = ensure_venv()
    if command == "setup":
        return 0
    if command == "test":
        lint = _run([py, "-m", "ruff", "check", "."])
        if lint != 0:
            return lint
        # Four workers (pytest-xdist, one module per worker: --dist loadscope) on 2 cores: the longest tests mostly
        # wait (for a notebook's kernel, an alarm period, the timed cloud's delays), so four keep the suite near
        # 5 minutes where two took 7.5 (measured on this 2-core machine).
        workers = [] if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in rest) else ["-n", "4"]
        return _run([py, "-m", "pytest", *workers, *rest])
    if command == "bench":
        return run_benchmarks(py, rest)
    if command == "notebooks":
        return _run([py, ROOT / "tools" / "strip_notebooks.py", *rest])
    if command == "class":
        return _run([py, "-m", "workshop_lib.classroom", *rest])
    return _run([py, "-m", "workshop_lib", command, *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
