"""The main job in Vietnamese: --lang chooses the notebooks built in that language, and its summary follows."""

from __future__ import annotations

import pytest

from workshop_lib import i18n, main_job
from workshop_lib.i18n import ENV_LANG


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    monkeypatch.delenv(ENV_LANG, raising=False)
    i18n.reset_language()
    yield
    i18n.reset_language()


def test_sources__english_runs_the_notebooks_themselves(tmp_path):
    paths, out_dir = main_job.sources("en", tmp_path)
    assert paths == main_job.notebooks() and out_dir == tmp_path


def test_sources__vietnamese_builds_every_notebook_into_build_vi(tmp_path):
    paths, out_dir = main_job.sources("vi", tmp_path)
    assert out_dir == tmp_path / "vi"
    assert [p.name for p in paths] == [p.name for p in main_job.notebooks()]
    assert all(p.parent == tmp_path / "vi" / "source" for p in paths)
    assert "Mục tiêu" in paths[0].read_text(encoding="utf-8")


def test_summary__is_printed_in_the_language_in_use(capsys, tmp_path):
    runs = [
        main_job.NotebookRun("00_setup.ipynb", "ok", 1.5),
        main_job.NotebookRun("06_x.ipynb", "FAILED", 2, "cell 3"),
    ]
    i18n.set_language("vi")
    main_job._print_summary(runs, tmp_path)
    out = capsys.readouterr().out
    assert "kết quả" in out and "tổng" in out and "LỖI" in out
    assert f"06_x.ipynb lỗi tại cell 3\n  bản đã chạy: {tmp_path / '06_x.ipynb'}" in out


def test_main__refuses_a_language_the_workshop_is_not_written_in(capsys):
    with pytest.raises(SystemExit) as exited:
        main_job.main(["--lang", "fr"])
    assert exited.value.code == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_main__takes_its_default_language_from_workshop_lang(monkeypatch):
    monkeypatch.setenv(ENV_LANG, "vi")
    seen = {}
    monkeypatch.setattr(main_job, "run", lambda *args: seen.setdefault("args", args) and 0)
    main_job.main(["--only", "00"])
    assert seen["args"][-1] == "vi"
