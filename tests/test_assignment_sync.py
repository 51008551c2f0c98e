"""The sync step of `make assignments`: points tables and headings follow the cells' points."""
from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat

from nbgrader_helpers import ROOT, cell_by_id, env, meta

AID = "a2-team-vs-tech"
SCRIPT = str(ROOT / "scripts" / "sync_assignments.py")


def _course(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "source" / AID, course / "source" / AID)
    return course, course / "source" / AID / f"{AID}.ipynb"


def _run(course, *args):
    return subprocess.run([sys.executable, SCRIPT, "--root", str(course), *args],
                          capture_output=True, text=True, env=env())


def test_changed_points_are_reported_then_synced_and_nothing_else_changes(tmp_path):
    """After raising a question's points in the Create Assignment panel, does --check say the
    heading and table are stale, and does the sync fix exactly those, leaving every other word alone?"""
    course, path = _course(tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    before = {c["id"]: c.source for c in nb.cells}
    meta(cell_by_id(nb, "q-tlm-risk-grade"))["points"] = 3  # was 1
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")

    check = _run(course, "--check")
    assert check.returncode == 1
    assert "One person, both hats" in check.stdout and "1 -> 3 points" in check.stdout
    assert "points table / total: 25 points" in check.stdout
    assert nbformat.read(str(path), as_version=4).cells[0].source == before["instructions"]  # --check wrote nothing

    assert _run(course).returncode == 0
    synced = nbformat.read(str(path), as_version=4)
    after = {c["id"]: c.source for c in synced.cells}
    changed = {cid for cid in before if before[cid] != after[cid]}
    assert changed == {"instructions", "q-tlm-risk-prompt"}
    assert after["q-tlm-risk-prompt"].splitlines()[0] == "### B4 · One person, both hats (3 points)"
    text = after["instructions"]
    assert "· 25 points ·" in text and "| B | Widget questions (autograded from `responses.json`) | 8 |" in text
    assert "| | **Total** | **25** |" in text
    # the instructor's own words around the table are untouched
    head = before["instructions"].split("<!-- points-table -->")[0]
    assert text.startswith(head.replace("· 23 points ·", "· 25 points ·"))
    assert _run(course, "--check").returncode == 0


def test_a_new_question_joins_its_part(tmp_path):
    """Does a question an instructor adds (heading + grade cell) count in its part's row and the total?"""
    course, path = _course(tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.get("id") == "part-c")
    heading = nbformat.v4.new_markdown_cell("### B5 · A new question (1 point)")
    grade = nbformat.v4.new_code_cell("assert True")
    grade.metadata["nbgrader"] = {"grade": True, "grade_id": "new-q", "locked": True, "points": 2,
                                  "schema_version": 3, "solution": False, "task": False}
    nb.cells[at:at] = [heading, grade]
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    assert _run(course).returncode == 0
    synced = nbformat.read(str(path), as_version=4)
    assert synced.cells[at].source == "### B5 · A new question (2 points)"
    assert "| B | Widget questions (autograded from `responses.json`) | 8 |" in synced.cells[0].source


def test_the_committed_assignments_are_in_sync():
    """Is every committed source notebook already in sync (so `make assignments` changes nothing)?"""
    proc = subprocess.run([sys.executable, SCRIPT, "--check"], capture_output=True, text=True, env=env())
    assert proc.returncode == 0, proc.stdout
