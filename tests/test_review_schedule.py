"""Spaced review scheduling (Leitner boxes), with fixed clocks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from exercises import review

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def rec(kind="choice", score=1.0, updated=T0, **extra):
    return {"kind": kind, "answer": "a", "score": score, "updated": updated.isoformat(), **extra}


def test_a_missed_question_is_due_at_once_and_a_right_one_tomorrow():
    """Does a lesson answer enter box 1 (now) if missed and box 2 (tomorrow) if right?"""
    missed = review.state_of(rec(score=0.5), T0)
    right = review.state_of(rec(score=1.0), T0)
    assert (missed.box, missed.due) == (1, T0)
    assert (right.box, right.due) == (2, T0 + timedelta(days=1))


def test_only_answered_practice_knowledge_checks_are_reviewed():
    """Are reflections, scenarios, graded answers and unscored records left out?"""
    assert review.state_of(rec(kind="reflection"), T0) is None
    assert review.state_of(rec(kind="scenario"), T0) is None
    assert review.state_of(rec(graded=True), T0) is None
    assert review.state_of(rec(score=None), T0) is None
    assert review.state_of("not a record", T0) is None
    assert review.state_of(rec(kind="classify", score=0.25), T0).box == 1


def test_right_answers_climb_the_boxes_and_the_waits_grow():
    """Does each right review move one box up, with waits of 1, 3, 7, 21 days, capped at box 5?"""
    state = review.state_of(rec(score=0.0), T0)
    waits = []
    now = T0
    for _ in range(6):
        state = review.after_review(state, 1.0, now)
        waits.append((state.box, (state.due - now).days))
        now = state.due
    assert waits == [(2, 1), (3, 3), (4, 7), (5, 21), (5, 21), (5, 21)]
    assert state.reviews == 6 and state.last_reviewed == now - timedelta(days=21)


def test_a_miss_sends_a_question_back_to_box_one():
    """Does a partly right or wrong review answer put the question back in box 1, due now?"""
    state = review.ReviewState(box=4, due=T0)
    later = T0 + timedelta(days=8)
    after = review.after_review(state, 0.67, later)
    assert (after.box, after.due, after.reviews) == (1, later, 1)


def test_due_items_most_overdue_first_then_lower_boxes():
    """Are due questions ordered by due time, then box, and not-yet-due ones held back?"""
    records = {
        "b/old-miss": rec(score=0, updated=T0 - timedelta(days=5)),
        "b/recent-miss": rec(score=0, updated=T0 - timedelta(hours=1)),
        "b/right-yesterday": rec(score=1, updated=T0 - timedelta(days=1)),
        "b/right-today": rec(score=1, updated=T0),
        "b/reviewed": rec(score=1, review=review.ReviewState(3, T0 + timedelta(days=2), 2).to_record()),
    }
    due = review.due_items(records, T0)
    assert [i for i, _ in due] == ["b/old-miss", "b/recent-miss", "b/right-yesterday"]
    assert [i for i, _ in review.due_items(records, T0, limit=1)] == ["b/old-miss"]
    assert [i for i, _ in review.due_items(records, T0 + timedelta(days=3))][-1] == "b/reviewed"


def test_saved_review_state_round_trips_and_bad_times_fall_back():
    """Is the review state read back as written, and a garbled timestamp treated as 'now'?"""
    state = review.ReviewState(box=3, due=T0 + timedelta(days=3), reviews=2, last_reviewed=T0)
    back = review.state_of(rec(review=state.to_record()), T0)
    assert back == state
    garbled = rec(review={"box": 2, "due": "not a time", "reviews": "1", "last_reviewed": None})
    assert review.state_of(garbled, T0) == review.ReviewState(box=2, due=T0, reviews=1)
    naive = rec(updated=datetime(2026, 3, 1, 9, 0))
    assert review.state_of(naive, T0).due == T0  # naive time read in the clock's zone


def test_schedule_lists_every_reviewable_question():
    """Does the schedule table hold every reviewable question with its box and whether it is due?"""
    records = {"b/x": rec(score=0), "b/y": rec(score=1), "b/z": rec(kind="reflection")}
    rows = review.schedule(records, T0)
    assert [(r["exercise"], r["box"], r["due_now"]) for r in rows] == [("b/x", 1, True), ("b/y", 2, False)]
