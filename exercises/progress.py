"""Progress: how many exercises are answered, for a lesson and for the whole course.

A lesson's exercises are the ids its notebook passes to ``show("…")`` (found by scanning the
notebook's JSON); the lessons and their order come from ``exercises/course.yaml``. Answers are
read from the responses file (``responses.json`` in the working folder, i.e. ``notebooks/``).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import ipywidgets as widgets
from traitlets import Unicode

from ._ui import FULL, STYLE, button, esc, status_html
from .store import ResponseStore, is_empty_answer

SHOW_CALL = re.compile(r"""\bshow\(\s*(?P<q>["'])(?P<id>[a-z0-9-]+/[a-z0-9-]+)(?P=q)""")


# --------------------------------------------------------------------------- pure helpers

def notebook_exercise_ids(notebook) -> list[str]:
    """The exercise ids a notebook shows, in order (each once), from its code cells."""
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    ids: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        for m in SHOW_CALL.finditer(src):
            if m.group("id") not in ids:
                ids.append(m.group("id"))
    return ids


def find_notebooks_dir(start=None) -> Path:
    """The lessons folder: the working folder if it holds a lesson, else the repository's ``notebooks/``."""
    from .banks import PACKAGE_DIR, load_course

    here = Path(start) if start else Path.cwd()
    files = [lesson["file"] for lesson in load_course().get("lessons", [])]
    if any((here / f).exists() for f in files):
        return here
    return PACKAGE_DIR.parent / "notebooks"


def course_lessons(notebooks_dir=None) -> list[dict]:
    """``[{"number", "file", "title", "ids"}]`` for every lesson of the course, in order.

    Numbers follow the article's sections (1, 2, 3 ...); a lesson that continues the one before it
    is numbered with a letter, as a string ("9b"; see :func:`exercises.banks.lesson_numbers`)."""
    from .banks import lesson_numbers, load_course

    folder = Path(notebooks_dir) if notebooks_dir else find_notebooks_dir()
    entries = load_course().get("lessons", [])
    out = []
    for number, lesson in zip(lesson_numbers(entries), entries):
        number = int(number) if number.isdigit() else number   # "4b": a split lesson's second part
        out.append({"number": number, "file": lesson["file"], "title": lesson.get("title", lesson["file"]),
                    "ids": notebook_exercise_ids(folder / lesson["file"])})
    return out


def is_answered(record) -> bool:
    """Does a saved record hold a real answer (or at least one rating session)?"""
    if not isinstance(record, dict):
        return False
    return bool(record.get("sessions")) or not is_empty_answer(record.get("answer"))


def count_answered(records: dict, ids) -> int:
    """How many of *ids* have an answer in *records*."""
    return sum(1 for i in ids if is_answered(records.get(i)))


def current_lesson_file() -> str | None:
    """The notebook this kernel runs, when Jupyter says so (``JPY_SESSION_NAME``)."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    return Path(name).name if name.endswith(".ipynb") else None


def resolve_lesson(lesson, lessons) -> dict | None:
    """A lesson given as number, file name or title (None: the current notebook, if known)."""
    if lesson is None:
        lesson = current_lesson_file()
        if lesson is None:
            return None
    for item in lessons:
        if (lesson in (item["number"], item["file"], item["title"]) or str(lesson) == str(item["number"])
                or str(lesson) == Path(item["file"]).stem):
            return item
    if isinstance(lesson, str) and lesson.endswith(".ipynb"):
        return None
    raise ValueError(f"No lesson {lesson!r} in exercises/course.yaml")


# --------------------------------------------------------------------------- widget

class Progress(widgets.VBox):
    """Progress bars with text labels: the lesson (when known) and every lesson of the course.

    ``refresh()`` (the *Refresh* button) re-reads the responses file.
    """

    lesson = Unicode("", help="File name of the lesson shown on top ('' for the course only).")

    def __init__(self, lesson=None, *, notebooks_dir=None, store=None, ids=None, title=None, **kwargs):
        super().__init__(**kwargs)
        self.add_class("techlead-ex")
        self.notebooks_dir = Path(notebooks_dir) if notebooks_dir else find_notebooks_dir()
        if store is None:
            # the course's answers live next to the lessons (unless $TECHLEAD_RESPONSES says otherwise)
            env = os.environ.get("TECHLEAD_RESPONSES", "").strip()
            store = ResponseStore(env or self.notebooks_dir / "responses.json")
        self.store = store
        self._lesson_arg = lesson
        self._ids = list(ids) if ids is not None else None
        self._title = title
        self.refresh_button = button("Refresh", "Count your answers again", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.status = widgets.HTML("", layout=FULL)
        self.bars: dict[str, widgets.IntProgress] = {}
        self.refresh()

    @classmethod
    def from_bank(cls, bank: str, **kwargs) -> "Progress":
        """Progress over every exercise of one bank (``bank`` or ``"bank/…"``)."""
        from .banks import load_banks

        name = bank.split("/")[0]
        banks = load_banks()
        if name not in banks:
            raise KeyError(f"No bank named {name!r}")
        ids = [e["full_id"] for e in banks[name]["exercises"].values()]
        return cls(ids=ids, title=banks[name]["title"], **kwargs)

    def _row(self, key: str, label: str, done: int, total: int, strong: bool = False):
        bar = widgets.IntProgress(value=done, min=0, max=max(total, 1), description=label,
                                  style={"description_width": "18em"},
                                  layout=widgets.Layout(width="min(100%, 40em)"),
                                  bar_style="success" if total and done >= total else "")
        text = f"{done} of {total} answered" + (" ✔" if total and done >= total else "")
        lab = widgets.HTML(f"<span>{'<strong>' if strong else ''}{esc(text)}{'</strong>' if strong else ''}</span>")
        self.bars[key] = bar
        return widgets.HBox([bar, lab])

    def refresh(self) -> None:
        """Re-read the answers and rebuild the bars."""
        records = self.store.load()
        notes = [self.store.notice] if self.store.notice else []
        self.store.notice = ""
        self.bars = {}
        rows = [widgets.HTML(STYLE + "<h3 style='margin:0.3em 0;font-size:var(--jp-content-font-size2, 1.1em)'>Your progress</h3>", layout=FULL)]
        if self._ids is not None:
            done = count_answered(records, self._ids)
            rows.append(self._row("bank", self._title or "Exercises", done, len(self._ids), strong=True))
        else:
            lessons = course_lessons(self.notebooks_dir)
            current = resolve_lesson(self._lesson_arg, lessons)
            self.lesson = current["file"] if current else ""
            if current:
                done = count_answered(records, current["ids"])
                rows.append(self._row("lesson", f"This lesson ({current['number']})", done,
                                      len(current["ids"]), strong=True))
            total_ids = [i for item in lessons for i in item["ids"]]
            rows.append(self._row("course", "Whole course", count_answered(records, total_ids),
                                  len(total_ids), strong=True))
            rows.append(widgets.HTML("<div class='techlead-muted'>By lesson:</div>"))
            for item in lessons:
                rows.append(self._row(item["file"], f"{item['number']}. {item['title']}",
                                      count_answered(records, item["ids"]), len(item["ids"])))
        self.status.value = status_html("<br>".join(notes))
        self.children = tuple(rows) + (self.refresh_button, self.status)


def show_progress(lesson=None, *, notebooks_dir=None, path=None) -> Progress:
    """Progress bars for this lesson (or *lesson*: number or file name) and the whole course."""
    return Progress(lesson, notebooks_dir=notebooks_dir, store=ResponseStore(path) if path else None)
