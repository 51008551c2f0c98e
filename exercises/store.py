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
  ``.responses.json.lock`` (a dot-name: JupyterLab's file browser hides it); every write is
  read-modify-write under that lock, so two kernels saving into one folder lose nothing (in JupyterLite,
  where no file lock works on the browser's drive, under a lock of this kernel only: see ``_locked``). A writer
  killed in the middle of a write leaves the old file whole (and at most a hidden temp file, which
  the next write removes);
* every write also refreshes a rolling backup, ``.responses.json.bak`` (hidden too), holding the
  same, known-good text;
* a damaged file (bad JSON, truncated, wrong shape) is moved aside to
  ``responses.corrupt-<timestamp>.json`` (kept, never deleted) and rebuilt at once from what can be
  recovered: the backup, every complete answer still in the damaged text (:func:`salvage`), and the
  answers this kernel has read or saved (the ones on screen); the newest copy of each answer wins.
  The rebuilt file is written straight away and the caller gets a notice (``notice``) saying what
  happened and what was restored;
* a read-only file (nbgrader's autograded copies are mode 444) or folder is read but never
  written: saving raises :class:`ReadOnlyStore`;
* text is stored as UTF-8 with ``ensure_ascii=False``: any unicode round-trips exactly.

This module knows nothing about widgets. ``filelock`` is imported on first write.
"""
from __future__ import annotations

import json
import os
import re
import stat
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path

SCHEMA_VERSION = 1
FILENAME = "responses.json"
ENV_VAR = "TECHLEAD_RESPONSES"
LOCK_TIMEOUT = 30.0
LOG_LIMIT = 500

class _NoFileLock:
    """Where no file lock works (JupyterLite's drive): acquiring and releasing do nothing."""

    def acquire(self) -> None:
        pass

    def release(self) -> None:
        pass


_thread_lock = threading.RLock()  # a lock object only: the store never starts a thread

# The newest record of every answer this process has read or saved, per responses file: what the
# learner has on screen. A damaged file is rebuilt with these too (see ResponseStore._recover).
_SEEN: dict[str, dict[str, dict]] = {}


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


def _newer(a: dict, b: dict) -> bool:
    """Is record *a* newer than record *b* (later ``updated``, then more attempts)?"""
    def key(rec):
        stamp = str(rec.get("updated") or "")
        try:
            when = datetime.fromisoformat(stamp).timestamp()
        except ValueError:
            when = 0.0
        attempts = rec.get("attempts")
        return (when, attempts if isinstance(attempts, int) else 0)

    return key(a) > key(b)


def salvage(raw: bytes) -> dict:
    """Every complete answer record still readable in a damaged responses file.

    A truncated file keeps its beginning, so the records are read one by one from the start of
    ``"responses": {`` with the standard JSON decoder (``raw_decode``) until the text stops making
    sense; each record must be a whole JSON object. A file that parses but has the wrong shape keeps
    the records that are objects. Returns ``{exercise_id: record}`` (empty when nothing is left).
    """
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, (bytes, bytearray)) else str(raw)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        found = data.get("responses")
        return {k: v for k, v in found.items() if isinstance(v, dict)} if isinstance(found, dict) else {}
    match = re.search(r'"responses"\s*:\s*\{', text)
    if not match:
        return {}
    decoder = json.JSONDecoder()
    out: dict = {}
    i, n = match.end(), len(text)
    while True:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] != '"':
            break
        try:
            key, i = decoder.raw_decode(text, i)
            while i < n and text[i] in " \t\r\n":
                i += 1
            if i >= n or text[i] != ":":
                break
            i += 1
            while i < n and text[i] in " \t\r\n":
                i += 1
            value, i = decoder.raw_decode(text, i)
        except ValueError:
            break
        if isinstance(key, str) and isinstance(value, dict):
            out[key] = value
    return out


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
        """``.responses.json.lock``: a dot-name, so the learner's file browser does not show it."""
        return self.path.with_name(f".{self.path.name}.lock")

    @property
    def backup_path(self) -> Path:
        """``.responses.json.bak``: the last good version, rewritten on every save."""
        return self.path.with_name(f".{self.path.name}.bak")

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
        data, problem, _raw = self._read_file()
        return data, problem

    def _read_file(self, path: Path | None = None):
        """(data, problem, raw): the parsed file, or None, the reason it cannot be used and its bytes."""
        p = path or self.path
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            return _empty(), "", b""
        except OSError as exc:
            return None, f"cannot read it ({exc.strerror or exc})", b""
        if not raw.strip():
            return _empty(), "", raw
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return None, f"it is not valid JSON ({exc})", raw
        problem = self._problem(data)
        return (None, problem, raw) if problem else (data, "", raw)

    def _remember(self, records: dict) -> None:
        seen = _SEEN.setdefault(str(self.path), {})
        for key, rec in records.items():
            if isinstance(rec, dict) and (key not in seen or not _newer(seen[key], rec)):
                seen[key] = rec

    def _move_aside(self) -> str:
        """Keep a damaged file as responses.corrupt-<timestamp>.json; its new name, or '' when it cannot move."""
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
            return ""
        return target.name

    def _recovered(self, raw: bytes) -> tuple[dict, dict]:
        """Rebuild the answers: (records, {source: count}) from the backup, the damaged text and _SEEN."""
        merged: dict = {}
        origin: dict = {}
        b_data, _problem, b_raw = self._read_file(self.backup_path)
        backup = b_data["responses"] if b_data is not None else salvage(b_raw)
        sources = (("backup", backup), ("damaged", salvage(raw)), ("screen", _SEEN.get(str(self.path), {})))
        for name, records in sources:
            for key, rec in records.items():
                if isinstance(rec, dict) and (key not in merged or _newer(rec, merged[key])):
                    merged[key] = rec
                    origin[key] = name
        counts = {name: sum(1 for v in origin.values() if v == name) for name, _ in sources}
        return merged, counts

    def _recovery_notice(self, reason: str, kept: str, records: dict, counts: dict, saved: bool) -> str:
        name = self.path.name
        where = (f"The damaged copy was kept as {kept}." if kept else
                 "The damaged file could not be moved aside and was left as it is.")
        n = len(records)
        if n:
            parts = [f"{counts[k]} {label}" for k, label in (
                ("backup", "from the automatic backup"), ("damaged", "read back from the damaged file"),
                ("screen", "from the answers on screen in this session")) if counts.get(k)]
            got = (f"Restored automatically: {n} answer{'s' if n != 1 else ''} ({', '.join(parts)})"
                   + (f", saved again in {name}." if saved else ", shown but not saved (the file is read-only)."))
            tail = " Check your answers; anything still missing can simply be answered again."
        else:
            got = "No earlier answers could be found in the backup or the damaged file."
            tail = f" Your answers from now on are saved in a fresh {name}." if saved else ""
        return (f"⚠ Your saved answers file {name} was damaged and could not be read ({reason}). "
                f"{where} {got}{tail}")

    def _recover(self, problem: str, raw: bytes) -> dict:
        """Under the lock: move a damaged file aside, rebuild it, write it; set ``notice``. Returns the data."""
        kept = self._move_aside()
        records, counts = self._recovered(raw)
        data = _empty()
        data["responses"] = dict(records)
        saved = False
        if kept:
            try:
                self._write(data)
                saved = True
            except OSError:
                saved = False
        self.notice = self._recovery_notice(problem, kept, records, counts, saved)
        self._remember(records)
        return data

    def load(self) -> dict:
        """All responses ``{exercise_id: record}``; a damaged file is moved aside and rebuilt first."""
        data, problem, raw = self._read_file()
        if data is not None:
            self._remember(data["responses"])
            return data["responses"]
        if self.is_read_only():
            records, counts = self._recovered(raw)
            self.notice = (f"⚠ Your saved answers file {self.path.name} could not be read ({problem}); it is "
                           "read-only, so it is left as it is."
                           + (f" {len(records)} answer{'s' if len(records) != 1 else ''} could still be recovered "
                              "and are shown, but nothing can be saved here." if records else ""))
            return records
        with self._locked():
            data, problem, raw = self._read_file()
            if data is None:
                data = self._recover(problem, raw)
            else:
                self._remember(data["responses"])
            return data["responses"]

    def get(self, exercise_id: str):
        """The saved record for one exercise, or None."""
        return self.load().get(exercise_id)

    # ------------------------------------------------------------------ writing
    def _locked(self):
        if sys.platform == "emscripten":
            # JupyterLite (Pyodide): filelock falls back to its soft lock there, whose release leaves the
            # lock file on the browser's drive, so every save after the first waited LOCK_TIMEOUT and
            # failed. The browser's drive offers no atomic cross-kernel lock to use instead; within this
            # kernel the thread lock below still serialises every read-modify-write.
            lock = _NoFileLock()
        else:
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
        """Write the file, then the backup with the same text (a failed backup never fails the save)."""
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        write_text_atomic(self.path, text)
        try:
            write_text_atomic(self.backup_path, text)
        except OSError:
            pass
        self._remove_stale_temp_files()

    def _remove_stale_temp_files(self) -> None:
        """Temp files of a writer killed mid-write (every writer holds the lock, so any left are stale)."""
        stale = [*self.path.parent.glob(f".{self.path.name}.*.tmp"),
                 *self.path.parent.glob(f".{self.backup_path.name}.*.tmp")]
        for tmp in stale:
            try:
                tmp.unlink()
            except OSError:
                pass

    def update(self, exercise_id: str, fn) -> dict:
        """Read-modify-write one record under the lock: ``fn(old_record_or_None) -> new record``.

        Raises :class:`ReadOnlyStore` when the file cannot be written.
        """
        if self.is_read_only():
            raise ReadOnlyStore(f"{self.path.name} is read-only: not saved")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                data, problem, raw = self._read_file()
                if data is None:
                    data = self._recover(problem, raw)
                old = data["responses"].get(exercise_id)
                new = fn(dict(old) if old else None)
                data["responses"][exercise_id] = new
                data["schema_version"] = data.get("schema_version", SCHEMA_VERSION)
                self._write(data)
                self._remember({exercise_id: new})
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

