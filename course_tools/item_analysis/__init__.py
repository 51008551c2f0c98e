"""Item analysis of an nbgrader assignment: which questions were hard, and which told learners apart.

    python -m course_tools.item_analysis ASSIGNMENT [--course-dir .] [--out FILE.csv] [--plot FILE.png]
    make item-analysis ASSIGNMENT=a2-team-vs-tech

What it computes, from what, and how to read it: ``docs/item-analysis.md``. The modules, by concern:
``gradebook`` (read-only reads of nbgrader's gradebook), ``keys`` (widget keys from the grading
contract), ``answers`` (recorded widget answers, scored by the course's one rule per kind),
``statistics`` (difficulty, discrimination, the table), ``report``, ``plot`` and ``cli``.
"""
from __future__ import annotations

from .answers import RESPONSES_FILE, answer_score, widget_answers, wrong_answers
from .gradebook import grade_cell_sources, item_scores, notebook_order
from .keys import keys_from_sources, load_keys, widget_links
from .plot import plot
from .report import report
from .run import Analysis, run_analysis
from .statistics import (
    COLUMNS, EASY_ABOVE, GROUP_FRACTION, HARD_BELOW, MIN_CLASS, MIN_STUDENTS, POOR_BELOW, analyse,
    difficulty_label, discrimination_label, group_weights, item_rest_correlation, upper_lower_index,
)
from .cli import check_output_path, main  # noqa: E402  (cli imports the names above)

__all__ = [
    "Analysis", "COLUMNS", "EASY_ABOVE", "GROUP_FRACTION", "HARD_BELOW", "MIN_CLASS", "MIN_STUDENTS",
    "POOR_BELOW", "RESPONSES_FILE", "analyse", "answer_score", "check_output_path", "difficulty_label",
    "discrimination_label", "grade_cell_sources", "group_weights", "item_rest_correlation", "item_scores",
    "keys_from_sources", "load_keys", "main", "notebook_order", "plot", "report", "run_analysis",
    "upper_lower_index", "widget_answers", "widget_links", "wrong_answers",
]
