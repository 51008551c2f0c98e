"""The progress dashboard: per lesson, exercises answered and knowledge-check scores, as a table and chart.

Reads the learner's saved responses (``responses.json`` in the lessons folder) and the lessons' exercise
ids (from their ``show("…")`` calls). pandas and matplotlib are imported only when the dashboard is built.
"""
from __future__ import annotations

import ipywidgets as widgets

from ._ui import FULL, STYLE, button, esc, status_html
from .charts import img_html
from .progress import course_lessons, find_notebooks_dir, is_answered
from .store import ResponseStore

from .kinds import KNOWLEDGE_CHECKS as CHECK_KINDS  # noqa: E402
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


def progress_frame(records: dict, lessons: list[dict]):
    """The rows of :func:`progress_rows` as a pandas DataFrame indexed by lesson number."""
    import pandas as pd

    frame = pd.DataFrame(progress_rows(records, lessons), columns=COLUMNS).set_index("lesson")
    frame["check_score_pct"] = frame["check_score_pct"].astype(float)  # None -> NaN: not answered yet
    return frame


def _score_text(score) -> str:
    return "–" if score != score else f"{score:.0f}%"  # NaN != NaN


def dashboard_chart_png(frame) -> bytes:
    """Two panels: share of exercises answered per lesson, and knowledge-check score per lesson.

    Bars carry their numbers as text labels, so the chart does not rely on colour."""
    from .charts import _figure, _png

    fig = _figure(10, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True)
    x = list(range(len(frame)))
    labels = [str(n) for n in frame.index]
    done = [(a / e * 100) if e else 0 for a, e in zip(frame["answered"], frame["exercises"])]
    bars = top.bar(x, done, color="#4c72b0", edgecolor="black", hatch="//")
    top.bar_label(bars, labels=[f"{a}/{e}" for a, e in zip(frame["answered"], frame["exercises"])], fontsize=8)
    top.set_ylim(0, 115)
    top.set_ylabel("% answered")
    top.set_title("Exercises answered per lesson")
    scores = frame["check_score_pct"].fillna(0).tolist()
    bars = bottom.bar(x, scores, color="#55a868", edgecolor="black")
    bottom.bar_label(bars, labels=[_score_text(s) for s in frame["check_score_pct"]], fontsize=8)
    bottom.set_ylim(0, 115)
    bottom.set_ylabel("knowledge-check score %")
    bottom.set_xlabel("lesson")
    bottom.set_xticks(x, labels)
    bottom.set_title("Knowledge-check score per lesson (– = none answered yet)")
    fig.tight_layout()
    return _png(fig)


def _table_html(frame) -> str:
    head = ("<tr><th scope='col'>Lesson</th><th scope='col'>Title</th><th scope='col'>Answered</th>"
            "<th scope='col'>Knowledge checks</th><th scope='col'>Check score</th></tr>")
    body = []
    for number, row in frame.iterrows():
        score_text = _score_text(row["check_score_pct"])
        mark = "✔ " if row["exercises"] and row["answered"] == row["exercises"] else ""
        body.append(
            f"<tr><td>{number}</td><td>{esc(row['title'])}</td>"
            f"<td>{mark}{row['answered']} of {row['exercises']}</td>"
            f"<td>{row['checks_answered']} of {row['checks']}</td><td>{score_text}</td></tr>")
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
        self.chart_png = b""
        self.chart = widgets.HTML(layout=widgets.Layout(max_width="900px", width="100%"))
        self.refresh_button = button("Refresh", "Read your saved answers again", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.children = (self.summary, self.table, self.chart, self.refresh_button)
        self.frame = None
        self.refresh()

    def refresh(self) -> None:
        records = self.store.load()
        notice, self.store.notice = self.store.notice, ""
        self.frame = progress_frame(records, course_lessons(self.notebooks_dir))
        total, done = int(self.frame["exercises"].sum()), int(self.frame["answered"].sum())
        complete = int(((self.frame["answered"] == self.frame["exercises"]) & (self.frame["exercises"] > 0)).sum())
        message = (f"<strong>{done} of {total}</strong> exercises answered; "
                   f"<strong>{complete} of {len(self.frame)}</strong> lessons complete.")
        if notice:
            message += f"<br>{notice}"
        self.summary.value = status_html(message)
        self.table.value = _table_html(self.frame)
        self.chart_png = dashboard_chart_png(self.frame)
        self.chart.value = img_html(self.chart_png, "Two bar charts by lesson: the share of exercises answered, "
                                    "and the knowledge-check score. The table above gives the same numbers.")


def show_dashboard(*, notebooks_dir=None, path=None) -> Dashboard:
    """The progress dashboard (``path``: a responses file other than the lessons folder's)."""
    store = ResponseStore(path) if path is not None else None
    return Dashboard(notebooks_dir=notebooks_dir, store=store)
