"""Reading the grading contract out of assignment notebooks: hidden regions and ``grade_answer`` keys.

The key of every graded widget question is written once, in the hidden region of its grade cell in
``source/<id>/<id>.ipynb`` (see :mod:`exercises.grading`)::

    ### BEGIN HIDDEN TESTS
    grade_answer("a2-team-vs-tech/q-whose-call", key="b", why="...")
    ### END HIDDEN TESTS

This module is the one parser of that form, used by the grader (``widget_grading``), the feedback
scrubber, item analysis, the bank-quality check and the learner-edition leak scan. It reads the
call with :mod:`ast` and :func:`ast.literal_eval`: keys are plain literals, nothing is executed.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CALL_NAME = "grade_answer"


class ContractError(ValueError):
    """A grade cell's ``grade_answer`` call cannot be read (the message names the cell)."""


@dataclass(frozen=True)
class GradeCall:
    exercise_id: str
    key: object
    why: str | None = None

    @property
    def bank(self) -> str:
        return self.exercise_id.split("/", 1)[0]


def split_hidden(source: str) -> tuple[list[str], list[str]]:
    """(visible lines, hidden lines) of a cell's source; marker lines belong to neither."""
    visible, hidden, inside = [], [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN_HIDDEN):
            inside = True
        elif stripped.startswith(END_HIDDEN):
            inside = False
        elif inside:
            hidden.append(line)
        else:
            visible.append(line)
    return visible, hidden


def hidden_region(source: str) -> str:
    """The text between the hidden-test markers ('' when there is none)."""
    return "\n".join(split_hidden(source)[1])


def has_hidden_region(source: str) -> bool:
    return BEGIN_HIDDEN in source


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def grade_calls(source: str, where: str = "cell") -> list[GradeCall]:
    """Every ``grade_answer(...)`` call in the hidden region of *source*, with literal arguments."""
    region = hidden_region(source)
    if CALL_NAME not in region:
        return []
    try:
        tree = ast.parse(region)
    except SyntaxError as exc:
        raise ContractError(f"{where}: the hidden tests are not valid Python ({exc.msg}, line {exc.lineno})") from None
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _call_name(node) == CALL_NAME):
            continue
        args = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        positional = ["exercise_id", "key", "why"]
        for name, value in zip(positional, node.args):
            args.setdefault(name, value)
        try:
            exercise_id = ast.literal_eval(args["exercise_id"])
            key = ast.literal_eval(args["key"])
            why = ast.literal_eval(args["why"]) if "why" in args else None
        except KeyError as exc:
            raise ContractError(f"{where}: grade_answer(...) needs {exc.args[0]!r}") from None
        except ValueError:
            raise ContractError(f"{where}: grade_answer(...) arguments must be plain literals "
                                "(a string id, a key of strings/lists/dicts, a string 'why')") from None
        if type(exercise_id) is not str or "/" not in exercise_id:
            raise ContractError(f"{where}: the exercise id must be a string '<bank>/<id>'")
        if why is not None and type(why) is not str:
            raise ContractError(f"{where}: why= must be a string")
        calls.append(GradeCall(exercise_id, key, why))
    return calls


def is_grade_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def cell_grade_call(cell, where: str | None = None) -> GradeCall | None:
    """The one ``grade_answer`` call of an autograded test cell, or None (a code-answer test)."""
    if not is_grade_cell(cell):
        return None
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "?")
    calls = grade_calls(cell.get("source", ""), where or f"grade cell {gid!r}")
    if len(calls) > 1:
        raise ContractError(f"grade cell {gid!r}: one grade_answer(...) per grade cell, found {len(calls)}")
    return calls[0] if calls else None


def notebook_keys(nb) -> dict[str, GradeCall]:
    """``{grade_id: GradeCall}`` for every graded widget question of a notebook (node or path)."""
    if isinstance(nb, (str, Path)):
        import nbformat

        nb = nbformat.read(str(nb), as_version=4)
    out = {}
    for cell in nb.cells:
        call = cell_grade_call(cell)
        if call is not None:
            out[cell.metadata["nbgrader"]["grade_id"]] = call
    return out


def course_keys(root) -> dict[str, dict[str, GradeCall]]:
    """``{assignment_id: {grade_id: GradeCall}}`` for every ``source/<id>/<id>.ipynb`` under *root*."""
    source = Path(root) / "source"
    out = {}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()) if source.is_dir() else []:
        nb = folder / f"{folder.name}.ipynb"
        if nb.is_file():
            out[folder.name] = notebook_keys(nb)
    return out
