"""What the local cloud completes of moto's Lambda control plane: GetFunction's Code.Location, downloadable.

On AWS, ``GetFunction`` returns a presigned S3 URL of the deployment package. moto returns an AWS URL that
cannot be reached from here, so this service answers GetFunction through moto and replaces ``Code.Location``
with a URL of the local cloud that serves the stored package bytes.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request, Response

from ..core.context import CloudContext
from ..core.moto_seam import MotoBackends, MotoDispatcher
from ..core.records import FunctionNotFound
from .exceptions import NoSuchKey

_GET_FUNCTION = re.compile(r"^/2015-03-31/functions/([^/]+)/?$")
_CODE = re.compile(r"^/_lambda-code/([^/]+)\.zip$")


class LambdaCodeLocation:
    """Serves the deployed package behind GetFunction's Code.Location."""

    def __init__(self, ctx: CloudContext, backends: MotoBackends, moto: MotoDispatcher) -> None:
        self.ctx = ctx
        self.backends = backends
        self.moto = moto

    def matches(self, request: Request) -> bool:
        if request.method != "GET":
            return False
        return bool(_GET_FUNCTION.match(request.path) or _CODE.match(request.path))

    def handle(self, request: Request) -> Response:
        code = _CODE.match(request.path)
        if code:
            return self._download(unquote(code.group(1)), request.args.get("sha", ""))
        resp = self.moto.answer(request)
        if resp.status_code != 200:
            return resp
        body = json.loads(resp.get_data())
        if body.get("Code", {}).get("RepositoryType") == "S3":
            name = body["Configuration"]["FunctionName"]
            sha = quote(body["Configuration"]["CodeSha256"], safe="")
            body["Code"]["Location"] = f"{self.ctx.endpoint_url}/_lambda-code/{quote(name)}.zip?sha={sha}"
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _download(self, name: str, sha: str) -> Response:
        try:
            fn = self.backends.function(name)
        except (FunctionNotFound, ValueError):
            raise NoSuchKey(f"no package for function {name}") from None
        if sha and sha != fn.code_sha256:
            # A presigned URL of an older package expires on AWS; here it names a replaced package.
            raise NoSuchKey(f"function {name} no longer has code {sha}")
        return Response(fn.code, content_type="application/zip")

    def close(self) -> None:
        pass
