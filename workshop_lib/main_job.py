"""The main job (`make workshop`): every workshop notebook in order, headless, with a summary.

Starts the local cloud (target local), runs notebooks/NN_*.ipynb with papermill into build/,
passing target, region, prefix, endpoint and instance type as the notebooks' parameters (an empty
one is resolved by connect() from the WORKSHOP_* variables and, for the region on the aws target,
from the boto3 session: AWS_REGION, AWS_DEFAULT_REGION, the profile),
renders each to HTML, prints a summary (notebook, status, seconds) and the inference table
(read before the clean-up notebook runs), stops the local cloud it started, and exits non-zero
on any failure with the failing cell's error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .config import (
    DEFAULT_REGION,
    DEFAULT_TARGET,
    ENV_INSTANCE_TYPE,
    ENV_PREFIX,
    ENV_REGION,
    ENV_TARGET,
    ENV_WORKSHOP_ENDPOINT,
    KIT_ROOT,
    NOTEBOOKS_DIR,
    TARGETS,
)
from .errors import WorkshopError

BUILD_DIR = KIT_ROOT / "build"
CLEANUP_PREFIX = "09"  # the clean-up notebook: the inference table is printed before it runs


@dataclass
class NotebookRun:
    notebook: str
    status: str
    seconds: float
    error: str = ""


def notebooks(directory: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The workshop notebooks in order (NN_name.ipynb)."""
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def run_notebook(
    path: Path, parameters: dict[str, str], out_dir: Path = BUILD_DIR, *, html: bool = True
) -> NotebookRun:
    """Execute one notebook with papermill into ``out_dir`` (and render it to HTML)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / path.name
    start = time.perf_counter()
    status, error = "ok", ""
    kernel_log = out_dir / f"{path.stem}.kernel.log"
    try:
        # The kernel writes start-up chatter to the stderr it inherits: keep it in a file, shown on failure.
        with _stderr_to(kernel_log):
            papermill.execute_notebook(
                str(path),
                str(output),
                parameters=parameters,
                cwd=str(path.parent),
                progress_bar=False,
                kernel_name="python3",
                request_save_on_cell_execute=False,
            )
    except PapermillExecutionError as exc:
        status = "FAILED"
        error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # noqa: BLE001 - the kernel died or did not start: report it with its log
        status = "FAILED"
        log_text = kernel_log.read_text(encoding="utf-8", errors="replace")[-2000:] if kernel_log.exists() else ""
        error = f"{type(exc).__name__}: {exc}\n{log_text}"
    seconds = time.perf_counter() - start
    if html:
        _render_html(output)
    return NotebookRun(path.name, status, seconds, error)


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Point file descriptor 2 (inherited by child processes) at ``path`` for the duration."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _render_html(notebook: Path) -> None:
    if not notebook.exists():
        return
    import nbconvert
    import nbformat

    html, _ = nbconvert.HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    notebook.with_suffix(".html").write_text(html, encoding="utf-8")


def _print_summary(runs: list[NotebookRun]) -> None:
    width = max([len(r.notebook) for r in runs] + [8])
    print(f"\n{'notebook':<{width}}  status  seconds")
    for r in runs:
        print(f"{r.notebook:<{width}}  {r.status:<6}  {r.seconds:7.1f}")
    print(f"{'total':<{width}}          {sum(r.seconds for r in runs):7.1f}")
    for r in runs:
        if r.error:
            print(f"\n{r.notebook} failed at {r.error}\n  executed copy: {BUILD_DIR / r.notebook}")


def _print_inference_table(target: str, region: str, prefix: str) -> None:
    import pandas as pd

    from .connect import connect
    from .metadata import query_inferences

    conn = connect(target, region or None, prefix, make_current=False)
    df = query_inferences(conn=conn)
    print(f"\nInference table {conn.names.table} ({len(df)} rows, newest first):")
    with pd.option_context("display.max_columns", 6, "display.width", 160, "display.max_colwidth", 36):
        print(df.iloc[:, :6].head(15).to_string(index=False))


def run(
    target: str,
    region: str,
    prefix: str,
    only: list[str] | None = None,
    endpoint: str = "",
    instance_type: str = "",
) -> int:
    """Run the main job; returns the process exit code. An empty ``region`` is resolved by connect()."""
    from tqdm import tqdm

    from .local import lifecycle

    started = False
    if target == "local":
        state, started = lifecycle.start(region=region or DEFAULT_REGION)
        print(f"local cloud: {state.endpoint_url} ({'started' if started else 'already running'})")
    paths = [p for p in notebooks() if not only or any(p.name.startswith(o) for o in only)]
    if not paths:
        if started:
            lifecycle.stop()
        print(f"no notebooks match in {NOTEBOOKS_DIR}", file=sys.stderr)
        return 1
    parameters = {"target": target, "region": region, "prefix": prefix, "endpoint": endpoint}
    if instance_type:
        parameters["instance_type"] = instance_type  # a parameter of 06_model_endpoint only
    runs: list[NotebookRun] = []
    try:
        with tqdm(paths, desc="workshop", unit="notebook", file=sys.stdout) as bar:
            for path in bar:
                bar.set_postfix_str(path.stem)
                if path.name.startswith(CLEANUP_PREFIX) and all(r.status == "ok" for r in runs):
                    _print_inference_table(target, region, prefix)
                runs.append(run_notebook(path, parameters))
                if runs[-1].status != "ok":
                    break
    finally:
        if started:
            lifecycle.stop()
            print("local cloud: stopped")
    _print_summary(runs)
    print(f"\nexecuted notebooks and HTML renderings: {BUILD_DIR}")
    return 0 if runs and all(r.status == "ok" for r in runs) and len(runs) == len(paths) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop_lib workshop", description=__doc__)
    parser.add_argument("--target", choices=TARGETS, default=os.environ.get(ENV_TARGET) or DEFAULT_TARGET)
    parser.add_argument(
        "--region",
        default=os.environ.get(ENV_REGION, ""),
        help="default: $WORKSHOP_REGION, else the AWS session's region (aws) or us-east-1 (local)",
    )
    parser.add_argument("--prefix", default=os.environ.get(ENV_PREFIX, ""))
    parser.add_argument(
        "--endpoint",
        default=os.environ.get(ENV_WORKSHOP_ENDPOINT, ""),
        help="an existing SageMaker endpoint to use instead of deploying the kit's model",
    )
    parser.add_argument(
        "--instance-type",
        default=os.environ.get(ENV_INSTANCE_TYPE, ""),
        help="the endpoint's instance type (default: $WORKSHOP_INSTANCE_TYPE, else ml.t2.medium)",
    )
    parser.add_argument("--only", nargs="*", help="run only the notebooks whose names start with these")
    args = parser.parse_args(argv)
    try:
        return run(args.target, args.region, args.prefix, args.only, args.endpoint, args.instance_type)
    except WorkshopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
