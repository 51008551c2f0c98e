"""Code answers judged in the grader's process: the learner's kernel supplies values, the grader decides.

nbgrader runs an *Autograder tests* cell in the learner's kernel and gives its points when the cell
shows no error. But at autograde that kernel has run the learner's code, which can do anything there:
rewrite the test cell before it runs (an IPython input transformer), show ``1.0`` for every result (a
display hook), swallow errors. Patching a helper or a builtin the tests use is caught by the tests'
plain-type checks; rewriting the cell is not. So the course never sends a test cell to the kernel.

For each autograded test cell of a code answer, :class:`Judge` runs the **instructor's** test code
(read from the gradebook, never from the submission) in the grader's own process, in a fresh
namespace where the learner's names are looked up in the kernel over a JSON wire
(:mod:`course_tools.judge_wire`):

* a learner's *value* (a dict, a DataFrame, ...) arrives as plain data: a copy, of plain types only
  (anything else is an :class:`~course_tools.judge_wire.Opaque` that equals nothing);
* a learner's *function* becomes a stand-in whose every call sends the arguments to the kernel, runs
  the learner's function there (in the sandbox, with its limits) and brings back the result, again as
  plain data; an exception the function raises is raised again in the test (a builtin exception as
  itself, e.g. ``ValueError``);
* a *module* the notebook imported (``pd``) is the grader's own import of it, from a short list of
  standard modules; the test's own imports are the grader's.

So whatever the learner's code does to its kernel, it can only change the values the test receives,
which is what answering does; the test's verdict, its assertions, ``type()`` and ``partial_credit``
are the grader's. The cell's outputs are then written as the kernel would have shown them: what the
learner's functions printed, an error with its message (the scrubber reduces hidden-test errors to a
plain message in feedback, as before), or the result of the cell's last expression (the
``partial_credit`` fraction that ``ScaleCodeCredit`` scales). Limits the sandbox enforced during a call
(time, memory, a dead kernel) appear in the cell as they would have.

``SandboxedExecute`` (course_tools/sandbox.py) does this for every grade cell the gradebook knows as a
locked code test cell without a ``grade_answer`` call (widget questions are scored by
``widget_grading``); ``c.SandboxedExecute.judge_code_tests = False`` runs them in the kernel as
nbgrader does. Test cells are written as before (CONTRIBUTING.md, "Hidden tests"); what changes is
that a test sees copies: a test that relied on a learner's function *changing* an argument in place
must check the function's result instead.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import io
import json
import os
import symtable
import sys
import traceback

from nbformat.v4 import new_output

from . import judge_wire as wire

# Modules a notebook's name may stand for in a test (``import pandas as pd`` in a setup cell).
MODULES = frozenset({"pandas", "numpy", "math", "statistics", "re", "json", "collections", "datetime",
                     "itertools", "functools", "string", "random", "decimal", "fractions", "operator"})
PRINTED_LIMIT = 64 * 1024     # what a learner's functions print during a test, kept for feedback
_BUILTIN_NAMES = frozenset(dir(builtins))


class KernelProblem(RuntimeError):
    """The kernel gave no answer (it stopped, ran out of time or memory, or its end of the wire broke)."""


class AnswerUnreadable(ValueError):
    """The kernel's answer is not plain data in the wire's format."""


class LearnerError(Exception):
    """The learner's function raised an exception that is not a builtin one (its name is kept)."""


class LearnerFunction:
    """Stands in for a function defined in the learner's kernel; each call runs it there."""

    def __init__(self, judge: "Judge", name: str, type_name: str):
        self._judge, self._name, self._type_name = judge, name, type_name

    def __call__(self, *args, **kwargs):
        return self._judge.call(self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<{self._name} (the learner's {self._type_name})>"


# ------------------------------------------------------------------------------- which names
def _module_level(node):
    """The nodes of a statement that run in the module's own scope (not inside a def, lambda, class
    body or comprehension; their defaults, decorators, bases and first iterable do)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = n.args
            stack.extend([d for d in args.defaults + args.kw_defaults if d is not None])
            stack.extend(getattr(n, "decorator_list", []))
        elif isinstance(n, ast.ClassDef):
            stack.extend(n.decorator_list + n.bases + [k.value for k in n.keywords])
        elif isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            stack.append(n.generators[0].iter)
        else:
            stack.extend(ast.iter_child_nodes(n))


def _reads_and_binds(stmt) -> tuple[set[str], set[str]]:
    reads, binds = set(), set()
    for n in _module_level(stmt):
        if isinstance(n, ast.Name):
            (reads if isinstance(n.ctx, ast.Load) else binds).add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            binds |= {(a.asname or a.name).split(".")[0] for a in n.names if a.name != "*"}
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binds.add(n.name)
    return reads, binds


def _nested_globals(source: str, filename: str) -> list[tuple[int, set[str]]]:
    """(line, names) for each def, lambda, class body and comprehension: the global names it reads."""
    out = []

    def walk(table, line):
        for child in table.get_children():
            at = child.get_lineno() if line is None else line
            out.append((at, {s.get_name() for s in child.get_symbols() if s.is_referenced() and s.is_global()}))
            walk(child, at)

    walk(symtable.symtable(source, filename, "exec"), None)
    return out


def _span(node) -> tuple[int, int]:
    return node.lineno, getattr(node, "end_lineno", None) or node.lineno


def learner_names(source: str, filename: str = "<test>") -> list[str]:
    """Names the test reads before it binds them itself, in the order the code runs (a loop's target
    before its body, a def's body where the def is), builtins aside: the names to look up in the
    learner's kernel."""
    tree = ast.parse(source, filename)
    nested = _nested_globals(source, filename)
    bound: set[str] = set()
    wanted: set[str] = set()

    def read(node) -> None:
        reads, binds = _reads_and_binds(node)
        first, last = _span(node)
        for line, names in nested:
            if first <= line <= last:
                reads |= names
        wanted.update(reads - bound)
        bound.update(binds)

    def block(stmts) -> None:
        for stmt in stmts:
            if isinstance(stmt, (ast.For, ast.AsyncFor)):
                read(stmt.iter)
                read(stmt.target)
                block(stmt.body)
                block(stmt.orelse)
            elif isinstance(stmt, ast.While):
                read(stmt.test)
                block(stmt.body)
                block(stmt.orelse)
            elif isinstance(stmt, ast.If):
                read(stmt.test)
                block(stmt.body)
                block(stmt.orelse)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    read(item.context_expr)
                    if item.optional_vars is not None:
                        read(item.optional_vars)
                block(stmt.body)
            elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                block(stmt.body)
                for handler in stmt.handlers:
                    if handler.type is not None:
                        read(handler.type)
                    if handler.name:
                        bound.add(handler.name)
                    block(handler.body)
                block(stmt.orelse)
                block(stmt.finalbody)
            else:
                read(stmt)

    block(tree.body)
    return sorted(wanted - _BUILTIN_NAMES)


def _split_last(tree: ast.Module):
    """(body, last expression or None): the cell's result is its last expression's value."""
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        body = ast.Module(body=tree.body[:-1], type_ignores=[])
        return body, ast.Expression(body=tree.body[-1].value)
    return tree, None


# ---------------------------------------------------------------------------------- the judge
class Judge:
    """Runs one notebook's test cells in this process against the learner's kernel.

    *run_in_kernel* executes a piece of code in the kernel and returns the outputs it produced
    (nbformat output dicts); *folder* is the submission's folder (tests read its data files there).
    """

    def __init__(self, run_in_kernel, folder: str | None = None, log=None):
        self._run = run_in_kernel
        self.folder = folder
        self.log = log
        self.shared: dict = {}          # names earlier test cells bound (a later cell may use them)
        self._printed: list[str] = []
        self._notes: list = []
        self._booted = False

    # -- the wire
    def _request(self, request: dict) -> dict:
        source = wire.kernel_request_source(request)
        if not self._booted:
            source = wire.kernel_boot_source() + source
        outputs = self._run(source)
        self._booted = True
        reply, printed = None, []
        for out in outputs:
            kind = out.get("output_type")
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            if kind == "stream" and out.get("name") == "stdout":
                for line in text.split("\n"):
                    if line.startswith(wire.MARK):
                        reply = line[len(wire.MARK):]
                    elif line:
                        printed.append(line + "\n")
            elif kind == "stream":
                printed.append(text)
            elif kind == "error":
                self._notes.append(out)
        self._keep_printed("".join(printed))
        if reply is None:
            errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.get("output_type") == "error"]
            self._booted = False     # whatever broke, the next request sets the kernel's end up again
            raise KernelProblem(errors[-1] if errors else
                                "the notebook's kernel did not answer the grader (its code replaced "
                                "or removed what answers the tests)")
        try:
            message = json.loads(reply)
        except ValueError:
            raise AnswerUnreadable("the kernel's answer is not JSON") from None
        if type(message) is not dict:
            raise AnswerUnreadable("the kernel's answer is not in the grader's format")
        if "failed" in message:
            raise AnswerUnreadable(f"the kernel could not answer: {message['failed']}")
        return message

    def _keep_printed(self, text: str) -> None:
        room = PRINTED_LIMIT - sum(map(len, self._printed))
        if text and room > 0:
            self._printed.append(text[:room])

    def describe(self, names: list[str]) -> dict:
        reply = self._request({"op": "describe", "names": names})
        found = reply.get("names")
        if type(found) is not dict:
            raise AnswerUnreadable("the kernel's list of names is not in the grader's format")
        return found

    def call(self, name: str, args: tuple, kwargs: dict):
        reply = self._request({"op": "call", "name": name, "args": wire.dumps(list(args)),
                               "kwargs": wire.dumps(dict(kwargs))})
        if "ok" in reply:
            try:
                return wire.decode(reply["ok"])
            except (wire.WireError, RecursionError) as exc:
                raise AnswerUnreadable(f"{name}(...) returned something the grader cannot read ({exc})") from None
        raised = reply.get("raised")
        if type(raised) is dict:
            raise self._learner_exception(name, raised)
        raise AnswerUnreadable("the kernel's answer is not in the grader's format")

    @staticmethod
    def _learner_exception(name: str, raised: dict) -> Exception:
        etype, message = str(raised.get("type", "Exception"))[:100], str(raised.get("message", ""))[:2000]
        cls = getattr(builtins, etype, None)
        if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, Warning):
            try:
                exc = cls(message)
            except Exception:  # noqa: BLE001 - an exception class with another signature
                exc = LearnerError(f"{etype}: {message}")
        else:
            exc = LearnerError(f"{etype}: {message}")
        exc.techlead_raised_by = name
        return exc

    # -- the namespace
    def _value(self, name: str, description) -> tuple[bool, object]:
        if type(description) is not dict:
            return True, wire.Opaque("unreadable")
        if "absent" in description:
            return False, None
        if "module" in description:
            module = description["module"]
            if type(module) is str and module in MODULES:
                return True, importlib.import_module(module)
            return True, wire.Opaque(f"module {str(module)[:80]}")
        if "callable" in description:
            return True, LearnerFunction(self, name, str(description["callable"])[:100])
        if "value" in description:
            try:
                return True, wire.decode(description["value"])
            except (wire.WireError, RecursionError):
                return True, wire.Opaque("unreadable")
        return True, wire.Opaque("unreadable")

    # -- one test cell
    def run_test(self, source: str, grade_id: str, execution_count=None) -> list:
        """The outputs of the instructor's test *source*, judged here (see the module doc)."""
        self._printed, self._notes = [], []
        filename = f"<test cell {grade_id}>"
        namespace = {"__builtins__": builtins, "__name__": "__techlead_test__"}
        namespace.update(self.shared)
        result, failure = None, None
        try:
            tree = ast.parse(source, filename)
            names = learner_names(source, filename)
            if names:
                for name, description in self.describe(names).items():
                    if type(name) is not str or name not in names:
                        continue
                    present, value = self._value(name, description)
                    if present:
                        namespace[name] = value
            body, last = _split_last(tree)
            before = set(namespace)
            with contextlib.redirect_stdout(io.StringIO()) as printed, _chdir(self.folder):
                try:
                    exec(compile(body, filename, "exec"), namespace)  # noqa: S102 - the instructor's test
                    if last is not None:
                        result = eval(compile(last, filename, "eval"), namespace)  # noqa: S307
                finally:
                    self._keep_printed(printed.getvalue())
            self.shared.update({k: v for k, v in namespace.items()
                                if k not in before and not k.startswith("__")})
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - any failure of the test is the cell's error
            failure = exc
        outputs = []
        if self._printed:
            outputs.append(new_output("stream", name="stdout", text="".join(self._printed)))
        outputs.extend(self._notes)
        if failure is not None:
            outputs.append(failure_output(failure, source, filename))
        elif result is not None:
            outputs.append(new_output("execute_result", data={"text/plain": repr(result)},
                                      execution_count=execution_count))
        return outputs


def failure_output(exc: BaseException, source: str, filename: str):
    """An nbformat error output for a failed test, with the lines of the test that failed."""
    lines = source.splitlines()
    trace = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename and frame.lineno and 0 < frame.lineno <= len(lines):
            trace.append(f"{filename}, line {frame.lineno}:\n    {lines[frame.lineno - 1].strip()}")
    by = getattr(exc, "techlead_raised_by", None)
    if by:
        trace.append(f"(raised by your function {by})")
    if isinstance(exc, KernelProblem):
        trace.append("(the notebook's kernel could not run your code for this test)")
    ename = type(exc).__name__
    trace.append(f"{ename}: {exc}")
    return new_output("error", ename=ename, evalue=str(exc), traceback=trace)


@contextlib.contextmanager
def _chdir(folder: str | None):
    """Run the test in the submission's folder (its data files are there), with no entry of
    ``sys.path`` that would import from that folder: a learner's ``pandas.py`` must never load here."""
    if not folder:
        yield
        return
    old, saved = os.getcwd(), list(sys.path)
    here = os.path.realpath(folder)
    sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.realpath(p) != here]
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)
        sys.path[:] = saved


__all__ = ["AnswerUnreadable", "Judge", "KernelProblem", "LearnerError", "LearnerFunction", "MODULES",
           "failure_output", "learner_names"]
