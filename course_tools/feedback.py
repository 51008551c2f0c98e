"""Feedback preprocessing: keep hidden tests out of the feedback learners receive.

nbgrader's ``ClearHiddenTests`` removes the ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS``
lines from a test cell's source, but not from its *outputs*: when a hidden assertion fails, the
traceback stored in the autograded notebook quotes the failing line (``----> 7 assert answer ==
'b'``), and the feedback HTML prints it. Anything a hidden test prints or returns (a partial-credit
score, a debugging print) is in the outputs too.

:class:`ScrubHiddenTestErrors` runs in ``GenerateFeedback`` *before* ``ClearHiddenTests`` (it needs
the hidden region to still be there to know which cells held one). For every autograder-test cell
(``grade`` and not ``solution``, code) whose source contains a hidden-test region, it replaces all
outputs with one plain stream message:

* an error output becomes ``✘ A test in this cell did not pass (AssertionError). Check your answer
  above.`` — only the exception's *name* is kept, never its message or traceback, except for the
  exception names in ``explain_exceptions`` (our own, whose messages are written for learners, e.g.
  ``NoAnswerRecorded``: "no answer recorded in responses.json …"), whose message is kept when it
  quotes nothing from the hidden region;
* a cell without an error gets ``✔ The tests in this cell passed.``, or, when it returned partial
  credit (a number below the cell's points), ``◐ Partly right: some of the checks in this cell
  passed.``;
* a graded widget question keeps the feedback block the grader wrote
  (:mod:`course_tools.widget_grading`: the question, the recorded answer, the points, the key and
  why), and nothing else.

Scores are not touched: ``GetGrades`` reads them from the gradebook, not from the outputs, so the
feedback still shows each cell's points (including partial credit).

Cells without a hidden region are left alone: everything they show is visible to the learner anyway.
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool, List, Unicode

from .contract import has_hidden_region, is_grade_cell, split_hidden
from .widget_grading import is_widget_feedback


class ScrubHiddenTestErrors(Preprocessor):
    """Reduce the outputs of test cells that held hidden tests to a plain pass/fail message."""

    # nbconvert preprocessors are off unless enabled; listing this one in
    # GenerateFeedback.preprocessors means it should run.
    enabled = Bool(True).tag(config=True)

    failed_message = Unicode(
        "✘ A test in this cell did not pass ({ename}). Check your answer above.",
        help="Shown instead of an error's traceback. {ename} is the exception's class name.",
    ).tag(config=True)

    explained_message = Unicode(
        "✘ A test in this cell did not pass ({ename}): {evalue}",
        help="Shown for exceptions listed in explain_exceptions: their message is meant for learners.",
    ).tag(config=True)

    passed_message = Unicode(
        "✔ The tests in this cell passed.",
        help="Shown instead of the outputs of a cell that ran without an error and earned full points.",
    ).tag(config=True)

    partial_message = Unicode(
        "◐ Partly right: some of the checks in this cell passed (see the points).",
        help="Shown for a cell without an error whose result gave partial credit.",
    ).tag(config=True)

    explain_exceptions = List(
        Unicode(),
        ["NoAnswerRecorded"],
        help="Exception class names whose message is safe and useful to show learners.",
    ).tag(config=True)

    max_message_chars = 300

    def _is_hidden_test_cell(self, cell) -> bool:
        return is_grade_cell(cell) and has_hidden_region(cell.get("source", ""))

    def _hidden_lines(self, source: str) -> list[str]:
        return [line.strip() for line in split_hidden(source)[1] if line.strip()]

    @staticmethod
    def _partial(cell) -> bool:
        points = float(cell.get("metadata", {}).get("nbgrader", {}).get("points", 0) or 0)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "execute_result":
                try:
                    return float(str(out.get("data", {}).get("text/plain", "")).strip()) < points
                except ValueError:
                    return False
        return False

    def _message(self, cell) -> str:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            return self.partial_message if self._partial(cell) else self.passed_message
        ename = str(errors[0].get("ename") or "Error")
        # A class name only: never anything that could quote code.
        ename = "".join(ch for ch in ename if ch.isalnum() or ch in "._")[:80] or "Error"
        evalue = " ".join(str(errors[0].get("evalue") or "").split())[: self.max_message_chars]
        if ename.rsplit(".", 1)[-1] in self.explain_exceptions and evalue:
            hidden = self._hidden_lines(cell.get("source", ""))
            if not any(line in evalue or evalue in line for line in hidden):
                return self.explained_message.format(ename=ename, evalue=evalue)
        return self.failed_message.format(ename=ename)

    def preprocess_cell(self, cell, resources, index):
        if self._is_hidden_test_cell(cell):
            widget = [o for o in cell.get("outputs", []) if is_widget_feedback(o)
                      and o.get("output_type") == "display_data"]
            if widget:
                cell.outputs = widget
                return cell, resources
            message = self._message(cell)
            cell.outputs = [new_output("stream", name="stdout", text=message + "\n")]
        return cell, resources
