"""The plain-text report of an item analysis."""
from __future__ import annotations

import math

import pandas as pd

from .run import Analysis
from .statistics import EASY_ABOVE, HARD_BELOW, MIN_CLASS, POOR_BELOW


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
    if table.attrs.get("small_class"):
        n = table.attrs.get("students", 0)
        lines.append(f"WARNING: only {n} learners (fewer than {table.attrs.get('min_class', MIN_CLASS)}). With so few, one learner moves an "
                     "item's discrimination by a whole band, so it is not computed and no item is labelled "
                     "hard, easy, good or poor. Shown instead: each item's mean fraction of points and, for "
                     "widget questions, every answer given.")
        lines.append("Mean fraction per item: " + ", ".join(
            f"{r['item']} {_fmt(r['mean_fraction'])}" for _, r in table[table["n"] > 0].iterrows()))
        answered = table[table["answers"].notna()]
        if len(answered):
            lines.append("Answers given: " + "; ".join(f"{r['question']} [{r['answers']}]"
                                                          for _, r in answered.iterrows()))
        return "\n".join(lines)

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
