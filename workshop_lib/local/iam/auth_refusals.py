"""How each service refuses a request that is not authentic: its error code, HTTP status and message per failure.

AWS answers an authentication failure in the called service's protocol, and the codes differ by protocol: the AWS
JSON services (DynamoDB, Logs, SageMaker) answer ``...Exception`` codes with 400, the query services (STS, IAM)
the query codes with 403 (400 for an incomplete signature), the REST-JSON services (Lambda, SageMaker runtime, API
Gateway) ``...Exception`` codes with 403, CloudWatch over JSON the JSON code with the query code in
``x-amzn-query-error``, and S3 its own codes. ``TABLE`` holds them; docs/authentication.md shows it per service
with the sources, and tests/local_cloud/iam/test_authentication.py keeps the two equal.

Which service a request calls is its credential scope's signing name when it is signed with SigV4 (as moto routes
it); an unsigned request, or one signed with SigV2, is recognised by its shape (``X-Amz-Target``, the query
``Action`` and ``Version``, the REST path), else it is S3's.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from werkzeug.wrappers import Request

from ..core.errors import ServiceError
from ..core.sigv4 import AuthFailure, Failure
from .exceptions import (
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    SIGNATURE_MISMATCH,
    AuthorizationHeaderMalformed,
    AuthorizationQueryParametersError,
    ExpiredToken,
    ExpiredTokenException,
    IncompleteSignature,
    IncompleteSignatureException,
    InvalidAccessKeyId,
    InvalidClientTokenId,
    InvalidSignatureException,
    InvalidToken,
    MissingAuthenticationToken,
    MissingAuthenticationTokenException,
    RequestTimeTooSkewed,
    RestExpiredTokenException,
    RestIncompleteSignatureException,
    RestInvalidSignatureException,
    RestMissingAuthenticationTokenException,
    RestUnrecognizedClientException,
    S3AccessDenied,
    S3ExpiredToken,
    S3SignatureDoesNotMatch,
    SignatureDoesNotMatch,
    UnrecognizedClientException,
    XAmzContentSHA256Mismatch,
)


class Protocol(enum.Enum):
    JSON = "AWS JSON"
    JSON_QUERY = "AWS JSON, query-compatible"
    QUERY = "query"
    REST_JSON = "REST-JSON"
    S3 = "REST-XML (S3)"


_QUERY_COMPATIBLE_TARGETS = ("GraniteServiceVersion20100801.", "AmazonSQS.")
_TARGET_SERVICES = {"DynamoDB_": "dynamodb", "Logs_": "logs", "SageMaker.": "sagemaker", "Granite": "monitoring"}
_QUERY_VERSIONS = {"2011-06-15": "sts", "2010-05-08": "iam", "2010-08-01": "monitoring"}
_LAMBDA_PATH = re.compile(r"^/20\d\d-\d\d-\d\d/(functions|tags|event-source-mappings|layers|account-settings)\b")
_SAGEMAKER_RUNTIME_PATH = re.compile(r"^/endpoints/[^/]+/(async-)?invocations$")
_APIGATEWAY_PATH = re.compile(r"^/(restapis|apikeys|usageplans|domainnames|account|clientcertificates|vpclinks)\b")
_WINDOW_S = {"lambda": 300}  # Lambda refuses requests signed more than 5 minutes away; the others 15
DEFAULT_WINDOW_S = 900


def window_s(service: str) -> int:
    """How far from the server's clock a request's time may be, per service."""
    return _WINDOW_S.get(service, DEFAULT_WINDOW_S)


def _query_params(request: Request) -> dict[str, list[str]]:
    params = dict(request.args.lists())
    if request.method == "POST" and "x-www-form-urlencoded" in (request.content_type or ""):
        params |= parse_qs(request.get_data(cache=True).decode("utf-8", "replace"))
    return params


def service_of(request: Request) -> str:
    """The signing name of the service a request calls, read from its shape (for unsigned and SigV2 requests)."""
    target = request.headers.get("X-Amz-Target", "")
    if target:
        return next((s for prefix, s in _TARGET_SERVICES.items() if target.startswith(prefix)), "unknown-json")
    path = request.path
    if _LAMBDA_PATH.match(path):
        return "lambda"
    if _SAGEMAKER_RUNTIME_PATH.match(path):
        return "sagemaker"
    if _APIGATEWAY_PATH.match(path):
        return "apigateway"
    params = _query_params(request)
    if "Action" in params:
        return _QUERY_VERSIONS.get(params.get("Version", [""])[0], "unknown-query")
    return "s3"


def protocol_of(request: Request, service: str) -> Protocol:
    """The protocol a request speaks, which decides the shape of its refusal."""
    if service == "s3":
        return Protocol.S3
    target = request.headers.get("X-Amz-Target", "")
    if target.startswith(_QUERY_COMPATIBLE_TARGETS):
        return Protocol.JSON_QUERY
    if target:
        return Protocol.JSON
    if service in ("sts", "iam") or "Action" in _query_params(request):
        return Protocol.QUERY
    return Protocol.REST_JSON


@dataclass(frozen=True)
class Answer:
    """One refusal: the error class (its code and default status), the status AWS uses, and the message."""

    error: type[ServiceError]
    status: int
    message: str | None  # None: the failure's own message (which names what is wrong)
    query_code: str | None = None  # CloudWatch over JSON also names the query protocol's code

    @property
    def code(self) -> str:
        return self.error.code


_S3_SIGNATURE = "The request signature we calculated does not match the signature you provided. Check your key and signing method."  # noqa: E501
_S3_SKEW = "The difference between the request time and the current time is too large."

TABLE: dict[Protocol, dict[Failure, Answer]] = {
    Protocol.JSON: {
        Failure.MISSING: Answer(MissingAuthenticationTokenException, 400, "Request is missing Authentication Token"),
        Failure.INCOMPLETE: Answer(IncompleteSignatureException, 400, None),
        Failure.SCOPE: Answer(InvalidSignatureException, 400, None),
        Failure.SKEWED: Answer(InvalidSignatureException, 400, None),
        Failure.PRESIGN_EXPIRED: Answer(InvalidSignatureException, 400, None),
        Failure.UNKNOWN_KEY: Answer(UnrecognizedClientException, 400, INVALID_TOKEN),
        Failure.BAD_TOKEN: Answer(UnrecognizedClientException, 400, INVALID_TOKEN),
        Failure.EXPIRED_TOKEN: Answer(ExpiredTokenException, 400, EXPIRED_TOKEN),
        Failure.SIGNATURE: Answer(InvalidSignatureException, 400, SIGNATURE_MISMATCH),
    },
    Protocol.JSON_QUERY: {
        Failure.MISSING: Answer(
            MissingAuthenticationTokenException, 403, "Request is missing Authentication Token",
            "MissingAuthenticationToken",
        ),
        Failure.INCOMPLETE: Answer(IncompleteSignatureException, 400, None, "IncompleteSignature"),
        Failure.SCOPE: Answer(InvalidSignatureException, 403, None, "SignatureDoesNotMatch"),
        Failure.SKEWED: Answer(InvalidSignatureException, 403, None, "SignatureDoesNotMatch"),
        Failure.PRESIGN_EXPIRED: Answer(InvalidSignatureException, 403, None, "SignatureDoesNotMatch"),
        Failure.UNKNOWN_KEY: Answer(UnrecognizedClientException, 403, INVALID_TOKEN, "InvalidClientTokenId"),
        Failure.BAD_TOKEN: Answer(UnrecognizedClientException, 403, INVALID_TOKEN, "InvalidClientTokenId"),
        Failure.EXPIRED_TOKEN: Answer(ExpiredTokenException, 403, EXPIRED_TOKEN, "ExpiredToken"),
        Failure.SIGNATURE: Answer(InvalidSignatureException, 403, SIGNATURE_MISMATCH, "SignatureDoesNotMatch"),
    },
    Protocol.QUERY: {
        Failure.MISSING: Answer(MissingAuthenticationToken, 403, "Request is missing Authentication Token"),
        Failure.INCOMPLETE: Answer(IncompleteSignature, 400, None),
        Failure.SCOPE: Answer(SignatureDoesNotMatch, 403, None),
        Failure.SKEWED: Answer(SignatureDoesNotMatch, 403, None),
        Failure.PRESIGN_EXPIRED: Answer(SignatureDoesNotMatch, 403, None),
        Failure.UNKNOWN_KEY: Answer(InvalidClientTokenId, 403, INVALID_TOKEN),
        Failure.BAD_TOKEN: Answer(InvalidClientTokenId, 403, INVALID_TOKEN),
        Failure.EXPIRED_TOKEN: Answer(ExpiredToken, 403, EXPIRED_TOKEN),
        Failure.SIGNATURE: Answer(SignatureDoesNotMatch, 403, SIGNATURE_MISMATCH),
    },
    Protocol.REST_JSON: {
        Failure.MISSING: Answer(RestMissingAuthenticationTokenException, 403, "Missing Authentication Token"),
        Failure.INCOMPLETE: Answer(RestIncompleteSignatureException, 403, None),
        Failure.SCOPE: Answer(RestInvalidSignatureException, 403, None),
        Failure.SKEWED: Answer(RestInvalidSignatureException, 403, None),
        Failure.PRESIGN_EXPIRED: Answer(RestInvalidSignatureException, 403, None),
        Failure.UNKNOWN_KEY: Answer(RestUnrecognizedClientException, 403, INVALID_TOKEN),
        Failure.BAD_TOKEN: Answer(RestUnrecognizedClientException, 403, INVALID_TOKEN),
        Failure.EXPIRED_TOKEN: Answer(RestExpiredTokenException, 403, EXPIRED_TOKEN),
        Failure.SIGNATURE: Answer(RestInvalidSignatureException, 403, SIGNATURE_MISMATCH),
    },
    Protocol.S3: {
        Failure.MISSING: Answer(S3AccessDenied, 403, "Access Denied"),
        Failure.INCOMPLETE: Answer(AuthorizationHeaderMalformed, 400, None),
        Failure.SCOPE: Answer(AuthorizationHeaderMalformed, 400, None),
        Failure.SKEWED: Answer(RequestTimeTooSkewed, 403, _S3_SKEW),
        Failure.PRESIGN_EXPIRED: Answer(S3AccessDenied, 403, None),
        Failure.UNKNOWN_KEY: Answer(InvalidAccessKeyId, 403, "The AWS Access Key Id you provided does not exist in our records."),  # noqa: E501
        Failure.BAD_TOKEN: Answer(InvalidToken, 400, "The provided token is malformed or otherwise invalid."),
        Failure.EXPIRED_TOKEN: Answer(S3ExpiredToken, 400, "The provided token has expired."),
        Failure.SIGNATURE: Answer(S3SignatureDoesNotMatch, 403, _S3_SIGNATURE),
        Failure.PAYLOAD_HASH: Answer(XAmzContentSHA256Mismatch, 400, None),
    },
}  # fmt: skip

_NO_MESSAGE_ARGUMENT = (InvalidAccessKeyId, InvalidToken)  # their constructors set AWS's fixed message


def refusal(
    protocol: Protocol, failure: AuthFailure, *, presigned: bool = False, user_type: bool = False
) -> ServiceError:
    """The error a service of ``protocol`` answers for ``failure``."""
    answers = TABLE[protocol]
    kind = failure.kind if failure.kind in answers else Failure.SIGNATURE  # only S3 checks the payload hash itself
    answer = answers[kind]
    error = answer.error
    if protocol is Protocol.S3 and kind is Failure.INCOMPLETE and presigned:
        error = AuthorizationQueryParametersError
    own = (failure.s3_message if protocol is Protocol.S3 else None) or failure.message
    message = answer.message if answer.message is not None else own
    if issubclass(error, _NO_MESSAGE_ARGUMENT):
        return error(status=answer.status)
    build: Callable[..., ServiceError] = error
    if answer.query_code:
        return build(message, status=answer.status, query_code=answer.query_code)
    if user_type:
        return build(message, status=answer.status, user_type=True)
    return build(message, status=answer.status)


# The services docs/authentication.md lists: (name, signing name, protocol).
SERVICES: tuple[tuple[str, str, Protocol], ...] = (
    ("DynamoDB", "dynamodb", Protocol.JSON),
    ("CloudWatch Logs", "logs", Protocol.JSON),
    ("SageMaker", "sagemaker", Protocol.JSON),
    ("SageMaker runtime", "sagemaker", Protocol.REST_JSON),
    ("Lambda", "lambda", Protocol.REST_JSON),
    ("API Gateway", "apigateway", Protocol.REST_JSON),
    ("STS", "sts", Protocol.QUERY),
    ("IAM", "iam", Protocol.QUERY),
    ("CloudWatch", "monitoring", Protocol.JSON_QUERY),
    ("S3", "s3", Protocol.S3),
)
