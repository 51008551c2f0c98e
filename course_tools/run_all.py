"""Let *Run All* go to the end of a learner's copy: nbgrader's release step tags the answer and test cells.

A blank student version stops JupyterLab's *Run All* at its first code answer: nbgrader replaces each
solution with ``raise NotImplementedError()``, and the visible tests under it fail until it is
answered. JupyterLab (and nbclient) carry on past a cell tagged ``raises-exception``, showing its
error where it happened. :class:`TagRaisesException` runs in ``c.GenerateAssignment.preprocessors``
(see ``nbgrader_config.py``), so ``make assignments``, a bare ``nbgrader generate_assignment`` and the
formgrader's *Generate* button all write the tag into ``release/``: a learner who runs the whole
notebook sees every question, every widget and every "not answered yet" message, with each
unanswered code question's error at that question. The instructor's ``source/`` is never changed.

Autograde is unaffected: it runs every cell whatever the tags (nbgrader's ``Execute`` allows errors),
and nbgrader's checksums do not cover tags.
"""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

TAG = "raises-exception"


def needs_tag(cell) -> bool:
    """Is *cell* a code answer or an autograder test cell (the cells that fail while unanswered)?"""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("solution") or meta.get("grade"))


class TagRaisesException(NbGraderPreprocessor):
    """Add the ``raises-exception`` tag to every code answer and autograder test cell."""

    def preprocess_cell(self, cell, resources, index):
        if needs_tag(cell):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if TAG not in tags:
                tags.append(TAG)
        return cell, resources
