"""How the suite is split across pytest-xdist workers (tests/conftest.py, ``xdist_group_for``).

The groups are read from a real collection of the test modules (a subprocess of pytest with a small
plugin that prints each test's group), not from a copy of the rule."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DUMP = '''
def pytest_collection_finish(session):
    for item in session.items:
        mark = item.get_closest_marker("xdist_group")
        print("GROUP", item.nodeid, mark.args[0] if mark else "-")
'''


def _groups(tmp_path: Path, *modules: str) -> dict[str, str]:
    (tmp_path / "groupdump.py").write_text(DUMP, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "groupdump",
         *(f"tests/{m}" for m in modules)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {line.split()[1]: line.split()[2] for line in proc.stdout.splitlines() if line.startswith("GROUP ")}


def test_tests_share_a_worker_only_where_they_share_something_expensive(tmp_path):
    """Does each assignment's adversarial class (and sandbox class) get a group of its own, graded
    side by side in different workers, do the module's other fixtures keep one group, do the browser
    tests and the graded class keep theirs, and is a test with no expensive fixture free to go anywhere?
    And is every group a name pytest-xdist reads back (no "@" or "]" in it, or the tests of a group
    would be sent out one by one and its fixture built again for each)?"""
    groups = _groups(tmp_path, "test_grading_adversarial.py", "test_parallel_grade.py", "test_sandbox.py",
                     "test_browser_run_all.py", "test_kit_scoring.py")
    assert not [g for g in groups.values() if "@" in g or "]" in g]
    adv = {k.split("::")[1]: v for k, v in groups.items() if "test_grading_adversarial" in k}
    per_assignment = {v for k, v in adv.items() if k.startswith("test_limits_end_in_a_clear_message[")}
    assert per_assignment == {f"test_grading_adversarial-graded-{a}" for a in
                              ("a1-foundations", "a2-team-vs-tech", "a3-growth", "a4-challenges", "a5-data-driven")}
    assert adv["test_every_attack_scores_no_more_than_the_blank_release[a3-growth]"] == "test_grading_adversarial-graded-a3-growth"
    assert adv["test_cli_attacks_score_no_more_than_blank_and_change_nothing"] == "test_grading_adversarial"
    assert adv["test_autograde_log_names_the_submissions_to_look_at"] == "test_grading_adversarial"
    cohort = {k.split("::")[1]: v for k, v in groups.items() if "test_parallel_grade" in k}
    assert cohort.pop("test_the_real_error_is_found_in_nbgraders_output") == "-"
    assert cohort.pop("test_the_covering_learners_hold_every_pattern_of_the_class") == "-"
    assert set(cohort.values()) == {"graded_cohort"}
    sandbox = {k.split("::")[1]: v for k, v in groups.items() if "test_sandbox" in k}
    assert sandbox["test_honest_grades_are_what_the_answers_earn[a5-data-driven]"] == \
        sandbox["test_honest_grades_are_identical_with_and_without_the_sandbox[a5-data-driven]"] != \
        sandbox["test_honest_grades_are_what_the_answers_earn[a2-team-vs-tech]"]
    # a course copied from the session's generated one is cheap: it puts no test in a group
    assert sandbox["test_grading_stops_with_a_clear_message_when_the_sandbox_cannot_start"] == "-"
    assert {v for k, v in groups.items() if "test_browser_run_all" in k} == {"browser"}
    assert {v for k, v in groups.items() if "test_kit_scoring" in k} == {"-"}
