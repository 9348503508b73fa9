"""`python kit.py lab --lang vi`: its own working copy, made from the Vietnamese notebooks, kernels in Vietnamese."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat

from workshop_lib import config, lab, lab_cli, working_copy
from workshop_lib.config import KIT_ROOT


def test_lab_cli__the_default_language_is_workshop_lang(monkeypatch):
    monkeypatch.setenv(lab_cli.ENV_LANG, "vi_VN.UTF-8")
    assert lab_cli.parse([]).lang == "vi"
    monkeypatch.setenv(lab_cli.ENV_LANG, "")
    assert lab_cli.parse([]).lang == "en"
    assert lab_cli.parse(["--lang", "VI"]).lang == "vi"


def test_lab_dir__each_language_has_its_own_working_copy_which_git_ignores(monkeypatch):
    monkeypatch.delenv(config.ENV_LAB_DIR, raising=False)
    assert config.lab_dir("vi") == KIT_ROOT / "my-notebooks-vi"
    ignored = subprocess.run(["git", "check-ignore", "-q", "my-notebooks-vi/00_setup.ipynb"], cwd=KIT_ROOT)
    assert ignored.returncode == 0
    monkeypatch.setenv(config.ENV_LAB_DIR, str(KIT_ROOT / "copy"))
    assert (config.lab_dir(), config.lab_dir("vi")) == (KIT_ROOT / "copy", KIT_ROOT / "copy-vi")


def test_working_copy__in_vietnamese_is_made_from_the_built_notebooks(tmp_path: Path):
    source = lab.notebook_source("vi")
    assert source == KIT_ROOT / "build" / "vi" / "source"
    copy = tmp_path / "my-notebooks-vi"
    report = working_copy.ensure(copy, source, root=tmp_path)
    assert report.created and len(report.added) == len(list((KIT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    first = nbformat.read(copy / "08_2a_update_lambda.ipynb", as_version=4).cells[0].source
    assert first.startswith("# 08.2 · Cập nhật Lambda để ghi dữ liệu vào DynamoDB")
    assert working_copy.ensure(copy, lab.notebook_source("vi"), root=tmp_path).outdated == []  # a rebuild is no change


def test_start_jupyter__gives_the_kernels_the_language(monkeypatch, tmp_path: Path):
    seen: dict[str, object] = {}

    class Recorded:
        def __init__(self, cmd, **kwargs):
            seen.update(kwargs)

    monkeypatch.setattr(lab.subprocess, "Popen", Recorded)
    lab.start_jupyter(8888, tmp_path, "token", tmp_path / "log", allow_root=False, lang="vi")
    assert seen["env"][config.ENV_LANG] == "vi" and seen["env"]["JUPYTER_TOKEN"] == "token"
