"""Reflection widget: a prompt and a labelled text area, saved as the learner types.

Saving is debounced (at most one save per ``interval`` seconds while typing, and a final save
when typing stops), plus an explicit *Save* button. The status line shows "Saved at HH:MM".
"""
from __future__ import annotations

import atexit
import threading
import time
import weakref

import ipywidgets as widgets
from traitlets import Float, Int

from . import scoring
from ._ui import FULL, ExerciseBase, button, hhmm, md_inline

_pending: "weakref.WeakSet[Debouncer]" = weakref.WeakSet()


class Debouncer:
    """Call ``fn`` at most once per ``interval`` seconds; a trailing call catches the last change.

    ``trigger()`` marks a change; ``flush()`` runs a pending call now. Thread-safe.
    """

    def __init__(self, fn, interval: float = 2.0, clock=time.monotonic, timer=threading.Timer):
        self.fn = fn
        self.interval = interval
        self.clock = clock
        self.timer_factory = timer
        self._last = None
        self._timer = None
        self._dirty = False
        self._lock = threading.RLock()
        self.calls = 0

    def trigger(self) -> None:
        with self._lock:
            self._dirty = True
            now = self.clock()
            wait = 0.0 if self._last is None else self.interval - (now - self._last)
            if wait <= 0 and self._timer is None:
                self._run()
            elif self._timer is None:
                self._timer = self.timer_factory(max(wait, 0.01), self._fire)
                self._timer.daemon = True
                self._timer.start()
                _pending.add(self)

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            if self._dirty:
                self._run()

    def _run(self) -> None:
        self._dirty = False
        self._last = self.clock()
        self.calls += 1
        self.fn()

    @property
    def pending(self) -> bool:
        return self._dirty

    def flush(self) -> None:
        """Run a pending call now (and cancel its timer)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._dirty:
                self._run()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._dirty = False


@atexit.register
def _flush_all() -> None:  # pragma: no cover - runs at interpreter exit
    for d in list(_pending):
        try:
            d.flush()
        except Exception:
            pass


class Reflection(ExerciseBase):
    """A reflection prompt with a labelled text area, a live word count and auto-save.

    ``text`` gets/sets the text; ``save()`` (the *Save* button) saves now.
    """

    kind = "reflection"
    min_words = Int(0, help="Suggested minimum number of words (shown, not enforced).")
    save_interval = Float(2.0, help="While typing, save at most once per this many seconds.")

    def __init__(self, entry: dict, *, graded: bool = False, store=None, save_interval: float = 2.0, **kwargs):
        super().__init__(entry, graded=graded, store=store, **kwargs)
        self.min_words = int(entry.get("min_words") or 0)
        self.max_chars = int(entry.get("max_chars") or 2_000_000)
        self.save_interval = save_interval
        extra = ""
        if entry.get("guidance"):
            extra += f"<div class='techlead-muted'>{md_inline(entry['guidance'])}</div>"
        extra += ("<div class='techlead-muted'>Your text is saved as you type and when you press "
                  "<em>Save</em>.</div>")
        saved = self.record.get("answer") if self.record else None
        self.textarea = widgets.Textarea(
            value=saved if isinstance(saved, str) else "",
            placeholder="Write your thoughts here…", description="Your reflection:",
            style={"description_width": "initial"}, rows=8, continuous_update=True, layout=FULL)
        self.words = widgets.HTML("", layout=FULL)
        self.save_button = button("Save", "Save your reflection now", icon="save")
        self.save_button.on_click(lambda _b: self.save())
        self._debouncer = Debouncer(self._autosave, interval=save_interval)
        self._finish([self.heading(entry.get("title"), entry["prompt"], extra), self.textarea,
                      self.words, self.save_button])
        self._update_count()
        if isinstance(saved, str) and saved:
            self._show_notes(f"Your saved reflection (saved at {hhmm(self.record.get('updated'))}).")
        self.textarea.observe(self._typed, names="value")

    @property
    def text(self) -> str:
        return self.textarea.value

    @text.setter
    def text(self, value: str) -> None:
        self.textarea.value = value

    answer = text

    def _update_count(self) -> None:
        n = scoring.word_count(self.textarea.value)
        goal = f" (aim for at least {self.min_words})" if self.min_words else ""
        done = " ✔" if self.min_words and n >= self.min_words else ""
        self.words.value = f"<span aria-live='polite'>{n} word{'s' if n != 1 else ''}{goal}{done}</span>"

    def _typed(self, _change=None) -> None:
        self._update_count()
        if self.read_only:
            return
        self._debouncer.trigger()

    def _autosave(self) -> None:
        self._do_save(quiet_when_empty=True)

    def save(self):
        """Save now (the *Save* button). Returns the saved record or None."""
        self._debouncer.cancel()
        return self._do_save(quiet_when_empty=False)

    def flush(self) -> None:
        """Save a pending typed change now (no-op when nothing is pending)."""
        self._debouncer.flush()

    def _do_save(self, quiet_when_empty: bool):
        text = self.textarea.value
        if len(text) > self.max_chars:
            self._show_notes(f"⚠ Your text is longer than {self.max_chars:,} characters; "
                             "please shorten it so it can be saved.")
            return None
        if not text.strip():
            if quiet_when_empty:
                self._show_notes("✎ Empty text is not saved; your earlier text stays saved.")
                return None
            self._show_notes("✎ Nothing to save yet: please write something first.")
            return None
        if self.record and self.record.get("answer") == text:
            self._show_notes(self._saved_text(self.record))
            return self.record
        return self._save(text, words=scoring.word_count(text))


__all__ = ["Reflection", "Debouncer"]
