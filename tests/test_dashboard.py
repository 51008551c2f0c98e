"""The progress dashboard: per-lesson answered counts and knowledge-check scores from saved responses."""
from __future__ import annotations

import base64
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from exercises import show_dashboard
from exercises.dashboard import progress_rows
from exercises.progress import course_lessons
from exercises.store import ResponseStore

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return ResponseStore(tmp_path / "responses.json")


def lesson_ids(number) -> list[str]:
    """The exercise ids of lesson *number* (4, or "4b" for the second part of a split lesson)."""
    (lesson,) = [x for x in course_lessons(NOTEBOOKS) if str(x["number"]) == str(number)]
    return lesson["ids"]


def test_rows_count_answers_and_average_check_scores(store):
    """Are answered exercises counted per lesson, and check scores averaged over answered checks only?"""
    lessons = course_lessons(NOTEBOOKS)
    l4 = lesson_ids(4)
    store.save("team-vs-tech/whose-problem", "choice", "a", score=1.0)
    store.save("team-vs-tech/sort-the-work", "classify", {"open-a-role": "team"}, score=0.5)
    store.save("team-vs-tech/my-two-hats", "reflection", "I wear both hats on Tuesdays.")
    rows = progress_rows(store.load(), lessons)
    (row4,) = [r for r in rows if r["lesson"] == 4]
    assert row4["lesson"] == 4 and row4["exercises"] == len(l4)
    assert row4["answered"] == 3 and row4["checks_answered"] == 2
    assert row4["check_score_pct"] == 75.0
    assert all(r["answered"] == 0 and r["check_score_pct"] is None for r in rows if r["lesson"] != 4)
    assert [r["lesson"] for r in rows] == [x["number"] for x in lessons]
    assert [r["lesson"] for r in rows if isinstance(r["lesson"], int)] == list(range(1, 13))


def test_dashboard_widget_shows_table_chart_and_summary(store):
    """Does the dashboard show a summary line, a captioned table and an SVG chart, and refresh on demand?"""
    board = show_dashboard(notebooks_dir=NOTEBOOKS, path=store.path)
    total = sum(len(lesson["ids"]) for lesson in course_lessons(NOTEBOOKS))
    assert f"<strong>0 of {total}</strong>" in board.summary.value
    assert "<caption>Your progress by lesson</caption>" in board.table.value
    assert board.chart_svg.startswith("<svg")
    assert '<img class="techlead-chart" alt="Two bar charts by lesson' in board.chart.value
    assert base64.b64encode(board.chart_svg.encode()).decode() in board.chart.value
    assert board.refresh_button.description == "Refresh"

    store.save("team-vs-tech/whose-problem", "choice", "a", score=0.0)
    board.refresh_button.click()
    assert f"<strong>1 of {total}</strong>" in board.summary.value
    assert math.isclose(board.row(4)["check_score_pct"], 0.0) and board.row("4b")["check_score_pct"] is None
    assert "0%" in board.table.value  # a score is shown as text, not only as a bar
    assert "lesson 4: 1 of" in board.chart_svg and "check score 0%" in board.chart_svg


def test_a_finished_lesson_is_marked_complete(store):
    """When every exercise of a lesson is answered, is it counted complete and ticked in the table?"""
    from exercises.banks import get_exercise

    for ex_id in lesson_ids(2):
        kind = get_exercise(ex_id)["kind"]
        if kind == "self-assessment":
            store.append_session(ex_id, kind, {"ratings": {"x": 3}})
        else:
            store.save(ex_id, kind, "done" if kind == "reflection" else "a", score=1.0)
    board = show_dashboard(notebooks_dir=NOTEBOOKS, path=store.path)
    assert f"<strong>1 of {len(course_lessons(NOTEBOOKS))}</strong> lessons complete" in board.summary.value
    assert "✔ " in board.table.value


def test_a_corrupt_responses_file_is_reported_not_fatal(store):
    """Does a corrupt responses file leave the dashboard working, with the learner told?"""
    store.path.write_text("{not json", encoding="utf-8")
    board = show_dashboard(notebooks_dir=NOTEBOOKS, path=store.path)
    assert "0 of" in board.summary.value
    assert len(board.summary.value) > len("<div></div>") and "corrupt" in board.summary.value.lower()
    kept = list(store.path.parent.glob("responses.corrupt-*"))
    assert kept, "the corrupt file is kept aside"


def test_answers_to_unknown_exercises_are_ignored(store):
    """Are saved answers for ids no lesson shows left out of the counts?"""
    store.save("gone/old-question", "choice", "a", score=1.0)
    rows = progress_rows(json.loads(store.path.read_text())["responses"], course_lessons(NOTEBOOKS))
    assert sum(r["answered"] for r in rows) == 0


def test_the_chart_is_an_svg_with_a_labelled_bar_per_lesson(store):
    """Is the dashboard's chart a well-formed SVG with a title, a description giving every lesson's numbers,
    and per lesson an answered bar labelled "a/e" and a score labelled in % (– before any check)?"""
    ns = "{http://www.w3.org/2000/svg}"
    l4 = lesson_ids(4)
    store.save("team-vs-tech/whose-problem", "choice", "a", score=1.0)
    store.save("team-vs-tech/sort-the-work", "classify", {"open-a-role": "team"}, score=0.5)
    board = show_dashboard(notebooks_dir=NOTEBOOKS, path=store.path)
    root = ET.fromstring(board.chart_svg)
    lessons = course_lessons(NOTEBOOKS)
    assert root.find(f"{ns}title").text == "Your progress by lesson" and root.get("role") == "img"
    desc = root.find(f"{ns}desc").text
    assert f"lesson 4: 2 of {len(l4)} answered, check score 75%" in desc
    assert desc.count("lesson ") == len(lessons) and "lesson 1: 0 of" in desc and "check score none yet" in desc
    words = [t.text for t in root.iter(f"{ns}text")]
    assert f"2/{len(l4)}" in words and "75%" in words and words.count("–") == len(lessons) - 1
    assert [str(x["number"]) for x in lessons] == [w for w in words if w in {str(x["number"]) for x in lessons}][-len(lessons):]
    bars = [r for r in root.iter(f"{ns}rect") if r.get("stroke")]
    assert len(bars) == 2 * len(lessons)
    assert re.search(r'alt="[^"]+"', board.chart.value)
