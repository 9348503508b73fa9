"""The plan of a class on a real account (from the quotas), the board's text and HTML, and its first-seen times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workshop_lib.classroom import board_render
from workshop_lib.classroom.board import STEPS, Board, Cell, Row
from workshop_lib.classroom.plan import duration, plan
from workshop_lib.classroom.seen import FirstSeen

T0 = datetime(2026, 12, 3, 9, 0, 0, tzinfo=UTC)


def test_plan__thirty_participants_are_bound_by_the_quotas():
    planned = plan(30)
    assert planned.clear[0].seconds == 30 * 30  # DeleteRestApi 1 per 30 s: a quarter of an hour
    assert planned.prepare[1].seconds == 30 * 5  # CreateDeployment 1 per 5 s
    assert planned.clear_s > 15 * 60
    text = str(planned)
    assert (
        "30 participants, one shared endpoint" in text
        and "30 x DeleteRestApi, 1 per 30 s per account: 15 min 00 s" in text
    )
    assert "30 endpoints" in str(plan(30, shared_endpoint=False))


def test_duration():
    assert [duration(45), duration(150), duration(3900)] == ["45 s", "2 min 30 s", "1 h 05 min"]


def row(name, upto, *, stuck=False, diagnosis=""):
    cells = {s: Cell(i < upto, "", T0 + timedelta(seconds=i) if i < upto else None) for i, s in enumerate(STEPS)}
    return Row(name, cells, stuck, diagnosis)


def test_render_text__a_row_per_participant_and_the_stuck_ones_explained():
    shown = Board(
        [row("alice", 5), row("bob", 2, stuck=True, diagnosis="permission dynamodb:PutItem: implicitDeny")], T0
    )
    text = board_render.render_text(shown)
    assert "2 participants: 1 at PutItem policy, 1 at done; 1 stuck" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("participant"))
    assert all(board_render.TITLES[s] in header for s in STEPS)
    bob = next(i for i, line in enumerate(lines) if line.startswith("bob"))
    assert lines[bob + 1] == "    -> STUCK at PutItem policy: permission dynamodb:PutItem: implicitDeny"
    alice = next(line for line in lines if line.startswith("alice"))
    assert alice.count("✔") == 5 and board_render.MISSING in alice


def test_render_html__refreshes_itself_and_escapes():
    page = board_render.render_html(Board([row("<b>", 1, stuck=True, diagnosis="a & b")], T0), refresh=3)
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "&lt;b&gt;" in page and "a &amp; b" in page and "<b>" not in page
    assert 'class="stuck has-note"' in page and '<tr class="note stuck">' in page and page.count('class="ok"') == 1


def test_first_seen__kept_until_the_step_is_gone(tmp_path):
    seen = FirstSeen(tmp_path)
    first = seen.update("alice", {"code": True, "env": False}, T0)
    assert first == {"code": T0}
    seen.save()
    later = FirstSeen(tmp_path).update("alice", {"code": True, "env": True}, T0 + timedelta(minutes=2))
    assert later == {"code": T0, "env": T0 + timedelta(minutes=2)}
    again = FirstSeen(tmp_path)
    again.update("alice", {"code": False, "env": False}, T0 + timedelta(minutes=3))
    assert again.update("alice", {"code": True}, T0 + timedelta(minutes=4)) == {"code": T0 + timedelta(minutes=4)}
    again.forget("alice")
    assert again.joined_request("alice") == ""


def test_first_seen__last_progress_and_the_joined_request(tmp_path):
    seen = FirstSeen(tmp_path)
    seen.update("bob", {"row": False}, T0)
    assert seen.last_progress("bob") == T0  # watching since
    seen.update("bob", {"row": True, "log": True}, T0 + timedelta(minutes=5), joined="req-1")
    assert seen.last_progress("bob") == T0 + timedelta(minutes=5)
    assert seen.joined_request("bob") == "req-1"
    seen.update("bob", {"row": True, "log": False}, T0 + timedelta(minutes=6))
    assert seen.joined_request("bob") == ""
