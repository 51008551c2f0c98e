"""Classify widget: sort statements into categories, per-item feedback, score."""
from __future__ import annotations

import ipywidgets as widgets

from exercises import Classify, show
from kit_helpers import classify_entry, responses


def test_per_item_feedback_and_score(workdir):
    """After Check, does every item show ✔/✘ text with its feedback, and the total score?"""
    w = Classify(classify_entry())
    w.selectors["one"].value = "team"
    w.selectors["two"].value = "team"
    w.selectors["three"].value = "both"
    w.check_button.click()
    assert "✔ Right" in w.item_feedback["one"].value and "FB-one" in w.item_feedback["one"].value
    two = w.item_feedback["two"].value
    assert "✘ Not quite" in two and "Technical leadership" in two and "FB-two" in two
    assert "2 of 3" in w.feedback.value and "◐ Partly right" in w.feedback.value
    rec = responses(workdir)["t/s"]
    assert rec["answer"] == {"one": "team", "two": "team", "three": "both"}
    # the classify rule (informedness per category): team 1 - 1/2, technical 0, both 1 -> 0.5
    assert rec["score"] == 0.5


def test_all_items_must_be_sorted(workdir):
    """Is a partly sorted answer refused with a note saying how many are left?"""
    w = Classify(classify_entry())
    w.selectors["one"].value = "team"
    assert w.check() is None
    assert "2 still to sort" in w.status.value
    assert not (workdir / "responses.json").exists()


def test_restore_and_change_clears_feedback(workdir):
    """Is a saved sorting restored with its feedback, and cleared when the learner changes it?"""
    w = Classify(classify_entry())
    w.answer = {"one": "team", "two": "technical", "three": "both"}
    w.check()
    again = Classify(classify_entry())
    assert again.answer == {"one": "team", "two": "technical", "three": "both"}
    assert "✔ Correct" in again.feedback.value
    again.selectors["one"].value = "both"
    assert again.feedback.value == "" and again.item_feedback["one"].value == ""


def test_controls_are_labelled_toggle_buttons_or_dropdowns(workdir):
    """Does each item get a labelled ToggleButtons (or Dropdown) with the category labels?"""
    w = Classify(classify_entry())
    sel = w.selectors["one"]
    assert isinstance(sel, widgets.ToggleButtons)
    assert sel.description.startswith("Statement 1 of 3")
    assert [label for label, _ in sel.options] == ["Team leadership", "Technical leadership", "Both"]
    d = Classify(classify_entry(), control="dropdown")
    assert isinstance(d.selectors["two"], widgets.Dropdown) and d.selectors["two"].description


def test_demo_bank_classify(workdir):
    """Does show() build a Classify for the demo bank's sorting exercise?"""
    w = show("demo/sort-duties")
    assert isinstance(w, Classify) and len(w.selectors) == 3
    assert isinstance(Classify.from_bank("demo/sort-duties"), Classify)
