"""Reading nbgrader's gradebook, read-only: scores per learner and item, and grade cells' sources."""
from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd


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
