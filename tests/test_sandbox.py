"""The grading sandbox with honest submissions: same grades as without it, and it never fails open.

Real nbgrader on temporary courses: the ``nbgrader autograde`` command line (serial) and the course's
parallel grader (``make grade``), each with the sandbox (the course's default) and without it
(``TECHLEAD_UNSANDBOXED_GRADING=1``).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nbgrader_helpers import (cell_by_id, delete_cell, env, gradebook_scores, meta,
                              put_submission, record_answers, release_nb, set_answer,
                              solved, source_nb, widget_keys)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(3600),
              pytest.mark.skipif(sys.platform != "linux", reason="the grading sandbox is Linux-only")]

OPT_OUT = "TECHLEAD_UNSANDBOXED_GRADING"
TIMEOUT = 20


def _partial(aid):
    """The solution with its first code answer undone (back to the release's template)."""
    nb = solved(aid)
    first = next(c for c in release_nb(aid).cells if c.cell_type == "code" and meta(c).get("solution"))
    return set_answer(nb, meta(first)["grade_id"], first.source)


def _widget_grade_ids(aid):
    return [meta(c)["grade_id"] for c in source_nb(aid).cells
            if meta(c).get("grade") and "grade_answer(" in c.source]


def _class(course: Path, aid: str) -> None:
    keys = widget_keys(source_nb(aid))
    folders = {
        "solution": put_submission(course, "solution", aid, solved(aid)),
        "partial": put_submission(course, "partial", aid, _partial(aid)),
        "blank": put_submission(course, "blank", aid, release_nb(aid)),
    }
    # The solution with a widget question's show(...) cell and grade cell both deleted (nbgrader's own
    # restore fails there: the cell before the grade cell is gone too), a code test cell deleted, and
    # a grade cell's points edited.
    edited = solved(aid)
    widget_grade = _widget_grade_ids(aid)[0]
    delete_cell(edited, widget_grade.replace("-grade", "-widget"))
    delete_cell(edited, widget_grade)
    code_tests = [meta(c)["grade_id"] for c in release_nb(aid).cells
                  if meta(c).get("grade") and c.cell_type == "code" and "grade_answer(" not in c.source
                  and "recorded" not in c.source]
    delete_cell(edited, code_tests[0])
    cell_by_id(edited, code_tests[-1]).metadata["nbgrader"]["points"] = 100
    folders["edited"] = put_submission(course, "edited", aid, edited)
    half = dict(list(keys.items())[: len(keys) // 2])
    record_answers({folders["solution"]: keys, folders["partial"]: half, folders["edited"]: keys})


def _grade(course: Path, aid: str, mode: str, sandbox: bool, judged: bool = True) -> dict:
    extra = {} if sandbox else {OPT_OUT: "1"}
    if mode == "serial":
        proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", aid,
                               f"--Execute.timeout={TIMEOUT}",
                               *([] if judged else ["--SandboxedExecute.judge_code_tests=False"])], cwd=course,
                              env=env(course / "exchange", **extra), capture_output=True, text=True,
                              timeout=3600)
    else:
        proc = subprocess.run([sys.executable, "-m", "course_tools.parallel_grade", aid, "--course-dir",
                               str(course), "--jobs", "3", "--timeout", str(TIMEOUT)], cwd=course,
                              env=env(course / "exchange", **extra), capture_output=True, text=True,
                              timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    if mode == "serial":
        assert ("Grading WITHOUT the sandbox" in log) == (not sandbox)
    # no kernel noise per submission in the instructor's terminal (course_tools/sandbox.sandbox_env)
    assert "Ctrl-C will not work" not in log, log[-3000:]
    return {s: v["cells"] for s, v in gradebook_scores(course, aid).items()}


@pytest.fixture(scope="module", params=["a2-team-vs-tech", "a5-data-driven"])
def four_ways(request, tmp_path_factory, generated_course):
    """One class graded four ways: serial and parallel, with and without the sandbox; and a fifth,
    serial in the sandbox with the code tests run in the kernel (nbgrader's way) instead of judged in
    the grader (course_tools/judge.py)."""
    aid = request.param
    root = tmp_path_factory.mktemp(f"sandbox-{aid}")
    base = generated_course(root / "base", aid)
    _class(base, aid)
    out = {}
    for mode in ("serial", "parallel"):
        for sandbox in (True, False):
            course = shutil.copytree(base, root / f"{mode}-{sandbox}")
            out[(mode, sandbox)] = _grade(course, aid, mode, sandbox)
    course = shutil.copytree(base, root / "serial-in-kernel")
    out["in-kernel"] = _grade(course, aid, "serial", True, judged=False)
    return aid, out


def test_honest_grades_are_identical_with_and_without_the_sandbox(four_ways):
    """Does every honest submission get exactly the same score in every cell, with and without the
    sandbox, serial and parallel, and with the code tests judged in the grader or run in the kernel?"""
    aid, out = four_ways
    reference = out[("serial", False)]
    assert set(reference) == {"solution", "partial", "blank", "edited"}
    for key, cells in out.items():
        assert cells == reference, f"{key} differs from unsandboxed serial grading"


def test_honest_grades_are_what_the_answers_earn(four_ways):
    """Does the solution earn every autograded point, the blank release none, the partial one less
    than the solution, and the edited solution (cells deleted, points changed) the solution's score?"""
    aid, out = four_ways
    cells = out[("serial", True)]
    total = lambda s: sum(v or 0 for v in cells[s].values())  # noqa: E731
    auto = sum(float(meta(c)["points"]) for c in source_nb(aid).cells
               if meta(c).get("grade") and c.cell_type == "code")
    assert total("solution") == pytest.approx(auto)
    assert total("blank") == 0
    assert 0 < total("partial") < total("solution")
    assert cells["edited"] == cells["solution"]


def test_grading_stops_with_a_clear_message_when_the_sandbox_cannot_start(tmp_path, generated_course):
    """Without bwrap on PATH, is nothing graded, with a message saying why and how to opt out, and
    does the explicit opt-out then grade?"""
    aid = "a2-team-vs-tech"
    course = generated_course(tmp_path / "course", aid)
    put_submission(course, "solution", aid, solved(aid))
    bare = env(tmp_path / "exchange")
    bare["PATH"] = str(Path(sys.executable).parent)  # the venv only: no bwrap, no prlimit
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", aid], cwd=course, env=bare,
                          capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "The grading sandbox cannot start" in log and "bubblewrap" in log
    assert OPT_OUT in log
    assert not (course / "autograded" / "solution" / aid / f"{aid}.ipynb").exists()
    bare[OPT_OUT] = "1"
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", aid], cwd=course, env=bare,
                          capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert "Grading WITHOUT the sandbox" in log
    assert (course / "autograded" / "solution" / aid / f"{aid}.ipynb").exists()
