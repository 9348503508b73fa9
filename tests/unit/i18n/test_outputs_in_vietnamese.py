"""What workshop_lib shows a learner, in Vietnamese: a failed check, diagnose()'s table, log lines, the requests a
policy change took, the names and the invoke URLs. The English side of the same outputs: test_outputs_for_people.py."""

from __future__ import annotations

import pytest

import workshop_lib as wl
from workshop_lib import i18n, notebook
from workshop_lib.api_request import TestResponse
from workshop_lib.diagnose import Check, Diagnosis
from workshop_lib.i18n import ENV_LANG
from workshop_lib.log_view import LogLines
from workshop_lib.recording import Attempt, Observed

REPORT = (
    "REPORT RequestId: 7f0c\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 80 MB"
)


@pytest.fixture(autouse=True)
def vietnamese(monkeypatch):
    monkeypatch.delenv(ENV_LANG, raising=False)
    wl.set_language("vi")
    yield
    i18n.reset_language()


def test_check__a_failed_check_says_so_in_vietnamese():
    with pytest.raises(wl.StepFailed) as failed:
        notebook.check(False, "the table exists", fix="create it")
    assert failed.value.message == "KIỂM TRA THẤT BẠI: the table exists"  # the check's own text: the caller's


def test_diagnosis__its_summary_headings_and_check_names_are_vietnamese():
    d = Diagnosis("fn", [Check("table", True, "T: ACTIVE"), Check("permission x", False, "implicitDeny", "attach it")])
    assert d.summary == "fn: 1 trên 2 mục kiểm tra không đạt (permission x)"
    assert Diagnosis("fn", [Check("a", True, "")]).summary == "fn: cả 1 mục kiểm tra đều đạt"
    text = str(d)
    assert "mục kiểm tra" in text.splitlines()[1] and "cách khắc phục" in text.splitlines()[1]
    assert "check" not in text.splitlines()[1]


def test_log_lines__headings_and_report_fields_are_vietnamese():
    lines = LogLines([REPORT], [1_700_000_000_000])
    table = lines.table()
    assert table.columns == ("thời gian (UTC)", "mức", "requestId", "nội dung", "chi tiết")
    assert table.rows[0][-1] == "thời gian chạy 12.34 ms, tính phí 13 ms, bộ nhớ 256 MB, dùng tối đa 80 MB"
    assert "1 dòng log" in str(lines._repr_html_())


def test_observed__the_story_and_summary_of_the_requests_are_vietnamese():
    response = TestResponse(200, {}, {"requestId": "r2"}, 5.0)
    attempts = (Attempt("r1", 200, "refused: AccessDeniedException: no"), Attempt("r2", 200, "recorded"))
    observed = Observed(response, attempts, "recorded", 3.2)
    assert observed.story().splitlines() == [
        "yêu cầu 1: r1 -> bị từ chối: AccessDeniedException: no",
        "yêu cầu 2: r2 -> đã ghi",
        "1 yêu cầu bị từ chối ghi trong lúc IAM đang áp dụng chính sách, rồi được ghi 3 giây sau yêu cầu đầu tiên",
    ]
    assert observed.table().columns == ("yêu cầu", "requestId", "mã trạng thái của API", "bản ghi của yêu cầu")
    assert [a.outcome for a in observed.attempts] == ["refused: AccessDeniedException: no", "recorded"]  # data: English


def test_names_and_invoke_urls__headings_and_notes_are_vietnamese(moto_conn):
    names = wl.created_names()
    assert names.columns == ("tài nguyên", "tên", "do notebook tạo", "ghi chú")
    assert names.title == f"các tên trên {moto_conn.target} ({moto_conn.region})"
    rows = {r[0]: r for r in names.rows}
    assert rows["bảng DynamoDB"][1] == "InferenceMetadata"
    assert rows["SageMaker model"][3].startswith("tên chỉ được biết sau khi phần 6 đã tạo mô hình")

    urls = wl.invoke_urls("http://127.0.0.1:4566/restapis/abc123/prod/_user_request_/inference")
    table = urls.table()
    assert table.columns == ("ở đâu", "invoke URL", "")
    assert table.notes[0].startswith("Vì sao hai URL khác nhau: local cloud là một tiến trình")
    with pytest.raises(wl.InvalidInput, match="không phải URL execute-api"):
        wl.invoke_urls("http://example.com/inference")
