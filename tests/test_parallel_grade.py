"""Parallel autograding (course_tools.parallel_grade): nbgrader's grades, on every core, never lost.

A class of 40 real submissions of assignment a2 (right, wrong, partial, a deleted test cell, an endless
loop) is graded once by serial `nbgrader autograde` and then by the parallel command with 1, 2 and 4
workers; every student's every cell must score the same. Workers are then killed mid-run.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_tools import parallel_grade as pg
from nbgrader_helpers import (delete_cell, make_course, nbgrader, put_submission, record_answers,
                              release_nb, set_answer, solved, source_nb, widget_keys)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]
AID = "a2-team-vs-tech"
TIMEOUT = 3  # seconds per cell, so the endless loops end quickly
N_STUDENTS = 40


def wrong_answer(expected):
    """Something a learner might record that is not the key."""
    if isinstance(expected, str):
        return "a" if expected != "a" else "b"
    if isinstance(expected, list):
        return expected[:1] if len(expected) > 1 else ["a", "b"] if expected != ["a", "b"] else ["c"]
    if isinstance(expected, dict):
        flipped = dict(expected)
        first = next(iter(flipped))
        flipped[first] = "team" if flipped[first] != "team" else "technical"
        return flipped
    raise TypeError(expected)


def pattern(i: int) -> str:
    if i in (7, 23):
        return "endless-loop"
    return ("right", "wrong", "partial", "deleted-test")[i % 4]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A course with 40 collected submissions, plus the serial nbgrader result to compare against."""
    base = tmp_path_factory.mktemp("class")
    course = make_course(base / "course", [AID], release=True)
    nbgrader(course, "generate_assignment", AID, "--force")
    keys = widget_keys(source_nb(AID))
    answers = {}
    for i in range(N_STUDENTS):
        student = f"s{i:02d}"
        kind = pattern(i)
        if kind == "wrong":
            nb, widget_answers = release_nb(AID), {k: wrong_answer(v) for k, v in keys.items()}
        else:
            nb, widget_answers = solved(AID), dict(keys)
        if kind == "partial":
            first = next(iter(keys))
            widget_answers[first] = wrong_answer(keys[first])
            set_answer(nb, "signals-answer", 'def classify_signal(metric_name, trend):\n    return "technical"')
        elif kind == "deleted-test":
            delete_cell(nb, "duties-tests")
        elif kind == "endless-loop":
            set_answer(nb, "signals-answer", "while True:\n    pass")
        folder = put_submission(course, student, AID, nb)
        answers[folder] = widget_answers
    record_answers(answers)
    serial = shutil.copytree(course, base / "serial")
    started = time.monotonic()
    nbgrader(serial, "autograde", AID, f"--Execute.timeout={TIMEOUT}", timeout=900)
    serial_seconds = time.monotonic() - started
    cfg = pg.load_config(serial)
    return {"base": base, "course": course, "serial": pg.cell_scores(cfg, AID), "serial_seconds": serial_seconds}


def fresh_copy(graded_class, name: str) -> Path:
    return shutil.copytree(graded_class["course"], graded_class["base"] / name)


def test_the_class_has_every_kind_of_submission(graded_class):
    """Does serial nbgrader give the test class the spread we built (full, zero, partial marks)?"""
    scores = {}
    for (student, _nb, _cell), score in graded_class["serial"].items():
        scores[student] = scores.get(student, 0) + (score or 0)
    assert len(scores) == N_STUDENTS
    full = max(scores.values())
    assert scores["s00"] == full and scores["s01"] < scores["s02"] < full
    assert scores["s07"] < full  # the endless loop lost the points that depend on it, nothing more
    assert scores["s03"] == full  # the deleted test cell was put back and graded (add_missing_cells)


PARALLEL_RUNS: dict[int, Path] = {}


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_parallel_scores_equal_serial_nbgrader(graded_class, jobs):
    """With 1, 2 or 4 workers, does every student get nbgrader's serial score in every cell?"""
    course = fresh_copy(graded_class, f"parallel-{jobs}")
    started = time.monotonic()
    outcomes = pg.grade_class(course, AID, jobs=jobs, overrides={"Execute.timeout": TIMEOUT},
                              progress_stream=open(os.devnull, "w"))
    seconds = time.monotonic() - started
    print(f"\n{jobs} worker(s): {seconds:.1f} s (serial nbgrader: {graded_class['serial_seconds']:.1f} s)")
    assert {o.status for o in outcomes.values()} == {"graded"}, pg.summary_table(outcomes)
    assert pg.cell_scores(pg.load_config(course), AID) == graded_class["serial"]
    assert sorted(pg.read_ledger(course, AID)) == sorted(outcomes)
    PARALLEL_RUNS[jobs] = course


def test_rerun_grades_only_what_is_missing_unless_forced(graded_class):
    """After a complete run, does a re-run skip everyone, a resubmission or lost result regrade just
    those students, and --force regrade whoever it is asked to?"""
    if 2 not in PARALLEL_RUNS:
        pytest.skip("needs the 2-worker run above")
    course = shutil.copytree(PARALLEL_RUNS[2], graded_class["base"] / "rerun")
    quiet = open(os.devnull, "w")
    again = pg.grade_class(course, AID, jobs=2, progress_stream=quiet)
    assert {o.status for o in again.values()} == {"skipped"}
    (course / "submitted" / "s05" / AID / "timestamp.txt").write_text("2025-03-02 09:00:00.000000 UTC")
    shutil.rmtree(course / "autograded" / "s06")  # a half-deleted result is redone too
    third = pg.grade_class(course, AID, jobs=2, progress_stream=quiet)
    assert sorted(s for s, o in third.items() if o.status == "graded") == ["s05", "s06"]
    forced = pg.grade_class(course, AID, jobs=2, force=True, students=["s00", "s01", "s02"],
                            overrides={"Execute.timeout": TIMEOUT}, progress_stream=quiet)
    assert {o.status for o in forced.values()} == {"graded"}
    assert pg.cell_scores(pg.load_config(course), AID) == graded_class["serial"]


def _cli(course: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "course_tools.parallel_grade", AID, "--course-dir", str(course),
                             "--timeout", str(TIMEOUT), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _wait_for_ledger(course: Path, n: int, proc: subprocess.Popen, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if len(pg.read_ledger(course, AID)) >= n:
            return
        assert proc.poll() is None, proc.stdout.read()
        time.sleep(0.2)
    raise AssertionError("the run made no progress")


def _workers(pid: int) -> list[int]:
    """The grading workers of a run (not multiprocessing's resource tracker)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    workers = []
    for child in map(int, out.split()):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "spawn_main" in cmdline:
            workers.append(child)
    return workers


def test_killed_workers_and_an_interrupted_run_lose_no_grade(graded_class):
    """If a worker dies mid-student it is replaced; if the whole run is killed, the next run grades
    only the rest. Either way every grade ends up equal to serial nbgrader's."""
    course = fresh_copy(graded_class, "kill")
    proc = _cli(course, "--jobs", "2")
    try:
        _wait_for_ledger(course, 4, proc)
        workers = _workers(proc.pid)
        assert workers, "no worker processes found"
        os.kill(workers[-1], signal.SIGKILL)              # one worker dies mid-run
        _wait_for_ledger(course, 12, proc)                 # the run carries on without it ...
        os.killpg(proc.pid, signal.SIGKILL)                # ... until everything is killed
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    done_before = set(pg.read_ledger(course, AID))
    assert 12 <= len(done_before) < N_STUDENTS

    outcomes = pg.grade_class(course, AID, jobs=2, overrides={"Execute.timeout": TIMEOUT},
                              progress_stream=open(os.devnull, "w"))
    assert {s for s, o in outcomes.items() if o.status == "skipped"} == done_before
    assert {s for s, o in outcomes.items() if o.status == "graded"} == set(outcomes) - done_before
    assert pg.cell_scores(pg.load_config(course), AID) == graded_class["serial"]


def test_the_command_line_reports_progress_and_a_summary(graded_class):
    """Does `python -m course_tools.parallel_grade` show progress, end with the table, exit 0?"""
    if 4 not in PARALLEL_RUNS:
        pytest.skip("needs the 4-worker run above")
    course = shutil.copytree(PARALLEL_RUNS[4], graded_class["base"] / "cli-run")
    shutil.rmtree(course / "autograded" / "s10")
    proc = _cli(course, "--jobs", "2")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    assert "1/1 graded, 0 failed" in out
    assert "1 graded, 39 already graded (skipped), 0 failed, 40 students" in out


def test_summary_and_cli_report(graded_class, capsys):
    """Does the command end with a per-student table and counts, and fail clearly with no submissions?"""
    course = fresh_copy(graded_class, "cli")
    shutil.rmtree(course / "submitted")
    assert pg.main([AID, "--course-dir", str(course)]) == 1
    assert "No submissions" in capsys.readouterr().out
    table = pg.summary_table({"s1": pg.Outcome("s1", "graded", 1.5, 1, "", 20.0),
                              "s2": pg.Outcome("s2", "failed", 0.4, 3, "Traceback\nOSError: disk full")})
    assert re.search(r"^s1\s+graded\s+20\s+1\.5$", table, re.M) and "OSError: disk full" in table
    assert "1 graded, 0 already graded (skipped), 1 failed, 2 students" in table
    # A worker waits for its kernel part of the time, so one more worker than cores is the default.
    assert pg.default_jobs() == (os.cpu_count() or 1) + 1
