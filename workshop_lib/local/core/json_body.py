"""An answer (moto's, usually) with its JSON body replaced: what a service that completes moto's answers returns."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response


def with_json_body(resp: Response, doc: dict[str, Any]) -> Response:
    """``resp`` with ``doc`` as its JSON body (status and headers kept, Content-Length set anew)."""
    out = Response(status=resp.status_code, headers=resp.headers)
    out.set_data(json.dumps(doc))
    return out
