"""Autograde's sanitize step, made safe for every submission (see INSTRUCTORS.md, "Sandboxed grading").

:class:`RestoreDeletedCells` is nbgrader's ``OverwriteCells`` with two fixes.

**Deleted grade cells are restored without failing.** nbgrader 0.9.6 puts a deleted grade cell back
after "the previous solution/grade cell", which it looks up among the submission's *grade and
solution* cells only. When the cell before the deleted one in the source notebook is any other cell
with nbgrader metadata (a locked read-only cell), or an answer cell the learner deleted too (a widget
question's ``show(...)`` cell and its grade cell, cut from the file together), the lookup raises
``KeyError`` and the whole submission fails to grade. Here the deleted cell goes
after the nearest earlier source cell that is still in the submission (any cell with a
``grade_id``), or first if there is none.

**No false "checksum has changed" warnings.** ``generate_assignment`` stores each locked cell's
checksum in the gradebook *before* it removes the hidden tests and mark schemes, so the released
cell a learner hands back untouched never matches it, and nbgrader warns "Attribute 'checksum' for
cell ... has changed!" for every test cell with hidden tests and every task cell with a mark scheme
(nbgrader issue #1961): ten warnings per learner for a2, none of them meaning anything. Here a
locked cell whose source is exactly the released form of the instructor's cell (the source cell with
its hidden-test and mark-scheme regions removed, by nbgrader's own ClearHiddenTests and
ClearMarkScheme) is restored silently, as nbgrader would restore it anyway; a locked cell the learner
really changed is still reported with nbgrader's own warning, and put back.
"""
from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, OverwriteCells


def _grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


class RestoreDeletedCells(OverwriteCells):
    """OverwriteCells whose restore of deleted grade cells never fails (nbgrader 0.9.6 bug fix) and
    that warns about a locked cell only when the learner changed it (nbgrader issue #1961)."""

    def released_source(self, source: str) -> str:
        """The instructor's cell source as generate_assignment releases it: hidden tests and mark
        scheme removed, with the delimiters configured for nbgrader's own preprocessors."""
        cell = NotebookNode(source=source)
        ClearHiddenTests(parent=self)._remove_hidden_test_region(cell)
        ClearMarkScheme(parent=self)._remove_mark_scheme_region(cell)
        return cell.source

    def preprocess_cell(self, cell, resources, cell_index):
        self._submitted = cell  # report_change runs before nbgrader overwrites the source
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name, attr, old, new):
        if attr == "checksum":
            try:
                original = self.gradebook.find_source_cell(name, self.notebook_id, self.assignment_id)
            except MissingEntry:
                original = None
            submitted = getattr(self, "_submitted", None)
            if original is not None and submitted is not None:
                if submitted.source.strip() == self.released_source(original.source).strip():
                    self.log.debug("Locked cell %s is as released; restoring its hidden parts", name)
                    return
        super().report_change(name, attr, old, new)

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_ids = [cell.name for cell in source_nb.source_cells]
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        source_by_id = {cell.name: cell for cell in source_nb.source_cells}
        grade_cells = sorted(source_nb.grade_cells,
                             key=lambda c: source_ids.index(c.name) if c.name in source_ids else len(source_ids))
        for grade_cell in grade_cells:
            present = {}
            for index, cell in enumerate(nb.cells):
                gid = _grade_id(cell)
                if gid is not None and gid not in present:
                    present[gid] = index
            if grade_cell.name in present or grade_cell.name not in source_by_id:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            position = source_ids.index(grade_cell.name)
            insert_at = 0
            for earlier in reversed(source_ids[:position]):
                if earlier in present:
                    insert_at = present[earlier] + 1
                    break
            restored = self.missing_cell_transform(source_by_id[grade_cell.name], grade_cell.max_score,
                                                   is_solution=grade_cell.name in solution_ids)
            nb.cells.insert(insert_at, restored)
        return nb, resources
