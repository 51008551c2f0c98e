#!/usr/bin/env python3
"""Keep the machine-maintained parts of the assignment notebooks in step with their cells.

The source notebooks ``source/<id>/<id>.ipynb`` are written and edited in JupyterLab (the
*Create Assignment* toolbar sets each cell's type, id and points). Three things in them follow
from those cells, and this step keeps them right, touching nothing else:

* the points table in the instructions cell, between ``<!-- points-table -->`` and
  ``<!-- /points-table -->`` (one row per ``## Part …`` heading, points summed from the grade and
  task cells below it), and the total in the line ``*About NN minutes · NN points · …*``;
* the ``(N points)`` at the end of each ``### …`` question heading: the points of the grade and
  task cells from that heading to the next one;
* every cell that shows a graded widget question (``show("<bank>/<id>", graded=True)``) is an
  *Autograded answer* cell, so that the formgrader gives it a comment box
  (``course_tools/widget_cells.py`` explains why, and how it is released as written);
* data files an assignment hands out, copied byte for byte from the course's data
  (``DATA_FILES``), so nbgrader releases (and at autograde restores) the instructor's copy.

Usage::

    python scripts/sync_assignments.py           # update source/ (what `make assignments` runs first)
    python scripts/sync_assignments.py --check   # exit 1 and say what is stale; change nothing

A notebook is rewritten only when one of those parts changed, in JupyterLab's own format.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_tools.widget_cells import is_graded_show_cell  # noqa: E402

# assignment id -> {file name in source/<id>/: file in the repository it is a copy of}
DATA_FILES = {
    "a5-data-driven": {"team_metrics.csv": "exercises/data/team_metrics.csv"},
}

TABLE_BEGIN = "<!-- points-table -->"
TABLE_END = "<!-- /points-table -->"
_HEADING_POINTS = re.compile(r"^(### .*?)\s*\((\d+(?:\.\d+)?) points?\)\s*$")
_TOTAL = re.compile(r"^(\*About [^*\n]*?· )(\d+(?:\.\d+)?) points?( ·[^*\n]*\*)[ \t]*$", re.M)
_PART = re.compile(r"^## Part ([A-Z])\b[^\n]*?·\s*([^\n]*)$", re.M)


def fmt_points(n: float) -> str:
    text = f"{float(n):g}"
    return f"{text} point" if float(n) == 1 else f"{text} points"


def cell_points(cell) -> float:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("grade") or meta.get("task"):
        return float(meta.get("points", 0) or 0)
    return 0.0


def _is_question_heading(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith("### ")


def question_points(nb) -> dict[int, float]:
    """{index of a ### heading cell: points of it and the cells up to the next heading or part}."""
    out, current = {}, None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## "):
            current = None
        if _is_question_heading(cell):
            current = i
            out[i] = cell_points(cell)  # a task cell is its own heading and holds the points
        elif current is not None:
            out[current] += cell_points(cell)
    return out


def part_points(nb) -> list[tuple[str, str, float]]:
    """[(letter, description, points)] for every ``## Part X · description`` heading, in order."""
    parts: list[list] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = _PART.search(cell.source)
            if m:
                parts.append([m.group(1), m.group(2).strip(), 0.0])
                continue
        if parts:
            parts[-1][2] += cell_points(cell)
    return [tuple(p) for p in parts]


def points_table(nb) -> str:
    rows = [f"| {letter} | {what} | {pts:g} |" for letter, what, pts in part_points(nb)]
    total = sum(cell_points(c) for c in nb.cells)
    return "\n".join(["| Part | What | Points |", "|---|---|---|", *rows,
                      f"| | **Total** | **{total:g}** |"])


def mark_widget_answer_cells(nb) -> list[str]:
    """Make every graded ``show(...)`` cell an *Autograded answer* cell (what changed, in words)."""
    changes = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if not is_graded_show_cell(cell) or meta is None or meta.get("grade") or meta.get("task"):
            continue  # a show() cell outside nbgrader's cells, or a grade cell, is the author's choice
        if meta.get("solution") and not meta.get("locked"):
            continue
        meta["solution"], meta["locked"] = True, False
        changes.append(f"cell {meta.get('grade_id')!r}: now an Autograded answer cell "
                       "(the formgrader gives it a comment box)")
    return changes


def sync_notebook(nb) -> list[str]:
    """Bring the maintained parts of *nb* up to date in place; return what changed (human-readable)."""
    changes = mark_widget_answer_cells(nb)
    total = sum(cell_points(c) for c in nb.cells)
    for i, pts in question_points(nb).items():
        cell = nb.cells[i]
        lines = cell.source.split("\n")
        first = next(n for n, line in enumerate(lines) if line.strip())
        m = _HEADING_POINTS.match(lines[first])
        if m and float(m.group(2)) != pts:
            lines[first] = f"{m.group(1)} ({fmt_points(pts)})"
            changes.append(f"heading {m.group(1)[4:]!r}: {m.group(2)} -> {pts:g} points")
            cell.source = "\n".join(lines)
    for cell in nb.cells:
        if cell.cell_type != "markdown" or TABLE_BEGIN not in cell.source:
            continue
        src = cell.source
        head, rest = src.split(TABLE_BEGIN, 1)
        if TABLE_END not in rest:
            raise SystemExit(f"the instructions cell opens {TABLE_BEGIN} but never closes it with {TABLE_END}")
        _old, tail = rest.split(TABLE_END, 1)
        new = f"{head}{TABLE_BEGIN}\n{points_table(nb)}\n{TABLE_END}{tail}"
        m = _TOTAL.search(new)
        if m and float(m.group(2)) != total:
            new = _TOTAL.sub(lambda mm: f"{mm.group(1)}{fmt_points(total)}{mm.group(3)}", new, count=1)
        if new != src:
            cell.source = new
            changes.append(f"points table / total: {total:g} points")
    return changes


def assignment_ids(root: Path) -> list[str]:
    source = root / "source"
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file()) if source.is_dir() else []


def sync(root: Path = ROOT, check: bool = False) -> list[str]:
    """Sync (or, with *check*, only report) every assignment under *root*; return the stale items."""
    stale = []
    for aid in assignment_ids(root):
        path = root / "source" / aid / f"{aid}.ipynb"
        nb = nbformat.read(str(path), as_version=4)
        changes = sync_notebook(nb)
        if changes:
            stale += [f"source/{aid}/{aid}.ipynb: {c}" for c in changes]
            if not check:
                path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        for name, origin in DATA_FILES.get(aid, {}).items():
            target, origin_path = root / "source" / aid / name, root / origin
            if not target.is_file() or target.read_bytes() != origin_path.read_bytes():
                stale.append(f"source/{aid}/{name}: differs from {origin}")
                if not check:
                    target.write_bytes(origin_path.read_bytes())
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report what is stale, change nothing")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    stale = sync(args.root.resolve(), check=args.check)
    for line in stale:
        print(("STALE " if args.check else "updated ") + line)
    if not stale:
        print("assignments: points tables, headings, widget answer cells and data files are up to date")
    if args.check and stale:
        print("run `make assignments` to update them")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
