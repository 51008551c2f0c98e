"""One whole run: read the gradebook and the responses files, analyse, return everything."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .answers import widget_answers, wrong_answers
from .gradebook import grade_cell_sources, item_scores, notebook_order
from .keys import keys_from_sources, load_keys, widget_links
from .statistics import analyse


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


def run_analysis(course_dir, assignment: str, keys=None, db=None, min_class: int | None = None) -> Analysis:
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
    extra = {} if min_class is None else {"min_class": min_class}
    table = analyse(scores, answers, all_keys, links, notebook_order(course_dir, assignment), **extra)
    wrong = wrong_answers(answers, all_keys)
    return Analysis(assignment, table, scores, answers, wrong, key_sources,
                    list(answers.attrs.get("problems", [])))


