"""SelfAssessment widget: rate yourself on each quality, save a session, see a chart.

Each quality is rated with a row of labelled radio buttons (1 to 5, left to right). A slider would
look similar, but ipywidgets' slider handle cannot be given an accessible name, so screen readers
would announce seven unnamed sliders; native radio buttons are named, keyboard-operable (Tab to the
row, arrow keys to move) and show the chosen value without relying on colour.

Each *Save ratings* stores a session ``{"at": time, "ratings": {quality: n}}``. The chart (and,
from the second session on, the change since the previous session as a table and a chart) is
drawn by :mod:`exercises.charts` as SVG in plain Python, so it works in JupyterLite offline too.
"""
from __future__ import annotations

import ipywidgets as widgets
from traitlets import Int

from ._ui import FULL, SHOWN, ExerciseBase, button, esc, hhmm, md_inline
from .store import EmptyAnswer, ReadOnlyStore, now_iso


class SelfAssessment(ExerciseBase):
    """One labelled 1-to-5 scale per quality; *Save ratings* stores a dated session and draws charts.

    ``ratings`` gets/sets ``{quality_key: n}``; ``save_ratings()`` saves a session.
    The chart is an ``<img>`` with alt text in ``chart.value`` (an ``ipywidgets.HTML``); its SVG
    document is in ``chart_svg`` (and ``change_chart_svg`` for the change chart).
    """

    kind = "self-assessment"
    scale_min = Int(1, help="Lowest rating on the scale.")
    scale_max = Int(5, help="Highest rating on the scale.")

    def __init__(self, entry: dict, *, graded: bool = False, store=None, **kwargs):
        super().__init__(entry, graded=graded, store=store, **kwargs)
        scale = entry.get("scale") or {}
        self.scale_min = int(scale.get("min", 1))
        self.scale_max = int(scale.get("max", 5))
        labels = {str(k): v for k, v in (scale.get("labels") or {}).items()}
        self.qualities = entry["qualities"]
        self.sessions = list((self.record or {}).get("sessions") or [])
        last = self.sessions[-1]["ratings"] if self.sessions else {}
        mid = (self.scale_min + self.scale_max) // 2
        self.scales: dict[str, widgets.RadioButtons] = {}
        rows = []
        steps = list(range(self.scale_min, self.scale_max + 1))
        for q in self.qualities:
            value = last.get(q["key"], mid)
            if not isinstance(value, int) or not self.scale_min <= value <= self.scale_max:
                value = mid
            scale_widget = widgets.RadioButtons(
                options=[(str(n), n) for n in steps], value=value, description=q["label"],
                tooltip=f"{q['label']}: your rating from {self.scale_min} to {self.scale_max}",
                style={"description_width": "14em"}, layout=widgets.Layout(width="auto"))
            scale_widget.add_class("techlead-scale")
            scale_widget.observe(lambda _c: self._answer_changed(), names="value")
            self.scales[q["key"]] = scale_widget
            parts = [scale_widget]
            if q.get("description"):
                parts.append(widgets.HTML(f"<div class='techlead-muted' style='margin-left:1em'>"
                                          f"{md_inline(q['description'])}</div>", layout=FULL))
            rows.append(widgets.VBox(parts))
        scale_text = f"Scale: {self.scale_min} (lowest) to {self.scale_max} (highest)."
        if labels:
            scale_text = "Scale: " + "; ".join(f"{esc(k)} = {esc(v)}" for k, v in sorted(labels.items()))
        extra = f"<div class='techlead-muted'>{scale_text} Press <em>Save ratings</em> to keep a dated record.</div>"
        self.save_button = button("Save ratings", "Save these ratings with today's date", icon="save")
        self.save_button.on_click(lambda _b: self.save_ratings())
        self.chart_svg = ""
        self.change_chart_svg = ""
        self.chart = widgets.HTML("", layout=widgets.Layout(display="none", max_width="100%"))
        self.change_table = widgets.HTML("", layout=FULL)
        self.change_chart = widgets.HTML("", layout=widgets.Layout(display="none", max_width="100%"))
        self._finish([self.heading(entry.get("title"), entry["prompt"], extra), *rows, self.save_button,
                      self.chart, self.change_table, self.change_chart])
        if self.sessions:
            self._show_notes(f"{len(self.sessions)} saved session{'s' if len(self.sessions) != 1 else ''}; "
                             f"the latest from {hhmm(self.sessions[-1].get('at'))}.")
            self.draw()

    @property
    def ratings(self) -> dict:
        """``{quality_key: rating}`` as the scales show now."""
        return {k: int(w.value) for k, w in self.scales.items()}

    @ratings.setter
    def ratings(self, values: dict) -> None:
        for k, v in (values or {}).items():
            if k in self.scales:
                self.scales[k].value = int(v)

    answer = ratings

    # what is saved vs on screen (see ExerciseBase._answer_changed)
    def _saved_answer(self):
        saved = (self.record or {}).get("sessions") or []
        return saved[-1].get("ratings") if saved else None

    def _differs_from_saved(self) -> bool:
        return self.ratings != self._saved_answer()

    def _save_hint(self) -> str:
        return "press Save ratings"

    def _what(self) -> str:
        return "your ratings"

    def save_ratings(self):
        """Store a dated session with the current ratings and redraw. Returns the record or None."""
        session = {"at": now_iso(), "ratings": self.ratings}
        rec = None
        try:
            rec = self.store.append_session(self.exercise_id, self.entry["kind"], session)
        except ReadOnlyStore:
            self._unsaveable("read-only")
        except EmptyAnswer:  # pragma: no cover - sessions are never empty
            pass
        except Exception as exc:
            self._unsaveable(str(exc) or type(exc).__name__)
            self._show_notes(f"⚠ Could not save your ratings: {esc(exc)} (see the warning above).")
        if rec is not None:
            self.sessions = list(rec.get("sessions") or [])
            self._saved_now(rec)
            self._show_notes(f"Saved at {hhmm(session['at'])} (session {len(self.sessions)}).")
        else:
            self.sessions = self.sessions + [session]
        self.draw()
        return rec

    def draw(self) -> None:
        """Draw the ratings chart and, with two or more sessions, the change table and chart."""
        from . import charts

        if not self.sessions:
            return
        scale = (self.scale_min, self.scale_max)
        self.chart_svg = charts.ratings_chart_svg(self.sessions, self.qualities, scale)
        latest = ", ".join(f"{q['label']} {self.sessions[-1]['ratings'].get(q['key'], '–')}" for q in self.qualities)
        self.chart.value = charts.img_html(
            self.chart_svg, f"Bar chart of your latest self-assessment ratings out of {self.scale_max}: {latest}.")
        self.chart.layout.display = SHOWN
        if len(self.sessions) > 1:
            table = charts.change_table_html(self.sessions, self.qualities)
            self.change_table.value = f"<div><strong>Change since your previous ratings</strong>{table}</div>"
            self.change_chart_svg = charts.change_chart_svg(self.sessions, self.qualities)
            self.change_chart.value = charts.img_html(
                self.change_chart_svg,
                "Bar chart of the change in each rating since your previous session (the table above gives the numbers).")
            self.change_chart.layout.display = SHOWN
        else:
            self.change_table.value = ("<div class='techlead-muted'>Save ratings again later (say, in a month) "
                                       "to see what changed.</div>")
