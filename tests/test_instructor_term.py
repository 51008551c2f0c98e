"""The instructor's term, end to end: four learners, a change after submissions, regrade, feedback.

On a temporary course with one assignment (a2) and four learners, each on their own "machine" (own
folder, own nbgrader cache, one exchange): the strong one answers everything right, the weak one
partly, the blank one hands in the fetched notebook untouched, and the renamer deletes a test cell
and renames the notebook. Every step is a real nbgrader command, in the order of INSTRUCTORS.md:
release → fetch → answer (code cells and widget answers in responses.json) → submit → collect →
check names → autograde → feedback → fetch feedback; then, after grading, the instructor raises
three questions' points and rewords one, following "Changing an assignment during a cohort"
exactly (sync and regenerate, the affected report, generate_assignment --force, release --force,
autograde --force, generate_feedback --force, release_feedback), and every learner, the renamer
included, fetches the new feedback. Scores are checked exactly at each step.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from course_tools.code_credit import ScaleCodeCredit, gives_fraction
from nbgrader_helpers import WEAK_A2_DUTIES as BEN_DUTIES
from nbgrader_helpers import WEAK_A2_SIGNALS as BEN_SIGNALS
from nbgrader_helpers import WEAK_A2_WIDGETS as BEN_WIDGETS
from nbgrader_helpers import (
    ROOT, cell_by_id, delete_cell, env, export_csv, gradebook_scores, make_course, meta, nbgrader,
    nbgrader_parallel, read_nb, record_answers, set_answer, solved, source_nb, widget_keys, write_nb,
)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(2400)]

AID = "a2-team-vs-tech"
RENAMED = f"{AID}-Rita.ipynb"
RENAMED_HTML = f"{AID}-Rita.html"
STUDENTS = ["ana", "ben", "cai", "rita"]


# The change after grading: three questions' points (a partial-credit code test, a choice widget and
# a classify widget, as in the Create Assignment panel) and the wording of one prompt.
NEW_POINTS = {"duties-tests": 8, "q-whose-call-grade": 2, "q-sort-decisions-grade": 4}   # were 4, 1, 2
NEW_WORDING = "Run the cell, pick the one decision that is the technical lead's, then record it."

BEFORE = {"ana": 15.0, "ben": 7.5, "cai": 0.0, "rita": 15.0}        # of 15 autograded, 23 in all
AFTER = {"ana": 22.0, "ben": 13.0, "cai": 0.0, "rita": 22.0}        # of 22 autograded, 30 in all
BEN_CELLS_AFTER = {"duties-tests": 6.0, "signals-tests-shape": 0.0, "signals-tests-technical": 2.0,
                   "signals-tests-team": 0.0, "q-whose-call-grade": 2.0, "q-team-signals-grade": 0.0,
                   "q-sort-decisions-grade": 3.0, "q-tlm-risk-grade": 0.0}


def _py(cwd, *args):
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env(), capture_output=True, text=True,
                          timeout=600)
    return proc


def _step(what):
    import time
    print(f"[term {time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def _feedback(home, name=f"{AID}.html"):
    return sorted((home / AID / "feedback").rglob(name))


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    base = tmp_path_factory.mktemp("term")
    course = make_course(base / "course", [AID])
    exchange = base / "exchange"
    exchange.mkdir()
    homes = {s: base / "home" / s for s in STUDENTS}
    for home in homes.values():
        home.mkdir(parents=True)
        (home / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"c.Exchange.root = {str(exchange)!r}\n"
            f"c.Exchange.cache = {str(home / '.nbgrader_cache')!r}\n"
            "c.CourseDirectory.course_id = 'techlead'\n")
    out = {"course": course, "exchange": exchange, "homes": homes}

    # ---- before the term: students, generate, release
    (course / "students.csv").write_text(
        "id,first_name,last_name,email\n" + "".join(f"{s},{s.title()},Test,{s}@example.org\n" for s in STUDENTS))
    nbgrader(course, "db", "student", "import", "students.csv", exchange=exchange)
    nbgrader(course, "generate_assignment", AID, "--force", exchange=exchange)
    nbgrader(course, "release_assignment", AID, exchange=exchange)

    _step('---- learners: fetch, answer, submit')
    # ---- learners: fetch, answer, submit
    nbgrader_parallel([(home, ["fetch_assignment", AID, f"--student={s}"]) for s, home in homes.items()])
    folders = {s: home / AID for s, home in homes.items()}
    keys = widget_keys(source_nb(AID))
    write_nb(solved(AID), folders["ana"] / f"{AID}.ipynb")
    ben = set_answer(solved(AID), "duties-answer", BEN_DUTIES)
    write_nb(set_answer(ben, "signals-answer", BEN_SIGNALS), folders["ben"] / f"{AID}.ipynb")
    # rita: right answers, but she deleted the duties test cell and renamed the notebook
    (folders["rita"] / f"{AID}.ipynb").unlink()
    write_nb(delete_cell(solved(AID), "duties-tests"), folders["rita"] / RENAMED)
    record_answers({folders["ana"]: keys, folders["ben"]: BEN_WIDGETS, folders["rita"]: keys})
    nbgrader_parallel([(home, ["submit", AID, f"--student={s}"]) for s, home in homes.items()])

    _step('---- instructor: collect')
    # ---- instructor: collect, check names, autograde, feedback (section 6 and 8 of the guide)
    nbgrader(course, "collect", AID, exchange=exchange)
    out["names"] = _py(course, "-m", "course_tools.submissions", AID)
    nbgrader(course, "autograde", AID, exchange=exchange)
    out["graded_before"] = gradebook_scores(course, AID)
    out["csv_before"] = export_csv(course, exchange)
    nbgrader(course, "generate_feedback", AID, exchange=exchange)
    nbgrader(course, "release_feedback", AID, exchange=exchange)
    out["fetch_before"] = nbgrader_parallel(
        [(home, ["fetch_feedback", AID, f"--student={s}"]) for s, home in homes.items()])
    out["feedback_before"] = {
        s: [p.read_text(encoding="utf-8") for p in _feedback(h, RENAMED_HTML if s == "rita" else f"{AID}.html")]
        for s, h in homes.items()}

    _step('---- the change after grading')
    # ---- the change after grading, by the guide's "Changing an assignment during a cohort"
    path = course / "source" / AID / f"{AID}.ipynb"
    nb = read_nb(path)
    for grade_id, points in NEW_POINTS.items():
        meta(cell_by_id(nb, grade_id))["points"] = points
    prompt = cell_by_id(nb, "q-whose-call-prompt")
    prompt.source = prompt.source.replace(
        "Run the cell, choose, then press the button to record your answer.", NEW_WORDING)
    assert NEW_WORDING in prompt.source
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    # 1. make assignments: the points table and headings follow, then release/ is regenerated
    out["sync"] = _py(course, str(ROOT / "scripts" / "sync_assignments.py"), "--root", str(course))
    out["regen"] = _py(course, str(ROOT / "scripts" / "generate_release.py"), "--root", str(course), AID)
    # 2. make affected ASSIGNMENT=...: before anything is regraded
    out["affected"] = _py(course, "-m", "course_tools.affected", AID)
    out["affected_json"] = _py(course, "-m", "course_tools.affected", AID, "--json")
    _step('3. the gradebook learns')
    # 3. the gradebook learns the new version; 4. re-release (it is already in the exchange)
    nbgrader(course, "generate_assignment", AID, "--force", exchange=exchange)
    out["release_again"] = nbgrader(course, "release_assignment", AID, exchange=exchange, check=False)
    nbgrader(course, "release_assignment", AID, "--force", exchange=exchange)
    # a learner who already fetched: fetching again is refused; moving the old folder aside works
    out["refetch"] = nbgrader(homes["cai"], "fetch_assignment", AID, "--student=cai",
                              exchange=exchange, check=False)
    shutil.move(str(folders["cai"]), str(homes["cai"] / f"{AID}-old"))
    nbgrader(homes["cai"], "fetch_assignment", AID, "--student=cai", exchange=exchange)
    out["cai_refetched"] = read_nb(folders["cai"] / f"{AID}.ipynb")
    _step('5. regrade everyone')
    # 5. regrade everyone, 6. new feedback, 7. release it
    nbgrader(course, "autograde", AID, "--force", exchange=exchange)
    out["graded_after"] = gradebook_scores(course, AID)
    out["csv_after"] = export_csv(course, exchange)
    nbgrader(course, "generate_feedback", AID, "--force", exchange=exchange)
    nbgrader(course, "release_feedback", AID, exchange=exchange)
    out["fetch_after"] = nbgrader_parallel(
        [(home, ["fetch_feedback", AID, f"--student={s}"]) for s, home in homes.items()])
    return out


def _totals(graded):
    return {s: pytest.approx(v["auto"]) for s, v in graded.items()}


def test_renamed_notebook_is_put_back_before_autograde(term):
    """Does the name check put rita's renamed notebook back, and record the rename for her feedback?"""
    assert term["names"].returncode == 0, term["names"].stdout + term["names"].stderr
    assert f"rita: renamed ('{RENAMED}' to '{AID}.ipynb')" in term["names"].stdout
    assert term["names"].stdout.count(": ok") == 3
    record = json.loads((term["course"] / ".grading" / "renamed" / f"{AID}.json").read_text())
    assert record["rita"]["notebooks"] == {f"{AID}.ipynb": RENAMED}


def test_first_grading_gives_the_exact_scores(term):
    """Before the change: strong 15, weak 7.5, blank 0, the renamer (deleted cell restored) 15, of 23?"""
    assert {s: v["auto"] for s, v in term["graded_before"].items()} == BEFORE
    assert term["graded_before"]["rita"]["cells"]["duties-tests"] == 4.0
    assert term["graded_before"]["ben"]["cells"]["duties-tests"] == 3.0
    rows = {r["student_id"]: r for r in term["csv_before"]}
    assert {s: float(rows[s]["max_score"]) for s in STUDENTS} == dict.fromkeys(STUDENTS, 23.0)


def test_every_learner_fetches_the_first_feedback(term):
    """Does every learner, the renamer included, fetch feedback showing their score of 23?"""
    for log in term["fetch_before"]:
        assert "Could not find feedback" not in log, log
    for student, pages in term["feedback_before"].items():
        assert len(pages) == 1, student
        assert f"Score: {BEFORE[student]:.1f} / 23.0" in pages[0], student


def test_affected_report_says_what_changes_before_regrading(term):
    """Does the affected command list the changed points and wording and each learner's old and new score?"""
    proc = term["affected"]
    assert term["sync"].returncode == 0 and term["regen"].returncode == 0, term["sync"].stderr + term["regen"].stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    for line in ["  points: duties-tests 4 → 8", "  points: q-whose-call-grade 1 → 2",
                 "  points: q-sort-decisions-grade 2 → 4", "  wording: q-whose-call-prompt",
                 "  wording: instructions", "  total: 23 → 30 points",
                 "Graded submissions: 4, whose score or maximum changes: 4",
                 "  ana: 15/23 → 22/30", "  ben: 7.5/23 → 13/30", "  cai: 0/23 → 0/30", "  rita: 15/23 → 22/30",
                 "      duties-tests: 3 → 6 (same share of the points)",
                 "      q-sort-decisions-grade: 1.5 → 3", f"  nbgrader autograde {AID} --force"]:
        assert line in text.splitlines(), (line, text)
    data = json.loads(term["affected_json"].stdout)
    assert {lc["student"]: lc["new_score"] for lc in data["learners"]} == AFTER
    assert data["attention"] == []


def test_re_release_needs_force_and_a_refetch_gets_the_new_wording(term):
    """Is a plain re-release refused (--force needed), and does a learner who moves the old folder
    aside fetch the new wording and points?"""
    assert term["release_again"].returncode != 0
    assert "--force" in term["release_again"].stdout + term["release_again"].stderr
    assert term["refetch"].returncode != 0
    nb = term["cai_refetched"]
    assert NEW_WORDING in cell_by_id(nb, "q-whose-call-prompt").source
    assert cell_by_id(nb, "q-whose-call-prompt").source.startswith("### B1 · Whose call is it? (2 points)")
    assert "30 points" in nb.cells[0].source
    assert meta(cell_by_id(nb, "duties-tests"))["points"] == 8


def test_regrade_scales_full_and_partial_answers_exactly(term):
    """After the regrade: does a fully right answer earn the new points, and a partial one the same
    share (duties 3/4, sorting 3/4), for every learner, the renamer's restored cell included?"""
    graded = term["graded_after"]
    assert {s: v["auto"] for s, v in graded.items()} == AFTER
    assert {k: graded["ben"]["cells"][k] for k in BEN_CELLS_AFTER} == BEN_CELLS_AFTER
    for student in ["ana", "rita"]:
        for grade_id, points in NEW_POINTS.items():
            assert graded[student]["cells"][grade_id] == points, (student, grade_id)
    rows = {r["student_id"]: r for r in term["csv_after"]}
    assert {s: float(rows[s]["score"]) for s in STUDENTS} == AFTER
    assert {s: float(rows[s]["max_score"]) for s in STUDENTS} == dict.fromkeys(STUDENTS, 30.0)
    # the affected report said so before the regrade
    data = json.loads(term["affected_json"].stdout)
    assert {lc["student"]: lc["new_score"] for lc in data["learners"]} == AFTER


def test_every_learner_fetches_the_new_feedback(term):
    """Does every learner, the renamer under her own notebook name, fetch feedback with the new score,
    points and wording?"""
    for log in term["fetch_after"]:
        assert "Could not find feedback" not in log, log
    for student, home in term["homes"].items():
        name = RENAMED_HTML if student == "rita" else f"{AID}.html"
        pages = [p.read_text(encoding="utf-8") for p in _feedback(home, name)]
        assert any(f"Score: {AFTER[student]:.1f} / 30.0" in page for page in pages), student
        newest = next(page for page in pages if "/ 30.0" in page)
        assert NEW_WORDING in newest, student
        assert "BEGIN HIDDEN TESTS" not in newest and "partial_credit" not in newest, student


def test_affected_rescores_widget_answers_with_a_corrected_key(term, tmp_path):
    """After grading, if the instructor corrects a widget key, does the affected report re-score each
    learner's submitted answer with the new key (and say the key changed) before anything is regraded?"""
    course = tmp_path / "course"
    shutil.copytree(term["course"], course, ignore=shutil.ignore_patterns("autograded", "feedback"))
    path = course / "source" / AID / f"{AID}.ipynb"
    nb = read_nb(path)
    cell = cell_by_id(nb, "q-whose-call-grade")
    assert re.search(r"key=(['\"])b\1", cell.source), cell.source
    cell.source = re.sub(r"key=(['\"])b\1", 'key="a"', cell.source)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    proc = _py(course, "-m", "course_tools.affected", AID)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert '  key: q-whose-call-grade "b" → "a"' in lines
    # ana, ben and rita answered "b" (2 points now): they lose them; cai answered nothing
    assert "  ana: 22/30 → 20/30" in lines and "  ben: 13/30 → 11/30" in lines
    assert "  rita: 22/30 → 20/30" in lines and "  cai: 0/30 → 0/30 (unchanged)" in lines


def test_affected_flags_added_cells_and_hand_scores_above_new_points(term, tmp_path):
    """Does the report say, before regrading, that nbgrader will refuse a removed cell, and that a
    hand-entered score is above a task's new points (exit status 1)?"""
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    shutil.copytree(term["course"], course, ignore=shutil.ignore_patterns("autograded", "feedback"))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "techlead") as gb:
        grade = gb.find_grade("cover-task", AID, AID, "ana")
        grade.manual_score = 4.0
        gb.db.commit()
    path = course / "source" / AID / f"{AID}.ipynb"
    nb = read_nb(path)
    meta(cell_by_id(nb, "cover-task"))["points"] = 2
    delete_cell(nb, "q-tlm-risk-grade")
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    proc = _py(course, "-m", "course_tools.affected", AID)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "removed: q-tlm-risk-grade" in proc.stdout and "Cannot add or remove cells" in proc.stdout
    assert "ana: cover-task: entered by hand (4) is above the new 2 points: re-mark it" in proc.stdout


# ------------------------------------------------------------------ the grader step on its own
def _cell(source, points=4, outputs=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "task": False,
                                 "grade_id": "t", "points": points, "schema_version": 3}
    cell.outputs = list(outputs)
    return cell


def _result(text):
    return nbformat.v4.new_output("execute_result", data={"text/plain": text}, execution_count=1)


FRACTION_CELL = ("assert True\n### BEGIN HIDDEN TESTS\nfrom exercises.grading import partial_credit\n"
                 "partial_credit(3 / 4)\n### END HIDDEN TESTS")


@pytest.mark.parametrize("shown, points, expected", [
    ("0.75", 4, 3.0), ("0.75", 8, 6.0), ("1.0", 3, 3.0), ("0.0", 4, 0.0),
    ("5.0", 4, 4.0),          # a forged fraction above 1: capped to the cell's points
    ("-1.0", 4, 0.0), ("nan", 4, 0.0),
    ("'full marks'", 4, 0.0),  # not a number (nbgrader alone would give full points)
])
def test_scale_code_credit_multiplies_and_caps(shown, points, expected):
    """Is a partial_credit result turned into fraction x points, capped to [0, points], and anything
    that is not a number worth 0?"""
    from nbgrader.utils import determine_grade

    nb = nbformat.v4.new_notebook(cells=[_cell(FRACTION_CELL, points, [_result(shown)])])
    ScaleCodeCredit().preprocess(nb, {})
    assert determine_grade(nb.cells[0]) == (expected, float(points))


def test_scale_code_credit_gives_zero_for_a_silenced_result_and_leaves_errors_and_other_cells():
    """Does a fraction cell with no result score 0 (not nbgrader's full credit), while an error stays
    an error and a pass/fail test cell is left alone?"""
    from nbgrader.utils import determine_grade

    error = nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])
    nb = nbformat.v4.new_notebook(cells=[
        _cell(FRACTION_CELL, 4, [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]),
        _cell(FRACTION_CELL, 4, [error]),
        _cell("assert 1 == 1\n### BEGIN HIDDEN TESTS\nassert 2 == 2\n### END HIDDEN TESTS", 2, []),
    ])
    ScaleCodeCredit().preprocess(nb, {})
    assert [determine_grade(c) for c in nb.cells] == [(0.0, 4.0), (0, 4.0), (2.0, 2.0)]
    assert nb.cells[0].outputs[0]["text"] == "hi\n"  # prints are kept for the formgrader


def test_partial_credit_cells_are_read_from_the_instructors_source():
    """Are exactly the assignments' partial-credit test cells recognised, by their last statement?"""
    found = {aid: sorted(meta(c)["grade_id"] for c in read_nb(ROOT / "source" / aid / f"{aid}.ipynb").cells
                         if meta(c).get("grade") and gives_fraction(c.source))
             for aid in ["a1-foundations", AID, "a4-challenges", "a5-data-driven"]}
    assert found == {"a1-foundations": ["aspects-tests"], AID: ["duties-tests"],
                     "a4-challenges": ["challenges-tests"], "a5-data-driven": ["stories-tests"]}
    assert not gives_fraction("partial_credit(1)\nx = 2")   # not the cell's result
    assert not gives_fraction("# partial_credit(1)")


def test_partial_credit_accepts_only_a_share():
    """Does partial_credit take a number from 0 to 1 and refuse points or anything else?"""
    from exercises.grading import partial_credit

    assert partial_credit(3 / 4) == 0.75 and partial_credit(1) == 1.0
    for bad in [1.5, -0.1, float("nan"), "1", None, True]:
        with pytest.raises(ValueError):
            partial_credit(bad)
