"""DynamoDB's errors the local cloud answers itself (AWS JSON 1.0), one class per AWS error code."""

from __future__ import annotations

from ..core.errors import AwsJsonError


class DynamoDbError(AwsJsonError):
    type_prefix = "com.amazonaws.dynamodb.v20120810#"


class ResourceNotFoundException(DynamoDbError):
    """A data-plane call on a table that is not there (or, here, no longer: it is being deleted)."""

    code = "ResourceNotFoundException"
    status = 400


class ResourceInUseException(DynamoDbError):
    """A change of a table that is being deleted."""

    code = "ResourceInUseException"
    status = 400
