"""An instructor adapts an assignment in JupyterLab with nbgrader's own Create Assignment panel.

Nothing else in the repository has to change: no generator, no test, no script. The instructor opens
source/a2-team-vs-tech/a2-team-vs-tech.ipynb in the session's JupyterLab (a copy of the course), adds
an autograded widget question (a bank question shown in graded mode, its key in a grade cell's hidden
region) and a hand-marked task, sets each cell's type, id and points in the Create Assignment panel
and saves. Then nbgrader generates the release, a learner's recorded answer is autograded by the
course's grader, and the new task waits for the instructor in the formgrader.
"""
from __future__ import annotations

import nbformat
import pytest

pytest.register_assert_rewrite("browser_helpers")
from browser_helpers import SCREENSHOTS  # noqa: E402
from nbgrader_helpers import (  # noqa: E402
    cell_by_id, gradebook_scores, meta, nbgrader, put_submission, read_nb, record_answers, widget_keys,
)

pytest_plugins = ["browser_helpers"]
pytestmark = [pytest.mark.browser, pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(1800)]

AID = "a2-team-vs-tech"
REL = f"source/{AID}/{AID}.ipynb"
NEW_QUESTION = "team-vs-tech/whose-problem"   # an existing bank question, graded here
NEW_KEY = "b"
WIDGET_SOURCE = f'show("{NEW_QUESTION}", graded=True)'
GRADE_SOURCE = (f'show_recorded("{NEW_QUESTION}")\n### BEGIN HIDDEN TESTS\n'
                f'grade_answer("{NEW_QUESTION}", key="{NEW_KEY}", why="It is a question about the system.")\n'
                "### END HIDDEN TESTS")
TASK_SOURCE = ("### C3 · A note to Ken (3 points)\n\nIn 80-120 words, tell Ken which of Atlas's problems "
               "is Priya's to lead.\n\n=== BEGIN MARK SCHEME ===\n\n1 point each: names the problem, "
               "says why it is technical, proposes a first step. Zero for one word.\n\n=== END MARK SCHEME ===")


def _add_cell(page, source: str, markdown: bool = False) -> None:
    """Below the active cell, in command mode: b (new cell), m (markdown), then type the text."""
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    if markdown:
        page.keyboard.press("m")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(source)
    page.keyboard.press("Escape")


NEW_CELLS = 5


def _set_nbgrader_cell(page, index: int, kind: str, grade_id: str | None = None, points: int | None = None):
    """In the Create Assignment panel, give new cell *index* (0 = the first one added) its nbgrader
    type, id and points."""
    # the panel lists a widget per cell; the new cells are the notebook's last ones, so count from the end
    widgets = page.locator(".nbgrader-CellWidget")
    widget = widgets.nth(widgets.count() - NEW_CELLS + index)
    widget.scroll_into_view_if_needed()
    widget.locator(".nbgrader-CellType select").select_option(kind)
    if grade_id is not None:
        box = widget.locator(".nbgrader-CellId input")
        box.fill(grade_id)
        box.dispatch_event("change")
    if points is not None:
        box = widget.locator(".nbgrader-CellPoints input")
        box.fill(str(points))
        box.dispatch_event("change")


def test_instructor_adds_a_widget_question_and_a_task_in_lab_and_nbgrader_grades_them(lab, tmp_path):
    """Can an instructor add an autograded widget question and a written task with the Create
    Assignment panel, and have nbgrader release, autograde and list them, with nothing else changed?"""
    from playwright.sync_api import expect

    course = lab.server.root
    path = course / REL
    before = read_nb(path)
    lab.open(REL)
    page = lab.page
    # the last cell is the learner's answer space of the last task: add after it
    lab.panel.locator(".jp-Cell").last.click()
    _add_cell(page, "### B5 · Whose problem is it? (1 point)", markdown=True)
    _add_cell(page, WIDGET_SOURCE)
    _add_cell(page, GRADE_SOURCE)
    _add_cell(page, TASK_SOURCE, markdown=True)
    _add_cell(page, "✍️ *Your answer: double-click here, replace this line and run the cell.*", markdown=True)
    n = len(before.cells)
    assert lab.panel.locator(".jp-Cell").count() == n + 5

    # nbgrader's Create Assignment panel, in the right sidebar
    page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab[data-id='nbgrader-create_assignemnt'],"
                 " .jp-SideBar.jp-mod-right .lm-TabBar-tab[title*='Create Assignment']").first.click()
    expect(page.locator(".nbgrader-CellWidget").last).to_be_visible()
    # one widget per cell, drawn one by one: wait for all of them, or counting from the end (below)
    # lands on the cell before (on a busy machine it once picked the markdown prompt for the widget cell)
    expect(page.locator(".nbgrader-CellWidget")).to_have_count(n + NEW_CELLS)
    _set_nbgrader_cell(page, 0, "readonly", "b5-prompt")
    _set_nbgrader_cell(page, 1, "solution", "b5-widget")   # "Autograded answer": its comment box
    _set_nbgrader_cell(page, 2, "tests", "b5-grade", 2)
    _set_nbgrader_cell(page, 3, "task", "c3-task", 3)
    page.screenshot(path=str(SCREENSHOTS / "create-assignment.png"))
    page.keyboard.press("Control+s")
    page.wait_for_function(
        "() => !document.querySelector('.lm-TabBar-tab.lm-mod-current.jp-mod-dirty')", timeout=60_000)

    saved = read_nb(path)
    by_gid = {meta(c).get("grade_id"): c for c in saved.cells if meta(c)}
    grade = meta(by_gid["b5-grade"])
    assert (grade["grade"], grade["solution"], grade["locked"], grade["points"]) == (True, False, True, 2)
    task = meta(by_gid["c3-task"])
    assert task["task"] and task["points"] == 3 and by_gid["c3-task"].cell_type == "markdown"
    widget = meta(by_gid["b5-widget"])
    assert (widget["solution"], widget["locked"], widget["grade"]) == (True, False, False)
    assert by_gid["b5-grade"].source == GRADE_SOURCE
    # everything the instructor did not touch is as it was
    assert [c.source for c in saved.cells[:n]] == [c.source for c in before.cells]
    assert widget_keys(saved)[NEW_QUESTION] == NEW_KEY

    # the release, by nbgrader itself (what the formgrader's Generate button runs)
    exchange = tmp_path / "exchange"
    nbgrader(course, "generate_assignment", AID, "--force", exchange=exchange)
    released = read_nb(course / "release" / AID / f"{AID}.ipynb")
    text = "\n".join(c.source for c in released.cells)
    assert "grade_answer(" not in text and "BEGIN MARK SCHEME" not in text and "proposes a first step" not in text
    assert WIDGET_SOURCE in text and f'show_recorded("{NEW_QUESTION}")' in text and "A note to Ken" in text
    # the widget's answer cell is released as written (not nbgrader's stub), read-only
    released_widget = cell_by_id(released, "b5-widget")
    assert released_widget.source == WIDGET_SOURCE and released_widget.metadata["editable"] is False

    # a learner answers everything (the new question right) and is autograded by the course's grader
    folder = put_submission(course, "lee", AID, released)
    answers = dict(widget_keys(before))
    answers[NEW_QUESTION] = NEW_KEY
    record_answers({folder: answers})
    nbgrader(course, "autograde", AID, "--student=lee", exchange=exchange)
    cells = gradebook_scores(course, AID)["lee"]["cells"]
    assert cells["b5-grade"] == 2
    graded_nb = read_nb(course / "autograded" / "lee" / AID / f"{AID}.ipynb")
    feedback = cell_by_id(graded_nb, "b5-grade").outputs[0]["data"]["text/plain"]
    assert "Correct" in feedback and "It is a question about the system." in feedback

    # the new task waits for the instructor: the formgrader lists what nbgrader's gradebook holds
    # (its page for this, /formgrader/gradebook/<id>/<notebook>, is not checked here: see the note)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "techlead") as gb:
        task = gb.find_grade("c3-task", AID, AID, "lee")
        assert task.needs_manual_grade and task.max_score == 3
        assert "proposes a first step" in gb.find_source_cell("c3-task", AID, AID).source
        # the new widget question has a comment row (its box in the formgrader), with no "No response."
        assert gb.find_comment("b5-widget", AID, AID, "lee").auto_comment is None
    nbformat.validate(saved)
