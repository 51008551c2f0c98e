"""Choice (one answer) and ManyChoice (several answers, partial credit) widgets.

View only: the score and the feedback come from :mod:`exercises.scoring`.
"""
from __future__ import annotations

import ipywidgets as widgets
from traitlets import Bool

from . import scoring
from ._ui import AUTO, FULL, LABEL_STYLE, ExerciseBase, button, esc, feedback_list, hhmm, status_html


class Choice(ExerciseBase):
    """A question with one right answer, shown as labelled radio buttons.

    ``answer`` is the picked option key (or None); ``check()`` (the *Check* button) scores it,
    saves it and shows feedback for the pick and the right option.
    """

    kind = "choice"
    shuffle = Bool(False, help="Options are shown in an order fixed per learner (seeded by learner id + exercise id).")

    def __init__(self, entry: dict, *, graded: bool = False, store=None, **kwargs):
        super().__init__(entry, graded=graded, store=store, **kwargs)
        self.shuffle = bool(entry.get("shuffle"))
        keys = [o["key"] for o in entry["options"]]
        self.order = scoring.shuffled(keys, self.exercise_id) if self.shuffle else keys
        self._by_key = {o["key"]: o for o in entry["options"]}
        self._restoring = False
        self.controls = self._build_controls()
        self.check_button = button(
            "Submit answer" if self.graded else "Check",
            "Record your answer" if self.graded else "Check your answer and see feedback",
            icon="check")
        self.check_button.on_click(lambda _b: self.check())
        self.feedback = widgets.HTML(value="", layout=FULL)
        hint = ("<div class='techlead-muted'><em>Graded: your answer is recorded; "
                "feedback comes with your grade.</em></div>") if self.graded else ""
        self._finish([self.heading(entry.get("title"), entry["prompt"], self._instruction() + hint),
                      self.controls, self.check_button, self.feedback])
        self._restore()

    # ------------------------------------------------------------------ controls
    def _instruction(self) -> str:
        return "<div class='techlead-muted'>Choose one answer.</div>"

    def _build_controls(self):
        self.radio = widgets.RadioButtons(
            options=[(self._by_key[k]["text"], k) for k in self.order],
            value=None, description="Your answer:", style=LABEL_STYLE, layout=FULL)
        self.radio.observe(self._changed, names="value")
        return self.radio

    @property
    def answer(self):
        """The picked option key, or None."""
        return self.radio.value

    @answer.setter
    def answer(self, key):
        self.radio.value = key

    def _changed(self, _change=None):
        if not self._restoring:
            self.feedback.value = ""
            self._answer_changed()   # "✎ Not saved yet" until Check saves this pick

    # ------------------------------------------------------------------ logic
    def _score(self, answer):
        return scoring.score_choice(self.entry["options"], answer)

    def _valid_saved(self, answer) -> bool:
        return isinstance(answer, str) and answer in self._by_key

    def _restore(self) -> None:
        rec = self.record
        if not rec or not self._valid_saved(rec.get("answer")):
            return
        self._restoring = True
        try:
            self.answer = rec["answer"]
        finally:
            self._restoring = False
        if self.graded or rec.get("graded"):
            self._show_notes(self._saved_text(rec))
        else:
            self._render(self._score(rec["answer"]))
            self._show_notes(f"Your saved answer (saved at {hhmm(rec.get('updated'))}).")

    def check(self):
        """Score (practice) or record (graded) the current answer. Returns the saved record or None."""
        answer = self.answer
        if answer is None or answer == []:
            self._show_notes("✎ Pick an answer first, then press "
                             f"{'Submit answer' if self.graded else 'Check'}.")
            return None
        if self.graded:
            rec = self._save(answer)
            self.feedback.value = status_html("📝 Answer recorded.") if rec else ""
            return rec
        result = self._score(answer)
        rec = self._save(answer, score=result.score)
        self._render(result)
        return rec

    def _render(self, result) -> None:
        right = ", ".join(f"“{self._by_key[k]['text']}”" for k in result.right_keys)
        pct = f"{round(result.score * 100)}%"
        summary = f"<strong>{result.verdict_text}</strong> — score {pct}."
        self.feedback.value = (f"<div role='status' aria-live='polite'>{summary}"
                               f"{feedback_list(result)}"
                               f"<div class='techlead-muted'>Right answer{'s' if len(result.right_keys) > 1 else ''}: "
                               f"{esc(right)}</div></div>")


class ManyChoice(Choice):
    """A question with several right answers, one labelled checkbox per option.

    Partial credit: (right picks − wrong picks) / number of right options, floored at 0.
    ``answer`` is the sorted list of ticked keys.
    """

    kind = "many-choice"

    def _instruction(self) -> str:
        return "<div class='techlead-muted'>Tick every answer that applies.</div>"

    def _build_controls(self):
        self.boxes = {}
        for k in self.order:
            box = widgets.Checkbox(value=False, description=self._by_key[k]["text"], indent=False, layout=AUTO)
            box.observe(self._changed, names="value")
            self.boxes[k] = box
        label = widgets.HTML("<span>Your answers:</span>")
        return widgets.VBox([label, *self.boxes.values()], layout=FULL)

    @property
    def answer(self):
        """Sorted list of the ticked option keys."""
        return sorted(k for k, b in self.boxes.items() if b.value)

    @answer.setter
    def answer(self, keys):
        keys = set(keys or ())
        for k, b in self.boxes.items():
            b.value = k in keys

    def _valid_saved(self, answer) -> bool:
        return isinstance(answer, list) and bool(answer) and all(k in self._by_key for k in answer)

    def _score(self, answer):
        return scoring.score_many_choice(self.entry["options"], answer)


__all__ = ["Choice", "ManyChoice"]
