"""Self-assessment widget: labelled sliders, dated sessions, charts and change since last time."""
from __future__ import annotations

import subprocess
import sys

import ipywidgets as widgets

from exercises import SelfAssessment, charts, show
from kit_helpers import responses, self_entry

PNG = b"\x89PNG\r\n\x1a\n"


def test_scales_are_labelled_1_to_5(workdir):
    """Is there one labelled 1-to-5 radio scale per quality (named controls), and no chart before a save?"""
    w = SelfAssessment(self_entry())
    assert set(w.scales) == {"design", "coaching"}
    s = w.scales["design"]
    assert isinstance(s, widgets.RadioButtons) and s.description == "Design"
    assert [label for label, _ in s.options] == ["1", "2", "3", "4", "5"] and s.value == 3
    assert "techlead-scale" in s._dom_classes and "Design" in s.tooltip
    assert w.chart_png == b"" and w.chart.value == "" and w.chart.layout.display == "none"
    assert w.save_button.description == "Save ratings"


def test_save_sessions_draw_chart_and_change(workdir):
    """Does each save store a dated session, draw a PNG chart, and from the 2nd show the change?"""
    w = SelfAssessment(self_entry())
    w.scales["design"].value = 2
    w.scales["coaching"].value = 4
    w.save_button.click()
    assert w.chart_png.startswith(PNG) and w.chart.layout.display is None
    # The chart is an <img> with alt text that states the ratings (screen readers get the numbers).
    assert '<img class="techlead-chart" alt="Bar chart of your latest' in w.chart.value
    assert "Design 2, Coaching 4" in w.chart.value and "data:image/png;base64," in w.chart.value
    assert "Save ratings again later" in w.change_table.value
    w.ratings = {"design": 4, "coaching": 3}
    w.save_ratings()
    rec = responses(workdir)["t/sa"]
    assert [s["ratings"] for s in rec["sessions"]] == [{"design": 2, "coaching": 4}, {"design": 4, "coaching": 3}]
    assert all("at" in s for s in rec["sessions"]) and rec["kind"] == "self-assessment"
    assert "+2" in w.change_table.value and "−1" in w.change_table.value
    assert w.change_chart_png.startswith(PNG)
    assert "Saved at" in w.status.value


def test_restart_prefills_scales_and_redraws(workdir):
    """Does a new widget start from the latest saved ratings and show the chart again?"""
    w = SelfAssessment(self_entry())
    w.ratings = {"design": 5, "coaching": 1, "unknown": 3}
    w.save_ratings()
    again = SelfAssessment(self_entry())
    assert again.ratings == {"design": 5, "coaching": 1}
    assert again.chart_png.startswith(PNG) and "1 saved session" in again.status.value


def test_custom_scale_labels(workdir):
    """Are scale bounds and labels taken from the bank?"""
    w = SelfAssessment(self_entry(scale={"min": 0, "max": 3, "labels": {0: "never", 3: "always"}}))
    assert [v for _, v in w.scales["design"].options] == [0, 1, 2, 3]
    assert "0 = never" in w.children[0].value


def test_charts_module_directly():
    """Do the chart helpers build a table with signed changes and PNG images?"""
    q = [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}]
    sessions = [{"at": "2025-01-01T10:00:00", "ratings": {"a": 1, "b": 3}},
                {"at": "2025-02-01T10:00:00", "ratings": {"a": 3, "b": 3}}]
    df = charts.ratings_frame(sessions, q)
    assert list(df.index) == ["A", "B"] and df.shape == (2, 2)
    assert charts.change_frame(sessions, q).loc["A", "Change"] == 2
    html = charts.change_table_html(sessions, q)
    assert "+2" in html and ">0<" in html
    assert charts.ratings_chart_png(sessions[:1], q).startswith(PNG)
    assert charts.change_chart_png(sessions, q).startswith(PNG)


def test_pandas_and_matplotlib_are_lazy():
    """Are pandas and matplotlib left unimported until a chart is drawn?"""
    code = (
        "import os, sys, tempfile; os.chdir(tempfile.mkdtemp());"
        "import exercises; from exercises import show; w = show('demo/self-rating');"
        "print(any(m in sys.modules for m in ('pandas', 'matplotlib')));"
        "w.save_ratings(); print('pandas' in sys.modules and 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_via_show(workdir):
    """Does show() build the demo self-assessment?"""
    assert isinstance(show("demo/self-rating"), SelfAssessment)
    assert isinstance(SelfAssessment.from_bank("demo/self-rating"), SelfAssessment)


def test_read_only_still_draws_chart(workdir):
    """With a read-only responses file, does saving ratings say 'not saved' yet still draw the chart?"""
    import os

    from exercises.store import ResponseStore

    ResponseStore().save("other/x", "choice", "a")
    path = workdir / "responses.json"
    os.chmod(path, 0o444)
    try:
        w = SelfAssessment(self_entry())
        w.save_ratings()
        assert "read-only: not saved" in w.status.value
        assert w.chart_png.startswith(PNG) and len(w.sessions) == 1
    finally:
        os.chmod(path, 0o644)


def test_unexpected_error_is_shown(workdir, monkeypatch):
    """Does an unexpected save error appear in the status line?"""
    w = SelfAssessment(self_entry())

    def boom(*a, **k):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(w.store, "append_session", boom)
    w.save_ratings()
    assert "Could not save your ratings" in w.status.value and "kaputt" in w.status.value
    w.sessions = []
    w.draw()  # nothing to draw: no error
