"""The local SageMaker runtime: InvokeEndpoint serves the model the endpoint really points to.

``POST /endpoints/{name}/invocations`` (SigV4 service "sagemaker") is answered here, not by moto
(whose runtime returns canned strings for any name). For an endpoint that exists and is InService
in moto's SageMaker backend, the plane follows endpoint -> endpoint config -> first production
variant -> model -> ``PrimaryContainer.ModelDataUrl``, reads that model.tar.gz from moto's S3,
extracts it under the cloud's work dir, imports the script named by ``SAGEMAKER_PROGRAM`` from
``code/`` and calls it the way the SageMaker scikit-learn container (1.2-1, Flask worker) does:
``model_fn(model_dir)`` once, then ``input_fn(body, content_type)``, ``predict_fn(data, model)`` and
``output_fn(prediction, accept)`` per request. The loaded model is reused until the endpoint is
recreated or updated to another endpoint config (like AWS, a running endpoint keeps serving the
model it was deployed with even if the S3 object is overwritten later).

Errors are AWS's: ValidationError (400) "Endpoint {name} of account {account} not found." for an
unknown or not-InService endpoint; ModelError (424) with OriginalStatusCode, OriginalMessage and
LogStreamArn when the model answers 4xx/5xx (an exception in the script gives the container's 500
HTML page, its traceback goes to the endpoint's CloudWatch log group
``/aws/sagemaker/Endpoints/{name}``); HTTP 413 "HTTP content length exceeded 6291456 bytes." for
a body over InvokeEndpoint's 6 MB limit (the wording of AWS's answer as reported when the limit was
5 MB; the current text is not documented). Success carries the script's Content-Type and
``x-Amzn-Invoked-Production-Variant``. A request without Content-Type reaches the script as
application/json, the container's default (what AWS forwards in that case is not documented).

moto 5.2 has no UpdateEndpoint; this plane completes it on moto's backend (``SageMaker.UpdateEndpoint``):
the endpoint switches to the new config at once and stays InService.

What is not emulated: the container itself (no Docker; the script runs inside the cloud process
with this machine's Python and packages, where the container has Python 3.9, scikit-learn 1.2.1 and
numpy 1.x; ``code/requirements.txt`` is not installed), the model's
``Environment`` variables in ``os.environ`` (only SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY /
SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT are read), instance types and counts, traffic splitting
between several variants (the first variant serves), TargetVariant / TargetModel / inference
components, async and streaming invocations, serverless endpoints, autoscaling, data capture,
the 60-second model timeout, and the Creating/Updating states (moto makes endpoints InService at once).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import re
import shutil
import sys
import tarfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

from moto.core.utils import utcnow
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Request, Response

from .edge import CloudContext, aws_json_error, signature_of

log = logging.getLogger("workshop_lib.local.sagemaker")

MAX_BODY_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's BodyBlob limit (6,291,456 bytes)
_INVOKE_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
_UPDATE_TARGET = "SageMaker.UpdateEndpoint"
_JSON = "application/json"
_UTF8_TYPES = ("application/json", "text/csv")  # the container hands these to input_fn as str, others as bytes
_CONTAINER_NAME = "primary"
# What the container's Flask 1.1 / Werkzeug 0.15 worker answers when the script raises.
CONTAINER_500_BODY = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
    "<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n"
    "<p>The server encountered an internal error and was unable to complete your request. "
    "Either the server is overloaded or there is an error in the application.</p>\n"
)


def _log_group(endpoint: str) -> str:
    return f"/aws/sagemaker/Endpoints/{endpoint}"


class ModelLoadError(Exception):
    """The endpoint's model could not be loaded (artifact missing, bad tarball, model_fn failed)."""


@dataclass
class _Served:
    """A loaded model: the script's module, what model_fn returned, and what it was loaded from."""

    key: tuple[Any, ...]
    variant: str
    model_name: str
    model_data_url: str
    default_accept: str
    module: ModuleType
    model: Any
    directory: Path


@dataclass
class _Outcome:
    status: int
    body: bytes
    content_type: str


class SageMakerRuntimePlane:
    """InvokeEndpoint (and the missing UpdateEndpoint) over moto's SageMaker and S3 backends."""

    def __init__(self, ctx: CloudContext) -> None:
        self.ctx = ctx
        self.root = ctx.work_dir / "sagemaker"
        self._served: dict[tuple[str, str], _Served] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()

    # --- DataPlane ----------------------------------------------------------------------------
    def matches(self, request: Request) -> bool:
        if request.method != "POST":
            return False
        sig = signature_of(request)
        if sig is not None and sig.service != "sagemaker":
            return False
        if _INVOKE_PATH.match(request.path):
            return True
        return request.path == "/" and request.headers.get("X-Amz-Target") == _UPDATE_TARGET

    def handle(self, request: Request) -> Response:
        if request.headers.get("X-Amz-Target") == _UPDATE_TARGET:
            return self._update_endpoint(request)
        match = _INVOKE_PATH.match(request.path)
        assert match is not None  # matches() checked it
        return self._invoke(request, unquote(match.group(1)))

    def close(self) -> None:
        with self._lock:
            for served in self._served.values():
                sys.modules.pop(served.module.__name__, None)
            self._served.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- InvokeEndpoint -----------------------------------------------------------------------
    def _region(self, request: Request) -> str:
        sig = signature_of(request)
        return sig.region if sig is not None else self.ctx.region

    def _invoke(self, request: Request, name: str) -> Response:
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            return Response(
                json.dumps({"message": f"HTTP content length exceeded {MAX_BODY_BYTES} bytes."}),
                status=413,
                content_type=_JSON,
            )
        region = self._region(request)
        try:
            backend = self.ctx.backend("sagemaker", region)
        except KeyError:  # a region moto does not know has no endpoints
            backend = None
        endpoint = backend.endpoints.get(name) if backend is not None else None
        if endpoint is None or endpoint.endpoint_status != "InService":
            self._forget(region, name)
            return aws_json_error(
                400, "ValidationError", f"Endpoint {name} of account {self.ctx.account_id} not found."
            )
        try:
            served = self._serving(region, name, endpoint, backend)
        except ModelLoadError as exc:
            self._log(region, name, "AllTraffic", str(exc))
            return self._model_error(region, name, _Outcome(500, CONTAINER_500_BODY.encode(), "text/html"))
        outcome = self._transform(served, request, body, region, name)
        if outcome.status >= 400:
            return self._model_error(region, name, outcome)
        resp = Response(outcome.body, status=200, content_type=outcome.content_type)
        resp.headers["x-Amzn-Invoked-Production-Variant"] = served.variant
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp

    def _forget(self, region: str, name: str) -> None:
        with self._lock:
            served = self._served.pop((region, name), None)
        if served is not None:
            self._discard(served)

    def _discard(self, served: _Served) -> None:
        sys.modules.pop(served.module.__name__, None)
        shutil.rmtree(served.directory, ignore_errors=True)

    def _serving(self, region: str, name: str, endpoint: Any, backend: Any) -> _Served:
        """The loaded model of an endpoint, loading it on first use or after the endpoint changed."""
        key = (endpoint.arn, endpoint.creation_time, endpoint.last_modified_time, endpoint.endpoint_config_name)
        slot = (region, name)
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
            fresh = self._load(region, name, key, endpoint, backend)
            with self._lock:
                old = self._served.get(slot)
                self._served[slot] = fresh
            if old is not None:
                self._discard(old)
            return fresh

    def _load(self, region: str, name: str, key: tuple[Any, ...], endpoint: Any, backend: Any) -> _Served:
        config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
        if config is None or not config.production_variants:
            raise ModelLoadError(f"endpoint config {endpoint.endpoint_config_name} of endpoint {name} does not exist")
        variant = config.production_variants[0]
        model = backend._models.get(variant["ModelName"])
        if model is None:
            raise ModelLoadError(f"model {variant['ModelName']} of endpoint {name} does not exist")
        container = model.primary_container or (model.containers[0] if model.containers else {})
        url = container.get("ModelDataUrl") or ""
        environment = container.get("Environment") or {}
        started = time.perf_counter()
        directory = self.root / f"{name}-{uuid.uuid4().hex[:8]}"
        try:
            self._extract(self._read_s3(url), directory)
            module = self._import_script(directory, environment)
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
            raise ModelLoadError(f"loading model {model.model_name} failed:\n{traceback.format_exc()}") from exc
        served = _Served(
            key=key,
            variant=variant["VariantName"],
            model_name=model.model_name,
            model_data_url=url,
            default_accept=environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", _JSON),
            module=module,
            model=loaded,
            directory=directory,
        )
        self._log(
            region,
            name,
            served.variant,
            f"Loaded model {served.model_name} from {url} in {(time.perf_counter() - started) * 1000:.0f} ms",
        )
        return served

    def _read_s3(self, url: str) -> bytes:
        if not url.startswith("s3://") or "/" not in url[5:]:
            raise ModelLoadError(f"ModelDataUrl {url!r} is not an s3://bucket/key URL")
        bucket, _, key = url[5:].partition("/")
        try:
            obj = self.ctx.backend("s3", "global").get_object(bucket, key)
        except Exception as exc:  # moto raises its own NoSuchBucket/NoSuchKey types
            raise ModelLoadError(f"could not read {url}: {exc!r}") from exc
        if obj is None:
            raise ModelLoadError(f"could not read {url}: the object does not exist")
        return bytes(obj.value)

    @staticmethod
    def _extract(data: bytes, directory: Path) -> None:
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

    @staticmethod
    def _import_script(directory: Path, environment: dict[str, str]) -> ModuleType:
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

    def _transform(self, served: _Served, request: Request, body: bytes, region: str, name: str) -> _Outcome:
        """The container's request handling: input_fn -> predict_fn -> output_fn, result to HTTP."""
        content_type = request.headers.get("Content-Type") or _JSON
        accept = request.headers.get("Accept") or ""
        if not accept or accept == "*/*":
            accept = served.default_accept
        content: Any = body.decode("utf-8", errors="replace") if content_type in _UTF8_TYPES else body
        module = served.module
        try:
            data = module.input_fn(content, content_type)
            prediction = module.predict_fn(data, served.model)
            result = module.output_fn(prediction, accept)
            return self._to_http(result, request)
        except Exception:  # noqa: BLE001 - the container answers 500 and logs the traceback
            self._log(region, name, served.variant, traceback.format_exc())
            return _Outcome(500, CONTAINER_500_BODY.encode(), "text/html")

    @staticmethod
    def _to_http(result: Any, request: Request) -> _Outcome:
        """What the container's Flask 1.1 worker makes of output_fn's return value."""
        if isinstance(result, tuple):  # sagemaker-containers: (body, mimetype)
            data, mimetype = result[0], result[1]
            return _Outcome(200, data.encode("utf-8") if isinstance(data, str) else bytes(data), str(mimetype))
        if isinstance(result, str):
            return _Outcome(200, result.encode("utf-8"), "text/html; charset=utf-8")
        if isinstance(result, (bytes, bytearray)):
            return _Outcome(200, bytes(result), "text/html; charset=utf-8")
        if isinstance(result, dict):
            return _Outcome(200, json.dumps(result).encode("utf-8"), _JSON)
        if callable(result):  # a WSGI application, run as the response
            app_iter, status, headers = run_wsgi_app(result, dict(request.environ))
            try:
                data = b"".join(app_iter)
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
            return _Outcome(int(status.split()[0]), data, headers.get("Content-Type", "text/html"))
        raise TypeError(f"output_fn returned {type(result).__name__}, which the container cannot send")

    def _model_error(self, region: str, name: str, outcome: _Outcome) -> Response:
        kind = "client" if outcome.status < 500 else "server"
        original = outcome.body.decode("utf-8", errors="replace")
        message = (
            f'Received {kind} error ({outcome.status}) from {_CONTAINER_NAME} with message "{original}". '
            f"See https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logEventViewer:group={_log_group(name)} in account {self.ctx.account_id} "
            "for more information."
        )
        resp = Response(
            json.dumps(
                {
                    "Message": message,
                    "OriginalStatusCode": outcome.status,
                    "OriginalMessage": original,
                    "LogStreamArn": f"arn:aws:logs:{region}:{self.ctx.account_id}:log-group:{_log_group(name)}",
                }
            ),
            status=424,
            content_type=_JSON,
        )
        resp.headers["x-amzn-ErrorType"] = "ModelError"
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp

    def _log(self, region: str, name: str, variant: str, message: str) -> None:
        """Append a line to the endpoint's CloudWatch log group (as the container's stdout would)."""
        group, stream = _log_group(name), f"{variant}/local"
        log.info("%s %s", group, message.splitlines()[0] if message else "")
        try:
            logs = self.ctx.backend("logs", region)
            with self._log_lock:
                if group not in logs.groups:
                    logs.create_log_group(group, {})
                if stream not in logs.groups[group].streams:
                    logs.create_log_stream(group, stream)
                logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": message}])
        except Exception as exc:  # noqa: BLE001 - logging must never break an invocation
            log.warning("could not write to %s: %r", group, exc)

    # --- UpdateEndpoint (missing from moto 5.2) -----------------------------------------------
    def _update_endpoint(self, request: Request) -> Response:
        try:
            params = json.loads(request.get_data(cache=True) or b"{}")
            name, config_name = params["EndpointName"], params["EndpointConfigName"]
        except (ValueError, KeyError, TypeError) as exc:
            return aws_json_error(
                400, "ValidationException", f"UpdateEndpoint needs EndpointName and EndpointConfigName: {exc}"
            )
        region = self._region(request)
        backend = self.ctx.backend("sagemaker", region)
        arn = f"arn:aws:sagemaker:{region}:{self.ctx.account_id}"
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            return aws_json_error(
                400, "ValidationException", f'Could not find endpoint "{arn}:endpoint/{name.lower()}".'
            )
        config = backend.endpoint_configs.get(config_name)
        if config is None:
            return aws_json_error(
                400,
                "ValidationException",
                f'Could not find endpoint configuration "{arn}:endpoint-config/{config_name.lower()}".',
            )
        if endpoint.endpoint_status != "InService":
            return aws_json_error(400, "ValidationException", f'Cannot update in-progress endpoint "{endpoint.arn}".')
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
        endpoint.last_modified_time = utcnow()
        resp = Response(json.dumps({"EndpointArn": endpoint.arn}), content_type="application/x-amz-json-1.1")
        resp.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return resp
