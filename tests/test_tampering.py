"""Flagging learner code that reaches into the grading machinery (course_tools/tampering.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from adversarial_helpers import ATTACKS, attack
from course_tools.tampering import flags_in, reasons
from nbgrader_helpers import ASSIGNMENTS, ROOT, meta, read_nb, release_nb

# Attacks that only exhaust a limit (the sandbox stops them; they gain nothing): no code to flag.
LIMIT_ONLY = {"big-file", "flood-output", "memory-bomb"}


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_honest_work_is_never_flagged(aid):
    """Are the blank release and the instructor's own solutions free of flags?"""
    assert flags_in(release_nb(aid)) == []
    assert flags_in(read_nb(ROOT / "source" / aid / f"{aid}.ipynb")) == []


@pytest.mark.parametrize("kind", sorted(set(ATTACKS) - LIMIT_ONLY))
def test_every_attack_of_the_adversarial_suite_is_flagged(kind, tmp_path):
    """Is each attack that reaches into the kernel, the course's helpers or files flagged, with a reason?"""
    flags = flags_in(attack("a2-team-vs-tech", kind, tmp_path / "course", tmp_path / "outside"), "mallory", "a2.ipynb")
    assert flags, kind
    assert all(f.student == "mallory" and f.reason and f.line >= 1 for f in flags)


@pytest.mark.parametrize("code, why", [
    ("type(get_ipython().displayhook).__call__ = lambda self, result=None: None", "result is shown"),
    ("ip = get_ipython()\nip.input_transformers_post.append(lambda lines: lines)", "rewrites the code of later cells"),
    ("import sys\nsys.modules['exercises.grading'].grade_answer = print", "loaded modules"),
    ("from builtins import sum", "built-in functions"),
    ("exec('x = 1')", "run time"),
    ("def partial_credit(x):\n    return 1.0", "grading helpers"),
    ("x = ().__class__.__bases__[0].__subclasses__()", "internals"),
    ("!cat ../../source/a2/a2.ipynb", "shell command"),
    ("open('/srv/course/gradebook.db')", "course's own files"),
])
def test_each_way_in_is_named(code, why):
    """Is each way of reaching into the grading machinery flagged with a reason a person understands?"""
    got = reasons(code)
    assert any(why in reason for _, reason in got), got


@pytest.mark.parametrize("code", [
    "import pandas as pd\ndf = pd.read_csv('team_metrics.csv')\nworst = df.eval('a - b').idxmax()",
    "import re\npattern = re.compile(r'\\d+')",
    "%matplotlib inline\nmove_leads = {'atlas-backfill': 'team'}",
    "answer = sorted(x for x in range(3))\nprint(f'{answer!r}')",
    "this is not python (",
])
def test_ordinary_answers_are_not_flagged(code):
    """Does ordinary answer code (pandas, re.compile, a plotting magic, a syntax error) pass unflagged?"""
    assert reasons(code) == []


def test_only_cells_the_learner_can_edit_are_read():
    """Are locked cells (which nbgrader puts back from the instructor's version) left unread?"""
    nb = release_nb("a2-team-vs-tech")
    locked = next(c for c in nb.cells if c.cell_type == "code" and meta(c).get("locked"))
    locked.source += "\nimport ctypes"
    assert flags_in(nb) == []
    nb.cells.append(new_code_cell("import ctypes"))
    (flag,) = flags_in(nb)
    assert flag.cell == f"cell {len(nb.cells)}" and "memory" in flag.reason


def test_the_command_lists_flagged_submissions(tmp_path):
    """Does `python -m course_tools.tampering` list the flagged lines of collected work, and exit 1?"""
    aid = "a2-team-vs-tech"
    for student, nb in [("honest", release_nb(aid)),
                        ("mallory", attack(aid, "exception-handler", tmp_path, tmp_path))]:
        folder = tmp_path / "submitted" / student / aid
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{aid}.ipynb"))
    (tmp_path / "submitted" / "broken" / aid).mkdir(parents=True)
    (tmp_path / "submitted" / "broken" / aid / f"{aid}.ipynb").write_text("{not json")
    run = subprocess.run([sys.executable, "-m", "course_tools.tampering", aid, "--course-dir", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert any(line.startswith("mallory: ") and "replaces how errors are reported" in line for line in lines)
    assert any(line.startswith("broken: ") and "could not be read" in line for line in lines)
    assert not any(line.startswith("honest") for line in lines)
    assert "in 2 submission(s): broken, mallory" in lines[-1] and "not a verdict" in lines[-1]
    none = subprocess.run([sys.executable, "-m", "course_tools.tampering", aid, "--course-dir", str(Path(tmp_path) / "x")],
                          capture_output=True, text=True, cwd=ROOT)
    assert none.returncode == 2 and "collect the assignment first" in none.stderr
