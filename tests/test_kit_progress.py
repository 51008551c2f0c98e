"""Progress: answered exercises per lesson (from the notebook's show() calls) and course-wide."""
from __future__ import annotations

import json

import ipywidgets as widgets
import pytest

from exercises import Progress, progress, show_progress
from exercises.banks import load_course
from exercises.store import ResponseStore
from kit_helpers import REPO


def notebook(path, *sources):
    cells = [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": ['show("not/counted")']}]
    for n, src in enumerate(sources):
        cells.append({"cell_type": "code", "id": f"c{n}", "metadata": {}, "execution_count": None,
                      "outputs": [], "source": src})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                    encoding="utf-8")


@pytest.fixture
def lessons_dir(workdir):
    """A notebooks folder (the working folder) with two lessons that show demo exercises."""
    files = [lesson["file"] for lesson in load_course()["lessons"]]
    notebook(workdir / files[0], 'from exercises import show\nshow("demo/pick-one")',
             ["show('demo/pick-many')\n"], 'show( "demo/reflect" )\nshow("demo/pick-one")')
    notebook(workdir / files[3], 'show("demo/sort-duties")', 'show("demo/friday-deploy")')
    return workdir


def test_notebook_ids_are_scanned_in_order(lessons_dir):
    """Are the ids of show("…") calls in code cells found, in order, once each?"""
    first = load_course()["lessons"][0]["file"]
    assert progress.notebook_exercise_ids(lessons_dir / first) == ["demo/pick-one", "demo/pick-many", "demo/reflect"]
    assert progress.notebook_exercise_ids(lessons_dir / "missing.ipynb") == []


def test_course_and_lesson_bars(lessons_dir):
    """Do the bars count answered exercises for the lesson and the whole course, with text labels?"""
    s = ResponseStore()
    s.save("demo/pick-one", "choice", "a", score=1)
    s.save("demo/friday-deploy", "scenario", [], allow_empty=True)  # empty: not answered
    s.save("demo/sort-duties", "classify", {"career-talk": "team"})
    p = show_progress(1)
    assert isinstance(p, widgets.VBox) and p.lesson == load_course()["lessons"][0]["file"]
    lesson_bar, course_bar = p.bars["lesson"], p.bars["course"]
    assert isinstance(lesson_bar, widgets.IntProgress)
    assert (lesson_bar.value, lesson_bar.max) == (1, 3)
    assert (course_bar.value, course_bar.max) == (2, 5)
    assert lesson_bar.description.startswith("This lesson")
    texts = [c.children[1].value for c in p.children if isinstance(c, widgets.HBox)]
    assert any("1 of 3 answered" in t for t in texts) and any("2 of 5 answered" in t for t in texts)
    fourth = load_course()["lessons"][3]["file"]
    assert (p.bars[fourth].value, p.bars[fourth].max) == (1, 2)


def test_refresh_counts_new_answers(lessons_dir):
    """Does Refresh pick up answers saved since the widget was built?"""
    p = Progress(notebooks_dir=lessons_dir)
    assert p.bars["course"].value == 0 and "lesson" not in p.bars
    ResponseStore().save("demo/reflect", "reflection", "text")
    p.refresh_button.click()
    assert p.bars["course"].value == 1


def test_lesson_from_jupyter_session_name(lessons_dir, monkeypatch):
    """Is the current lesson taken from JPY_SESSION_NAME when no lesson is given?"""
    fourth = load_course()["lessons"][3]["file"]
    monkeypatch.setenv("JPY_SESSION_NAME", str(lessons_dir / fourth))
    p = show_progress()
    assert p.lesson == fourth and p.bars["lesson"].max == 2
    monkeypatch.setenv("JPY_SESSION_NAME", str(lessons_dir / "scratch.ipynb"))
    assert show_progress().lesson == ""
    with pytest.raises(ValueError):
        show_progress("no such lesson")


def test_lesson_by_file_or_stem(lessons_dir):
    """Can a lesson be named by file name or file stem?"""
    fourth = load_course()["lessons"][3]["file"]
    assert show_progress(fourth).lesson == fourth
    assert show_progress(fourth[:-6]).lesson == fourth


def test_progress_for_a_bank(workdir):
    """Does Progress.from_bank count a bank's exercises?"""
    ResponseStore().append_session("demo/self-rating", "self-assessment", {"at": "t", "ratings": {"coaching": 3}})
    p = Progress.from_bank("demo", store=ResponseStore())
    assert p.bars["bank"].value == 1 and p.bars["bank"].max == 7
    with pytest.raises(KeyError):
        Progress.from_bank("nope")


def test_notebooks_folder_fallback(workdir):
    """Outside the lessons folder, is the repository's notebooks/ folder used?"""
    assert progress.find_notebooks_dir() == REPO / "notebooks"
    assert progress.is_answered({"sessions": [1]}) and not progress.is_answered(None)


def test_corrupt_file_notice_shown(lessons_dir):
    """Does Progress tell the learner when the responses file was corrupt (and moved aside)?"""
    (lessons_dir / "responses.json").write_text("{{{", encoding="utf-8")
    p = show_progress()
    assert "could not be read" in p.status.value
