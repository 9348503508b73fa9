"""The class's command line (what `python kit.py class` runs) and prepare's progress bars."""

from __future__ import annotations

import io

from workshop_lib.classroom import cli
from workshop_lib.classroom.progress import Progress


def test_plan_command__prints_the_plan_from_the_quotas(capsys):
    assert cli.main(["plan", "--count", "4"]) == 0
    out = capsys.readouterr().out
    assert (
        "4 participants, one shared endpoint" in out and "4 x DeleteRestApi, 1 per 30 s per account: 2 min 00 s" in out
    )


def test_prepare_command__a_bad_name_is_named_and_nothing_is_done(capsys, tmp_path):
    assert cli.main(["--dir", str(tmp_path), "prepare", "--participants", "alice,Bob"]) == 2
    err = capsys.readouterr().err
    assert "participant name 'Bob'" in err and "fix: choose another participant prefix" in err
    assert list(tmp_path.iterdir()) == []


def test_status_command__without_a_class_says_how_to_prepare_one(capsys, tmp_path):
    assert cli.main(["--dir", str(tmp_path), "status"]) == 2
    assert "no class is prepared" in capsys.readouterr().err


def test_progress__lines_without_a_terminal():
    out = io.StringIO()
    progress = Progress({"alice": 2, "bob": 1}, out, bars=False)
    progress.step("alice", "07 wl.ensure_execution_role()")
    progress.step("bob", "08_1 wl.create_metadata_table()")
    progress.finish("bob", "ready (1 steps made)")
    lines = out.getvalue().splitlines()
    assert lines == [
        "alice: 1/2 07 wl.ensure_execution_role()   (class: 1/3)",
        "bob: 1/1 08_1 wl.create_metadata_table()   (class: 2/3)",
        "bob: ready (1 steps made)",
    ]


def test_progress__a_bar_per_participant_and_one_overall_that_end_full():
    out = io.StringIO()
    progress = Progress({"alice": 3, "bob": 1}, out, bars=True)
    progress.step("alice", "a")
    progress.step("alice", "b")  # two pieces made by one call: alice ends after 2 of 3
    progress.finish("alice", "ready")
    progress.step("bob", "c")
    progress.finish("bob", "ready")
    progress.close()
    text = out.getvalue()
    assert "alice" in text and "bob" in text and "class" in text
    assert "3/3" in text and "2/2" in text  # the overall bar and alice's end full
