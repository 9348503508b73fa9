"""aws_error(): an AWS error response becomes the kit's error, with AWS's code, the resource and a fix."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

import workshop_lib as wl
from workshop_lib.errors import aws_code, aws_error, aws_message


def _client_error(code: str, message: str = "the message", operation: str = "GetRole") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("NoSuchEntity", wl.ResourceNotFound),
        ("ResourceNotFoundException", wl.ResourceNotFound),
        ("NotFoundException", wl.ResourceNotFound),
        ("404", wl.ResourceNotFound),
        ("ResourceConflictException", wl.ResourceConflict),
        ("EntityAlreadyExists", wl.ResourceConflict),
        ("ValidationException", wl.InvalidInput),
        ("AccessDeniedException", wl.DeploymentError),
        ("TooManyRequestsException", wl.DeploymentError),
        ("ServiceUnavailable", wl.DeploymentError),
    ],
)
def test_aws_error__the_class_follows_the_aws_code(code, kind):
    err = aws_error(_client_error(code), "role r")
    assert type(err) is kind
    assert err.aws_code == code and err.resource == "role r"
    assert str(err).startswith(f"role r: GetRole failed: {code}: the message")
    assert err.fix


def test_aws_error__access_denied_says_which_permission_is_missing():
    err = aws_error(_client_error("AccessDenied", operation="PutRolePolicy"), "role r")
    assert "needs permission for PutRolePolicy on role r" in err.fix


def test_aws_error__throttling_says_to_wait():
    assert "wait a minute" in aws_error(_client_error("ThrottlingException"), "table t").fix


def test_aws_error__message_fix_and_class_can_be_given():
    err = aws_error(
        _client_error("InvalidParameterValueException"),
        "function f",
        message="could not create function 'f'",
        fix="check the role",
        kind=wl.DeploymentError,
    )
    assert type(err) is wl.DeploymentError
    assert (err.message, err.fix, err.aws_code) == (
        "could not create function 'f'",
        "check the role",
        "InvalidParameterValueException",
    )


def test_aws_code__and_message_read_the_response_and_tolerate_an_empty_one():
    exc = _client_error("NoSuchEntity", "The role cannot be found")
    assert (aws_code(exc), aws_message(exc)) == ("NoSuchEntity", "The role cannot be found")
    empty = ClientError({}, "GetRole")
    assert (aws_code(empty), aws_message(empty)) == ("", "")
    err = aws_error(empty, "role r")
    assert type(err) is wl.DeploymentError and err.aws_code is None and "no error code" in err.message


def test_step_failed__is_a_workshop_error_and_an_assertion_error():
    assert issubclass(wl.StepFailed, wl.WorkshopError) and issubclass(wl.StepFailed, AssertionError)
    with pytest.raises(wl.StepFailed, match="CHECK FAILED: the table exists") as err:
        wl.check(False, "the table exists", fix="create_metadata_table()")
    assert err.value.fix == "create_metadata_table()"


def test_render_traceback__a_notebook_shows_the_name_message_and_fix_without_stack_frames():
    err = wl.StepFailed("the row is not in the table", resource="table InferenceMetadata", fix="run step 5 again")
    lines = err._render_traceback_()
    assert lines[0] == "\x1b[0;31mStepFailed\x1b[0m: table InferenceMetadata: the row is not in the table"
    assert lines[1:] == ["  -> run step 5 again"]
    assert not any("File " in line for line in lines)
