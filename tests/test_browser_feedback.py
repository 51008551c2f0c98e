"""The feedback a learner opens after grading: a partly right widget answer, in Chromium.

Built with the real nbgrader on a temporary course: assignment 2 is generated, one learner submits
the release with one widget question answered partly right (recorded by the real graded-mode widget),
`nbgrader autograde` (in the sandbox, as configured) and `nbgrader generate_feedback` run, and the
learner opens the feedback HTML nbgrader wrote, as a file, in headless Chromium. What the learner
reads there at that question: the question, their recorded answer, the points (partial), the words
"partly right" (never nbgrader's "ran without errors"), and why the key is right, which comes from the
instructor's ``grade_answer(..., why=...)`` call in source/ and is nowhere in what learners had before.
"""
from __future__ import annotations

import pytest

pytest.register_assert_rewrite("browser_helpers")
from browser_helpers import SCREENSHOTS  # noqa: E402
from course_tools.contract import notebook_keys  # noqa: E402
from exercises.banks import get_exercise  # noqa: E402
from nbgrader_helpers import (  # noqa: E402
    ROOT, gradebook_scores, make_course, nbgrader, put_submission, record_answers, release_nb, source_nb,
)

pytest_plugins = ["browser_helpers"]
pytestmark = [pytest.mark.browser, pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(1200)]

AID = "a2-team-vs-tech"
QID = f"{AID}/q-team-signals"      # many-choice, 2 points
GRADE_ID = "q-team-signals-grade"
STUDENT = "rita"


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    """A temporary course after autograde and generate_feedback for one partly right learner."""
    course = make_course(tmp_path_factory.mktemp("feedback") / "course", [AID])
    exchange = course.parent / "exchange"
    nbgrader(course, "generate_assignment", AID, "--force", exchange=exchange, timeout=900)
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
