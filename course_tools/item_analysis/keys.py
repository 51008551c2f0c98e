"""Answer keys of widget questions, read from the grading contract (never written where learners see).

In order of precedence: a key file the instructor passes (``--keys``), the ``grade_answer`` calls of
the grade cells as nbgrader stored them in the gradebook (the instructor's version, hidden tests
included), then those in ``source/<assignment>/*.ipynb``. The one parser is
:mod:`course_tools.contract`; nothing is executed.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..contract import ContractError, grade_calls


def widget_links(sources: dict[str, str]) -> dict[str, str]:
    """``{grade cell: question id}`` for grade cells whose hidden region grades one widget question."""
    links = {}
    for item, src in sources.items():
        try:
            calls = grade_calls(src or "", f"grade cell {item!r}")
        except ContractError:
            continue
        if len(calls) == 1:
            links[item] = calls[0].exercise_id
    return links


def keys_from_sources(sources: dict[str, str]) -> dict[str, object]:
    """``{question id: key}`` from every grade cell's ``grade_answer`` call (the first one wins)."""
    keys: dict[str, object] = {}
    for item, src in sources.items():
        try:
            calls = grade_calls(src or "", f"grade cell {item!r}")
        except ContractError:
            continue
        for call in calls:
            keys.setdefault(call.exercise_id, call.key)
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
