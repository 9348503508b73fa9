"""Loading a model's inference script: what the container does before its /ping first answers 200.

``load_script()`` fills the code directory from SAGEMAKER_SUBMIT_DIRECTORY, imports the module SAGEMAKER_PROGRAM
names as a top-level module with the code directory on sys.path, takes its functions (the image's defaults for
missing ones; ``transform_fn`` together with any of input_fn / predict_fn / output_fn is refused) and calls
``model_fn(model_dir)``. Any failure raises ``ScriptError`` naming the step, with the traceback the container would
log.

Where the local cloud deliberately differs from the container:
- nothing is pip-installed: code/requirements.txt is checked against this Python's installed packages, and a
  requirement it does not satisfy fails the load (``step == "requirements"``) with what to install, where the
  container would install it;
- one process serves every model: model_fn runs once per load, where the container runs it once in each gunicorn
  worker (one per vCPU by default), and the models' code runs one call at a time (``modules.py``);
- the script runs with this Python and its packages (the container has Python 3.9, numpy 1.24.1, scikit-learn 1.2.1).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from . import defaults
from .layout import copy_code, unmet_requirements
from .modules import ScriptModules

FUNCTIONS = ("model_fn", "input_fn", "predict_fn", "output_fn", "transform_fn")


class ScriptError(Exception):
    """The script could not be loaded. ``step``: "submit directory", "program", "requirements", "import",
    "functions" or "model_fn"; ``details``: the traceback or log text the container would write."""

    def __init__(self, step: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        self.details = details or message


@dataclass
class LoadedScript:
    """A loaded model: the script's module, its functions (defaults filled in), what model_fn returned."""

    module_name: str
    module: ModuleType
    functions: dict[str, Callable[..., Any] | None]
    defaulted: tuple[str, ...]  # the functions the image's defaults stand in for
    model: Any
    modules: ScriptModules
    model_dir: Path
    default_accept: str


def module_name_of(program: str) -> str:
    """The module the container imports for SAGEMAKER_PROGRAM ("inference.py" -> "inference")."""
    return program[:-3] if program.endswith(".py") else program


def _functions(module: ModuleType) -> tuple[dict[str, Callable[..., Any] | None], tuple[str, ...]]:
    found = {name: getattr(module, name, None) for name in FUNCTIONS}
    if found["transform_fn"] is not None and any(found[n] for n in ("input_fn", "predict_fn", "output_fn")):
        raise ScriptError(
            "functions", "Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn"
        )
    needed = ("model_fn",) if found["transform_fn"] is not None else FUNCTIONS[:4]
    defaulted = tuple(name for name in needed if found[name] is None)
    for name in defaulted:
        found[name] = getattr(defaults, name)
    return found, defaulted


def _import(name: str, modules: ScriptModules) -> ModuleType:
    if importlib.machinery.PathFinder.find_spec(name, [str(modules.code_dir)]) is None:
        raise ScriptError("import", f"No module named '{name}'")
    try:
        importlib.invalidate_caches()
        return importlib.import_module(name)
    except (Exception, SystemExit) as exc:
        raise ScriptError("import", f"{type(exc).__name__}: {exc}", traceback.format_exc()) from exc


def load_script(
    environment: dict[str, str], model_dir: Path, code_dir: Path, fetch_s3: Callable[[str], bytes]
) -> LoadedScript:
    """Load the script of an extracted artifact (``model_dir``), as the container does; raises ScriptError."""
    problem = copy_code(environment, model_dir, code_dir, fetch_s3)
    if problem:
        raise ScriptError("submit directory", problem)
    program = environment.get("SAGEMAKER_PROGRAM")
    if not program:
        raise ScriptError("program", "the model's Environment has no SAGEMAKER_PROGRAM (the script's file name)")
    unmet = unmet_requirements(code_dir)
    if unmet:
        raise ScriptError(
            "requirements",
            "code/requirements.txt needs what this Python does not have: "
            + ", ".join(unmet)
            + " (the container pip-installs it; the local cloud installs nothing)",
        )
    name = module_name_of(program)
    modules = ScriptModules(code_dir)
    with modules.active():
        module = _import(name, modules)
        functions, defaulted = _functions(module)
        try:
            model = functions["model_fn"](str(model_dir))  # type: ignore[misc]
        except (Exception, SystemExit) as exc:
            raise ScriptError("model_fn", f"{type(exc).__name__}: {exc}", traceback.format_exc()) from exc
    return LoadedScript(
        module_name=name,
        module=module,
        functions=functions,
        defaulted=defaulted,
        model=model,
        modules=modules,
        model_dir=model_dir,
        default_accept=environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or defaults.JSON,
    )
