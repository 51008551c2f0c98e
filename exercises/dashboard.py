"""The progress dashboard: per lesson, exercises answered and knowledge-check scores, as a table and chart.

Reads the learner's saved responses (``responses.json`` in the lessons folder) and the lessons' exercise
ids (from their ``show("…")`` calls). Plain Python throughout (the chart is SVG, :mod:`exercises.charts`),
so the dashboard works in JupyterLite offline, where pandas and matplotlib are not available.
"""
from __future__ import annotations

import ipywidgets as widgets

from ._ui import FULL, STYLE, button, esc, status_html
from .charts import img_html, progress_chart_svg
from .progress import course_lessons, find_notebooks_dir, is_answered
from .kinds import KNOWLEDGE_CHECKS as CHECK_KINDS
from .store import ResponseStore

COLUMNS = ["lesson", "title", "exercises", "answered", "checks", "checks_answered", "check_score_pct"]


def _kind(exercise_id: str) -> str | None:
    from .banks import UnknownExercise, get_exercise

    try:
        return get_exercise(exercise_id)["kind"]
    except UnknownExercise:
        return None


def progress_rows(records: dict, lessons: list[dict]) -> list[dict]:
    """One row per lesson: exercises shown / answered, knowledge checks answered, mean practice score."""
    rows = []
    for lesson in lessons:
        ids = lesson["ids"]
        checks = [i for i in ids if _kind(i) in CHECK_KINDS]
        scores = [float(records[i]["score"]) for i in checks
                  if is_answered(records.get(i)) and isinstance(records[i].get("score"), (int, float))]
        rows.append({
            "lesson": lesson["number"],
            "title": lesson["title"],
            "exercises": len(ids),
            "answered": sum(is_answered(records.get(i)) for i in ids),
            "checks": len(checks),
            "checks_answered": sum(is_answered(records.get(i)) for i in checks),
            "check_score_pct": round(100 * sum(scores) / len(scores), 1) if scores else None,
        })
    return rows


def _score_text(score) -> str:
    return "–" if score is None else f"{score:.0f}%"


def _table_html(rows: list[dict]) -> str:
    head = ("<tr><th scope='col'>Lesson</th><th scope='col'>Title</th><th scope='col'>Answered</th>"
            "<th scope='col'>Knowledge checks</th><th scope='col'>Check score</th></tr>")
    body = []
    for row in rows:
        mark = "✔ " if row["exercises"] and row["answered"] == row["exercises"] else ""
        body.append(
            f"<tr><td>{esc(row['lesson'])}</td><td>{esc(row['title'])}</td>"
            f"<td>{mark}{row['answered']} of {row['exercises']}</td>"
            f"<td>{row['checks_answered']} of {row['checks']}</td><td>{_score_text(row['check_score_pct'])}</td></tr>")
    return (f"{STYLE}<table class='techlead-table'><caption>Your progress by lesson</caption>"
            f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>")


class Dashboard(widgets.VBox):
    """The learner's progress across the course: a table, a chart and a summary line."""

    def __init__(self, *, notebooks_dir=None, store=None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("techlead-ex")
        self.notebooks_dir = find_notebooks_dir(notebooks_dir)
        self.store = store if store is not None else ResponseStore(self.notebooks_dir / "responses.json")
        self.summary = widgets.HTML(layout=FULL)
        self.table = widgets.HTML(layout=FULL)
        self.chart_svg = ""
        self.chart = widgets.HTML(layout=widgets.Layout(max_width="900px", width="100%"))
        self.refresh_button = button("Refresh", "Read your saved answers again", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.children = (self.summary, self.table, self.chart, self.refresh_button)
        self.rows: list[dict] = []
        self.refresh()

    def row(self, lesson) -> dict:
        """The row of lesson *lesson* (4, or "4b")."""
        return next(r for r in self.rows if str(r["lesson"]) == str(lesson))

    def refresh(self) -> None:
        records = self.store.load()
        notice, self.store.notice = self.store.notice, ""
        self.rows = progress_rows(records, course_lessons(self.notebooks_dir))
        total, done = sum(r["exercises"] for r in self.rows), sum(r["answered"] for r in self.rows)
        complete = sum(1 for r in self.rows if r["exercises"] and r["answered"] == r["exercises"])
        message = (f"<strong>{done} of {total}</strong> exercises answered; "
                   f"<strong>{complete} of {len(self.rows)}</strong> lessons complete.")
        if notice:
            message += f"<br>{notice}"
        self.summary.value = status_html(message)
        self.table.value = _table_html(self.rows)
        self.chart_svg = progress_chart_svg(self.rows)
        self.chart.value = img_html(self.chart_svg, "Two bar charts by lesson: the share of exercises answered, "
                                    "and the knowledge-check score. The table above gives the same numbers.")


def show_dashboard(*, notebooks_dir=None, path=None) -> Dashboard:
    """The progress dashboard (``path``: a responses file other than the lessons folder's)."""
    store = ResponseStore(path) if path is not None else None
    return Dashboard(notebooks_dir=notebooks_dir, store=store)
