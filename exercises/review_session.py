"""The spaced-review widget: brings back due knowledge checks and moves them through the Leitner boxes.

The schedule is :mod:`exercises.review` (pure); this module only wires it to the screen. A question
comes back blank (its earlier answer is not shown, or the review would give itself away); when the
learner checks it, the answer is saved to the same record in ``responses.json`` as in the lesson, and
the record's ``review`` state moves up a box (fully right) or back to box 1 — in one atomic write.
"""
from __future__ import annotations

from datetime import datetime

import ipywidgets as widgets

from . import review
from ._ui import FULL, STYLE, button, esc, status_html
from .progress import find_notebooks_dir
from .store import ResponseStore


def _now() -> datetime:
    return datetime.now().astimezone()


def _due_text(row: dict) -> str:
    return "now" if row["due_now"] else row["due"].strftime("%d %b %H:%M")


class _ReviewStore:
    """Shows a question fresh, saves through the real store with the next review state attached."""

    def __init__(self, store: ResponseStore, state: review.ReviewState, clock, on_saved):
        self._store, self._state, self._clock, self._on_saved = store, state, clock, on_saved

    @property
    def notice(self) -> str:
        return self._store.notice

    @notice.setter
    def notice(self, value: str) -> None:
        self._store.notice = value

    @property
    def path(self):
        return self._store.path

    def is_read_only(self) -> bool:
        return self._store.is_read_only()

    def load(self) -> dict:
        return self._store.load()

    def get(self, exercise_id: str):
        return None  # start blank: the review must not show the earlier answer

    def save(self, exercise_id, kind, answer, **fields):
        new_state = review.after_review(self._state, fields.get("score"), self._clock())
        rec = self._store.save(exercise_id, kind, answer, review=new_state.to_record(), **fields)
        self._on_saved(exercise_id, new_state)
        return rec


class ReviewSession(widgets.VBox):
    """Today's review: up to ``limit`` due questions, most overdue first, with the box each moves to."""

    def __init__(self, *, limit: int = 5, notebooks_dir=None, store=None, clock=_now, **kwargs):
        super().__init__(**kwargs)
        self.add_class("techlead-ex")
        self.clock = clock
        self.limit = limit
        self.store = store if store is not None else ResponseStore(find_notebooks_dir(notebooks_dir) / "responses.json")
        self.summary = widgets.HTML(layout=FULL)
        self.questions = widgets.VBox(layout=FULL)
        self.schedule_table = widgets.HTML(layout=FULL)
        self.refresh_button = button("New review", "Look again for questions that are due", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.results: dict[str, review.ReviewState] = {}
        self.children = (self.summary, self.questions, self.refresh_button, self.schedule_table)
        self.refresh()

    # -- wiring
    def refresh(self) -> None:
        from . import widget_class
        from .banks import UnknownExercise, get_exercise

        records = self.store.load()
        notice, self.store.notice = self.store.notice, ""
        now = self.clock()
        self.due = []
        widgets_list = []
        for exercise_id, state in review.due_items(records, now):
            if len(self.due) >= self.limit:
                break
            try:
                entry = get_exercise(exercise_id)
            except UnknownExercise:
                continue  # an answer to a question no longer in the course
            if entry["kind"] not in review.CHECK_KINDS or entry.get("graded"):
                continue
            proxy = _ReviewStore(self.store, state, self.clock, self._saved)
            widgets_list.append(widget_class(entry["kind"])(entry, store=proxy))
            self.due.append(exercise_id)
        self.questions.children = tuple(widgets_list)
        self.results = {}
        self._summarise(records, now, notice)

    def _saved(self, exercise_id: str, state: review.ReviewState) -> None:
        self.results[exercise_id] = state
        self._summarise(self.store.load(), self.clock(), "")

    def _summarise(self, records: dict, now: datetime, notice: str) -> None:
        rows = review.schedule(records, now)
        if not rows:
            message = ("Nothing to review yet: answer the knowledge checks in the lessons first, "
                       "then come back here.")
        elif not self.due:
            nxt = min(r["due"] for r in rows)
            message = f"✔ Nothing is due. The next question comes back on {nxt:%A %d %B at %H:%M}."
        else:
            message = (f"<strong>{len(self.due)}</strong> question{'s' if len(self.due) != 1 else ''} "
                       f"to review now (of {sum(r['due_now'] for r in rows)} due). Answer each and press Check.")
        if self.results:
            moved = "; ".join(f"{esc(i)} → box {s.box}, back in {review.BOX_WAIT_DAYS[s.box]} day(s)"
                              for i, s in self.results.items())
            message += f"<br>Reviewed: {moved}."
        if notice:
            message += f"<br>{notice}"
        self.summary.value = STYLE + status_html(message)
        body = "".join(
            f"<tr><td>{esc(r['exercise'])}</td><td>{r['box']}</td>"
            f"<td>{_due_text(r)}</td>"
            f"<td>{r['reviews']}</td></tr>" for r in rows)
        self.schedule_table.value = (
            "<details><summary>Your review schedule</summary><table class='techlead-table'>"
            "<caption>Questions by box (1: now, 2: 1 day, 3: 3 days, 4: 7 days, 5: 21 days)</caption>"
            "<thead><tr><th scope='col'>Question</th><th scope='col'>Box</th><th scope='col'>Due</th>"
            f"<th scope='col'>Reviews</th></tr></thead><tbody>{body}</tbody></table></details>")


def show_review(*, limit: int = 5, notebooks_dir=None, path=None) -> ReviewSession:
    """Today's spaced review (``path``: a responses file other than the lessons folder's)."""
    store = ResponseStore(path) if path is not None else None
    return ReviewSession(limit=limit, notebooks_dir=notebooks_dir, store=store)
