"""The feedback a learner opens after grading: a partly right widget answer, in Chromium.

Built with the real nbgrader on a temporary course: assignment 2 is generated, one learner submits
the release with one widget question answered partly right (recorded by the real graded-mode widget),
`nbgrader autograde` (in the sandbox, as configured) and `nbgrader generate_feedback` run, and the
learner opens the feedback HTML nbgrader wrote, as a file, in headless Chromium. What the learner
reads there at that question: the question, their recorded answer, the points (partial), the words
"partly right" (never nbgrader's "ran without errors"), and why the key is right, which comes from the
instructor's ``grade_answer(..., why=...)`` call in source/ and is nowhere in what learners had before.

Then the instructor's side of the same question: the formgrader (served by a JupyterLab on that
course) gives the question's ``show(...)`` cell a comment box; what the instructor writes there is
saved in the gradebook, and the regenerated feedback shows it at that question
(course_tools/widget_cells.py: why that cell is an *Autograded answer* cell).
"""
from __future__ import annotations

import pytest

pytest.register_assert_rewrite("browser_helpers")
from browser_helpers import SCREENSHOTS  # noqa: E402
from course_tools.contract import notebook_keys  # noqa: E402
from exercises.banks import get_exercise  # noqa: E402
from nbgrader_helpers import (  # noqa: E402
    ROOT, gradebook_scores, nbgrader, put_submission, record_answers, release_nb, source_nb,
)

pytest_plugins = ["browser_helpers"]
pytestmark = [pytest.mark.browser, pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(1200)]

AID = "a2-team-vs-tech"
QID = f"{AID}/q-team-signals"      # many-choice, 2 points
GRADE_ID = "q-team-signals-grade"
WIDGET_ID = "q-team-signals-widget"   # the question's show(...) cell, an Autograded answer cell
STUDENT = "rita"


@pytest.fixture(scope="module")
def feedback(tmp_path_factory, generated_course):
    """A temporary course after autograde and generate_feedback for one partly right learner."""
    course = generated_course(tmp_path_factory.mktemp("feedback") / "course", AID)
    exchange = course.parent / "exchange"
    call = notebook_keys(source_nb(AID))[GRADE_ID]
    key = list(call.key)
    partial = key[:2]                       # two of the three right options, no wrong one
    assert len(key) == 3 and call.why
    folder = put_submission(course, STUDENT, AID, release_nb(AID))
    record_answers({folder: {QID: partial}})
    nbgrader(course, "autograde", AID, f"--student={STUDENT}", exchange=exchange, timeout=1200)
    nbgrader(course, "generate_feedback", AID, f"--student={STUDENT}", exchange=exchange, timeout=600)
    html = course / "feedback" / STUDENT / AID / f"{AID}.html"
    assert html.is_file()
    return {"course": course, "html": html, "call": call, "picked": partial,
            "score": gradebook_scores(course, AID)[STUDENT]["cells"][GRADE_ID]}


def test_feedback_page_of_a_partly_right_widget_answer(feedback, chromium):
    """Does the feedback page show, at a partly right widget question, the question, the learner's
    recorded answer, the partial points, "partly right" (not "ran without errors") and the key's why?"""
    from playwright.sync_api import expect

    entry = get_exercise(QID)
    options = {o["key"]: o["text"] for o in entry["options"]}
    points = 2
    assert feedback["score"] == pytest.approx(points * 2 / 3)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(feedback["html"].as_uri(), wait_until="load")
        block = page.locator(".techlead-graded", has_text=entry["title"]).first
        expect(block).to_be_visible(timeout=30_000)
        block.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "feedback-partly-right.png"))
        text = " ".join(block.inner_text().split())

        assert entry["title"] in text and " ".join(entry["prompt"].split()) in text
        assert "Your recorded answer" in text
        for k in feedback["picked"]:
            assert " ".join(options[k].split()) in text, k
        assert "Partly right" in text
        assert f"{points * 2 / 3:.3g} of {points} points" in text
        assert " ".join(feedback["call"].why.split()) in text
        # the page as a whole: nbgrader's own score for the cell, and no "ran without errors" anywhere
        whole = " ".join(page.locator("body").inner_text().split())
        assert "ran without errors" not in whole
        assert f"Score: {round(points * 2 / 3, 2):g} / {points:.1f}" in whole or \
               f"({round(points * 2 / 3, 2):g} / {points:.1f})" in whole, whole[:2000]
        # the explanation is the instructor's: learners had neither the bank nor the release with it
        why = feedback["call"].why
        assert why not in (ROOT / "exercises" / "banks" / "a2-team-vs-tech.yaml").read_text(encoding="utf-8")
        assert why not in "\n".join(cell.source for cell in release_nb(AID).cells)
    finally:
        context.close()


def test_instructor_comments_on_a_widget_question_in_the_formgrader(feedback, chromium, tmp_path):
    """Does the formgrader give a graded widget question a comment box (with no automatic "No
    response." for a learner who answered in the widget), does a comment typed there reach the
    gradebook, and does the learner's regenerated feedback show it at that question?"""
    from nbgrader.api import Gradebook
    from playwright.sync_api import expect

    from lab_server import LabServer

    course = feedback["course"]
    comment = "B2: engagement is a people signal, but a slower pipeline is not: see lesson 5's table."
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "techlead") as gb:
        submission = gb.find_submission_notebook(AID, AID, STUDENT)
        sid = submission.id
        widget_comment = next(c for c in submission.comments if c.name == WIDGET_ID)
        assert widget_comment.auto_comment is None and widget_comment.manual_comment is None
    server = LabServer(workdir=tmp_path / "formgrader", make_root=lambda dest: course, role="instructor")
    server.start()
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/formgrader/submissions/{sid}/", wait_until="domcontentloaded")
        box = page.locator(f"textarea#{WIDGET_ID}-comment")
        expect(box).to_be_visible(timeout=120_000)
        panel = page.locator(".nbgrader_cell", has=box)
        expect(panel).to_contain_text(f'show("{QID}", graded=True)')
        expect(panel).to_contain_text("Student's answer")
        box.click()
        box.fill(comment)
        page.keyboard.press("Tab")          # the formgrader saves a comment when the box loses focus
        expect(panel.locator(".comment-saved")).to_be_visible(timeout=60_000)
        page.screenshot(path=str(SCREENSHOTS / "formgrader-widget-comment.png"))
    finally:
        context.close()
        server.stop()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "techlead") as gb:
        saved = next(c for c in gb.find_submission_notebook(AID, AID, STUDENT).comments if c.name == WIDGET_ID)
        assert saved.manual_comment == comment

    exchange = course.parent / "exchange"
    nbgrader(course, "generate_feedback", AID, f"--student={STUDENT}", "--force", exchange=exchange, timeout=600)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(feedback["html"].as_uri(), wait_until="load")
        panel = page.locator(".nbgrader_cell", has_text=f'show("{QID}", graded=True)')
        expect(panel).to_contain_text("Comments:", timeout=30_000)
        expect(page.locator(".techlead-widget-note").first).to_contain_text("is shown below, with its points")
        assert comment in " ".join(panel.inner_text().split())
        # the learner's own block for the question still follows it (question, answer, points, why)
        entry = get_exercise(QID)
        block = page.locator(".techlead-graded", has_text=entry["title"]).first
        expect(block).to_contain_text("Partly right")
        assert panel.evaluate("(el, b) => !!(el.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING)",
                              block.element_handle())
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "feedback-widget-comment.png"))
    finally:
        context.close()
