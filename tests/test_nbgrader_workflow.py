"""The instructor's whole round trip through the exchange, with three students, on one machine.

The commands are those of INSTRUCTORS.md, in its order: import students → generate → release →
(students) fetch → answer → submit → collect → check names → autograde → generate_feedback →
release_feedback → (students) fetch_feedback → export.
"""
from __future__ import annotations

import pytest

from nbgrader_helpers import WEAK_A2_DUTIES as BEN_DUTIES
from nbgrader_helpers import WEAK_A2_SIGNALS as BEN_SIGNALS
from nbgrader_helpers import WEAK_A2_WIDGETS as BEN_WIDGETS
from nbgrader_helpers import (
    cell_by_id, export_csv, make_course, nbgrader, nbgrader_parallel, read_nb, record_answers,
    secret_lines, set_answer, solved, source_nb, widget_keys, write_nb,
)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]

AID = "a2-team-vs-tech"
STUDENTS = {"ana": 15.0, "ben": 7.5, "cai": 0.0}  # expected autograded scores



@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    base = tmp_path_factory.mktemp("workflow")
    course = make_course(base / "course", [AID])
    exchange = base / "exchange"
    exchange.mkdir()
    homes = {s: base / "home" / s for s in STUDENTS}
    for home in homes.values():
        home.mkdir(parents=True)
        # A learner on the same machine needs the exchange and the course id (INSTRUCTORS.md).
        # Each pretend learner also gets their own submission cache: real learners are separate
        # unix users with their own ~/.local/share/jupyter/nbgrader_cache; sharing one would
        # hand every learner everybody's feedback (and write outside the temporary folder).
        (home / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"c.Exchange.root = {str(exchange)!r}\n"
            f"c.Exchange.cache = {str(home / '.nbgrader_cache')!r}\n"
            "c.CourseDirectory.course_id = 'techlead'\n")

    # Instructor: students, generate, release.
    (course / "students.csv").write_text(
        "id,first_name,last_name,email\n" + "".join(f"{s},{s.title()},Test,{s}@example.org\n" for s in STUDENTS))
    nbgrader(course, "db", "student", "import", "students.csv", exchange=exchange)
    nbgrader(course, "generate_assignment", AID, "--force", exchange=exchange)
    nbgrader(course, "release_assignment", AID, exchange=exchange)

    # Students: fetch, answer, submit.
    nbgrader_parallel([(home, ["fetch_assignment", AID, f"--student={s}"]) for s, home in homes.items()])
    fetched = {s: home / AID for s, home in homes.items()}
    keys = widget_keys(source_nb(AID))
    write_nb(solved(AID), fetched["ana"] / f"{AID}.ipynb")
    ben = set_answer(solved(AID), "duties-answer", BEN_DUTIES)
    write_nb(set_answer(ben, "signals-answer", BEN_SIGNALS), fetched["ben"] / f"{AID}.ipynb")
    # cai hands in the fetched notebook untouched
    record_answers({fetched["ana"]: keys, fetched["ben"]: BEN_WIDGETS})
    nbgrader_parallel([(home, ["submit", AID, f"--student={s}"]) for s, home in homes.items()])

    # Instructor: collect, check names, autograde, feedback.
    nbgrader(course, "collect", AID, exchange=exchange)
    import subprocess
    import sys
    names = subprocess.run([sys.executable, "-m", "course_tools.submissions", AID, "--course", str(course)],
                           capture_output=True, text=True)
    nbgrader(course, "autograde", AID, exchange=exchange)
    nbgrader(course, "generate_feedback", AID, exchange=exchange)
    nbgrader(course, "release_feedback", AID, exchange=exchange)

    # Students: fetch feedback.
    nbgrader_parallel([(home, ["fetch_feedback", AID, f"--student={s}"]) for s, home in homes.items()])

    return {"course": course, "exchange": exchange, "homes": homes, "fetched": fetched,
            "names": names, "grades": export_csv(course, exchange)}


def test_students_fetch_the_release(round_trip):
    """Does every student fetch the release notebook, without solutions or hidden tests?"""
    for student, folder in round_trip["fetched"].items():
        assert (folder / f"{AID}.ipynb").exists(), student
    untouched = read_nb(round_trip["fetched"]["cai"] / f"{AID}.ipynb")
    assert "raise NotImplementedError()" in cell_by_id(untouched, "duties-answer").source
    assert "BEGIN HIDDEN TESTS" not in cell_by_id(untouched, "duties-tests").source


def test_collect_brings_notebook_and_responses(round_trip):
    """Does collect bring back each submission with its responses.json (widget answers)?"""
    sub = round_trip["course"] / "submitted"
    assert sorted(p.name for p in sub.iterdir()) == sorted(STUDENTS)
    assert (sub / "ana" / AID / "responses.json").exists()
    assert (sub / "ben" / AID / "responses.json").exists()
    assert not (sub / "cai" / AID / "responses.json").exists()
    assert round_trip["names"].returncode == 0, round_trip["names"].stdout
    assert round_trip["names"].stdout.count(": ok") == 3


def test_exported_csv_has_each_students_expected_score(round_trip):
    """Does nbgrader export give each student exactly the expected score?"""
    rows = {r["student_id"]: r for r in round_trip["grades"] if r["assignment"] == AID}
    assert sorted(rows) == sorted(STUDENTS)
    for student, expected in STUDENTS.items():
        assert float(rows[student]["score"]) == expected, (student, rows[student])
        assert float(rows[student]["max_score"]) == 23.0


def test_students_receive_feedback_without_leaks(round_trip):
    """Does each student fetch feedback HTML that shows the score but no hidden test or mark scheme?"""
    secrets = secret_lines(source_nb(AID), solutions=False)
    for student, home in round_trip["homes"].items():
        files = list((home / AID / "feedback").rglob(f"{AID}.html"))
        assert len(files) == 1, student
        html = files[0].read_text(encoding="utf-8")
        assert f"Score: {STUDENTS[student]:.1f} / 23.0" in html
        for marker in ["BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "expected = "]:
            assert marker not in html, (student, marker)
        for line in secrets:
            assert line not in html, (student, line)
