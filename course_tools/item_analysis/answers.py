"""Learners' recorded widget answers, scored by the course's one rule per kind, and what went wrong."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from exercises.grading import record_answer
from exercises.kinds import BadAnswer

from ..widget_grading import read_responses

RESPONSES_FILE = "responses.json"


def widget_answers(course_dir, assignment: str, graded_only: bool = True) -> pd.DataFrame:
    """Every learner's recorded widget answers for ``assignment``.

    Reads ``autograded/<student>/<assignment>/responses.json`` (what was graded), else
    ``submitted/<student>/<assignment>/responses.json``, the way the grader does (no symlinks, size
    capped). A file that cannot be read is skipped and listed in ``df.attrs["problems"]``. Columns
    ``student, question, answer, kind, origin``. Answers are in their plain shape
    (:func:`exercises.kinds.plain_answer`); one of the wrong type is skipped like an empty one.
    """
    course_dir = Path(course_dir)
    found: dict[str, tuple[str, Path]] = {}
    for origin in ("submitted", "autograded"):  # autograded last: it wins
        root = course_dir / origin
        if not root.is_dir():
            continue
        for student_dir in sorted(root.iterdir()):
            folder = student_dir / assignment
            if (folder / RESPONSES_FILE).exists():
                found[student_dir.name] = (origin, folder)
    rows, problems = [], []
    for student in sorted(found):
        origin, folder = found[student]
        responses, problem = read_responses(str(folder), RESPONSES_FILE)
        if problem:
            problems.append(f"{folder / RESPONSES_FILE}: {problem}")
            continue
        for qid, rec in sorted(responses.items()):
            if type(rec) is not dict or (graded_only and not rec.get("graded")):
                continue
            try:
                answer = record_answer(rec)
            except (LookupError, BadAnswer):
                continue
            rows.append({"student": student, "question": qid, "answer": answer,
                         "kind": rec.get("kind"), "origin": origin})
    df = pd.DataFrame(rows, columns=["student", "question", "answer", "kind", "origin"])
    df.attrs["problems"] = problems
    return df


def _answer_label(answer) -> str:
    if isinstance(answer, (list, tuple)):
        return ",".join(map(str, answer)) if answer else "(none)"
    if isinstance(answer, dict):
        return ", ".join(f"{k}→{v}" for k, v in sorted(answer.items()))
    return str(answer)


def answer_score(kind: str | None, answer, key, question: str | None = None) -> float:
    """A widget answer scored against its key, 0..1, by :func:`exercises.scoring.score_answer`
    (the same rule as the lessons and the grader). Without the question's bank entry (an unknown
    id) only an exact match counts."""
    from exercises.banks import get_exercise
    from exercises.scoring import BadKey, score_answer

    entry = None
    if question:
        try:
            entry = get_exercise(question)
        except Exception:
            entry = None
    if entry is None or kind is None:
        return float(answer == key)
    try:
        return float(score_answer(kind, answer, key, entry))
    except (BadAnswer, BadKey):
        return 0.0


def wrong_answers(answers: pd.DataFrame, keys: dict) -> pd.DataFrame:
    """For each question with a key: the most common wrong answer and its share of the wrong answers,
    and the distribution of every answer given (for a small class, the most useful view).

    * choice (and any single-valued answer): the wrong option picked most often (``"d"``);
    * many-choice: the wrong *set* picked most often (``"a,c"``);
    * classify: the misplacement made most often (``"roadmap-with-sofia→technical"``); its share is
      the fraction of the not-fully-right answers that contain it.

    Ties are all listed, sorted, joined with ``" / "``. Columns: ``question, most_common_wrong,
    wrong_share, n_wrong, n_answered, answers``."""
    cols = ["question", "most_common_wrong", "wrong_share", "n_wrong", "n_answered", "answers"]
    rows = []
    if answers is None or answers.empty:
        return pd.DataFrame(columns=cols)
    for qid, group in answers.groupby("question", sort=True):
        if qid not in keys:
            continue
        key = keys[qid]
        counts: Counter = Counter()
        given: Counter = Counter()
        n_wrong = 0
        for kind, answer in zip(group["kind"], group["answer"]):
            given[_answer_label(answer)] += 1
            if answer_score(kind, answer, key, qid) >= 1.0:
                continue
            n_wrong += 1
            if isinstance(key, dict) and isinstance(answer, dict) and kind == "classify":
                for item in sorted(set(key) | set(answer)):
                    if answer.get(item) != key.get(item):
                        counts[f"{item}→{answer.get(item, '(unsorted)')}"] += 1
            else:
                counts[_answer_label(answer)] += 1
        if n_wrong and counts:
            top = max(counts.values())
            label = " / ".join(sorted(k for k, v in counts.items() if v == top))
            share = top / n_wrong
        else:
            label, share = None, np.nan
        distribution = "; ".join(f"{a}: {n}" for a, n in sorted(given.items(), key=lambda kv: (-kv[1], kv[0])))
        rows.append({"question": qid, "most_common_wrong": label, "wrong_share": share,
                     "n_wrong": n_wrong, "n_answered": len(group), "answers": distribution})
    return pd.DataFrame(rows, columns=cols)
