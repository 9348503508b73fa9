"""The lab's parts without JupyterLab: its command line (stdlib only), the working copy, ports, root, stopping."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from workshop_lib import config, lab, lab_cli, working_copy
from workshop_lib.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]  # the kit root (this file is tests/unit/test_lab.py)


# --- the command line ------------------------------------------------------------------------------------


def test_lab_cli__defaults():
    args = lab_cli.parse([])
    assert (args.port, args.no_browser, args.lang, args.allow_root, args.reset, args.yes) == (
        None,
        False,
        "en",
        False,
        False,
        False,
    )


def test_lab_cli__takes_port_no_browser_lang_and_root():
    args = lab_cli.parse(["--port", "9999", "--no-browser", "--lang", "EN", "--allow-root"])
    assert (args.port, args.no_browser, args.lang, args.allow_root) == (9999, True, "en", True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lang", "fr"], "argument --lang: the notebooks exist in en, vi, not in 'fr'"),
        (["--port", "0"], "argument --port: 0 is not a port number (1 to 65535)"),
        (["--port", "http"], "argument --port: 'http' is not a port number"),
        (["--yes"], "--yes only goes with --reset"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_lab_cli__bad_options_exit_2_naming_the_problem(argv: list[str], message: str, capsys):
    with pytest.raises(SystemExit) as done:
        lab_cli.parse(argv)
    assert done.value.code == 2
    assert message in capsys.readouterr().err


def test_lab_cli__names_the_same_environment_variables_as_config():
    assert (lab_cli.ENV_REGION, lab_cli.ENV_LAB_DIR) == (config.ENV_REGION, config.ENV_LAB_DIR)


@pytest.fixture
def bare_kit(tmp_path: Path) -> Path:
    """kit.py and lab_cli.py alone, as in a fresh clone before `.venv` exists."""
    (tmp_path / "workshop_lib").mkdir()
    shutil.copy(ROOT / "kit.py", tmp_path / "kit.py")
    shutil.copy(ROOT / "workshop_lib" / "lab_cli.py", tmp_path / "workshop_lib" / "lab_cli.py")
    return tmp_path


def _kit(kit: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(kit / "kit.py"), *argv], capture_output=True, text=True, timeout=60
    )


def test_kit__lab_help_prints_the_options_without_installing_anything(bare_kit: Path):
    done = _kit(bare_kit, "lab", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python kit.py lab [-h] [--port PORT] [--no-browser] [--lang LANG]")
    assert 'make lab ARGS="--port 9999 --no-browser"' in done.stdout
    assert not (bare_kit / ".venv").exists()


def test_kit__lab_with_a_language_that_does_not_exist_fails_at_once(bare_kit: Path):
    done = _kit(bare_kit, "lab", "--lang", "fr")
    assert done.returncode == 2
    assert "the notebooks exist in en, vi, not in 'fr'" in done.stderr
    assert not (bare_kit / ".venv").exists()


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_kit__help_prints_the_commands(bare_kit: Path, flag: str):
    done = _kit(bare_kit, flag)
    assert done.returncode == 0 and "python kit.py lab " in done.stdout and "python kit.py workshop" in done.stdout


def test_kit__an_unknown_command_is_refused_without_installing_anything(bare_kit: Path):
    done = _kit(bare_kit, "labb")
    assert done.returncode == 2 and done.stderr.rstrip().endswith("kit: unknown command 'labb'")
    assert not (bare_kit / ".venv").exists()


# --- the working copy ---------------------------------------------------------------------------------


@pytest.fixture
def kit_root(tmp_path: Path) -> Path:
    """A kit root with a notebooks/ of two notebooks."""
    source = tmp_path / "notebooks"
    source.mkdir()
    for name in ("00_setup.ipynb", "06_model_endpoint.ipynb"):
        (source / name).write_text(f'{{"name": "{name}"}}\n', encoding="utf-8")
    return tmp_path


def test_working_copy__is_made_on_first_start_then_kept_and_completed(kit_root: Path):
    source, copy = kit_root / "notebooks", kit_root / "my-notebooks"
    first = working_copy.ensure(copy, source, root=kit_root)
    assert first.created and first.added == ["00_setup.ipynb", "06_model_endpoint.ipynb"] and first.outdated == []
    assert (copy / "00_setup.ipynb").read_bytes() == (source / "00_setup.ipynb").read_bytes()

    (copy / "00_setup.ipynb").write_text("my edits\n", encoding="utf-8")
    (source / "07_inference_lambda_and_api.ipynb").write_text("{}\n", encoding="utf-8")
    second = working_copy.ensure(copy, source, root=kit_root)
    assert not second.created and second.added == ["07_inference_lambda_and_api.ipynb"] and second.outdated == []
    assert (copy / "00_setup.ipynb").read_text(encoding="utf-8") == "my edits\n"
    assert working_copy.edited(copy, source) == ["00_setup.ipynb"]


def test_working_copy__a_notebook_changed_in_the_kit_is_reported_not_overwritten(kit_root: Path):
    source, copy = kit_root / "notebooks", kit_root / "my-notebooks"
    working_copy.ensure(copy, source, root=kit_root)
    (source / "06_model_endpoint.ipynb").write_text('{"new": true}\n', encoding="utf-8")
    report = working_copy.ensure(copy, source, root=kit_root)
    assert report.outdated == ["06_model_endpoint.ipynb"]
    assert (copy / "06_model_endpoint.ipynb").read_text(encoding="utf-8") == '{"name": "06_model_endpoint.ipynb"}\n'


def test_working_copy__reset_renews_the_notebooks_and_keeps_the_learners_other_files(kit_root: Path):
    source, copy = kit_root / "notebooks", kit_root / "my-notebooks"
    working_copy.ensure(copy, source, root=kit_root)
    (copy / "00_setup.ipynb").write_text("my edits\n", encoding="utf-8")
    (copy / "my_notes.ipynb").write_text("mine\n", encoding="utf-8")
    (source / "06_model_endpoint.ipynb").write_text('{"new": true}\n', encoding="utf-8")
    assert working_copy.reset(copy, source, root=kit_root) == ["00_setup.ipynb", "06_model_endpoint.ipynb"]
    assert working_copy.edited(copy, source) == []
    assert (copy / "my_notes.ipynb").read_text(encoding="utf-8") == "mine\n"
    assert working_copy.ensure(copy, source, root=kit_root).outdated == []


def test_working_copy__must_be_beside_notebooks_for_the_relative_paths(kit_root: Path):
    with pytest.raises(InvalidInput) as bad:
        working_copy.ensure(kit_root / "deeper" / "my-notebooks", kit_root / "notebooks", root=kit_root)
    assert "is not a folder of the kit's root" in str(bad.value) and "../lambda_function.py" in str(bad.value)


def test_working_copy__defaults_to_my_notebooks_which_git_ignores(monkeypatch):
    monkeypatch.delenv(config.ENV_LAB_DIR, raising=False)
    assert config.lab_dir() == ROOT / "my-notebooks"
    ignored = subprocess.run(["git", "check-ignore", "-q", "my-notebooks/08_2a_update_lambda.ipynb"], cwd=ROOT)
    assert ignored.returncode == 0


def test_reset__without_a_terminal_to_ask_needs_yes(kit_root: Path, monkeypatch):
    copy = kit_root / "my-notebooks"
    working_copy.ensure(copy, kit_root / "notebooks", root=kit_root)
    (copy / "00_setup.ipynb").write_text("my edits\n", encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InvalidInput) as refused:
        lab._prepare_copy(copy, reset=True, yes=False, source=kit_root / "notebooks", root=kit_root)
    assert "--reset would replace 1 notebooks you changed: 00_setup.ipynb" in str(refused.value)
    assert "add --yes" in str(refused.value)
    assert (copy / "00_setup.ipynb").read_text(encoding="utf-8") == "my edits\n"
    lab._prepare_copy(copy, reset=True, yes=True, source=kit_root / "notebooks", root=kit_root)
    assert working_copy.edited(copy, kit_root / "notebooks") == []


# --- root, ports, the command, stopping ---------------------------------------------------------------------


def test_is_root__follows_the_effective_user_and_is_false_where_there_is_none(monkeypatch):
    assert lab.is_root() == (hasattr(os, "geteuid") and os.geteuid() == 0)
    monkeypatch.delattr(os, "geteuid", raising=False)  # as on Windows
    assert lab.is_root() is False


def test_jupyter_command__allows_root_only_when_asked(tmp_path: Path):
    plain = lab.jupyter_command(9999, tmp_path, allow_root=False)
    assert plain[1:3] == ["-m", "jupyterlab"] and "--port=9999" in plain and "--ip=127.0.0.1" in plain
    assert f"--ServerApp.root_dir={tmp_path}" in plain and "--allow-root" not in plain
    assert lab.jupyter_command(9999, tmp_path, allow_root=True)[-1] == "--allow-root"


def test_choose_port__a_port_in_use_is_refused_and_none_takes_a_free_one():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not lab.port_is_free(port)
        with pytest.raises(InvalidInput) as taken:
            lab.choose_port(port)
        assert f"port {port} is in use" in str(taken.value) and "--port" in str(taken.value)
    free = lab.choose_port(None)
    assert lab_cli.DEFAULT_PORT <= free < lab_cli.DEFAULT_PORT + lab.PORT_TRIES and lab.port_is_free(free)


def test_stop_jupyter__ends_the_process_and_what_it_started(tmp_path: Path):
    grandchild = "import time; time.sleep(120)"
    script = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', {grandchild!r}], start_new_session=True)\n"
        f"open({str(tmp_path / 'pid')!r}, 'w').write(str(p.pid))\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    pid_file = tmp_path / "pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the child did not start its own child"
        time.sleep(0.05)
    child = psutil.Process(int(pid_file.read_text()))
    lab.stop_jupyter(proc, timeout=5)
    assert proc.poll() is not None
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


def test_open_browser__only_where_a_graphical_browser_can_open(monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(lab.webbrowser, "open", lambda url: opened.append(url) or True)
    monkeypatch.setattr(lab.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert lab.open_browser("http://127.0.0.1:8888/lab?token=t") is False and opened == []  # no console browser
    monkeypatch.setenv("DISPLAY", ":0")
    assert lab.open_browser("http://127.0.0.1:8888/lab?token=t") is True
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setattr(lab.sys, "platform", "darwin")
    assert lab.open_browser("http://127.0.0.1:8888/lab?token=u") is True
    assert opened == ["http://127.0.0.1:8888/lab?token=t", "http://127.0.0.1:8888/lab?token=u"]
