"""Shared view helpers: the exercise base container, status line, styles and text formatting.

Widgets only wire controls to :mod:`exercises.scoring` (rules) and :mod:`exercises.store`
(saving); they decide nothing themselves.
"""
from __future__ import annotations

import html
import re
from datetime import datetime

import ipywidgets as widgets
from traitlets import Bool, Unicode

from . import store as _store

# Theme-neutral styles: only JupyterLab CSS variables, no hard-coded backgrounds.
# They let long option texts wrap instead of being clipped to one line.
STYLE = """<style>
.techlead-ex { border-left: 3px solid var(--jp-brand-color1, currentColor); padding-left: 0.8em;
  margin: 0.4em 0; color: var(--jp-content-font-color1, inherit); }
.techlead-ex .widget-radio-box label, .techlead-ex .jupyter-widget-radio-box label {
  height: auto; min-height: var(--jp-widgets-radio-item-height); line-height: 1.4;
  white-space: normal; display: flex; align-items: flex-start; padding: 2px 0; }
.techlead-ex .widget-radio-box input, .techlead-ex .jupyter-widget-radio-box input {
  height: auto; margin-top: 0.25em; flex-shrink: 0; order: -1; margin-right: 0.5em; }
.techlead-ex .techlead-scale .widget-radio-box, .techlead-ex .techlead-scale .jupyter-widget-radio-box {
  flex-direction: row; flex-wrap: wrap; column-gap: 1.4em; }
.techlead-ex .widget-checkbox, .techlead-ex .jupyter-widget-checkbox { width: auto; height: auto; }
.techlead-ex .widget-checkbox .widget-label-basic, .techlead-ex .jupyter-widget-checkbox .jupyter-widget-label-basic {
  white-space: normal; height: auto; line-height: 1.4; display: flex; align-items: flex-start; }
.techlead-ex .techlead-feedback li { margin-bottom: 0.4em; }
.techlead-ex .techlead-muted { color: var(--jp-content-font-color2, inherit); }
.techlead-ex table { border-collapse: collapse; }
.techlead-ex td, .techlead-ex th { border: 1px solid var(--jp-border-color2, currentColor); padding: 2px 8px; }
</style>"""

# Shared layouts: never change them in place (give a widget its own Layout if it must change).
FULL = widgets.Layout(width="100%")
AUTO = widgets.Layout(width="auto")
LABEL_STYLE = {"description_width": "initial"}


def esc(text) -> str:
    """HTML-escape text (quotes too)."""
    return html.escape(str(text if text is not None else ""), quote=True)


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")


def md_inline(text) -> str:
    """Escape *text* and render the little Markdown banks use: **bold**, *italic*, `code`, paragraphs."""
    out = esc(text)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    out = _EM.sub(r"<em>\1</em>", out)
    paras = [p.strip().replace("\n", "<br>") for p in re.split(r"\n\s*\n", out) if p.strip()]
    if len(paras) <= 1:
        return paras[0] if paras else ""
    return "".join(f"<p>{p}</p>" for p in paras)


def hhmm(iso: str | None = None) -> str:
    """'HH:MM' of an ISO time stamp (now when None)."""
    if iso:
        try:
            return datetime.fromisoformat(iso).strftime("%H:%M")
        except ValueError:
            return iso
    return datetime.now().strftime("%H:%M")


def status_html(message: str, muted: bool = False) -> str:
    """A polite live region, so screen readers announce saves and notes."""
    cls = ' class="techlead-muted"' if muted else ""
    return f'<div role="status" aria-live="polite"{cls}>{message}</div>' if message else ""


class ExerciseBase(widgets.VBox):
    """Base container of every exercise widget: heading, body, status line.

    Subclasses build their controls, then call ``self._finish(children)``.
    """

    kind = "exercise"

    exercise_id = Unicode("", help="Full exercise id '<bank>/<id>' (the key in responses.json).")
    graded = Bool(False, help="Graded mode: the answer is recorded, no feedback or key is shown.")
    read_only = Bool(False, help="True when the responses file cannot be written (answers are shown, not saved).")

    def __init__(self, entry: dict, *, graded: bool = False, store=None, **kwargs):
        self.entry = entry
        self.store = store if store is not None else _store.ResponseStore()
        super().__init__(**kwargs)
        self.exercise_id = entry.get("full_id") or entry.get("id", "")
        self.graded = bool(graded or entry.get("graded"))
        self.read_only = self.store.is_read_only()
        self.add_class("techlead-ex")
        self.status = widgets.HTML(value="", layout=AUTO)
        self._notes: list[str] = []
        self.record = self._load_record()

    # ------------------------------------------------------------------ building
    @classmethod
    def from_bank(cls, exercise_id: str, graded: bool = False, store=None, path=None):
        """Build the widget for ``"<bank>/<id>"`` from the banks (``path``: responses file)."""
        from .banks import get_exercise

        entry = get_exercise(exercise_id)
        if entry["kind"] != cls.kind:
            raise TypeError(f"{exercise_id!r} is a {entry['kind']} exercise, not {cls.kind}: use show()")
        if store is None and path is not None:
            store = _store.ResponseStore(path)
        return cls(entry, graded=graded, store=store)

    def heading(self, title: str | None, prompt: str | None = None, extra: str = "") -> widgets.HTML:
        parts = [STYLE]
        if title:
            parts.append(f"<h3 style='margin:0.3em 0;font-size:var(--jp-content-font-size2, 1.1em)'>"
                         f"{md_inline(title)}</h3>")
        if prompt:
            parts.append(f"<div>{md_inline(prompt)}</div>")
        if extra:
            parts.append(extra)
        return widgets.HTML(value="".join(parts), layout=FULL)

    def _finish(self, children) -> None:
        self.children = tuple(children) + (self.status,)
        self._show_notes()

    # ------------------------------------------------------------------ store
    def _load_record(self):
        rec = self.store.get(self.exercise_id)
        if self.store.notice:
            self._notes.append(self.store.notice)
            self.store.notice = ""
        if self.read_only:
            self._notes.append("🔒 read-only: not saved (this copy of your answers cannot be changed).")
        return rec

    def _show_notes(self, extra: str = "") -> None:
        notes = list(self._notes) + ([extra] if extra else [])
        self.status.value = status_html("<br>".join(notes), muted=not any(n.startswith("⚠") for n in notes))

    def _saved_text(self, rec) -> str:
        when = hhmm(rec.get("updated")) if rec else hhmm()
        return f"Answer recorded at {when}." if self.graded else f"Saved at {when}."

    def _save(self, answer, **fields):
        """Save through the store; show the outcome in the status line. Returns the record or None."""
        try:
            rec = self.store.save(self.exercise_id, self.entry["kind"], answer, graded=self.graded, **fields)
        except _store.EmptyAnswer:
            self._show_notes("✎ Nothing to save yet: please give an answer first.")
            return None
        except _store.ReadOnlyStore:
            self.read_only = True
            note = "🔒 read-only: not saved (this copy of your answers cannot be changed)."
            if note not in self._notes:
                self._notes.append(note)
            self._show_notes()
            return None
        except Exception as exc:  # never lose the learner's work silently
            self._show_notes(f"⚠ Could not save your answer: {esc(exc)}")
            return None
        self.record = rec
        self._after_save_notes()
        self._show_notes(self._saved_text(rec))
        return rec

    def _after_save_notes(self) -> None:
        if self.store.notice:
            self._notes.append(self.store.notice)
            self.store.notice = ""


def button(description: str, tooltip: str, icon: str = "", style: str = "") -> widgets.Button:
    """A labelled button (text, tooltip for assistive tech, optional icon)."""
    return widgets.Button(description=description, tooltip=tooltip, icon=icon, button_style=style, layout=AUTO)


def feedback_list(result) -> str:
    """HTML list of per-option feedback, text and icon on every line (not colour alone)."""
    lines = []
    for f in result.items:
        if f.picked:
            head = (f"✔ You picked <strong>{md_inline(f.text)}</strong> — a right answer." if f.correct else
                    f"✘ You picked <strong>{md_inline(f.text)}</strong> — not right.")
        else:
            head = f"◐ You missed <strong>{md_inline(f.text)}</strong> — a right answer."
        lines.append(f"<li>{head}<br><span>{md_inline(f.feedback)}</span></li>")
    return f"<ul class='techlead-feedback'>{''.join(lines)}</ul>"
