"""An endpoint's model, loaded as the SageMaker scikit-learn container loads it, and kept while the endpoint is.

The store follows endpoint -> endpoint config -> first production variant -> model -> ``PrimaryContainer``'s
``ModelDataUrl``, reads that model.tar.gz from the local S3, extracts it under the cloud's work dir, imports the
script named by ``SAGEMAKER_PROGRAM`` from ``code/`` and calls ``model_fn(model_dir)`` once. The loaded model is
reused until the endpoint is recreated or updated to another endpoint config (like AWS, a running endpoint keeps
serving the model it was deployed with even if the S3 object is overwritten later).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import shutil
import sys
import tarfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..core.moto_seam import MotoBackends
from ..core.records import EndpointRecord
from .exceptions import ModelLoadError

JSON = "application/json"


@dataclass
class ServedModel:
    """A loaded model: the script's module, what model_fn returned, and what it was loaded from."""

    key: tuple[Any, ...]
    variant: str
    model_name: str
    model_data_url: str
    default_accept: str
    module: ModuleType
    model: Any
    directory: Path



def extract_artifact(data: bytes, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(directory, filter="data")
            else:  # Python < 3.11.4: refuse paths that leave the directory
                root = directory.resolve()
                for member in tar.getmembers():
                    target = (directory / member.name).resolve()
                    if root not in target.parents and target != root:
                        raise ModelLoadError(f"the model artifact holds an unsafe path {member.name!r}")
                tar.extractall(directory)  # paths checked above
    except (tarfile.TarError, OSError) as exc:
        raise ModelLoadError(f"the model artifact is not a readable tar.gz: {exc}") from exc


def import_script(directory: Path, environment: dict[str, str]) -> ModuleType:
    program = environment.get("SAGEMAKER_PROGRAM")
    if not program:
        raise ModelLoadError("the model's Environment has no SAGEMAKER_PROGRAM (the inference script's file name)")
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "/opt/ml/model/code")
    if not submit.startswith("/opt/ml/model"):
        raise ModelLoadError(
            f"SAGEMAKER_SUBMIT_DIRECTORY {submit!r} is not inside the model artifact; "
            "the local runtime only runs scripts packed under code/ in model.tar.gz"
        )
    code_dir = directory / submit[len("/opt/ml/model") :].strip("/")
    script = code_dir / program
    if not script.is_file():
        raise ModelLoadError(f"the model artifact has no {script.relative_to(directory).as_posix()}")
    module_name = f"_workshop_sagemaker_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(code_dir))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(code_dir))
    return module


class ModelStore:
    """The loaded model of every endpoint served so far (one load at a time per endpoint)."""

    def __init__(self, backends: MotoBackends, root: Path, log: Callable[[str, str, str, str], None]) -> None:
        self.backends = backends
        self.root = root
        self._log = log  # (region, endpoint, variant, message): a line of the endpoint's CloudWatch log
        self._served: dict[tuple[str, str], ServedModel] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def serving(self, region: str, name: str, endpoint: EndpointRecord) -> ServedModel:
        """The loaded model of an endpoint, loading it on first use or after the endpoint changed."""
        key, slot = endpoint.version, (region, name)
        with self._lock:
            served = self._served.get(slot)
            if served is not None and served.key == key:
                return served
            load_lock = self._locks.setdefault(slot, threading.Lock())
        with load_lock:
            with self._lock:
                served = self._served.get(slot)
                if served is not None and served.key == key:
                    return served
            fresh = self._load(region, name, endpoint)
            with self._lock:
                old = self._served.get(slot)
                self._served[slot] = fresh
            if old is not None:
                self._discard(old)
            return fresh

    def forget(self, region: str, name: str) -> None:
        with self._lock:
            served = self._served.pop((region, name), None)
        if served is not None:
            self._discard(served)

    def close(self) -> None:
        with self._lock:
            for served in self._served.values():
                sys.modules.pop(served.module.__name__, None)
            self._served.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _discard(served: ServedModel) -> None:
        sys.modules.pop(served.module.__name__, None)
        shutil.rmtree(served.directory, ignore_errors=True)

    def _load(self, region: str, name: str, endpoint: EndpointRecord) -> ServedModel:
        try:
            record = self.backends.endpoint_model(endpoint, region)
        except LookupError as exc:
            raise ModelLoadError(f"{exc.args[0]} of endpoint {name} does not exist") from exc
        started = time.perf_counter()
        directory = self.root / f"{name}-{uuid.uuid4().hex[:8]}"
        try:
            extract_artifact(self._read_s3(record.model_data_url), directory)
            module = import_script(directory, record.environment)
            model_fn = getattr(module, "model_fn", None)
            if model_fn is None:
                raise ModelLoadError(
                    "the inference script defines no model_fn (the scikit-learn container has no default)"
                )
            loaded = model_fn(str(directory))
        except ModelLoadError:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        except Exception as exc:  # any failure of the learner's code is reported, not raised
            shutil.rmtree(directory, ignore_errors=True)
            raise ModelLoadError(f"loading model {record.name} failed:\n{traceback.format_exc()}") from exc
        served = ServedModel(
            key=endpoint.version,
            variant=record.variant,
            model_name=record.name,
            model_data_url=record.model_data_url,
            default_accept=record.environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", JSON),
            module=module,
            model=loaded,
            directory=directory,
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        message = f"Loaded model {served.model_name} from {served.model_data_url} in {elapsed_ms:.0f} ms"
        self._log(region, name, served.variant, message)
        return served

    def _read_s3(self, url: str) -> bytes:
        if not url.startswith("s3://") or "/" not in url[5:]:
            raise ModelLoadError(f"ModelDataUrl {url!r} is not an s3://bucket/key URL")
        bucket, _, key = url[5:].partition("/")
        try:
            data = self.backends.s3_object(bucket, key)
        except Exception as exc:
            raise ModelLoadError(f"could not read {url}: {exc!r}") from exc
        if data is None:
            raise ModelLoadError(f"could not read {url}: the object does not exist")
        return data
