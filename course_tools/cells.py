"""Cell factories for nbgrader notebooks (schema 3), used to author source/ and by the tests.

Every nbgrader cell gets the full schema-3 metadata block, exactly as nbgrader's own lab
extension writes it::

    {"nbgrader": {"grade": .., "solution": .., "locked": .., "points": .., "grade_id": ..,
                  "schema_version": 3, "task": ..}}

Cell ids (nbformat 4.5) are derived from the grade id, so rebuilding a notebook gives the
same ids and a clean diff.

The factories, by nbgrader's names for the cell types:

=====================  ========  =====  ========  ======  ====  ==========================
factory                type      grade  solution  locked  task  use
=====================  ========  =====  ========  ======  ====  ==========================
``md_cell``            markdown  -      -         -       -     editable text (answer space)
``readonly_md_cell``   markdown  no     no        yes     no    instructions, questions
``readonly_code_cell`` code      no     no        yes     no    imports
``solution_cell``      code      no     yes       no      no    "Autograded answer" (and graded
                                                                 ``show(...)`` calls, kept as written)
``test_cell``          code      yes    no        yes     no    "Autograder tests"
``task_cell``          markdown  no     no        yes     yes   "Manually graded task"
``manual_answer_cell`` markdown  yes    yes       no      no    "Manually graded answer"
=====================  ========  =====  ========  ======  ====  ==========================
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

_ID_OK = re.compile(r"[^A-Za-z0-9_-]+")


def _cell_id(grade_id: str) -> str:
    """A valid nbformat cell id (1-64 chars of [A-Za-z0-9_-]) made from a grade id."""
    return _ID_OK.sub("-", grade_id)[:64]


def nbgrader_meta(*, grade: bool, solution: bool, locked: bool, grade_id: str,
                  points: float = 0, task: bool = False) -> dict:
    """The nbgrader schema-3 metadata block for one cell."""
    if (grade or task) and not points:
        raise ValueError(f"{grade_id}: a graded cell or task needs points")
    if not (grade or task) and points:
        raise ValueError(f"{grade_id}: only grade and task cells carry points")
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "points": points,
        "schema_version": 3,
        "solution": solution,
        "task": task,
    }
    if not (grade or task):
        del meta["points"]  # the schema: "only present if grade is true" (and on tasks)
    return meta


def _cell(cell_type: str, source: str, grade_id: str, nbgrader: dict | None):
    source = source.strip("\n")
    if cell_type == "markdown":
        cell = nbformat.v4.new_markdown_cell(source)
    else:
        cell = nbformat.v4.new_code_cell(source)
    cell["id"] = _cell_id(grade_id)
    if nbgrader is not None:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def md_cell(cell_id: str, source: str):
    """A plain, editable markdown cell (no nbgrader metadata), e.g. where a learner writes."""
    return _cell("markdown", source, cell_id, None)


def readonly_md_cell(grade_id: str, source: str):
    """Locked markdown: nbgrader puts it back as written if a learner edits it."""
    return _cell("markdown", source, grade_id,
                 nbgrader_meta(grade=False, solution=False, locked=True, grade_id=grade_id))


def readonly_code_cell(grade_id: str, source: str):
    """Locked code the learner runs but does not change (imports). A graded ``show(...)`` call is a
    :func:`solution_cell` instead (course_tools/widget_cells.py)."""
    return _cell("code", source, grade_id,
                 nbgrader_meta(grade=False, solution=False, locked=True, grade_id=grade_id))


def solution_cell(grade_id: str, source: str):
    """An autograded answer: ``### BEGIN SOLUTION`` regions become a stub in release/."""
    return _cell("code", source, grade_id,
                 nbgrader_meta(grade=False, solution=True, locked=False, grade_id=grade_id))


def test_cell(grade_id: str, source: str, points: float):
    """Autograder tests: visible checks, plus ``### BEGIN HIDDEN TESTS`` regions kept from learners."""
    return _cell("code", source, grade_id,
                 nbgrader_meta(grade=True, solution=False, locked=True, grade_id=grade_id,
                               points=points))


def task_cell(grade_id: str, source: str, points: float):
    """A manually graded task; ``=== BEGIN MARK SCHEME ===`` regions reach only the formgrader."""
    return _cell("markdown", source, grade_id,
                 nbgrader_meta(grade=False, solution=False, locked=True, grade_id=grade_id,
                               points=points, task=True))


def manual_answer_cell(grade_id: str, source: str, points: float):
    """A manually graded answer cell (its whole text becomes "YOUR ANSWER HERE" in release/)."""
    return _cell("markdown", source, grade_id,
                 nbgrader_meta(grade=True, solution=True, locked=False, grade_id=grade_id,
                               points=points))


def new_notebook(cells: list) -> nbformat.NotebookNode:
    """A clean nbformat 4.5 notebook with the course's kernelspec."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict({
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    })
    nb.cells = list(cells)
    ids = [c["id"] for c in nb.cells]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate cell ids: {sorted(dupes)}")
    nbformat.validate(nb)
    return nb


def write_notebook(nb, path: str | Path) -> None:
    """Write with a trailing newline, as JupyterLab does, so saves from Lab give no diff."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def points(nb) -> float:
    """Total points of a notebook (grade and task cells)."""
    total = 0.0
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") or meta.get("task"):
            total += float(meta.get("points", 0))
    return total


def auto_points(nb) -> float:
    """Points the autograder can award (code grade cells)."""
    return sum(float(c.metadata["nbgrader"]["points"]) for c in nb.cells
               if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade"))
