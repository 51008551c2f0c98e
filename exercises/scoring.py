"""Scoring and feedback selection: pure functions, no widgets, no files.

Rules (documented for learners and instructors):

* **choice** — 1 if the picked option is correct, else 0.
* **many-choice** — partial credit: ``(right picks - wrong picks) / number of right options``,
  floored at 0. Picking every option therefore scores no more than picking none.
* **classify** — the share of items put in the right category.
* **scenario** — each step's rating earns points (best 1, acceptable 0.5, poor 0); a path scores
  the mean over its steps.

A score of 1 reads "✔ Correct", 0 reads "✘ Not quite", anything between "◐ Partly right":
text and an icon, never colour alone.
"""
from __future__ import annotations

import getpass
import hashlib
import os
import random
import re
from dataclasses import dataclass, field

ICONS = {"correct": "✔", "partial": "◐", "incorrect": "✘"}
VERDICTS = {"correct": "Correct", "partial": "Partly right", "incorrect": "Not quite"}
RATING_POINTS = {"best": 1.0, "acceptable": 0.5, "poor": 0.0}
RATING_LABELS = {"best": "✔ Best", "acceptable": "◐ Acceptable", "poor": "✘ Poor"}


def verdict(score: float) -> str:
    """'correct' for a full score, 'incorrect' for zero, 'partial' between."""
    if score >= 1 - 1e-9:
        return "correct"
    if score <= 1e-9:
        return "incorrect"
    return "partial"


def verdict_text(score: float) -> str:
    """Icon and words for a score, e.g. '◐ Partly right'."""
    v = verdict(score)
    return f"{ICONS[v]} {VERDICTS[v]}"


@dataclass
class OptionFeedback:
    """Feedback on one option (or classify item) after checking."""

    key: str
    text: str
    picked: bool
    correct: bool
    feedback: str = ""
    given: str | None = None      # classify: the category the learner chose
    expected: str | None = None   # classify: the right category

    @property
    def icon(self) -> str:
        if self.picked or self.given is not None:
            return ICONS["correct"] if self.correct else ICONS["incorrect"]
        return ICONS["partial"]


@dataclass
class Result:
    """The outcome of checking an answer."""

    score: float
    items: list = field(default_factory=list)   # OptionFeedback, in display order
    right_keys: list = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return verdict(self.score)

    @property
    def verdict_text(self) -> str:
        return verdict_text(self.score)


def _opts(options):
    return [dict(o) for o in options]


def score_choice(options, picked) -> Result:
    """One answer: 1 if *picked* is a correct key, else 0. Feedback for the pick, then the right one(s)."""
    opts = _opts(options)
    right = [o["key"] for o in opts if o.get("correct")]
    items = []
    for o in opts:
        is_pick = o["key"] == picked
        if is_pick or o.get("correct"):
            items.append(OptionFeedback(o["key"], o["text"], is_pick, bool(o.get("correct")), o.get("feedback", "")))
    items.sort(key=lambda f: not f.picked)  # the learner's pick first
    score = 1.0 if picked in right else 0.0
    return Result(score, items, right)


def many_choice_score(options, picked) -> float:
    """(right picks − wrong picks) / number of right options, floored at 0."""
    picked = set(picked or ())
    right = {o["key"] for o in options if o.get("correct")}
    if not right:
        return 0.0
    good = len(picked & right)
    bad = len(picked - right)
    return max(0.0, (good - bad) / len(right))


def score_many_choice(options, picked) -> Result:
    """Several answers, partial credit. Feedback for every pick and every missed right option."""
    opts = _opts(options)
    picked = set(picked or ())
    right = [o["key"] for o in opts if o.get("correct")]
    items = []
    for o in opts:
        is_pick = o["key"] in picked
        if is_pick or o.get("correct"):
            items.append(OptionFeedback(o["key"], o["text"], is_pick, bool(o.get("correct")), o.get("feedback", "")))
    items.sort(key=lambda f: not f.picked)
    return Result(many_choice_score(opts, picked), items, right)


def score_classify(items, answers: dict) -> Result:
    """Share of items sorted into the right category, with feedback per item (in item order)."""
    answers = dict(answers or {})
    out = []
    for it in items:
        given = answers.get(it["key"])
        ok = given is not None and given == it.get("answer")
        out.append(OptionFeedback(it["key"], it["text"], given is not None, ok, it.get("feedback", ""),
                                  given=given, expected=it.get("answer")))
    score = (sum(f.correct for f in out) / len(out)) if out else 0.0
    return Result(score, out, [it.get("answer") for it in items])


# --------------------------------------------------------------------------- scenario

def scenario_score(ratings) -> float:
    """Mean points of the ratings along a path (best 1, acceptable 0.5, poor 0); 0 for no steps."""
    ratings = [r for r in ratings if r in RATING_POINTS]
    if not ratings:
        return 0.0
    return sum(RATING_POINTS[r] for r in ratings) / len(ratings)


class ScenarioWalk:
    """Where a learner is in a branching scenario: the steps taken and the current situation.

    ``choose(key)`` records a step and moves to the action's ``next`` situation (or ends);
    ``back()`` undoes the last step. Pure logic: no widgets, no files.
    """

    def __init__(self, scenario: dict):
        self.scenario = scenario
        self.situations = scenario["situations"]
        self.start = scenario["start"]
        self.steps: list[dict] = []
        self.ended = False

    @property
    def current(self) -> str:
        """The situation now shown (the last step's situation when the scenario ended)."""
        if not self.steps:
            return self.start
        last = self.steps[-1]
        return last["next"] if last.get("next") else last["situation"]

    def actions(self, situation: str | None = None) -> list[dict]:
        return self.situations[situation or self.current]["actions"]

    def action(self, situation: str, key: str) -> dict:
        for a in self.situations[situation]["actions"]:
            if a["key"] == key:
                return a
        raise KeyError(f"situation {situation!r} has no action {key!r}")

    def choose(self, key: str) -> dict:
        """Take action *key* in the current situation; return the step recorded."""
        if self.ended:
            raise RuntimeError("the scenario has ended: go back to try another path")
        sit = self.current
        act = self.action(sit, key)
        step = {"situation": sit, "action": key, "rating": act["rating"]}
        if act.get("next"):
            step["next"] = act["next"]
        self.steps.append(step)
        self.ended = not act.get("next")
        return step

    def back(self) -> dict | None:
        """Undo the last step; return it (None when at the start)."""
        if not self.steps:
            return None
        step = self.steps.pop()
        self.ended = False
        return step

    def replay(self, keys) -> None:
        """Redo a saved path of action keys; stop quietly at the first step the bank no longer has."""
        self.steps, self.ended = [], False
        for k in keys or ():
            try:
                self.choose(k)
            except (KeyError, RuntimeError):
                break

    @property
    def keys(self) -> list[str]:
        return [s["action"] for s in self.steps]

    @property
    def score(self) -> float:
        return scenario_score(s["rating"] for s in self.steps)


# --------------------------------------------------------------------------- learners & text

def learner_id() -> str:
    """Who is learning: ``$TECHLEAD_LEARNER``, else the login name, else 'learner'."""
    env = os.environ.get("TECHLEAD_LEARNER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser() or "learner"
    except Exception:  # pragma: no cover - no user database (some containers)
        return "learner"


def shuffle_seed(exercise_id: str, learner: str | None = None) -> int:
    """A seed fixed per (learner, exercise): the same learner always sees the same order."""
    learner = learner_id() if learner is None else learner
    digest = hashlib.sha256(f"{learner}\x00{exercise_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def shuffled(keys, exercise_id: str, learner: str | None = None) -> list:
    """*keys* in an order that is random-looking but deterministic per learner and exercise."""
    out = list(keys)
    random.Random(shuffle_seed(exercise_id, learner)).shuffle(out)
    return out


_WORD = re.compile(r"\S+")


def word_count(text: str) -> int:
    """Words in *text* (runs of non-space characters)."""
    return sum(1 for _ in _WORD.finditer(text or ""))


def ratings_change(sessions) -> dict:
    """Change per quality between the last two rating sessions (empty with fewer than two)."""
    if not sessions or len(sessions) < 2:
        return {}
    prev, last = sessions[-2]["ratings"], sessions[-1]["ratings"]
    return {k: last[k] - prev[k] for k in last if k in prev}


def summarize_scores(records: dict, kinds=("choice", "many-choice", "classify")) -> dict:
    """Knowledge-check summary over saved records: answered count and mean practice score."""
    scores, answered, graded = [], 0, 0
    for rec in records.values():
        if rec.get("kind") not in kinds:
            continue
        answered += 1
        if rec.get("graded"):
            graded += 1
        elif isinstance(rec.get("score"), (int, float)):
            scores.append(float(rec["score"]))
    mean = sum(scores) / len(scores) if scores else None
    return {"answered": answered, "graded": graded, "scored": len(scores), "mean": mean}
