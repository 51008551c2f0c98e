"""Assignment a5-data-driven: its data travels with it, and its hidden tests recompute from that data.

The grading tests use one temporary course and one ``nbgrader autograde`` run for every pretend
student (then one ``generate_feedback`` run); the recompute tests run the instructor's notebook with
nbclient on an altered copy of the data.
"""
from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nbgrader_helpers import (
    ROOT, auto_points, cell_by_id, copy_data_files, data_files, env, execute_in, gradebook_scores, meta, nbgrader, put_submission, record_answers, release_nb, secret_lines, set_answer, solved,
    source_nb, widget_keys,
)

pytestmark = pytest.mark.nbgrader

AID = "a5-data-driven"
CSV_NAME = "team_metrics.csv"
CSV = ROOT / "exercises" / "data" / CSV_NAME
DORA = ["deployments", "lead_time_hours", "change_failure_rate", "time_to_restore_hours"]
# Part A cells whose hidden tests must recompute from the data (the stories key is a judgement).
DATA_CELLS = ["missing-tests", "fill-tests", "fill-tests-teams", "halves-tests",
              "halves-tests-deployments", "bad-week-tests-example", "bad-week-tests-edges"]


# ------------------------------------------------------------------------------ references
def ref_first_bad_week(frame: pd.DataFrame, team: str, column: str, factor: float):
    """An independent reading of the question, to know what the hidden tests should expect."""
    rows = frame[frame["team"] == team].sort_values("week")
    base = rows.loc[rows["week"] <= 8, column].dropna()
    line = factor * base.mean()
    bad = rows[(rows["week"] > 8) & rows[column].notna() & (rows[column] > line)]
    return None if bad.empty else int(bad["week"].iloc[0])


BAD_WEEK_CASES = {  # the real-data calls in each first_bad_week test cell
    "bad-week-tests-example": [("Atlas", "pr_review_wait_hours", 1.5), ("Beacon", "lead_time_hours", 1.3),
                               ("Beacon", "meeting_hours", 1.5), ("Cargo", "oncall_pages", 2),
                               ("Dock", "change_failure_rate", 2), ("Dock", "time_to_restore_hours", 2.5),
                               ("Atlas", "lead_time_hours", 1.4)],
    "bad-week-tests-edges": [("Dock", "change_failure_rate", 2), ("Atlas", "pr_review_wait_hours", 1.5),
                             ("Cargo", "oncall_pages", 1.8)],
}


def expected_numbers(frame: pd.DataFrame) -> dict[str, set[float]]:
    """For each data cell, the answers its hidden tests must arrive at (from ``frame``)."""
    counts = frame.isna().sum()
    half = frame["week"].gt(13).map({False: "early", True: "late"})
    means = frame.groupby(["team", half])[DORA].mean()
    out = {
        "missing-tests": {float(n) for n in counts[counts > 0]},
        "halves-tests": {float(v) for v in means[DORA[1:]].to_numpy().ravel()},
        "halves-tests-deployments": {float(v) for v in means["deployments"]},
    }
    for cell, cases in BAD_WEEK_CASES.items():
        out[cell] = {float(w) for w in (ref_first_bad_week(frame, *c) for c in cases) if w is not None}
    return out


def perturbed(frame: pd.DataFrame) -> pd.DataFrame:
    """The same teams and weeks with different numbers and gaps (Atlas's review wait, the visible
    example, is kept so the example in the question still holds)."""
    df = frame.copy()
    team, week = df["team"], df["week"]
    df["deployments"] = df["deployments"] + 1
    df.loc[(team == "Dock") & week.isin([3, 20]), "deployments"] = float("nan")
    df.loc[((team == "Atlas") & (week == 5)) | ((team == "Dock") & (week == 9)), "engagement_score"] = float("nan")
    df["lead_time_hours"] = (df["lead_time_hours"] + 8).round(1)
    df.loc[(team == "Dock") & week.isin([12, 13]), "change_failure_rate"] = 0.05
    df["time_to_restore_hours"] = (df["time_to_restore_hours"] * 1.1 + 0.5).round(1)
    df.loc[(team == "Cargo") & week.isin([12, 13]), "oncall_pages"] = 3
    df.loc[(team == "Beacon") & week.isin([11, 12]), "meeting_hours"] = 9.0
    return df


def execute(nb, folder: Path):
    """Run a notebook in ``folder`` as nbgrader would; return it with outputs (partial_credit
    shares turned into points by the grader's step, as at autograde)."""
    from course_tools.code_credit import ScaleCodeCredit

    nb = execute_in(nb, folder)
    ScaleCodeCredit().preprocess(nb, {})
    return nb


def cell_scores(nb) -> dict[str, float]:
    from nbgrader.utils import determine_grade

    return {meta(c)["grade_id"]: determine_grade(c)[0] for c in nb.cells
            if c.cell_type == "code" and meta(c).get("grade")}


def hidden_source(cell) -> str:
    return "\n".join(cell.source.split("### BEGIN HIDDEN TESTS", 1)[1]
                     .split("### END HIDDEN TESTS", 1)[0].splitlines())


# ------------------------------------------------------------------------------ the data
def test_csv_travels_with_the_assignment_unchanged():
    """Are source/ and release/ shipping an exact copy of exercises/data/team_metrics.csv, and nothing else?"""
    want = CSV.read_bytes()
    assert [p.name for p in data_files(AID)] == [CSV_NAME]
    assert (ROOT / "source" / AID / CSV_NAME).read_bytes() == want
    assert (ROOT / "release" / AID / CSV_NAME).read_bytes() == want
    assert sorted(p.name for p in (ROOT / "release" / AID).iterdir()) == [f"{AID}.ipynb", CSV_NAME]


def test_sync_step_restores_the_csv(tmp_path):
    """Does the sync step (make assignments) put back the CSV copy when it drifts from the course's?"""
    import shutil

    course = tmp_path / "course"
    shutil.copytree(ROOT / "source", course / "source")
    (course / "exercises" / "data").mkdir(parents=True)
    shutil.copy2(CSV, course / "exercises" / "data" / CSV_NAME)
    (course / "source" / AID / CSV_NAME).write_text("stale,copy\n")
    script = str(ROOT / "scripts" / "sync_assignments.py")
    check = subprocess.run([sys.executable, script, "--check", "--root", str(course)], capture_output=True,
                           text=True, env=env())
    assert check.returncode == 1 and f"source/{AID}/{CSV_NAME}: differs" in check.stdout
    subprocess.run([sys.executable, script, "--root", str(course)], check=True, env=env(), capture_output=True)
    assert (course / "source" / AID / CSV_NAME).read_bytes() == CSV.read_bytes()


def test_notebook_reads_the_csv_beside_it():
    """Do the notebook and its hidden tests read the assignment's own copy (not the repository's)?"""
    text = "\n".join(c.source for c in source_nb(AID).cells)
    assert f'pd.read_csv("{CSV_NAME}")' in text
    assert "exercises/data" not in text and "../" not in text


def _lesson_9_stories() -> dict:
    bank = yaml.safe_load((ROOT / "exercises" / "banks" / "strategies.yaml").read_text(encoding="utf-8"))
    return next(ex for ex in bank["exercises"] if ex["id"] == "metric-stories")


def test_who_leads_each_move_is_a_new_case_that_agrees_with_lesson_9():
    """Is A5 a new question (moves, not lesson 9's stories), with both leaders acting where lesson 9 says so?"""
    stories = _lesson_9_stories()
    hidden = hidden_source(cell_by_id(source_nb(AID), "stories-tests"))
    key = next(ast.literal_eval(node.value) for node in ast.walk(ast.parse(hidden))
               if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["expected"])
    assert not set(key) & {item["key"] for item in stories["items"]}  # not a re-run of the practice item
    assert set(key.values()) == {"team", "technical"}
    leads = {team: {lead for move, lead in key.items() if move.startswith(team.lower() + "-")}
             for team in ["Atlas", "Beacon", "Cargo", "Dock"]}
    # lesson 9: Atlas needs both; Cargo is led by the manager with the tech lead's alert clean-up;
    # Beacon is the calendar (team); Dock is the delivery system (technical)
    assert leads == {"Atlas": {"team", "technical"}, "Beacon": {"team"}, "Cargo": {"team", "technical"},
                     "Dock": {"technical"}}


def test_graded_patterns_are_not_lesson_9_stories():
    """Does q-match-cause use patterns of other teams, rather than the four stories lesson 9 already sorted?"""
    bank = yaml.safe_load((ROOT / "exercises" / "banks" / f"{AID}.yaml").read_text(encoding="utf-8"))
    match = next(ex for ex in bank["exercises"] if ex["id"] == "q-match-cause")
    teams = {item["text"].split(":", 1)[0] for item in match["items"]}
    assert not teams & {"Atlas", "Beacon", "Cargo", "Dock"}


# ------------------------------------------------------------------------------ hidden tests recompute
def test_hidden_tests_read_the_csv_and_hold_no_expected_number():
    """Does every data question's hidden test read the CSV, with none of the right answers typed in?"""
    nb = source_nb(AID)
    expected = expected_numbers(pd.read_csv(CSV))
    for grade_id in DATA_CELLS:
        hidden = hidden_source(cell_by_id(nb, grade_id))
        assert f'pd.read_csv("{CSV_NAME}")' in hidden, grade_id
        literals = {float(node.value) for node in ast.walk(ast.parse(hidden))
                    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                    and not isinstance(node.value, bool)}
        clash = {x for x in literals for y in expected.get(grade_id, ()) if math.isclose(x, y)}
        assert not clash, (grade_id, clash)
    assert expected["missing-tests"] and expected["bad-week-tests-example"]


@pytest.fixture(scope="module")
def on_perturbed_data(tmp_path_factory):
    """The instructor's notebook run on an altered team_metrics.csv, with its widget answers recorded."""
    folder = tmp_path_factory.mktemp("a5-perturbed")
    raw = pd.read_csv(CSV)
    changed = perturbed(raw)
    changed.to_csv(folder / CSV_NAME, index=False)
    nb = source_nb(AID)
    record_answers({folder: widget_keys(nb)})
    return {"nb": execute(nb, folder), "raw": raw, "changed": changed}


def test_perturbation_changes_the_right_answers(on_perturbed_data):
    """Does the altered data really change the answers (so passing on it proves recomputation)?"""
    before = expected_numbers(on_perturbed_data["raw"])
    after = expected_numbers(on_perturbed_data["changed"])
    for grade_id in ["missing-tests", "halves-tests", "halves-tests-deployments", "bad-week-tests-example",
                     "bad-week-tests-edges"]:
        assert before[grade_id] != after[grade_id], grade_id
    # ...and keeps the example in the question true
    for frame in (on_perturbed_data["raw"], on_perturbed_data["changed"]):
        assert ref_first_bad_week(frame, "Atlas", "pr_review_wait_hours", 1.5) == 11
    # every first_bad_week case of the hidden tests finds a week on the real data
    raw = on_perturbed_data["raw"]
    assert all(ref_first_bad_week(raw, *case) is not None for cases in BAD_WEEK_CASES.values()
               for case in cases)


def test_solution_gets_full_marks_on_altered_data(on_perturbed_data):
    """Do the hidden tests follow the data: on an altered CSV, does the instructor's solution still pass all?"""
    nb = on_perturbed_data["nb"]
    for cell in nb.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, (cell["id"], errors and errors[0].get("evalue"))
    scores = cell_scores(nb)
    assert sum(scores.values()) == auto_points(source_nb(AID)) == 20


# ------------------------------------------------------------------------------ grading with nbgrader
# A partly right submission, and exactly what it should score.
PARTIAL_FILL = '''
def fill_engagement(df):
    out = df.copy()
    out["engagement_score"] = out["engagement_score"].ffill()   # no groupby: leaks across teams
    return out


filled = fill_engagement(metrics)
'''  # right on the team-sorted file (2 of 2), wrong on interleaved rows (0 of 1)
PARTIAL_HALVES = '''
DORA = ["deployments", "lead_time_hours", "change_failure_rate", "time_to_restore_hours"]
half = metrics["week"].gt(13).map({False: "early", True: "late"})
dora_halves = metrics.fillna(0).groupby(["team", half])[DORA].mean()   # missing weeks counted as 0
'''  # lead time, failures, restore right (2 of 2); deployments wrong (0 of 1)
PARTIAL_BAD_WEEK = '''
def first_bad_week(df, team, column, factor):
    rows = df[df["team"] == team].sort_values("week")
    baseline = rows.loc[rows["week"] <= 8, column].mean()
    bad = rows[rows[column] > factor * baseline]                      # forgets "from week 9 on"
    return None if bad.empty else int(bad["week"].iloc[0])
'''  # the real-data cases right (2 of 2); the made-up high baseline week wrong (0 of 2)
PARTIAL_STORIES = '''
move_leads = {"atlas-ownership-map": "technical", "atlas-backfill": "technical", "beacon-meeting-audit": "team",
              "beacon-new-roles": "team", "cargo-alerts": "team", "cargo-pace": "team",
              "dock-small-releases": "technical", "dock-rollback": "technical"}
'''  # 6 of 8 moves right (backfill and alerts wrong), a quarter point each -> 1.5 of 2
PARTIAL_WIDGETS = {
    f"{AID}/q-cargo-model": "c",                         # right: 1
    # key ["b", "e"]: 1 of 2 right (1/2) and 1 of 3 wrong (1/3) ticked -> 1/6 -> 1/3 of 2
    f"{AID}/q-before-ken": ["b", "d"],
    # yard-nights (strain) put in calendar, relay-pricing (knowledge) in release:
    # knowledge 1/2, calendar 1 - 1/4, release 1 - 1/4, strain 0 -> mean 0.5 -> 1.0 of 2
    f"{AID}/q-match-cause": {"fleet-holiday": "knowledge", "ledger-planning": "calendar",
                             "hub-fortnight": "release", "yard-nights": "calendar",
                             "relay-pricing": "release"},
    # q-targets: never answered: 0
}
PARTIAL_CELLS = {
    "missing-tests": 2, "fill-tests": 2, "fill-tests-teams": 0, "halves-tests": 2,
    "halves-tests-deployments": 0, "bad-week-tests-example": 2, "bad-week-tests-edges": 0,
    "stories-tests": 1.5, "q-cargo-model-grade": 1, "q-before-ken-grade": 1 / 3,
    "q-match-cause-grade": 1.0, "q-targets-grade": 0,
}
PARTIAL_EXPECTED = 2 + 2 + 0 + 2 + 0 + 2 + 0 + 1.5 + 1 + 1 / 3 + 1.0 + 0  # 11.83

# Hard-coding: one right number typed in, the rest wrong; the visible tests all pass.
HARDCODED_MISSING = '''
missing = pd.Series({"deployments": 4, "engagement_score": 26})   # right count typed in; wrong other
'''
HARDCODED_BAD_WEEK = '''
def first_bad_week(df, team, column, factor):
    return 11   # the example's answer, whatever is asked
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory, generated_course):
    """One temporary course, one autograde run over every pretend student, one feedback run."""
    course = generated_course(tmp_path_factory.mktemp("a5-grading") / "course", AID)
    exchange = course.parent / "exchange"
    keys = widget_keys(source_nb(AID))
    subs = {}

    def add(student, nb, widgets=None):
        folder = put_submission(course, student, AID, nb)
        subs[student] = (folder, widgets or {})

    add("solution", solved(AID), keys)
    add("untouched", release_nb(AID))
    partial = solved(AID)
    for grade_id, text in [("fill-answer", PARTIAL_FILL), ("halves-answer", PARTIAL_HALVES),
                           ("bad-week-answer", PARTIAL_BAD_WEEK), ("stories-answer", PARTIAL_STORIES)]:
        set_answer(partial, grade_id, text)
    add("partial", partial, PARTIAL_WIDGETS)
    hardcoded = set_answer(solved(AID), "missing-answer", HARDCODED_MISSING)
    set_answer(hardcoded, "bad-week-answer", HARDCODED_BAD_WEEK)
    add("hardcoded", hardcoded, keys)
    # A learner who edited their copy of the data to make the numbers come out differently.
    tampered = put_submission(course, "tampered-data", AID, solved(AID))
    subs["tampered-data"] = (tampered, keys)
    (tampered / CSV_NAME).write_text("team,week\nAtlas,1\n", encoding="utf-8")

    record_answers({folder: widgets for folder, widgets in subs.values()})
    log = nbgrader(course, "autograde", AID, exchange=exchange)
    nbgrader(course, "generate_feedback", AID, exchange=exchange)
    return {"course": course, "scores": gradebook_scores(course, AID), "log": log.stdout + log.stderr,
            "hardcoded_nb": hardcoded}


def score(graded, student):
    return graded["scores"][student]["auto"]


@pytest.mark.slow
def test_solution_gets_every_autograded_point(graded):
    """Does the instructor's solution, with its widget answers recorded, get all 20 autograded points?"""
    assert score(graded, "solution") == auto_points(source_nb(AID)) == 20


@pytest.mark.slow
def test_untouched_release_gets_zero(graded):
    """Does the release notebook handed in untouched score 0?"""
    assert score(graded, "untouched") == 0


@pytest.mark.slow
def test_partly_right_submission_gets_exact_partial_score(graded):
    """Does a partly right a5 submission get exactly the score each test cell promises?"""
    cells = graded["scores"]["partial"]["cells"]
    # the grader keeps fraction x points unrounded (fractions are rounded to 6 places)
    assert {k: cells[k] for k in PARTIAL_CELLS} == pytest.approx(PARTIAL_CELLS, abs=1e-5)
    assert score(graded, "partial") == pytest.approx(PARTIAL_EXPECTED, abs=1e-5)


@pytest.mark.slow
def test_hardcoding_one_right_number_is_caught(graded, tmp_path):
    """Does a submission that types in one right number (and the example's answer) pass every visible
    test yet lose those cells' points to the hidden tests?"""
    cells = graded["scores"]["hardcoded"]["cells"]
    assert cells["missing-tests"] == 0
    assert cells["bad-week-tests-example"] == 0 and cells["bad-week-tests-edges"] == 0
    assert score(graded, "hardcoded") == 20 - 2 - 4
    # What the learner saw: the release notebook with these answers runs its visible tests cleanly.
    learner = release_nb(AID)
    for grade_id in ["missing-answer", "bad-week-answer"]:
        cell_by_id(learner, grade_id).source = cell_by_id(graded["hardcoded_nb"], grade_id).source
    keep = {"setup", "load-data", "missing-answer", "missing-tests", "bad-week-answer",
            "bad-week-tests-example"}
    learner.cells = [c for c in learner.cells if c.get("id") in keep]
    copy_data_files(AID, tmp_path)
    ran = execute(learner, tmp_path)
    for cell in ran.cells:
        assert not [o for o in cell.get("outputs", []) if o.output_type == "error"], cell["id"]


@pytest.mark.slow
def test_edited_data_file_is_replaced_before_grading(graded):
    """Is a learner's edited team_metrics.csv replaced by the source copy, so grading uses the real data?"""
    folder = graded["course"] / "autograded" / "tampered-data" / AID
    assert (folder / CSV_NAME).read_bytes() == CSV.read_bytes()
    assert score(graded, "tampered-data") == 20


@pytest.mark.slow
def test_feedback_leaks_no_hidden_tests_or_mark_scheme(graded):
    """Does a5's feedback hide the hidden tests, keys and mark schemes, for passing and failing work?"""
    import html

    secrets = secret_lines(source_nb(AID), solutions=False)
    assert len(secrets) > 10
    for student in ["solution", "partial", "hardcoded"]:
        page = (graded["course"] / "feedback" / student / AID / f"{AID}.html").read_text(encoding="utf-8")
        for marker in ["BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "expected = ", "_reference("]:
            assert marker not in page, (student, marker)
        for line in secrets:
            assert line not in page and html.escape(line, quote=True) not in page, (student, line)
