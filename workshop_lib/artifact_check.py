"""``check_artifact(path)``: will this model.tar.gz serve on a SageMaker endpoint? Checked here, before deploying.

Section 6 of the workshop lets a learner deploy a model of their own. The check runs the archive the way AWS's
scikit-learn container (1.2-1) runs it (workshop_lib/model/container), in the learner's own Python, so it says the
same thing whether the notebook targets the local cloud or AWS, and it needs no connection. The steps, in order:

1. ``archive``: a gzip tar SageMaker can extract (no links, no paths leaving the folder);
2. ``layout``: the script at SAGEMAKER_SUBMIT_DIRECTORY / SAGEMAKER_PROGRAM (the kit's: ``code/inference.py``);
3. ``python 3.9``: the archive's Python files parse with the container's Python 3.9 grammar (best effort);
4. ``requirements``: code/requirements.txt is installed in this Python (the container installs it itself, but the
   check and the local cloud cannot import the script without it);
5. ``import``: the script imports, as a top-level module with code/ on sys.path;
6. ``functions``: model_fn and input_fn / predict_fn / output_fn, or transform_fn (missing ones: the image's
   defaults; transform_fn with any of the three is refused);
7. ``model_fn``: ``model_fn(model_dir)`` loads the model;
8. ``prediction``: one request with a sample input gets a 200.

It returns an ``ArtifactReport`` (print it) and raises ``ArtifactCheckFailed`` (a WorkshopError) naming the first
step that failed, with what to do. docs/bring-your-own-model.md describes what the archive must hold.
"""

from __future__ import annotations

import ast
import io
import json
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import InvalidInput
from .model.artifact import CONTAINER_ENVIRONMENT

SAMPLE = {"text": "Hello AI!"}  # the workshop's seed request
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav")
CONTAINER_VERSIONS = "Python 3.9, scikit-learn 1.2.1, numpy 1.24.1"
_FIXES = {
    "archive": "make it with `tar -czf model.tar.gz model.joblib code/` inside the model's folder (files only, "
    "no links)",
    "layout": "put the script at code/inference.py in the archive, with no folder above code/ (SageMaker extracts "
    "the archive into /opt/ml/model); the model's Environment names it (SAGEMAKER_PROGRAM=inference.py, "
    "SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code)",
    "python 3.9": "the container runs Python 3.9: rewrite what needs a newer Python (match statements, "
    "parenthesized context managers, `except*`, ...)",
    "requirements": "pip install what code/requirements.txt lists into this environment (the container installs "
    "it itself; the check and the local cloud need it here)",
    "import": "fix the error in the script; a module of your own must sit in code/ beside it, and a package "
    "from PyPI in code/requirements.txt",
    "functions": "define either transform_fn alone, or any of input_fn, predict_fn and output_fn",
    "model_fn": "model_fn(model_dir) gets the folder the archive was extracted to: open the model's files "
    "relative to it, e.g. os.path.join(model_dir, 'model.joblib')",
    "prediction": "make input_fn, predict_fn and output_fn handle the sample request (the traceback above shows "
    "where it failed), or pass sample= the input your model expects",
}
_STEP_OF = {"submit directory": "layout", "program": "layout"}  # ScriptError steps under another name here


class ArtifactCheckFailed(InvalidInput):
    """check_artifact found a step that fails: ``step`` names it, ``report`` holds the steps before it."""

    def __init__(self, step: str, problem: str, report: ArtifactReport) -> None:
        self.step = step
        self.report = report
        super().__init__(f"step {step!r} failed: {problem}", resource=f"artifact {report.path}", fix=_FIXES[step])


@dataclass
class ArtifactReport:
    """What check_artifact found: each step's result, the sample's answer, and notes worth reading."""

    path: Path
    steps: list[tuple[str, str]] = field(default_factory=list)  # (step, what was found)
    notes: list[str] = field(default_factory=list)
    status: int | None = None  # the sample request's answer
    content_type: str | None = None
    body: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __str__(self) -> str:
        head = f"{self.path}: " + ("ready to deploy" if self.ok else "not ready")
        lines = [head, *(f"  ok  {step:<13}{found}" for step, found in self.steps)]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython / Jupyter display
        printer.text(str(self))


def _fail(step: str, problem: str, report: ArtifactReport, details: str = "") -> ArtifactCheckFailed:
    if details and details.strip() != problem:
        problem = f"{problem}\n{details.rstrip()}"
    return ArtifactCheckFailed(step, problem, report)


def _sample_body(sample: Any) -> bytes:
    if isinstance(sample, bytes):
        return sample
    if isinstance(sample, str):
        return sample.encode("utf-8")
    return json.dumps(sample).encode("utf-8")


def _members(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return [m.name for m in tar.getmembers() if m.isfile()]


def _layout(names: list[str], environment: dict[str, str], report: ArtifactReport) -> None:
    """The script where the model's Environment says it is (for a submit directory inside the archive)."""
    from .model.container.layout import CODE_DIR, MODEL_DIR

    program = environment.get("SAGEMAKER_PROGRAM") or ""
    submit = (environment.get("SAGEMAKER_SUBMIT_DIRECTORY") or "").rstrip("/")
    if not program:
        raise _fail("layout", "the model's Environment has no SAGEMAKER_PROGRAM (the script's file name)", report)
    if submit in ("", CODE_DIR):
        raise _fail(
            "layout",
            f"SAGEMAKER_SUBMIT_DIRECTORY is {submit or 'not set'}: the container then looks for {program} in "
            f"{CODE_DIR}, which is empty, and fails with \"No module named '{program.removesuffix('.py')}'\"",
            report,
        )
    if not submit.startswith(MODEL_DIR):
        return  # an s3:// submit directory: the load step says what it finds
    folder = submit[len(MODEL_DIR) :].strip("/")
    expected = f"{folder}/{program}" if folder else program
    clean = [name[2:] if name.startswith("./") else name for name in names]
    if expected in clean:
        report.steps.append(
            ("layout", f"{expected} (SAGEMAKER_PROGRAM={program}, SAGEMAKER_SUBMIT_DIRECTORY={submit})")
        )
        return
    nested = [name for name in clean if name.endswith("/" + expected)]
    hint = f"; it is at {nested[0]}: the archive has a folder above {folder or program}" if nested else ""
    raise _fail(
        "layout", f"the archive has no {expected}{hint} (it holds: {', '.join(clean[:8]) or 'no files'})", report
    )


def _python39(model_dir: Path, report: ArtifactReport) -> None:
    scripts = sorted(model_dir.rglob("*.py"))
    for script in scripts:
        try:
            ast.parse(script.read_bytes(), filename=str(script), feature_version=(3, 9))
        except SyntaxError as exc:
            where = script.relative_to(model_dir).as_posix()
            raise _fail("python 3.9", f"{where} line {exc.lineno}: {exc.msg}", report) from exc
    report.steps.append(("python 3.9", f"{len(scripts)} Python file(s) parse with Python 3.9's grammar"))


def _notes(model_dir: Path, loaded: Any, report: ArtifactReport) -> None:
    if loaded.defaulted:
        report.notes.append(
            f"{', '.join(loaded.defaulted)}: the image's default (JSON, CSV or NPY in, numpy arrays, model.predict)"
        )
    pickles = [p.relative_to(model_dir).as_posix() for p in model_dir.rglob("*") if p.suffix in PICKLE_SUFFIXES]
    if pickles:
        here = ", ".join(f"{name} {_version(name)}" for name in ("scikit-learn", "numpy"))
        report.notes.append(
            f"{', '.join(pickles)}: a pickle loads in the container only if made with its versions "
            f"({CONTAINER_VERSIONS}); this Python has {here}"
        )


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def check_artifact(
    path: Path | str,
    *,
    environment: dict[str, str] | None = None,
    sample: Any = None,
    content_type: str = "application/json",
    accept: str = "application/json",
) -> ArtifactReport:
    """Check a model.tar.gz before deploying it; return the report, or raise ArtifactCheckFailed naming the step.

    ``environment`` is the model's container Environment (default: the kit's, as deploy() sets it); ``sample`` the
    request body (a dict or list is sent as JSON; default ``{"text": "Hello AI!"}``).
    """
    from .model.container import ArtifactError, ScriptError, extract_artifact, invoke, load_script
    from .model.container.layout import requirement_lines

    path = Path(path)
    environment = dict(environment if environment is not None else CONTAINER_ENVIRONMENT)
    report = ArtifactReport(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail("archive", f"cannot read it: {exc.strerror or exc}", report) from exc
    with tempfile.TemporaryDirectory(prefix="workshop-artifact-check-") as tmp:
        model_dir, code_dir = Path(tmp) / "model", Path(tmp) / "code"
        try:
            extract_artifact(data, model_dir)
        except ArtifactError as exc:
            raise _fail("archive", f"SageMaker could not extract it: {exc}", report) from exc
        names = _members(data)
        report.steps.append(("archive", f"a gzip tar of {len(names)} file(s), {len(data):,} bytes"))
        _layout(names, environment, report)
        _python39(model_dir, report)
        started = time.perf_counter()
        try:
            loaded = load_script(environment, model_dir, code_dir, _no_s3)
        except ScriptError as exc:
            raise _fail(_STEP_OF.get(exc.step, exc.step), exc.message, report, exc.details) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        requirements = requirement_lines(code_dir)
        found = f"{len(requirements)} in code/requirements.txt, all installed here" if requirements else "none listed"
        report.steps.append(("requirements", found))
        report.steps.append(("import", f"module {loaded.module_name}"))
        used = [name for name, fn in loaded.functions.items() if fn is not None and name not in loaded.defaulted]
        report.steps.append(("functions", ", ".join(used)))
        report.steps.append(("model_fn", f"loaded a {type(loaded.model).__name__} in {elapsed_ms:.0f} ms"))
        _notes(model_dir, loaded, report)
        body = _sample_body(SAMPLE if sample is None else sample)
        logged: list[str] = []
        outcome = invoke(loaded, body, content_type, accept, logged.append)
        report.status, report.content_type, report.body = outcome.status, outcome.content_type, outcome.body
        answer = outcome.body.decode("utf-8", errors="replace")
        if outcome.status != 200:
            problem = f"the sample {body[:200].decode('utf-8', errors='replace')} got {outcome.status}: {answer[:500]}"
            raise _fail("prediction", problem, report, "\n".join(logged))
        report.steps.append(("prediction", f"{body[:120].decode('utf-8', errors='replace')} -> 200 {answer[:300]}"))
    return report


def _no_s3(url: str) -> bytes:
    raise LookupError(f"{url}: check_artifact reads no S3 (give SAGEMAKER_SUBMIT_DIRECTORY inside the archive)")
