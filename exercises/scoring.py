"""Scoring and feedback selection: pure functions, no widgets, no files.

One rule per exercise kind, shared by the lessons (practice feedback), the nbgrader assignments
(``grade_answer`` in a grade cell, scored by ``course_tools.widget_grading``) and item analysis.
Every rule gives a *fraction* of the question's points, from 0 to 1 (an assignment multiplies it
by the grade cell's own points):

* **choice**: 1 if the picked option is the key, else 0.
* **many-choice**: *informedness*: (share of the right options picked) minus (share of the wrong
  options picked), floored at 0. Picking every option, or none, scores 0; so does any pattern a
  learner could choose without reading (its expected score is no better than a random pick).
* **classify**: the many-choice rule for each category of the key ("which items belong here?"),
  averaged over the key's categories. Putting every item in one category scores 0.
* **scenario**: each step's rating earns points (best 1, acceptable 0.5, poor 0); a path scores
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

from .kinds import KNOWLEDGE_CHECKS, BadAnswer, plain_answer

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


class BadKey(ValueError):
    """An instructor's key does not fit the question (an unknown option, item or category)."""


def choice_fraction(answer, key) -> float:
    """1.0 if *answer* is the key, else 0.0."""
    return 1.0 if answer == key else 0.0


def informedness(picked, right, universe) -> float:
    """(share of *right* in *picked*) − (share of the others in *picked*), floored at 0.

    *universe* is every option; *right* ⊆ *universe*. With no wrong options at all, only the
    first share counts.
    """
    picked, right, universe = set(picked or ()), set(right), set(universe)
    wrong = universe - right
    hit = len(picked & right) / len(right) if right else 0.0
    false_alarm = len(picked & wrong) / len(wrong) if wrong else 0.0
    return max(0.0, hit - false_alarm)


def many_choice_fraction(answer, key, option_keys) -> float:
    """The many-choice rule: informedness of the ticked keys against the key's keys."""
    return informedness(answer, key, option_keys)


def classify_fraction(answer, key) -> float:
    """The classify rule: informedness per category of the key, averaged over those categories."""
    answer = dict(answer or {})
    items = set(key)
    categories = sorted(set(key.values()))
    if not categories:
        return 0.0
    total = 0.0
    for cat in categories:
        right = {i for i in items if key[i] == cat}
        picked = {i for i in items if answer.get(i) == cat}
        total += informedness(picked, right, items)
    return total / len(categories)


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
    """The many-choice fraction for practice options (those with ``correct: true`` are the key)."""
    return many_choice_fraction(picked, [o["key"] for o in options if o.get("correct")],
                                [o["key"] for o in options])


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
    """The classify rule, with feedback per item (in item order)."""
    answers = dict(answers or {})
    out = []
    for it in items:
        given = answers.get(it["key"])
        ok = given is not None and given == it.get("answer")
        out.append(OptionFeedback(it["key"], it["text"], given is not None, ok, it.get("feedback", ""),
                                  given=given, expected=it.get("answer")))
    key = {it["key"]: it.get("answer") for it in items}
    score = classify_fraction(answers, key) if out else 0.0
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
        step = {"situation": sit, "action": key, "rating": act.get("rating")}
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


def scenario_path_ratings(scenario: dict, path, ratings: dict | None = None) -> list[str]:
    """The rating of each step along *path* (action keys), following the bank's ``next`` links.

    *ratings* is a graded key ``{situation: {action: rating}}``; without it the bank's own
    ratings are used (practice). :class:`BadAnswer` if the path leaves the scenario.
    """
    situations = scenario["situations"]
    current, out = scenario["start"], []
    for n, key in enumerate(path):
        if current is None:
            raise BadAnswer(f"the path goes on after the scenario ended (step {n + 1})")
        action = next((a for a in situations[current]["actions"] if a["key"] == key), None)
        if action is None:
            raise BadAnswer(f"step {n + 1}: situation {current!r} has no action {key!r}")
        if ratings is None:
            rating = action.get("rating")
        else:
            rating = ratings.get(current, {}).get(key)
            if rating is None:
                raise BadKey(f"the key rates no action {key!r} in situation {current!r}")
        out.append(rating)
        current = action.get("next")
    return out


def scenario_fraction(path, key, scenario) -> float:
    """The scenario rule for a graded key: mean points of the ratings along the learner's path."""
    return scenario_score(scenario_path_ratings(scenario, path, key))


def check_key(kind: str, key, entry: dict):
    """The instructor's *key* in its plain shape, checked against the bank *entry*; else :class:`BadKey`."""
    try:
        if kind == "scenario":
            if type(key) is not dict:
                raise BadAnswer("a scenario key is {situation: {action: rating}}")
            unrated = sorted(set(entry["situations"]) - set(key))
            if unrated:  # a learner who reaches an unrated situation could not be scored fairly
                raise BadAnswer(f"the key rates no action in situation(s) {unrated}")
            for sit, acts in key.items():
                known = {a["key"] for a in entry["situations"].get(sit, {}).get("actions", [])}
                if sit not in entry["situations"] or type(acts) is not dict or known != set(acts) \
                        or any(r not in RATING_POINTS for r in acts.values()):
                    raise BadAnswer(f"situation {sit!r}: every action of {sorted(known)} rated "
                                    "best/acceptable/poor")
            return key
        key = plain_answer(kind, key)
    except BadAnswer as exc:
        raise BadKey(f"{entry.get('id', '?')}: {exc}") from None
    if kind in ("choice", "many-choice"):
        known = {o["key"] for o in entry["options"]}
        unknown = set([key] if kind == "choice" else key) - known
    elif kind == "classify":
        cats = {c["key"] for c in entry["categories"]}
        items = {i["key"] for i in entry["items"]}
        unknown = (set(key) ^ items) | (set(key.values()) - cats)
    else:
        raise BadKey(f"{kind} answers are not autograded")
    if unknown:
        raise BadKey(f"{entry.get('id', '?')}: the key names {sorted(unknown)}, which the question "
                     "does not have (or leaves out some of its items)")
    return key


def score_answer(kind: str, answer, key, entry: dict) -> float:
    """The fraction (0..1) an answer earns against an instructor's key: the one rule per kind.

    The answer must have the plain type its kind expects (:func:`exercises.kinds.plain_answer`);
    anything else raises :class:`BadAnswer`. A key that does not fit raises :class:`BadKey`.
    """
    key = check_key(kind, key, entry)
    answer = plain_answer(kind, answer)
    if kind == "choice":
        return choice_fraction(answer, key)
    if kind == "many-choice":
        known = [o["key"] for o in entry["options"]]
        if not set(answer) <= set(known):
            raise BadAnswer(f"the answer names options the question does not have: {sorted(set(answer) - set(known))}")
        return many_choice_fraction(answer, key, known)
    if kind == "classify":
        return classify_fraction(answer, key)
    return scenario_fraction(answer, key, entry)


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


def summarize_scores(records: dict, kinds=KNOWLEDGE_CHECKS) -> dict:
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
