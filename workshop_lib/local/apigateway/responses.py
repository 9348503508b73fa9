"""The local API Gateway: REST API stages at ``/restapis/{api}/{stage}/_user_request_/{path}``, and the control-plane
calls it completes (``control_plane.py``).

It serves every deployed stage of every REST API in moto's apigateway backend, as deployed (``models.py``), with
``AWS_PROXY`` integrations: the Lambda gets the v1 proxy event (``events.py``) and runs through the Lambda data
plane this service is given; its proxy response becomes the HTTP response (``proxy.py``).

Errors (``exceptions.py``): a malformed proxy response or a function error gives 502 ``{"message":"Internal server
error"}``; an unknown resource or method on a deployed stage gives 403 ``{"message":"Missing Authentication
Token"}``; an unknown API or stage gives 403 ``{"message":"Forbidden"}`` (what execute-api answers for them); an
integration running past its timeout (29 s unless the integration sets ``timeoutInMillis``) gives 504
``{"message":"Endpoint request timed out"}``; a body over 10 MB gives 413; a function whose resource policy does
not let ``apigateway.amazonaws.com`` invoke it for this method's source ARN
(``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{resource path}``, decided by the Lambda data
plane with the one policy engine), a missing function, or a refused Invoke call give 500 ``{"message": "Internal
server error"}``. With the timing model on, a stage deployed moments ago answers 500 too (``control_plane.py``), a
function's new permission takes seconds to allow it (``awslambda/permissions.py``), and the control plane's rate
limits apply (``quotas.py``).

What it cannot do: only ``AWS_PROXY`` (Lambda proxy) integrations are served, other types answer 500; an
integration with ``credentials`` (a role for API Gateway) skips the resource policy check and the role's
permissions are not evaluated; the API's own resource policy is not evaluated; authorizers (``CUSTOM``,
``COGNITO_USER_POOLS``) are not run and answer 500; ``AWS_IAM`` methods refuse unsigned requests (403 Missing
Authentication Token) but do not verify signatures or permissions; an API key is checked for existence, being
enabled and a usage plan holding the stage, not for quotas or throttling; custom gateway responses, request
validators, mapping templates, caching, CloudFront headers and access logs are not emulated.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import re
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ..awslambda.exceptions import LambdaError
from ..awslambda.invoke import LambdaDataPlane
from ..awslambda.models import APIGATEWAY_PRINCIPAL
from ..core.context import CloudContext
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.signing import Credential, credential_of, region_of
from ..core.timing import Timing
from .control_plane import Deployments
from .events import EventInput, RequestIds, build_event, request_header_lines
from .exceptions import (
    MAX_BODY_BYTES,
    EndpointRequestTimedOut,
    ForbiddenException,
    InternalServerErrorException,
    MalformedProxyResponse,
    MissingAuthenticationTokenException,
    RequestTooLarge,
)
from .models import FrozenDeployment, FrozenIntegration, FrozenMethod, Route, find_route
from .proxy import parse_proxy_response, to_http

log = logging.getLogger("workshop_lib.local.apigateway")

_USER_REQUEST = re.compile(r"^/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?$")
_LAMBDA_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:([a-z0-9-]+):lambda:path/[^/]+/functions/(.+)/invocations$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


def user_path(request: Request) -> tuple[str, list[str]]:
    """The path after ``_user_request_`` (percent-decoded) and its parts, split before decoding."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
    raw_path = raw.split("?", 1)[0]
    _, _, rest = raw_path.partition("/_user_request_")
    parts = [unquote(p) for p in rest.split("/") if p]
    return unquote(rest) or "/", parts


def _iam_access_key(credential: Credential | None, route: Route) -> str | None:
    """``requestContext.identity.accessKey``: the caller's key on an AWS_IAM method, else null."""
    return credential.access_key if credential and route.method.authorization_type == "AWS_IAM" else None


class ApiGatewayService:
    """Serves stage requests; completes CreateRestApi, UpdateRestApi and CreateDeployment."""

    def __init__(
        self,
        ctx: CloudContext,
        backends: MotoBackends,
        moto: MotoDispatcher,
        lambda_plane: LambdaDataPlane,
        timing: Timing | None = None,
    ) -> None:
        self.ctx = ctx
        self.backends = backends
        self.lambda_plane = lambda_plane
        self.deployments = Deployments(backends, moto, timing)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="apigw-integration")

    def matches(self, request: Request) -> bool:
        if not request.path.startswith("/restapis"):
            return False
        return _USER_REQUEST.match(request.path) is not None or self.deployments.matches(request)

    def handle(self, request: Request) -> Response:
        if _USER_REQUEST.match(request.path):
            return self._serve(request)
        return self.deployments.handle(request, region_of(request, self.ctx.region))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- a stage request, step by step ------------------------------------------------------------------

    def _serve(self, request: Request) -> Response:
        ids = RequestIds.new()
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise RequestTooLarge(ids)
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            raise RequestTooLarge(ids)
        match = _USER_REQUEST.match(request.path)
        assert match is not None  # handle() checked it
        api_id, stage_name = match.group(1), match.group(2)
        region = self.ctx.region
        stage = self.backends.stage(api_id, stage_name, region)
        deployment = self.deployments.deployment(region, api_id, stage) if stage is not None else None
        if stage is None or deployment is None or stage.execute_api_disabled:
            raise ForbiddenException(ids)
        if self.deployments.settling.active((region, api_id, stage_name)):
            raise InternalServerErrorException(ids)  # the new deployment is still propagating (timing model)
        path, segments = user_path(request)
        route = find_route(deployment.root, segments, request.method.upper())
        if route is None:
            raise MissingAuthenticationTokenException(ids)
        credential = credential_of(request)
        self._authorize(route.method, request, credential is not None, f"{api_id}/{stage_name}", region, ids)
        function_arn = self._lambda_target(route, stage.variables, f"{api_id}/{stage_name}", region, ids)
        event = build_event(
            EventInput(
                api_id=api_id,
                stage=stage_name,
                account_id=self.ctx.account_id,
                region=region,
                deployment_id=deployment.deployment_id,
                http_method=request.method.upper(),
                path=path,
                query=request.environ.get("QUERY_STRING", ""),
                header_lines=request_header_lines(request),
                body=body,
                source_ip=request.remote_addr or "127.0.0.1",
                protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                port=self.ctx.port,
                route=route,
                stage_variables=stage.variables,
                binary_media_types=deployment.binary_media_types,
                ids=ids,
                access_key=_iam_access_key(credential, route),
            )
        )
        assert route.method.integration is not None  # _lambda_target checked it
        return self._invoke(function_arn, event, route.method.integration, request, deployment, ids)

    def _authorize(
        self, method: FrozenMethod, request: Request, signed: bool, api_stage: str, region: str, ids: RequestIds
    ) -> None:
        auth = method.authorization_type
        if auth == "AWS_IAM" and not signed:
            raise MissingAuthenticationTokenException(ids)
        if auth not in ("NONE", "AWS_IAM"):
            log.warning("authorizer type %s is not emulated by the local cloud", auth)
            raise InternalServerErrorException(ids)
        if method.api_key_required:
            value = request.headers.get("x-api-key")
            api_id, stage = api_stage.split("/", 1)
            if not value or not self.backends.api_key_allows(value, api_id, stage, region):
                raise ForbiddenException(ids)

    def _lambda_target(
        self, route: Route, stage_variables: dict[str, str], api_stage: str, region: str, ids: RequestIds
    ) -> str:
        """The function an AWS_PROXY integration invokes, after the function's resource policy allowed it."""
        integration: FrozenIntegration | None = route.method.integration
        if integration is None:
            log.warning("%s %s on API %s has no integration", route.method.http_method, route.node.path, api_stage)
            raise InternalServerErrorException(ids)
        if integration.type != "AWS_PROXY":
            log.warning("integration type %s is not emulated (only AWS_PROXY)", integration.type)
            raise InternalServerErrorException(ids)
        uri = _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), integration.uri)
        target = _LAMBDA_URI.match(uri)
        if target is None or (integration.http_method or "").upper() != "POST":
            log.warning("AWS_PROXY integration %r (method %s) does not invoke a Lambda", uri, integration.http_method)
            raise InternalServerErrorException(ids)
        function_region, function_arn = target.group(1), target.group(2)
        execute_api = f"arn:aws:execute-api:{region}:{self.ctx.account_id}:{api_stage}"
        source_arn = f"{execute_api}/{route.method.http_method}{route.node.path}"
        if integration.credentials is None and not self.lambda_plane.may_invoke(
            function_arn, function_region, APIGATEWAY_PRINCIPAL, source_arn
        ):
            log.warning("function %s does not allow apigateway.amazonaws.com for %s", function_arn, source_arn)
            raise InternalServerErrorException(ids)
        return function_arn

    def _invoke(
        self,
        function_arn: str,
        event: dict[str, Any],
        integration: FrozenIntegration,
        request: Request,
        deployment: FrozenDeployment,
        ids: RequestIds,
    ) -> Response:
        future = self._pool.submit(self.lambda_plane.invoke, function_arn, json.dumps(event).encode())
        try:
            result = future.result(timeout=integration.timeout_ms / 1000)
        except concurrent.futures.TimeoutError:
            raise EndpointRequestTimedOut(ids) from None
        except LambdaError as error:
            log.warning("Lambda invocation of %s failed with status %s", function_arn, error.http_status)
            raise InternalServerErrorException(ids) from error
        except Exception as exc:
            log.error("invoking %s failed: %r", function_arn, exc)
            raise InternalServerErrorException(ids) from exc
        if result.function_error:
            raise InternalServerErrorException(ids, status=502)
        try:
            proxy = parse_proxy_response(result.payload)
        except MalformedProxyResponse as exc:
            log.warning("Malformed Lambda proxy response from %s: %s", function_arn, exc)
            raise InternalServerErrorException(ids, status=502) from exc
        return to_http(proxy, request.headers.get("Accept", ""), deployment.binary_media_types, ids)
