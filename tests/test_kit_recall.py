"""Recall: a later lesson shows what the learner wrote earlier (lessons 1 and 7 in the capstone), and the
exported plan tells the same story."""
from __future__ import annotations

import pytest

from exercises import recall, show
from exercises.export import plan_data, plan_markdown, write_plan
from exercises.store import ResponseStore

START = "intro/why-you-are-here"
PLAN = "developing-skills/my-learning-plan"


def write(exercise_id, text):
    widget = show(exercise_id)
    widget.text = text
    widget.save()


def test_recall_shows_saved_answers_with_their_lesson_and_prompt(workdir):
    """Are the lesson 1 reflection and the lesson 7 plan shown, escaped, with the lesson they came from?"""
    write(START, "I want to lead the <migration> & stop being the bottleneck.")
    write(PLAN, "Gap: memos. Practice: every decision memo for 90 days.\nSupport: a staff engineer.")
    widget = recall(START, PLAN)
    assert widget.missing == []
    first, second = widget.items
    assert first["lesson"]["number"] == 1 and second["lesson"]["number"] == 7
    assert first["text"].startswith("I want to lead")
    html = widget.cards.value
    assert "&lt;migration&gt; &amp; stop" in html and "<migration>" not in html
    assert "Lesson 1 ·" in html and "Lesson 7 ·" in html and "You wrote" in html
    assert "<p>Support: a staff engineer.</p>" in html  # each line kept as a paragraph


def test_recall_says_what_is_missing_and_refresh_picks_it_up(workdir):
    """With nothing saved, does it say which lesson to open, and does Refresh show the answer once written?"""
    widget = recall(START, PLAN)
    assert widget.missing == [START, PLAN]
    assert widget.cards.value.count("Not written yet") == 2
    assert 'href="01_introduction.ipynb"' in widget.cards.value
    write(PLAN, "Practice on the next three design reviews, with Dana's feedback.")
    widget.refresh_button.click()
    assert widget.missing == [START]
    assert "Practice on the next three design reviews" in widget.cards.value


def test_recall_never_writes_the_responses_file(workdir):
    """Does showing earlier answers leave the responses file exactly as it was?"""
    write(START, "Lead without the title first.")
    store = ResponseStore()
    before = store.path.read_bytes()
    recall(START, PLAN).refresh()
    assert store.path.read_bytes() == before


def test_recall_needs_an_id(workdir):
    """Is a call without any exercise a clear error?"""
    with pytest.raises(ValueError, match="at least one exercise id"):
        recall()


def test_exported_plan_opens_with_the_three_linked_reflections(workdir):
    """Does the plan start with where the learner started, their lesson 7 plan and their lesson 12 plan,
    each once, before the other reflections?"""
    write(START, "Starting point: senior engineer, no title.")
    write(PLAN, "Ninety days of memo practice.")
    write("conclusion/development-plan", "Next 90 days: build on the memo practice and lead the review rota.")
    write("developing-skills/my-learning-plan", "Ninety days of memo practice, with Marcus at day 30.")
    md_path, html_path = write_plan()
    md = md_path.read_text(encoding="utf-8")
    head, rest = md.split("## My other reflections")
    assert head.index("Where I started (lesson 1)") < head.index("My 90-day learning plan (lesson 7)") \
        < head.index("My development plan (lesson 12)")
    assert "with Marcus at day 30" in head and md.count("Ninety days of memo practice") == 1
    assert "Starting point" not in rest
    assert "Where I started and where I am going" in html_path.read_text(encoding="utf-8")
    assert [r["id"] for r in plan_data(ResponseStore().load())["journey"]] == [
        START, PLAN, "conclusion/development-plan"]


def test_plan_without_the_linked_reflections_says_so(workdir):
    """With none of the three saved, does the plan say so instead of showing an empty section?"""
    assert "*Nothing saved yet from lessons 1, 7 and 12.*" in plan_markdown(plan_data({}))
