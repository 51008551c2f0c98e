"""Grading helper for instructors' hidden tests (nbgrader): read a learner's recorded answer.

    from exercises.grading import recorded_answer
    assert recorded_answer("a2-team-vs-tech/q1") == "b"

Reads ``responses.json`` in the working folder (nbgrader runs a notebook in its own folder), or
*path*. It only reads: a read-only file (autograded copies are mode 444) works, and a corrupt
file is reported, never moved. It imports no widgets.
"""
from __future__ import annotations

from .store import ResponseStore, is_empty_answer


class NoAnswerRecorded(LookupError):
    """The learner has not recorded an answer to this exercise (or the file cannot be read)."""

    def __str__(self):
        return self.args[0]


def recorded_record(exercise_id: str, path=None) -> dict:
    """The whole saved record of one exercise (kind, answer, timestamps, …)."""
    store = ResponseStore(path)
    data, problem = store._read_raw()
    if data is None:
        raise NoAnswerRecorded(f"No answer recorded for {exercise_id!r}: the responses file "
                               f"{store.path.name} cannot be used ({problem}).")
    rec = data["responses"].get(exercise_id)
    if not rec:
        # A corrupt file is moved aside by the first exercise cell that runs (at autograde too), so
        # name the kept copy: the learner (and the instructor) then know the answers were unreadable.
        kept = sorted(store.path.parent.glob("responses.corrupt-*"))
        why = (f"; an unreadable responses file was kept as {kept[-1].name}, so earlier answers "
               "could not be read" if kept else "")
        raise NoAnswerRecorded(f"No answer recorded for {exercise_id!r} in {store.path.name}{why}: "
                               "run the exercise cell and submit an answer.")
    return rec


def recorded_answer(exercise_id: str, path=None):
    """The recorded answer, in a shape that is easy to compare:

    * choice: the option key (``"b"``);
    * many-choice: the sorted list of keys (``["a", "c"]``);
    * classify: ``{item_key: category_key}``;
    * scenario: the list of action keys along the path taken (``["a", "b"]``);
    * reflection: the text;
    * self-assessment: the latest ratings ``{quality_key: n}``.

    Raises :class:`NoAnswerRecorded` when there is no (non-empty) answer.
    """
    rec = recorded_record(exercise_id, path)
    kind = rec.get("kind")
    answer = rec.get("answer")
    if kind == "self-assessment" and rec.get("sessions"):
        answer = rec["sessions"][-1].get("ratings")
    if is_empty_answer(answer):
        raise NoAnswerRecorded(f"The answer recorded for {exercise_id!r} is empty.")
    if kind == "many-choice":
        return sorted(answer)
    if kind == "classify":
        return dict(answer)
    if kind == "scenario":
        return list(answer)
    return answer
