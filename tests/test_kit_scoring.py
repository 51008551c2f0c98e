"""Scoring and feedback selection: pure functions, no widgets."""
from __future__ import annotations

import subprocess
import sys

import pytest

from exercises import scoring
from kit_helpers import choice_entry, classify_entry, many_entry, scenario_entry


def test_choice_right_and_wrong():
    """Does a choice score 1 for the correct key and 0 otherwise, with the pick's feedback first?"""
    opts = choice_entry()["options"]
    right = scoring.score_choice(opts, "b")
    assert right.score == 1 and right.verdict == "correct" and right.right_keys == ["b"]
    assert [f.key for f in right.items] == ["b"]
    wrong = scoring.score_choice(opts, "a")
    assert wrong.score == 0 and wrong.verdict_text == "✘ Not quite"
    assert [(f.key, f.picked, f.correct) for f in wrong.items] == [("a", True, False), ("b", False, True)]
    assert wrong.items[0].feedback == "FB-alpha"


@pytest.mark.parametrize("picked, expected", [
    ([], 0.0),
    (["a"], 0.5),
    (["a", "c"], 1.0),
    (["a", "b"], 0.0),            # one right, one wrong
    (["a", "c", "b"], 0.5),       # two right, one wrong: (2-1)/2
    (["a", "b", "c", "d"], 0.0),  # ticking everything earns nothing
    (["b", "d"], 0.0),            # floored at 0, never negative
])
def test_many_choice_partial_credit(picked, expected):
    """Is many-choice credit (right − wrong) / number right, floored at 0?"""
    assert scoring.many_choice_score(many_entry()["options"], picked) == pytest.approx(expected)
    assert scoring.score_many_choice(many_entry()["options"], picked).score == pytest.approx(expected)


def test_many_choice_feedback_covers_picks_and_missed_right_options():
    """Does many-choice feedback cover every pick, and every right option the learner missed?"""
    res = scoring.score_many_choice(many_entry()["options"], ["a", "b"])
    assert {(f.key, f.picked) for f in res.items} == {("a", True), ("b", True), ("c", False)}
    assert res.verdict == "incorrect"
    assert res.items[-1].icon == "◐"  # missed right option
    assert scoring.many_choice_score([{"key": "x", "correct": False}], ["x"]) == 0.0


def test_classify_scores_share_right_with_item_feedback():
    """Does classify score the share of right items and give feedback for each item?"""
    items = classify_entry()["items"]
    res = scoring.score_classify(items, {"one": "team", "two": "team"})
    assert res.score == pytest.approx(1 / 3)
    assert res.verdict == "partial" and res.verdict_text == "◐ Partly right"
    by = {f.key: f for f in res.items}
    assert by["one"].correct and not by["two"].correct and by["three"].given is None
    assert by["two"].expected == "technical" and by["two"].feedback == "FB-two"
    assert by["one"].icon == "✔" and by["two"].icon == "✘"
    assert scoring.score_classify([], {}).score == 0.0


def test_verdicts():
    """Are verdicts text + icon for full, none and partial scores?"""
    assert scoring.verdict_text(1) == "✔ Correct"
    assert scoring.verdict_text(0) == "✘ Not quite"
    assert scoring.verdict_text(0.5) == "◐ Partly right"


def test_scenario_walk_branches_and_goes_back():
    """Does the scenario walk follow `next`, end at a leaf, and undo with back()?"""
    walk = scoring.ScenarioWalk(scenario_entry())
    assert walk.current == "s1" and walk.back() is None
    walk.choose("a")
    assert walk.current == "s2" and not walk.ended
    walk.choose("a")
    assert walk.current == "s3"
    walk.choose("b")
    assert walk.ended and walk.current == "s3"
    with pytest.raises(RuntimeError):
        walk.choose("a")
    assert walk.keys == ["a", "a", "b"]
    assert walk.score == pytest.approx((1 + 0.5 + 0) / 3)
    step = walk.back()
    assert step["action"] == "b" and walk.current == "s3" and not walk.ended
    with pytest.raises(KeyError):
        walk.choose("zzz")
    walk.replay(["a", "nope"])
    assert walk.keys == ["a"]
    assert scoring.scenario_score([]) == 0.0


def test_shuffle_is_deterministic_per_learner():
    """Is the option order fixed for a learner and exercise, and different across learners?"""
    keys = list("abcdefgh")
    one = scoring.shuffled(keys, "bank/x", "alice")
    assert one == scoring.shuffled(keys, "bank/x", "alice")
    assert sorted(one) == keys
    others = {tuple(scoring.shuffled(keys, "bank/x", f"learner-{n}")) for n in range(10)}
    assert len(others) > 1
    assert scoring.shuffle_seed("bank/x", "alice") != scoring.shuffle_seed("bank/y", "alice")


def test_learner_id_from_env_or_user(monkeypatch):
    """Does the learner id come from $TECHLEAD_LEARNER, else the login name?"""
    monkeypatch.setenv("TECHLEAD_LEARNER", "priya")
    assert scoring.learner_id() == "priya"
    monkeypatch.delenv("TECHLEAD_LEARNER")
    assert scoring.learner_id()


def test_word_count_and_ratings_change_and_summary():
    """Do the small helpers count words, rating changes and score summaries right?"""
    assert scoring.word_count("  one two\nthree  ") == 3
    assert scoring.word_count("") == 0
    assert scoring.ratings_change([{"ratings": {"a": 1}}]) == {}
    assert scoring.ratings_change([{"ratings": {"a": 1, "b": 4}}, {"ratings": {"a": 3, "b": 2}}]) == {"a": 2, "b": -2}
    summary = scoring.summarize_scores({
        "x/1": {"kind": "choice", "score": 1.0}, "x/2": {"kind": "classify", "score": 0.5},
        "x/3": {"kind": "choice", "graded": True}, "x/4": {"kind": "reflection", "answer": "t"}})
    assert summary == {"answered": 3, "graded": 1, "scored": 2, "mean": 0.75}


def test_scoring_imports_no_widgets():
    """Does the scoring module stay free of widget (and heavy) imports?"""
    code = "import sys, exercises.scoring; print(any(m.startswith(('ipywidgets','pandas','matplotlib')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
