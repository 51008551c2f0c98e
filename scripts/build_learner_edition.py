#!/usr/bin/env python
"""Build the learner edition: the tree a learner gets, with no answer key in it.

    python scripts/build_learner_edition.py                # build into build/learner-edition/
    python scripts/build_learner_edition.py --out DIR      # build elsewhere
    python scripts/build_learner_edition.py --commit       # also record it on the local branch learner-edition
    python scripts/build_learner_edition.py --push origin  # ... and push that branch to a remote

The edition holds the lessons (``notebooks/``), the student versions of the assignments (``release/``),
the exercise package (``exercises/``, with its banks, schema and data), what Binder needs to build it
(``environment.yml``, ``postBuild``, ``pyproject.toml``, ``lab-settings/``), the licence, and a learner's
README and Makefile written here. It never holds ``source/`` (solutions, hidden tests, mark schemes), the
tests, the scripts, the instructor tools or a gradebook.

Only files tracked by git are copied (never a learner's ``responses.json`` or other local files), and
the finished tree is scanned (:func:`scan`) for every key the instructor versions hold: solution
regions, hidden tests, mark schemes, and the actual expected value of every graded question. A build
that finds one fails and publishes nothing.

Publishing: ``--commit`` writes the edition as a new commit on the branch ``learner-edition`` of this
repository (the previous edition is its parent, so the branch only moves forward and nbgitpuller can
update learners' copies), without touching the working tree or the current branch. ``--push REMOTE``
then pushes that branch. The Binder badge, the lessons' Binder links and the nbgitpuller links all
point at that branch.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

BRANCH = "learner-edition"
DEFAULT_OUT = ROOT / "build" / "learner-edition"

# What the edition holds: tracked files under these folders, plus these single files.
INCLUDE_DIRS = ("notebooks", "release", "exercises", "lab-settings", "docs/images")
INCLUDE_FILES = ("LICENSE", "environment.yml", "postBuild", "pyproject.toml")
# Never, whatever is tracked where (checked again by the scan).
FORBIDDEN_PARTS = ("source", "tests", "scripts", "course_tools", "instructor", "submitted", "autograded",
                   "feedback", ".exchange", ".grading")
FORBIDDEN_NAMES = ("gradebook.db", "nbgrader_config.py", "responses.json")

REGION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                  "BEGIN MARK SCHEME", "END MARK SCHEME")
TEXT_SUFFIXES = {".ipynb", ".py", ".md", ".yaml", ".yml", ".json", ".txt", ".csv", ".cfg", ".toml", ".html",
                 ".js", ".ini", ""}
MIN_LINE = 24  # a solution / hidden-test line shorter than this is too generic to call a leak


# ------------------------------------------------------------------------------------------ building
def tracked_files(root: Path = ROOT) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True).stdout
    return sorted(p for p in out.decode("utf-8").split("\0") if p)


def selected(paths: list[str]) -> list[str]:
    keep = []
    for rel in paths:
        parts = Path(rel).parts
        if any(p in FORBIDDEN_PARTS for p in parts[:1]) or Path(rel).name in FORBIDDEN_NAMES:
            continue
        if rel in INCLUDE_FILES or any(rel.startswith(d + "/") for d in INCLUDE_DIRS):
            keep.append(rel)
    return keep


def learner_readme(course: dict) -> str:
    from build_nav import map_table
    from coursemap import binder_url

    repo = course["repository"]
    index = "notebooks/index.ipynb"
    return f"""# {course['title']} (learner edition)

[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(repo, index)})

An open, interactive course on technical leadership for software engineers, as JupyterLab notebooks.
This is the **learner edition**: the lessons, the assignments as you receive them (`release/`), the
exercise package and its data. It is generated from the course repository
(https://github.com/{repo}) and holds no answer keys.

## Start

- **On your computer** (Python 3.10+, `make`): `make lab`, then work through `notebooks/index.ipynb`.
- **Binder**, nothing to install: click the badge above (sessions are temporary: export your work).
- Your answers are saved in `notebooks/responses.json` as you go.

## Course map

{map_table(course, 'notebooks/')}

Alongside the lessons: `notebooks/progress_dashboard.ipynb` and `notebooks/spaced_review.ipynb`.

## Licence

Code is under the MIT licence; the course text is under CC BY 4.0. See [LICENSE](LICENSE).
"""


LEARNER_MAKEFILE = """\
# The learner edition: `make lab` sets up a virtual environment (once) and starts JupyterLab.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8888
BIN    := $(VENV)/bin
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: install lab
$(BIN)/python:
\t$(PYTHON) -m venv $(VENV)

$(VENV)/.course-installed: pyproject.toml | $(BIN)/python
\t$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
\t@mkdir -p $(VENV)/share/jupyter/lab/settings
\tcp lab-settings/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
\t@touch $@

install: $(VENV)/.course-installed

lab: install
\t$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --ServerApp.root_dir="$(CURDIR)" \\
\t\t--LabApp.default_url="/lab/tree/notebooks/index.ipynb" $(ALLOW_ROOT)
"""


def build(out: Path = DEFAULT_OUT, root: Path = ROOT, *, check: bool = True) -> list[str]:
    """Write the edition into *out* (replaced whole); return the files written (relative paths)."""
    from coursemap import load_course

    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files = selected(tracked_files(root))
    for rel in files:
        src = root / rel
        if not src.is_file():  # tracked but deleted in the working tree
            continue
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    (out / "README.md").write_text(learner_readme(load_course()), encoding="utf-8")
    (out / "Makefile").write_text(LEARNER_MAKEFILE, encoding="utf-8")
    (out / ".gitignore").write_text(".venv/\n__pycache__/\n.ipynb_checkpoints/\nresponses.json*\n"
                                    "responses.corrupt-*\n*.egg-info/\n", encoding="utf-8")
    if check:
        leaks = scan(out, root / "source")
        if leaks:
            raise SystemExit("The learner edition would leak answer keys; nothing published:\n  "
                             + "\n  ".join(map(str, leaks)))
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------ the keys
@dataclass(frozen=True)
class Key:
    """One thing that must never reach a learner, found in an instructor notebook."""
    where: str         # "a1-foundations.ipynb:q-definition-grade"
    kind: str          # "line" (solution / hidden-test / mark-scheme line), "value", "why"
    needle: str        # the text (for "line"/"why") or a regex (for "value")
    regex: bool = False


@dataclass(frozen=True)
class Leak:
    file: str
    key: Key

    def __str__(self):
        return f"{self.file}: {self.key.kind} from {self.key.where}: {self.key.needle[:90]!r}"


_REGION = re.compile(r"^[ \t]*(?:###|===)\s*BEGIN (SOLUTION|HIDDEN TESTS|MARK SCHEME)\s*(?:===)?[ \t]*$"
                     r"(.*?)^[ \t]*(?:###|===)\s*END \1\s*(?:===)?[ \t]*$", re.M | re.S)


def regions(source: str) -> list[tuple[str, str]]:
    """``(kind, text)`` for every solution, hidden-test and mark-scheme region of a cell."""
    return [(m.group(1), m.group(2)) for m in _REGION.finditer(source)]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _q(s: str) -> str:
    return r"""["']""" + re.escape(s) + r"""["']"""


def value_patterns(value) -> list[str]:
    """Regexes that find *value* written out as a key (a dict's pairs, a list, a quoted answer)."""
    pats = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict):
                pats.extend(value_patterns(v))
            elif isinstance(v, (str, int, float)) and not isinstance(v, bool):
                pats.append(rf"{_q(str(k))}\s*:\s*{_q(str(v)) if isinstance(v, str) else re.escape(repr(v))}")
    elif isinstance(value, (list, tuple)) and value and all(isinstance(x, str) for x in value):
        pats.append(r"\[\s*" + r"\s*,\s*".join(_q(x) for x in value) + r"\s*\]")
    elif isinstance(value, str):
        pats.append(rf"(?:expected|key|answer|correct)\s*[=:]\s*{_q(value)}")
    return pats


def _expected_values(code: str) -> list:
    """Literal values assigned to ``expected`` / ``_want`` or passed as ``key=`` in hidden tests."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("expected", "_want", "key")
                                                for t in node.targets):
            try:
                found.append(ast.literal_eval(node.value))
            except ValueError:
                pass
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "key":
                    try:
                        found.append(ast.literal_eval(kw.value))
                    except ValueError:
                        pass
    return found


def _literal_answers(code: str) -> list:
    """Literal dicts and lists a solution assigns (``team_stories = {"Atlas": "both", ...}``)."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Dict, ast.List)):
            try:
                found.append(ast.literal_eval(node.value))
            except ValueError:
                pass
    return found


def _explanations(code: str) -> list[str]:
    """The ``why="..."`` explanations of ``grade_answer`` calls (shown to learners only after grading)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
            if kw.arg == "why" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)]


def _asserted_calls(code: str) -> list[str]:
    """``f(args) == value`` of every ``assert`` in a hidden test, normalised by ``ast.unparse``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
            text = ast.unparse(node.test)
            if len(text) >= MIN_LINE:
                out.append(text)
    return out


def _contract_keys(nb) -> list[Key]:
    """Keys of ``grade_answer`` calls read with course_tools.contract, when the contract is there."""
    try:
        from course_tools.contract import notebook_keys
    except ImportError:
        return []
    keys = []
    for grade_id, call in notebook_keys(nb).items():
        where = f"{grade_id} ({call.exercise_id})"
        for pat in value_patterns(call.key):
            keys.append(Key(where, "value", pat, regex=True))
        keys.append(Key(where, "value", r"grade_answer\(\s*" + _q(call.exercise_id), regex=True))
        if getattr(call, "why", None) and len(call.why) >= MIN_LINE:
            keys.append(Key(where, "why", _norm(call.why)))
    return keys


def instructor_keys(source_dir: Path) -> list[Key]:
    """Every key of every instructor notebook in *source_dir* (``source/<id>/<id>.ipynb``)."""
    import nbformat

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    keys: list[Key] = []
    for path in sorted(Path(source_dir).glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        release = ROOT / "release" / path.parent.name / path.name
        released = _norm(release.read_text(encoding="utf-8")) if release.exists() else ""
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "?")
            where = f"{path.name}:{grade_id}"
            for kind, text in regions(cell.source):
                for line in text.splitlines():
                    line = _norm(line)
                    if len(line) >= MIN_LINE and line not in released:
                        keys.append(Key(where, "line", line))
                if kind == "SOLUTION":
                    for value in _literal_answers(text):
                        keys.extend(Key(where, "value", pat, regex=True) for pat in value_patterns(value))
                if kind == "HIDDEN TESTS":
                    for value in _expected_values(text):
                        keys.extend(Key(where, "value", pat, regex=True) for pat in value_patterns(value))
                    for why in _explanations(text):
                        if len(why) >= MIN_LINE:
                            keys.append(Key(where, "why", _norm(why)))
                    for call in _asserted_calls(text):
                        keys.append(Key(where, "value", _norm(call)))
        keys.extend(_contract_keys(nb))
    unique, seen = [], set()
    for k in keys:
        if (k.where, k.needle) not in seen:
            seen.add((k.where, k.needle))
            unique.append(k)
    return unique


# ------------------------------------------------------------------------------------------ the scan
def edition_texts(edition: Path):
    """``(relative path, text)`` of every text file; a notebook's text is its cells' sources and outputs."""
    for path in sorted(Path(edition).rglob("*")):
        if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        rel = path.relative_to(edition).as_posix()
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if path.suffix == ".ipynb":
            try:
                nb = json.loads(raw)
                parts = []
                for cell in nb.get("cells", []):
                    parts.append("".join(cell.get("source", "")))
                    for out in cell.get("outputs", []):
                        parts.append("".join(out.get("text", "")))
                        for value in (out.get("data") or {}).values():
                            parts.append("".join(value) if isinstance(value, list) else str(value))
                raw = raw + "\n" + "\n".join(parts)
            except ValueError:
                pass
        yield rel, raw


def _graded_bank_leaks(edition: Path) -> list[Leak]:
    """A graded exercise in a bank must carry no ``correct``, ``answer`` or ``feedback``."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - yaml is a course dependency
        return []
    leaks = []
    for path in sorted((Path(edition) / "exercises" / "banks").glob("*.yaml")):
        # libyaml's loader where PyYAML has it (its wheels do): the pure-Python one is ~10x slower
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506 - a safe loader
        for ex in data.get("exercises", []) or []:
            if not ex.get("graded"):
                continue
            bad = []

            def walk(node, trail):
                if isinstance(node, dict):
                    for k, v in node.items():
                        if k in ("correct", "answer", "feedback", "key_answer", "rating") and trail:
                            bad.append(".".join(trail + [str(k)]))  # noqa: B023  (walk runs inside the loop)
                        walk(v, trail + [str(k)])
                elif isinstance(node, list):
                    for i, v in enumerate(node):
                        walk(v, trail + [str(i)])

            walk({k: v for k, v in ex.items() if k not in ("id", "kind", "graded")}, ["x"])
            for b in bad:
                leaks.append(Leak(path.relative_to(edition).as_posix(),
                                  Key(f"{data.get('bank')}/{ex.get('id')}", "value", b.removeprefix("x."))))
    return leaks


def _required_literal(pattern: str, shortest: int = 3) -> str:
    """The longest run of plain characters every match of *pattern* contains ("" if none as long as
    *shortest*): e.g. ``broker-prototype`` of ``["']broker\\-prototype["']\\s*:...``. Only the pattern's
    top level is read, so the run is always part of a match."""
    try:
        from re import _constants as c, _parser  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_constants as c
        import sre_parse as _parser

    parsed = _parser.parse(pattern)
    if parsed.state.flags & re.IGNORECASE:  # its literals match in any case: no shortcut
        return ""
    best, run = "", ""
    for op, arg in parsed:
        if op is c.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        else:
            run = ""
    return best if len(best) >= shortest else ""


def scan(edition: Path, source_dir: Path = ROOT / "source") -> list[Leak]:
    """Every key of the instructor notebooks found in the edition (an empty list: nothing leaks)."""
    edition = Path(edition)
    leaks: list[Leak] = []
    for path in sorted(edition.rglob("*")):
        rel = path.relative_to(edition)
        if rel.parts and rel.parts[0] in FORBIDDEN_PARTS or path.name in FORBIDDEN_NAMES:
            leaks.append(Leak(rel.as_posix(), Key("layout", "file", "must not be in the learner edition")))
    keys = instructor_keys(source_dir)
    plain = [k for k in keys if not k.regex]
    patterns = [(k, re.compile(k.needle), _required_literal(k.needle)) for k in keys if k.regex]
    for rel, text in edition_texts(edition):
        flat = _norm(text)
        for marker in REGION_MARKERS:
            if marker in text:
                leaks.append(Leak(rel, Key("nbgrader", "marker", marker)))
        for k in plain:
            if k.needle in flat:
                leaks.append(Leak(rel, k))
        for k, rx, literal in patterns:
            # a text without the pattern's literal part cannot match it: skip the (slow) regex search
            if literal and literal not in text and literal not in flat:
                continue
            if rx.search(text) or rx.search(flat):
                leaks.append(Leak(rel, k))
    leaks.extend(_graded_bank_leaks(edition))
    return leaks


# ------------------------------------------------------------------------------------------ publishing
def _git(*args, cwd=ROOT, env=None, input=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, input=input, check=True,
                          capture_output=True, text=True).stdout.strip()


def commit_edition(edition: Path, repo: Path = ROOT, branch: str = BRANCH, message: str | None = None) -> str:
    """Record *edition* as the next commit of *branch* in *repo* (working tree and HEAD untouched)."""
    gitdir = _git("rev-parse", "--absolute-git-dir", cwd=repo)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GIT_DIR=gitdir, GIT_INDEX_FILE=str(Path(tmp) / "index"),
                   GIT_WORK_TREE=str(Path(edition).resolve()))
        _git("add", "-A", "--force", ".", cwd=edition, env=env)
        tree = _git("write-tree", cwd=edition, env=env)
    parent = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], cwd=repo,
                            capture_output=True, text=True).stdout.strip()
    if parent and _git("rev-parse", f"{parent}^{{tree}}", cwd=repo) == tree:
        return parent  # nothing changed
    source_rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True,
                                text=True).stdout.strip() or "unknown"
    msg = message or f"Learner edition built from {source_rev}"
    commit = _git("commit-tree", tree, *(["-p", parent] if parent else []), "-m", msg, cwd=repo)
    _git("update-ref", f"refs/heads/{branch}", commit, *([parent] if parent else []), cwd=repo)
    return commit


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to build (default build/learner-edition)")
    ap.add_argument("--commit", action="store_true", help=f"record the edition on the local branch {BRANCH}")
    ap.add_argument("--push", metavar="REMOTE", help=f"commit, then push the branch {BRANCH} to REMOTE")
    args = ap.parse_args(argv)
    files = build(args.out)
    size = sum((args.out / f).stat().st_size for f in files)
    print(f"learner edition: {len(files)} files, {size / 1e6:.1f} MB in {args.out} (leak scan: clean)")
    if args.commit or args.push:
        commit = commit_edition(args.out)
        print(f"branch {BRANCH} is at {commit[:12]}")
    if args.push:
        _git("push", args.push, f"refs/heads/{BRANCH}:refs/heads/{BRANCH}")
        print(f"pushed {BRANCH} to {args.push}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
