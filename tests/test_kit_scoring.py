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
    """Is many-choice credit (share of right picked) − (share of wrong picked), floored at 0?"""
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
    # team: 1 of 1 right item picked, 1 of 2 others put there -> 0.5; the other categories 0.
    assert res.score == pytest.approx(0.5 / 3)
    assert res.verdict == "partial" and res.verdict_text == "◐ Partly right"
    by = {f.key: f for f in res.items}
    assert by["one"].correct and not by["two"].correct and by["three"].given is None
    assert by["two"].expected == "technical" and by["two"].feedback == "FB-two"
    assert by["one"].icon == "✔" and by["two"].icon == "✘"
    assert scoring.score_classify([], {}).score == 0.0


@pytest.mark.parametrize("right, universe, picked, expected", [
    ({"a"}, "abcde", "a", 1.0),          # one right of five
    ({"a"}, "abcde", "ab", 0.75),        # 1 - 1/4
    ({"a"}, "abcde", "abcde", 0.0),      # everything: nothing
    ({"a", "b", "c", "d"}, "abcde", "abcd", 1.0),
    ({"a", "b", "c", "d"}, "abcde", "abc", 0.75),
    ({"a", "b", "c", "d"}, "abcde", "abcde", 0.0),  # all but one right: ticking all still earns 0
    ({"a", "b"}, "abcde", "", 0.0),
])
def test_informedness_rule(right, universe, picked, expected):
    """Does the many-choice rule give these exact fractions, whatever the number of right options?"""
    assert scoring.informedness(set(picked), right, set(universe)) == pytest.approx(expected)


def test_content_blind_strategies_earn_nothing():
    """Does ticking everything, or sorting every item into one category, score 0?"""
    opts = [{"key": k, "correct": k in "ab"} for k in "abcde"]
    assert scoring.many_choice_score(opts, list("abcde")) == 0.0
    key = {"i1": "team", "i2": "team", "i3": "technical", "i4": "both"}
    for cat in ("team", "technical", "both"):
        assert scoring.classify_fraction({i: cat for i in key}, key) == 0.0
    assert scoring.classify_fraction(dict(key), key) == 1.0
    # one item wrong: team 1/2 - 0 = .5, technical 1 - 1/3, both 1 -> mean
    got = scoring.classify_fraction({"i1": "technical", "i2": "team", "i3": "technical", "i4": "both"}, key)
    assert got == pytest.approx((0.5 + (1 - 1 / 3) + 1) / 3)


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


# ------------------------------------------------------------------------------------ instructors' keys
def test_a_scenario_key_must_rate_every_action_of_every_situation():
    """Is a graded scenario's key refused when it leaves an action or a situation unrated?"""
    entry = scenario_entry()
    full = {s: {a["key"]: a["rating"] for a in sit["actions"]} for s, sit in entry["situations"].items()}
    assert scoring.check_key("scenario", full, entry) == full
    no_action = {**full, "s2": {"a": "acceptable"}}
    with pytest.raises(scoring.BadKey, match="s2"):
        scoring.check_key("scenario", no_action, entry)
    no_situation = {s: acts for s, acts in full.items() if s != "s3"}
    with pytest.raises(scoring.BadKey, match="s3"):
        scoring.check_key("scenario", no_situation, entry)


def test_every_key_in_the_instructor_notebooks_fits_its_question():
    """Does every grade_answer key in source/ name only options, items, categories and actions its
    question has (and a scenario's key rate every action)?"""
    from pathlib import Path

    from course_tools.contract import course_keys
    from exercises.banks import get_exercise

    keys = course_keys(Path(__file__).resolve().parents[1])
    calls = [call for nb in keys.values() for call in nb.values()]
    assert len(calls) >= 10
    for call in calls:
        entry = get_exercise(call.exercise_id)
        assert scoring.check_key(entry["kind"], call.key, entry) is not None, call.exercise_id
