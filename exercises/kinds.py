"""The one registry of exercise kinds.

Everything that differs between kinds is written here once: the widget class that shows it,
whether it is a knowledge check (counted by progress, the dashboard and spaced review), whether an
nbgrader assignment can autograde it with ``grade_answer``, and the plain type its recorded answer
has. Adding a kind means one entry here, one widget module, one scoring function (in
:mod:`exercises.scoring`, registered in ``scoring.SCORERS``) and its part of the bank schema.

Pure data and small functions: importing this module imports no widgets.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    module: str              # exercises.<module> defines the widget
    widget: str              # the widget class name
    knowledge_check: bool    # scored practice question (progress, dashboard, review)
    autograded: bool         # an assignment can grade it with grade_answer(...)
    answer_shape: str        # the plain shape of a recorded answer, for messages


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("choice", "choice", "Choice", True, True, "an option key (a string)"),
    Kind("many-choice", "choice", "ManyChoice", True, True, "a list of option keys"),
    Kind("classify", "classify", "Classify", True, True, "a dict of item key -> category key"),
    Kind("scenario", "scenario", "ScenarioQuestion", False, True, "a list of action keys (the path)"),
    Kind("reflection", "reflection", "Reflection", False, False, "text"),
    Kind("self-assessment", "self_assessment", "SelfAssessment", False, False,
         "a dict of quality key -> rating"),
)}

NAMES = tuple(KINDS)
KNOWLEDGE_CHECKS = tuple(k.name for k in KINDS.values() if k.knowledge_check)
AUTOGRADED = tuple(k.name for k in KINDS.values() if k.autograded)


class BadAnswer(ValueError):
    """A recorded answer does not have the plain type its kind expects (tampered or damaged)."""


def _is_key(x) -> bool:
    return type(x) is str and 0 < len(x) <= 200


def plain_answer(kind: str, answer):
    """The recorded *answer* in the canonical plain shape of *kind*, or :class:`BadAnswer`.

    Only exact built-in types pass (``type(x) is str``), so an object that pretends to be
    equal to everything is refused, whatever produced it:

    * choice: ``"b"``;
    * many-choice: the sorted list of distinct keys ``["a", "c"]``;
    * classify: ``{item_key: category_key}``;
    * scenario: the list of action keys along the path;
    * reflection: the text; self-assessment: ``{quality_key: number}``.
    """
    if kind not in KINDS:
        raise BadAnswer(f"unknown exercise kind {kind!r}")
    shape = KINDS[kind].answer_shape
    bad = BadAnswer(f"a {kind} answer must be {shape}, not {type(answer).__name__}")
    if kind == "choice":
        if not _is_key(answer):
            raise bad
        return answer
    if kind in ("many-choice", "scenario"):
        if type(answer) is not list or not all(_is_key(k) for k in answer) or len(answer) > 200:
            raise bad
        if kind == "many-choice":
            if len(set(answer)) != len(answer):
                raise BadAnswer("a many-choice answer lists an option twice")
            return sorted(answer)
        return list(answer)
    if kind == "classify":
        if type(answer) is not dict or len(answer) > 500 or not all(
                _is_key(k) and _is_key(v) for k, v in answer.items()):
            raise bad
        return dict(answer)
    if kind == "reflection":
        if type(answer) is not str:
            raise bad
        return answer
    # self-assessment
    if type(answer) is not dict or not all(
            _is_key(k) and type(v) in (int, float) for k, v in answer.items()):
        raise bad
    return dict(answer)
