"""Item analysis of an nbgrader assignment: which questions were hard, and which told learners apart.

    python -m course_tools.item_analysis ASSIGNMENT [--course-dir .] [--out FILE.csv] [--plot FILE.png]
                                                    [--keys KEYS.json|.yaml] [--db gradebook.db] [--no-plot]
    make item-analysis ASSIGNMENT=a2-team-vs-tech

Run it after ``autograde`` (and, for the written answers, after hand-grading in the formgrader). It
writes a CSV with one row per item, a figure (difficulty against discrimination, and a bar chart of
difficulty), and prints a short report of items worth a second look.

What an item is
---------------
* every **grade cell** in the gradebook: autograded test cells (``kind="auto"``), manually graded task
  or answer cells (``kind="manual"``), and test cells that grade a graded-mode widget question
  (``kind="widget"``: their source calls ``recorded_answer("<bank>/<id>")``);
* every **graded-mode widget question** found in the learners' ``responses.json`` files
  (``autograded/<student>/<assignment>/`` first, else ``submitted/...``) that no grade cell grades:
  it is scored here against its key (choice and many-choice: 1 when exactly right, else 0;
  classify: the share of items sorted right) and gets its own ``kind="widget"`` row.

For a widget question graded by a grade cell, the row is the grade cell's (its score is nbgrader's),
and the learners' recorded answers add the **most common wrong answer**.

The statistics (per item; a learner's item score is divided by the item's points, so 0..1)
---------------------------------------------------------------------------------------------
``mean_fraction``
    The mean fraction of the points earned: the classical *difficulty* or *p-value*. High means easy.
    ``difficulty_label``: ``hard`` below 0.3, ``easy`` above 0.9, else ``moderate``.
``upper_lower``
    The upper-lower discrimination index D: learners are ranked by their **total score**; the mean item
    fraction of the top 27% minus that of the bottom 27% (27% of n, rounded, at least one learner).
    Learners tied at a group's boundary share the remaining places equally (fractional weights), so the
    result does not depend on the order of the rows. Range -1..1.
``point_biserial``
    The **item-rest correlation** (corrected point-biserial): the Pearson correlation between the item
    fraction and the learner's total score *without this item*. For a right/wrong item this is exactly
    the point-biserial correlation; leaving the item out of the total stops it from correlating with
    itself, which matters in a short assignment where one item is a large share of the total.
``discrimination_label``
    From D (Ebel's rule of thumb): ``good`` at 0.4 or more, ``fair`` 0.3-0.4, ``marginal`` 0.2-0.3,
    ``poor`` below 0.2 (``negative`` below 0: stronger learners did worse, check the key or the wording).
``NaN`` with a ``note``
    When an item has no spread (everyone scored the same), when the totals have no spread, or when fewer
    than 3 learners have a score for the item, discrimination cannot be measured and is ``NaN``.

The **total score** used for ranking is the sum of the gradebook items that are scored for every
learner in the analysis. Items still waiting for a manual grade (no ``auto_score`` and no
``manual_score``) are left out of the total and analysed over the learners who have a score (``n``); the
report lists them. nbgrader itself counts an ungraded cell as 0; here it is "not graded yet".

Answer keys of widget questions (never written anywhere learners see)
---------------------------------------------------------------------
The keys live only on the instructor's side. In order of precedence:

1. ``--keys FILE`` / ``keys=``: a JSON or YAML mapping ``{"<bank>/<id>": key}`` the instructor passes;
2. the hidden tests of the grade cells as nbgrader stored them in the gradebook (the ``source_cell``
   table holds the instructor's version of every locked cell, hidden tests included);
3. the hidden tests in ``source/<assignment>/*.ipynb``.

In (2) and (3) each grade cell's source is parsed with :mod:`ast`: ``x = recorded_answer("<id>")`` makes
``x`` stand for the question; the key is the literal in ``assert x == <literal>`` /
``assert recorded_answer("<id>") == <literal>``, or, in the form our build script writes, the literal
bound to ``expected`` (or any name containing "expected" or "key") in a cell that reads exactly one
question. A key that disagrees with nbgrader's own scores for some learners is reported in ``note``.
The CSV and the plot never contain a key; the tool refuses to write under ``release/``, ``source/``,
``exercises/``, ``feedback/`` or ``.exchange/`` of the course folder.

The report
----------
It lists hard items (mean < 0.3), easy items (mean > 0.9), poor discriminators (D < 0.2, or a negative
item-rest correlation; a negative D is marked NEGATIVE), items without a discrimination value and why,
items not analysed (nothing graded yet), items left out of the total, and the most common wrong answer
of each widget question with its share of the wrong answers.

The gradebook is read with pandas through a **read-only** sqlite connection (``mode=ro``): opening
``nbgrader.api.Gradebook`` creates tables and a course row when they are missing, and an analysis must
never change the gradebook (it can run while the formgrader is open or grading is going on).
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import json
import math
import re
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from exercises.store import is_empty_answer

HARD_BELOW = 0.3
EASY_ABOVE = 0.9
POOR_BELOW = 0.2
GROUP_FRACTION = 0.27
MIN_STUDENTS = 3
RESPONSES_FILE = "responses.json"

COLUMNS = ["item", "kind", "max_score", "mean_fraction", "difficulty_label", "upper_lower",
           "point_biserial", "most_common_wrong", "n", "discrimination_label", "wrong_share",
           "question", "notebook", "in_total", "note"]

_RECORDED_RE = re.compile(r"""recorded_answer\(\s*(?:exercise_id\s*=\s*)?["']([^"']+)["']""")


# ============================================================================ reading the gradebook

def _connect_ro(gradebook_db) -> sqlite3.Connection:
    """A read-only connection to the gradebook (a path, or an ``sqlite:///...`` URL)."""
    text = str(gradebook_db)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):].split("?", 1)[0]
    path = Path(text)
    if not path.is_file():
        raise FileNotFoundError(f"no gradebook at {path} (run nbgrader generate_assignment/autograde first, "
                                "or pass --db)")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def _read_sql(gradebook_db, sql: str, params: tuple) -> pd.DataFrame:
    """Run one query on a read-only connection. A WAL-mode gradebook in a folder we cannot write to
    (no ``-shm`` file can be made) is read as an immutable snapshot instead."""
    try:
        with contextlib.closing(_connect_ro(gradebook_db)) as con:
            return pd.read_sql_query(sql, con, params=params)
    except (sqlite3.OperationalError, pd.errors.DatabaseError) as exc:
        if "unable to open" not in str(exc) and "readonly" not in str(exc):
            raise
        path = Path(str(gradebook_db).replace("sqlite:///", "").split("?", 1)[0]).resolve()
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)) as con:
            return pd.read_sql_query(sql, con, params=params)


_SCORES_SQL = """
SELECT sa.student_id AS student, nb.name AS notebook, bc.name AS cell, bc.type AS cell_class,
       gc.cell_type AS cell_type, COALESCE(gc.max_score, tc.max_score) AS max_score,
       g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade
FROM grade g
JOIN submitted_notebook sn ON g.notebook_id = sn.id
JOIN submitted_assignment sa ON sn.assignment_id = sa.id
JOIN assignment a ON sa.assignment_id = a.id
JOIN notebook nb ON sn.notebook_id = nb.id
JOIN base_cell bc ON g.cell_id = bc.id
LEFT JOIN grade_cells gc ON gc.id = bc.id
LEFT JOIN task_cells tc ON tc.id = bc.id
WHERE a.name = ?
"""

_SOURCES_SQL = """
SELECT nb.name AS notebook, sc.name AS cell, sc.source AS source
FROM source_cell sc
JOIN notebook nb ON sc.notebook_id = nb.id
JOIN assignment a ON nb.assignment_id = a.id
WHERE a.name = ?
"""


def item_scores(gradebook_db, assignment: str) -> pd.DataFrame:
    """Every learner's score on every grade cell of ``assignment``, from the nbgrader gradebook.

    Columns ``student, item, score, max_score`` plus ``notebook``, ``kind`` (``auto`` for an autograded
    code cell, ``manual`` for a task cell or a manually graded answer) and ``graded`` (False when the
    cell still waits for a manual grade; its ``score`` is then NaN, not nbgrader's 0).
    ``score`` follows nbgrader: the manual score if set, else the auto score, plus any extra credit.
    ``item`` is the grade id, prefixed with ``notebook:`` only when two notebooks use the same id.
    """
    raw = _read_sql(gradebook_db, _SCORES_SQL, (assignment,))
    cols = ["student", "item", "score", "max_score", "notebook", "kind", "graded"]
    if raw.empty:
        return pd.DataFrame(columns=cols)
    extra = raw["extra_credit"].fillna(0.0)
    score = np.where(raw["manual_score"].notna(), raw["manual_score"] + extra,
                     np.where(raw["auto_score"].notna(), raw["auto_score"] + extra, np.nan))
    manual = (raw["cell_class"] == "TaskCell") | (raw["cell_type"] == "markdown")
    out = pd.DataFrame({
        "student": raw["student"].astype(str),
        "item": raw["cell"].astype(str),
        "score": score.astype(float),
        "max_score": raw["max_score"].astype(float),
        "notebook": raw["notebook"].astype(str),
        "kind": np.where(manual, "manual", "auto"),
        "graded": ~np.isnan(score.astype(float)),
    })
    clash = out.groupby("item")["notebook"].nunique()
    clash = set(clash[clash > 1].index)
    if clash:
        out["item"] = [f"{nb}:{it}" if it in clash else it for nb, it in zip(out["notebook"], out["item"])]
    return out.sort_values(["student", "notebook", "item"], kind="stable").reset_index(drop=True)[cols]


def grade_cell_sources(gradebook_db, assignment: str, course_dir=None) -> dict[str, str]:
    """``{item: instructor source}`` of the grade cells, hidden tests included.

    From the gradebook's ``source_cell`` table (written by ``generate_assignment``), falling back to
    ``source/<assignment>/*.ipynb`` under ``course_dir`` for cells the gradebook does not hold."""
    sources: dict[str, str] = {}
    try:
        rows = _read_sql(gradebook_db, _SOURCES_SQL, (assignment,))
        for _, row in rows.iterrows():
            sources.setdefault(row["cell"], row["source"] or "")
    except (FileNotFoundError, sqlite3.Error, pd.errors.DatabaseError):
        pass
    if course_dir is not None:
        for name, src in _source_notebook_cells(Path(course_dir), assignment).items():
            sources.setdefault(name, src)
    return sources


def _source_notebook_cells(course_dir: Path, assignment: str) -> dict[str, str]:
    out = {}
    folder = course_dir / "source" / assignment
    for path in sorted(folder.glob("*.ipynb")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for cell in nb.get("cells", []):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            src = cell.get("source", "")
            if grade_id:
                out[grade_id] = "".join(src) if isinstance(src, list) else src
    return out


def notebook_order(course_dir, assignment: str) -> list[str]:
    """Grade ids in the order they appear in the assignment's notebooks (source/, else release/)."""
    course_dir = Path(course_dir)
    for step in ("source", "release"):
        names = []
        for path in sorted((course_dir / step / assignment).glob("*.ipynb")):
            try:
                nb = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            names += [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.get("cells", [])]
        names = [n for n in names if n]
        if names:
            return names
    return []


# ============================================================================ widget questions

def widget_links(sources: dict[str, str]) -> dict[str, str]:
    """``{grade cell: question id}`` for grade cells that read exactly one recorded widget answer."""
    links = {}
    for item, src in sources.items():
        ids = sorted(set(_RECORDED_RE.findall(src or "")))
        if len(ids) == 1:
            links[item] = ids[0]
    return links


def _literal(node):
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _recorded_id(node) -> str | None:
    """The question id if ``node`` is ``recorded_answer("<id>")`` (or ``grading.recorded_answer``)."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name != "recorded_answer":
        return None
    arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "exercise_id"), None)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def keys_from_source(source: str) -> dict[str, object]:
    """Answer keys stated in one grade cell's source (see the module docstring for the forms)."""
    # IPython magics and shell escapes would stop the parser: blank them out (line numbers unchanged).
    clean = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in (source or "").splitlines())
    try:
        tree = ast.parse(clean)
    except SyntaxError:
        return _keys_by_regex(source or "")
    aliases: dict[str, str] = {}
    literals: dict[str, object] = {}
    keys: dict[str, object] = {}
    questions: list[str] = []
    for node in ast.walk(tree):
        qid = _recorded_id(node)
        if qid and qid not in questions:
            questions.append(qid)
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            qid = _recorded_id(stmt.value)
            if qid:
                aliases[name] = qid
                continue
            ok, value = _literal(stmt.value)
            if ok:
                literals[name] = value

    def side(node):
        qid = _recorded_id(node)
        if qid:
            return "q", qid
        if isinstance(node, ast.Name) and node.id in aliases:
            return "q", aliases[node.id]
        if isinstance(node, ast.Name) and node.id in literals:
            return "lit", literals[node.id]
        ok, value = _literal(node)
        return ("lit", value) if ok else (None, None)

    for stmt in ast.walk(tree):
        if not isinstance(stmt, ast.Assert):
            continue
        test = stmt.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            a, b = side(test.left), side(test.comparators[0])
            if a[0] == "q" and b[0] == "lit":
                keys.setdefault(a[1], b[1])
            elif b[0] == "q" and a[0] == "lit":
                keys.setdefault(b[1], a[1])
    if len(questions) == 1 and questions[0] not in keys:
        named = [v for k, v in literals.items() if "expected" in k.lower() or "key" in k.lower()]
        if len(named) == 1:
            keys[questions[0]] = named[0]
    return keys


def _keys_by_regex(source: str) -> dict[str, object]:
    keys = {}
    for m in re.finditer(r"""recorded_answer\(\s*["']([^"']+)["']\s*\)\s*==\s*(.+?)\s*$""", source, re.M):
        ok, value = _literal(_parse_expr(m.group(2)))
        if ok:
            keys.setdefault(m.group(1), value)
    return keys


def _parse_expr(text: str):
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return None


def keys_from_sources(sources: dict[str, str]) -> dict[str, object]:
    """Answer keys from every grade cell's source (the first key found for a question wins)."""
    keys: dict[str, object] = {}
    for _item, src in sources.items():
        for qid, key in keys_from_source(src).items():
            keys.setdefault(qid, key)
    return keys


def load_keys(path) -> dict[str, object]:
    """An instructor's key file: JSON or YAML, ``{"<bank>/<id>": key}``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of question id to key")
    return {str(k): v for k, v in data.items()}


def _normalise(kind: str | None, answer):
    """The shape ``exercises.grading.recorded_answer`` returns, so keys compare directly."""
    if kind == "many-choice" and isinstance(answer, (list, tuple, set)):
        return sorted(answer)
    if kind == "classify" and isinstance(answer, dict):
        return dict(answer)
    if kind == "scenario" and isinstance(answer, (list, tuple)):
        return list(answer)
    return answer


def widget_answers(course_dir, assignment: str, graded_only: bool = True) -> pd.DataFrame:
    """Every learner's recorded widget answers for ``assignment``.

    Reads ``autograded/<student>/<assignment>/responses.json`` (what was graded), else
    ``submitted/<student>/<assignment>/responses.json``. Read-only; a file that cannot be read is skipped
    and listed in ``df.attrs["problems"]``. Columns ``student, question, answer`` plus ``kind`` and
    ``origin`` (``autograded`` or ``submitted``). With ``graded_only`` only answers recorded in graded
    mode are kept. Answers have the shape ``recorded_answer`` gives (many-choice: sorted list, ...).
    """
    course_dir = Path(course_dir)
    found: dict[str, tuple[str, Path]] = {}
    for origin in ("submitted", "autograded"):  # autograded last: it wins
        root = course_dir / origin
        if not root.is_dir():
            continue
        for student_dir in sorted(root.iterdir()):
            path = student_dir / assignment / RESPONSES_FILE
            if path.is_file():
                found[student_dir.name] = (origin, path)
    rows, problems = [], []
    for student in sorted(found):
        origin, path = found[student]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            responses = data["responses"]
            if not isinstance(responses, dict):
                raise ValueError("'responses' is not a mapping")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        for qid, rec in sorted(responses.items()):
            if not isinstance(rec, dict):
                continue
            if graded_only and not rec.get("graded"):
                continue
            kind = rec.get("kind")
            answer = rec.get("answer")
            if kind == "self-assessment" and rec.get("sessions"):
                answer = rec["sessions"][-1].get("ratings")
            if is_empty_answer(answer):
                continue
            rows.append({"student": student, "question": qid, "answer": _normalise(kind, answer),
                         "kind": kind, "origin": origin})
    df = pd.DataFrame(rows, columns=["student", "question", "answer", "kind", "origin"])
    df.attrs["problems"] = problems
    return df


def _answer_label(answer) -> str:
    if isinstance(answer, (list, tuple)):
        return ",".join(map(str, answer)) if answer else "(none)"
    if isinstance(answer, dict):
        return ", ".join(f"{k}→{v}" for k, v in sorted(answer.items()))
    return str(answer)


def answer_score(kind: str | None, answer, key) -> float:
    """A widget answer scored against its key, 0..1: classify gives the share of items sorted right
    (every item of the key counts); every other kind is 1 when exactly right, else 0."""
    if isinstance(key, dict):
        if not isinstance(answer, dict) or not key:
            return 0.0
        return sum(answer.get(k) == v for k, v in key.items()) / len(key)
    if isinstance(key, (list, tuple, set)) and isinstance(answer, (list, tuple, set)):
        return float(sorted(map(str, answer)) == sorted(map(str, key)))
    return float(answer == key)


def wrong_answers(answers: pd.DataFrame, keys: dict) -> pd.DataFrame:
    """For each question with a key: the most common wrong answer and its share of the wrong answers.

    * choice (and any single-valued answer): the wrong option picked most often (``"d"``);
    * many-choice: the wrong *set* picked most often (``"a,c"``);
    * classify: the misplacement made most often (``"roadmap-with-sofia→technical"``); its share is
      the fraction of the not-fully-right answers that contain it.

    Ties are all listed, sorted, joined with ``" / "``. Columns: ``question, most_common_wrong,
    wrong_share, n_wrong, n_answered``."""
    rows = []
    if answers is None or answers.empty:
        return pd.DataFrame(columns=["question", "most_common_wrong", "wrong_share", "n_wrong", "n_answered"])
    for qid, group in answers.groupby("question", sort=True):
        if qid not in keys:
            continue
        key = keys[qid]
        counts: Counter = Counter()
        n_wrong = 0
        for kind, answer in zip(group["kind"], group["answer"]):
            if answer_score(kind, answer, key) >= 1.0:
                continue
            n_wrong += 1
            if isinstance(key, dict) and isinstance(answer, dict):
                for item in sorted(set(key) | set(answer)):
                    if answer.get(item) != key.get(item):
                        counts[f"{item}→{answer.get(item, '(unsorted)')}"] += 1
            else:
                counts[_answer_label(answer)] += 1
        if n_wrong and counts:
            top = max(counts.values())
            label = " / ".join(sorted(k for k, v in counts.items() if v == top))
            share = top / n_wrong
        else:
            label, share = None, np.nan
        rows.append({"question": qid, "most_common_wrong": label, "wrong_share": share,
                     "n_wrong": n_wrong, "n_answered": len(group)})
    return pd.DataFrame(rows, columns=["question", "most_common_wrong", "wrong_share", "n_wrong", "n_answered"])


# ============================================================================ statistics (pure)

def difficulty_label(p: float) -> str | None:
    """``hard`` below 0.3, ``easy`` above 0.9, ``moderate`` between; None for NaN."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return None
    return "hard" if p < HARD_BELOW else "easy" if p > EASY_ABOVE else "moderate"


def discrimination_label(d: float) -> str | None:
    """Ebel's bands for the upper-lower index: good ≥ 0.4, fair ≥ 0.3, marginal ≥ 0.2, poor, negative."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return None
    if d < 0:
        return "negative"
    return "good" if d >= 0.4 else "fair" if d >= 0.3 else "marginal" if d >= POOR_BELOW else "poor"


def group_weights(total: pd.Series, fraction: float = GROUP_FRACTION, upper: bool = True) -> pd.Series:
    """Weights (0..1, summing to the group size) of the top (or bottom) ``fraction`` of learners by
    ``total``. Group size: ``round(fraction * n)``, at least 1. Learners tied at the boundary share the
    remaining places equally, so the result does not depend on row order."""
    total = total.astype(float)
    n = len(total)
    size = max(1, int(round(fraction * n)))
    ordered = total.sort_values(ascending=not upper)
    boundary = ordered.iloc[size - 1]
    beyond = (total > boundary) if upper else (total < boundary)
    at = total == boundary
    weights = pd.Series(0.0, index=total.index)
    weights[beyond] = 1.0
    left = size - int(beyond.sum())
    weights[at] = left / int(at.sum())
    return weights


def upper_lower_index(item: pd.Series, total: pd.Series, fraction: float = GROUP_FRACTION) -> float:
    """Mean of ``item`` (0..1) in the top ``fraction`` by ``total`` minus the mean in the bottom one.
    NaN when there are fewer than 2 learners or the totals have no spread."""
    item, total = item.astype(float), total.astype(float).reindex(item.index)
    if len(item) < 2 or total.nunique() < 2:
        return float("nan")
    up = group_weights(total, fraction, upper=True)
    low = group_weights(total, fraction, upper=False)
    return float((item * up).sum() / up.sum() - (item * low).sum() / low.sum())


def item_rest_correlation(item: pd.Series, rest: pd.Series) -> float:
    """Pearson correlation of the item fraction with the rest score (NaN without spread in either)."""
    item, rest = item.astype(float), rest.astype(float).reindex(item.index)
    if len(item) < 2 or item.std(ddof=0) == 0 or rest.std(ddof=0) == 0:
        return float("nan")
    return float(np.corrcoef(item.to_numpy(), rest.to_numpy())[0, 1])


def analyse(scores: pd.DataFrame, answers: pd.DataFrame | None = None, keys: dict | None = None,
            links: dict[str, str] | None = None, order: list[str] | None = None,
            fraction: float = GROUP_FRACTION) -> pd.DataFrame:
    """The item-analysis table.

    ``scores``: ``item_scores``' frame (``student, item, score, max_score`` required; ``kind``,
    ``notebook`` used when present; NaN score = not graded yet). ``answers``: ``widget_answers``' frame.
    ``keys``: ``{question: key}``. ``links``: ``{grade cell item: question}`` (``widget_links``).
    ``order``: preferred item order (grade ids). ``fraction``: the upper/lower group share.

    One row per item with the columns of :data:`COLUMNS` (see the module docstring for definitions);
    ``table.attrs`` holds ``students``, ``total_items`` and ``total_max``.
    """
    keys = dict(keys or {})
    links = dict(links or {})
    scores = scores.copy()
    if "kind" not in scores:
        scores["kind"] = "auto"
    if "notebook" not in scores:
        scores["notebook"] = ""
    if answers is None:
        answers = pd.DataFrame(columns=["student", "question", "answer", "kind"])
    gradebook_items = list(dict.fromkeys(scores["item"]))
    students = sorted(set(scores["student"]))
    notes: dict[str, list[str]] = {}

    # Widget questions that no grade cell grades: scored here against their keys (gradebook learners only).
    linked = {links.get(i) or links.get(i.split(":")[-1]) for i in gradebook_items} - {None}
    extra_rows, unscored = [], []
    for qid, group in (answers.groupby("question", sort=True) if not answers.empty else []):
        if qid in linked:
            continue
        if qid not in keys:
            unscored.append(qid)
            notes[qid] = ["no answer key found: pass one with --keys"]
            continue
        for student, kind, answer in zip(group["student"], group["kind"], group["answer"]):
            if student in students:
                extra_rows.append({"student": student, "item": qid, "max_score": 1.0, "notebook": "",
                                   "kind": "widget", "score": answer_score(kind, answer, keys[qid])})
    if extra_rows:
        scores = pd.concat([scores, pd.DataFrame(extra_rows)], ignore_index=True)

    items = list(dict.fromkeys([*scores["item"], *unscored]))
    if order:
        rank = {name: i for i, name in enumerate(order)}
        position = {it: i for i, it in enumerate(items)}
        items.sort(key=lambda it: (rank.get(it.split(":")[-1], len(rank)), position[it]))

    raw = scores.pivot_table(index="student", columns="item", values="score", aggfunc="first", dropna=False)
    raw = raw.reindex(index=students, columns=[i for i in items if i not in unscored])
    maxes = scores.drop_duplicates("item").set_index("item")["max_score"].astype(float)
    matrix = raw / maxes.reindex(raw.columns).replace(0, np.nan)
    # Learners are ranked by the gradebook items that are scored for every one of them.
    in_total = [it for it in items if it in gradebook_items and raw[it].notna().all()]
    total = raw[in_total].sum(axis=1) if in_total else pd.Series(np.nan, index=raw.index)
    wrong = wrong_answers(answers, keys).set_index("question")
    meta = scores.drop_duplicates("item").set_index("item")

    rows = []
    for item in items:
        m = meta.loc[item] if item in meta.index else None
        kind = m["kind"] if m is not None else "widget"
        question = links.get(item) or links.get(item.split(":")[-1]) or (item if kind == "widget" else None)
        if question and kind == "auto":
            kind = "widget"
        max_score = float(m["max_score"]) if m is not None else 1.0
        col = matrix[item].dropna() if item in matrix.columns else pd.Series(dtype=float)
        n = len(col)
        item_notes = notes.setdefault(item, [])
        mean = float(col.mean()) if n else float("nan")
        d = r = float("nan")
        if n == 0:
            if item not in unscored:
                item_notes.append("not graded yet")
        else:
            if n < len(students):
                item_notes.append(f"graded for {n} of {len(students)}: left out of the total")
            t = total.reindex(col.index)
            rest = t - raw.loc[col.index, item] if item in in_total else t
            if n < MIN_STUDENTS:
                item_notes.append(f"only {n} learners: discrimination not computed")
            elif col.nunique() < 2:
                item_notes.append(f"everyone earned {col.iloc[0]:.0%} of it: no spread, discrimination undefined")
            elif t.nunique() < 2:
                item_notes.append("total scores have no spread: discrimination undefined")
            else:
                d = upper_lower_index(col, t, fraction)
                r = item_rest_correlation(col, rest)
                if math.isnan(r):
                    item_notes.append("rest scores have no spread: item-rest correlation undefined")
        mcw, share = None, float("nan")
        if question:
            if question not in keys:
                if item not in unscored:
                    item_notes.append("no answer key found: pass one with --keys")
            elif question in wrong.index:
                mcw = wrong.at[question, "most_common_wrong"]
                share = float(wrong.at[question, "wrong_share"])
                if item != question and n:
                    bad = _key_disagreements(answers, question, keys[question], matrix[item])
                    if bad:
                        item_notes.append(f"the key disagrees with nbgrader's score for {bad} learner(s)")
        rows.append({"item": item, "kind": kind, "max_score": max_score, "mean_fraction": mean,
                     "difficulty_label": difficulty_label(mean), "upper_lower": d, "point_biserial": r,
                     "most_common_wrong": mcw, "n": n, "discrimination_label": discrimination_label(d),
                     "wrong_share": share, "question": question,
                     "notebook": (m["notebook"] if m is not None else "") or "",
                     "in_total": item in in_total, "note": "; ".join(item_notes)})
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.attrs["students"] = len(students)
    table.attrs["total_items"] = in_total
    table.attrs["total_max"] = float(maxes.reindex(in_total).sum()) if in_total else 0.0
    return table


def _key_disagreements(answers: pd.DataFrame, question: str, key, nbgrader_fraction: pd.Series) -> int:
    sub = answers[answers["question"] == question]
    bad = 0
    for student, kind, answer in zip(sub["student"], sub["kind"], sub["answer"]):
        theirs = nbgrader_fraction.get(student)
        if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
            continue
        if abs(answer_score(kind, answer, key) - float(theirs)) > 1e-9:
            bad += 1
    return bad


# ============================================================================ the whole run

@dataclass
class Analysis:
    """Everything one run produced: the table and what it was computed from."""
    assignment: str
    table: pd.DataFrame
    scores: pd.DataFrame
    answers: pd.DataFrame
    wrong: pd.DataFrame
    key_sources: dict[str, str] = field(default_factory=dict)   # question -> where its key came from
    problems: list[str] = field(default_factory=list)


def run_analysis(course_dir, assignment: str, keys=None, db=None) -> Analysis:
    """Read the gradebook and the responses files of ``course_dir`` and analyse ``assignment``.

    ``keys``: a mapping or a path to a JSON/YAML key file (overrides keys found in hidden tests);
    ``db``: the gradebook (default ``<course_dir>/gradebook.db``)."""
    course_dir = Path(course_dir)
    db = Path(db) if db is not None else course_dir / "gradebook.db"
    scores = item_scores(db, assignment)
    if scores.empty:
        raise LookupError(f"no graded submissions of {assignment!r} in {db} (run autograde first)")
    sources = grade_cell_sources(db, assignment, course_dir)
    links = widget_links(sources)
    found = keys_from_sources(sources)
    given = load_keys(keys) if isinstance(keys, (str, Path)) else dict(keys or {})
    all_keys = {**found, **given}
    key_sources = {q: "hidden tests" for q in found}
    key_sources.update({q: "key file" for q in given})
    answers = widget_answers(course_dir, assignment)
    table = analyse(scores, answers, all_keys, links, notebook_order(course_dir, assignment))
    wrong = wrong_answers(answers, all_keys)
    return Analysis(assignment, table, scores, answers, wrong, key_sources,
                    list(answers.attrs.get("problems", [])))


# ============================================================================ report and plot

def _fmt(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def report(result: Analysis | pd.DataFrame, assignment: str | None = None) -> str:
    """A short plain-text report: hard, easy and poorly discriminating items, and what was left out."""
    table = result.table if isinstance(result, Analysis) else result
    aid = result.assignment if isinstance(result, Analysis) else (assignment or "")
    scored = table[table["n"] > 0]
    total_items = table.attrs.get("total_items", [])
    lines = [f"Item analysis of {aid}: {table.attrs.get('students', '?')} learners, {len(table)} items "
             f"({int((table['kind'] == 'widget').sum())} widget questions).",
             f"Learners are ranked by their total over {len(total_items)} items scored for everyone "
             f"(out of {table.attrs.get('total_max', 0):g} points)."]

    def listing(title, rows, fmt):
        lines.append(f"{title}: " + (", ".join(fmt(r) for _, r in rows.iterrows()) if len(rows) else "none"))

    listing(f"Hard items (mean < {HARD_BELOW})", scored[scored["mean_fraction"] < HARD_BELOW],
            lambda r: f"{r['item']} ({_fmt(r['mean_fraction'])})")
    listing(f"Easy items (mean > {EASY_ABOVE})", scored[scored["mean_fraction"] > EASY_ABOVE],
            lambda r: f"{r['item']} ({_fmt(r['mean_fraction'])})")
    poor = scored[(scored["upper_lower"] < POOR_BELOW) | (scored["point_biserial"] < 0)]
    listing(f"Poor discriminators (D < {POOR_BELOW} or negative)", poor,
            lambda r: f"{r['item']} (D {_fmt(r['upper_lower'])}, r {_fmt(r['point_biserial'])}"
                      + (", NEGATIVE: check the key and the wording" if r["upper_lower"] < 0 else "")
                      + ")")
    undefined = scored[scored["upper_lower"].isna()]
    if len(undefined):
        listing("No discrimination value", undefined, lambda r: f"{r['item']} ({r['note']})")
    waiting = table[table["n"] == 0]
    if len(waiting):
        listing("Not analysed", waiting, lambda r: f"{r['item']} ({r['note']})")
    partial = table[(table["n"] > 0) & ~table["in_total"] & (table["kind"] != "widget")]
    if len(partial):
        listing("Left out of the total (not graded for everyone)", partial, lambda r: f"{r['item']} (n={r['n']})")
    widgets = table[table["most_common_wrong"].notna()]
    if len(widgets):
        listing("Most common wrong answers", widgets,
                lambda r: f"{r['question']}: {r['most_common_wrong']} ({r['wrong_share']:.0%} of wrong answers)")
    return "\n".join(lines)


_MARKERS = {"auto": ("o", "0.85", ""), "widget": ("s", "0.55", "///"), "manual": ("^", "white", "...")}
_KIND_NAMES = {"auto": "autograded code", "widget": "widget question", "manual": "manually graded"}


def plot(table: pd.DataFrame, path=None, title: str | None = None):
    """Difficulty against discrimination (labelled scatter) and a bar chart of difficulty.

    Kinds differ by marker shape and bar hatching, and thresholds are drawn as labelled lines, so the
    figure reads the same in greyscale. Returns the matplotlib Figure; saves it when ``path`` is given."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from matplotlib.lines import Line2D

    data = table[table["n"] > 0].copy()
    height = max(4.8, 0.38 * len(data) + 2.4)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, height), gridspec_kw={"width_ratios": [1.15, 1]})

    # -- scatter: difficulty (x) vs discrimination (y)
    ax1.axvspan(-0.02, HARD_BELOW, color="0.93", zorder=0)
    ax1.axvspan(EASY_ABOVE, 1.02, color="0.93", zorder=0)
    ax1.axvline(HARD_BELOW, ls="--", lw=1, color="0.3")
    ax1.axvline(EASY_ABOVE, ls="--", lw=1, color="0.3")
    ax1.axhline(POOR_BELOW, ls=":", lw=1.4, color="0.2")
    ax1.axhline(0, ls="-", lw=0.8, color="0.5")
    shown = data[data["upper_lower"].notna()]
    handles = []
    for kind, (marker, face, _hatch) in _MARKERS.items():
        sub = shown[shown["kind"] == kind]
        if len(sub):
            handles.append(ax1.scatter(sub["mean_fraction"], sub["upper_lower"], marker=marker, s=70,
                                       facecolor=face, edgecolor="black", linewidth=1, label=_KIND_NAMES[kind],
                                       zorder=3))
    for i, (_, row) in enumerate(shown.iterrows()):
        left = row["mean_fraction"] > 0.75  # labels of easy items go to the left of the point
        ax1.annotate(row["item"], (row["mean_fraction"], row["upper_lower"]),
                     xytext=(-7 if left else 7, 6 if i % 2 else -12), textcoords="offset points",
                     ha="right" if left else "left", fontsize=8, zorder=4)
    ax1.set_xlim(-0.02, 1.02)
    low = min(-0.1, float(shown["upper_lower"].min()) - 0.08) if len(shown) else -0.1
    ax1.set_ylim(low, 1.08)
    ax1.set_xlabel("difficulty: mean fraction of points earned (higher = easier)")
    ax1.set_ylabel("discrimination: upper − lower 27% (D)")
    ax1.text(HARD_BELOW / 2, 1.06, "hard", ha="center", va="top", fontsize=9, style="italic")
    ax1.text((EASY_ABOVE + 1.02) / 2, 1.06, "easy", ha="center", va="top", fontsize=9, style="italic")
    hidden = list(data.loc[data["upper_lower"].isna(), "item"])
    ax1.set_title("Difficulty vs discrimination"
                  + (f"\nnot shown (no D): {', '.join(hidden)}" if hidden else ""), fontsize=10)
    handles += [Line2D([], [], ls=":", lw=1.4, color="0.2", label=f"D = {POOR_BELOW}: poor below"),
                Line2D([], [], ls="--", lw=1, color="0.3", label=f"difficulty {HARD_BELOW} / {EASY_ABOVE}")]
    ax1.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8,
               frameon=False)

    # -- bars: difficulty per item, in the table's order (top to bottom)
    labels = list(data["item"])[::-1]
    values = list(data["mean_fraction"])[::-1]
    kinds = list(data["kind"])[::-1]
    for y, (value, kind) in enumerate(zip(values, kinds)):
        _m, face, hatch = _MARKERS.get(kind, _MARKERS["auto"])
        ax2.barh(y, value, color=face, edgecolor="black", hatch=hatch, linewidth=1)
        ax2.text(value + 0.01, y, f"{value:.2f}", va="center", fontsize=8,
                 bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax2.set_yticks(range(len(labels)), labels, fontsize=8)
    ax2.axvline(HARD_BELOW, ls="--", lw=1, color="0.3")
    ax2.axvline(EASY_ABOVE, ls="--", lw=1, color="0.3")
    ax2.set_xlim(0, 1.12)
    ax2.set_xlabel("mean fraction of points earned")
    ax2.set_title(f"Difficulty per item (dashed: {HARD_BELOW} hard, {EASY_ABOVE} easy)", fontsize=10)
    present = [k for k in _MARKERS if k in set(kinds)]
    ax2.legend(handles=[Patch(facecolor=_MARKERS[k][1], edgecolor="black", hatch=_MARKERS[k][2],
                              label=_KIND_NAMES[k]) for k in present],
               loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


# ============================================================================ CLI

FORBIDDEN_DIRS = ("release", "source", "exercises", ".exchange", "feedback")


def check_output_path(path: Path, course_dir: Path) -> None:
    """Refuse to write results where learners could see them (or where nbgrader owns the files)."""
    path, course_dir = Path(path).resolve(), Path(course_dir).resolve()
    try:
        rel = path.relative_to(course_dir)
    except ValueError:
        return
    if rel.parts and rel.parts[0] in FORBIDDEN_DIRS:
        raise ValueError(f"refusing to write {path}: {rel.parts[0]}/ is shared with learners or owned by "
                         "nbgrader; write the analysis elsewhere")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m course_tools.item_analysis",
                                 description="Item analysis (difficulty, discrimination, common wrong answers) "
                                             "of an nbgrader assignment.")
    ap.add_argument("assignment")
    ap.add_argument("--course-dir", type=Path, default=Path.cwd(), help="the nbgrader course folder (default: .)")
    ap.add_argument("--db", type=Path, default=None, help="the gradebook (default: COURSE_DIR/gradebook.db)")
    ap.add_argument("--out", type=Path, default=None,
                    help="CSV to write (default: COURSE_DIR/item_analysis_<id>.csv)")
    ap.add_argument("--plot", type=Path, default=None,
                    help="figure to write (default: COURSE_DIR/item_analysis_<id>.png)")
    ap.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    ap.add_argument("--keys", type=Path, default=None,
                    help="JSON or YAML {question id: key} for widget questions (overrides keys in hidden tests)")
    args = ap.parse_args(argv)
    course = args.course_dir
    out = args.out or course / f"item_analysis_{args.assignment}.csv"
    fig_path = None if args.no_plot else (args.plot or course / f"item_analysis_{args.assignment}.png")
    try:
        for p in (out, fig_path):
            if p is not None:
                check_output_path(p, course)
        result = run_analysis(course, args.assignment, keys=args.keys, db=args.db)
    except (FileNotFoundError, LookupError, ValueError) as exc:
        print(f"item_analysis: {exc}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out, index=False, float_format="%.4f")
    print(report(result))
    for problem in result.problems:
        print(f"warning: skipped unreadable responses file {problem}")
    wrote = [str(out)]
    if fig_path is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig_path.parent.mkdir(parents=True, exist_ok=True)
        fig = plot(result.table, fig_path, title=f"Item analysis · {args.assignment}")
        plt.close(fig)
        wrote.append(str(fig_path))
    print("Wrote " + " and ".join(wrote))
    return 0


if __name__ == "__main__":
    sys.exit(main())
