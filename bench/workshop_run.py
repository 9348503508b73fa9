"""Main-job benchmark: wall time of `python -m workshop_lib workshop` and of each notebook in it.

Three runs, each with its own local cloud in a temporary state folder (a cloud you have running is not
disturbed); installation is excluded (the virtual environment must exist):

1. the default local cloud (no timing), what `make workshop` runs;
2. the local cloud with AWS's timing (WORKSHOP_LOCAL_TIMING=aws) at scale 1.0;
3. the same at the scale CI uses (tests/notebooks/test_main_job_timing.py: 0.2).

For the timing runs the kit's polling primitive records each wait (what, which AWS delay, seconds) in
$WORKSHOP_WAIT_LOG; this script compares each wait with its rule's upper bound (docs/aws-timing.md,
times the scale) and prints the worst excess.

    .venv/bin/python bench/workshop_run.py            # all three
    .venv/bin/python bench/workshop_run.py --plain    # the first only
    .venv/bin/python bench/workshop_run.py --scale 1  # one timing run, at that scale

Goals: no timing, all notebooks in <= 60 s; AWS timing at scale 1.0, the main job in <= 4 minutes on
2 cores, every notebook green, no wait longer than its rule's upper bound plus 2 s.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^(\d\d_\S+\.ipynb)\s+(ok|FAILED)\s+([\d.]+)$")
CI_SCALE = 0.2  # tests/notebooks/test_main_job_timing.py's TIME_SCALE
SLACK_S = 2.0
# Upper bound of each AWS delay at scale 1.0 (the rules of docs/aws-timing.md), by the rule a wait names.
RULE_BOUNDS_S = {
    "iam-policy": 8.0,  # an identity-policy change reaches the role's callers
    "iam-new-role": 10.0,  # a new role can be passed to Lambda / SageMaker
    "logs-delivery": 5.0,  # log events become visible to FilterLogEvents
    "logs-throttle": 1.0,  # FilterLogEvents: 5 requests per second per account
    "dynamodb-gsi": 1.0,  # an item reaches a global secondary index
    "dynamodb-table": 6.0,  # DeleteTable: DELETING, then gone
    "lambda-update": 0.0,  # no rule: the local cloud's function is Active at once
    "sagemaker-endpoint-create": 40.0,  # Creating -> InService
    "sagemaker-endpoint-delete": 15.0,  # Deleting -> gone
    "apigateway-stage": 4.0,  # a new deployment / permission answers 5xx
    "apigateway-quota": 30.0,  # DeleteRestApi: 1 per 30 s per account (CreateDeployment 5 s, CreateRestApi 3 s)
    "cloudwatch-metrics": 5.0,  # a Lambda's EMF line becomes data points GetMetricData returns (08.3)
    "cloudwatch-alarm-evaluation": 70.0,  # an alarm is evaluated once a minute, on a 10-second period (08.3)
    "sns-delivery": 5.0,  # an alarm's state change reaches the topic's subscribers (08.3)
}


def bound(rule: str, scale: float) -> float:
    """The upper bound of a wait's rule ("a+b": the delays it spans, one after the other), at ``scale``."""
    return sum(RULE_BOUNDS_S.get(part, 0.0) for part in rule.split("+") if part) * scale


def run_main_job(timing_scale: float | None) -> tuple[int, float, list[tuple[str, str, str]], list[dict], str]:
    with tempfile.TemporaryDirectory(prefix="bench-workshop-") as folder:
        waits = Path(folder) / "waits.jsonl"
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
        env |= {"WORKSHOP_STATE_DIR": f"{folder}/state", "WORKSHOP_TARGET": "local", "WORKSHOP_WAIT_LOG": str(waits)}
        if timing_scale is not None:
            env |= {"WORKSHOP_LOCAL_TIMING": "aws", "WORKSHOP_LOCAL_TIME_SCALE": str(timing_scale)}
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "workshop_lib", "workshop"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        total = time.perf_counter() - start
        recorded = [json.loads(line) for line in waits.read_text().splitlines()] if waits.exists() else []
    rows = [m.groups() for line in proc.stdout.splitlines() if (m := ROW.match(line.strip()))]
    return proc.returncode, total, rows, recorded, proc.stdout[-3000:] + "\n" + proc.stderr[-3000:]


def report(title: str, timing_scale: float | None) -> bool:
    code, total, rows, waits, tail = run_main_job(timing_scale)
    print(f"\n== {title}")
    print(f"{'notebook':<36}{'status':<8}{'seconds':>8}")
    for name, status, seconds in rows:
        print(f"{name:<36}{status:<8}{float(seconds):>8.1f}")
    notebooks = sum(float(s) for _, _, s in rows)
    print(f"{'all notebooks':<44}{notebooks:>8.1f}")
    print(f"{'whole main job (start cloud .. stop cloud)':<44}{total:>8.1f}")
    ok = code == 0 and bool(rows) and all(s == "ok" for _, s, _ in rows)
    if timing_scale is None:
        print(f"goal (all notebooks <= 60 s): {'met' if notebooks <= 60 and ok else 'NOT met'}")
    else:
        waited = sum(w["seconds"] for w in waits)
        print(f"{len(waits)} waits, {waited:.1f} s waiting in all, {sum(w['attempts'] > 1 for w in waits)} polled")
        if waits:
            worst = max(waits, key=lambda w: w["seconds"] - bound(w["rule"], timing_scale))
            excess = worst["seconds"] - bound(worst["rule"], timing_scale)
            print(
                f"worst excess over its rule's bound: {excess:+.1f} s ({worst['what']}: {worst['seconds']:.1f} s, "
                f"rule {worst['rule']} <= {bound(worst['rule'], timing_scale):.1f} s)"
            )
            ok = ok and excess <= SLACK_S
            print("longest waits over their rule's bound:")
            for w in sorted(waits, key=lambda w: bound(w["rule"], timing_scale) - w["seconds"])[:5]:
                over = w["seconds"] - bound(w["rule"], timing_scale)
                print(f"  {over:+6.1f} s  {w['seconds']:6.1f} s  {w['rule']:<26} {w['what'][:70]}")
        if timing_scale == 1.0:
            met = ok and total <= 240
            verdict = "met" if met else "NOT met"
            print(f"goal (<= 240 s, all green, no wait over its bound + {SLACK_S:.0f} s): {verdict}")
    if code != 0:
        print(tail)
    return code == 0


def main() -> int:
    args = sys.argv[1:]
    if "--scale" in args:
        scale = float(args[args.index("--scale") + 1])
        runs: list[tuple[str, float | None]] = [(f"AWS timing, scale {scale}", scale)]
    else:
        runs = [("default local cloud (no timing)", None)]
        if "--plain" not in args:
            runs += [("AWS timing, scale 1.0", 1.0), (f"AWS timing, scale {CI_SCALE} (CI)", CI_SCALE)]
    results = [report(title, scale) for title, scale in runs]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
