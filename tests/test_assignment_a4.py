"""Assignment a4-challenges: its graded branching scenario, graded by the real nbgrader, and the
graded options of every assignment shown in an order fixed per learner.

The grading tests use one temporary course and one ``nbgrader autograde`` run for three pretend
learners who walk the scenario (``q-launch-week``, 3 points, three steps) along a best, a mixed and
a poor path, each step chosen in the real graded-mode widget.
"""
from __future__ import annotations

import pytest
import yaml

from nbgrader_helpers import (
    ASSIGNMENTS, ROOT, auto_points, gradebook_scores, nbgrader, put_submission,
    record_answers, release_nb, solved, source_nb, widget_keys,
)

AID = "a4-challenges"
SCENARIO = f"{AID}/q-launch-week"

# Paths through the scenario's three situations (budget -> decide -> launch), and what they earn.
# A step rated best earns 1, acceptable 0.5, poor 0; the question gets the mean x its 3 points.
PATHS = {
    "best-path": (["b", "d", "a"], 3.0),    # best, best, best            -> 3/3     x 3 = 3.0
    "mixed-path": (["d", "b", "c"], 1.0),   # acceptable, acceptable, poor -> 1/3     x 3 = 1.0
    "poor-path": (["c", "a", "d"], 0.0),    # poor, poor, poor             -> 0       x 3 = 0.0
}


def test_scenario_key_rates_every_action_and_best_is_not_always_longest():
    """Does the key rate every action of every step, with one best per step that is never the longest,
    and is some poor action the longest (thorough-sounding) of its step?"""
    from exercises.banks import get_exercise

    entry = get_exercise(SCENARIO)
    key = widget_keys(source_nb(AID))[SCENARIO]
    assert entry["graded"] and set(key) == set(entry["situations"])
    poor_longest = 0
    for sid, situation in entry["situations"].items():
        actions = {a["key"]: a for a in situation["actions"]}
        assert set(key[sid]) == set(actions), sid
        assert not any("rating" in a or "why" in a for a in actions.values())  # the bank holds no key
        assert list(key[sid].values()).count("best") == 1, sid
        longest = max(actions, key=lambda k: len(actions[k]["text"]))
        assert key[sid][longest] != "best", sid
        poor_longest += key[sid][longest] == "poor"
    assert poor_longest >= 2
    best_lengths = [len(a["text"]) for s, sit in entry["situations"].items() for a in sit["actions"]
                    if key[s][a["key"]] == "best"]
    assert min(best_lengths) < 70  # one best action is short and blunt


@pytest.fixture(scope="module")
def graded(tmp_path_factory, generated_course):
    """One temporary course, one autograde run over the three scenario walkers and the solution."""
    course = generated_course(tmp_path_factory.mktemp("a4-grading") / "course", AID)
    exchange = course.parent / "exchange"
    keys = widget_keys(source_nb(AID))
    folders = {put_submission(course, "solution", AID, solved(AID)): keys}
    for student, (path, _points) in PATHS.items():
        folders[put_submission(course, student, AID, release_nb(AID))] = {SCENARIO: path}
    record_answers(folders)
    nbgrader(course, "autograde", AID, exchange=exchange)
    nbgrader(course, "generate_feedback", AID, exchange=exchange)
    return {"course": course, "scores": gradebook_scores(course, AID)}


@pytest.mark.nbgrader
@pytest.mark.slow
def test_solution_gets_every_autograded_point(graded):
    """Does the instructor's solution (best path included) get all 17 autograded points of a4?"""
    assert graded["scores"]["solution"]["auto"] == auto_points(source_nb(AID)) == 17


@pytest.mark.nbgrader
@pytest.mark.slow
@pytest.mark.parametrize("student", list(PATHS))
def test_scenario_path_earns_the_mean_rating_of_its_steps(graded, student):
    """Does a best, a mixed and a poor path earn exactly the mean of its step ratings x 3 points?"""
    cells = graded["scores"][student]["cells"]
    assert cells["q-launch-week-grade"] == pytest.approx(PATHS[student][1])
    assert graded["scores"][student]["auto"] == pytest.approx(PATHS[student][1])  # nothing else answered


@pytest.mark.nbgrader
@pytest.mark.slow
def test_scenario_feedback_shows_each_step_rating_and_why(graded):
    """Does the mixed walker's feedback show each step with its rating and the explanation of the key?"""
    page = (graded["course"] / "feedback" / "mixed-path" / AID / f"{AID}.html").read_text(encoding="utf-8")
    assert "Launch week on a thin error budget" in page
    assert page.count("Acceptable") >= 2 and "Poor" in page
    assert "Partly right" in page and "1 of 3 points" in page
    assert "one commander and mitigation first" in page  # the why= of the grade_answer call


# ------------------------------------------------------------------------------ shuffled per learner
def _graded_option_questions():
    for aid in ASSIGNMENTS:
        bank = yaml.safe_load((ROOT / "exercises" / "banks" / f"{aid}.yaml").read_text(encoding="utf-8"))
        for ex in bank["exercises"]:
            if ex["kind"] in ("choice", "many-choice"):
                yield f"{aid}/{ex['id']}", ex


def _shown_order(widget):
    if widget.kind == "many-choice":
        return list(widget.boxes)
    return [key for _text, key in widget.radio.options]


def test_graded_options_are_shuffled_per_learner_and_stay_put(workdir, monkeypatch):
    """Does every graded choice show its options in an order fixed per learner (the same after a
    restart), with different learners seeing different orders?"""
    from exercises import show
    from exercises import scoring

    questions = list(_graded_option_questions())
    assert len(questions) >= 15 and all(ex.get("shuffle") is True for _qid, ex in questions)
    orders = {}
    for learner in ["ana", "ben"]:
        monkeypatch.setenv("TECHLEAD_LEARNER", learner)
        for qid, ex in questions:
            first = _shown_order(show(qid, graded=True))
            again = _shown_order(show(qid, graded=True))  # a restarted kernel builds the widget anew
            assert first == again == scoring.shuffled([o["key"] for o in ex["options"]], qid, learner)
            assert sorted(first) == sorted(o["key"] for o in ex["options"])
            orders[learner, qid] = first
    differ = sum(orders["ana", qid] != orders["ben", qid] for qid, _ex in questions)
    assert differ >= len(questions) // 2
    unshuffled = sum(orders["ana", qid] == sorted(orders["ana", qid]) for qid, _ex in questions)
    assert unshuffled < len(questions) // 2


def test_a_recorded_answer_is_the_option_not_its_position(workdir, monkeypatch):
    """Is the key recorded by option key, so two learners with different orders picking the same text
    record the same answer?"""
    from exercises import show
    from exercises.grading import recorded_answer

    qid = f"{AID}/q-error-budget"
    recorded = []
    for learner in ["ana", "ben"]:
        monkeypatch.setenv("TECHLEAD_LEARNER", learner)
        widget = show(qid, graded=True, path=workdir / f"{learner}.json")
        text = next(t for t, k in widget.radio.options if k == "b")
        widget.radio.value = dict(widget.radio.options)[text]
        widget.check_button.click()
        recorded.append(recorded_answer(qid, path=workdir / f"{learner}.json"))
    assert recorded == ["b", "b"]
