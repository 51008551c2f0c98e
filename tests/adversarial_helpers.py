"""Submissions from a learner who wants marks without the work, for tests/test_grading_adversarial.py.

Each attack is a release notebook (blank: no answers, no widget answers recorded) with learner code
added the ways a learner can: a cell of their own before every grade cell (so that whatever it
patches is in place when the test runs), or their solution cells rewritten. The attacks know the
course's layout (paths are written into them), as a learner reading the public repository would.
"""
from __future__ import annotations

import ast
import hashlib
import os
import textwrap
from pathlib import Path

from nbformat.v4 import new_code_cell

from nbgrader_helpers import meta, release_nb

SECRET_ENV = "TECHLEAD_TEST_GRADER_SECRET"
SECRET_VALUE = "grader-secret-7f3a"

# An object that equals everything, is a dict (isinstance checks) and answers every lookup.
ALWAYS = '''
class _Yes(dict):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = object.__hash__
    def __getitem__(self, key): return _Yes()
    def get(self, *args, **kwargs): return _Yes()
    def __bool__(self): return True
    def __float__(self): return 0.0
    def __sub__(self, other): return 0.0
    __rsub__ = __sub__
    def __abs__(self): return 0.0
    def __lt__(self, other): return True
    __gt__ = __le__ = __ge__ = __lt__


class _YesStr(str):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = str.__hash__
'''

FAKE_HELPERS = ALWAYS + '''
def recorded_answer(*args, **kwargs): return _Yes()
def show_recorded(*args, **kwargs): return None
def grade_answer(*args, **kwargs): return 100.0
'''

PATCH_MODULES = FAKE_HELPERS + '''
import sys
for _mod in list(sys.modules.values()):
    for _name in ("recorded_answer", "show_recorded", "grade_answer", "score_answer", "evaluate"):
        if hasattr(_mod, _name):
            try:
                setattr(_mod, _name, globals()[_name] if _name in globals() else (lambda *a, **k: 1.0))
            except Exception:
                pass
'''

PATCH_BUILTINS = '''
import builtins
builtins.sum = lambda *args, **kwargs: 100
builtins.all = lambda *args, **kwargs: True
builtins.any = lambda *args, **kwargs: True
builtins.isinstance = lambda *args, **kwargs: True
builtins.callable = lambda *args, **kwargs: True
builtins.abs = lambda *args, **kwargs: 0
'''

EXCEPTION_HANDLERS = '''
import sys
sys.excepthook = lambda *args: None
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
'''

READ_KEY = '''
import ast, glob, json, re
found = {{}}
for path in [{course!r} + "/source/{aid}/{aid}.ipynb", "{aid}.ipynb", {course!r} + "/release/{aid}/{aid}.ipynb"] \\
        + glob.glob({course!r} + "/autograded/*/{aid}/*.ipynb") + glob.glob("*.ipynb"):
    try:
        cells = json.load(open(path))["cells"]
    except (OSError, ValueError) as exc:
        print("cannot read", path, type(exc).__name__)
        continue
    text = "\\n".join("".join(cell["source"]) for cell in cells)
    for qid, key in re.findall(r'grade_answer\\("([^"]+)", key=(.+?), why=', text):
        found[qid] = ast.literal_eval(key)
print("KEYS FOUND:", len(found))
open("responses.json", "w").write(json.dumps(
    {{"schema_version": 1, "responses": {{qid: {{"answer": key}} for qid, key in found.items()}}}}))
'''

WRITE_GRADEBOOK = '''
import sqlite3
for path in [{course!r} + "/gradebook.db"]:
    try:
        con = sqlite3.connect("file:" + path + "?mode=rw", uri=True)  # the real one, never a new file
        con.execute("UPDATE grade SET manual_score = 100")
        con.commit()
        print("GRADEBOOK WRITTEN")
    except Exception as exc:
        print("gradebook:", type(exc).__name__, exc)
    try:
        with open(path, "r+b") as fh:
            fh.write(b"garbage")
        print("GRADEBOOK CLOBBERED")
    except OSError as exc:
        print("gradebook file:", type(exc).__name__)
'''

OTHER_LEARNER = '''
import os
for path in [{course!r} + "/submitted/other/{aid}/notes.txt", {outside!r} + "/home-file.txt"]:
    try:
        print("READ", open(path).read())
    except OSError as exc:
        print("cannot read", path, type(exc).__name__)
    try:
        open(path, "w").write("changed by an attacker")
        print("WROTE", path)
    except OSError as exc:
        print("cannot write", path, type(exc).__name__)
for path in [{outside!r} + "/planted.txt", {course!r} + "/planted.txt"]:
    try:
        open(path, "w").write("planted")
    except OSError:
        pass
import socket
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
    print("NETWORK OPEN")
except OSError as exc:
    print("network:", type(exc).__name__)
import os
print("ENV", sorted(os.environ))
print("SECRET" if any("{secret}" in v for v in os.environ.values()) else "no secret")
'''

KILL_KERNEL = '''
import os, signal
os.kill(os.getpid(), signal.SIGKILL)
'''

FLOOD = '''
while True:
    print("x" * 10000)
'''

MEMORY = '''
hoard = bytearray(16 * 2**30)
'''

FORK_BOMB = '''
import os
children = 0
try:
    while True:
        if os.fork() == 0:
            while True:
                pass
        children += 1
finally:
    print("children started:", children)
'''

# It waits rather than spins: ignoring the interrupt is what this attack is about, and a loop that
# sleeps ignores it the same way while costing the test machine nothing as it runs out the clock
# (the class in tests/item_analysis_helpers.py keeps a spinning loop).
STUBBORN_LOOP = '''
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(0.5)
'''

BIG_FILE = '''
with open("big.bin", "wb") as fh:
    while True:
        fh.write(b"\\0" * 2**20)
'''

# Silence every cell's result: nbgrader gives full points to a test cell that shows no result and
# no error, which is what a partial-credit cell then looks like (course_tools/code_credit.py gives 0).
SILENCED_RESULTS = '''
type(get_ipython().displayhook).__call__ = lambda self, result=None: None
'''

# Rewrite every test cell before it runs (an IPython input transformer): a partial-credit cell becomes
# "full credit", any other test cell `pass`. Run in the kernel, every code test would pass.
REWRITTEN_TESTS = '''
def _pass_every_test(lines):
    text = "".join(lines)
    if "partial_credit" in text:
        return ["1.0\\n"]
    if "assert" in text or "BEGIN HIDDEN TESTS" in text:
        return ["pass\\n"]
    return lines
_ip = get_ipython()
_ip.input_transformers_cleanup[:] = [t for t in _ip.input_transformers_cleanup
                                     if getattr(t, "__name__", "") != "_pass_every_test"]
_ip.input_transformers_cleanup.append(_pass_every_test)
'''

# Show 1.0 for every result (IPython's display hook): a partial-credit cell would claim all its points.
FORGED_RESULTS = '''
_hook = type(get_ipython().displayhook)
if not hasattr(_hook, "_honest_call"):
    _hook._honest_call = _hook.__call__
    _hook.__call__ = lambda self, result=None: _hook._honest_call(self, None if result is None else 1.0)
'''

# Attacks whose code goes in a cell of the learner's own before every grade cell.
CELL_ATTACKS = {
    "redefined-helpers": FAKE_HELPERS,
    "patched-modules": PATCH_MODULES,
    "patched-builtins": PATCH_BUILTINS,
    "exception-handler": EXCEPTION_HANDLERS,
    "silenced-results": SILENCED_RESULTS,
    "rewritten-tests": REWRITTEN_TESTS,
    "forged-results": FORGED_RESULTS,
    "read-key": READ_KEY,
    "write-gradebook": WRITE_GRADEBOOK,
    "other-learner": OTHER_LEARNER,
}
FORMATTED = {"read-key", "write-gradebook", "other-learner"}
# Attacks that stop the kernel or hit a limit: once, before the first grade cell.
ONCE_ATTACKS = {
    "kill-kernel": KILL_KERNEL,
    "flood-output": FLOOD,
    "memory-bomb": MEMORY,
    "fork-bomb": FORK_BOMB,
    "stubborn-loop": STUBBORN_LOOP,
    "big-file": BIG_FILE,
}
ATTACKS = sorted([*CELL_ATTACKS, *ONCE_ATTACKS, "always-equal"])


def _learner_cell(source: str, n: int):
    cell = new_code_cell(textwrap.dedent(source).strip("\n"))
    cell["id"] = f"learner-{n}"
    return cell


def _with_cells(nb, source: str, every: bool):
    out, n, placed = [], 0, False
    for cell in nb.cells:
        if cell.cell_type == "code" and meta(cell).get("grade") and (every or not placed):
            out.append(_learner_cell(source, n))
            n += 1
            placed = True
        out.append(cell)
    nb.cells = out
    return nb


def _defined_names(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


ALWAYS_EQUAL_TAIL = '''
def _fake(value):
    if isinstance(value, dict):
        return {{key: _YesStr("x") for key in value}}
    if callable(value):
        return lambda *args, **kwargs: _Yes()
    return _Yes()
for _name in {names!r}:
    if _name in globals():
        globals()[_name] = _fake(globals()[_name])
    else:
        globals()[_name] = _Yes()
'''


def always_equal(nb):
    """Every solution cell keeps the release's template and then replaces each name it defines
    with an object that equals everything (a dict of such strings, a function returning one)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and meta(cell).get("solution"):
            try:
                names = _defined_names(cell.source)
            except SyntaxError:
                names = []
            cell.source = cell.source + "\n" + ALWAYS + ALWAYS_EQUAL_TAIL.format(names=names)
    return nb


def attack(aid: str, kind: str, course: Path, outside: Path):
    """The release notebook of ``aid`` with the attack ``kind`` added."""
    nb = release_nb(aid)
    fmt = {"course": str(course), "aid": aid, "outside": str(outside), "secret": SECRET_VALUE}
    if kind == "always-equal":
        return always_equal(nb)
    if kind in CELL_ATTACKS:
        code = CELL_ATTACKS[kind]
        return _with_cells(nb, code.format(**fmt) if kind in FORMATTED else code, every=True)
    return _with_cells(nb, ONCE_ATTACKS[kind], every=False)


def tree_digest(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under ``root`` (paths relative), leaving out the ``skip`` folders."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(rel == s or rel.startswith(s + "/") for s in skip) or not path.is_file() or path.is_symlink():
            continue
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")))
            parts.append(str(out.get("ename", "")) + ": " + str(out.get("evalue", "")))
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def grading_env() -> dict:
    """The grader's environment carries a secret the sandboxed kernel must not see."""
    return {SECRET_ENV: SECRET_VALUE, "PATH": os.environ.get("PATH", "")}
