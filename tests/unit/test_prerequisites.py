"""Prerequisite checks and prepare_for against moto in-process: what each notebook needs, and building it."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from botocore.loaders import create_loader

import workshop_lib as wl
from workshop_lib import endpoint, notebook_pieces
from workshop_lib import notebook_prerequisites as prerequisites
from workshop_lib.config import NOTEBOOKS_DIR, ResourceNames
from workshop_lib.connect import Connection
from workshop_lib.deploy import code_sha256
from workshop_lib.errors import InvalidInput, ResourceNotFound
from workshop_lib.notebook import StepFailed

_SERVICE_MODELS = create_loader()

EVERYTHING_08_2A_NEEDS = [
    "endpoint",
    "role",
    "invoke-endpoint policy",
    "logs policy",
    "function",
    "section 7 code",
    "ENDPOINT_NAME",
    "api",
    "table",
]
# The calls notebooks 06, 07 and 08_1 make, in their order.
CALLS_BEFORE_08_2A = [
    ("06_model_endpoint", "wl.deploy_endpoint()"),
    ("07_inference_lambda_and_api", "wl.ensure_execution_role()"),
    ("07_inference_lambda_and_api", 'wl.attach_policy(template="invoke-endpoint")'),
    ("07_inference_lambda_and_api", 'wl.attach_policy(template="logs")'),
    ("07_inference_lambda_and_api", 'wl.deploy_lambda(sources="../lambda_section7")'),
    ("07_inference_lambda_and_api", "wl.set_env_vars(ENDPOINT_NAME=conn.names.endpoint)"),
    ("07_inference_lambda_and_api", "wl.create_rest_api()"),
    ("08_1_metadata_table", "wl.create_metadata_table()"),
]


@pytest.fixture(autouse=True)
def _small_model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """deploy_endpoint() with a tiny artifact instead of training (the control plane never looks inside)."""
    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("model.json", b"{}"), ("code/inference.py", b"def model_fn(d):\n    return None\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(endpoint, "_default_artifact", lambda: path)
    if "moto_conn" in request.fixturenames:
        request.getfixturevalue("moto_conn").session._session.register_component("data_loader", _SERVICE_MODELS)


def _keys(report: wl.Prerequisites) -> list[str]:
    return [s.piece.key for s in report.statuses]


def test_prerequisites__on_a_fresh_account_everything_08_2a_needs_is_missing_with_the_notebook_that_makes_it(
    moto_conn: Connection,
):
    report = wl.prerequisites("08_2a")
    assert report.notebook == "08_2a_update_lambda"
    assert _keys(report) == EVERYTHING_08_2A_NEEDS
    assert not report.ok and len(report.missing) == len(EVERYTHING_08_2A_NEEDS)
    assert report.notebooks_to_run == ["06_model_endpoint", "07_inference_lambda_and_api", "08_1_metadata_table"]
    by_key = {s.piece.key: s for s in report.statuses}
    assert by_key["function"].what == "Lambda function ml-inference-lambda"
    assert by_key["function"].missing == "does not exist"
    assert by_key["api"].missing == "does not exist"
    assert by_key["invoke-endpoint policy"].missing == "the role does not exist"
    assert report.prepare_line == 'wl.prepare_for("08_2a")'
    assert report.advice().startswith("run 06_model_endpoint, 07_inference_lambda_and_api, 08_1_metadata_table first")


def test_prerequisites__shows_as_a_table_naming_each_piece_its_notebook_and_the_line_to_run(moto_conn: Connection):
    report = wl.prerequisites("08_2a_update_lambda.ipynb")
    frame = report.to_frame()
    assert list(frame.columns) == ["needed", "made by", "status"]
    assert frame.loc[0].to_dict() == {
        "needed": "SageMaker endpoint ml-endpoint, InService",
        "made by": "06_model_endpoint",
        "status": "✘ missing: does not exist",
    }
    page = report._repr_html_()
    assert "<table" in page and "07_inference_lambda_and_api" in page
    assert "wl.prepare_for(&quot;08_2a&quot;)" in page
    text = str(report)
    assert text.splitlines()[0] == "08_2a_update_lambda needs 9 pieces; 9 missing"
    assert "-> run 06_model_endpoint" in text and 'wl.prepare_for("08_2a")' in text


def test_check_prerequisites__fails_the_cell_with_what_is_missing_and_the_fix(moto_conn: Connection, capsys):
    with pytest.raises(StepFailed) as failed:
        wl.check_prerequisites("07")
    message = str(failed.value)
    assert message.startswith(
        "CHECK FAILED: 07_inference_lambda_and_api needs 1 pieces that are missing (the table above): endpoint\n"
    )
    assert message.endswith(
        "-> run 06_model_endpoint first, or build what is missing with their own steps in one "
        'call:  wl.prepare_for("07")'
    )
    assert "✘ SageMaker endpoint ml-endpoint" in capsys.readouterr().out  # the table was displayed first


@pytest.mark.parametrize("notebook", ["00", "06", "08_1", "09"])
def test_check_prerequisites__notebooks_that_need_nothing_pass_on_an_empty_account(
    moto_conn: Connection, capsys, notebook: str
):
    report = wl.check_prerequisites(notebook)
    assert report.ok and report.statuses == []
    assert capsys.readouterr().out == f"✔ {report.notebook} needs nothing from the earlier notebooks\n"


def test_prepare_for__makes_the_earlier_notebooks_calls_in_their_order_then_nothing_again(
    moto_conn: Connection, capsys
):
    done = wl.prepare_for("08_2a")
    assert [(s.notebook, s.call) for s in done.steps] == CALLS_BEFORE_08_2A
    assert done.after.ok and _keys(done.after) == EVERYTHING_08_2A_NEEDS
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "06_model_endpoint: wl.deploy_endpoint()"
    assert out.rstrip().endswith("✔ everything 08_2a_update_lambda needs is there")

    cfg = moto_conn.client("lambda").get_function_configuration(FunctionName="ml-inference-lambda")
    assert cfg["Environment"]["Variables"] == {"ENDPOINT_NAME": "ml-endpoint"}
    assert set(wl.role_policies()) == {"InvokeSentimentEndpoint", "FunctionLogs"}

    again = wl.prepare_for("08_2a")
    assert again.steps == [] and again.after.ok
    assert "nothing was missing" in again._repr_html_()
    assert wl.check_prerequisites("08_2a").ok


def test_prepare_for__after_08_2a_was_run_puts_section_7s_code_back_and_only_that(moto_conn: Connection):
    wl.prepare_for("08_2a")
    wl.deploy_lambda(sources=notebook_pieces.LAMBDA_SOURCE)  # 08_2a's step 2
    report = wl.prerequisites("08_2a")
    assert [(s.piece.key, s.missing) for s in report.missing] == [
        ("section 7 code", "it runs lambda_function.py already (08_2a was run): step 2 would have nothing to replace")
    ]
    done = wl.prepare_for("08_2a")
    assert [s.call for s in done.steps] == ['wl.deploy_lambda(sources="../lambda_section7")']
    assert wl.describe_function()["CodeSha256"] == code_sha256(wl.package(notebook_pieces.SECTION7_SOURCES))


def test_prepare_for__08_2b_adds_what_08_2a_makes_after_what_it_needs(moto_conn: Connection):
    done = wl.prepare_for("08_2b")
    assert [s.call for s in done.steps] == [call for _, call in CALLS_BEFORE_08_2A] + [
        'wl.deploy_lambda(sources="../lambda_function.py")',
        "wl.set_env_vars(ENDPOINT_NAME=conn.names.endpoint, DYNAMODB_TABLE=conn.names.table)",
        'wl.attach_policy(template="metadata-write")',
    ]
    function = wl.describe_function()
    assert function["CodeSha256"] == code_sha256(wl.package(notebook_pieces.LAMBDA_SOURCE))
    assert function["Variables"] == {
        "ENDPOINT_NAME": "ml-endpoint",
        "DYNAMODB_TABLE": "InferenceMetadata",
    }
    assert "section 7 code" not in _keys(done.after)  # 08_2b runs on the new code
    assert wl.prepare_for("08_2b").steps == []


def test_prerequisites__a_policy_rendered_for_other_names_is_reported_and_replaced(moto_conn: Connection):
    wl.prepare_for("07")
    wl.ensure_execution_role()
    wl.attach_policy(template="invoke-endpoint", endpoint="someone-elses-endpoint")
    assert wl.prerequisites("08_2a").statuses[2].missing == (
        "the role's InvokeSentimentEndpoint is not policies/invoke-endpoint.json for these names"
    )
    wl.prepare_for("08_2a")
    statement = wl.role_policies()["InvokeSentimentEndpoint"]["Statement"][0]
    assert statement["Resource"].endswith(":endpoint/ml-endpoint")


def test_prerequisites__an_endpoint_that_is_not_in_service_is_named_with_its_status(moto_conn: Connection):
    wl.prepare_for("07")
    moto_conn.client("sagemaker").delete_endpoint(EndpointName="ml-endpoint")
    config = moto_conn.client("sagemaker").list_endpoint_configs()["EndpointConfigs"][0]["EndpointConfigName"]
    moto_conn.client("sagemaker").create_endpoint(EndpointName="ml-endpoint", EndpointConfigName=config)
    status = moto_conn.client("sagemaker").describe_endpoint(EndpointName="ml-endpoint")["EndpointStatus"]
    missing = wl.prerequisites("07").statuses[0].missing
    assert missing == (None if status == "InService" else f"exists but is {status}, not InService")


def test_prepare_for__with_your_own_endpoint_adopts_it_and_names_it_when_it_does_not_exist(aws_env, moto_conn):
    own = Connection(
        moto_conn.target,
        moto_conn.region,
        moto_conn.account_id,
        moto_conn.identity_arn,
        moto_conn.session,
        ResourceNames(existing_endpoint="section-6-endpoint"),
    )
    report = wl.prerequisites("07", conn=own)
    assert report.statuses[0].what == "SageMaker endpoint section-6-endpoint, InService"
    with pytest.raises(ResourceNotFound) as missing:
        wl.prepare_for("07", conn=own, verbose=False)
    assert str(missing.value).startswith(
        "endpoint section-6-endpoint: preparing 07_inference_lambda_and_api: 06_model_endpoint's "
        "wl.use_existing_endpoint('section-6-endpoint') failed"
    )
    endpoint.deploy(name="section-6-endpoint", conn=own)
    assert [s.call for s in wl.prepare_for("07", conn=own, verbose=False).steps] == []


def test_prerequisites__a_resource_in_the_way_is_named_in_the_table_not_raised(moto_conn: Connection):
    moto_conn.client("apigateway").create_rest_api(name="ml-inference-api")  # someone else's, untagged
    api = next(s for s in wl.prerequisites("08_2a").statuses if s.piece.key == "api")
    assert api.missing is not None and "exists but was not created by the kit" in api.missing


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("08_2a", "08_2a_update_lambda"),
        ("08_2a_update_lambda", "08_2a_update_lambda"),
        ("notebooks/08_2a_update_lambda.ipynb", "08_2a_update_lambda"),
        ("07", "07_inference_lambda_and_api"),
        (" 09 ", "09_cleanup"),
    ],
)
def test_notebook_name__accepts_the_number_the_name_or_the_file(given: str, name: str):
    assert prerequisites.notebook_name(given) == name


@pytest.mark.parametrize(("given", "problem"), [("08", "names several notebooks"), ("8.2", "no workshop notebook")])
def test_notebook_name__an_unknown_or_ambiguous_name_lists_the_notebooks(given: str, problem: str):
    with pytest.raises(InvalidInput) as bad:
        prerequisites.notebook_name(given)
    assert problem in str(bad.value)
    assert '"00", "06", "07", "08_1", "08_2a", "08_2b", "08_3", "09"' in str(bad.value)


def test_every_workshop_notebook_has_its_needs_and_a_check_cell_right_after_connect():
    files = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert [p.stem for p in files] == list(prerequisites.NEEDS)
    for path in files:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        assert "wl.connect(" in code[1], path.name
        short = prerequisites.short_name(path.stem)
        assert f'wl.check_prerequisites("{short}")' in code[2], f"{path.name}: no prerequisite check after connect"
