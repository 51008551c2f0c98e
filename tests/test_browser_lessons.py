"""Every lesson in a real JupyterLab: it runs from the Run menu, shows no error, and every exercise renders.

One JupyterLab server, one Chromium and one page for the whole session (see browser_helpers.py);
lessons are opened one after another and each kernel is shut down when its lesson is done.
A screenshot of each lesson goes to screenshots/ (git-ignored) for people to look at.
"""
from __future__ import annotations

import pytest

from course_notebooks import DEMO, ROOT, SCREENSHOTS, LessonFile, lesson_files, show_cells

from course_tools.cells import KERNELSPEC

pytest_plugins = ["browser_helpers"]
pytestmark = pytest.mark.browser


NOTEBOOKS = lesson_files() + ([LessonFile("demo", DEMO)] if (ROOT / DEMO).exists() else [])


def test_there_are_lessons_to_drive():
    """Does the browser suite see the index and the lessons of exercises/course.yaml?"""
    labels = [nb.label for nb in NOTEBOOKS]
    assert "index" in labels
    assert len(labels) >= 2, "no lesson notebook found in notebooks/"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda nb: nb.label)
def test_lesson_runs_in_jupyterlab(lab, notebook):
    """Run → Run All Cells: no error or traceback output, and one rendered exercise widget per show() cell."""
    expected = show_cells(ROOT / notebook.rel)
    try:
        lab.open(notebook.rel)
        seconds = lab.run_all()
        lab.wait_widgets_settled()
        problems = lab.problems()
        counts = lab.widget_counts()
        # A look at the lesson: at its first exercise (or its top when it has none).
        if expected:
            lab.scroll_to_cell(min(expected))
        lab.screenshot(SCREENSHOTS / f"{notebook.label}.png")
        print(f"{notebook.label}: ran in {seconds:.1f} s, {len(expected)} exercises")
    finally:
        lab.shutdown_kernel(notebook.rel)

    assert not problems.errors, f"error outputs in {notebook.rel}:\n" + "\n---\n".join(problems.errors)
    assert not problems.stderr, f"stderr output in {notebook.rel}:\n" + "\n---\n".join(problems.stderr)
    assert not problems.broken_widgets, f"widgets that did not render in {notebook.rel}: {problems.broken_widgets}"

    assert len(counts) >= max(expected, default=0) + 1, "the page shows fewer cells than the notebook has"
    missing = {f"cell {i} ({ex_id})": counts[i]["rendered"] for i, ex_id in expected.items()
               if counts[i]["rendered"] != 1}
    assert not missing, f"show() cells without exactly one rendered widget: {missing}"
    rendered = sum(counts[i]["rendered"] for i in expected)
    assert rendered == len(expected), (rendered, len(expected))
    not_exercises = [ex_id for i, ex_id in expected.items() if counts[i]["exercises"] != 1]
    assert not not_exercises, f"widgets rendered without the exercise container (.techlead-ex): {not_exercises}"
    stray = [c for c in counts if c["widget_outputs"] != c["rendered"]]
    assert not stray, f"widget outputs that did not render: {stray}"


def test_the_checks_catch_a_broken_lesson(lab):
    """The harness is not vacuous: a cell that raises is reported, and a show() cell that never ran is
    counted as a missing widget (checked on a throwaway notebook in the server's course copy)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.cells = [nbformat.v4.new_code_cell("from exercises import show"),
                nbformat.v4.new_code_cell("raise RuntimeError('lesson bug')"),
                nbformat.v4.new_code_cell('show("no-such-bank/no-such-exercise")')]
    rel = "notebooks/zz_broken_probe.ipynb"
    path = lab.server.root / rel
    nbformat.write(nb, path)
    try:
        lab.open(rel)
        lab.run_all(timeout=60_000)
        problems = lab.problems()
        counts = lab.widget_counts()
        expected = show_cells(path)
    finally:
        lab.shutdown_kernel(rel)
        path.unlink()
    assert expected == {2: "no-such-bank/no-such-exercise"}
    assert any("lesson bug" in e for e in problems.errors), problems
    assert counts[2]["rendered"] == 0, "a show() cell after the failure was counted as rendered"
