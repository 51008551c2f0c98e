"""Export: the development plan as Markdown and HTML, with download links."""
from __future__ import annotations

import os

import ipywidgets as widgets

from exercises import export_plan, show
from exercises.export import plan_data, write_plan
from exercises.store import ResponseStore


def fill_answers():
    r = show("demo/reflect")
    r.text = "I spent Tuesday on <design> & Thursday coaching Leo — “both” 漢字"
    r.save()
    sa = show("demo/self-rating")
    sa.ratings = {"coaching": 2}
    sa.save_ratings()
    sa.ratings = {"coaching": 4}
    sa.save_ratings()
    sc = show("demo/friday-deploy")
    sc.choose("a")
    sc.choose("b")
    c = show("demo/pick-one")
    c.answer = "a"
    c.check()
    g = show("demo/graded-check")
    g.answer = "b"
    g.check()


def test_plan_files_hold_reflections_ratings_paths_and_scores(workdir):
    """Do both files hold the reflection, the rating sessions with change, the scenario path and scores?"""
    fill_answers()
    out = export_plan()
    md = (workdir / "my_development_plan.md").read_text(encoding="utf-8")
    page = (workdir / "my_development_plan.html").read_text(encoding="utf-8")
    assert md.startswith("# My development plan")
    assert "I spent Tuesday on <design> & Thursday coaching Leo — “both” 漢字" in md
    assert "| Coaching | 2 | 4 | +2 |" in md
    assert "Pair with Leo" in md and "◐ Acceptable" in md and "What happened" in md
    assert "| Whose call is it? | choice | 100% |" in md and "| A graded question | choice | recorded |" in md
    assert "mean practice score: 100%" in md
    assert "&lt;design&gt; &amp; Thursday" in page and "<design>" not in page  # escaped
    assert "<table>" in page and "+2" in page and "Pair with Leo" in page
    assert isinstance(out, widgets.HTML)
    assert "<a href='my_development_plan.html' download" in out.value
    assert "my_development_plan.md" in out.value


def test_empty_plan_is_still_readable(workdir):
    """With no answers yet, is a plan still written, saying what is missing?"""
    md, page = write_plan()
    text = md.read_text(encoding="utf-8")
    assert "No reflections saved yet" in text and "No knowledge checks answered yet" in text
    assert "No scenarios played yet" in page.read_text(encoding="utf-8")


def test_export_into_another_folder_links_relatively(workdir):
    """Does export_plan(path) write into that folder and link to it relative to the notebook?"""
    out = export_plan(workdir / "exports")
    assert (workdir / "exports" / "my_development_plan.html").exists()
    assert "href='exports/my_development_plan.html'" in out.value


def test_unwritable_folder_reports_error(workdir):
    """Does an unwritable folder give a message rather than a crash?"""
    locked = workdir / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        if os.access(locked, os.W_OK):  # root ignores mode bits: simulate with a file in the way
            os.chmod(locked, 0o755)
            locked.rmdir()
            locked.write_text("a file, not a folder")
        out = export_plan(locked)
        assert "Could not write your plan" in out.value
    finally:
        if locked.is_dir():
            os.chmod(locked, 0o755)


def test_unknown_exercises_still_exported(workdir):
    """Are answers whose bank entry is gone still exported (with their id as title)?"""
    s = ResponseStore()
    s.save("gone/reflect", "reflection", "orphan text")
    s.save("gone/check", "choice", "a", score=0.5)
    s.save("gone/scen", "scenario", ["a"], path=[{"situation": "s1", "action": "a", "rating": "best"}])
    data = plan_data(s.load())
    assert data["reflections"][0]["title"] == "gone/reflect"
    assert data["checks"][0]["score"] == 0.5
    assert data["scenarios"][0]["steps"][0]["action"] == "a"
