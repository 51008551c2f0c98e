"""The spaced-review widget: due questions come back blank, and answering moves them through the boxes."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from exercises import show_review
from exercises.review_session import ReviewSession
from exercises.store import ResponseStore

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CHOICE = "team-vs-tech/whose-problem"      # a real choice question of lesson 4


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return ResponseStore(tmp_path / "responses.json")


def right_key(exercise_id):
    from exercises.banks import get_exercise

    return next(o["key"] for o in get_exercise(exercise_id)["options"] if o["correct"])


def wrong_key(exercise_id):
    from exercises.banks import get_exercise

    return next(o["key"] for o in get_exercise(exercise_id)["options"] if not o["correct"])


def saved(store, exercise_id):
    return json.loads(store.path.read_text(encoding="utf-8"))["responses"][exercise_id]


def test_nothing_to_review_before_any_answer(store):
    """With no answers yet, does the review say what to do instead of showing questions?"""
    session = show_review(notebooks_dir=NOTEBOOKS, path=store.path)
    assert session.due == [] and session.questions.children == ()
    assert "Nothing to review yet" in session.summary.value


def test_a_missed_question_comes_back_blank_and_climbs_when_right(store):
    """Does a missed lesson question come back with no answer shown, and move to box 2 when right?"""
    store.save(CHOICE, "choice", wrong_key(CHOICE), score=0.0)  # saved with the real time
    clock = Clock(datetime.now().astimezone() + timedelta(days=1))
    session = ReviewSession(notebooks_dir=NOTEBOOKS, store=store, clock=clock)
    assert session.due == [CHOICE]
    (question,) = session.questions.children
    assert question.answer is None and question.feedback.value == ""  # the old answer is not given away

    question.answer = right_key(CHOICE)
    question.check_button.click()
    rec = saved(store, CHOICE)
    assert rec["score"] == 1.0 and rec["attempts"] == 2
    assert rec["review"]["box"] == 2 and rec["review"]["reviews"] == 1
    assert rec["review"]["due"] == (clock.now + timedelta(days=1)).isoformat(timespec="seconds")
    assert "box 2" in session.summary.value and "✔" in question.feedback.value


def test_a_wrong_review_answer_goes_back_to_box_one(store):
    """Does missing a question at review send it to box 1, due again at once?"""
    store.save(CHOICE, "choice", right_key(CHOICE), score=1.0,
               review={"box": 4, "due": T0.isoformat(), "reviews": 3, "last_reviewed": None})
    session = ReviewSession(notebooks_dir=NOTEBOOKS, store=store, clock=Clock(T0))
    (question,) = session.questions.children
    question.answer = wrong_key(CHOICE)
    question.check()
    assert saved(store, CHOICE)["review"]["box"] == 1
    session.refresh_button.click()
    assert session.due == [CHOICE]


def test_questions_not_yet_due_wait_and_the_next_date_is_shown(store):
    """Is a right answer from today held back until tomorrow, with the date shown?"""
    store.save(CHOICE, "choice", right_key(CHOICE), score=1.0)
    session = ReviewSession(notebooks_dir=NOTEBOOKS, store=store, clock=Clock(datetime.now().astimezone()))
    assert session.due == [] and "Nothing is due" in session.summary.value
    assert "Your review schedule" in session.schedule_table.value


def test_limit_and_order_most_overdue_first(store):
    """Are at most `limit` questions shown, most overdue first, and reflections never?"""
    ids = ["team-vs-tech/whose-problem", "team-vs-tech/tlm-ladder", "team-vs-tech/oxygen-technical-skill"]
    for days, ex_id in zip((3, 9, 5), ids):
        store.save(ex_id, "choice", "a", score=0.0,
                   review={"box": 1, "due": (T0 - timedelta(days=days)).isoformat(), "reviews": 1})
    store.save("team-vs-tech/my-two-hats", "reflection", "some thoughts")
    session = ReviewSession(limit=2, notebooks_dir=NOTEBOOKS, store=store, clock=Clock(T0))
    assert session.due == ["team-vs-tech/tlm-ladder", "team-vs-tech/oxygen-technical-skill"]


def test_read_only_responses_show_questions_without_saving(store):
    """With a read-only responses file, can the learner still review (nothing saved, and told so)?"""
    store.save(CHOICE, "choice", wrong_key(CHOICE), score=0.0)
    before = store.path.read_bytes()
    store.path.chmod(0o444)
    try:
        later = Clock(datetime.now().astimezone() + timedelta(days=1))
        session = ReviewSession(notebooks_dir=NOTEBOOKS, store=store, clock=later)
        (question,) = session.questions.children
        question.answer = right_key(CHOICE)
        question.check()
        assert store.path.read_bytes() == before
        assert "read-only" in question.status.value
    finally:
        store.path.chmod(0o644)
