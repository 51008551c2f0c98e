"""Self-assessment widget: labelled sliders, dated sessions, charts and change since last time."""
from __future__ import annotations

import base64
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import ipywidgets as widgets

from exercises import SelfAssessment, charts, show
from kit_helpers import responses, self_entry

ROOT = Path(__file__).resolve().parents[1]
SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_root(svg: str) -> ET.Element:
    """The parsed SVG document (fails on markup that is not well-formed XML)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG_NS}text")]


def img_svg(html: str) -> str:
    """The SVG document inside an ``<img class="techlead-chart">`` (its data URI decoded)."""
    m = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert m, html[:200]
    return base64.b64decode(m.group(1)).decode("utf-8")


def test_scales_are_labelled_1_to_5(workdir):
    """Is there one labelled 1-to-5 radio scale per quality (named controls), and no chart before a save?"""
    w = SelfAssessment(self_entry())
    assert set(w.scales) == {"design", "coaching"}
    s = w.scales["design"]
    assert isinstance(s, widgets.RadioButtons) and s.description == "Design"
    assert [label for label, _ in s.options] == ["1", "2", "3", "4", "5"] and s.value == 3
    assert "techlead-scale" in s._dom_classes and "Design" in s.tooltip
    assert w.chart_svg == "" and w.chart.value == "" and w.chart.layout.display == "none"
    assert w.save_button.description == "Save ratings"


def test_save_sessions_draw_chart_and_change(workdir):
    """Does each save store a dated session, draw an SVG chart, and from the 2nd show the change?"""
    w = SelfAssessment(self_entry())
    w.scales["design"].value = 2
    w.scales["coaching"].value = 4
    w.save_button.click()
    assert w.chart_svg.startswith("<svg") and w.chart.layout.display == ""
    # The chart is an <img> with alt text that states the ratings (screen readers get the numbers).
    assert '<img class="techlead-chart" alt="Bar chart of your latest' in w.chart.value
    assert "Design 2, Coaching 4" in w.chart.value and img_svg(w.chart.value) == w.chart_svg
    assert "Save ratings again later" in w.change_table.value
    w.ratings = {"design": 4, "coaching": 3}
    w.save_ratings()
    rec = responses(workdir)["t/sa"]
    assert [s["ratings"] for s in rec["sessions"]] == [{"design": 2, "coaching": 4}, {"design": 4, "coaching": 3}]
    assert all("at" in s for s in rec["sessions"]) and rec["kind"] == "self-assessment"
    assert "+2" in w.change_table.value and "−1" in w.change_table.value
    assert img_svg(w.change_chart.value) == w.change_chart_svg and w.change_chart.layout.display == ""
    assert "+2" in texts(svg_root(w.change_chart_svg)) and "−1" in texts(svg_root(w.change_chart_svg))
    assert "Saved at" in w.status.value


def test_restart_prefills_scales_and_redraws(workdir):
    """Does a new widget start from the latest saved ratings and show the chart again?"""
    w = SelfAssessment(self_entry())
    w.ratings = {"design": 5, "coaching": 1, "unknown": 3}
    w.save_ratings()
    again = SelfAssessment(self_entry())
    assert again.ratings == {"design": 5, "coaching": 1}
    assert "Design: latest 5; Coaching: latest 1" in again.chart_svg and "1 saved session" in again.status.value


def test_custom_scale_labels(workdir):
    """Are scale bounds and labels taken from the bank?"""
    w = SelfAssessment(self_entry(scale={"min": 0, "max": 3, "labels": {0: "never", 3: "always"}}))
    assert [v for _, v in w.scales["design"].options] == [0, 1, 2, 3]
    assert "0 = never" in w.children[0].value


def test_charts_module_directly():
    """Do the chart helpers build rows, a table with signed changes and both SVG charts?"""
    q = [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}]
    sessions = [{"at": "2025-01-01T10:00:00", "ratings": {"a": 1, "b": 3}},
                {"at": "2025-02-01T10:00:00", "ratings": {"a": 3, "b": 3}}]
    assert charts.ratings_rows(sessions, q) == [
        {"Quality": "A", "1: 2025-01-01 10:00": 1, "2: 2025-02-01 10:00": 3},
        {"Quality": "B", "1: 2025-01-01 10:00": 3, "2: 2025-02-01 10:00": 3}]
    assert [r["Change"] for r in charts.change_rows(sessions, q)] == [2, 0]
    html = charts.change_table_html(sessions, q)
    assert "+2" in html and ">0<" in html and "<th scope='row'>A</th>" in html
    assert svg_root(charts.ratings_chart_svg(sessions[:1], q)) is not None
    assert svg_root(charts.change_chart_svg(sessions, q)) is not None


def test_ratings_chart_is_an_accessible_svg_with_every_value():
    """Is the ratings chart a well-formed SVG with a title and a description that list every rating, one
    bar per quality and session, each bar labelled with its number, and the previous session hatched?"""
    q = [{"key": "design", "label": "Design <& trade-offs>"}, {"key": "coaching", "label": "Coaching"}]
    one = [{"at": "2025-01-01T10:00:00", "ratings": {"design": 2, "coaching": 4}}]
    root = svg_root(charts.ratings_chart_svg(one, q))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "title desc"
    assert root.find(f"{SVG_NS}title").text == "Your self-assessment"
    assert root.find(f"{SVG_NS}desc").text == "Ratings from 1 to 5. Design <& trade-offs>: latest 2; Coaching: latest 4."
    words = texts(root)
    assert "Design <& trade-offs>" in words and "Coaching" in words and {"2", "4"} <= set(words)
    assert ["1", "2", "3", "4", "5"] == [t for t in words if t in "12345"][-5:]  # the axis ticks
    bars = [r for r in root.iter(f"{SVG_NS}rect") if r.get("stroke")]
    assert len(bars) == 2 and float(bars[0].get("width")) < float(bars[1].get("width"))

    two = one + [{"at": "2025-02-01T10:00:00", "ratings": {"design": 3}}]
    root = svg_root(charts.ratings_chart_svg(two, q, scale=(1, 7)))
    assert root.find(f"{SVG_NS}title").text == "Your self-assessment (latest vs previous)"
    assert "Design <& trade-offs>: latest 3, previous 2; Coaching: latest not rated, previous 4" in \
        root.find(f"{SVG_NS}desc").text
    hatched = [r for r in root.iter(f"{SVG_NS}rect") if r.get("fill") == "url(#hatch)"]
    assert len(hatched) == 3  # two previous bars and the legend's key: the previous session is not only a colour
    assert "Previous (hatched)" in texts(root) and "7" in texts(root) and "–" in texts(root)


def test_change_chart_marks_rises_and_falls_by_more_than_colour():
    """Does the change chart label each bar with its signed change and fill falls and no-change with
    patterns, so it reads in greyscale?"""
    q = [{"key": k, "label": k.upper()} for k in "abc"]
    sessions = [{"ratings": {"a": 1, "b": 4, "c": 3}}, {"ratings": {"a": 3, "b": 1, "c": 3}}]
    root = svg_root(charts.change_chart_svg(sessions, q))
    assert root.find(f"{SVG_NS}desc").text == "A: +2; B: −3; C: 0."
    words = texts(root)
    assert {"+2", "−3", "0"} <= set(words)
    fills = [r.get("fill") for r in root.iter(f"{SVG_NS}rect") if r.get("stroke")]
    assert fills == [charts.RISE, "url(#cross)", "url(#dots)"]


def test_img_html_embeds_the_svg_with_alt_text():
    """Is a chart shown as an <img> carrying the SVG as a data URI and escaped alt text (nothing for no chart)?"""
    svg = charts.svg_document(10, 10, "T", "D", [])
    out = charts.img_html(svg, 'Ratings: "Design" 2 & <b>')
    assert out.startswith('<img class="techlead-chart" alt="Ratings: &quot;Design&quot; 2 &amp; &lt;b&gt;"')
    assert img_svg(out) == svg
    assert charts.img_html("", "nothing") == ""


def test_charts_need_neither_pandas_nor_matplotlib():
    """Are the self-assessment's charts and the dashboard drawn where pandas, numpy and matplotlib cannot
    be imported (as in JupyterLite offline)?"""
    code = (
        "import os, sys, tempfile; os.chdir(tempfile.mkdtemp());"
        "[sys.modules.__setitem__(m, None) for m in ('pandas', 'numpy', 'matplotlib')];"
        "from exercises import show, show_dashboard; w = show('demo/self-rating');"
        "w.save_ratings(); w.save_ratings(); print(w.chart_svg[:4], w.change_chart_svg[:4]);"
        f"d = show_dashboard(notebooks_dir={str(ROOT / 'notebooks')!r}); print(d.chart_svg[:4])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["<svg", "<svg", "<svg"]


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
        assert w.chart_svg.startswith("<svg") and len(w.sessions) == 1
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
