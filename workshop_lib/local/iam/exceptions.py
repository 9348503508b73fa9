"""IAM's refusals, one class per AWS error code and protocol.

The guard answers in the shape of the service that was called: DynamoDB, Logs, SageMaker (AWS JSON): 400
``AccessDeniedException``; CloudWatch over JSON: 403 with the query code in ``x-amzn-query-error``; Lambda: 403
``AccessDeniedException`` (REST-JSON, ``Type: User``); S3: 403 ``AccessDenied`` (XML); CloudWatch, STS, IAM
(query): 403 ``AccessDenied``; and the "invalid security token" errors of each. SimulatePrincipalPolicy answers
IAM's own query errors.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import AwsJsonError, QueryXmlError, RestJsonError, RestXmlError

INVALID_TOKEN = "The security token included in the request is invalid."
_CORAL = "com.amazon.coral.service#"


class AccessDeniedException(AwsJsonError):
    code = "AccessDeniedException"
    status = 400
    type_prefix = _CORAL


class UnrecognizedClientException(AwsJsonError):
    code = "UnrecognizedClientException"
    status = 400
    type_prefix = _CORAL


class RestIamError(RestJsonError):
    """A REST-JSON service's IAM refusal (``Type: User`` where the service adds it, as Lambda does)."""

    def __init__(self, message: str, *, user_type: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.user_type = user_type

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"Message": self.message, "message": self.message}
        if self.user_type:
            fields["Type"] = "User"
        return fields


class RestAccessDeniedException(RestIamError):
    code = "AccessDeniedException"
    status = 403


class RestUnrecognizedClientException(RestIamError):
    code = "UnrecognizedClientException"
    status = 403


class AccessDenied(QueryXmlError):
    code = "AccessDenied"
    status = 403


class InvalidClientTokenId(QueryXmlError):
    code = "InvalidClientTokenId"
    status = 403


class S3AccessDenied(RestXmlError):
    code = "AccessDenied"
    status = 403


class InvalidAccessKeyId(RestXmlError):
    code = "InvalidAccessKeyId"
    status = 403

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("The AWS Access Key Id you provided does not exist in our records.", **kwargs)


class InvalidToken(RestXmlError):
    code = "InvalidToken"
    status = 400

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("The provided token is malformed or otherwise invalid.", **kwargs)


class IamApiError(QueryXmlError):
    """An error of IAM's own API (the query protocol with IAM's namespace)."""

    namespace = "https://iam.amazonaws.com/doc/2010-05-08/"


class ValidationError(IamApiError):
    code = "ValidationError"
    status = 400


class InvalidInput(IamApiError):
    code = "InvalidInput"
    status = 400


class NoSuchEntity(IamApiError):
    code = "NoSuchEntity"
    status = 404


# --- Authentication: the signature, the access key, the session token, the request time (iam/authentication.py) --
# Messages are AWS's; docs/authentication.md has the table per service with its sources.
EXPIRED_TOKEN = "The security token included in the request is expired"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details."
)


class MissingAuthenticationTokenException(AwsJsonError):
    code = "MissingAuthenticationTokenException"
    status = 400
    type_prefix = _CORAL


class IncompleteSignatureException(AwsJsonError):
    code = "IncompleteSignatureException"
    status = 400
    type_prefix = _CORAL


class InvalidSignatureException(AwsJsonError):
    code = "InvalidSignatureException"
    status = 400
    type_prefix = _CORAL


class ExpiredTokenException(AwsJsonError):
    code = "ExpiredTokenException"
    status = 400
    type_prefix = _CORAL


class RestMissingAuthenticationTokenException(RestIamError):
    code = "MissingAuthenticationTokenException"
    status = 403


class RestIncompleteSignatureException(RestIamError):
    code = "IncompleteSignatureException"
    status = 403


class RestInvalidSignatureException(RestIamError):
    code = "InvalidSignatureException"
    status = 403


class RestExpiredTokenException(RestIamError):
    code = "ExpiredTokenException"
    status = 403


class MissingAuthenticationToken(QueryXmlError):
    code = "MissingAuthenticationToken"
    status = 403


class IncompleteSignature(QueryXmlError):
    code = "IncompleteSignature"
    status = 400


class SignatureDoesNotMatch(QueryXmlError):
    code = "SignatureDoesNotMatch"
    status = 403


class ExpiredToken(QueryXmlError):
    code = "ExpiredToken"
    status = 403


class S3SignatureDoesNotMatch(RestXmlError):
    code = "SignatureDoesNotMatch"
    status = 403


class S3ExpiredToken(RestXmlError):
    code = "ExpiredToken"
    status = 400


class RequestTimeTooSkewed(RestXmlError):
    code = "RequestTimeTooSkewed"
    status = 403


class AuthorizationHeaderMalformed(RestXmlError):
    code = "AuthorizationHeaderMalformed"
    status = 400


class AuthorizationQueryParametersError(RestXmlError):
    code = "AuthorizationQueryParametersError"
    status = 400


class XAmzContentSHA256Mismatch(RestXmlError):
    code = "XAmzContentSHA256Mismatch"
    status = 400


class StsApiError(QueryXmlError):
    """An error of STS's own API (the query protocol with STS's namespace)."""

    namespace = "https://sts.amazonaws.com/doc/2011-06-15/"


class StsValidationError(StsApiError):
    code = "ValidationError"
    status = 400


class StsAccessDenied(StsApiError):
    code = "AccessDenied"
    status = 403
