"""JSON bodies of the AWS JSON and REST-JSON protocols: a request's parameters, and an answer (moto's, usually) with
its body replaced, as the services that complete moto's answers read and write them."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response


def json_params(request: Request) -> dict[str, Any]:
    """A request's JSON parameters; ``{}`` when its body is empty, not JSON, or not an object (moto answers those)."""
    try:
        params = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


def with_json_body(resp: Response, doc: dict[str, Any]) -> Response:
    """``resp`` with ``doc`` as its JSON body (status and headers kept, Content-Length set anew)."""
    out = Response(status=resp.status_code, headers=resp.headers)
    out.set_data(json.dumps(doc))
    return out
