"""The progress dashboard: per-lesson answered counts and knowledge-check scores from saved responses."""
from __future__ import annotations

import json
import math
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
    (lesson,) = [item for item in course_lessons(NOTEBOOKS) if item["number"] == number]
    return lesson["ids"]


def test_rows_count_answers_and_average_check_scores(store):
    """Are answered exercises counted per lesson, and check scores averaged over answered checks only?"""
    lessons = course_lessons(NOTEBOOKS)
    l4 = lessons[3]["ids"]
    store.save("team-vs-tech/whose-problem", "choice", "a", score=1.0)
    store.save("team-vs-tech/tlm-balance", "many-choice", ["a"], score=0.5)
    store.save("team-vs-tech/my-two-hats", "reflection", "I wear both hats on Tuesdays.")
    rows = progress_rows(store.load(), lessons)
    row4 = rows[3]
    assert row4["lesson"] == 4 and row4["exercises"] == len(l4)
    assert row4["answered"] == 3 and row4["checks_answered"] == 2
    assert row4["check_score_pct"] == 75.0
    assert all(r["answered"] == 0 and r["check_score_pct"] is None for r in rows if r["lesson"] != 4)
    assert [r["lesson"] for r in rows if isinstance(r["lesson"], int)] == list(range(1, 13))
    assert [r["lesson"] for r in rows if isinstance(r["lesson"], str)] == ["9b", "11b"]


def test_dashboard_widget_shows_table_chart_and_summary(store):
    """Does the dashboard show a summary line, a captioned table and a PNG chart, and refresh on demand?"""
    board = show_dashboard(notebooks_dir=NOTEBOOKS, path=store.path)
    total = sum(len(lesson["ids"]) for lesson in course_lessons(NOTEBOOKS))
    assert f"<strong>0 of {total}</strong>" in board.summary.value
    assert "<caption>Your progress by lesson</caption>" in board.table.value
    assert board.chart_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert '<img class="techlead-chart" alt="Two bar charts by lesson' in board.chart.value
    assert board.refresh_button.description == "Refresh"

    store.save("team-vs-tech/whose-problem", "choice", "a", score=0.0)
    board.refresh_button.click()
    assert f"<strong>1 of {total}</strong>" in board.summary.value
    assert math.isclose(board.frame.loc[4, "check_score_pct"], 0.0)
    assert "0%" in board.table.value  # a score is shown as text, not only as a bar


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
