"""Grading a2-team-vs-tech with the real nbgrader: scores, bad submissions and feedback.

One temporary course; every scenario is one "student", and a single ``nbgrader autograde`` run
grades them all (then one ``generate_feedback`` run), so the module costs a few nbgrader starts.
"""
from __future__ import annotations


import pytest

from nbgrader_helpers import (
    add_markdown, auto_points, cell_by_id, delete_cell, gradebook_scores, meta,
    nbgrader, put_submission, read_nb, record_answers, release_nb, secret_lines, set_answer,
    solved, source_nb, widget_keys,
)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

AID = "a2-team-vs-tech"
TIMEOUT = 5  # seconds per cell, so the endless-loop submission costs little

# A partly right submission, and exactly what it should score.
PARTIAL_DUTIES = '''
atlas_duties = {
    "weekly-one-on-ones": "team",
    "message-broker": "technical",
    "split-order": "technical",
    "on-call-dispute": "team",
    "performance-reviews": "team",
    "review-standards": "technical",
    "incident-review": "technical",
    "next-hire": "team",
}
'''  # 6 of 8 right -> 3.0 of 4
PARTIAL_SIGNALS = '''
def classify_signal(metric_name, trend):
    # Right for the delivery and pipeline metrics; treats every people metric as "higher is worse".
    better_up = {"deploy_frequency", "pipeline_pass_rate"}
    dora = {"deploy_frequency", "lead_time_hours", "change_failure_rate", "time_to_restore_hours"}
    people = {"skipped_one_on_ones", "engagement_score", "regretted_leavers", "overtime_hours"}
    worse = (trend == "down") if metric_name in better_up else (trend == "up")
    if not worse:
        return "none"
    if metric_name in people:
        return "team"
    return "both" if metric_name in dora else "technical"
'''  # shape: engagement_score up -> "team" (should be "none") -> 0 of 1; technical (DORA "both",
#     pipeline "technical") 2 of 2;
#     team: engagement_score down -> "none" (should be "team") -> 0 of 2   => 2.0 of 5
PARTIAL_WIDGETS = {
    f"{AID}/q-whose-call": "b",                        # right: 1
    # 2 of the 3 right options, no wrong one: informedness 2/3 - 0 -> 4/3 of 2
    f"{AID}/q-team-signals": ["b", "c"],  # key ["b", "c", "e"]
    # 4 of 5 items; roadmap-with-sofia (technical) put in "both": technical 1/2 - 0/3 = 1/2,
    # team 2/2 - 0/3 = 1, both 1/1 - 1/4 = 3/4 -> mean 3/4 -> 3/2 of 2
    f"{AID}/q-sort-decisions": {"service-boundary": "technical", "stuck-pattern": "team",
                                "roadmap-with-sofia": "both", "billing-handover": "both",
                                "oncall-rota": "team"},
    # q-tlm-risk: never answered: 0
}
PARTIAL_EXPECTED = 3.0 + 2.0 + 1.0 + 4 / 3 + 3 / 2
# Every widget answer wrong: choice 0; many-choice with only wrong options ticked 0 - 2/2 -> 0;
# classify with every item in a wrong category 0.
WRONG_WIDGETS = {
    f"{AID}/q-whose-call": "a",
    f"{AID}/q-team-signals": ["a", "d"],
    f"{AID}/q-sort-decisions": {"service-boundary": "team", "stuck-pattern": "technical",
                                "roadmap-with-sofia": "team", "billing-handover": "technical",
                                "oncall-rota": "both"},
    f"{AID}/q-tlm-risk": "d",
}
# What a learner who never read the question can do: tick every option, sort every item into one
# category. Both earn 0 by the stated rules (INSTRUCTORS.md), not the 3/5 and 2/5 a naive count gives.
CONTENT_BLIND_WIDGETS = {
    f"{AID}/q-team-signals": ["a", "b", "c", "d", "e"],
    f"{AID}/q-sort-decisions": {"service-boundary": "technical", "stuck-pattern": "technical",
                                "roadmap-with-sofia": "technical", "billing-handover": "technical",
                                "oncall-rota": "technical"},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, generated_course):
    """The course after one autograde run over every scenario, and one feedback run."""
    course = generated_course(tmp_path_factory.mktemp("grading") / "course", AID)
    exchange = course.parent / "exchange"
    # An instructor tried the widgets in source/ (all right): their responses.json must neither
    # reach release/ (see test_nbgrader_release) nor overwrite any learner's answers at autograde.
    keys = widget_keys(source_nb(AID))
    record_answers({course / "source" / AID: keys})

    subs: dict[str, dict] = {}

    def add(student, nb, widgets=None, **kw):
        folder = put_submission(course, student, AID, nb, **kw)
        subs[student] = {"folder": folder, "widgets": widgets or {}}

    add("solution", solved(AID), keys)
    add("untouched", release_nb(AID))
    add("wrong-widgets", solved(AID), WRONG_WIDGETS)
    add("content-blind", solved(AID), CONTENT_BLIND_WIDGETS)
    partial = set_answer(solved(AID), "duties-answer", PARTIAL_DUTIES)
    add("partial", set_answer(partial, "signals-answer", PARTIAL_SIGNALS), PARTIAL_WIDGETS)
    # Tampering: a test cell deleted, a locked test emptied (to hide a wrong answer), the
    # instructions rewritten, a cell of their own added.
    tampered = solved(AID)
    delete_cell(tampered, "duties-tests")
    set_answer(tampered, "signals-answer", PARTIAL_SIGNALS)
    set_answer(tampered, "signals-tests-team", "pass  # the learner emptied the test")
    set_answer(tampered, "instructions", "# I rewrote the instructions")
    add_markdown(tampered, "My notes to self.")
    add("tampered", tampered, keys)
    # Broken code: a syntax error in one answer, an endless loop after a correct one.
    broken = set_answer(solved(AID), "duties-answer", 'atlas_duties = {"weekly-one-on-ones": "team",,}')
    set_answer(broken, "signals-answer", cell_by_id(solved(AID), "signals-answer").source
               + "\n\nwhile True:  # the learner left an endless loop\n    pass")
    add("broken", broken, keys)
    add("no-responses", solved(AID))
    add("corrupt-responses", solved(AID), responses_text='{"schema_version": 1, "responses": {"a2-te')
    add("renamed-raw", solved(AID), keys, name=f"{AID}-Copy1.ipynb")
    add("renamed-fixed", solved(AID), keys, name="Priya answers.ipynb")

    record_answers({s["folder"]: s["widgets"] for s in subs.values()})

    # The instructor's pre-autograde check (see INSTRUCTORS.md), run for one renamed submission
    # only, so that the other shows what nbgrader does on its own.
    from course_tools.submissions import check_submission, expected_notebooks
    finding = check_submission(subs["renamed-fixed"]["folder"], expected_notebooks(course, AID))

    # check=False: nbgrader exits 1 because of renamed-raw (see its test); the batch goes on.
    log = nbgrader(course, "autograde", AID, f"--Execute.timeout={TIMEOUT}", exchange=exchange,
                   check=False)
    feedback = nbgrader(course, "generate_feedback", AID, exchange=exchange)
    return {
        "course": course,
        "scores": gradebook_scores(course, AID),
        "log": log.stdout + log.stderr,
        "returncode": log.returncode,
        "feedback_log": feedback.stdout + feedback.stderr,
        "rename_finding": finding,
        "keys": keys,
    }


def score(graded, student):
    return graded["scores"][student]["auto"]


def autograded_nb(graded, student):
    return read_nb(graded["course"] / "autograded" / student / AID / f"{AID}.ipynb")


def feedback_html(graded, student):
    return (graded["course"] / "feedback" / student / AID / f"{AID}.html").read_text(encoding="utf-8")


FULL = auto_points(source_nb(AID))


def test_solution_gets_every_autograded_point(graded):
    """Does the instructor's solution, with its widget answers recorded, get every autograded point?"""
    assert FULL == 15
    assert score(graded, "solution") == FULL
    assert all(v == max_ for v, max_ in [
        (graded["scores"]["solution"]["cells"][c["metadata"]["nbgrader"]["grade_id"]],
         c["metadata"]["nbgrader"]["points"])
        for c in source_nb(AID).cells if c.cell_type == "code" and meta(c).get("grade")])


def test_untouched_release_gets_zero(graded):
    """Does the release notebook handed in untouched (no widget answers) score 0?"""
    assert score(graded, "untouched") == 0


def test_partly_right_submission_gets_exact_partial_score(graded):
    """Does a partly right submission get exactly the partial score the tests promise?"""
    cells = graded["scores"]["partial"]["cells"]
    assert cells["duties-tests"] == 3.0           # partial credit: 6 of 8 duties
    assert cells["signals-tests-shape"] == 0
    assert cells["signals-tests-technical"] == 2
    assert cells["signals-tests-team"] == 0
    assert cells["q-whose-call-grade"] == 1
    assert cells["q-team-signals-grade"] == pytest.approx(4 / 3)    # partial credit: the many-choice rule
    assert cells["q-sort-decisions-grade"] == pytest.approx(3 / 2)   # partial credit: the classify rule
    assert cells["q-tlm-risk-grade"] == 0          # never recorded
    assert score(graded, "partial") == pytest.approx(PARTIAL_EXPECTED)


def test_wrong_and_content_blind_widget_answers_score_zero(graded):
    """Do wrong widget answers, ticking every option and one category for everything all score 0,
    while the same learners' code answers keep their points?"""
    for student in ("wrong-widgets", "content-blind"):
        cells = graded["scores"][student]["cells"]
        for q in ("q-whose-call", "q-team-signals", "q-sort-decisions", "q-tlm-risk"):
            assert cells[f"{q}-grade"] == 0, (student, q)
        assert score(graded, student) == FULL - 6


def test_widget_answers_in_responses_json_are_graded(graded):
    """Are graded-mode widget answers read from the submitted responses.json, and only from it?"""
    widget_cells = [f"{q.split('/')[1]}-grade" for q in graded["keys"]]
    assert len(widget_cells) == 4
    for cell in widget_cells:
        assert graded["scores"]["solution"]["cells"][cell] > 0
        # The instructor's responses.json in source/ was not copied over the learner's files.
        assert graded["scores"]["no-responses"]["cells"][cell] == 0
    # The instructor's own answers (tried in source/) were kept outside source/, so neither
    # generate_assignment nor autograde's "master files" copy can ship them.
    assert not (graded["course"] / "source" / AID / "responses.json").exists()
    kept = graded["course"] / ".instructor-answers" / AID / "responses.json"
    assert kept.exists(), "the scenario needs an instructor's recorded answers"
    assert not (graded["course"] / "autograded" / "no-responses" / AID / "responses.json").exists()


def test_missing_responses_scores_widgets_zero_with_a_clear_message(graded):
    """Without responses.json, do widget questions score 0 with a clear message while the rest is graded?"""
    s = graded["scores"]["no-responses"]
    assert s["auto"] == FULL - 6  # the four widget questions are worth 6
    nb = autograded_nb(graded, "no-responses")
    out = cell_by_id(nb, "q-whose-call-grade").outputs
    assert [o["output_type"] for o in out] == ["display_data", "execute_result"]
    assert "No answer was recorded for this question." in out[0]["data"]["text/plain"]
    assert out[1]["data"]["text/plain"] == "0.0"
    html = feedback_html(graded, "no-responses")
    assert "No answer was recorded for this question." in html and "0 of 1 point" in html


def test_corrupt_responses_scores_widgets_zero_others_graded(graded):
    """With a corrupt responses.json, do widget questions score 0 (clear message) and the rest count?"""
    assert score(graded, "corrupt-responses") == FULL - 6
    html = feedback_html(graded, "corrupt-responses")
    assert "No answer was recorded for this question." in html
    assert "responses.json is not valid JSON" in html
    # The learner's file is kept for the instructor to look at: the kit moves a corrupt file aside
    # (as responses.corrupt-<time>.json) when the widget cell runs during autograde.
    folder = graded["course"] / "autograded" / "corrupt-responses" / AID
    kept = [p.read_text() for p in folder.glob("responses*.json")]
    assert any(text.startswith('{"schema_version": 1, "responses": {"a2-te') for text in kept)


def test_deleted_test_cell_is_restored_and_scored(graded):
    """Can a submission with a deleted test cell be graded (the cell put back, its points counted)?"""
    nb = autograded_nb(graded, "tampered")
    restored = cell_by_id(nb, "duties-tests")
    assert "BEGIN HIDDEN TESTS" in restored.source
    assert graded["scores"]["tampered"]["cells"]["duties-tests"] == 4


def test_edited_locked_cells_are_restored_from_source(graded):
    """Is an edited locked cell (a test emptied, the instructions rewritten) put back from source?"""
    nb = autograded_nb(graded, "tampered")
    assert "pass  # the learner emptied the test" not in cell_by_id(nb, "signals-tests-team").source
    assert "I rewrote" not in cell_by_id(nb, "instructions").source
    # the real (restored) team tests ran against the learner's partly wrong function
    cells = graded["scores"]["tampered"]["cells"]
    assert cells["signals-tests-team"] == 0 and cells["signals-tests-shape"] == 0
    assert "Attribute 'checksum' for cell signals-tests-team has changed" in graded["log"]
    # the learner's own extra cell is kept and harmless
    assert "My notes to self." in [c.source for c in nb.cells]
    assert score(graded, "tampered") == FULL - 3


def test_endless_loop_is_interrupted_and_the_rest_graded(graded):
    """Does an endless loop hit the cell timeout while the rest of the notebook is still graded?"""
    nb = autograded_nb(graded, "broken")
    errors = [o for o in cell_by_id(nb, "signals-answer").outputs if o.output_type == "error"]
    assert errors, "the looping cell should end with an error (interrupted)"
    cells = graded["scores"]["broken"]["cells"]
    # classify_signal was defined before the loop, so its tests still pass
    assert cells["signals-tests-shape"] + cells["signals-tests-technical"] + cells["signals-tests-team"] == 5


def test_syntax_error_scores_that_question_zero(graded):
    """Does a syntax error cost only the tests that depend on the broken cell?"""
    nb = autograded_nb(graded, "broken")
    assert cell_by_id(nb, "duties-answer").outputs[0]["ename"] == "SyntaxError"
    assert graded["scores"]["broken"]["cells"]["duties-tests"] == 0
    assert score(graded, "broken") == FULL - 4


def test_renamed_notebook_is_flagged_not_crashing_the_batch(graded):
    """Is a renamed notebook, left as it is, reported as an error for that student only (scored 0)?"""
    course = graded["course"]
    assert graded["returncode"] != 0
    assert "Skipping unknown notebook" in graded["log"] and f"{AID}-Copy1.ipynb" in graded["log"]
    assert "There was an error processing assignment 'a2-team-vs-tech' for student 'renamed-raw'" in graded["log"]
    assert not (course / "autograded" / "renamed-raw" / AID / f"{AID}.ipynb").exists()
    assert score(graded, "renamed-raw") == 0
    # the batch went on: everybody else was graded
    assert score(graded, "solution") == score(graded, "renamed-fixed") == FULL


def test_renamed_notebook_fixed_before_autograde_is_graded(graded):
    """Does course_tools.submissions put a renamed notebook back under its name, so it is graded?"""
    finding = graded["rename_finding"]
    assert finding.status == "renamed" and "Priya answers.ipynb" in finding.detail
    assert score(graded, "renamed-fixed") == FULL


def test_feedback_html_leaks_no_hidden_tests_or_mark_scheme(graded):
    """Does the feedback for passing and failing submissions hide hidden tests, keys and mark schemes?"""
    secrets = secret_lines(source_nb(AID), solutions=False)
    assert len(secrets) > 10
    for student in ["solution", "untouched", "partial", "tampered", "broken",
                    "no-responses", "corrupt-responses"]:
        html = feedback_html(graded, student)
        for marker in ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME",
                       "BEGIN SOLUTION", "expected = "]:
            assert marker not in html, (student, marker)
        for line in secrets:
            assert line not in html and _html_escape(line) not in html, (student, line)
        # no traceback of a test cell: each one shows only the plain message
        nb = autograded_nb(graded, student)
        for cell in nb.cells:
            if meta(cell).get("grade") and cell.cell_type == "code":
                for out in cell.outputs:
                    for line in out.get("traceback", []):
                        assert line not in html, (student, line)


def test_feedback_says_which_hidden_test_cells_failed(graded):
    """Does a failing hidden-test cell tell the learner plainly that it failed, and keep its score?"""
    html = feedback_html(graded, "partial")
    assert "A test in this cell did not pass (AssertionError)" in html
    assert "The tests in this cell passed" in html
    assert "ran without errors" not in html
    assert "Partly right: some of the checks in this cell passed" in html  # duties-tests, 3 of 4
    assert f"Score: {round(PARTIAL_EXPECTED, 2):g} / 23.0" in html  # the scores are all still shown
    assert "Score: 3.0 / 4.0" in html  # partial credit survives the scrubbing


def _html_escape(text: str) -> str:
    import html
    return html.escape(text, quote=True)
