"""Parallel autograding (course_tools.parallel_grade): nbgrader's grades, on every core, never lost.

The class is the item-analysis class (tests/item_analysis_helpers.py), shared through the session fixture
``graded_cohort`` (tests/conftest.py): 30 real submissions of assignment a2 answered by known patterns
(right, wrong and partly right, two with a deleted test cell, two with an endless loop), graded once by
serial `nbgrader autograde` and once by the parallel command with 2 workers: every student's every cell
must score as serial nbgrader does. With 1 and 4 workers the same is checked on the 7 learners who
between them hold every answer pattern of the class and both kinds of awkward submission
(``covering_students``): grading the other 23 again would meet nothing new, and those two runs of the
whole class took 206 s of one test worker's time. Workers are then killed mid-run, and a submission nbgrader cannot read must be
reported with its real error.
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

import nbformat
import pytest

import item_analysis_helpers as cohort_h
from course_tools import parallel_grade as pg
from nbgrader_helpers import meta, source_nb

# The shared class takes minutes to build and grade; pytest-timeout counts that against the first test.
pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(2400)]
AID = cohort_h.AID
TIMEOUT = cohort_h.CELL_TIMEOUT  # seconds per cell, so the endless loops end quickly
N_STUDENTS = cohort_h.N
AUTOGRADED_ITEMS = ["duties-tests", "signals-tests-shape", "signals-tests-technical", "signals-tests-team",
                    "q-whose-call-grade", "q-team-signals-grade", "q-sort-decisions-grade", "q-tlm-risk-grade"]


@pytest.fixture(scope="module")
def graded_class(graded_cohort):
    """The shared class: the ungraded course, and serial nbgrader's cell scores to compare against."""
    return graded_cohort


def fresh_copy(graded_class, name: str) -> Path:
    return shutil.copytree(graded_class["course"], graded_class["base"] / name)


def test_the_class_has_every_kind_of_submission(graded_class):
    """Does serial nbgrader give every learner, in every autograded cell, the score the class was built
    to earn (a spread from low to full), including the learners who deleted a test cell (put back and
    graded) and those whose endless loop was interrupted (the rest of their notebook graded)?"""
    scores: dict[str, dict[str, float]] = {}
    for (student, _nb, cell), score in graded_class["serial"].items():
        scores.setdefault(student, {})[cell] = score or 0
    assert len(scores) == N_STUDENTS
    points = {meta(c)["grade_id"]: float(meta(c)["points"]) for c in source_nb(AID).cells if meta(c).get("grade")}
    for i in range(N_STUDENTS):
        cells = scores[cohort_h.student(i)]
        for item in AUTOGRADED_ITEMS:
            assert cells[item] == pytest.approx(cohort_h.expected_fraction(item, i) * points[item]), (i, item)
    totals = {s: sum(c.values()) for s, c in scores.items()}
    assert max(totals.values()) - min(totals.values()) >= 10  # from weak to strong
    for i in cohort_h.ENDLESS_LOOP:
        nb = nbformat.read(graded_class["serial_dir"] / "autograded" / cohort_h.student(i) / AID / f"{AID}.ipynb",
                           as_version=4)
        cell = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "signals-answer")
        assert any(o.output_type == "error" for o in cell.outputs), i  # the loop was interrupted
    for i in cohort_h.DELETED_TEST:
        nb = nbformat.read(graded_class["serial_dir"] / "autograded" / cohort_h.student(i) / AID / f"{AID}.ipynb",
                           as_version=4)
        restored = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "duties-tests")
        assert "was missing from the submission" in restored.source, i


PARALLEL_RUNS: dict[int, Path] = {}


def test_the_covering_learners_hold_every_pattern_of_the_class():
    """Do the learners the 1- and 4-worker runs grade hold every value of every answer pattern, a
    deleted test cell and an endless loop, and are they always the same few?"""
    chosen = cohort_h.covering_students()
    assert chosen == cohort_h.covering_students() and len(chosen) < N_STUDENTS // 3
    traits = set().union(*(cohort_h.traits(int(s[1:])) for s in chosen))
    assert traits == set().union(*(cohort_h.traits(i) for i in range(N_STUDENTS)))
    assert ("deleted test", True) in traits and ("endless loop", True) in traits


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_parallel_scores_equal_serial_nbgrader(graded_class, jobs):
    """With 1, 2 or 4 workers, does every student graded get nbgrader's serial score in every cell
    (the whole class with 2 workers; with 1 and 4, the learners who hold every pattern of it)?"""
    if jobs == graded_class["jobs"]:  # the shared class was graded so already: check that run
        course, outcomes = graded_class["parallel_dir"], graded_class["parallel_outcomes"]
        seconds = graded_class["timings"][f"parallel autograde ({jobs} workers)"]
        students = sorted(cohort_h.student(i) for i in range(N_STUDENTS))
    else:
        course = fresh_copy(graded_class, f"parallel-{jobs}")
        students = cohort_h.covering_students()
        started = time.monotonic()
        outcomes = pg.grade_class(course, AID, jobs=jobs, students=students,
                                  overrides={"Execute.timeout": TIMEOUT}, progress_stream=open(os.devnull, "w"))
        seconds = time.monotonic() - started
    print(f"\n{jobs} worker(s), {len(students)} students: {seconds:.1f} s "
          f"(serial nbgrader, {N_STUDENTS} students: {graded_class['serial_seconds']:.1f} s)")
    assert sorted(outcomes) == students
    assert {o.status for o in outcomes.values()} == {"graded"}, pg.summary_table(outcomes)
    assert pg.cell_scores(pg.load_config(course), AID) == {
        key: score for key, score in graded_class["serial"].items() if key[0] in students}
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
    if 2 not in PARALLEL_RUNS:
        pytest.skip("needs the 2-worker run above")
    course = shutil.copytree(PARALLEL_RUNS[2], graded_class["base"] / "cli-run")
    shutil.rmtree(course / "autograded" / "s10")
    proc = _cli(course, "--jobs", "2")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    assert "1/1 graded, 0 failed" in out
    assert f"1 graded, {N_STUDENTS - 1} already graded (skipped), 0 failed, {N_STUDENTS} students" in out


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


def test_a_failed_submission_shows_its_real_error_a_full_log_and_no_stale_score(graded_class):
    """When a graded learner resubmits a notebook nbgrader cannot read, does their row say failed with
    the real error (not nbgrader's "see the traceback above"), show no score although the gradebook
    still holds the old one, keep the full log of both attempts, and regrade cleanly once fixed?"""
    course = fresh_copy(graded_class, "failure")
    quiet = open(os.devnull, "w")
    first = pg.grade_class(course, AID, jobs=1, students=["s05"], overrides={"Execute.timeout": TIMEOUT},
                           progress_stream=quiet)
    assert first["s05"].status == "graded" and first["s05"].score is not None
    old_score = first["s05"].score

    folder = course / "submitted" / "s05" / AID
    notebook = folder / f"{AID}.ipynb"
    good = notebook.read_text(encoding="utf-8")
    notebook.write_text("{not json", encoding="utf-8")           # a resubmission that is not a notebook
    (folder / "timestamp.txt").write_text("2025-03-02 09:00:00.000000 UTC")
    proc = _cli(course, "--jobs", "1", "--student", "s05")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1, out
    row = next(line for line in out.splitlines() if line.startswith("s05 "))
    assert re.match(r"^s05\s+failed\s+\d+\.\d\s+nbformat\.reader\.NotJSONError: Notebook does not appear "
                    r"to be JSON: '\{not json'$", row), row  # no score column filled in
    assert "Please see the" not in row and "There was an error" not in row
    log = pg.log_path(course, AID, "s05")
    assert f"s05: {log}" in out and "0 graded, 0 already graded (skipped), 1 failed, 1 students" in out
    text = log.read_text(encoding="utf-8")
    assert "=== attempt 1" in text and "=== attempt 2" in text          # every attempt, in full
    assert text.count("Traceback (most recent call last)") >= 4 and "json.decoder.JSONDecodeError" in text
    assert "s05" not in pg.read_ledger(course, AID)                      # never skipped as done
    # the gradebook still has the first run's total: the table must not have shown it
    assert pg.graded_in_gradebook(pg.load_config(course), AID)["s05"] == old_score

    again = pg.grade_class(course, AID, jobs=1, students=["s05"], progress_stream=quiet)
    assert again["s05"].status == "failed" and again["s05"].score is None
    assert again["s05"].error.startswith("nbformat.reader.NotJSONError") and again["s05"].log == log

    notebook.write_text(good, encoding="utf-8")                          # the learner fixes it
    fixed = pg.grade_class(course, AID, jobs=1, students=["s05"], overrides={"Execute.timeout": TIMEOUT},
                           progress_stream=quiet)
    assert fixed["s05"].status == "graded" and fixed["s05"].score == old_score
    assert not log.exists()                                              # no stale log either


def test_the_real_error_is_found_in_nbgraders_output():
    """Is the telling line picked out of nbgrader's output: the learner's exception, not the wrap-up?"""
    log = ("[INFO] Converting notebook x.ipynb\n"
           "[ERROR] There was an error processing assignment: /c/submitted/s1/a1\n"
           "[ERROR] Traceback (most recent call last):\n    File \"x.py\", line 1\n"
           "    KeyError: 'signals-tests'\n"
           "[ERROR] There was an error processing assignment 'a1' for student 's1'\n"
           "[ERROR] Please see the the above traceback for details on the specific errors.\n"
           "Traceback (most recent call last):\n  File \"utils.py\", line 542, in capture_log\n"
           "nbgrader.converters.base.NbGraderException: Please see the the above traceback for details.\n")
    assert pg.real_error(log) == "KeyError: 'signals-tests'"
    assert pg.real_error("[ERROR] No notebooks were found for a1\n[ERROR] Please see the log") == \
        "No notebooks were found for a1"
    assert pg.real_error("just one line") == "just one line" and pg.real_error("") == ""
