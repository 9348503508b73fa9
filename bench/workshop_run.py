"""Main-job benchmark: wall time of `python -m workshop_lib workshop` and of each notebook in it.

Installation is excluded (the virtual environment must exist). The local cloud is started by the
job itself in a temporary state folder, so a cloud you have running is not disturbed.

    .venv/bin/python bench/workshop_run.py

Goal: all notebooks in <= 60 s on 2 cores.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^(\d\d_\S+\.ipynb)\s+(ok|FAILED)\s+([\d.]+)$")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-workshop-") as state:
        env = {**os.environ, "WORKSHOP_STATE_DIR": state, "WORKSHOP_PREFIX": "", "WORKSHOP_TARGET": "local"}
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "workshop_lib", "workshop"], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        total = time.perf_counter() - start
    rows = [m.groups() for line in proc.stdout.splitlines() if (m := ROW.match(line.strip()))]
    print(f"{'notebook':<36}{'status':<8}{'seconds':>8}")
    for name, status, seconds in rows:
        print(f"{name:<36}{status:<8}{float(seconds):>8.1f}")
    notebooks = sum(float(s) for _, _, s in rows)
    print(f"{'all notebooks':<44}{notebooks:>8.1f}")
    print(f"{'whole main job (start cloud .. stop cloud)':<44}{total:>8.1f}")
    print(f"goal (all notebooks <= 60 s): {'met' if notebooks <= 60 and proc.returncode == 0 else 'NOT met'}")
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
