"""Partial credit of code answers as a fraction of the cell's own points, scaled in the grader.

nbgrader reads a test cell's ``execute_result`` as the points earned. A hidden test that computed
*points* (``_points += 0.5`` per right item) tied the score to the points the cell had when the test
was written: raising the cell from 4 to 8 points in the *Create Assignment* panel left a fully right
answer at 4 of 8. So a partial-credit test cell ends with
``partial_credit(<fraction>)`` (:func:`exercises.grading.partial_credit`, a number from 0 to 1), and
:class:`ScaleCodeCredit`, an nbgrader preprocessor placed after the execute step (and after
``ScoreWidgetAnswers``) in ``c.Autograde.autograde_preprocessors``, rewrites that result in nbgrader's
own process as ``fraction x the cell's points``, exactly as graded widget questions are scored.

What the step trusts, and what it does not:

* *which* cells give a fraction is read from the **instructor's** source (nbgrader's
  ``OverwriteCells`` has put back every locked grade cell before execution): the cell's last statement
  is a ``partial_credit(...)`` call. A learner cannot turn a pass/fail cell into a fraction cell;
* the fraction itself is computed by the test, which the grader runs in its own process against
  plain copies of the learner's values (:mod:`course_tools.judge`), so learner code cannot choose it;
  with ``c.SandboxedExecute.judge_code_tests = False`` the test runs in the kernel, where a learner who
  patches IPython could claim at most the whole of the cell's points (the fraction is capped to
  ``[0, 1]``);
* a fraction cell that ran without an error but shows no readable number (in the kernel, a learner
  silenced the result; nbgrader would have given full points) scores **0**, and the autograde log says so;
* an error in the cell is left as it is: nbgrader gives 0.
"""
from __future__ import annotations

import ast
import math

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from .contract import _call_name, is_grade_cell

CALL_NAME = "partial_credit"


def gives_fraction(source: str) -> bool:
    """Does this test cell's source end with a ``partial_credit(...)`` call (its result)?"""
    if CALL_NAME not in source:
        return False
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if not tree.body:
        return False
    last = tree.body[-1]
    return (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and _call_name(last.value) == CALL_NAME)


def fraction_cells(nb) -> dict[str, float]:
    """``{grade_id: points}`` of the test cells of a notebook that give a fraction of their points."""
    out = {}
    for cell in nb.cells:
        if is_grade_cell(cell) and gives_fraction(cell.get("source", "")):
            meta = cell.metadata["nbgrader"]
            out[meta["grade_id"]] = float(meta.get("points", 0) or 0)
    return out


def read_fraction(output) -> float | None:
    """The number an ``execute_result`` shows, or None when it shows none."""
    text = (output.get("data") or {}).get("text/plain", "")
    if isinstance(text, list):
        text = "".join(text)
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return None if math.isnan(value) else value


def scale(fraction: float | None, points: float) -> float:
    """Points for a fraction: ``fraction x points``, the fraction capped to [0, 1] (None gives 0)."""
    if fraction is None:
        return 0.0
    return min(max(fraction, 0.0), 1.0) * points


class ScaleCodeCredit(NbGraderPreprocessor):
    """After execution: ``partial_credit`` results become ``fraction x the cell's points``."""

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            if not (is_grade_cell(cell) and gives_fraction(cell.get("source", ""))):
                continue
            outputs = cell.get("outputs", [])
            if any(o.get("output_type") == "error"
                   or (o.get("output_type") == "stream" and o.get("name") == "stderr") for o in outputs):
                continue  # nbgrader gives 0 for an error; nothing to scale
            meta = cell.metadata["nbgrader"]
            points = float(meta.get("points", 0) or 0)
            results = [o for o in outputs if o.get("output_type") == "execute_result"]
            fraction = read_fraction(results[0]) if results else None
            if fraction is None:
                self.log.warning("Test cell %r shows no partial_credit fraction (the result was silenced "
                                 "or replaced): it scores 0", meta.get("grade_id"))
            elif not 0 <= fraction <= 1:
                self.log.warning("Test cell %r shows %r, outside 0..1: capped", meta.get("grade_id"), fraction)
            earned = scale(fraction, points)
            scored = new_output("execute_result", data={"text/plain": repr(earned)},
                                execution_count=cell.get("execution_count"))
            cell.outputs = [o for o in outputs if o.get("output_type") != "execute_result"] + [scored]
        return nb, resources


__all__ = ["CALL_NAME", "ScaleCodeCredit", "fraction_cells", "gives_fraction", "read_fraction", "scale"]
