"""deploy_lambda, set_env_vars and describe_function against moto, with every misuse."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

import workshop_lib as wl
from workshop_lib.deploy import code_sha256, package

HANDLER_V1 = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'v1'}\n"
HANDLER_V2 = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'v2'}\n"


@pytest.fixture
def role(moto_conn):
    return wl.ensure_execution_role(conn=moto_conn)


def test_package__is_deterministic_so_an_unchanged_source_keeps_its_sha(tmp_path):
    src = tmp_path / "lambda_function.py"
    src.write_text(HANDLER_V1)
    assert package(src) == package(src)
    assert code_sha256(package(src)) == code_sha256(package({"lambda_function.py": HANDLER_V1}))


def test_package__missing_source_is_named(tmp_path):
    with pytest.raises(wl.InvalidInput, match="does not exist"):
        package(tmp_path / "nope.py")


def test_deploy_lambda__creates_then_reports_unchanged_then_updates(moto_conn, role):
    first = wl.deploy_lambda(sources={"lambda_function.py": HANDLER_V1})
    assert first.created and first.configuration["State"] == "Active"
    assert first.code_sha256 == code_sha256(package({"lambda_function.py": HANDLER_V1}))
    again = wl.deploy_lambda(sources={"lambda_function.py": HANDLER_V1})
    assert again.unchanged and again.code_sha256 == first.code_sha256
    second = wl.deploy_lambda(sources={"lambda_function.py": HANDLER_V2}, timeout=10, memory=512)
    assert second.code_changed and second.previous_code_sha256 == first.code_sha256
    assert second.code_sha256 != first.code_sha256
    info = wl.describe_function()
    assert (info["Timeout"], info["MemorySize"], info["CodeSha256"]) == (10, 512, second.code_sha256)
    assert info["Handler"] == "lambda_function.lambda_handler" and info["Role"] == role
    tags = moto_conn.client("lambda").list_tags(Resource=first.function_arn)["Tags"]
    assert tags["workshop-kit"] == "inference-metadata"


def test_deploy_lambda__missing_role_says_to_create_it(moto_conn):
    with pytest.raises(wl.ResourceNotFound) as err:
        wl.deploy_lambda(sources={"lambda_function.py": HANDLER_V1}, role="no-such-role")
    assert "no-such-role" in str(err.value) and "ensure_execution_role" in str(err.value)
    assert moto_conn.client("lambda").list_functions()["Functions"] == []  # nothing half-created


def test_deploy_lambda__invalid_function_name_is_refused(moto_conn, role):
    with pytest.raises(wl.InvalidInput, match="not a valid Lambda function name"):
        wl.deploy_lambda("my function!", sources={"lambda_function.py": HANDLER_V1})


def test_describe_function__unknown_function_names_it_and_the_fix(moto_conn):
    with pytest.raises(wl.ResourceNotFound) as err:
        wl.describe_function("ghost-function")
    assert "ghost-function" in str(err.value) and "deploy_lambda" in str(err.value)


def test_set_env_vars__merges_and_keeps_the_variables_not_named(moto_conn, role):
    wl.deploy_lambda(sources={"lambda_function.py": HANDLER_V1})
    first = wl.set_env_vars(ENDPOINT_NAME="ml-endpoint", LOG_LEVEL="INFO")
    assert first.before == {} and first.after == {"ENDPOINT_NAME": "ml-endpoint", "LOG_LEVEL": "INFO"}
    second = wl.set_env_vars(DYNAMODB_TABLE="InferenceMetadata")
    assert second.before == first.after
    assert second.after == {"ENDPOINT_NAME": "ml-endpoint", "LOG_LEVEL": "INFO", "DYNAMODB_TABLE": "InferenceMetadata"}
    assert wl.describe_function()["Variables"] == second.after


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DYNAMODB-TABLE": "x"}, "DYNAMODB_TABLE"),
        ({"1ST": "x"}, "not allowed"),
        ({"AWS_REGION": "eu-west-1"}, "reserved"),
        ({"BIG": "x" * 4100}, "4096"),
    ],
)
def test_set_env_vars__refuses_what_lambda_refuses(moto_conn, role, variables, message):
    wl.deploy_lambda(sources={"lambda_function.py": HANDLER_V1})
    with pytest.raises(wl.InvalidInput, match=message):
        wl.set_env_vars(**variables)
    assert wl.describe_function()["Variables"] == {}  # nothing half-applied


def test_set_env_vars__non_string_value_is_refused(moto_conn, role):
    wl.deploy_lambda(sources={"lambda_function.py": HANDLER_V1})
    with pytest.raises(wl.InvalidInput, match="must be a string"):
        wl.set_env_vars(TIMEOUT=5)


def test_set_env_vars__unknown_function_is_named(moto_conn):
    with pytest.raises(wl.ResourceNotFound, match="ghost"):
        wl.set_env_vars("ghost", ENDPOINT_NAME="x")


def test_delete_lambda__an_aws_refusal_becomes_a_workshop_error_with_its_code(moto_conn):
    lam = moto_conn.client("lambda")
    with Stubber(lam) as stub:
        stub.add_client_error("delete_function", "AccessDeniedException", "not authorized", 403)
        with pytest.raises(wl.DeploymentError, match="DeleteFunction failed: AccessDeniedException") as err:
            wl.delete_lambda()
    assert err.value.aws_code == "AccessDeniedException"
    assert err.value.resource == "function ml-inference-lambda" and "permission for DeleteFunction" in err.value.fix
