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
* a cell without an error gets ``✔ The tests in this cell ran without errors.``

Scores are not touched: ``GetGrades`` reads them from the gradebook, not from the outputs, so the
feedback still shows each cell's points (including partial credit).

Cells without a hidden region are left alone: everything they show is visible to the learner anyway.
"""
from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool, List, Unicode


class ScrubHiddenTestErrors(Preprocessor):
    """Reduce the outputs of test cells that held hidden tests to a plain pass/fail message."""

    # nbconvert preprocessors are off unless enabled; listing this one in
    # GenerateFeedback.preprocessors means it should run.
    enabled = Bool(True).tag(config=True)

    begin_hidden = Unicode("BEGIN HIDDEN TESTS", help="Marker that opens a hidden-test region.").tag(config=True)
    end_hidden = Unicode("END HIDDEN TESTS", help="Marker that closes a hidden-test region.").tag(config=True)

    failed_message = Unicode(
        "✘ A test in this cell did not pass ({ename}). Check your answer above.",
        help="Shown instead of an error's traceback. {ename} is the exception's class name.",
    ).tag(config=True)

    explained_message = Unicode(
        "✘ A test in this cell did not pass ({ename}): {evalue}",
        help="Shown for exceptions listed in explain_exceptions: their message is meant for learners.",
    ).tag(config=True)

    passed_message = Unicode(
        "✔ The tests in this cell ran without errors.",
        help="Shown instead of the outputs of a cell that ran without an error.",
    ).tag(config=True)

    explain_exceptions = List(
        Unicode(),
        ["NoAnswerRecorded"],
        help="Exception class names whose message is safe and useful to show learners.",
    ).tag(config=True)

    max_message_chars = 300

    def _is_hidden_test_cell(self, cell) -> bool:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        return (
            cell.get("cell_type") == "code"
            and bool(meta.get("grade"))
            and not meta.get("solution")
            and self.begin_hidden in cell.get("source", "")
        )

    def _hidden_lines(self, source: str) -> list[str]:
        lines, inside = [], False
        for line in source.splitlines():
            if self.begin_hidden in line:
                inside = True
            elif self.end_hidden in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
        return lines

    def _message(self, cell) -> str:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            return self.passed_message
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
            message = self._message(cell)
            cell.outputs = [new_output("stream", name="stdout", text=message + "\n")]
        return cell, resources
