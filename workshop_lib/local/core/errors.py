"""AWS errors as exceptions: raise one anywhere in a service's handling, the router answers with its response.

Each AWS protocol has one base class here that renders its error body in one place; each service package's
``exceptions.py`` has one class per AWS error code on top of these, carrying the code and its HTTP status:

- ``AwsJsonError``: the AWS JSON protocol (DynamoDB, Logs, SageMaker): ``{"__type": code, "message": ...}``;
- ``RestJsonError``: REST-JSON APIs (Lambda, SageMaker runtime): ``x-amzn-ErrorType`` and a JSON body;
- ``QueryXmlError``: the query protocol (IAM, STS, CloudWatch): ``<ErrorResponse><Error>...``;
- ``RestXmlError``: S3's ``<Error><Code>...`` document;
- ``StageError``: what an API Gateway stage answers itself: ``{"message": ...}``.

A service that answers the same code with another status (DynamoDB's AccessDeniedException is 400, Lambda's
403) passes ``status=``; every error has an ``x-amzn-RequestId``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response


class ServiceError(Exception):
    """An error AWS answers with: its code, HTTP status and message, rendered by the protocol's base class."""

    code: ClassVar[str] = ""
    status: ClassVar[int] = 400
    content_type: ClassVar[str] = "application/json"

    def __init__(self, message: str, *, status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = status if status is not None else type(self).status
        self.request_id = request_id or str(uuid.uuid4())

    def body(self) -> bytes:
        raise NotImplementedError(f"{type(self).__name__} names no protocol: derive it from a protocol base class")

    def headers(self) -> dict[str, str]:
        return {"x-amzn-RequestId": self.request_id}

    def response(self) -> Response:
        resp = Response(self.body(), status=self.http_status, content_type=self.content_type)
        for name, value in self.headers().items():
            resp.headers[name] = value
        return resp


class AwsJsonError(ServiceError):
    """The AWS JSON protocol's error: ``__type`` (with ``type_prefix``), ``message`` and ``Message``."""

    content_type = "application/x-amz-json-1.0"
    type_prefix: ClassVar[str] = ""

    def __init__(self, message: str, *, query_code: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.query_code = query_code  # query-compatible services (CloudWatch over JSON) name the query code too

    def body(self) -> bytes:
        doc = {"__type": f"{self.type_prefix}{self.code}", "message": self.message, "Message": self.message}
        return json.dumps(doc).encode()

    def headers(self) -> dict[str, str]:
        headers = {**super().headers(), "x-amzn-ErrorType": self.code}
        if self.query_code:
            headers["x-amzn-query-error"] = f"{self.query_code};Sender"
        return headers


class RestJsonError(ServiceError):
    """A REST-JSON API's error: the code in ``x-amzn-ErrorType`` (when there is one), the fields as JSON."""

    def fields(self) -> dict[str, Any]:
        return {"message": self.message}

    def body(self) -> bytes:
        return json.dumps(self.fields()).encode()

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        if self.code:
            headers["x-amzn-ErrorType"] = self.code
        return headers


class QueryXmlError(ServiceError):
    """The query protocol's ``ErrorResponse`` (``namespace`` as the service's API documents it, if any)."""

    content_type = "text/xml"
    namespace: ClassVar[str] = ""

    def body(self) -> bytes:
        xmlns = f' xmlns="{self.namespace}"' if self.namespace else ""
        return (
            f"<ErrorResponse{xmlns}><Error><Type>Sender</Type><Code>{self.code}</Code>"
            f"<Message>{escape(self.message)}</Message></Error><RequestId>{self.request_id}</RequestId></ErrorResponse>"
        ).encode()


class RestXmlError(ServiceError):
    """S3's ``Error`` document."""

    content_type = "application/xml"

    def body(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>"
            f"<RequestId>{self.request_id}</RequestId><HostId>{self.request_id}</HostId></Error>"
        ).encode()


class StageError(ServiceError):
    """What an API Gateway stage answers itself: ``{"message": ...}`` with the request's two ids."""

    def __init__(self, message: str, *, extended_request_id: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.extended_request_id = extended_request_id

    def body(self) -> bytes:
        return json.dumps({"message": self.message}, separators=(",", ":")).encode()

    def headers(self) -> dict[str, str]:
        headers = {**super().headers(), "x-amz-apigw-id": self.extended_request_id}
        if self.code:
            headers["x-amzn-ErrorType"] = self.code
        return headers
