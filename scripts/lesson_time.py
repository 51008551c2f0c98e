#!/usr/bin/env python
"""Estimate how long each lesson takes a typical learner, from its words and its exercises.

The formula (the course's one definition; tests/test_lesson_time.py holds every lesson to it):

    minutes = reading_words / 200  +  sum of the exercise allowances  +  2 x learner code cells

* **reading_words**: the words of the lesson's markdown cells (generated navigation cells excluded),
  plus, for every exercise the lesson shows with ``show("bank/id")``, the text the learner reads:
  prompts, titles, options, classify items and categories, reflection guidance, self-assessment
  qualities and, for scenarios, every situation and action on the longest path through the scenario
  (following ``next`` from ``start``). Feedback (an option's or item's ``feedback``, an action's ``why``
  and ``consequence``) counts at **half**, because a learner reads the feedback of what they chose and
  skims the rest. A word is a run of letters or digits (apostrophes and hyphens inside it allowed), so
  markdown punctuation and table pipes are not counted.
* **exercise allowances** (thinking and answering time on top of reading): choice 1 min,
  many-choice 1.5, classify 2, scenario 3, reflection 5, self-assessment 3.
* **learner code cells**: each code cell the learner runs or edits beyond the exercise kit's own
  one-line calls (``from exercises import ...``, ``show(...)``, ``show_progress()``, ``export_plan()``,
  any call of a name imported from ``exercises``) adds 2 minutes.

A lesson passes when its estimate is at most 25 minutes and its stated ``*About NN minutes*`` is within
25 per cent of the estimate.

    python scripts/lesson_time.py          # table of every lesson (pandas)
    python scripts/lesson_time.py --fail   # exit 1 if a lesson breaks either rule
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coursemap import NOTEBOOKS, ROOT, Lesson, load_course  # noqa: E402

WORDS_PER_MINUTE = 200
FEEDBACK_WEIGHT = 0.5
ALLOWANCE = {"choice": 1.0, "many-choice": 1.5, "classify": 2.0, "scenario": 3.0,
             "reflection": 5.0, "self-assessment": 3.0}
CODE_CELL_MINUTES = 2.0
MAX_MINUTES = 25
TOLERANCE = 0.25
WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")
STATED = re.compile(r"\*About (\d+) minutes\*")
BANKS = ROOT / "exercises" / "banks"


def words(text) -> int:
    return len(WORD.findall(text or ""))


@lru_cache(maxsize=None)
def bank_index() -> dict[str, dict]:
    """Every exercise of every bank by full id, read straight from the YAML."""
    index = {}
    for path in sorted(BANKS.glob("*.yaml")):
        bank = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in bank["exercises"]:
            index[f"{bank['bank']}/{entry['id']}"] = entry
    return index


def _scenario_words(entry: dict) -> tuple[int, float]:
    """(text words, feedback words) on the wordiest path from the start situation."""
    situations = entry["situations"]

    def situation_words(sid):
        s = situations[sid]
        text = words(s.get("text")) + sum(words(a.get("text")) for a in s["actions"])
        feedback = sum(words(a.get("why")) + words(a.get("consequence")) for a in s["actions"])
        return text, feedback

    @lru_cache(maxsize=None)
    def best(sid, seen=frozenset()):
        text, feedback = situation_words(sid)
        tails = [best(a["next"], seen | {sid}) for a in situations[sid]["actions"]
                 if a.get("next") and a["next"] not in seen and a["next"] != sid]
        tail = max(tails, key=lambda t: t[0] + FEEDBACK_WEIGHT * t[1], default=(0, 0))
        return text + tail[0], feedback + tail[1]

    return best(entry["start"])


def exercise_words(entry: dict) -> tuple[int, int]:
    """(words read in full, feedback words) for one exercise."""
    kind = entry["kind"]
    text = words(entry.get("title")) + words(entry.get("prompt"))
    feedback = 0
    if kind in ("choice", "many-choice"):
        text += sum(words(o["text"]) for o in entry["options"])
        feedback += sum(words(o.get("feedback")) for o in entry["options"])
    elif kind == "classify":
        text += sum(words(c["label"]) for c in entry["categories"])
        text += sum(words(i["text"]) for i in entry["items"])
        feedback += sum(words(i.get("feedback")) for i in entry["items"])
    elif kind == "scenario":
        t, f = _scenario_words(entry)
        text += t
        feedback += f
    elif kind == "reflection":
        text += words(entry.get("guidance"))
    elif kind == "self-assessment":
        text += sum(words(q.get("label")) + words(q.get("description")) for q in entry["qualities"])
    return text, feedback


def _exercise_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "exercises":
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _is_kit_call(stmt: ast.stmt, kit: set[str]) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        mods = [stmt.module or ""] if isinstance(stmt, ast.ImportFrom) else [a.name for a in stmt.names]
        return all(m.split(".")[0] == "exercises" for m in mods)
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id in kit)


@dataclass
class Estimate:
    lesson: str
    stated: int | None
    prose_words: int
    exercise_words: int
    feedback_words: int
    exercises: dict
    code_cells: int

    @property
    def reading_minutes(self) -> float:
        return (self.prose_words + self.exercise_words + FEEDBACK_WEIGHT * self.feedback_words) / WORDS_PER_MINUTE

    @property
    def exercise_minutes(self) -> float:
        return sum(ALLOWANCE[k] * n for k, n in self.exercises.items())

    @property
    def minutes(self) -> float:
        return self.reading_minutes + self.exercise_minutes + CODE_CELL_MINUTES * self.code_cells

    @property
    def problems(self) -> list[str]:
        out = []
        if self.minutes > MAX_MINUTES:
            out.append(f"estimated {self.minutes:.1f} min, over the {MAX_MINUTES}-minute limit")
        if self.stated is None:
            out.append("no '*About NN minutes*' line")
        elif abs(self.stated - self.minutes) > TOLERANCE * self.minutes:
            out.append(f"states {self.stated} min but is estimated at {self.minutes:.1f} "
                       f"(more than {TOLERANCE:.0%} off)")
        return out


def estimate(path: Path) -> Estimate:
    """The estimate for one notebook."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "navigation" not in c.metadata.get("tags", [])]
    prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    stated = STATED.search(prose)
    kit: set[str] = set()
    ex_words = fb_words = code_cells = 0
    kinds: dict[str, int] = {}
    index = bank_index()
    for cell in cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        tree = ast.parse(cell.source)
        kit |= _exercise_names(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "show" and node.args
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in index):
                entry = index[node.args[0].value]
                t, f = exercise_words(entry)
                ex_words += t
                fb_words += f
                kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
        if not all(_is_kit_call(stmt, kit) for stmt in tree.body):
            code_cells += 1
    return Estimate(path.stem, int(stated.group(1)) if stated else None, words(prose), ex_words,
                    fb_words, kinds, code_cells)


def lessons() -> list[Lesson]:
    return load_course()["lesson_list"]


def course_estimates() -> list[tuple[Lesson, Estimate]]:
    return [(lesson, estimate(NOTEBOOKS / lesson.file)) for lesson in lessons()
            if (NOTEBOOKS / lesson.file).exists()]


def table(rows: list[tuple[Lesson, Estimate]]):
    import pandas as pd

    return pd.DataFrame([{
        "lesson": lesson.number,
        "file": est.lesson,
        "stated": est.stated,
        "words": est.prose_words + est.exercise_words,
        "feedback words": est.feedback_words,
        "exercises": sum(est.exercises.values()),
        "code cells": est.code_cells,
        "reading min": round(est.reading_minutes, 1),
        "exercise min": round(est.exercise_minutes + CODE_CELL_MINUTES * est.code_cells, 1),
        "estimate": round(est.minutes, 1),
        "ok": "yes" if not est.problems else "NO: " + "; ".join(est.problems),
    } for lesson, est in rows])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fail", action="store_true", help="exit 1 if any lesson breaks a rule")
    args = ap.parse_args(argv)
    rows = course_estimates()
    df = table(rows)
    import pandas as pd

    with pd.option_context("display.max_colwidth", 90, "display.width", 200):
        print(df.to_string(index=False))
    total = sum(est.minutes for _, est in rows)
    print(f"\nCourse: about {total:.0f} minutes estimated, {sum(le.minutes for le, _ in rows)} stated.")
    return 1 if args.fail and any(est.problems for _, est in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
