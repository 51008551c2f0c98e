"""Shared view helpers: the exercise base container, status line, warnings, styles and text formatting.

Widgets only wire controls to :mod:`exercises.scoring` (rules) and :mod:`exercises.store`
(saving); they decide nothing themselves.

What the learner is told about saving (issue 19: never lose work, never be misled):

* the **status line** (bottom of each exercise) says only what is true: "Saved at HH:MM" with the
  time of the last real write, "✎ Not saved yet…" while the choice on screen differs from the saved
  one, "Saving…" while a typed change waits for its delayed save;
* the **warning area** (under the exercise's heading, above its controls, ``role="alert"``) holds
  what can cost work: a damaged answers file and what was restored, a read-only file, a failed save.
  Every warning starts with an icon and a bold sentence (never colour alone), says why and what to
  do, and an unsaveable exercise offers *Download my answers* (a ``data:`` link holding the saved
  answers plus everything on screen, refreshed at every change) so nothing typed is lost;
* **a lesson that stopped running.** After a kernel restart (or crash, which the server answers
  with a restart) without re-running the cells, the widgets on the page still look alive, but their
  kernel side is gone: nothing typed reaches a kernel, so nothing can be saved. We chose not to
  write front-end code for this. ipywidgets 8's JupyterLab manager already notices: on the kernel's
  ``restarting`` status it calls ``disconnect()``, which sets every model's ``comm_live`` to false,
  and each view then adds the CSS class ``jupyter-widgets-disconnected`` to its element (the small
  broken-link icon). Our stylesheet, shipped inside every exercise, keys on that class: the
  exercise's controls are hidden (so they can be neither clicked nor reached with Tab, and nothing
  can be typed into a dead widget) and a notice appears in their place, telling the learner to
  press ▶▶ (restart and run all) and that their saved answers come back. The alternatives were
  weighed: keeping the text typed into a dead widget and saving it later needs custom front-end
  code (an anywidget ESM module storing keystrokes in the browser's localStorage and replaying
  them into the new widget), which would be a second, untested copy of each control and would not
  work for the ipywidgets controls the exercises use; a comm ``on_close`` handler runs in the
  kernel, which is exactly what is gone. Text typed before the restart is safe: a kernel told to
  restart exits normally and flushes pending saves (see :mod:`exercises.reflection`).
"""
from __future__ import annotations

import base64
import html
import itertools
import re
import weakref
from datetime import datetime

import ipywidgets as widgets
from traitlets import Bool, Unicode

from . import store as _store

# Theme-neutral styles: only JupyterLab CSS variables, no hard-coded backgrounds.
# They let long option texts wrap instead of being clipped to one line.
STYLE = """<style>
.techlead-ex { border-left: 3px solid var(--jp-brand-color1, currentColor); padding-left: 0.8em;
  margin: 0.4em 0; color: var(--jp-content-font-color1, inherit); }
.techlead-ex.widget-box, .techlead-ex.jupyter-widget-box { overflow: visible; }
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
.techlead-warning { border: 2px solid var(--jp-warn-color0, currentColor); border-left-width: 6px;
  padding: 0.5em 0.8em; margin: 0.4em 0; border-radius: 2px;
  background: var(--jp-layout-color2, transparent); color: var(--jp-content-font-color0, inherit); }
.techlead-warning a { color: var(--jp-content-link-color, inherit); text-decoration: underline; }
.techlead-ex > .techlead-stopped { display: none; }
.techlead-ex.jupyter-widgets-disconnected > .techlead-stopped { display: block; }
.techlead-ex.jupyter-widgets-disconnected > :not(.techlead-stopped):not(.techlead-heading) { display: none !important; }
.techlead-ex td, .techlead-ex th { border: 1px solid var(--jp-border-color2, currentColor); padding: 2px 8px; }
</style>"""

# Shared layouts: never change them in place (give a widget its own Layout if it must change).
FULL = widgets.Layout(width="100%")
AUTO = widgets.Layout(width="auto")
LABEL_STYLE = {"description_width": "initial"}
# What shows a widget hidden with layout.display = "none" again. Not None: JupyterLite's kernel (Pyodide)
# turns None into JavaScript's undefined, which the message to the page drops, so the widget stayed
# hidden there; an empty value removes the inline style in every front end.
SHOWN = ""


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


STOPPED_HTML = (
    "<div class='techlead-warning' role='alert'><strong>⚠ This lesson has stopped running</strong> "
    "(its kernel restarted or stopped), so this exercise can no longer check or save anything, and "
    "what you typed here now would be lost.<br><strong>What to do:</strong> press <strong>▶▶</strong> "
    "in the notebook's toolbar (<em>Restart the kernel and run all cells</em>), or choose "
    "<em>Run → Run All Cells</em>. Your saved answers come back when the exercises reappear.</div>")
STOPPED_TEXT = "This lesson has stopped running"

READ_ONLY_STATUS = "🔒 read-only: not saved (see the warning above)."
DOWNLOAD_NAME = "my_answers.json"

_LIVE: "weakref.WeakSet[ExerciseBase]" = weakref.WeakSet()
_CHANGES = itertools.count(1)


def stopped_notice() -> widgets.HTML:
    """The notice shown (by CSS) in place of an exercise whose kernel has gone."""
    notice = widgets.HTML(STOPPED_HTML, layout=FULL)
    notice.add_class("techlead-stopped")
    return notice


def warning_box(message: str) -> str:
    """One warning: an alert region with a visible border, its text starting with an icon."""
    return f"<div class='techlead-warning' role='alert'>{message}</div>"


def read_only_warning(name: str, download: str) -> str:
    """Why nothing is saved and what to do, for a read-only answers file."""
    return (f"🔒 <strong>⚠ Not saved: your answers file cannot be changed here.</strong> "
            f"<code>{esc(name)}</code> (or its folder) is read-only: for example a graded copy returned "
            "to you, or a folder you may only read. You can still answer and see feedback, but nothing "
            "you do here is kept once you close this tab.<br><strong>What to do:</strong> "
            f"{download} now and keep the file. To work and save, open a copy of this lesson in a "
            "folder of your own (<em>File → Save Notebook As…</em>), or ask whoever runs the course to "
            f"make the file writable (<code>chmod u+w {esc(name)}</code>).")


def failed_warning(what: str, reason: str, download: str) -> str:
    return (f"<strong>⚠ Not saved: {esc(what)} could not be saved</strong> ({esc(reason)}).<br>"
            "<strong>What to do:</strong> try again in a moment; if it keeps failing, the disk may be "
            f"full or the folder not writable: {download} now so nothing is lost.")


def on_screen_answers(path) -> dict:
    """``{exercise_id: (kind, answer)}``: the newest unsaved answer on screen for each exercise of *path*."""
    best: dict = {}
    for w in list(_LIVE):
        if str(w.store.path) != str(path) or not w._change_no:
            continue
        try:
            answer = w.answer
        except Exception:  # pragma: no cover - a half-built widget
            continue
        if _store.is_empty_answer(answer) or not w._differs_from_saved():
            continue
        if w.exercise_id not in best or best[w.exercise_id][0] < w._change_no:
            best[w.exercise_id] = (w._change_no, w.entry.get("kind", w.kind), answer)
    return {k: (kind, answer) for k, (_n, kind, answer) in best.items()}


def download_link(store) -> str:
    """A link that downloads the saved answers plus every unsaved answer on screen (a ``data:`` URL)."""
    from .export import answers_file_text

    try:
        saved = store.load()
    except Exception:  # pragma: no cover - the download must never fail the exercise
        saved = {}
    text = answers_file_text(saved, on_screen_answers(store.path))
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (f"<a class='techlead-download' download='{DOWNLOAD_NAME}' "
            f"href='data:application/json;charset=utf-8;base64,{data}'>⬇ Download my answers "
            f"({DOWNLOAD_NAME})</a> (everything on screen, saved or not)")


def refresh_downloads(path) -> None:
    """Rebuild the download links of every unsaveable exercise and banner of responses file *path*."""
    for w in list(_LIVE):
        if str(w.store.path) == str(path) and w._problem:
            w._render_alert()


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
        self.alert = widgets.HTML(value="", layout=FULL)
        self.stopped = stopped_notice()
        self._notes: list[str] = []
        self._warnings: dict[str, str] = {}
        self._problem = ""            # "read-only" or "failed" while answers cannot be saved
        self._change_no = 0           # > 0 once the learner changed something (newest change wins)
        self.record = self._load_record()
        _LIVE.add(self)

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
        head = widgets.HTML(value="".join(parts), layout=FULL)
        head.add_class("techlead-heading")
        return head

    def _finish(self, children) -> None:
        """Lay out: heading, stopped-kernel notice, warnings, the exercise's controls, status line."""
        children = tuple(children)
        self.children = (*children[:1], self.stopped, self.alert, *children[1:], self.status)
        self._render_alert()
        self._show_notes()

    # ------------------------------------------------------------------ store
    def _load_record(self):
        rec = self.store.get(self.exercise_id)
        if self.store.notice:
            self._take_notice()
        if self.read_only:
            self._problem = "read-only"
        return rec

    def _take_notice(self) -> None:
        notice, self.store.notice = self.store.notice, ""
        if notice.startswith("⚠"):
            self._warnings["store"] = f"<strong>{esc(notice[:1])}</strong> {esc(notice[1:].strip())}"
        elif notice not in self._notes:
            self._notes.append(esc(notice))

    def _render_alert(self) -> None:
        boxes = [warning_box(m) for m in self._warnings.values()]
        if self._problem == "read-only":
            boxes.append(warning_box(read_only_warning(self.store.path.name, download_link(self.store))))
        elif self._problem:
            boxes.append(warning_box(failed_warning(self._what(), self._problem, download_link(self.store))))
        self.alert.value = "".join(boxes)

    def _what(self) -> str:
        return "your answer"

    def _show_notes(self, extra: str = "") -> None:
        notes = list(self._notes)
        if self.read_only and READ_ONLY_STATUS not in notes:
            notes.append(READ_ONLY_STATUS)
        if extra:
            notes.append(extra)
        self.status.value = status_html("<br>".join(notes), muted=not any(n.startswith("⚠") for n in notes))

    def _saved_text(self, rec) -> str:
        when = hhmm(rec.get("updated")) if rec else hhmm()
        return f"Answer recorded at {when}." if self.graded else f"Saved at {when}."

    # ------------------------------------------------------------------ what is saved vs on screen
    def _saved_answer(self):
        return self.record.get("answer") if self.record else None

    def _differs_from_saved(self) -> bool:
        """Does the answer on screen differ from the saved one (so it is not saved yet)?"""
        return self.answer != self._saved_answer()

    def _save_hint(self) -> str:
        return "press Submit answer" if self.graded else "press Check"

    def _answer_changed(self) -> None:
        """The learner changed the answer on screen: tell the truth about what is saved."""
        self._change_no = next(_CHANGES)
        if self._problem:
            refresh_downloads(self.store.path)
        if _store.is_empty_answer(self.answer):
            self._show_notes()
        elif self._differs_from_saved():
            earlier = (f" (your saved answer, from {hhmm(self.record.get('updated'))}, is different)"
                       if self.record and not _store.is_empty_answer(self._saved_answer()) else "")
            self._show_notes(f"✎ Not saved yet: {self._save_hint()} to save this answer{earlier}.")
        else:
            self._show_notes(self._saved_text(self.record))

    def _save(self, answer, **fields):
        """Save through the store; show the outcome in the status line. Returns the record or None."""
        try:
            rec = self.store.save(self.exercise_id, self.entry["kind"], answer, graded=self.graded, **fields)
        except _store.EmptyAnswer:
            self._show_notes("✎ Nothing to save yet: please give an answer first.")
            return None
        except _store.ReadOnlyStore:
            self._unsaveable("read-only")
            return None
        except Exception as exc:  # never lose the learner's work silently
            self._unsaveable(str(exc) or type(exc).__name__)
            self._show_notes(f"⚠ Could not save {self._what()}: {esc(exc)} (see the warning above).")
            return None
        self._saved_now(rec)
        self._show_notes(self._saved_text(rec))
        return rec

    def _unsaveable(self, problem: str) -> None:
        """Answers cannot be saved now: show the warning with its download link."""
        if problem == "read-only":
            self.read_only = True
        self._problem = problem
        if not self._change_no:
            self._change_no = next(_CHANGES)
        refresh_downloads(self.store.path)
        self._render_alert()
        self._show_notes()

    def _saved_now(self, rec) -> None:
        self.record = rec
        if self._problem and self._problem != "read-only":
            self._problem = ""        # saving works again
        self._after_save_notes()
        self._render_alert()

    def _after_save_notes(self) -> None:
        if self.store.notice:
            self._take_notice()


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
