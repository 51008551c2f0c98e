"""Classify widget: sort each statement into a category (e.g. team / technical / both).

View only: the score and per-item feedback come from :mod:`exercises.scoring`.
"""
from __future__ import annotations

import ipywidgets as widgets
from traitlets import Unicode

from . import scoring
from ._ui import FULL, ExerciseBase, button, esc, hhmm, md_inline, status_html


class Classify(ExerciseBase):
    """Statements, each with a labelled row of toggle buttons, one per category.

    ``answer`` is ``{item_key: category_key}`` for the items sorted so far; ``check()`` (the
    *Check* button) scores it, saves it and shows feedback under every item.
    """

    kind = "classify"
    control = Unicode("toggle", help="How each item is sorted: 'toggle' (ToggleButtons) or 'dropdown'.")

    def __init__(self, entry: dict, *, graded: bool = False, store=None, control: str = "toggle", **kwargs):
        super().__init__(entry, graded=graded, store=store, **kwargs)
        self.control = control
        self._labels = {c["key"]: c["label"] for c in entry["categories"]}
        self._restoring = False
        self.selectors: dict[str, widgets.ValueWidget] = {}
        self.item_feedback: dict[str, widgets.HTML] = {}
        rows = []
        n = len(entry["items"])
        for i, item in enumerate(entry["items"], 1):
            text = widgets.HTML(f"<strong>{i}.</strong> {md_inline(item['text'])}", layout=FULL)
            opts = [(c["label"], c["key"]) for c in entry["categories"]]
            common = dict(options=opts, value=None, description=f"Statement {i} of {n} is:",
                          style={"description_width": "initial"})
            if control == "dropdown":
                sel = widgets.Dropdown(**common)
            else:
                sel = widgets.ToggleButtons(**common, tooltips=[f"Sort as {c['label']}" for c in entry["categories"]])
            sel.observe(self._changed, names="value")
            fb = widgets.HTML("", layout=FULL)
            self.selectors[item["key"]] = sel
            self.item_feedback[item["key"]] = fb
            rows.append(widgets.VBox([text, sel, fb], layout=widgets.Layout(margin="0 0 0.6em 0")))
        self.check_button = button("Submit answer" if self.graded else "Check",
                                   "Record your answer" if self.graded else "Check your sorting and see feedback",
                                   icon="check")
        self.check_button.on_click(lambda _b: self.check())
        self.feedback = widgets.HTML("", layout=FULL)
        cats = ", ".join(esc(c["label"]) for c in entry["categories"])
        hint = f"<div class='techlead-muted'>Sort every statement into one of: {cats}.</div>"
        if self.graded:
            hint += ("<div class='techlead-muted'><em>Graded: your answer is recorded; "
                     "feedback comes with your grade.</em></div>")
        self._finish([self.heading(entry.get("title"), entry["prompt"], hint), *rows,
                      self.check_button, self.feedback])
        self._restore()

    @property
    def answer(self) -> dict:
        """``{item_key: category_key}`` for every item sorted so far."""
        return {k: s.value for k, s in self.selectors.items() if s.value is not None}

    @answer.setter
    def answer(self, mapping):
        mapping = dict(mapping or {})
        for k, s in self.selectors.items():
            s.value = mapping.get(k) if mapping.get(k) in self._labels else None

    def _changed(self, change=None):
        if self._restoring:
            return
        self.feedback.value = ""
        for fb in self.item_feedback.values():
            fb.value = ""
        self._answer_changed()   # "✎ Not saved yet" until Check saves this sorting

    def _restore(self) -> None:
        rec = self.record
        saved = rec.get("answer") if rec else None
        if not isinstance(saved, dict) or not saved:
            return
        self._restoring = True
        try:
            self.answer = saved
        finally:
            self._restoring = False
        if self.graded or rec.get("graded"):
            self._show_notes(self._saved_text(rec))
        else:
            self._render(scoring.score_classify(self.entry["items"], self.answer))
            self._show_notes(f"Your saved answer (saved at {hhmm(rec.get('updated'))}).")

    def check(self):
        """Score (practice) or record (graded) the sorting. Returns the saved record or None."""
        answer = self.answer
        missing = len(self.selectors) - len(answer)
        if missing:
            self._show_notes(f"✎ Sort every statement first ({missing} still to sort).")
            return None
        if self.graded:
            rec = self._save(answer)
            self.feedback.value = status_html("📝 Answer recorded.") if rec else ""
            return rec
        result = scoring.score_classify(self.entry["items"], answer)
        rec = self._save(answer, score=result.score)
        self._render(result)
        return rec

    def _render(self, result) -> None:
        right = sum(f.correct for f in result.items)
        for f in result.items:
            given = self._labels.get(f.given, "nothing")
            if f.correct:
                line = f"✔ Right: {esc(given)}."
            else:
                line = f"✘ Not quite: you chose {esc(given)}; it is {esc(self._labels.get(f.expected, f.expected))}."
            self.item_feedback[f.key].value = (f"<div role='status'><strong>{line}</strong> "
                                               f"{md_inline(f.feedback)}</div>")
        self.feedback.value = (f"<div role='status' aria-live='polite'><strong>{result.verdict_text}</strong> — "
                               f"{right} of {len(result.items)} sorted right "
                               f"({round(result.score * 100)}%).</div>")

