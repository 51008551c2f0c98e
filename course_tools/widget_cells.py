"""A graded widget question's ``show(...)`` cell is an *Autograded answer* cell, so it gets a comment box.

nbgrader gives the formgrader's comment box, and the feedback's *Comments:* line, only to answer cells
(``solution``) and written tasks: the gradebook keeps a comment row for those alone
(``Gradebook.add_submission``), and the formgrader template draws the box only for them
(``nbgrader_footer`` in ``formgrade/index.html.j2``), nbgrader 0.9.6. A widget question's grade cell
must stay an *Autograder tests* cell (that is how nbgrader scores it without waiting for a person), so
the cell that gets the box is the one above it, where the learner answers: ``show("<bank>/<id>",
graded=True)``, marked *Autograded answer* in the Create Assignment panel. Two of nbgrader's steps
would then do the wrong thing with it, and the course replaces them in ``nbgrader_config.py``:

* :class:`ClearSolutions` (release): nbgrader replaces an answer cell without ``### BEGIN SOLUTION``
  markers by the code stub ``raise NotImplementedError()``; a widget answer cell is kept as written
  (the widget *is* the place to answer) and read-only in JupyterLab (``editable: false``, as a locked
  cell is), every other cell is cleared as nbgrader does;
* :class:`SaveAutoGrades` (autograde): nbgrader writes the automatic comment "No response." for an
  answer cell a learner did not edit, and a learner never edits a widget answer cell (they answer in
  the widget; the answer is in ``responses.json``). For these cells the automatic comment is left
  empty: the grade cell's own feedback already says whether an answer was recorded.

A learner who makes the cell editable again and changes it gains nothing:
the answer is scored from ``responses.json`` by the grader (``widget_grading``), whatever the cell says.
``scripts/sync_assignments.py`` marks every graded ``show(...)`` cell of ``source/`` this way.
"""
from __future__ import annotations

import ast

from nbgrader.preprocessors import ClearSolutions as _NbgraderClearSolutions
from nbgrader.preprocessors import SaveAutoGrades as _NbgraderSaveAutoGrades


def shown_question(source: str) -> str | None:
    """The exercise id when *source* is one ``show("<bank>/<id>", graded=True)`` call, else None."""
    if "show" not in source:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "show"):
        return None
    graded = [kw.value for kw in call.keywords if kw.arg == "graded"]
    if len(call.args) != 1 or not graded or not (isinstance(graded[0], ast.Constant) and graded[0].value is True):
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and type(arg.value) is str and "/" in arg.value:
        return arg.value
    return None


def is_graded_show_cell(cell) -> bool:
    """A code cell that shows a graded widget question (whatever its nbgrader type)."""
    return cell.get("cell_type") == "code" and shown_question(cell.get("source", "")) is not None


def is_widget_answer_cell(cell) -> bool:
    """An *Autograded answer* cell (solution, not graded) that shows a graded widget question."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution")) and not meta.get("grade") and is_graded_show_cell(cell)


class ClearSolutions(_NbgraderClearSolutions):
    """nbgrader's ClearSolutions, except that a widget answer cell is released as written."""

    def preprocess_cell(self, cell, resources, cell_index):
        if is_widget_answer_cell(cell):
            cell.metadata["editable"] = False  # read-only in JupyterLab, as before: no accidental edits
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)


class SaveAutoGrades(_NbgraderSaveAutoGrades):
    """nbgrader's SaveAutoGrades, without the automatic "No response." on widget answer cells."""

    def _add_comment(self, cell, resources) -> None:
        if not is_widget_answer_cell(cell):
            return super()._add_comment(cell, resources)
        comment = self.gradebook.find_comment(
            cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id)
        comment.auto_comment = None
        self.gradebook.db.commit()


__all__ = ["ClearSolutions", "SaveAutoGrades", "is_graded_show_cell", "is_widget_answer_cell", "shown_question"]
