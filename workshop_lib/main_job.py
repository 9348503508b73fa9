"""The main job (`make workshop`): every workshop notebook in order, headless, with a summary.

Starts the local cloud (target local), runs notebooks/NN_*.ipynb with papermill into build/,
passing target, region, prefix, endpoint and instance type as the notebooks' parameters (an empty
one is resolved by connect() from the WORKSHOP_* variables and, for the region on the aws target,
from the boto3 session: AWS_REGION, AWS_DEFAULT_REGION, the profile),
renders each to HTML, prints a summary (notebook, status, seconds) and the inference table
(read before the clean-up notebook runs), stops the local cloud it started, and exits non-zero
on any failure with the failing cell's error.

``--lang vi`` (or $WORKSHOP_LANG) runs the notebooks in that language: they are built from the English ones
into build/<lang>/source/ (notebook_translation), run with ``lang`` as a parameter from notebooks/ (they open
../lambda_function.py), and the summary and the inference table are printed in that language too.
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
    ENV_LANG,
    ENV_PREFIX,
    ENV_REGION,
    ENV_TARGET,
    ENV_WORKSHOP_ENDPOINT,
    KIT_ROOT,
    NOTEBOOKS_DIR,
    TARGETS,
)
from .errors import WorkshopError
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, _, language, set_language

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
    path: Path, parameters: dict[str, str], out_dir: Path = BUILD_DIR, *, html: bool = True, cwd: Path | None = None
) -> NotebookRun:
    """Execute one notebook with papermill into ``out_dir`` (and render it to HTML), from ``cwd`` (its folder)."""
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
                cwd=str(cwd or path.parent),
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

    html, _resources = nbconvert.HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    notebook.with_suffix(".html").write_text(html, encoding="utf-8")


def _print_summary(runs: list[NotebookRun], out_dir: Path = BUILD_DIR) -> None:
    width = max([len(r.notebook) for r in runs] + [8])
    status = {"ok": "ok", "FAILED": _("FAILED")}
    notebook, state, seconds, total = _("notebook"), _("status"), _("seconds"), _("total")
    column = max(6, len(state), *(len(s) for s in status.values()))
    print(f"\n{notebook:<{width}}  {state:<{column}}  {seconds}")
    for r in runs:
        print(f"{r.notebook:<{width}}  {status.get(r.status, r.status):<{column}}  {r.seconds:7.1f}")
    print(f"{total:<{width}}  {'':<{column}}  {sum(r.seconds for r in runs):7.1f}")
    for r in runs:
        if r.error:
            print(
                "\n"
                + _("{notebook} failed at {error}\n  executed copy: {path}").format(
                    notebook=r.notebook, error=r.error, path=out_dir / r.notebook
                )
            )


def _print_inference_table(target: str, region: str, prefix: str) -> None:
    import pandas as pd

    from .connect import connect
    from .metadata import query_inferences

    conn = connect(target, region or None, prefix, make_current=False)
    df = query_inferences(conn=conn)
    print("\n" + _("Inference table {table} ({rows} rows, newest first):").format(table=conn.names.table, rows=len(df)))
    with pd.option_context("display.max_columns", 6, "display.width", 160, "display.max_colwidth", 36):
        print(df.iloc[:, :6].head(15).to_string(index=False))


def sources(lang: str, out_dir: Path = BUILD_DIR) -> tuple[list[Path], Path]:
    """The notebooks to run in ``lang`` and where their executed copies go: notebooks/ itself for English, else
    the notebooks built in that language into ``out_dir/<lang>/source/`` (copies in ``out_dir/<lang>/``)."""
    if lang == DEFAULT_LANGUAGE:
        return notebooks(), out_dir
    from .notebook_translation import build

    built = build(lang, out_dir / lang / "source")
    for b in built:
        if b.untranslated:  # the build keeps those cells in English; the tests name them
            print(
                _("{notebook}: {count} markdown cells have no translation yet: {cells}").format(
                    notebook=b.path.name, count=len(b.untranslated), cells=", ".join(b.untranslated)
                ),
                file=sys.stderr,
            )
    return [b.path for b in built], out_dir / lang


def run(
    target: str,
    region: str,
    prefix: str,
    only: list[str] | None = None,
    endpoint: str = "",
    instance_type: str = "",
    lang: str = "",
) -> int:
    """Run the main job; returns the process exit code. An empty ``region`` is resolved by connect(), an empty
    ``lang`` is $WORKSHOP_LANG, else English."""
    from tqdm import tqdm

    from .local import lifecycle

    lang = set_language(lang)
    all_paths, out_dir = sources(lang)
    paths = [p for p in all_paths if not only or any(p.name.startswith(o) for o in only)]
    if not paths:
        print(_("no notebooks match in {folder}").format(folder=NOTEBOOKS_DIR), file=sys.stderr)
        return 1
    started = False
    if target == "local":
        state, started = lifecycle.start(region=region or DEFAULT_REGION)
        said = _("local cloud: {url} (started)") if started else _("local cloud: {url} (already running)")
        print(said.format(url=state.endpoint_url))
    parameters = {"target": target, "region": region, "prefix": prefix, "endpoint": endpoint, "lang": lang}
    if instance_type:
        parameters["instance_type"] = instance_type  # a parameter of 06_model_endpoint only
    runs: list[NotebookRun] = []
    try:
        with tqdm(paths, desc="workshop", unit="notebook", file=sys.stdout) as bar:
            for path in bar:
                bar.set_postfix_str(path.stem)
                if path.name.startswith(CLEANUP_PREFIX) and all(r.status == "ok" for r in runs):
                    _print_inference_table(target, region, prefix)
                runs.append(run_notebook(path, parameters, out_dir, cwd=NOTEBOOKS_DIR))
                if runs[-1].status != "ok":
                    break
    finally:
        if started:
            lifecycle.stop()
            print(_("local cloud: stopped"))
    _print_summary(runs, out_dir)
    print("\n" + _("executed notebooks and HTML renderings: {folder}").format(folder=out_dir))
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
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=language(),
        help=f"the notebooks' language (default: ${ENV_LANG}, else {DEFAULT_LANGUAGE}); vi: Tiếng Việt",
    )
    parser.add_argument("--only", nargs="*", help="run only the notebooks whose names start with these")
    args = parser.parse_args(argv)
    try:
        return run(args.target, args.region, args.prefix, args.only, args.endpoint, args.instance_type, args.lang)
    except WorkshopError as exc:
        print(_("error: {error}").format(error=exc), file=sys.stderr)
        return 2
