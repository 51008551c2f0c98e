"""Graded mode: answers recorded, nothing revealed in widget state; the grading helper."""
from __future__ import annotations

import os

import pytest

from exercises import Choice, Classify, ManyChoice, ScenarioQuestion, show
from exercises.grading import NoAnswerRecorded, recorded_answer, recorded_record
from exercises.store import ResponseStore
from kit_helpers import all_state_text, choice_entry, classify_entry, many_entry, responses, scenario_entry, widget_tree

LEAKS = ["FB-", "WHY-", "CONS-", "correct", "Correct", "Not quite", "Partly", "Right answer",
         "✔ Best", "Acceptable", "Poor", "score", "Mostly calls for"]


def assert_no_leak(widget):
    text = all_state_text(widget)
    for word in LEAKS:
        assert word not in text, f"{word!r} leaked into widget state"


@pytest.mark.parametrize("cls, entry, answer", [
    (Choice, choice_entry, "b"),
    (ManyChoice, many_entry, ["a", "c"]),
    (Classify, classify_entry, {"one": "team", "two": "technical", "three": "both"}),
])
def test_graded_knowledge_checks_reveal_nothing(workdir, cls, entry, answer):
    """In graded mode, is the answer recorded with 'Answer recorded' and no key anywhere in the state?"""
    w = cls(entry(), graded=True)
    assert_no_leak(w)
    assert w.check_button.description == "Submit answer"
    w.answer = answer
    w.check_button.click()
    assert "Answer recorded" in w.status.value and "Answer recorded" in w.feedback.value
    assert_no_leak(w)
    rec = responses(workdir)[entry()["full_id"]]
    assert rec["graded"] is True and "score" not in rec and rec["answer"] == answer
    again = cls(entry(), graded=True)  # re-run: shows the recorded answer, still no key
    assert again.answer == answer and "Answer recorded at" in again.status.value
    assert_no_leak(again)


def test_graded_scenario_hides_ratings(workdir):
    """In a graded scenario, are ratings, why and consequences kept out of the state and the file?"""
    w = ScenarioQuestion(scenario_entry(), graded=True)
    w.choose("a")
    w.choose("b")
    assert_no_leak(w)
    rec = responses(workdir)["t/sc"]
    assert rec["answer"] == ["a", "b"] and "score" not in rec
    assert all("rating" not in s for s in rec["path"] + rec["explored"])
    assert_no_leak(ScenarioQuestion(scenario_entry(), graded=True))


def test_graded_flag_in_bank_wins(workdir):
    """Does a bank entry with graded: true build a graded widget even without graded=True?"""
    w = show("demo/graded-check")
    assert w.graded and "Graded" in w.children[0].value
    w.answer = "b"
    w.check()
    assert recorded_answer("demo/graded-check") == "b"


def test_widget_tree_walks_children():
    """Does the leak check really visit nested children (sanity check of the helper)?"""
    w = Classify(classify_entry(), graded=True, store=ResponseStore(os.devnull + ".none"))
    tree = widget_tree(w)
    assert any(getattr(x, "description", "") == "Statement 1 of 3 is:" for x in tree)


def test_recorded_answer_shapes(workdir):
    """Does recorded_answer return the documented shape for every kind?"""
    s = ResponseStore()
    s.save("b/c", "choice", "b")
    s.save("b/m", "many-choice", ["c", "a"])
    s.save("b/k", "classify", {"x": "team"})
    s.save("b/s", "scenario", ["a", "b"], path=[])
    s.save("b/r", "reflection", "my text ✓")
    s.append_session("b/sa", "self-assessment", {"at": "t", "ratings": {"q": 4}})
    assert recorded_answer("b/c") == "b"
    assert recorded_answer("b/m") == ["a", "c"]
    assert recorded_answer("b/k") == {"x": "team"}
    assert recorded_answer("b/s") == ["a", "b"]
    assert recorded_answer("b/r") == "my text ✓"
    assert recorded_answer("b/sa") == {"q": 4}
    assert recorded_record("b/c")["kind"] == "choice"


def test_no_answer_recorded_errors(workdir):
    """Is a missing, empty or unreadable answer a clear NoAnswerRecorded error?"""
    with pytest.raises(NoAnswerRecorded, match="No answer recorded for 'b/x'"):
        recorded_answer("b/x")
    ResponseStore().save("b/s", "scenario", [], allow_empty=True)
    with pytest.raises(NoAnswerRecorded, match="empty"):
        recorded_answer("b/s")
    (workdir / "bad.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(NoAnswerRecorded, match="cannot be used"):
        recorded_answer("b/x", path=workdir / "bad.json")
    assert (workdir / "bad.json").exists()  # the grader never moves files


def test_a_corrupt_file_moved_aside_is_named_in_the_grading_error(workdir):
    """At autograde the first widget cell moves a corrupt file aside; does the grader then say so?"""
    (workdir / "responses.json").write_text("{oops", encoding="utf-8")
    ResponseStore().load()  # what the widget cell does first: the corrupt file is kept aside
    kept = list(workdir.glob("responses.corrupt-*"))
    assert len(kept) == 1
    with pytest.raises(NoAnswerRecorded, match=f"unreadable responses file was kept as {kept[0].name}"):
        recorded_answer("b/x")


def test_recorded_answer_from_read_only_file(workdir):
    """Can the grader read a mode-444 responses file (nbgrader autograded copy)?"""
    ResponseStore().save("b/c", "choice", "a")
    path = workdir / "responses.json"
    os.chmod(path, 0o444)
    try:
        assert recorded_answer("b/c", path=path) == "a"
    finally:
        os.chmod(path, 0o644)


def test_leak_check_catches_practice_feedback(workdir):
    """Does the leak check fire on a practice-mode widget that shows feedback (so it can catch leaks)?"""
    w = Choice(choice_entry())
    w.answer = "a"
    w.check()
    with pytest.raises(AssertionError, match="leaked"):
        assert_no_leak(w)
