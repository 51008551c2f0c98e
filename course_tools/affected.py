"""Before regrading: which graded submissions a change to ``source/<id>/<id>.ipynb`` affects, and how.

Run it after editing the source notebook (and ``make assignments``) and **before** ``nbgrader
generate_assignment <id> --force`` (which writes the new version into the gradebook)::

    python -m course_tools.affected a2-team-vs-tech          # or: make affected ASSIGNMENT=a2-team-vs-tech
    python -m course_tools.affected a2-team-vs-tech --json   # the same, for scripts

It compares the source notebook with what was graded, as nbgrader's gradebook (``gradebook.db``,
read with :class:`nbgrader.api.Gradebook`) recorded it: every grade and task cell's points and
source, every locked cell's text. It reports

* **changes**: points (each cell and the total), widget keys and their ``why`` (from the
  ``grade_answer`` calls, :mod:`course_tools.contract`), hidden or visible tests of code answers,
  mark schemes, the wording of locked cells, and cells added or removed (which nbgrader refuses
  once there are submissions);
* **each graded learner's score**, before and after the regrade, where it can be computed without
  running anything: a widget question is re-scored with the new key and points from the
  ``responses.json`` the learner submitted (:func:`exercises.grading.evaluate`, the grader's own
  rule); a code cell whose tests did not change keeps its share of the points (a fraction cell's
  fraction, a pass or a fail); a score you entered by hand is kept by nbgrader at regrade (and is
  flagged when it is above the cell's new points). A code cell whose tests changed is marked ``?``:
  only the regrade can tell.

Nothing is written. Exit status: 0, or 1 when something needs your attention first (cells added or
removed, a hand-entered score above the new points), 2 when there is nothing to compare with.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .code_credit import gives_fraction
from .contract import ContractError, grade_calls, split_hidden

COURSE_ID_DEFAULT = "techlead"


@dataclass
class CellDef:
    """One nbgrader cell as graded (from the gradebook) or as it is now (from source/)."""

    name: str
    notebook: str
    kind: str                 # "code-test" | "widget" | "task" | "answer" | "text"
    points: float | None
    source: str


@dataclass
class LearnerChange:
    student: str
    old_score: float
    old_max: float
    new_score: float | None    # None when a changed code test must be rerun to tell
    new_max: float
    cells: dict = field(default_factory=dict)   # grade_id -> [old, new or None, note]
    notes: list = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return self.new_score is None or abs(self.new_score - self.old_score) > 1e-9 \
            or abs(self.new_max - self.old_max) > 1e-9


@dataclass
class Report:
    assignment: str
    changes: list = field(default_factory=list)        # human-readable lines, one per change
    attention: list = field(default_factory=list)      # must be sorted out before regrading
    old_total: float = 0.0
    new_total: float = 0.0
    learners: list = field(default_factory=list)       # LearnerChange
    not_graded: list = field(default_factory=list)     # collected but not autograded

    @property
    def affected(self) -> list:
        return [lc for lc in self.learners if lc.changes]


def _kind(cell_type: str, grade: bool, solution: bool, task: bool, source: str) -> str:
    if task:
        return "task"
    if grade and not solution and cell_type == "code":
        try:
            return "widget" if grade_calls(source) else "code-test"
        except ContractError:
            return "widget"
    if solution:
        return "answer"
    return "text"


def source_cells(course: Path, assignment: str) -> dict[str, CellDef]:
    """The nbgrader cells of every notebook in ``source/<assignment>/`` as they are now."""
    folder = course / "source" / assignment
    out = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not meta or not meta.get("grade_id"):
                continue
            if not (meta.get("locked") or meta.get("grade") or meta.get("solution") or meta.get("task")):
                continue
            graded = meta.get("grade") or meta.get("task")
            out[meta["grade_id"]] = CellDef(
                meta["grade_id"], path.stem,
                _kind(cell.cell_type, bool(meta.get("grade")), bool(meta.get("solution")),
                      bool(meta.get("task")), cell.source),
                float(meta.get("points", 0) or 0) if graded else None, cell.source)
    return out


def graded_cells(gb, assignment: str) -> dict[str, CellDef]:
    """The same, as the gradebook recorded them at the last ``generate_assignment``."""
    out = {}
    for notebook in gb.find_assignment(assignment).notebooks:
        points = {c.name: float(c.max_score) for c in notebook.grade_cells}
        points.update({c.name: float(c.max_score) for c in notebook.task_cells})
        grade = {c.name for c in notebook.grade_cells}
        solution = {c.name for c in notebook.solution_cells}
        task = {c.name for c in notebook.task_cells}
        for sc in notebook.source_cells:
            out[sc.name] = CellDef(
                sc.name, notebook.name,
                _kind(sc.cell_type, sc.name in grade, sc.name in solution, sc.name in task, sc.source or ""),
                points.get(sc.name), sc.source or "")
    return out


def _fmt(n: float | None) -> str:
    return "?" if n is None else f"{n:g}"


def _call(source: str):
    try:
        calls = grade_calls(source)
    except ContractError:
        return None
    return calls[0] if calls else None


def _tests(source: str) -> tuple[str, str]:
    visible, hidden = split_hidden(source)
    return "\n".join(visible).strip(), "\n".join(hidden).strip()


def _mark_scheme_split(source: str) -> tuple[str, str]:
    begin, end = "=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="
    if begin in source and end in source:
        head, rest = source.split(begin, 1)
        scheme, tail = rest.split(end, 1)
        return (head + tail).strip(), scheme.strip()
    return source.strip(), ""


def compare_cells(old: dict[str, CellDef], new: dict[str, CellDef], report: Report) -> set[str]:
    """Fill ``report.changes``/``attention``; return the grade ids whose score must be rerun."""
    rerun = set()
    added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    if added or removed:
        report.attention.append(
            "cells " + "; ".join(filter(None, [f"added: {', '.join(added)}" if added else "",
                                               f"removed: {', '.join(removed)}" if removed else ""]))
            + " — nbgrader refuses to regenerate an assignment with submissions when cells are added or "
              "removed (\"Cannot add or remove cells\"): put them back, or change them in place")
    report.old_total = sum(c.points or 0 for c in old.values())
    report.new_total = sum(c.points or 0 for c in new.values())
    for name in sorted(set(old) & set(new), key=list(new).index):
        o, n = old[name], new[name]
        if o.points is not None and n.points is not None and abs(o.points - n.points) > 1e-9:
            report.changes.append(f"points: {name} {_fmt(o.points)} → {_fmt(n.points)}")
        if o.source == n.source:
            continue
        if n.kind == "widget":
            oc, nc = _call(o.source), _call(n.source)
            if oc is None or nc is None or oc.exercise_id != nc.exercise_id:
                report.changes.append(f"question: {name} now asks "
                                      f"{nc.exercise_id if nc else '(no readable grade_answer call)'}")
            else:
                if oc.key != nc.key:
                    report.changes.append(f"key: {name} {json.dumps(oc.key)} → {json.dumps(nc.key)}")
                if oc.why != nc.why:
                    report.changes.append(f"why: {name} (the explanation in feedback; no score changes)")
            if _tests(o.source)[0] != _tests(n.source)[0]:
                report.changes.append(f"visible part: {name}")
        elif n.kind == "code-test":
            (ov, oh), (nv, nh) = _tests(o.source), _tests(n.source)
            if oh != nh:
                report.changes.append(f"hidden tests: {name} (scores of this cell are known only after the regrade)")
            if ov != nv:
                report.changes.append(f"visible tests: {name} (scores of this cell are known only after the regrade)")
            rerun.add(name)
        elif n.kind == "task":
            (ot, os_), (nt, ns) = _mark_scheme_split(o.source), _mark_scheme_split(n.source)
            if ot != nt:
                report.changes.append(f"wording: {name} (the task's prompt)")
            if os_ != ns:
                report.changes.append(f"mark scheme: {name} (hand-entered scores are kept: re-mark if it matters)")
        elif n.kind == "answer":
            continue  # the gradebook keeps the learner's template, not the solution; answers are the learner's
        else:
            report.changes.append(f"wording: {name}")
    if abs(report.old_total - report.new_total) > 1e-9:
        report.changes.append(f"total: {_fmt(report.old_total)} → {_fmt(report.new_total)} points")
    return rerun


def _responses(course: Path, student: str, assignment: str) -> dict:
    from .widget_grading import read_responses

    for step in ("submitted", "autograded"):
        folder = course / step / student / assignment
        if folder.is_dir():
            return read_responses(str(folder))[0]
    return {}


def _widget_score(cell: CellDef, responses: dict) -> tuple[float | None, str]:
    from exercises.banks import get_exercise
    from exercises.grading import evaluate

    call = _call(cell.source)
    if call is None:
        return None, "the grade_answer call cannot be read"
    try:
        outcome = evaluate(get_exercise(call.exercise_id), responses.get(call.exercise_id), call.key)
    except Exception as exc:  # a key that does not fit the question: the grader would log it and give 0
        return 0.0, f"the key cannot score this question ({exc}); the grader gives 0"
    return outcome.fraction * (cell.points or 0), ""


def learner_changes(gb, course: Path, assignment: str, old: dict[str, CellDef], new: dict[str, CellDef],
                    rerun: set[str]) -> list[LearnerChange]:
    out = []
    for sub in sorted(gb.assignment_submissions(assignment), key=lambda s: s.student.id):
        student = sub.student.id
        responses = None
        lc = LearnerChange(student, 0.0, 0.0, 0.0, 0.0)
        for notebook in sub.notebooks:
            for grade in notebook.grades:
                name = grade.name
                old_max = float(grade.max_score or 0)
                old_score = float(grade.score or 0)
                lc.old_score += old_score
                lc.old_max += old_max
                cell = new.get(name)
                if cell is None:
                    lc.cells[name] = [old_score, None, "cell removed"]
                    lc.new_score = None
                    continue
                new_max = float(cell.points or 0)
                lc.new_max += new_max
                if grade.manual_score is not None:
                    # nbgrader keeps a score entered by hand through any regrade
                    new_score = float(grade.manual_score)
                    note = "entered by hand, kept"
                    if new_score > new_max + 1e-9:
                        note = f"entered by hand ({_fmt(new_score)}) is above the new {_fmt(new_max)} points: re-mark it"
                        lc.notes.append(f"{name}: {note}")
                elif cell.kind == "task":
                    new_score, note = old_score, "not marked yet"
                elif cell.kind == "widget":
                    if responses is None:
                        responses = _responses(course, student, assignment)
                    new_score, note = _widget_score(cell, responses)
                elif name in rerun:
                    new_score, note = None, "tests changed: regrade to tell"
                elif (abs(new_max - old_max) > 1e-9 and 0 < old_score < old_max
                      and not gives_fraction(cell.source)):
                    # partial credit returned as points (not partial_credit(share)): it will not follow
                    new_score, note = None, ("partial credit given as points, not as partial_credit(share): "
                                             "regrade to tell (CONTRIBUTING.md)")
                else:
                    share = old_score / old_max if old_max else 0.0
                    new_score = share * new_max
                    note = "same share of the points" if abs(new_max - old_max) > 1e-9 else ""
                if new_score is None:
                    lc.new_score = None
                elif lc.new_score is not None:
                    lc.new_score += new_score
                if new_score is None or abs(new_score - old_score) > 1e-9 or abs(new_max - old_max) > 1e-9:
                    lc.cells[name] = [old_score, new_score, note]
        out.append(lc)
    return out


def affected(course: Path, assignment: str, course_id: str | None = None) -> Report:
    """Compare ``source/<assignment>/`` with the gradebook of *course* (see the module doc)."""
    from nbgrader.api import Gradebook, MissingEntry

    course = Path(course)
    db = course / "gradebook.db"
    if not db.is_file():
        raise SystemExit(f"no gradebook.db in {course}: nothing has been graded here yet")
    if not (course / "source" / assignment).is_dir():
        raise SystemExit(f"no source/{assignment}/ in {course}")
    report = Report(assignment)
    with Gradebook(f"sqlite:///{db}", course_id or _course_id(course)) as gb:
        try:
            old = graded_cells(gb, assignment)
        except MissingEntry:
            raise SystemExit(f"{assignment!r} is not in the gradebook: nothing was graded, so nothing is "
                             "affected (regenerate and release as usual)") from None
        new = source_cells(course, assignment)
        rerun = compare_cells(old, new, report)
        report.learners = learner_changes(gb, course, assignment, old, new, rerun)
        for lc in report.learners:
            report.attention += [f"{lc.student}: {note}" for note in lc.notes]
        graded = {lc.student for lc in report.learners}
    submitted = course / "submitted"
    report.not_graded = sorted(p.name for p in submitted.glob("*")
                               if (p / assignment).is_dir() and p.name not in graded) if submitted.is_dir() else []
    return report


def _course_id(course: Path) -> str:
    import os

    return os.environ.get("TECHLEAD_COURSE_ID") or COURSE_ID_DEFAULT


def format_report(report: Report) -> str:
    aid = report.assignment
    lines = [f"Changes to {aid} since it was graded (source/{aid}/ against gradebook.db):"]
    lines += [f"  {c}" for c in report.changes] or ["  none: the source notebook is what was graded"]
    if report.attention:
        lines.append("Needs your attention before regrading:")
        lines += [f"  ! {a}" for a in report.attention]
    lines.append(f"Graded submissions: {len(report.learners)}, whose score or maximum changes: "
                 f"{len(report.affected)}")
    for lc in report.learners:
        head = (f"  {lc.student}: {_fmt(lc.old_score)}/{_fmt(lc.old_max)} → "
                f"{_fmt(lc.new_score)}/{_fmt(lc.new_max)}")
        if not lc.changes:
            lines.append(head + " (unchanged)")
            continue
        lines.append(head)
        for name, (old, new, note) in lc.cells.items():
            lines.append(f"      {name}: {_fmt(old)} → {_fmt(new)}" + (f" ({note})" if note else ""))
    if report.not_graded:
        lines.append(f"Collected but not graded yet (nothing to compare): {', '.join(report.not_graded)}")
    if report.affected or report.changes:
        lines += ["Next (INSTRUCTORS.md, \"Changing an assignment during a cohort\"):",
                  f"  nbgrader generate_assignment {aid} --force",
                  f"  nbgrader autograde {aid} --force",
                  f"  nbgrader generate_feedback {aid} --force",
                  f"  nbgrader release_feedback {aid}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.affected",
        description="Before regrading: which graded submissions a change to source/<id>/<id>.ipynb affects.")
    parser.add_argument("assignment", help="assignment id, e.g. a2-team-vs-tech")
    parser.add_argument("--course", type=Path, default=Path.cwd(), help="course root (default: here)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = affected(args.course, args.assignment)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.json:
        data = asdict(report)
        data["affected"] = [lc.student for lc in report.affected]
        print(json.dumps(data, indent=1))
    else:
        print(format_report(report))
    return 1 if report.attention else 0


if __name__ == "__main__":
    sys.exit(main())
