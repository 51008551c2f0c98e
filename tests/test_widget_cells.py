"""A graded widget question's show(...) cell: an Autograded answer cell, released as written.

course_tools/widget_cells.py says why (the formgrader's comment box). These tests read the committed
source/ and release/ and run the course's two nbgrader steps on small notebooks; the formgrader's box,
a comment typed into it and the feedback that shows it are tested in Chromium
(tests/test_browser_feedback.py), the Create Assignment path in tests/test_browser_authoring.py.
"""
from __future__ import annotations

import sys

import nbformat
import pytest

from course_tools import cells
from course_tools.widget_cells import ClearSolutions, is_graded_show_cell, is_widget_answer_cell, shown_question
from nbgrader_helpers import ROOT, meta, release_nb, source_nb

sys.path.insert(0, str(ROOT / "scripts"))
import sync_assignments  # noqa: E402

AIDS = sorted(p.name for p in (ROOT / "source").iterdir() if (p / f"{p.name}.ipynb").is_file())


@pytest.mark.parametrize("source, expected", [
    ('show("a2-team-vs-tech/q-whose-call", graded=True)', "a2-team-vs-tech/q-whose-call"),
    ('# answer in the widget\nshow("bank/q1", graded=True)  # then press Record', "bank/q1"),
    ('show("bank/q1")', None),                                  # a practice widget, not graded
    ('show("bank/q1", graded=False)', None),
    ('show("bank/q1", graded=True)\nprint(1)', None),          # more than the call
    ('x = show("bank/q1", graded=True)', None),
    ('exercises.show("bank/q1", graded=True)', None),
    ('show(name, graded=True)', None),
    ('show("no-slash", graded=True)', None),
    ('show("bank/q1", graded=True', None),                      # not Python
    ('', None),
])
def test_which_sources_show_a_graded_question(source, expected):
    """Is a cell recognised as a graded widget question exactly when it is one show(..., graded=True)
    call with a literal id, and never when it holds anything else?"""
    assert shown_question(source) == expected


@pytest.mark.parametrize("aid", AIDS)
def test_every_graded_widget_question_is_an_answer_cell_released_as_written(aid):
    """In source/ is every graded show(...) cell an Autograded answer cell (so it has a comment box),
    and does release/ hold it word for word, read-only, never nbgrader's NotImplementedError stub?"""
    source = source_nb(aid)
    shown = [c for c in source.cells if is_graded_show_cell(c)]
    assert shown, f"{aid} has no graded widget question"
    released = {c.get("id"): c for c in release_nb(aid).cells}
    for cell in shown:
        m = meta(cell)
        assert is_widget_answer_cell(cell), f"{aid}/{m.get('grade_id')}: {m}"
        out = released[cell["id"]]
        assert out.source == cell.source, m["grade_id"]
        assert "NotImplementedError" not in out.source
        assert out.metadata.get("editable") is False and out.metadata.get("deletable") is False
        assert meta(out)["solution"] and not meta(out)["grade"]


def test_sync_marks_a_read_only_show_cell_and_nothing_else():
    """Does the sync step (make assignments) turn a Read-only graded show(...) cell into an
    Autograded answer cell, say so, and leave practice widgets, grade cells and other cells alone?"""
    nb = cells.new_notebook([
        cells.readonly_md_cell("b1-prompt", "### B1 · A question (1 point)"),
        cells.readonly_code_cell("b1-widget", 'show("bank/q1", graded=True)'),
        cells.test_cell("b1-grade", 'show_recorded("bank/q1")', 1),
        cells.readonly_code_cell("practice", 'show("bank/q2")'),
        cells.readonly_code_cell("imports", "from exercises import show"),
        cells.solution_cell("b2-widget", 'show("bank/q3", graded=True)'),
    ])
    changes = sync_assignments.mark_widget_answer_cells(nb)
    assert changes == ["cell 'b1-widget': now an Autograded answer cell (the formgrader gives it a comment box)"]
    by_id = {c["id"]: meta(c) for c in nb.cells}
    assert (by_id["b1-widget"]["solution"], by_id["b1-widget"]["locked"]) == (True, False)
    assert by_id["practice"]["locked"] and not by_id["practice"]["solution"]
    assert by_id["imports"]["locked"] and not by_id["imports"]["solution"]
    assert by_id["b1-grade"]["grade"] and not by_id["b1-grade"]["solution"]
    assert sync_assignments.mark_widget_answer_cells(nb) == []      # a second run changes nothing
    nbformat.validate(nb)


def test_clear_solutions_keeps_widget_cells_and_stubs_the_rest():
    """Does the course's ClearSolutions release a widget answer cell as written (read-only) while an
    ordinary answer cell still gets nbgrader's stub and a marked region is still cleared?"""
    nb = cells.new_notebook([
        cells.solution_cell("b1-widget", 'show("bank/q1", graded=True)'),
        cells.solution_cell("plain-answer", "answer = 42"),
        cells.solution_cell("marked", "x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION"),
    ])
    step = ClearSolutions()
    nb, _ = step.preprocess(nb, {"language": "python"})
    by_id = {c["id"]: c for c in nb.cells}
    assert by_id["b1-widget"].source == 'show("bank/q1", graded=True)'
    assert by_id["b1-widget"].metadata["editable"] is False
    assert "NotImplementedError" in by_id["plain-answer"].source and "42" not in by_id["plain-answer"].source
    assert by_id["marked"].source.startswith("x = 1") and "x = 2" not in by_id["marked"].source
    assert "editable" not in by_id["plain-answer"].metadata
