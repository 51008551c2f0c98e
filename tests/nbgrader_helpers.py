"""Helpers for the nbgrader tests: a temporary course, the real nbgrader CLI, submissions.

Nothing here mocks nbgrader: every step runs ``python -m nbgrader …`` (the venv's nbgrader) on a
temporary copy of the course, with the exchange in a temporary folder (``TECHLEAD_EXCHANGE``).
Learners' widget answers are produced by driving the real graded-mode widgets
(``exercises.show(..., graded=True)``, set ``.answer``, click the record button) in a subprocess
whose working folder is the submission folder, exactly as a kernel would.
"""
from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from course_tools.cells import KERNELSPEC, md_cell
from course_tools.contract import notebook_keys, split_hidden

ROOT = Path(__file__).resolve().parents[1]

ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir()
                     if (p / f"{p.name}.ipynb").is_file())

SOLUTION_RE = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$", re.M)


# ------------------------------------------------------------------------------------ running
def env(exchange: Path | None = None, **extra: str) -> dict:
    """Environment for nbgrader and learner processes: the venv's bin/ first on PATH (nbgrader runs
    `alembic`), a private exchange, and no responses-file override inherited from the caller."""
    e = dict(os.environ, **extra)
    e["PATH"] = str(Path(sys.executable).parent) + os.pathsep + e.get("PATH", "")
    e.pop("TECHLEAD_RESPONSES", None)
    if exchange is not None:
        e["TECHLEAD_EXCHANGE"] = str(exchange)
    return e


def nbgrader(cwd: Path, *args: str, exchange: Path | None = None, check: bool = True,
             timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real nbgrader CLI in ``cwd``; raise with its output if it fails and ``check``."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env(exchange),
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def nbgrader_parallel(jobs: list[tuple[Path, list[str]]], exchange: Path | None = None) -> list[str]:
    """Run several nbgrader commands at once (e.g. each student's fetch); return their logs."""
    procs = [subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env(exchange),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for cwd, args in jobs]
    logs = []
    for (cwd, args), proc in zip(jobs, procs):
        out, _ = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise AssertionError(f"nbgrader {' '.join(args)} in {cwd} failed:\n{out}")
        logs.append(out)
    return logs


def execute_in(nb, folder: Path, timeout: int = 60):
    """Run a notebook with nbclient in ``folder`` (its data and responses.json are there) with the
    environment nbgrader's kernels get (see :func:`env`); return it with outputs."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNELSPEC["name"], allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env())
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


# ------------------------------------------------------------------------------------ courses
def make_course(dest: Path, ids: list[str] | None = None, *, release: bool = False) -> Path:
    """A temporary course: nbgrader_config.py and source/<id>/ (and release/ if asked) copied
    from the repo. Nothing else: the gradebook, exchange and working folders start empty."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    ignore = shutil.ignore_patterns("responses.json*", "responses.corrupt-*", "*.lock",
                                    ".ipynb_checkpoints", "__pycache__")
    for aid in ids or ASSIGNMENTS:
        shutil.copytree(ROOT / "source" / aid, dest / "source" / aid, ignore=ignore)
        if release:
            shutil.copytree(ROOT / "release" / aid, dest / "release" / aid, ignore=ignore)
    return dest


def generated_course(dest: Path, aid: str, *, templates: Path) -> Path:
    """A temporary course as ``make_course(dest, [aid])`` and then `nbgrader generate_assignment aid`
    leave it (source/, release/ and the gradebook), for tests whose subject is what comes after.

    The generation is real and done once per test session: into ``templates/<aid>`` (shared by the
    pytest-xdist workers; a file lock lets the first one build it while the others wait), then copied.
    A generation costs about 4 CPU s (nbgrader, and its `alembic` run for a new gradebook), and 17
    fixtures need one; the gradebook holds no path, so a copy is the same course in another folder."""
    from filelock import FileLock

    template = templates / aid
    templates.mkdir(parents=True, exist_ok=True)
    with FileLock(str(templates / f"{aid}.lock")):
        if not (templates / f"{aid}.done").exists():
            shutil.rmtree(template, ignore_errors=True)
            make_course(template, [aid])
            nbgrader(template, "generate_assignment", aid, "--force", exchange=templates / "exchange",
                     timeout=1800)
            (templates / f"{aid}.done").touch()
    return Path(shutil.copytree(template, dest))


def read_nb(path: Path):
    return nbformat.read(str(path), as_version=4)


def write_nb(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def source_nb(aid: str):
    return read_nb(ROOT / "source" / aid / f"{aid}.ipynb")


def release_nb(aid: str):
    return read_nb(ROOT / "release" / aid / f"{aid}.ipynb")


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def cell_by_id(nb, grade_id: str):
    for cell in nb.cells:
        if meta(cell).get("grade_id") == grade_id or cell.get("id") == grade_id:
            return cell
    raise KeyError(grade_id)


def auto_points(nb) -> float:
    return sum(float(meta(c)["points"]) for c in nb.cells
               if c.cell_type == "code" and meta(c).get("grade"))


def manual_points(nb) -> float:
    return sum(float(meta(c)["points"]) for c in nb.cells if meta(c).get("task"))


# ------------------------------------------------------------------------------------ hidden parts
def hidden_lines(source: str, begin: str = "BEGIN HIDDEN TESTS", end: str = "END HIDDEN TESTS") -> list[str]:
    """Non-blank lines between two markers (hidden tests by default; mark schemes, solutions)."""
    if begin == "BEGIN HIDDEN TESTS":
        return [ln.strip() for ln in split_hidden(source)[1] if ln.strip()]
    out, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and line.strip():
            out.append(line.strip())
    return out


def secret_lines(nb, solutions: bool = True) -> list[str]:
    """Every non-trivial line that must never reach a learner: hidden tests, mark schemes and
    (unless ``solutions=False``: a learner's feedback may quote their own right answer) solutions."""
    lines = []
    for cell in nb.cells:
        src = cell.source
        lines += hidden_lines(src)
        lines += hidden_lines(src, "BEGIN MARK SCHEME", "END MARK SCHEME")
        if solutions:
            lines += hidden_lines(src, "BEGIN SOLUTION", "END SOLUTION")
    # short or generic lines ("}", "return x", "4 points:") would match innocent text
    return sorted({ln for ln in lines if len(ln) >= 25})


def widget_keys(nb) -> dict[str, object]:
    """``{exercise_id: key}`` of the graded widget questions (their ``grade_answer`` calls)."""
    return {call.exercise_id: call.key for call in notebook_keys(nb).values()}


# ------------------------------------------------------------------------------------ submissions
def solved(aid: str):
    """The release notebook answered as the instructor would: each solution cell gets the source
    notebook's cell with the solution markers removed (what a learner who got it right types)."""
    nb = release_nb(aid)
    src = source_nb(aid)
    for cell in nb.cells:
        if meta(cell).get("solution"):
            source = cell_by_id(src, meta(cell)["grade_id"]).source
            cell.source = SOLUTION_RE.sub("", source)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.get("id", "").endswith("-your-answer"):
            cell.source = "A considered answer: Priya delegates, Marcus coaches, both agree the plan."
    return nb


def set_answer(nb, grade_id: str, source: str):
    cell_by_id(nb, grade_id).source = textwrap.dedent(source).strip("\n")
    return nb


def delete_cell(nb, grade_id: str):
    nb.cells = [c for c in nb.cells if meta(c).get("grade_id") != grade_id]
    return nb


def add_markdown(nb, text: str, cell_id: str = "learner-note"):
    nb.cells.append(md_cell(cell_id, text))
    return nb


def record_answers(answers_by_folder: dict[Path, dict[str, object]]) -> None:
    """Record graded-mode widget answers by driving the real widgets, one folder after another
    in one Python process whose working folder is the submission folder (as a kernel's is).

    A scenario's answer is its path (a list of action keys, chosen one step at a time); given its
    key (``{situation: {action: rating}}``, as :func:`widget_keys` returns it) the best path is taken.
    """
    jobs = {str(folder): answers for folder, answers in answers_by_folder.items() if answers}
    if not jobs:
        return
    script = textwrap.dedent("""
        import json, os, sys
        from exercises import show
        jobs = json.loads(sys.stdin.read())
        for folder, answers in jobs.items():
            os.makedirs(folder, exist_ok=True)
            os.chdir(folder)
            for exercise_id, answer in answers.items():
                widget = show(exercise_id, graded=True)
                if widget.kind == "scenario":
                    if isinstance(answer, dict):  # a key {situation: {action: rating}}: walk the best path
                        path, sit = [], widget.walk.start
                        while sit:
                            best = next(k for k, r in answer[sit].items() if r == "best")
                            path.append(best)
                            sit = widget.walk.action(sit, best).get("next")
                        answer = path
                    for key in answer:  # press Choose at each step, as a learner does
                        assert widget.choose(key), (exercise_id, key)
                    assert widget.walk.keys == list(answer) and widget.walk.ended, exercise_id
                    continue
                widget.answer = answer
                widget.check_button.click()
                assert "recorded" in widget.feedback.value.lower(), (exercise_id, widget.feedback.value)
    """)
    proc = subprocess.run([sys.executable, "-c", script], input=json.dumps(jobs), env=env(),
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"recording widget answers failed:\n{proc.stdout}\n{proc.stderr}")


def put_submission(course: Path, student: str, aid: str, nb, *, name: str | None = None,
                   responses: dict | None = None, responses_text: str | None = None) -> Path:
    """Place a submission as ``nbgrader collect`` would: submitted/<student>/<aid>/ with the
    notebook (under ``name`` if the learner renamed it), a timestamp, and widget answers."""
    folder = course / "submitted" / student / aid
    folder.mkdir(parents=True, exist_ok=True)
    write_nb(nb, folder / (name or f"{aid}.ipynb"))
    (folder / "timestamp.txt").write_text("2025-03-01 10:00:00.000000 UTC")
    if responses_text is not None:
        (folder / "responses.json").write_text(responses_text, encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------ results
def gradebook_scores(course: Path, aid: str) -> dict[str, dict]:
    """``{student: {"auto": float, "cells": {grade_id: score_or_None}}}`` from the gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "techlead") as gb:
        for sub in gb.assignment_submissions(aid):
            cells = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    cells[grade.name] = grade.score
            out[sub.student.id] = {"auto": sum(v or 0 for v in cells.values()),
                                   "cells": cells, "needs_manual": sub.needs_manual_grade}
    return out


def export_csv(course: Path, exchange: Path | None = None) -> list[dict]:
    out = course / "grades.csv"
    nbgrader(course, "export", f"--to={out}", exchange=exchange)
    with out.open(newline="") as fh:
        return list(csv.DictReader(fh))


def html_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def deepcopy_nb(nb):
    return copy.deepcopy(nb)


# ------------------------------------------------------------------------------------ data files
def data_files(aid: str) -> list[Path]:
    """Files other than notebooks that travel with an assignment (e.g. a5's team_metrics.csv):
    nbgrader copies them into release/ and autograde restores them from source/."""
    folder = ROOT / "source" / aid
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix != ".ipynb" and not p.name.startswith(("responses", ".")))


def copy_data_files(aid: str, dest: Path) -> None:
    """Put an assignment's data files next to a notebook that is run outside nbgrader."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in data_files(aid):
        shutil.copy2(path, dest / path.name)


# ------------------------------------------------------------------ a weak learner of assignment 2
# One learner's partly right answers, shared by the workflow test and the instructor's-term test
# (ben in both): 7.5 of a2's 15 autograded points at the points the source sets.
_A2 = "a2-team-vs-tech"
WEAK_A2_DUTIES = '''
atlas_duties = {
    "weekly-one-on-ones": "team", "message-broker": "technical", "split-order": "technical",
    "on-call-dispute": "team", "performance-reviews": "team", "review-standards": "technical",
    "incident-review": "technical", "next-hire": "team",
}
'''  # 3.0 of 4
WEAK_A2_SIGNALS = '''
def classify_signal(metric_name, trend):
    dora = {"deploy_frequency", "lead_time_hours", "change_failure_rate", "time_to_restore_hours"}
    people = {"skipped_one_on_ones", "engagement_score", "regretted_leavers", "overtime_hours"}
    worse = (trend == "down") if metric_name in {"deploy_frequency", "pipeline_pass_rate"} else (trend == "up")
    if not worse:
        return "none"
    if metric_name in people:
        return "team"
    return "both" if metric_name in dora else "technical"
'''  # people metrics all "higher is worse": shape 0 of 1, delivery/pipeline 2 of 2, team 0 of 2 -> 2.0 of 5
WEAK_A2_WIDGETS = {
    f"{_A2}/q-whose-call": "b",
    # key ["b", "c", "e"]: 1/3 of the right ones, 1/2 of the wrong ones -> 0
    f"{_A2}/q-team-signals": ["a", "b"],
    # roadmap-with-sofia (technical) put in "both": (1/2 + 1 + 3/4) / 3 = 3/4 -> 1.5 of 2
    f"{_A2}/q-sort-decisions": {"service-boundary": "technical", "stuck-pattern": "team",
                                "roadmap-with-sofia": "both", "billing-handover": "both",
                                "oncall-rota": "team"},
}  # 1 + 0 + 1.5
