"""Lesson length: every lesson fits 25 minutes and says honestly how long it takes.

The estimate is scripts/lesson_time.py's formula (its docstring states it): words at 200 a minute,
feedback at half, plus a fixed allowance per exercise and per code cell the learner runs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import lesson_time  # noqa: E402

# Lessons still being rewritten on another branch. The lead empties this list when the branches merge;
# a lesson listed here is reported as an expected failure instead of failing the suite.
KNOWN_OVER_TIME_UNTIL_MERGE = []

LESSONS = lesson_time.lessons()


def lesson_param(lesson):
    stem = lesson.file.removesuffix(".ipynb")
    marks = [pytest.mark.xfail(reason="known over time until the merge", strict=False)] \
        if stem in KNOWN_OVER_TIME_UNTIL_MERGE else []
    return pytest.param(lesson, id=stem, marks=marks)


@pytest.mark.parametrize("lesson", [lesson_param(lesson) for lesson in LESSONS])
def test_lesson_fits_25_minutes_and_states_its_time_honestly(lesson):
    """Is the lesson's estimate at most 25 minutes, and its stated time within 25% of the estimate?"""
    est = lesson_time.estimate(ROOT / "notebooks" / lesson.file)
    assert not est.problems, f"{lesson.file}: " + "; ".join(est.problems)


def test_the_known_failure_list_names_real_lessons():
    """Does every lesson on the known-failure list exist in the course map (no stale names)?"""
    stems = {lesson.file.removesuffix(".ipynb") for lesson in LESSONS}
    assert set(KNOWN_OVER_TIME_UNTIL_MERGE) <= stems


def _notebook(tmp_path, cells, name="99_probe.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_estimate_counts_words_exercises_feedback_and_code_cells(tmp_path):
    """Does the estimate add prose at 200 wpm, exercise text in full, feedback at half, the kind's
    allowance and 2 minutes per learner code cell, while ignoring navigation and kit calls?"""
    prose = " ".join(["word"] * 400)
    nav = nbformat.v4.new_markdown_cell(" ".join(["nav"] * 1000))
    nav.metadata["tags"] = ["navigation"]
    entry_id = "developing-skills/match-method"
    entry = lesson_time.bank_index()[entry_id]
    text, feedback = lesson_time.exercise_words(entry)
    path = _notebook(tmp_path, [
        nav,
        nbformat.v4.new_markdown_cell("# Lesson 99 · Probe\n*About 9 minutes*\n\n" + prose),
        nbformat.v4.new_code_cell("from exercises import show"),
        nbformat.v4.new_code_cell(f'show("{entry_id}")'),
        nbformat.v4.new_code_cell("import pandas as pd\ndf = pd.DataFrame()"),
    ])
    est = lesson_time.estimate(path)
    assert est.stated == 9 and est.code_cells == 1 and est.exercises == {"choice": 1}
    assert est.prose_words == 400 + len("Lesson 99 Probe About 9 minutes".split())
    expected = (est.prose_words + text + feedback / 2) / 200 + 1.0 + 2.0
    assert est.minutes == pytest.approx(expected)
    assert text > 50 and feedback > 50, "the bank entry's words were counted"


def test_problems_name_both_rules(tmp_path):
    """Does a lesson that is too long, and one whose stated time is far off, get a clear message?"""
    long = _notebook(tmp_path, [nbformat.v4.new_markdown_cell(
        "# Lesson 99 · Long\n*About 30 minutes*\n\n" + " ".join(["word"] * 6000))], "long.ipynb")
    (problem_long,) = [p for p in lesson_time.estimate(long).problems if "limit" in p]
    assert "over the 25-minute limit" in problem_long
    off = _notebook(tmp_path, [nbformat.v4.new_markdown_cell(
        "# Lesson 99 · Off\n*About 20 minutes*\n\n" + " ".join(["word"] * 1000))], "off.ipynb")
    assert lesson_time.estimate(off).problems == [
        "states 20 min but is estimated at 5.0 (more than 25% off)"]


def test_scenario_counts_the_wordiest_path_not_every_branch():
    """For a branching scenario, are only the situations on one path (the wordiest) counted?"""
    entry = {"kind": "scenario", "start": "s1", "situations": {
        "s1": {"text": "one two", "actions": [
            {"key": "a", "text": "go", "why": "w w", "next": "s2"},
            {"key": "b", "text": "go", "why": "w w", "next": "s3"}]},
        "s2": {"text": "x " * 10, "actions": [{"key": "a", "text": "end", "why": "w"}]},
        "s3": {"text": "x " * 3, "actions": [{"key": "a", "text": "end", "why": "w"}]},
    }}
    text, feedback = lesson_time.exercise_words(entry)
    assert (text, feedback) == (2 + 2 + 10 + 1, 4 + 1)


def test_cli_prints_a_table_of_every_lesson(capsys):
    """Does the command print one row per lesson with its stated time and estimate?"""
    assert lesson_time.main([]) == 0
    out = capsys.readouterr().out
    assert "estimate" in out and "stated" in out
    for lesson in LESSONS:
        assert lesson.file.removesuffix(".ipynb") in out
