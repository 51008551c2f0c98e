"""The responses store: every answer, written atomically to ``responses.json``.

Where: ``responses.json`` in the current working directory (a notebook kernel runs in the
notebook's folder), unless the ``TECHLEAD_RESPONSES`` environment variable or a ``path``
argument names another file.

Format (``schema_version`` 1)::

    {
      "schema_version": 1,
      "responses": {
        "<bank>/<id>": {
          "kind": "choice",                 # the exercise kind
          "answer": "b",                    # see grading.recorded_answer for each kind
          "score": 1.0,                     # 0..1, practice mode only
          "graded": false,                  # true when recorded in graded mode
          "first_saved": "2025-01-31T10:02:11+00:00",
          "updated": "2025-01-31T10:04:52+00:00",
          "attempts": 2,
          ...                               # kind extras: "path", "explored", "sessions", "words"
        }
      }
    }

Reliability rules:

* write = temp file in the same folder + ``os.replace`` (atomic), under a ``filelock`` lock
  ``responses.json.lock``; every write is read-modify-write under that lock, so two kernels
  saving into one folder lose nothing;
* a corrupt file (bad JSON, wrong shape, wrong ``schema_version`` type) is moved aside to
  ``responses.corrupt-<timestamp>.json`` (kept, never deleted) and saving continues in a fresh
  file; the caller gets a notice to show the learner;
* a read-only file (nbgrader's autograded copies are mode 444) or folder is read but never
  written: saving raises :class:`ReadOnlyStore`;
* text is stored as UTF-8 with ``ensure_ascii=False``: any unicode round-trips exactly.

This module knows nothing about widgets. ``filelock`` is imported on first write.
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from datetime import datetime
from pathlib import Path

SCHEMA_VERSION = 1
FILENAME = "responses.json"
ENV_VAR = "TECHLEAD_RESPONSES"
LOCK_TIMEOUT = 30.0
LOG_LIMIT = 500

_thread_lock = threading.RLock()


class StoreError(Exception):
    """Base class for problems saving a response."""


class ReadOnlyStore(StoreError):
    """The responses file (or its folder) is read-only; answers are shown but not saved."""


class EmptyAnswer(StoreError, ValueError):
    """An empty answer was refused (nothing to save)."""


def now_iso() -> str:
    """The local time with its UTC offset, to the second (``2025-01-31T10:02:11+01:00``)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


INSTRUCTOR_ANSWERS = ".instructor-answers"


def instructor_folder(folder: Path) -> Path | None:
    """Where answers go when *folder* is an assignment's ``source/<id>/`` in an nbgrader course.

    An instructor who tries the widgets in ``source/`` must never ship their answers: nbgrader's
    *Generate* copies every file of ``source/<id>/`` into ``release/<id>/``. So those answers are
    kept in ``<course>/.instructor-answers/<id>/`` instead (a folder nbgrader never copies).
    """
    folder = Path(folder)
    if folder.parent.name == "source" and (folder.parent.parent / "nbgrader_config.py").is_file():
        return folder.parent.parent / INSTRUCTOR_ANSWERS / folder.name
    return None


def default_path() -> Path:
    """``$TECHLEAD_RESPONSES`` if set, else ``responses.json`` in the working folder (or, in an
    assignment's ``source/<id>/``, in ``<course>/.instructor-answers/<id>/``)."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env)
    cwd = Path.cwd()
    kept = instructor_folder(cwd)
    if kept is not None:
        kept.mkdir(parents=True, exist_ok=True)
        return kept / FILENAME
    return cwd / FILENAME


def _empty() -> dict:
    return {"schema_version": SCHEMA_VERSION, "responses": {}}


def is_empty_answer(answer) -> bool:
    """Is this answer empty (None, blank text, nothing picked)?"""
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    if isinstance(answer, (list, tuple, dict, set)):
        return len(answer) == 0
    return False


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text to *path* atomically: a temp file in the same folder, fsync, then rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class ResponseStore:
    """Read and write one responses file.

    ``notice`` holds a message for the learner after a problem was handled (a corrupt file moved
    aside); widgets show it in their status line.
    """

    def __init__(self, path=None):
        # Resolved once, when the exercise is created: a later change of working folder (or a
        # delayed save that fires after it) must not send answers to another folder.
        self._path = (Path(path) if path is not None else default_path()).absolute()
        self.notice = ""

    # ------------------------------------------------------------------ location
    @property
    def path(self) -> Path:
        """The responses file (fixed when the store was created)."""
        return self._path

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def is_read_only(self) -> bool:
        """Is the file or its folder read-only? (Checks mode bits too: root ignores them.)"""
        p = self.path
        folder = p.parent
        if p.exists():
            try:
                mode = p.stat().st_mode
            except OSError:
                return True
            if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(p, os.W_OK):
                return True
        if not folder.exists():
            return False
        fmode = folder.stat().st_mode
        return not fmode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(folder, os.W_OK)

    # ------------------------------------------------------------------ reading
    @staticmethod
    def _problem(data) -> str:
        """What is wrong with the shape of a parsed file ('' if nothing)."""
        if not isinstance(data, dict):
            return "the file does not hold a JSON object"
        version = data.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            return "'schema_version' is missing or not a whole number"
        if not isinstance(data.get("responses"), dict):
            return "'responses' is missing or not an object"
        if not all(isinstance(v, dict) for v in data["responses"].values()):
            return "a response is not an object"
        return ""

    def _read_raw(self):
        """(data, problem): the parsed file, or None and the reason it cannot be used."""
        p = self.path
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            return _empty(), ""
        except OSError as exc:
            return None, f"cannot read it ({exc.strerror or exc})"
        if not raw.strip():
            return _empty(), ""
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return None, f"it is not valid JSON ({exc})"
        problem = self._problem(data)
        return (None, problem) if problem else (data, "")

    def _move_aside(self, reason: str) -> None:
        """Keep a corrupt file as responses.corrupt-<timestamp>.json; set ``notice``."""
        p = self.path
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = p.with_name(f"{p.stem}.corrupt-{stamp}{p.suffix}")
        n = 1
        while target.exists():
            n += 1
            target = p.with_name(f"{p.stem}.corrupt-{stamp}-{n}{p.suffix}")
        try:
            os.replace(p, target)
        except OSError:
            self.notice = (f"⚠ Your saved answers file {p.name} could not be read ({reason}) "
                           "and could not be moved aside; it is left as it is.")
            return
        self.notice = (f"⚠ Your saved answers file could not be read ({reason}). It was kept as "
                       f"{target.name} and a fresh {p.name} is used from now on.")

    def load(self) -> dict:
        """All responses ``{exercise_id: record}``; a corrupt file is moved aside first."""
        data, problem = self._read_raw()
        if data is not None:
            return data["responses"]
        if self.is_read_only():
            self.notice = f"⚠ Your saved answers file could not be read ({problem}); it is read-only, so it is left as it is."
            return {}
        with self._locked():
            data, problem = self._read_raw()
            if data is None:
                self._move_aside(problem)
                return {}
            return data["responses"]

    def get(self, exercise_id: str):
        """The saved record for one exercise, or None."""
        return self.load().get(exercise_id)

    # ------------------------------------------------------------------ writing
    def _locked(self):
        from filelock import FileLock  # imported on first write (keeps `import exercises` fast)

        lock = FileLock(str(self.lock_path), timeout=LOCK_TIMEOUT)

        class _Both:
            def __enter__(s):
                _thread_lock.acquire()
                try:
                    lock.acquire()
                except BaseException:
                    _thread_lock.release()
                    raise
                return s

            def __exit__(s, *exc):
                try:
                    lock.release()
                finally:
                    _thread_lock.release()
                return False

        return _Both()

    def _write(self, data: dict) -> None:
        write_text_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")

    def update(self, exercise_id: str, fn) -> dict:
        """Read-modify-write one record under the lock: ``fn(old_record_or_None) -> new record``.

        Raises :class:`ReadOnlyStore` when the file cannot be written.
        """
        if self.is_read_only():
            raise ReadOnlyStore(f"{self.path.name} is read-only: not saved")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                data, problem = self._read_raw()
                if data is None:
                    self._move_aside(problem)
                    data = _empty()
                old = data["responses"].get(exercise_id)
                new = fn(dict(old) if old else None)
                data["responses"][exercise_id] = new
                data["schema_version"] = data.get("schema_version", SCHEMA_VERSION)
                self._write(data)
                return new
        except PermissionError as exc:
            raise ReadOnlyStore(f"{self.path.name} cannot be written ({exc.strerror}): not saved") from None

    def save(self, exercise_id: str, kind: str, answer, *, score=None, graded=False,
             allow_empty=False, log=None, **extra) -> dict:
        """Record an answer: keeps ``first_saved``, bumps ``attempts``, sets ``updated``.

        Empty answers are refused with :class:`EmptyAnswer` unless ``allow_empty``.
        Extra keyword fields (``path``, ``words``…) are stored as given; ``log=(field, item)``
        appends *item* to the list ``field`` (kept to the last :data:`LOG_LIMIT` items).
        """
        if not allow_empty and is_empty_answer(answer):
            raise EmptyAnswer("Nothing to save yet: the answer is empty.")
        stamp = now_iso()

        def change(old):
            rec = old or {}
            rec["kind"] = kind
            rec["answer"] = answer
            rec["graded"] = bool(graded)
            if score is None or graded:
                rec.pop("score", None)
            else:
                rec["score"] = round(float(score), 4)
            rec.setdefault("first_saved", stamp)
            rec["updated"] = stamp
            rec["attempts"] = int(rec.get("attempts", 0)) + 1
            rec.update(extra)
            if log is not None:
                name, item = log
                items = list(rec.get(name) or [])
                items.append(item)
                rec[name] = items[-LOG_LIMIT:]
            return rec

        return self.update(exercise_id, change)

    def append_session(self, exercise_id: str, kind: str, session: dict, **extra) -> dict:
        """Add one entry to the record's ``sessions`` list (self-assessment ratings)."""
        stamp = now_iso()

        def change(old):
            rec = old or {}
            sessions = list(rec.get("sessions") or [])
            sessions.append(session)
            rec.update(kind=kind, sessions=sessions, answer=session.get("ratings"),
                       graded=False, updated=stamp)
            rec.setdefault("first_saved", stamp)
            rec["attempts"] = int(rec.get("attempts", 0)) + 1
            rec.update(extra)
            return rec

        return self.update(exercise_id, change)

