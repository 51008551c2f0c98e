"""Reflection widget: a prompt and a labelled text area, saved as the learner types.

Saving is debounced (at most one save per ``interval`` seconds while typing, and a final save
when typing stops), plus an explicit *Save* button. The status line says "Saving…" while a typed
change waits for its save and "Saved at HH:MM" (the time of the last real write) once it is saved.

No threads. The delayed save is scheduled on the kernel's own asyncio event loop
(``loop.call_later``): ipykernel runs every comm message (each keystroke's new value) inside its
running loop, so the timer fires between messages on the same thread, with nothing to lock.
JupyterLite's Pyodide kernel cannot start threads at all; there the browser's event loop
(Pyodide's WebLoop, also an asyncio loop) takes the call. Where no loop runs (a plain script, a
test) every change is saved at once. Every character stays safe: the first change after a pause
is saved at once, later ones within ``interval`` seconds; a page reload keeps the kernel (and its
pending timer) alive; a kernel told to shut down or restart exits normally and the ``atexit``
hook writes any pending change.
"""
from __future__ import annotations

import asyncio
import atexit
import sys
import time
import weakref

import ipywidgets as widgets
from traitlets import Float, Int

from . import scoring
from ._ui import _CHANGES, FULL, ExerciseBase, button, hhmm, md_inline, refresh_downloads

_pending: "weakref.WeakSet[Debouncer]" = weakref.WeakSet()


def loop_call_later(delay: float, fn):
    """Schedule *fn* on the running asyncio loop (the kernel's); None when there is none.

    On Pyodide (``sys.platform == "emscripten"``) the WebLoop is the event loop even when no
    coroutine is running at the moment of the call.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if sys.platform != "emscripten":
            return None
        try:  # pragma: no cover - only in JupyterLite
            loop = asyncio.get_event_loop()
        except RuntimeError:  # pragma: no cover
            return None
    return loop.call_later(delay, fn)


class Debouncer:
    """Call ``fn`` at most once per ``interval`` seconds; a trailing call catches the last change.

    ``trigger()`` marks a change; ``flush()`` runs a pending call now. ``call_later(delay, fn)``
    schedules the trailing call and returns a handle with ``cancel()``, or None when it cannot
    schedule (then the change is saved at once). The default is :func:`loop_call_later`.
    """

    def __init__(self, fn, interval: float = 2.0, clock=time.monotonic, call_later=loop_call_later):
        self.fn = fn
        self.interval = interval
        self.clock = clock
        self.call_later = call_later
        self._last = None
        self._handle = None
        self._dirty = False
        self.calls = 0

    def trigger(self) -> None:
        self._dirty = True
        now = self.clock()
        wait = 0.0 if self._last is None else self.interval - (now - self._last)
        if self._handle is not None:
            return                      # the trailing call is already scheduled
        if wait > 0:
            self._handle = self.call_later(max(wait, 0.01), self._fire)
            if self._handle is not None:
                _pending.add(self)
                return
        self._run()                     # due now, or nothing can schedule: save at once

    def _fire(self) -> None:
        self._handle = None
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

    def _drop_handle(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def flush(self) -> None:
        """Run a pending call now (and cancel its timer)."""
        self._drop_handle()
        if self._dirty:
            self._run()

    def cancel(self) -> None:
        self._drop_handle()
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
        if self.read_only:
            extra += ("<div><strong>🔒 Not saved here</strong>: this copy is read-only (see the warning "
                      "below); download your answers to keep what you write.</div>")
        else:
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
        self._change_no = next(_CHANGES)
        if self._problem:
            refresh_downloads(self.store.path)   # the download always holds the text on screen
            if self.read_only:
                return
        self._debouncer.trigger()
        if self._debouncer.pending:
            self._show_notes("Saving…")

    def _what(self) -> str:
        return "your reflection"

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
