"""Table and DiffView: what a notebook shows (HTML) and what a console shows (text), from the same data."""

from __future__ import annotations

import difflib

import pytest

from workshop_lib.diff_view import DiffView
from workshop_lib.tables import Table


def test_table__html_escapes_its_cells_and_colours_the_marked_column():
    table = Table.of(["", "check"], [["✓", "<b>ok</b>"], ["✗", None]], tones=["ok", "bad"], title="t & u")
    html = table._repr_html_()
    assert "&lt;b&gt;ok&lt;/b&gt;" in html and "<b>ok</b>" not in html
    assert "<p><b>t &amp; u</b></p>" in html
    assert "color:#1a7f37" in html and "color:#cf222e" in html
    assert html.count("<tr") == 3


def test_table__text_aligns_columns_and_indents_a_multiline_last_cell():
    table = Table.of(["name", "detail"], [["a", "one\ntwo"], ["long name", "three"]], notes=["a note"])
    lines = str(table).splitlines()
    assert lines[0] == "name       detail"
    assert lines[2] == "a          one"
    assert lines[3] == "           two"
    assert lines[4] == "long name  three"
    assert lines[-1] == "a note"


@pytest.mark.parametrize(
    ("rows", "tones", "problem"),
    [([["a"]], (), "a row has 1 cells for 2 columns"), ([["a", "b"]], ["ok", "ok"], "2 tones for 1 rows"),
     ([["a", "b"]], ["green"], "unknown tone")],
)
def test_table__refuses_rows_and_tones_that_do_not_fit(rows, tones, problem):
    with pytest.raises(ValueError, match=problem):
        Table.of(["x", "y"], rows, tones=tones)


def test_diff_view__shows_the_whole_diff_coloured_and_counts_the_lines():
    old = [f"line {i}\n" for i in range(2000)]
    new = [*old[:1000], "changed\n", *old[1001:], "added at the end\n"]
    diff = "".join(difflib.unified_diff(old, new, fromfile="deployed/f.py", tofile="local/f.py"))
    view = DiffView(diff, title="f.py")
    assert (view.added, view.removed) == (2, 1)
    assert str(view) == f"f.py: 2 line(s) added, 1 removed\n{diff}"  # the text form is the whole diff
    html = view._repr_html_()
    assert "added at the end" in html and "+changed" in html  # nothing is cut, however long
    assert html.count("background:#e6ffec") == 2 and html.count("background:#ffebe9") == 1


def test_diff_view__no_difference_and_a_wrong_argument():
    assert str(DiffView("")) == "no difference"
    with pytest.raises(TypeError, match="diff's text"):
        DiffView(["not", "text"])  # type: ignore[arg-type]
