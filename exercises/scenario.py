"""ScenarioQuestion widget: a branching situation with rated actions.

The learner reads a situation, picks an action and sees its rating (best / acceptable / poor),
why, and what happened next; an action with ``next`` leads to a follow-up situation. *Back*
undoes the last step so another path can be tried. Every step is saved (the current path with
ratings, plus a log of every step ever taken). Navigation rules live in
:class:`exercises.scoring.ScenarioWalk`.
"""
from __future__ import annotations

import ipywidgets as widgets
from traitlets import Unicode

from . import scoring
from ._ui import FULL, LABEL_STYLE, SHOWN, ExerciseBase, button, esc, hhmm, md_inline, status_html
from .store import now_iso

FOCUS_LABELS = {"team": "team leadership", "technical": "technical leadership",
                "both": "team and technical leadership"}


class ScenarioQuestion(ExerciseBase):
    """A branching scenario: situation → action → rating, why and consequence → next situation.

    ``choose(key)`` takes an action (as the *Choose* button does with the selected one);
    ``back()`` undoes the last step. ``path`` lists the steps taken, with ratings.
    """

    kind = "scenario"
    situation = Unicode("", help="Key of the situation now shown.")

    def __init__(self, entry: dict, *, graded: bool = False, store=None, **kwargs):
        super().__init__(entry, graded=graded, store=store, **kwargs)
        self.walk = scoring.ScenarioWalk(entry)
        # the focus is the diagnosis the learner makes: named only after a first choice (see _render)
        focus = entry.get("focus")
        self._focus_note = (f"<div class='techlead-muted'>Mostly calls for: {esc(FOCUS_LABELS[focus])}.</div>"
                            if focus in FOCUS_LABELS and not self.graded else "")
        extra = ("<div class='techlead-muted'>Pick what you would do, then press <em>Choose</em>. "
                  "<em>Back</em> lets you try another path.</div>")
        self.path_html = widgets.HTML("", layout=FULL)
        self.outcome = widgets.HTML("", layout=FULL)
        self.situation_html = widgets.HTML("", layout=FULL)
        # its own Layout: it is hidden at the end of a path (the shared FULL layout must never change)
        self.actions = widgets.RadioButtons(options=[], value=None, description="Your move:",
                                            style=LABEL_STYLE, layout=widgets.Layout(width="100%"))
        self.choose_button = button("Choose", "Take the selected action", icon="arrow-right")
        self.back_button = button("Back", "Undo your last choice and try another path", icon="undo")
        self.choose_button.on_click(lambda _b: self.choose())
        self.back_button.on_click(lambda _b: self.back())
        self._finish([self.heading(entry["title"], None, extra), self.path_html, self.outcome,
                      self.situation_html, self.actions,
                      widgets.HBox([self.choose_button, self.back_button])])
        self._restore()

    # ------------------------------------------------------------------ state
    @property
    def path(self) -> list[dict]:
        """The steps taken: ``[{"situation", "action", "rating"[, "next"]}, …]``."""
        return [dict(s) for s in self.walk.steps]

    @property
    def answer(self) -> list[str]:
        """The action keys along the current path."""
        return self.walk.keys

    def _restore(self) -> None:
        rec = self.record
        saved = rec.get("answer") if rec else None
        if isinstance(saved, list) and saved:
            self.walk.replay(saved)
            self._render()
            self._show_notes(("Your recorded path" if self.graded else "Your saved path") +
                             f" (saved at {hhmm(rec.get('updated'))}).")
        else:
            self._render()

    # ------------------------------------------------------------------ actions
    def choose(self, key: str | None = None):
        """Take action *key* (default: the selected one). Returns the saved record or None."""
        key = key if key is not None else self.actions.value
        if self.walk.ended:
            self._show_notes("This path has ended. Press Back to try another choice.")
            return None
        if key is None:
            self._show_notes("✎ Pick an action first, then press Choose.")
            return None
        step = self.walk.choose(key)
        rec = self._save_path(dict(step, at=now_iso()))
        self._render()
        return rec

    def back(self):
        """Undo the last step. Returns the saved record (or None at the start)."""
        step = self.walk.back()
        if step is None:
            self._show_notes("You are at the start of the scenario.")
            return None
        rec = self._save_path({"situation": step["situation"], "action": "back", "at": now_iso()})
        self._render()
        if self.actions.options and step["action"] in [v for _, v in self.actions.options]:
            self.actions.value = step["action"]
        return rec

    def _save_path(self, log_item: dict):
        steps = self.path
        if self.graded:
            steps = [{"situation": s["situation"], "action": s["action"]} for s in steps]
            log_item = {k: v for k, v in log_item.items() if k in ("situation", "action", "at")}
        fields = {"path": steps, "ended": self.walk.ended, "log": ("explored", log_item), "allow_empty": True}
        if not self.graded:
            fields["score"] = self.walk.score
        return self._save(self.walk.keys, **fields)

    # ------------------------------------------------------------------ view
    def _render(self) -> None:
        walk = self.walk
        self.situation = walk.current
        # path so far
        if walk.steps:
            items = []
            for s in walk.steps:
                act = walk.action(s["situation"], s["action"])
                rating = "" if self.graded else f" — {scoring.RATING_LABELS[s['rating']]}"
                items.append(f"<li>{md_inline(act['text'])}{rating}</li>")
            self.path_html.value = f"<div><strong>Your path so far</strong><ol>{''.join(items)}</ol></div>"
        else:
            self.path_html.value = ""
        # outcome of the last step
        if walk.steps:
            last = walk.steps[-1]
            act = walk.action(last["situation"], last["action"])
            if self.graded:
                self.outcome.value = status_html("📝 Choice recorded.")
            else:
                self.outcome.value = (
                    f"<div role='status' aria-live='polite'><strong>{scoring.RATING_LABELS[act['rating']]}</strong>"
                    f" — {md_inline(act['why'])}<br><strong>What happened:</strong> {md_inline(act['consequence'])}</div>"
                    + self._focus_note)
        else:
            self.outcome.value = ""
        # current situation or end
        if walk.ended:
            msg = "<strong>End of this path.</strong> "
            if not self.graded:
                msg += f"Path score: {round(walk.score * 100)}% (best 100%, acceptable 50%, poor 0% per step). "
            msg += "Press <em>Back</em> to try a different choice."
            self.situation_html.value = f"<div>{msg}</div>"
            self.actions.options = []
            self.actions.layout.display = "none"
            self.choose_button.disabled = True
        else:
            sit = walk.situations[walk.current]
            step_no = len(walk.steps) + 1
            self.situation_html.value = f"<div><strong>Situation {step_no}.</strong> {md_inline(sit['text'])}</div>"
            self.actions.options = [(a["text"], a["key"]) for a in sit["actions"]]
            self.actions.value = None
            self.actions.layout.display = SHOWN
            self.choose_button.disabled = False
        self.back_button.disabled = not walk.steps
