"""Bring back what the learner wrote earlier in the course, read-only, so a later lesson can build on it.

    from exercises import recall
    recall("intro/why-you-are-here", "developing-skills/my-learning-plan")

Each earlier exercise is shown with the lesson it came from, its prompt and the saved answer, read from
the same ``responses.json`` the lessons write (through the store's public API; nothing is written). An
exercise not answered yet says so and names the lesson to open, so nothing looks lost. A *Refresh*
button re-reads the file after the learner goes back and writes it.
"""
from __future__ import annotations

import html

import ipywidgets as widgets

from .store import ResponseStore


def _lesson_of(exercise_id: str) -> dict | None:
    try:
        from .progress import course_lessons

        for lesson in course_lessons():
            if exercise_id in lesson["ids"]:
                return lesson
    except Exception:  # pragma: no cover - the course map is optional for this widget
        pass
    return None


def earlier_answer(exercise_id: str, records: dict) -> dict:
    """What to show for one earlier exercise: ``{"id", "title", "prompt", "lesson", "text", "updated"}``.

    ``text`` is the saved answer for a reflection (None when there is none yet)."""
    from .banks import get_exercise

    entry = get_exercise(exercise_id)
    rec = records.get(exercise_id) or {}
    answer = rec.get("answer")
    text = answer.strip() if isinstance(answer, str) and answer.strip() else None
    lesson = _lesson_of(exercise_id)
    return {"id": exercise_id, "title": entry.get("title") or exercise_id, "prompt": entry.get("prompt", ""),
            "lesson": None if lesson is None else {"number": lesson["number"], "file": lesson["file"],
                                                   "title": lesson["title"]},
            "text": text, "updated": str(rec.get("updated", ""))[:10]}


def _card(item: dict) -> str:
    where = ""
    if item["lesson"]:
        lesson = item["lesson"]
        where = (f'<a href="{html.escape(lesson["file"])}">Lesson {html.escape(str(lesson["number"]))} · '
                 f'{html.escape(lesson["title"])}</a>')
    head = f"<h4>{html.escape(item['title'])}</h4>" + (f"<p><em>From {where}</em></p>" if where else "")
    prompt = f"<p><strong>You were asked:</strong> {html.escape(item['prompt'].strip())}</p>" if item["prompt"] else ""
    if item["text"] is None:
        body = ("<p><strong>Not written yet.</strong> Open " + (where or "that lesson")
                + ", write your answer there, then press Refresh here.</p>")
    else:
        when = f" (saved {html.escape(item['updated'])})" if item["updated"] else ""
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in item["text"].split("\n") if p.strip())
        body = f"<p><strong>You wrote{when}:</strong></p><blockquote>{paragraphs}</blockquote>"
    return f'<section class="techlead-recall" aria-label="{html.escape(item["title"])}">{head}{prompt}{body}</section>'


class Recall(widgets.VBox):
    """Earlier answers, read-only, with a Refresh button. ``items`` holds what is shown."""

    def __init__(self, exercise_ids, *, path=None):
        self.exercise_ids = list(exercise_ids)
        self.store = ResponseStore(path)
        self.cards = widgets.HTML()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh",
                                             tooltip="Read your saved answers again")
        self.refresh_button.on_click(lambda _b: self.refresh())
        super().__init__([self.cards, self.refresh_button])
        self.refresh()

    def refresh(self) -> None:
        self.items = [earlier_answer(i, self.store.load()) for i in self.exercise_ids]
        self.cards.value = "".join(_card(item) for item in self.items)

    @property
    def missing(self) -> list[str]:
        """The ids with no saved answer yet."""
        return [item["id"] for item in self.items if item["text"] is None]


def recall(*exercise_ids: str, path=None) -> Recall:
    """Show the learner's earlier answers to these exercises (make it the cell's last expression)."""
    if not exercise_ids:
        raise ValueError("recall() needs at least one exercise id, such as 'intro/why-you-are-here'")
    return Recall(exercise_ids, path=path)
