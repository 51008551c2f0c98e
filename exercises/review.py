"""Spaced review: which knowledge checks to bring back, and when (pure logic, no widgets, no I/O).

The method is the **Leitner system** with five boxes. Every knowledge check the learner has answered
(choice, many-choice, classify; practice mode) sits in a box; a box sets how long to wait before the
question comes back:

    box      1      2       3        4        5
    wait   now   1 day   3 days   7 days   21 days

* A question first enters the system from its lesson answer: fully right → box 2 (back tomorrow);
  anything less → box 1 (back now).
* At a review, a fully right answer moves the question up one box (box 5 stays in 5); anything less
  sends it back to box 1. Its next due time is the review time plus its new box's wait.
* Due questions come back most overdue first, lower boxes before higher ones on ties.

Why: practice testing and spacing are the two learning techniques with the strongest evidence
(Dunlosky et al., 2013, *Improving Students' Learning With Effective Learning Techniques*); the Leitner
box is the simplest schedule that spaces a question further out each time it is remembered.

The review state lives in the exercise's own record in ``responses.json``, under ``"review"``:
``{"box": 2, "due": "<iso time>", "reviews": 3, "last_reviewed": "<iso time>"}``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .kinds import KNOWLEDGE_CHECKS as CHECK_KINDS  # noqa: E402
BOX_WAIT_DAYS = {1: 0, 2: 1, 3: 3, 4: 7, 5: 21}
TOP_BOX = max(BOX_WAIT_DAYS)


@dataclass(frozen=True)
class ReviewState:
    box: int
    due: datetime
    reviews: int = 0
    last_reviewed: datetime | None = None

    def to_record(self) -> dict:
        return {
            "box": self.box,
            "due": self.due.isoformat(timespec="seconds"),
            "reviews": self.reviews,
            "last_reviewed": self.last_reviewed.isoformat(timespec="seconds") if self.last_reviewed else None,
        }


def parse_time(text: str | None, default: datetime) -> datetime:
    """An ISO timestamp from the responses file; naive times are taken as in ``default``'s zone."""
    if not text:
        return default
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return default
    if value.tzinfo is None and default.tzinfo is not None:
        value = value.replace(tzinfo=default.tzinfo)
    return value


def is_right(score) -> bool:
    return score is not None and float(score) >= 1.0


def due_after(box: int, when: datetime) -> datetime:
    return when + timedelta(days=BOX_WAIT_DAYS[box])


def state_of(record: dict, now: datetime) -> ReviewState | None:
    """The review state of one saved record, or None if it is not a reviewable knowledge check."""
    if not isinstance(record, dict) or record.get("kind") not in CHECK_KINDS or record.get("graded"):
        return None
    if record.get("score") is None:
        return None
    saved = record.get("review")
    if isinstance(saved, dict) and saved.get("box") in BOX_WAIT_DAYS:
        return ReviewState(
            box=saved["box"],
            due=parse_time(saved.get("due"), now),
            reviews=int(saved.get("reviews") or 0),
            last_reviewed=parse_time(saved.get("last_reviewed"), now) if saved.get("last_reviewed") else None,
        )
    answered = parse_time(record.get("updated") or record.get("first_saved"), now)
    box = 2 if is_right(record.get("score")) else 1
    return ReviewState(box=box, due=due_after(box, answered))


def after_review(state: ReviewState, score, now: datetime) -> ReviewState:
    """The state after answering at a review: right moves up a box, anything else back to box 1."""
    box = min(state.box + 1, TOP_BOX) if is_right(score) else 1
    return ReviewState(box=box, due=due_after(box, now), reviews=state.reviews + 1, last_reviewed=now)


def due_items(records: dict, now: datetime, limit: int | None = None) -> list[tuple[str, ReviewState]]:
    """Exercise ids due for review at ``now``: most overdue first, then lower boxes first."""
    due = []
    for exercise_id, record in records.items():
        state = state_of(record, now)
        if state is not None and state.due <= now:
            due.append((exercise_id, state))
    due.sort(key=lambda item: (item[1].due, item[1].box, item[0]))
    return due[:limit] if limit is not None else due


def schedule(records: dict, now: datetime) -> list[dict]:
    """Every reviewable question with its box and due time (for a table of what comes when)."""
    rows = []
    for exercise_id, record in records.items():
        state = state_of(record, now)
        if state is None:
            continue
        rows.append({"exercise": exercise_id, "box": state.box, "due": state.due,
                     "due_now": state.due <= now, "reviews": state.reviews})
    rows.sort(key=lambda r: (r["due"], r["box"], r["exercise"]))
    return rows
