"""Autograde's sanitize step, made safe for every submission (see INSTRUCTORS.md, "Sandboxed grading").

:class:`RestoreDeletedCells` is nbgrader's ``OverwriteCells`` with its restore of deleted grade cells
fixed. nbgrader 0.9.6 puts a deleted grade cell back after "the previous solution/grade cell", which
it looks up among the submission's *grade and solution* cells only. When the cell before the deleted
one in the source notebook is any other cell with nbgrader metadata (a locked read-only cell, as every
widget question's ``show(...)`` cell is), the lookup raises ``KeyError`` and the whole submission
fails to grade. Here the deleted cell goes after the nearest earlier source cell that is still in the
submission (any cell with a ``grade_id``), or first if there is none.
"""
from __future__ import annotations

from nbgrader.preprocessors import OverwriteCells


def _grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


class RestoreDeletedCells(OverwriteCells):
    """OverwriteCells whose restore of deleted grade cells never fails (nbgrader 0.9.6 bug fix)."""

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
