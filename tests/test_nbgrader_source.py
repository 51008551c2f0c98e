"""The instructor notebooks in source/: well formed, and each passes its own tests."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_tools.cells import KERNELSPEC
from nbgrader_helpers import (
    ASSIGNMENTS, ROOT, auto_points, copy_data_files, env, execute_in, manual_points, meta, record_answers, source_nb,
    widget_keys,
)

pytestmark = pytest.mark.nbgrader

SCHEMA3_KEYS = {"grade", "grade_id", "locked", "schema_version", "solution", "task"}


def test_at_least_four_assignments():
    """Are the four assignments of the course there?"""
    assert {"a1-foundations", "a2-team-vs-tech", "a3-growth", "a4-challenges"} <= set(ASSIGNMENTS)


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_source_notebook_is_clean_and_schema_3(aid):
    """Is the source notebook committed clean, with exactly nbgrader's schema-3 metadata?"""
    path = ROOT / "source" / aid / f"{aid}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata["kernelspec"] == KERNELSPEC
    ids = [c["id"] for c in nb.cells]
    assert len(ids) == len(set(ids))
    grade_ids = [meta(c)["grade_id"] for c in nb.cells if meta(c)]
    assert len(grade_ids) == len(set(grade_ids)), "nbgrader needs every grade_id once"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell["id"]
        m = meta(cell)
        if not m:
            continue
        graded = m["grade"] or m["task"]
        assert set(m) == SCHEMA3_KEYS | ({"points"} if graded else set()), cell["id"]
        assert m["schema_version"] == 3
        if graded:
            assert m["points"] > 0
        if m["task"]:
            assert "=== BEGIN MARK SCHEME ===" in cell.source and "=== END MARK SCHEME ===" in cell.source


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_assignment_mixes_three_kinds_of_graded_work(aid):
    """Does the assignment mix code answers with hidden tests, graded widgets and hand-marked tasks?"""
    nb = source_nb(aid)
    hidden_code = [c for c in nb.cells if c.cell_type == "code" and meta(c).get("grade")
                   and "grade_answer(" not in c.source and "BEGIN HIDDEN TESTS" in c.source]
    visible_checks = [c for c in nb.cells if c.cell_type == "code" and meta(c).get("grade")
                      and re.search(r"^assert ", c.source.split("### BEGIN HIDDEN TESTS")[0], re.M)]
    widgets = [c for c in nb.cells if re.search(rf'show\("{aid}/[a-z0-9-]+", graded=True\)', c.source)]
    tasks = [c for c in nb.cells if meta(c).get("task")]
    assert len(hidden_code) >= 2 and visible_checks
    assert len(widgets) >= 3 and len(widget_keys(nb)) == len(widgets)
    assert len(tasks) >= 2


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_instructions_state_time_points_and_responses_file(aid):
    """Does the first cell say what to do, how it is graded, the points, and to submit responses.json?"""
    nb = source_nb(aid)
    text = nb.cells[0].source
    total = auto_points(nb) + manual_points(nb)
    assert f"{total:g} points" in text and f"**{total:g}**" in text
    minutes = int(re.search(r"About (\d+) minutes", text).group(1))
    assert 20 <= minutes <= 40
    assert "responses.json" in text and "hidden" in text.lower() and "mark scheme" in text.lower()
    for cell in nb.cells:  # every question heading shows its points
        if cell.cell_type == "markdown" and cell.source.startswith("### "):
            assert re.search(r"\(\d+(\.\d+)? points?\)", cell.source.splitlines()[0]), cell.source[:60]


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_source_notebook_passes_its_own_tests(aid, tmp_path):
    """Does the instructor's version, with its widget answers recorded, earn every autograded point?"""
    from nbgrader.utils import determine_grade

    from course_tools.code_credit import ScaleCodeCredit

    nb = source_nb(aid)
    copy_data_files(aid, tmp_path)  # e.g. a5's team_metrics.csv, next to the notebook as in release/
    record_answers({tmp_path: widget_keys(nb)})
    execute_in(nb, tmp_path)
    ScaleCodeCredit().preprocess(nb, {})  # partial_credit(fraction) -> points, as at autograde
    total = 0.0
    for cell in nb.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, (cell["id"], errors and errors[0].get("evalue"))
        if cell.cell_type == "code" and meta(cell).get("grade"):
            got, max_ = determine_grade(cell)
            assert got == max_, (cell["id"], got, max_)
            total += got
    assert total == auto_points(nb)


def test_points_tables_headings_and_data_files_are_in_sync():
    """Do the instructions' points tables, the question headings and data files agree with the cells?"""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_assignments.py"), "--check"],
                          capture_output=True, text=True, env=env())
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(not Path("/work/shared/tools/seed_overlap.py").exists(), reason="shared tools absent")
def test_assignment_text_is_in_our_own_words():
    """Is no run of 10+ words in the assignments, their banks or the guide copied from the article?"""
    files = [str(ROOT / "source")] + [str(ROOT / "exercises" / "banks" / f"{a}.yaml") for a in ASSIGNMENTS]
    files.append(str(ROOT / "INSTRUCTORS.md"))
    proc = subprocess.run([sys.executable, "/work/shared/tools/seed_overlap.py", *files],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
