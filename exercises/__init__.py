"""Interactive exercises for the technical-leadership course.

In a lesson notebook::

    from exercises import show
    show("team-vs-tech/check-1")              # practice mode: immediate feedback
    show("a2-team-vs-tech/q1", graded=True)   # graded mode: records the answer, reveals nothing

    from exercises import show_progress, export_plan
    show_progress()                           # this lesson's progress and the whole course's
    export_plan()                             # writes my_development_plan.md / .html, shows links
    recall("intro/why-you-are-here")          # shows what the learner wrote earlier, read-only

Answers are saved to ``responses.json`` in the notebook's folder (see :mod:`exercises.store`).
Widget classes (``Choice``, ``ManyChoice``, ``Classify``, ``ScenarioQuestion``, ``Reflection``,
``SelfAssessment``, ``Progress``) each have a ``from_bank(id)`` constructor.

Importing this package is cheap: ipywidgets, yaml and jsonschema are imported only when first
needed. The kit never imports pandas or matplotlib (its charts are SVG written in plain Python,
:mod:`exercises.charts`), so every widget works in JupyterLite offline.
"""
from __future__ import annotations

import importlib

__all__ = [
    "show", "show_progress", "export_plan", "show_dashboard", "show_review", "recall", "start_lesson",
    "Choice", "ManyChoice", "Classify", "ScenarioQuestion", "Reflection", "SelfAssessment", "Progress",
    "BankError", "UnknownExercise", "add_bank_folder",
]

# class name -> module that defines it (imported on first use)
_LAZY = {
    "Choice": "choice",
    "ManyChoice": "choice",
    "Classify": "classify",
    "ScenarioQuestion": "scenario",
    "Reflection": "reflection",
    "SelfAssessment": "self_assessment",
    "Progress": "progress",
    "BankError": "banks",
    "UnknownExercise": "banks",
    "add_bank_folder": "banks",
    "export_plan": "export",
    "show_progress": "progress",
    "show_dashboard": "dashboard",
    "show_review": "review_session",
    "recall": "recall",
    "start_lesson": "lesson",
}

def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


def widget_class(kind: str):
    """The widget class for an exercise kind (``"choice"`` → :class:`Choice`, …)."""
    from .kinds import KINDS

    spec = KINDS[kind]
    return getattr(importlib.import_module(f".{spec.module}", __name__), spec.widget)


def show(exercise_id: str, graded: bool = False, *, path=None):
    """The widget for exercise ``"<bank>/<id>"``; make it the cell's last expression to display it.

    ``graded=True`` (or ``graded: true`` in the bank) records the answer without feedback.
    ``path`` overrides where responses are saved (default: ``responses.json`` in the working folder).
    """
    from .banks import get_exercise
    from .store import ResponseStore

    entry = get_exercise(exercise_id)
    cls = widget_class(entry["kind"])
    return cls(entry, graded=bool(graded or entry.get("graded")), store=ResponseStore(path))
