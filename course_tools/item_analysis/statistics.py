"""The statistics of item analysis (pure): difficulty, discrimination, the item table."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .answers import answer_score, wrong_answers

HARD_BELOW = 0.3
EASY_ABOVE = 0.9
POOR_BELOW = 0.2
GROUP_FRACTION = 0.27
MIN_STUDENTS = 3
# Below this many learners the upper and lower 27% groups hold 5 learners or fewer, and one learner
# moves D by 0.2 or more (a whole Ebel band): discrimination is not computed and no item is labelled.
MIN_CLASS = 20

COLUMNS = ["item", "kind", "max_score", "mean_fraction", "difficulty_label", "upper_lower",
           "point_biserial", "most_common_wrong", "n", "discrimination_label", "wrong_share",
           "question", "notebook", "in_total", "note", "answers"]


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
            fraction: float = GROUP_FRACTION, min_class: int = MIN_CLASS) -> pd.DataFrame:
    """The item-analysis table.

    ``scores``: ``item_scores``' frame (``student, item, score, max_score`` required; ``kind``,
    ``notebook`` used when present; NaN score = not graded yet). ``answers``: ``widget_answers``' frame.
    ``keys``: ``{question: key}``. ``links``: ``{grade cell item: question}`` (``widget_links``).
    ``order``: preferred item order (grade ids). ``fraction``: the upper/lower group share.
    ``min_class``: below this many learners nothing is labelled and discrimination is not computed.

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
                                   "kind": "widget", "score": answer_score(kind, answer, keys[qid], qid)})
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
            if len(students) < min_class:
                pass  # said once for the whole table (attrs["small_class"]) and in the report
            elif n < MIN_STUDENTS:
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
        mcw, share, given = None, float("nan"), None
        if question:
            if question not in keys:
                if item not in unscored:
                    item_notes.append("no answer key found: pass one with --keys")
            elif question in wrong.index:
                mcw = wrong.at[question, "most_common_wrong"]
                share = float(wrong.at[question, "wrong_share"])
                given = wrong.at[question, "answers"]
                if item != question and n:
                    bad = _key_disagreements(answers, question, keys[question], matrix[item])
                    if bad:
                        item_notes.append(f"the key disagrees with nbgrader's score for {bad} learner(s)")
        small = len(students) < min_class
        rows.append({"item": item, "kind": kind, "max_score": max_score, "mean_fraction": mean,
                     "difficulty_label": None if small else difficulty_label(mean),
                     "upper_lower": d, "point_biserial": r, "most_common_wrong": mcw, "n": n,
                     "discrimination_label": None if small else discrimination_label(d),
                     "wrong_share": share, "question": question,
                     "notebook": (m["notebook"] if m is not None else "") or "",
                     "in_total": item in in_total, "note": "; ".join(item_notes), "answers": given})
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.attrs["students"] = len(students)
    table.attrs["small_class"] = len(students) < min_class
    table.attrs["min_class"] = min_class
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
        if abs(answer_score(kind, answer, key, question) - float(theirs)) > 1e-9:
            bad += 1
    return bad
