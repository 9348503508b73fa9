"""Validation of the names and values the kit and AWS accept, checked before any call is made.

The one home of validation: targets, regions, participant prefixes, and the names of functions, roles,
tables, endpoints and environment variables. Each check returns the value when it is usable and raises
InvalidInput naming the problem otherwise.
"""

from __future__ import annotations

import re

from .config import TARGETS
from .errors import InvalidInput
from .i18n import _

_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")  # us-east-1, us-gov-west-1, eu-isoe-west-1
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_ENV_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
_TABLE_NAME = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
# Names AWS Lambda reserves for its own runtime environment (function variables may not set them).
RESERVED_ENV_NAMES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
ENV_VARS_MAX_BYTES = 4096  # Lambda's limit on all of a function's environment variables together


def target(value: str) -> str:
    """A target name ("local" or "aws"), lower-cased and stripped."""
    clean = value.strip().lower() if isinstance(value, str) else value
    if clean not in TARGETS:
        raise InvalidInput(
            _("unknown target {value!r}").format(value=value),
            resource="target",
            fix=_("use one of {targets}").format(targets=", ".join(TARGETS)),
        )
    return clean


def region(value: str) -> str:
    """An AWS region name in AWS's form (us-east-1, eu-west-3, us-gov-west-1, ...)."""
    if not isinstance(value, str) or not _REGION.match(value):
        raise InvalidInput(
            _("{value!r} is not an AWS region name").format(value=value),
            resource="region",
            fix=_("use a region code such as 'us-east-1' or 'eu-west-1' (lower case, as the AWS console shows it)"),
        )
    return value


def participant_prefix(prefix: str) -> str:
    """A participant prefix usable in every resource name ("" for none)."""
    if prefix and (not isinstance(prefix, str) or not _PREFIX.match(prefix)):
        raise InvalidInput(
            _(
                "participant prefix {prefix!r} is not usable: use 1 to 16 lower-case letters, digits or "
                "hyphens, starting with a letter (for example 'alice' or 'team-7')"
            ).format(prefix=prefix),
            resource="prefix",
            fix=_("choose another participant prefix"),
        )
    return prefix


def endpoint_name(name: str) -> str:
    """A SageMaker endpoint name AWS would accept ("" for none)."""
    if name and (not isinstance(name, str) or not _ENDPOINT_NAME.match(name)):
        raise InvalidInput(
            _(
                "{name!r} is not a SageMaker endpoint name: up to 63 letters, digits and hyphens, starting "
                "with a letter or digit"
            ).format(name=name),
            resource="endpoint",
            fix=_("use the name the SageMaker console shows"),
        )
    return name


def instance_type(value: str) -> str:
    """A SageMaker instance type name (ml.t2.medium, ml.m5.large, ...)."""
    if not isinstance(value, str) or not _INSTANCE_TYPE.match(value):
        raise InvalidInput(
            _("{value!r} is not a SageMaker instance type").format(value=value),
            resource="instance_type",
            fix=_("use a name such as 'ml.t2.medium' or 'ml.m5.large' (the SageMaker pricing page lists them)"),
        )
    return value


def function_name(name: str) -> str:
    if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
        raise InvalidInput(
            _("{name!r} is not a valid Lambda function name").format(name=name),
            resource=f"function {name!r}",
            fix=_("use 1 to 64 letters, digits, hyphens or underscores"),
        )
    return name


def role_name(name: str) -> str:
    if not isinstance(name, str) or not _ROLE_NAME.match(name):
        raise InvalidInput(
            _("{name!r} is not a valid IAM role name").format(name=name),
            resource=f"role {name!r}",
            fix=_("use 1 to 64 letters, digits or the characters +=,.@_-"),
        )
    return name


def role_name_of(role: str) -> str:
    """The checked role name in a role name or a role ARN (``arn:aws:iam::123456789012:role/path/name``)."""
    return role_name(role.rsplit("/", 1)[-1] if isinstance(role, str) and role.startswith("arn:") else role)


def table_name(name: str) -> str:
    if not isinstance(name, str) or not _TABLE_NAME.match(name):
        raise InvalidInput(
            _("{name!r} is not a valid DynamoDB table name").format(name=name),
            resource=f"table {name!r}",
            fix=_("use 3 to 255 letters, digits, underscores, hyphens or dots"),
        )
    return name


def env_vars(function: str, variables: dict[str, str]) -> dict[str, str]:
    """Check Lambda environment variables: names, reserved names, string values, 4 KB in total."""
    clean: dict[str, str] = {}
    for key, value in variables.items():
        if not _ENV_NAME.match(key):
            hint = key.replace("-", "_") if "-" in key else None
            raise InvalidInput(
                _(
                    "environment variable name {key!r} is not allowed by Lambda (letters, digits and "
                    "underscores, starting with a letter)"
                ).format(key=key),
                resource=f"function {function}",
                fix=_("rename it, for example to {hint!r}").format(hint=hint) if hint else _("rename it"),
            )
        if key in RESERVED_ENV_NAMES:
            raise InvalidInput(
                _("environment variable {key!r} is reserved by the Lambda runtime").format(key=key),
                resource=f"function {function}",
                fix=_("choose another name; Lambda sets this one itself"),
            )
        if not isinstance(value, str):
            raise InvalidInput(
                _("environment variable {key!r} must be a string, not {type_name}").format(
                    key=key, type_name=type(value).__name__
                ),
                resource=f"function {function}",
                fix=_("pass str(value), e.g. {key}={value!r}").format(key=key, value=str(value)),
            )
        clean[key] = value
    return clean


def env_vars_size(variables: dict[str, str]) -> int:
    """Bytes counted against Lambda's 4 KB limit: every name and value, UTF-8 encoded."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in variables.items())
