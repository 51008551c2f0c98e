"""Flag submissions whose own code reaches into the machinery that grades them, for a human to look at.

Widget answers are scored in the grader's process, code answers' tests are judged there too
(course_tools/judge.py) and the kernel runs in a sandbox, so such code changes no score unless an
instructor runs the tests in the kernel (``c.SandboxedExecute.judge_code_tests = False``). It is still
a sign worth a human's look (see INSTRUCTORS.md, "What the sandbox does not protect against"): code
that rewrites IPython's execution, display or error hooks, Python's built-ins or the loaded modules is
trying to change what tests see or report. Honest answers to these assignments never need any of
that, so this module reads the cells a learner can edit (every cell
that is not locked: answer cells and cells they added) and lists each line that does such a thing,
with the reason in plain words. A flag is a reason to open the submission, not a verdict: the
instructor decides (hand-grade the code questions, or talk to the learner).

Two ways in, both read-only:

* at autograde, :class:`FlagTampering` (first in ``c.Autograde.autograde_preprocessors``) writes a
  warning per flagged line to the log, which ``nbgrader autograde``, the formgrader's *Autograde*
  button and ``make grade`` show;
* for a whole collected assignment, before or after grading::

      python -m course_tools.tampering ASSIGNMENT_ID [--course-dir DIR]

  prints one line per flagged line of code and exits 1 when anything was flagged (0 otherwise).
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Read as a bare name, or as the module of an import: why each is flagged.
NAMES = {
    "get_ipython": "reaches into IPython, which runs the notebook's code",
    "builtins": "replaces Python's built-in functions",
    "__builtins__": "replaces Python's built-in functions",
    "__builtin__": "replaces Python's built-in functions",
    "exec": "runs code put together at run time (which hides what it does)",
    "eval": "runs code put together at run time (which hides what it does)",
    "compile": "runs code put together at run time (which hides what it does)",
    "__import__": "imports a module in a way that hides which",
    "importlib": "imports a module in a way that hides which",
    "ctypes": "reaches into the interpreter's memory",
    "gc": "reaches into the interpreter's memory",
    "globals": "rewrites variables by name, behind the code's back",
    "subprocess": "starts other programs",
    "socket": "opens network connections",
    "sqlite3": "opens a database (the gradebook is one)",
    "signal": "changes how the kernel is stopped",
    "IPython": "reaches into IPython, which runs the notebook's code",
    "ipykernel": "reaches into IPython, which runs the notebook's code",
}
# Read as an attribute of anything (these names mean nothing else in an honest answer).
ATTRS = {
    "displayhook": "replaces how a cell's result is shown (the result is what partial credit reads)",
    "display_pub": "replaces how a cell's result is shown (the result is what partial credit reads)",
    "excepthook": "replaces how errors are reported",
    "set_custom_exc": "replaces how errors are reported",
    "showtraceback": "replaces how errors are reported",
    "input_transformers_post": "rewrites the code of later cells before they run",
    "input_transformers_cleanup": "rewrites the code of later cells before they run",
    "ast_transformers": "rewrites the code of later cells before they run",
    "transform_cell": "rewrites the code of later cells before they run",
    "run_cell": "replaces how IPython runs cells",
    "run_code": "replaces how IPython runs cells",
    "run_ast_nodes": "replaces how IPython runs cells",
    "user_ns": "rewrites the notebook's variables behind the code's back",
    "settrace": "watches or changes other code as it runs",
    "setprofile": "watches or changes other code as it runs",
    "_getframe": "reads or changes other code's variables",
}
# Read only as an attribute of one module: (module, attribute) -> why.
MODULE_ATTRS = {
    ("sys", "modules"): "changes the loaded modules (the course's helpers among them)",
    ("os", "kill"): "stops processes (the kernel among them)",
    ("os", "fork"): "starts other processes",
    ("os", "system"): "starts other programs",
    ("os", "popen"): "starts other programs",
    ("os", "execv"): "starts other programs",
    ("os", "execvp"): "starts other programs",
}
# Defining these in a class makes an object that can claim to equal, or be, anything.
DUNDERS = {"__eq__", "__ne__", "__hash__", "__bool__", "__instancecheck__", "__subclasscheck__",
           "__getattribute__", "__class__"}
# Dunder attributes used to climb from any object to the interpreter's internals.
INTROSPECTION = {"__subclasses__", "__globals__", "__code__", "__closure__", "__dict__", "__bases__",
                 "__mro__", "__self__", "__func__"}
# The course's grading helpers: an honest answer never defines its own.
COURSE_HELPERS = {"recorded_answer", "recorded_record", "show_recorded", "grade_answer", "partial_credit",
                  "evaluate", "score_answer", "check_key"}
ALLOWED_MAGICS = {"matplotlib"}
# Text naming the course's own files: keys, the gradebook, other learners' work.
COURSE_PATHS = re.compile(r"gradebook|(^|/)(source|autograded|submitted|feedback|release)(/|$)|\.exchange")


@dataclass(frozen=True)
class Flag:
    student: str
    notebook: str
    cell: str         # the cell's grade_id, or "cell N" for a cell the learner added
    line: int         # 1-based, within the cell
    code: str
    reason: str

    def __str__(self) -> str:
        return (f"{self.student}: {self.notebook}, {self.cell}, line {self.line}: {self.code.strip()[:100]}"
                f"  <- {self.reason}")


def _meta(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def learner_cells(nb) -> list[tuple[str, str]]:
    """``[(label, source)]`` of every code cell a learner can change (not locked by nbgrader)."""
    out = []
    for i, cell in enumerate(nb.get("cells", []) if isinstance(nb, dict) else nb.cells, start=1):
        if cell.get("cell_type") != "code" or _meta(cell).get("locked"):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        out.append((_meta(cell).get("grade_id") or f"cell {i}", source))
    return out


def _magic_lines(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The source with IPython magics and shell lines blanked (so it parses), and those lines."""
    kept, magics = [], []
    for n, line in enumerate(source.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            name = re.match(r"[!%]{1,2}\s*(\w*)", stripped).group(1)
            if not (stripped.startswith("%") and name in ALLOWED_MAGICS):
                magics.append((n, line))
            kept.append("")
        else:
            kept.append(line)
    return "\n".join(kept), magics


def reasons(source: str) -> list[tuple[int, str]]:
    """``[(line, reason)]`` for every line of *source* that reaches into the grading machinery."""
    code, magics = _magic_lines(source)
    found = [(n, "runs a shell command or an IPython magic") for n, _ in magics]
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return found  # it will fail when run anyway; nothing to read reliably
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if isinstance(node, ast.Name) and node.id in NAMES:
            found.append((line, NAMES[node.id]))
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if (owner, node.attr) in MODULE_ATTRS:
                found.append((line, MODULE_ATTRS[owner, node.attr]))
            elif node.attr in ATTRS:
                found.append((line, ATTRS[node.attr]))
            elif node.attr in INTROSPECTION:
                found.append((line, "climbs from an object to the interpreter's internals"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for mod in mods:
                top = mod.split(".")[0]
                if top in NAMES:
                    found.append((line, NAMES[top]))
            if isinstance(node, ast.ImportFrom):  # from sys import modules, from os import kill ...
                for alias in node.names:
                    why = MODULE_ATTRS.get((node.module, alias.name)) or ATTRS.get(alias.name)
                    if why:
                        found.append((line, why))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and COURSE_PATHS.search(node.value):
            found.append((line, "names the course's own files (answer keys, the gradebook, other learners)"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in DUNDERS:
            found.append((line, "defines an object that can claim to equal, or be, anything"))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in COURSE_HELPERS \
                or isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in COURSE_HELPERS:
            found.append((line, "replaces one of the course's grading helpers with its own"))
    return sorted(set(found))


def flags_in(nb, student: str = "", notebook: str = "") -> list[Flag]:
    """Every flagged line in the learner-editable cells of one notebook."""
    out = []
    for label, source in learner_cells(nb):
        lines = source.splitlines()
        by_line: dict[int, list[str]] = {}
        for n, why in reasons(source):
            by_line.setdefault(n, []).append(why)
        for n, whys in sorted(by_line.items()):
            out.append(Flag(student, notebook, label, n, lines[n - 1] if 0 < n <= len(lines) else "",
                            "; ".join(whys)))
    return out


def scan_assignment(course_dir: Path, assignment: str, folder: str = "submitted") -> list[Flag]:
    """Flags for every notebook in ``<course_dir>/<folder>/<student>/<assignment>/``."""
    import nbformat

    out = []
    for nb_path in sorted((Path(course_dir) / folder).glob(f"*/{assignment}/*.ipynb")):
        student = nb_path.parent.parent.name
        try:
            nb = nbformat.read(str(nb_path), as_version=4)
        except Exception as exc:  # noqa: BLE001 - a damaged notebook is reported, never fatal
            out.append(Flag(student, nb_path.name, "-", 0, "", f"could not be read ({type(exc).__name__})"))
            continue
        out += flags_in(nb, student, nb_path.name)
    return out


try:
    from nbgrader.preprocessors import NbGraderPreprocessor
except ImportError:  # the learner's kit never needs this class
    NbGraderPreprocessor = None

if NbGraderPreprocessor is not None:
    class FlagTampering(NbGraderPreprocessor):
        """At autograde: log a warning for each line of learner code that reaches into the grading
        machinery (see the module doc). Changes nothing in the notebook or its scores."""

        def preprocess(self, nb, resources):
            meta = resources.get("nbgrader", {})
            where = f"{meta.get('student', '?')}/{meta.get('assignment', '?')}/{meta.get('notebook', '?')}"
            for flag in flags_in(nb):
                self.log.warning("Look at %s: its code reaches into the grading machinery: %s, line %d: %s (%s)",
                                 where, flag.cell, flag.line, flag.code.strip()[:80], flag.reason)
            return nb, resources


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.tampering", description=__doc__.split("\n")[0])
    parser.add_argument("assignment", help="the assignment id, e.g. a2-team-vs-tech")
    parser.add_argument("--course-dir", type=Path, default=Path.cwd(), help="the course directory (default: here)")
    parser.add_argument("--folder", default="submitted", choices=["submitted", "autograded"],
                        help="which copies to read (default: submitted)")
    args = parser.parse_args(argv)
    if not (args.course_dir / args.folder).is_dir():
        print(f"No {args.folder}/ folder in {args.course_dir}: collect the assignment first "
              "(nbgrader collect).", file=sys.stderr)
        return 2
    flags = scan_assignment(args.course_dir, args.assignment, args.folder)
    for flag in flags:
        print(flag)
    students = sorted({f.student for f in flags})
    print(f"{len(flags)} line(s) flagged in {len(students)} submission(s)"
          + (f": {', '.join(students)}" if students else "") + ". A flag is a reason to look, not a verdict.")
    return 1 if flags else 0


if __name__ == "__main__":
    sys.exit(main())
