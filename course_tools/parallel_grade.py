"""Autograde a whole class on every core, with the same grades as nbgrader's serial run.

    python -m course_tools.parallel_grade ASSIGNMENT [--jobs N] [--force] [--student ID] [--course-dir DIR]
    make grade ASSIGNMENT=a2-team-vs-tech JOBS=4

Design
------
* **Workers are real nbgrader.** Each worker is a separate process that loads the course's
  ``nbgrader_config.py`` once and then grades one student at a time with ``NbGraderAPI.autograde`` —
  the same ``Autograde`` converter ``nbgrader autograde`` runs (and the formgrader uses), so the grades
  are nbgrader's own. Starting nbgrader costs ~3 s, so a worker is started once, not per student.
* **Balanced by pulling, not by splitting.** Students wait in one shared queue, slowest-looking first
  (largest submission first); an idle worker takes the next one. A submission that hits the cell timeout
  holds up one worker, never a fixed half of the class.
* **Transient failures are retried.** A locked database is retried up to three times; any other failed
  autograde once more (with ``force``, so nothing half-done survives), since a kernel can fail to start
  when two workers race for ports. Only a submission that fails twice is reported as failed: its row
  in the summary names the real error (the exception nbgrader hit, not its generic "see the log
  above"), shows no score (never one left from an earlier run) and points to the full log of every
  attempt, kept in ``.grading/logs/<assignment>/<student>.log`` until that submission is graded.
  A submission whose worker dies twice while grading it is reported failed the same way.
* **The gradebook stays correct under concurrency.** It is one sqlite file. Before the workers start, the
  parent (alone) switches it to WAL journaling (readers never block the writer) and creates the
  assignment and every student row, so workers never race to insert the same row. Workers open it with a
  60 s busy timeout (``?timeout=60`` on the SQLAlchemy URL), so a writer waits for the lock instead of
  failing with "database is locked"; if an autograde still fails with a locking error it is retried
  (up to 3 times, with back-off). Each student is graded by exactly one worker, so no two processes ever
  write the same student's grades.
* **Interruptions lose nothing and redo little.** The parent records each student it has seen finish in a
  ledger (``.grading/<assignment>.json`` under the course root, written atomically), keyed by the
  submission's timestamp. A re-run skips a student only if the ledger says done for that same submission
  *and* the autograded folder and the gradebook entry are both there; anything else (a worker killed
  mid-student, a partial folder, a resubmission) is graded again with ``force``. ``--force`` regrades all.
  A worker that dies mid-run has its student put back in the queue and a fresh worker takes its place.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import re
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from exercises.store import write_text_atomic

LOCK_RETRIES = 3
BUSY_TIMEOUT_S = 60


# --- configuration ----------------------------------------------------------------------------------

def load_config(course_dir: Path, overrides: dict | None = None):
    """The course's nbgrader config, with the course root, a busy-tolerant db URL and any overrides."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    cfg = Config()
    if (course_dir / "nbgrader_config.py").exists():
        cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config())
    cfg.CourseDirectory.root = str(course_dir)
    db = Path(course_dir) / "gradebook.db"
    cfg.CourseDirectory.db_url = f"sqlite:///{db}?timeout={BUSY_TIMEOUT_S}"
    for dotted, value in (overrides or {}).items():
        section, name = dotted.rsplit(".", 1)
        setattr(getattr(cfg, section), name, value)
    return cfg


def submission_timestamp(course_dir: Path, student: str, assignment: str) -> str:
    stamp = course_dir / "submitted" / student / assignment / "timestamp.txt"
    return stamp.read_text().strip() if stamp.exists() else ""


def submitted_students(course_dir: Path, assignment: str) -> list[str]:
    root = course_dir / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def submission_size(course_dir: Path, student: str, assignment: str) -> int:
    folder = course_dir / "submitted" / student / assignment
    return sum(p.stat().st_size for p in folder.rglob("*.ipynb"))


# --- the ledger -------------------------------------------------------------------------------------

def ledger_path(course_dir: Path, assignment: str) -> Path:
    return course_dir / ".grading" / f"{assignment}.json"


def read_ledger(course_dir: Path, assignment: str) -> dict:
    path = ledger_path(course_dir, assignment)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_ledger(course_dir: Path, assignment: str, ledger: dict) -> None:
    path = ledger_path(course_dir, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(ledger, indent=1, sort_keys=True))


# --- gradebook --------------------------------------------------------------------------------------

def prepare_gradebook(cfg, course_dir: Path, assignment: str, students: list[str]) -> None:
    """Alone, before any worker: WAL mode, the assignment and every student exist."""
    from nbgrader.api import Gradebook

    db = course_dir / "gradebook.db"
    with Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id) as gb:
        gb.update_or_create_assignment(assignment)
        for student in students:
            gb.update_or_create_student(student)
    con = sqlite3.connect(db, timeout=BUSY_TIMEOUT_S)
    try:
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def graded_in_gradebook(cfg, assignment: str) -> dict[str, float]:
    """Students with a graded submission of the assignment, and their total score."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return out
        for sub in gb.assignment_submissions(assignment):
            if sub.notebooks and all(nb.grades for nb in sub.notebooks):
                out[sub.student.id] = sub.score
    return out


def cell_scores(cfg, assignment: str) -> dict[tuple[str, str, str], float | None]:
    """Every grade in the gradebook for the assignment: (student, notebook, cell) -> score."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id) as gb:
        for sub in gb.assignment_submissions(assignment):
            for nb in sub.notebooks:
                for grade in nb.grades:
                    scores[(sub.student.id, nb.name, grade.name)] = grade.score
    return scores


# --- workers ----------------------------------------------------------------------------------------

def _worker(course_dir: str, assignment: str, overrides: dict, todo, done) -> None:
    """Grade students from `todo` until it is empty; report each result on `done`."""
    import logging

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    logging.getLogger("traitlets").setLevel(logging.ERROR)
    cfg = load_config(Path(course_dir), overrides)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    while True:
        try:
            student, force = todo.get(timeout=0.5)
        except queue.Empty:
            return
        done.put(("start", student, os.getpid(), time.time()))
        started = time.monotonic()
        result = {"success": False, "error": "not run"}
        first_problem = attempts_log = ""
        for attempt in range(1, LOCK_RETRIES + 1):
            result = api.autograde(assignment, student, force=True if attempt > 1 else force)
            if result.get("success"):
                break
            text = (result.get("log") or "") + (result.get("error") or "")
            first_problem = first_problem or text
            attempts_log += f"=== attempt {attempt}: nbgrader autograde {assignment} --student={student}\n{text}\n"
            # A locked database is retried up to LOCK_RETRIES times; any other failure once (a
            # kernel that failed to start when two workers raced for ports, say). A submission that
            # is really broken fails the same way twice and is reported.
            if "database is locked" not in text and attempt >= 2:
                break
            time.sleep(0.5 * attempt)
        if result.get("success"):
            # Graded, perhaps after a retry: say what the first attempt hit, for the summary.
            note = f"retried after: {real_error(first_problem)}" if first_problem else ""
        else:
            # The whole log of every attempt: the parent keeps it in a file and names the real error.
            note = attempts_log
        done.put(("end", student, bool(result.get("success")), note, time.monotonic() - started, attempt))


# nbgrader's own wrap-up lines, which say that something failed but not what.
_GENERIC = ("Please see the", "There was an error processing assignment")
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\b:?.*$")


def real_error(text: str) -> str:
    """The line that says what went wrong in nbgrader's output: the last exception raised in a traceback
    that is not nbgrader's generic "see the traceback above", else the first [ERROR] line that is not
    generic, else the last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    exceptions = [line for line in lines if _EXCEPTION_LINE.match(line) and not any(g in line for g in _GENERIC)]
    if exceptions:
        return exceptions[-1]
    errors = [line.removeprefix("[ERROR]").strip() for line in lines if line.startswith("[ERROR]")]
    specific = [line for line in errors if line and not any(g in line for g in _GENERIC)]
    return specific[0] if specific else errors[0] if errors else lines[-1] if lines else ""


def log_path(course_dir: Path, assignment: str, student: str) -> Path:
    """Where the full log of a submission that failed to grade is kept."""
    return course_dir / ".grading" / "logs" / assignment / f"{student}.log"


# --- the run ----------------------------------------------------------------------------------------

def default_jobs() -> int:
    """One worker per core, plus one. Grading a student alternates between the worker (nbgrader
    converting, writing the gradebook) and its kernel (running cells), so with exactly one worker
    per core the cores sit idle part of the time. Measured on 2 cores, 60 submissions: 2 workers
    1.6x faster than serial nbgrader, 3 workers 1.96x."""
    return (os.cpu_count() or 1) + 1


@dataclass
class Outcome:
    student: str
    status: str = "pending"       # graded | failed | skipped
    seconds: float = 0.0
    attempts: int = 0
    error: str = ""
    score: float | None = None    # None unless graded in this run or skipped as already graded
    log: Path | None = None       # the full log of a failed submission
    extra: dict = field(default_factory=dict)


def _progress(done: int, total: int, failed: int, stream) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} graded, {failed} failed ")
    stream.flush()


def grade_class(course_dir: Path, assignment: str, jobs: int | None = None, force: bool = False,
                overrides: dict | None = None, students: list[str] | None = None,
                progress_stream=sys.stderr) -> dict[str, Outcome]:
    """Autograde every submitted student of `assignment` with `jobs` workers (default: cores + 1)."""
    course_dir = Path(course_dir).resolve()
    overrides = dict(overrides or {})
    cfg = load_config(course_dir, overrides)
    everyone = students if students is not None else submitted_students(course_dir, assignment)
    outcomes = {s: Outcome(s) for s in everyone}
    if not everyone:
        return outcomes
    prepare_gradebook(cfg, course_dir, assignment, everyone)

    ledger = {} if force else read_ledger(course_dir, assignment)
    in_gradebook = graded_in_gradebook(cfg, assignment)
    todo_list = []
    for s in everyone:
        stamp = submission_timestamp(course_dir, s, assignment)
        autograded = (course_dir / "autograded" / s / assignment).is_dir()
        if ledger.get(s) == stamp and autograded and s in in_gradebook:
            outcomes[s].status = "skipped"
        else:
            todo_list.append(s)
    # Largest submissions first: likely the slowest, so they do not end up alone at the tail.
    todo_list.sort(key=lambda s: -submission_size(course_dir, s, assignment))

    jobs = max(1, min(jobs or default_jobs(), len(todo_list) or 1))
    ctx = mp.get_context("spawn")
    todo, done = ctx.Queue(), ctx.Queue()
    for s in todo_list:
        todo.put((s, True))  # always force: a student not in the ledger may have a partial folder

    def start_worker():
        p = ctx.Process(target=_worker, args=(str(course_dir), assignment, overrides, todo, done), daemon=True)
        p.start()
        return p

    workers = [start_worker() for _ in range(jobs if todo_list else 0)]
    in_flight: dict[int, str] = {}
    lost: dict[str, int] = {}       # how often a student's worker died while grading them
    deaths_in_a_row = 0             # workers that died with no result in between
    finished = failed = 0
    total = len(todo_list)

    def finish(student: str, ok: bool, note: str, seconds: float, attempts: int) -> None:
        nonlocal finished, failed
        o = outcomes[student]
        o.status, o.seconds, o.attempts = ("graded" if ok else "failed"), seconds, attempts
        finished += 1
        log = log_path(course_dir, assignment, student)
        if ok:
            o.error = note
            ledger[student] = submission_timestamp(course_dir, student, assignment)
            log.unlink(missing_ok=True)  # an old failure's log would only mislead
        else:
            failed += 1
            o.error, o.log = real_error(note) or "failed (nbgrader gave no message)", log
            ledger.pop(student, None)    # never skipped as done on the next run
            log.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(log, note if note.endswith("\n") else note + "\n")
        write_ledger(course_dir, assignment, ledger)
        _progress(finished, total, failed, progress_stream)

    if total:
        _progress(0, total, 0, progress_stream)
    while finished < total:
        try:
            msg = done.get(timeout=1.0)
        except queue.Empty:
            # A worker that died mid-student: put its student back (once) and start a replacement.
            for p in list(workers):
                if p.is_alive():
                    continue
                workers.remove(p)
                student = in_flight.pop(p.pid, None)
                if p.exitcode != 0 or student is not None:
                    deaths_in_a_row += 1
                    if deaths_in_a_row > 3 + jobs:
                        for q in workers:
                            q.terminate()
                        raise RuntimeError(f"grading workers keep dying (last exit code {p.exitcode}); "
                                           f"{finished} of {total} submissions were graded") from None
                if student is not None:
                    lost[student] = lost.get(student, 0) + 1
                    if lost[student] >= 2:
                        finish(student, False, f"[ERROR] WorkerDied: the grading worker died twice while "
                                               f"grading this submission (last exit code {p.exitcode}); "
                                               f"a kernel or nbgrader crash, or the machine ran out of "
                                               f"memory\n", 0.0, lost[student])
                    else:
                        todo.put((student, True))
                if p.exitcode != 0 or student is not None:
                    workers.append(start_worker())
            if not workers and finished < total:
                workers.append(start_worker())
            continue
        deaths_in_a_row = 0
        if msg[0] == "start":
            in_flight[msg[2]] = msg[1]
            continue
        _, student, ok, note, seconds, attempts = msg
        for pid, s in list(in_flight.items()):
            if s == student:
                del in_flight[pid]
        if outcomes[student].status == "pending":
            finish(student, ok, note, seconds, attempts)
    for p in workers:
        p.join(timeout=10)
        if p.is_alive():
            p.terminate()
    if total:
        progress_stream.write("\n")

    # Scores from the gradebook, for this run's graded students and those skipped as already graded.
    # A failed submission shows none: whatever the gradebook holds for it is from an earlier run.
    scores = graded_in_gradebook(cfg, assignment)
    for s, o in outcomes.items():
        o.score = scores.get(s) if o.status in ("graded", "skipped") else None
    return outcomes


NOTE_WIDTH = 100


def summary_table(outcomes: dict[str, Outcome]) -> str:
    rows = [("student", "status", "score", "seconds", "note")]
    for s in sorted(outcomes):
        o = outcomes[s]
        note = real_error(o.error) if o.status == "failed" else o.error
        if len(note) > NOTE_WIDTH:
            note = note[:NOTE_WIDTH - 1] + "…"
        rows.append((s, o.status, "" if o.score is None else f"{o.score:g}", f"{o.seconds:.1f}", note))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    counts = {k: sum(o.status == k for o in outcomes.values()) for k in ("graded", "skipped", "failed")}
    logs = [(s, o) for s, o in sorted(outcomes.items()) if o.status == "failed"]
    if logs:
        lines.append("\nNot graded (no score shown: what the gradebook holds for them is from an earlier "
                     "run, if any). The full log of each:")
        for s, o in logs:
            lines.append(f"  {s}: {o.log if o.log else '(no log)'}")
            lines.append(f"      {real_error(o.error)}")
    lines.append(f"\n{counts['graded']} graded, {counts['skipped']} already graded (skipped), "
                 f"{counts['failed']} failed, {len(outcomes)} students")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("assignment")
    ap.add_argument("--jobs", "-j", type=int, default=None, help="workers (default: number of cores + 1)")
    ap.add_argument("--force", action="store_true", help="regrade students already graded")
    ap.add_argument("--course-dir", type=Path, default=Path.cwd())
    ap.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (Execute.timeout)")
    ap.add_argument("--student", action="append", default=None, metavar="ID",
                    help="grade only this student (repeat for several; default: every submission)")
    args = ap.parse_args(argv)
    overrides = {"Execute.timeout": args.timeout} if args.timeout else {}
    started = time.monotonic()
    outcomes = grade_class(args.course_dir, args.assignment, args.jobs, args.force, overrides,
                           students=args.student)
    if not outcomes:
        print(f"No submissions of {args.assignment!r} in {args.course_dir / 'submitted'} (run nbgrader collect?)")
        return 1
    print(summary_table(outcomes))
    print(f"wall time {time.monotonic() - started:.1f} s")
    return 1 if any(o.status == "failed" for o in outcomes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
