"""Scoring graded widget answers in the grader's process, out of the learner code's reach.

Why here and not in the notebook's kernel: at autograde the learner's own code runs in the same
kernel as the grade cells, so anything computed there (a redefined ``recorded_answer``, a patched
module, an object that equals everything) could change the score. These two nbgrader
preprocessors run in the grader's process instead:

1. :class:`ReadRecordedAnswers` runs *before* the notebook is executed. It reads the submission's
   ``responses.json`` (never through a symlink, at most ``max_bytes``) into the conversion's
   resources, so nothing the learner's code writes to that file during execution counts.
2. :class:`ScoreWidgetAnswers` runs *after* execution. For each autograded test cell holding a
   ``grade_answer(...)`` call, it reads the key from the cell's source (nbgrader's
   ``OverwriteCells`` has already put the instructor's version of every locked grade cell back),
   scores the recorded answer with :func:`exercises.grading.evaluate` (the one rule per kind) and
   **replaces the cell's outputs** with the feedback (question, recorded answer, verdict, the key
   and why) and an ``execute_result`` of ``fraction x the cell's own points``, which nbgrader's
   ``SaveAutoGrades`` reads as partial credit. Changing a cell's points in the Create Assignment
   panel therefore changes nothing else.

Configured in ``nbgrader_config.py`` (``c.Autograde.autograde_preprocessors``), so it applies to
``nbgrader autograde``, the formgrader's *Autograde* button and ``make grade`` alike.
"""
from __future__ import annotations

import errno
import html
import json
import os
import stat

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Int, Unicode

from .contract import ContractError, cell_grade_call

RESOURCE_KEY = "techlead_recorded"
OUTPUT_TAG = "techlead-widget-feedback"


def read_responses(folder: str, name: str = "responses.json", max_bytes: int = 5_000_000):
    """``(responses dict, problem or None)`` from *folder*/*name*, read defensively.

    A symlink, a non-regular file, an oversized or undecodable file, or a wrong shape gives an empty
    dict and a problem to report; it never raises.
    """
    path = os.path.join(folder, name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return {}, f"{name} is a symbolic link, which is not accepted"
        return {}, f"{name} cannot be opened ({exc.strerror})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return {}, f"{name} is not a regular file"
        if info.st_size > max_bytes:
            return {}, f"{name} is larger than {max_bytes // 1_000_000} MB"
        with os.fdopen(fd, "rb") as fh:
            fd = None
            raw = fh.read(max_bytes + 1)
    finally:
        if fd is not None:
            os.close(fd)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}, f"{name} is not valid JSON (damaged or edited by hand)"
    if type(data) is not dict or type(data.get("responses")) is not dict:
        return {}, f"{name} does not have the shape the course writes"
    return data["responses"], None


class ReadRecordedAnswers(NbGraderPreprocessor):
    """Before execution: keep the submission's recorded widget answers for :class:`ScoreWidgetAnswers`."""

    filename = Unicode("responses.json", help="The responses file beside each notebook.").tag(config=True)
    max_bytes = Int(5_000_000, help="Larger responses files are not read (and score 0).").tag(config=True)

    def preprocess(self, nb, resources):
        folder = resources.get("metadata", {}).get("path") or "."
        responses, problem = read_responses(folder, self.filename, self.max_bytes)
        if problem:
            # The kit keeps the last good version of the file as a hidden backup, rewritten on every
            # save (exercises.store). A learner's file damaged after their last save (a crash, a
            # bad copy) is graded from it; it is read as defensively, and trusted no more than the
            # file itself (the learner can write both). A *missing* file is not replaced by its
            # backup: a learner may delete responses.json to start again.
            backup = f".{self.filename}.bak"
            saved, backup_problem = read_responses(folder, backup, self.max_bytes)
            if saved and backup_problem is None:
                self.log.warning("Widget answers: %s; graded from its backup %s (in %s)", problem, backup,
                                 folder)
                responses, problem = saved, None
            else:
                self.log.warning("Widget answers: %s (in %s)", problem, folder)
        resources[RESOURCE_KEY] = {"responses": responses, "problem": problem}
        return nb, resources


def _points(cell) -> float:
    return float(cell.metadata["nbgrader"].get("points", 0) or 0)


def feedback_html(entry: dict, outcome, points: float, earned: float, why: str | None, problem=None) -> str:
    """The feedback block shown under a graded widget question (formgrader and learner feedback)."""
    esc = html.escape
    title = entry.get("title") or entry.get("id", "")
    prompt = entry.get("prompt") or ""
    parts = [f"<div class='techlead-graded' role='note'><p><strong>{esc(title)}</strong>"
             + (f" · {esc(prompt)}" if prompt else "") + "</p>"]
    if outcome.answered:
        items = "".join(f"<li>{esc(line)}</li>" for line in outcome.answer_lines)
        parts.append(f"<p>Your recorded answer:</p><ul>{items}</ul>")
    else:
        parts.append(f"<p>{esc(outcome.message)}</p>")
        if problem:
            parts.append(f"<p>({esc(problem)})</p>")
    parts.append(f"<p><strong>{esc(outcome.verdict_text)}</strong>: {earned:.3g} of {points:g} "
                 f"point{'s' if points != 1 else ''}.</p>")
    if outcome.key_lines:
        items = "".join(f"<li>{esc(line)}</li>" for line in outcome.key_lines)
        parts.append(f"<p>The answer the key expects:</p><ul>{items}</ul>")
    if why:
        parts.append(f"<p><strong>Why:</strong> {esc(why)}</p>")
    parts.append("</div>")
    return "".join(parts)


def feedback_text(entry, outcome, points, earned, why) -> str:
    lines = [entry.get("title") or entry.get("id", "")]
    lines += ([f"Your recorded answer: {'; '.join(outcome.answer_lines)}"] if outcome.answered
              else [outcome.message])
    lines.append(f"{outcome.verdict_text}: {earned:.3g} of {points:g} points.")
    if why:
        lines.append(f"Why: {why}")
    return "\n".join(lines)


class ScoreWidgetAnswers(NbGraderPreprocessor):
    """After execution: score every ``grade_answer`` grade cell in this process (see module doc)."""

    def preprocess(self, nb, resources):
        from exercises.banks import get_exercise
        from exercises.grading import evaluate
        from exercises.scoring import BadKey

        recorded = resources.get(RESOURCE_KEY)
        if recorded is None:  # misconfigured: never score answers read after learner code ran
            raise RuntimeError("ScoreWidgetAnswers needs ReadRecordedAnswers before the execute "
                               "preprocessor (see nbgrader_config.py)")
        responses, problem = recorded["responses"], recorded["problem"]
        from .widget_cells import is_widget_answer_cell

        for cell in nb.cells:
            if is_widget_answer_cell(cell):
                # The widget itself cannot be shown in the formgrader or the feedback (no live
                # kernel): say where the answer it recorded is, instead of an empty output.
                cell.outputs = [new_output("display_data", data={
                    "text/html": "<p class='techlead-widget-note'>The answer recorded in this widget "
                                 "is shown below, with its points.</p>",
                    "text/plain": "The answer recorded in this widget is shown below, with its points.",
                }, metadata={"tags": [OUTPUT_TAG]})]
                continue
            try:
                call = cell_grade_call(cell)
            except ContractError as exc:
                self._instructor_error(cell, str(exc))
                continue
            if call is None:
                continue
            points = _points(cell)
            try:
                entry = get_exercise(call.exercise_id)
                outcome = evaluate(entry, responses.get(call.exercise_id), call.key)
            except (BadKey, KeyError, LookupError, ValueError) as exc:
                self._instructor_error(cell, f"{call.exercise_id}: {exc}")
                continue
            earned = outcome.fraction * points  # nbgrader keeps the float; the feedback text rounds it
            cell.outputs = [
                new_output("display_data", data={
                    "text/html": feedback_html(entry, outcome, points, earned, call.why, problem),
                    "text/plain": feedback_text(entry, outcome, points, earned, call.why),
                }, metadata={"tags": [OUTPUT_TAG]}),
                new_output("execute_result", data={"text/plain": repr(earned)},
                           metadata={"tags": [OUTPUT_TAG]}, execution_count=cell.get("execution_count")),
            ]
        return nb, resources

    def _instructor_error(self, cell, message: str) -> None:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        self.log.error("Grade cell %r cannot be scored: %s", gid, message)
        cell.outputs = [new_output("error", ename="GradingSetupError",
                                   evalue="This question could not be graded automatically; your "
                                          "instructor has been told and will grade it by hand.",
                                   traceback=[])]


def is_widget_feedback(output) -> bool:
    return OUTPUT_TAG in (output.get("metadata", {}) or {}).get("tags", [])
