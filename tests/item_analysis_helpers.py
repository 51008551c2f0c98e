"""A synthetic class of 30 learners for the item-analysis tests, graded by real nbgrader.

Each learner ``s00`` … ``s29`` has an ability rank ``i`` (higher = stronger) and answers assignment
a2-team-vs-tech by a fixed pattern, so the tests know in advance what the analysis must find:

=========================  ====================================================================  ========
item                       pattern                                                                mean
=========================  ====================================================================  ========
duties-tests (4 pts)       ``2 + 6*i//29`` of the 8 duties right (half a point each)              (known)
signals-tests-shape        everyone passes (a zero-variance item: discrimination NaN)              1.0
signals-tests-technical    right for ``i >= 9`` (70%)                                             0.7
signals-tests-team         right only for the top 10% (``i >= 27``): the HARDEST item and a       0.1
                           sharp discriminator
q-whose-call (widget)      right for even ``i`` (unrelated to ability): the RANDOM item;           0.5
                           of the 15 wrong answers 9 pick "d" (60%), 3 "a", 3 "c"
q-team-signals (widget)    right for ``i >= 15``; wrong (each scores 0 by the many-choice rule):   0.5
                           10 × every option ticked, 5 × ["a","d"] (only wrong options)
q-sort-decisions (widget)  all 5 right for ``i >= 22``; 11..21 roadmap→both (the planted mistake:    (known)
                           3/4 by the classify rule); below 11 also stuck-pattern→both (1/2)
q-tlm-risk (widget)        right except ``i`` in {0, 1} who pick "a"                              0.933
cover-task (manual)        hand-graded in the gradebook: ``round(8*i/29)/2`` of 4                 (known)
migration-standoff-task    left ungraded (NaN, "not graded yet")                                   —
=========================  ====================================================================  ========

Submissions are made the way a learner makes them: the release notebook with answers typed in, and
``responses.json`` recorded by driving the real graded-mode widgets (one subprocess for the class). Two
learners deleted a test cell and two left an endless loop (see ``DELETED_TEST``, ``ENDLESS_LOOP``): their
scores still follow the table. The class is graded by serial nbgrader and by
``course_tools.parallel_grade.grade_class`` (real nbgrader autograde) with 2 workers, once per test
session, for the item-analysis and the parallel-grading tests alike (``build_class``).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from nbgrader_helpers import (cell_by_id, delete_cell, nbgrader, put_submission, record_answers,
                              set_answer, solved)

AID = "a2-team-vs-tech"
N = 30
Q = f"{AID}/"  # question id prefix (bank = assignment id)

DUTY_ORDER = ["weekly-one-on-ones", "message-broker", "split-order", "on-call-dispute",
              "performance-reviews", "review-standards", "incident-review", "next-hire"]
_FLIP = {"team": "technical", "technical": "team", "both": "team"}

TECHNICAL_ONLY = '''
def classify_signal(metric_name, trend):
    """Sees the delivery and pipeline metrics but never the people ones."""
    if trend == "down" and metric_name == "deploy_frequency":
        return "both"
    if trend == "down" and metric_name == "pipeline_pass_rate":
        return "technical"
    if trend == "up" and metric_name in {"lead_time_hours", "change_failure_rate", "time_to_restore_hours"}:
        return "both"
    if trend == "up" and metric_name == "build_minutes":
        return "technical"
    return "none"
'''
NOBODY_ACTS = '''
def classify_signal(metric_name, trend):
    return "none"
'''

def _source_keys() -> dict:
    from nbgrader_helpers import source_nb, widget_keys
    return widget_keys(source_nb(AID))


KEYS = _source_keys()  # the instructor's keys, read from the source notebook's grade_answer calls
SORT_KEY = KEYS[Q + "q-sort-decisions"]
SIGNALS_KEY = KEYS[Q + "q-team-signals"]


def duties_right(i: int) -> int:
    return 2 + (6 * i) // (N - 1)


def signals_level(i: int) -> str:
    return "full" if i >= N - N // 10 else "technical-only" if i >= round(0.3 * N) else "nobody"


def whose_call(i: int) -> str:
    if i % 2 == 0:
        return "b"
    k = (i - 1) // 2  # position among the odd learners
    return {0: "d", 1: "d", 2: "d", 3: "a", 4: "c"}[k % 5]


def team_signals(i: int) -> list[str]:
    if i >= N // 2:
        return sorted(SIGNALS_KEY)
    return ["a", "d"] if i % 3 == 2 else ["a", "b", "c", "d", "e"]  # both score 0


def sort_decisions(i: int) -> dict[str, str]:
    answer = dict(SORT_KEY)
    if i < 22:
        answer["roadmap-with-sofia"] = "both"
    if i < 11:
        answer["stuck-pattern"] = "both"
    return answer


def tlm_risk(i: int) -> str:
    return "a" if i in (0, 1) else "c"


def cover_score(i: int) -> float:
    return round(8 * i / (N - 1)) / 2


def widget_answers_for(i: int) -> dict[str, object]:
    return {Q + "q-whose-call": whose_call(i), Q + "q-team-signals": team_signals(i),
            Q + "q-sort-decisions": sort_decisions(i), Q + "q-tlm-risk": tlm_risk(i)}


def expected_fraction(item: str, i: int) -> float:
    """What nbgrader must give learner ``i`` on ``item``, as a fraction of its points."""
    level = signals_level(i)
    return {
        "duties-tests": duties_right(i) / 8,
        "signals-tests-shape": 1.0,
        "signals-tests-technical": float(level != "nobody"),
        "signals-tests-team": float(level == "full"),
        "q-whose-call-grade": float(whose_call(i) == "b"),
        # the course's rules, worked by hand (exercises/scoring.py; INSTRUCTORS.md has the table):
        # many-choice key b,c,e of five: b,c,e -> 1; a,d (only wrong) -> 0 - 2/2 -> 0; all five -> 1 - 1 = 0
        "q-team-signals-grade": {("b", "c", "e"): 1.0, ("a", "d"): 0.0, ("a", "b", "c", "d", "e"): 0.0}[
            tuple(team_signals(i))],
        # classify, per category then averaged: roadmap->both: technical 1/2 - 0, team 1, both 1 - 1/4
        # -> 3/4; also stuck->both: technical 1/2, team 1/2, both 1 - 2/4 -> 1/2
        "q-sort-decisions-grade": 1.0 if i >= 22 else 0.75 if i >= 11 else 0.5,
        "q-tlm-risk-grade": float(tlm_risk(i) == "c"),
        "cover-task": cover_score(i) / 4,
    }[item]


def expected_means() -> dict[str, float]:
    items = ["duties-tests", "signals-tests-shape", "signals-tests-technical", "signals-tests-team",
             "q-whose-call-grade", "q-team-signals-grade", "q-sort-decisions-grade", "q-tlm-risk-grade",
             "cover-task"]
    return {it: sum(expected_fraction(it, i) for i in range(N)) / N for it in items}


def student(i: int) -> str:
    return f"s{i:02d}"


def notebook_for(i: int):
    nb = solved(AID)
    answer = {}
    exec(compile(cell_by_id(nb, "duties-answer").source, "duties", "exec"), answer)  # the instructor's key
    duties = dict(answer["atlas_duties"])
    for k in DUTY_ORDER[duties_right(i):]:
        duties[k] = _FLIP[duties[k]]
    set_answer(nb, "duties-answer", "atlas_duties = " + repr(duties))
    level = signals_level(i)
    if level == "technical-only":
        set_answer(nb, "signals-answer", TECHNICAL_ONLY)
    elif level == "nobody":
        set_answer(nb, "signals-answer", NOBODY_ACTS)
    return nb


# Learners whose submissions are also awkward in ways that leave their scores as the table says, so the
# parallel-grading tests (tests/test_parallel_grade.py) can share this class: a deleted test cell (put
# back and graded by autograde) and an endless loop after a correct definition (interrupted at the cell
# timeout; the function was defined before it, so the tests that use it score as the pattern says).
DELETED_TEST = (3, 17)
# Two loops learners leave: one that spins, one that waits for a condition that never comes true (it
# costs the test machine no CPU while it runs out the clock; both end the same way, interrupted).
ENDLESS_LOOP = {
    7: "\n\nwhile True:  # the learner left a loop running\n    pass",
    23: "\n\nimport time\nready = False\nwhile not ready:  # waits for something that never happens\n"
        "    time.sleep(0.2)",
}
CELL_TIMEOUT = 5  # seconds per cell at autograde, so the endless loops end quickly


def traits(i: int) -> set[tuple[str, object]]:
    """What learner ``i``'s submission is made of: one value per answer pattern, and its awkwardness."""
    return {("duties right", duties_right(i)), ("signals", signals_level(i)), ("whose call", whose_call(i)),
            ("team signals", tuple(team_signals(i))), ("sort", tuple(sorted(sort_decisions(i).items()))),
            ("tlm risk", tlm_risk(i)), ("deleted test", i in DELETED_TEST), ("endless loop", i in ENDLESS_LOOP)}


def covering_students() -> list[str]:
    """The fewest learners (chosen greedily, always the same) whose submissions hold every value of every
    pattern in the table above and both kinds of awkward submission: what a second grading of the class
    needs in order to meet everything the first one did (7 of the 30)."""
    needed = set().union(*(traits(i) for i in range(N)))
    chosen = []
    while needed:
        best = max(range(N), key=lambda i: (len(traits(i) & needed), -i))
        chosen.append(best)
        needed -= traits(best)
    return [student(i) for i in sorted(chosen)]


def submission_for(i: int):
    nb = notebook_for(i)
    if i in DELETED_TEST:
        delete_cell(nb, "duties-tests")
    if i in ENDLESS_LOOP:
        cell = cell_by_id(nb, "signals-answer")
        cell.source = cell.source.rstrip("\n") + ENDLESS_LOOP[i]
    return nb


def build_class(base: Path, generated_course, jobs: int = 2) -> dict:
    """The class, submitted and graded twice: by serial ``nbgrader autograde`` (the reference) and by
    ``course_tools.parallel_grade`` with ``jobs`` workers. Returns the folders (the ungraded course, the
    serial and the parallel copy), nbgrader's serial cell scores and the timings. Tests copy, never change,
    these folders: one session fixture (tests/conftest.py, ``graded_cohort``) serves both modules.
    ``generated_course``: the session's fixture of that name (a copy of a course nbgrader generated)."""
    import shutil

    from course_tools import parallel_grade as pg

    timings = {}
    t0 = time.monotonic()
    course = generated_course(base / "course", AID)
    timings["generate"] = time.monotonic() - t0

    t = time.monotonic()
    folders = {}
    for i in range(N):
        folders[put_submission(course, student(i), AID, submission_for(i))] = widget_answers_for(i)
    record_answers(folders)  # one process drives the real widgets for the whole class
    timings["submissions"] = time.monotonic() - t

    t = time.monotonic()
    serial = shutil.copytree(course, base / "serial")
    nbgrader(serial, "autograde", AID, f"--Execute.timeout={CELL_TIMEOUT}", timeout=1800)
    timings["serial autograde"] = time.monotonic() - t

    t = time.monotonic()
    parallel = shutil.copytree(course, base / f"parallel-{jobs}")
    with open(os.devnull, "w") as quiet:
        outcomes = pg.grade_class(parallel, AID, jobs=jobs, overrides={"Execute.timeout": CELL_TIMEOUT},
                                  progress_stream=quiet)
    timings[f"parallel autograde ({jobs} workers)"] = time.monotonic() - t
    timings["total"] = time.monotonic() - t0
    return {"base": base, "course": course, "serial_dir": serial, "parallel_dir": parallel, "jobs": jobs,
            "parallel_outcomes": outcomes, "serial": pg.cell_scores(pg.load_config(serial), AID),
            "serial_seconds": timings["serial autograde"], "timings": timings}


def hand_grade(course: Path) -> None:
    """The instructor hand-grades C1 for everyone and has not started C2."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "techlead") as gb:
        for i in range(N):
            grade = gb.find_grade("cover-task", AID, AID, student(i))
            grade.manual_score = cover_score(i)
            grade.needs_manual_grade = False
        gb.db.commit()
