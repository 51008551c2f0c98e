"""Grading nobody can cheat: adversarial submissions through the real nbgrader, in the sandbox.

For every assignment, a blank release and a set of attacks (tests/adversarial_helpers.py) are graded
together the way ``make grade`` does (``python -m course_tools.parallel_grade``); for one assignment
the same attacks go through the ``nbgrader autograde`` command line. Each attack must score no more
than the blank release, and nothing outside the submission may change: not ``source/``, not
``release/``, not another learner's submission, not a folder outside the course, not the gradebook
beyond what grading itself writes. Every submission must be graded (the batch always finishes).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nbformat.v4 import new_code_cell

from adversarial_helpers import (ATTACKS, FORGED_RESULTS, REWRITTEN_TESTS, SECRET_ENV, SECRET_VALUE,
                                 SILENCED_RESULTS, attack, outputs_text, tree_digest)
from nbgrader_helpers import (ASSIGNMENTS, env, gradebook_scores, meta, nbgrader,
                              put_submission, read_nb, release_nb)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(3600),
              pytest.mark.skipif(sys.platform != "linux", reason="the grading sandbox is Linux-only")]

TIMEOUT = 10  # seconds per cell: the endless loops and floods cost little
LONG_OUTPUT_WAIT = 900  # s: nbclient's wait for a cell's last output, in the command-line run
UNCHANGED = ("source", "release", "submitted", "nbgrader_config.py")


def _build(root: Path, aid: str, kinds, generated_course) -> dict:
    course = generated_course(root / "course", aid)
    outside = root / "outside"
    outside.mkdir()
    (outside / "home-file.txt").write_text("a file in someone's home folder")
    exchange = root / "exchange"
    put_submission(course, "blank", aid, release_nb(aid))
    other = put_submission(course, "other", aid, release_nb(aid))
    (other / "notes.txt").write_text("another learner's private notes")
    for kind in kinds:
        put_submission(course, kind, aid, attack(aid, kind, course, outside))
    return {"course": course, "outside": outside, "exchange": exchange, "aid": aid,
            "before": tree_digest(course, skip=("gradebook.db",)),
            "outside_before": tree_digest(outside)}


def _finish(built: dict, log: str) -> dict:
    course, aid = built["course"], built["aid"]
    built["log"] = log
    built["scores"] = gradebook_scores(course, aid)
    built["after"] = tree_digest(course)
    built["outside_after"] = tree_digest(built["outside"])
    return built


def _grade_parallel(built: dict) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "course_tools.parallel_grade", built["aid"], "--course-dir",
         str(built["course"]), "--jobs", "3", "--timeout", str(TIMEOUT)],
        cwd=built["course"], env=env(built["exchange"], **{SECRET_ENV: SECRET_VALUE}),
        capture_output=True, text=True, timeout=3600)
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory, generated_course):
    """One assignment: the blank release, another learner and every attack, graded by make grade."""
    built = _build(tmp_path_factory.mktemp(f"adv-{request.param}"), request.param, ATTACKS, generated_course)
    return _finish(built, _grade_parallel(built))


@pytest.fixture(scope="module")
def graded_cli(tmp_path_factory, generated_course):
    """a2 through the nbgrader command line, with the attacks that reach outside the submission."""
    aid = "a2-team-vs-tech"
    kinds = ["read-key", "write-gradebook", "other-learner", "redefined-helpers", "kill-kernel",
             "stubborn-loop"]
    built = _build(tmp_path_factory.mktemp("adv-cli"), aid, kinds, generated_course)
    old = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = SECRET_VALUE
    start = time.monotonic()
    try:
        # A long wait for a cell's last output (nbclient's iopub_timeout): a stuck kernel must be
        # stopped after the interrupt grace without waiting it out (see the test of that below).
        proc = nbgrader(built["course"], "autograde", aid, f"--Execute.timeout={TIMEOUT}",
                        f"--SandboxedExecute.iopub_timeout={LONG_OUTPUT_WAIT}",
                        exchange=built["exchange"], check=False, timeout=3600)
    finally:
        built["seconds"] = time.monotonic() - start
        if old is None:
            os.environ.pop(SECRET_ENV, None)
        else:
            os.environ[SECRET_ENV] = old
    built["kinds"] = kinds
    built["returncode"] = proc.returncode
    return _finish(built, proc.stdout + proc.stderr)


def autograded(built, student):
    aid = built["aid"]
    return read_nb(built["course"] / "autograded" / student / aid / f"{aid}.ipynb")


def _check_scores(built, kinds):
    scores = built["scores"]
    assert "blank" in scores, built["log"][-3000:]
    blank = scores["blank"]["auto"]
    missing = [k for k in kinds if k not in scores or not (built["course"] / "autograded" / k).is_dir()]
    assert not missing, f"not graded: {missing}\n{built['log'][-3000:]}"
    higher = {k: scores[k]["auto"] for k in kinds if scores[k]["auto"] > blank}
    assert not higher, f"attacks scoring more than the blank release ({blank}): {higher}"


def _check_nothing_outside_changed(built):
    before, after = built["before"], built["after"]
    changed = sorted(p for p in before if p.split("/")[0] in UNCHANGED and before[p] != after.get(p))
    added = sorted(p for p in after if p not in before and p.split("/")[0] in UNCHANGED)
    assert not changed and not added, f"changed: {changed}, added: {added}"
    assert built["outside_before"] == built["outside_after"], "a folder outside the course changed"
    assert "planted.txt" not in after


def test_every_attack_scores_no_more_than_the_blank_release(graded):
    """Does every attack on this assignment score at most what the blank release scores?"""
    _check_scores(graded, ATTACKS)


def test_attacks_change_nothing_outside_their_submission(graded):
    """Are source/, release/, the submissions and folders outside the course unchanged after grading?"""
    _check_nothing_outside_changed(graded)


def test_gradebook_is_intact_and_only_grading_wrote_it(graded):
    """Is the gradebook a sound sqlite file with no manual scores (which only the instructor gives)?"""
    con = sqlite3.connect(graded["course"] / "gradebook.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM grade WHERE manual_score IS NOT NULL").fetchone()[0] == 0
    finally:
        con.close()
    text = outputs_text(autograded(graded, "write-gradebook"))
    assert "GRADEBOOK WRITTEN" not in text and "GRADEBOOK CLOBBERED" not in text


def test_learner_code_cannot_read_keys_other_learners_or_secrets(graded):
    """Did the attacks find no answer key, no other learner's notes, no network and no grader secret?"""
    key_text = outputs_text(autograded(graded, "read-key"))
    assert "KEYS FOUND: 0" in key_text, key_text[-2000:]
    other_text = outputs_text(autograded(graded, "other-learner"))
    assert "another learner's private notes" not in other_text
    assert "a file in someone's home folder" not in other_text
    assert "WROTE" not in other_text and "NETWORK OPEN" not in other_text
    assert "no secret" in other_text and SECRET_ENV not in other_text


def test_limits_end_in_a_clear_message(graded):
    """Do a killed kernel, an output flood, a memory bomb, a fork bomb, a loop that ignores
    interrupts and a huge file each leave a message in the notebook that says what happened?"""
    expect = {
        "kill-kernel": "kernel stopped",
        "flood-output": "more than 1024 KB of output",
        "memory-bomb": "the notebook used more than 2 GB of memory",
        "fork-bomb": "tried to start another process",
        "stubborn-loop": "did not stop when interrupted",
        "big-file": "wrote a file larger than 64 MB",
    }
    for kind, message in expect.items():
        text = outputs_text(autograded(graded, kind))
        assert message in text, (kind, text[-1500:])
    size = (graded["course"] / "autograded" / "flood-output" / graded["aid"] /
            f"{graded['aid']}.ipynb").stat().st_size
    assert size < 4 * 2**20, f"the flooded notebook is {size} bytes"


def test_cli_attacks_score_no_more_than_blank_and_change_nothing(graded_cli):
    """Through `nbgrader autograde`: is every attack graded, scored at most the blank release,
    with nothing outside its submission changed and no key read?"""
    _check_scores(graded_cli, graded_cli["kinds"])
    _check_nothing_outside_changed(graded_cli)
    assert "KEYS FOUND: 0" in outputs_text(autograded(graded_cli, "read-key"))
    assert graded_cli["returncode"] == 0, graded_cli["log"][-3000:]


def test_a_kernel_that_ignores_the_interrupt_is_stopped_without_waiting_for_its_output(graded_cli):
    """Is a kernel whose code ignores the interrupt (or broke the kernel) stopped once the interrupt
    grace is over, rather than after nbclient's wait for the cell's last output, which a stuck kernel
    never sends? That wait is set to 900 s here: the whole class is graded in far less."""
    assert graded_cli["seconds"] < LONG_OUTPUT_WAIT / 2, graded_cli["seconds"]
    text = outputs_text(autograded(graded_cli, "stubborn-loop"))
    assert "did not stop when interrupted" in text and "not run: an earlier cell ran past" in text


def test_autograde_log_names_the_submissions_to_look_at(graded_cli):
    """Does `nbgrader autograde` warn about each attack's code (with the line and why), and about
    no honest submission?"""
    log = graded_cli["log"]
    for kind in ("read-key", "write-gradebook", "other-learner", "redefined-helpers", "kill-kernel"):
        assert f"Look at {kind}/{graded_cli['aid']}/" in log, (kind, log[-3000:])
    assert "replaces one of the course's grading helpers" in log
    assert "Look at blank/" not in log and "Look at other/" not in log


TRICKS = {"silenced": SILENCED_RESULTS, "rewritten": REWRITTEN_TESTS, "forged": FORGED_RESULTS}
# Keep the source of every cell the kernel is given (an input transformer), to print at the end.
SNOOP = """
_seen = []
def _keep(lines):
    _seen.append("".join(lines))
    return lines
get_ipython().input_transformers_cleanup.append(_keep)
"""


@pytest.fixture(scope="module")
def kernel_tricks(tmp_path_factory, generated_course):
    """a2 with the same valid but partly wrong code answers four times: honest, and with a kernel
    trick before every test cell (every result silenced, every test cell rewritten by an input
    transformer, every result shown as 1.0), graded by `nbgrader autograde` as configured (code
    tests judged in the grader) and, in a copy, with the tests run in the kernel as nbgrader does."""
    import shutil

    aid = "a2-team-vs-tech"
    root = tmp_path_factory.mktemp("adv-tricks")
    course = generated_course(root / "course", aid)
    exchange = root / "exchange"

    def submission(trick: str | None):
        nb = release_nb(aid)
        cells = []
        for cell in nb.cells:
            gid = meta(cell).get("grade_id")
            if gid == "duties-answer":   # every duty "team": 3 of 8 right
                cell.source = cell.source.replace("None", '"team"').replace("raise NotImplementedError()", "")
            if gid == "signals-answer":  # "team" for people metrics going up, else "none": some right
                cell.source = cell.source.replace(
                    "raise NotImplementedError()",
                    'return "team" if trend == "up" and metric_name in ("skipped_one_on_ones", '
                    '"regretted_leavers", "overtime_hours") else "none"')
            if trick and meta(cell).get("grade") and cell.cell_type == "code":
                cells.append(new_code_cell(TRICKS[trick]))
            cells.append(cell)
        nb.cells = cells
        return nb

    put_submission(course, "honest", aid, submission(None))
    for trick in TRICKS:
        put_submission(course, trick, aid, submission(trick))
    snooper = submission(None)
    snooper.cells[:0] = [new_code_cell(SNOOP)]
    snooper.cells.append(new_code_cell("print('SEEN:', repr(_seen))"))
    put_submission(course, "snooper", aid, snooper)
    in_kernel = shutil.copytree(course, root / "in-kernel")
    nbgrader(course, "autograde", aid, f"--Execute.timeout={TIMEOUT}", exchange=exchange, timeout=1800)
    nbgrader(in_kernel, "autograde", aid, f"--Execute.timeout={TIMEOUT}",
             "--SandboxedExecute.judge_code_tests=False", exchange=exchange, timeout=1800)
    code = [meta(c)["grade_id"] for c in release_nb(aid).cells
            if meta(c).get("grade") and c.cell_type == "code" and "recorded" not in c.source]
    seen = outputs_text(read_nb(course / "autograded" / "snooper" / aid / f"{aid}.ipynb"))
    return {"judged": gradebook_scores(course, aid), "in_kernel": gradebook_scores(in_kernel, aid), "code": code,
            "snooped": seen}


def test_kernel_tricks_cannot_change_the_verdict_of_code_tests(kernel_tricks):
    """With code tests judged in the grader, does a learner who silences results, rewrites test
    cells or forges results get exactly what the same answers earn honestly, cell by cell?"""
    judged, code = kernel_tricks["judged"], kernel_tricks["code"]
    honest = {gid: judged["honest"]["cells"][gid] for gid in code}
    assert 0 < sum(honest.values()) < sum(meta(c)["points"] for c in release_nb("a2-team-vs-tech").cells
                                           if meta(c).get("grade_id") in code), honest
    for trick in TRICKS:
        assert {gid: judged[trick]["cells"][gid] for gid in code} == honest, trick


def test_the_same_tricks_work_when_tests_run_in_the_kernel(kernel_tricks):
    """Is that the judge's doing? Run in the learner's kernel (nbgrader's way), the rewritten and
    forged tests earn more than the honest answers, and the guard against silenced results
    (course_tools/code_credit.py) is then what keeps a silenced partial-credit cell at 0."""
    in_kernel, code = kernel_tricks["in_kernel"], kernel_tricks["code"]
    honest = sum(in_kernel["honest"]["cells"][gid] for gid in code)
    assert honest == pytest.approx(sum(kernel_tricks["judged"]["honest"]["cells"][gid] for gid in code))
    for trick in ("rewritten", "forged"):
        assert sum(in_kernel[trick]["cells"][gid] for gid in code) > honest, (trick, in_kernel[trick])
    assert in_kernel["silenced"]["cells"]["duties-tests"] == 0, in_kernel["silenced"]


def test_the_kernel_never_sees_a_test_or_a_key(kernel_tricks):
    """Does learner code that records every cell the kernel is given see no hidden test, no expected
    value and no widget key at autograde (tests are judged in the grader, widget keys read there)?"""
    seen = kernel_tricks["snooped"]
    assert "SEEN:" in seen and "show_recorded(" in seen, seen[-2000:]   # it did record what ran
    for secret in ("BEGIN HIDDEN TESTS", "grade_answer(", "expected = ", "partial_credit(", "key="):
        assert secret not in seen, secret
