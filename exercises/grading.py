"""Graded widget questions in nbgrader assignments: the grading contract.

A graded widget question's grade cell (nbgrader "Autograder tests", N points) reads::

    show_recorded("<assignment>/<question>")
    ### BEGIN HIDDEN ... (nbgrader's hidden-tests marker, so the release drops the next line)
    grade_answer("<assignment>/<question>", key=<the key>, why="<why the key is right>")
    ### END HIDDEN ...

* :func:`show_recorded` (what learners run) shows what is recorded in ``responses.json`` and never
  raises, so *Run All* goes on past a question not yet answered;
* :func:`grade_answer` holds the key. It is *not* what gives the points: at autograde the
  course's grader (``course_tools.widget_grading.ScoreWidgetAnswers``, in the grader's own process,
  after the learner's code has run) reads the key from this call in the instructor's copy of the
  cell, scores the answer from the submitted ``responses.json`` with :func:`evaluate`, and replaces
  the cell's outputs with the points (``fraction x the cell's points``) and the feedback. Nothing the
  learner's code does in the kernel can change that. In the kernel, under autograde, the call
  returns ``0.0`` (so a course that forgot the grader gives zero, never free points); anywhere else
  (an instructor trying ``source/`` in JupyterLab) it shows a preview of the score.

Keys: choice ``"b"``; many-choice ``["a", "d"]``; classify ``{"item": "category"}``; scenario
``{"situation": {"action": "best" | "acceptable" | "poor"}}``. The rules are in
:mod:`exercises.scoring`. Imports no widgets.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass

from . import scoring
from .kinds import KINDS, BadAnswer, plain_answer
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


def record_answer(rec: dict):
    """The answer of a saved record in its plain shape (:func:`exercises.kinds.plain_answer`).

    Raises :class:`NoAnswerRecorded` for an empty answer and :class:`BadAnswer` for one of the
    wrong type.
    """
    kind = rec.get("kind")
    answer = rec.get("answer")
    if kind == "self-assessment" and type(rec.get("sessions")) is list and rec["sessions"]:
        last = rec["sessions"][-1]
        answer = last.get("ratings") if type(last) is dict else None
    if is_empty_answer(answer):
        raise NoAnswerRecorded("The recorded answer is empty.")
    return plain_answer(kind, answer)


def recorded_answer(exercise_id: str, path=None):
    """The recorded answer, in its plain shape (choice ``"b"``; many-choice the sorted keys;
    classify ``{item: category}``; scenario the path's action keys; reflection the text;
    self-assessment the latest ratings). Raises :class:`NoAnswerRecorded` when there is none.
    """
    return record_answer(recorded_record(exercise_id, path))


# --------------------------------------------------------------------------- describing answers

def _option_text(entry: dict, key) -> str:
    for o in entry.get("options", ()):
        if o["key"] == key:
            return f"“{o['text']}”"
    return f"(unknown option {key!r})"


def describe(entry: dict, value, *, ratings=None) -> list[str]:
    """Lines that say an answer (or a key) in the question's own words, for people to read."""
    kind = entry.get("kind")
    if kind == "choice":
        return [_option_text(entry, value)]
    if kind == "many-choice":
        return [_option_text(entry, k) for k in value] or ["(nothing ticked)"]
    if kind == "classify":
        labels = {c["key"]: c["label"] for c in entry.get("categories", ())}
        out = []
        for item in entry.get("items", ()):
            got = value.get(item["key"])
            out.append(f"“{item['text']}” → {labels.get(got, 'not sorted') if got else 'not sorted'}")
        return out
    if kind == "scenario":
        out, current = [], entry.get("start")
        for n, key in enumerate(value):
            acts = entry["situations"].get(current, {}).get("actions", []) if current else []
            act = next((a for a in acts if a["key"] == key), None)
            if act is None:
                break
            rating = ""
            if ratings is not None:
                r = ratings.get(current, {}).get(key)
                rating = f" — {scoring.RATING_LABELS.get(r, r)}" if r else ""
            out.append(f"Step {n + 1}: “{act['text']}”{rating}")
            current = act.get("next")
        return out
    return [str(value)]


@dataclass
class Outcome:
    """How one recorded answer fares against a key."""

    fraction: float            # 0..1 of the grade cell's points
    answered: bool
    message: str               # why it scored 0 when not answered / not valid
    answer_lines: list
    key_lines: list

    @property
    def verdict_text(self) -> str:
        return scoring.verdict_text(self.fraction)


def evaluate(entry: dict, record, key) -> Outcome:
    """Score one saved *record* (or None) against the instructor's *key* for bank *entry*.

    Raises :class:`exercises.scoring.BadKey` when the key does not fit the question (an
    instructor's mistake, reported as such); everything about the learner's record is answered
    with a fraction and a message, never an exception.
    """
    kind = entry["kind"]
    if kind not in KINDS or not KINDS[kind].autograded:
        raise scoring.BadKey(f"{entry.get('id')}: {kind} answers are marked by hand, not autograded")
    key = scoring.check_key(kind, key, entry)
    key_lines = describe(entry, key) if kind != "scenario" else []
    if record is None:
        return Outcome(0.0, False, "No answer was recorded for this question.", [], key_lines)
    if type(record) is not dict or record.get("kind") != kind:
        return Outcome(0.0, False, "The recorded answer is not an answer to this kind of question "
                       "(the responses file was changed by hand or damaged), so it scores 0.", [], key_lines)
    try:
        answer = record_answer(record)
        fraction = scoring.score_answer(kind, answer, key, entry)
    except NoAnswerRecorded:
        return Outcome(0.0, False, "The recorded answer is empty.", [], key_lines)
    except BadAnswer as exc:
        return Outcome(0.0, False, f"The recorded answer cannot be graded ({exc}), so it scores 0.",
                       [], key_lines)
    lines = describe(entry, answer, ratings=key if kind == "scenario" else None)
    return Outcome(float(fraction), True, "", lines, key_lines)


# --------------------------------------------------------------------------- in the kernel

class _Display:
    """Text and HTML for a notebook output (no IPython import needed to build one)."""

    def __init__(self, text: str, html_text: str):
        self._text, self._html = text, html_text

    def __repr__(self):
        return self._text

    def _repr_html_(self):
        return self._html


def _entry(exercise_id: str):
    from .banks import get_exercise

    try:
        return get_exercise(exercise_id)
    except Exception:  # an unknown id or a bank problem: say so instead of failing
        return None


def show_recorded(exercise_id: str, path=None) -> _Display:
    """What is recorded for a graded widget question, in words; never raises.

    Learners run this under each graded widget. It says the answer is recorded (and what it is), or
    plainly that nothing is recorded yet, so a *Run All* never stops at an unanswered question.
    """
    entry = _entry(exercise_id)
    try:
        rec = recorded_record(exercise_id, path)
        answer = record_answer(rec)
        lines = describe(entry, answer) if entry else [repr(answer)]
        head = "📝 Recorded answer (it is graded when the assignment is graded):"
        text = head + "\n" + "\n".join(f"  - {line}" for line in lines)
        body = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        return _Display(text, f"<div role='status'><strong>{html.escape(head)}</strong><ul>{body}</ul></div>")
    except (NoAnswerRecorded, BadAnswer) as exc:
        msg = ("⚠ No answer recorded yet for this question: run the widget cell above, choose, and "
               "press “Submit answer”. Then run this cell again to check.")
        detail = str(exc) if isinstance(exc, BadAnswer) else ""
        text = msg + (f" ({detail})" if detail else "")
        return _Display(text, f"<div role='status'><strong>{html.escape(text)}</strong></div>")


def grade_answer(exercise_id: str, key, why: str | None = None, path=None):
    """The key of a graded widget question (see the module docstring: the grader gives the points).

    Under autograde this returns ``0.0``: the course's grader replaces this cell's outputs with the
    real score after execution, out of the learner code's reach. Elsewhere it shows the instructor a
    preview of what the grader would award for the answer recorded here.
    """
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        return 0.0
    entry = _entry(exercise_id)
    if entry is None:
        return _Display(f"grade_answer: no exercise {exercise_id!r} in the banks",
                        f"<strong>grade_answer: no exercise {html.escape(exercise_id)!s} in the banks</strong>")
    try:
        rec = recorded_record(exercise_id, path)
    except NoAnswerRecorded:
        rec = None
    outcome = evaluate(entry, rec, key)
    text = (f"Grader preview (instructors only): {outcome.verdict_text}, {outcome.fraction:.2f} of this "
            f"cell's points. {outcome.message}".strip())
    if why:
        text += f"\nWhy: {why}"
    return _Display(text, f"<div><em>{html.escape(text)}</em></div>")


# --------------------------------------------------------------------------- code answers' partial credit

def partial_credit(fraction) -> float:
    """Partial credit of a code answer's test cell, as a *fraction* of the cell's own points.

    The last line of a partial-credit test cell's hidden region, which imports this function from
    this module itself and counts the right parts with a plain loop (see CONTRIBUTING.md), is a call
    such as ``partial_credit(right / total)``.

    The cell's result is then the fraction (0 to 1). At autograde the course's grader
    (``course_tools.code_credit.ScaleCodeCredit``, in nbgrader's process, after the kernel has run)
    multiplies it by the cell's points, capped to ``[0, points]``, and a cell whose instructor version
    ends with this call but shows no number scores 0. So the points are set in one place, the
    *Create Assignment* panel: a fully right answer earns the cell's points whatever they are. (Without
    the grader step a fraction of at most 1 would count as points: never more than is due.)

    Raises :class:`ValueError` for anything but a number from 0 to 1 (an error in the hidden tests).
    """
    if type(fraction) not in (int, float) or not 0 <= fraction <= 1:
        raise ValueError(f"partial_credit() takes a number from 0 to 1 (a share of the cell's points), "
                         f"not {fraction!r}")
    return float(fraction)


__all__ = ["NoAnswerRecorded", "Outcome", "describe", "evaluate", "grade_answer", "partial_credit",
           "recorded_answer", "recorded_record", "record_answer", "show_recorded"]
