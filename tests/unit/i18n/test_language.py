"""workshop_lib.i18n: which language is in use, the catalogue's lookups, and the notebooks' check messages."""

from __future__ import annotations

import pytest

import workshop_lib as wl
from workshop_lib import i18n
from workshop_lib.i18n import ENV_LANG, _


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    monkeypatch.delenv(ENV_LANG, raising=False)
    i18n.reset_language()
    yield
    i18n.reset_language()


def test_language__is_english_without_a_choice():
    assert i18n.language() == "en"
    assert wl.set_language("") == "en"


def test_language__follows_workshop_lang_then_the_notebook_parameter(monkeypatch):
    monkeypatch.setenv(ENV_LANG, "vi_VN.UTF-8")
    assert i18n.language() == "vi"
    assert wl.set_language("") == "vi"  # the parameters cell's "" means $WORKSHOP_LANG
    assert wl.set_language("EN") == "en"  # the parameter wins over the variable
    assert i18n.language() == "en"


def test_set_language__refuses_a_language_the_workshop_is_not_written_in():
    with pytest.raises(wl.InvalidInput) as caught:
        wl.set_language("fr")
    assert "'fr'" in str(caught.value) and "en, vi" in str(caught.value)


def test_language__a_bad_workshop_lang_falls_back_to_english_until_set_language_names_it(monkeypatch):
    monkeypatch.setenv(ENV_LANG, "klingon")
    assert i18n.language() == "en"
    with pytest.raises(wl.InvalidInput, match="klingon"):
        wl.set_language("")


def test_gettext__translates_a_message_in_vietnamese_and_keeps_english_in_english():
    assert _("local cloud: stopped") == "local cloud: stopped"
    wl.set_language("vi")
    assert _("local cloud: stopped") == "local cloud: đã dừng"
    assert _("a message nobody wrote") == "a message nobody wrote"


def test_gettext__a_translated_error_names_the_problem_in_vietnamese():
    wl.set_language("vi")
    with pytest.raises(wl.InvalidInput) as caught:
        wl.set_language("fr")
    assert "workshop chưa có bản ngôn ngữ 'fr'" in str(caught.value)


def test_notebook_message__fills_the_translation_with_the_values_of_the_formatted_text():
    formatted = "connected to local as arn:aws:iam::123456789012:user/admin in eu-west-1"
    assert i18n.translate_notebook_message(formatted, "vi") == (
        "đã kết nối tới local với danh tính arn:aws:iam::123456789012:user/admin, region eu-west-1"
    )
    assert i18n.translate_notebook_message("12 predictions recorded", "vi") == "đã ghi 12 lần dự đoán"
    assert i18n.translate_notebook_message("the row is there now", "vi") == "giờ dòng đó đã có trong bảng"


def test_notebook_message__the_most_specific_entry_wins():
    mine = i18n.translate_notebook_message("your endpoint answers {'a': 1}", "vi")
    assert mine == "endpoint của bạn trả lời {'a': 1}"
    assert i18n.translate_notebook_message("the endpoint answers {'a': 1}", "vi") == "endpoint trả lời {'a': 1}"


def test_notebook_message__an_unknown_text_stays_as_it_is():
    assert i18n.translate_notebook_message("a message of a cell written later", "vi") == (
        "a message of a cell written later"
    )
    assert i18n.translate_notebook_message("12 predictions recorded", "en") == "12 predictions recorded"


def test_check_and_say__print_in_the_language_in_use(capsys):
    wl.check(True, "the row is there now")
    wl.set_language("vi")
    wl.check(True, "the row is there now")
    wl.say("deleted 3 resources")
    assert capsys.readouterr().out.splitlines() == [
        "✔ the row is there now",
        "✔ giờ dòng đó đã có trong bảng",
        "đã xóa 3 tài nguyên",
    ]


def test_check__a_failure_is_reported_in_the_language_in_use():
    wl.set_language("vi")
    with pytest.raises(wl.StepFailed) as caught:
        wl.check(False, "nothing the kit created is left", "still there: ['table t']")
    assert "vẫn còn: ['table t']" in str(caught.value)
