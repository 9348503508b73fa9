"""Each endpoint's model, deployed when the endpoint is created or updated, as a SageMaker instance does.

``ModelStore.load()`` follows endpoint config -> first production variant -> model -> ``PrimaryContainer``'s
``ModelDataUrl``, reads that model.tar.gz from the local S3, extracts it under the cloud's work dir, and loads its
script as the scikit-learn container does (workshop_lib/model/container: code directory, top-level import,
model_fn). A failure raises ``DeployFailed`` with AWS's FailureReason: the download or extraction failure, or the
failed ping health check (the script did not import, model_fn raised or is missing, a requirement is not
installed); the details go to the endpoint's CloudWatch log group. A deployed model serves until the endpoint is
deleted or updated to another config: deleting or overwriting the S3 object afterwards changes nothing. An
update's model is staged while the endpoint is Updating (the old one serves) and promoted when the update completes.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...model.container import ArtifactError, LoadedScript, ScriptError, extract_artifact, load_script
from ..core.moto_seam import MotoBackends
from .exceptions import DeployFailed, download_failure, extract_failure, ping_failure


@dataclass
class ServedModel:
    """A deployed model: where it came from and the loaded script."""

    config_name: str
    variant: str
    model_name: str
    model_data_url: str
    loaded: LoadedScript
    directory: Path


class ModelStore:
    """The deployed model of every endpoint, by (region, endpoint name)."""

    def __init__(self, backends: MotoBackends, root: Path, log: Callable[[str, str, str, str], None]) -> None:
        self.backends = backends
        self.root = root
        self._log = log  # (region, endpoint, variant, message): a line of the endpoint's CloudWatch log
        self._served: dict[tuple[str, str], ServedModel] = {}
        self._staged: dict[tuple[str, str], ServedModel] = {}  # an update's model, until the update completes
        self._lock = threading.Lock()

    def serving(self, region: str, name: str) -> ServedModel | None:
        with self._lock:
            return self._served.get((region, name))

    def put(self, region: str, name: str, served: ServedModel) -> None:
        """Serve ``served`` on the endpoint from now on (the model it replaces is discarded)."""
        with self._lock:
            old = self._served.get((region, name))
            self._served[(region, name)] = served
        if old is not None and old is not served:
            shutil.rmtree(old.directory, ignore_errors=True)

    def stage(self, region: str, name: str, served: ServedModel) -> None:
        """Hold an update's model until ``promote`` (a model staged before and not promoted is discarded)."""
        with self._lock:
            old = self._staged.get((region, name))
            self._staged[(region, name)] = served
        if old is not None and old is not served:
            shutil.rmtree(old.directory, ignore_errors=True)

    def promote(self, region: str, name: str) -> ServedModel | None:
        """Serve the staged model from now on; returns it, None when nothing is staged."""
        with self._lock:
            staged = self._staged.pop((region, name), None)
            old = self._served.get((region, name))
            if staged is not None:
                self._served[(region, name)] = staged
        if staged is not None and old is not None:
            shutil.rmtree(old.directory, ignore_errors=True)
        return staged

    def forget(self, region: str, name: str) -> None:
        """Discard the endpoint's models, serving and staged."""
        with self._lock:
            gone = [self._served.pop((region, name), None), self._staged.pop((region, name), None)]
        for served in gone:
            if served is not None:
                shutil.rmtree(served.directory, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            self._served.clear()
            self._staged.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def load(self, region: str, name: str, config_name: str) -> ServedModel:
        """Deploy the model of ``config_name`` for endpoint ``name``; raises DeployFailed with the FailureReason."""
        try:
            record = self.backends.config_model(config_name, region)
        except LookupError as exc:
            raise DeployFailed(f"Could not find {exc.args[0]} of endpoint {name}.") from exc
        variant, url = record.variant, record.model_data_url
        started = time.perf_counter()
        directory = self.root / f"{name}-{uuid.uuid4().hex[:8]}"
        try:
            try:
                data = self._read_s3(url)
            except LookupError as exc:
                self._log(region, name, variant, f"could not read {url}: {exc}")
                raise DeployFailed(download_failure(url)) from exc
            try:
                extract_artifact(data, directory / "model")
            except ArtifactError as exc:
                self._log(region, name, variant, f"could not extract {url}: {exc}")
                raise DeployFailed(extract_failure(url)) from exc
            try:
                loaded = load_script(record.environment, directory / "model", directory / "code", self._fetch)
            except ScriptError as exc:
                self._log(region, name, variant, exc.details)
                self._log(region, name, variant, f"the model could not be loaded ({exc.step}): {exc.message}")
                raise DeployFailed(ping_failure(variant)) from exc
        except DeployFailed:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._log(region, name, variant, f"Loaded model {record.name} from {url} in {elapsed_ms:.0f} ms")
        return ServedModel(config_name, variant, record.name, url, loaded, directory)

    def _fetch(self, url: str) -> bytes:
        try:
            return self._read_s3(url)
        except LookupError as exc:
            raise ArtifactError(str(exc)) from exc

    def _read_s3(self, url: str) -> bytes:
        """An s3://bucket/key object's bytes; raises LookupError saying why not."""
        if not url.startswith("s3://") or "/" not in url[5:]:
            raise LookupError(f"{url!r} is not an s3://bucket/key URL")
        bucket, _, key = url[5:].partition("/")
        try:
            data = self.backends.s3_object(bucket, key)
        except Exception as exc:
            raise LookupError(repr(exc)) from exc
        if data is None:
            raise LookupError("the object does not exist")
        return data
