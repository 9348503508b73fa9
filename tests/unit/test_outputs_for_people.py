"""What the notebooks show: diagnose() as a table, old error lines as old, record() silent, both invoke URLs,
the names really created, the requests a policy change took. Against moto, or no AWS at all."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from nbconvert import HTMLExporter

import workshop_lib as wl
from workshop_lib.api_request import TestResponse
from workshop_lib.diagnose import Check, Diagnosis
from workshop_lib.errors import InvalidInput
from workshop_lib.log_view import LogLines
from workshop_lib.notebook import RECORD_MIMETYPE, recorded
from workshop_lib.recording import Attempt, Observed

HANDLER = "def lambda_handler(event, context):\n    return 1\n"
ERROR_LINE = '{"level":"ERROR","message":"inference, NOT recorded","requestId":"%s","recordError":"AccessDenied"}'


def put_lines(conn, group: str, lines: list[tuple[str, float]]) -> None:
    """(line, age in minutes) into the log group, as Lambda writes them."""
    logs = conn.client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = time.time() * 1000
    events = sorted(({"timestamp": int(now - age * 60_000), "message": line} for line, age in lines),
                    key=lambda e: e["timestamp"])
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """An IPython shell whose display publisher keeps what it is given."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    shell = InteractiveShell.instance()
    published: list[dict] = []
    monkeypatch.setattr(shell.display_pub, "publish", lambda data, metadata=None, **_: published.append(data))
    yield published
    InteractiveShell.clear_instance()


def test_diagnose__counts_only_the_error_lines_since_the_moment_given_and_reports_the_older_as_old(moto_conn):
    wl.ensure_execution_role()
    wl.deploy_lambda(sources={"lambda_function.py": HANDLER})
    put_lines(moto_conn, "/aws/lambda/ml-inference-lambda",
              [(ERROR_LINE % "old-1", 5), (ERROR_LINE % "old-1", 5), ('{"level":"INFO"}', 4), (ERROR_LINE % "new", 0)])
    repaired = datetime.now(UTC) - timedelta(minutes=1)

    whole = wl.diagnose()
    assert len(whole.log_errors) == 3 and not whole.old_errors
    assert "3 error line(s) in the last 15 min" in next(c.detail for c in whole.checks if c.name == "recent log errors")

    since = wl.diagnose(errors_since=repaired)
    assert [json.loads(x)["requestId"] for x in since.log_errors] == ["new"]
    assert [json.loads(x)["requestId"] for x in since.old_errors] == ["old-1", "old-1"]
    check = next(c for c in since.checks if c.name == "recent log errors")
    assert not check.ok and check.detail.startswith("1 error line(s) since ")
    assert "2 older line(s), logged before it, shown below as old" in check.detail
    html = since._repr_html_()
    assert html.count("old-1") == 1  # the same line read twice shows once, folded under <details>
    assert html.index("<details>") < html.index("old-1")

    after = wl.diagnose(errors_since=datetime.now(UTC) + timedelta(seconds=1))
    log_check = next(c for c in after.checks if c.name == "recent log errors")
    assert log_check.ok and log_check.detail.startswith("no error line since ")


def test_diagnose__refuses_a_time_without_a_zone_and_a_window_that_is_not_positive(moto_conn):
    with pytest.raises(InvalidInput, match="no time zone"):
        wl.diagnose(errors_since=datetime.now())
    with pytest.raises(InvalidInput, match="since_minutes must be positive"):
        wl.diagnose(since_minutes=0)


def test_diagnosis__shows_each_check_with_its_mark_and_fix():
    d = Diagnosis("fn", [Check("table", True, "T: ACTIVE"), Check("permission x", False, "implicitDeny", "attach it")])
    assert d.summary == "fn: 1 of 2 checks fail (permission x)"
    text = str(d)
    assert "✓  table" in text and "✗  permission x" in text and "attach it" in text
    assert "color:#cf222e" in d._repr_html_() and "✗" in d._repr_html_()
    assert list(d.to_frame()["ok"]) == ["✓", "✗"]
    assert Diagnosis("fn", [Check("a", True, "")]).summary == "fn: all 1 checks pass"
    assert d.errors_table() is None and d.old_errors_table() is None
    assert str(Diagnosis("fn", log_errors=LogLines([ERROR_LINE % "r"], [0]))).count("r") >= 1


def test_record__puts_the_value_under_the_kits_mimetype_with_nothing_to_read(shell, tmp_path):
    wl.record("batch_request_ids", ["a", "b"])
    assert shell == [{RECORD_MIMETYPE: {"batch_request_ids": ["a", "b"]}, "text/plain": ""}]

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("wl.record(...)", outputs=[
        nbformat.v4.new_output("display_data", data=shell[0])]))
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, path)
    assert recorded(path) == {"batch_request_ids": ["a", "b"]}
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "batch_request_ids" not in html and "recorded" not in html  # nothing of it on the page


def test_record__refuses_what_cannot_be_recorded(shell):
    with pytest.raises(InvalidInput, match="cannot be recorded"):
        wl.record("when", datetime.now(UTC))
    with pytest.raises(InvalidInput, match="non-empty string"):
        wl.record("", 1)
    assert shell == []


def test_invoke_urls__the_local_path_form_and_awss_form_of_the_same_api(moto_conn):
    local = "http://127.0.0.1:4566/restapis/abc123/prod/_user_request_/inference"
    urls = wl.invoke_urls(local)
    assert urls.aws == "https://abc123.execute-api.us-east-1.amazonaws.com/prod/inference"
    assert urls.local == local and urls.url == local
    text = str(urls)
    assert local in text and urls.aws in text and "no DNS name per API" in text

    on_aws = wl.invoke_urls(urls.aws)
    assert on_aws.local is None and "no DNS name" not in str(on_aws)
    with pytest.raises(InvalidInput, match="neither an execute-api URL"):
        wl.invoke_urls("http://example.com/inference")


def test_created_names__say_which_names_get_a_hash_suffix_before_section_6(moto_conn):
    table = wl.created_names()
    names = dict((r[0], r[1]) for r in table.rows)
    assert names["SageMaker model"] == "ml-sentiment-model-<hash>"
    assert names["SageMaker endpoint config"] == "ml-endpoint-config-<hash>"
    assert names["Lambda function"] == "ml-inference-lambda" and names["DynamoDB table"] == "InferenceMetadata"
    assert names["SageMaker execution role"] == "ml-sagemaker-execution-role-us-east-1"
    notes = dict((r[0], r[3]) for r in table.rows)
    assert "SHA-256 of the artifact's S3 URL" in notes["SageMaker model"]


def test_created_names__show_the_names_the_endpoint_really_uses(moto_conn, monkeypatch):
    from workshop_lib import names_view
    from workshop_lib.endpoint import EndpointInfo

    info = EndpointInfo("ml-endpoint", "arn", "InService", "ml-endpoint-config-03a231836e",
                        model_name="ml-sentiment-model-2c3f698af8")
    monkeypatch.setattr(names_view, "describe_endpoint", lambda conn: info)
    names = {r[0]: r[1] for r in wl.created_names().rows}
    assert names["SageMaker model"] == "ml-sentiment-model-2c3f698af8"
    assert names["SageMaker endpoint config"] == "ml-endpoint-config-03a231836e"


def test_observed__shows_each_request_sent_and_the_summary():
    response = TestResponse(200, {}, {"requestId": "r2"}, 5.0)
    attempts = (Attempt("r1", 200, "refused: AccessDeniedException: no"), Attempt("r2", 200, "recorded"))
    observed = Observed(response, attempts, "recorded", 3.2)
    text = str(observed)
    assert "r1" in text and "refused: AccessDeniedException" in text and "recorded" in text
    assert text.endswith("1 request(s) refused while IAM was applying the policy, then recorded 3 s after the first")
    assert observed.story().splitlines()[0] == "request 1: r1 -> refused: AccessDeniedException: no"
    assert observed._repr_html_().count("<tr") == 3
