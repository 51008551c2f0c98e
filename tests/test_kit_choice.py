"""Choice and many-choice widgets, driven by state (set .value, click, read the feedback HTML)."""
from __future__ import annotations

import ipywidgets as widgets
import pytest

from exercises import Choice, ManyChoice, show
from exercises.store import ResponseStore
from kit_helpers import choice_entry, many_entry, responses


def test_wrong_pick_shows_its_feedback_and_the_right_answer(workdir):
    """After Check, does a wrong pick show its own feedback, ✘ text and which option was right?"""
    w = Choice(choice_entry())
    w.radio.value = "a"
    w.check_button.click()
    fb = w.feedback.value
    assert "✘ Not quite" in fb and "FB-alpha" in fb
    assert "FB-beta" in fb and "Right answer" in fb and "Beta" in fb
    assert "FB-gamma" not in fb  # feedback only for the pick and the right option
    saved = responses(workdir)["t/q"]
    assert saved["answer"] == "a" and saved["score"] == 0 and saved["kind"] == "choice"
    assert "Saved at" in w.status.value


def test_right_pick(workdir):
    """Does the right pick read ✔ Correct and save score 1?"""
    w = Choice(choice_entry())
    w.answer = "b"
    rec = w.check()
    assert "✔ Correct" in w.feedback.value and rec["score"] == 1.0 and rec["attempts"] == 1
    w.answer = "c"
    assert w.feedback.value == ""  # a changed answer clears old feedback
    assert w.check()["attempts"] == 2


def test_nothing_picked_is_refused_kindly(workdir):
    """Does Check with nothing picked show a friendly note and save nothing?"""
    w = Choice(choice_entry())
    assert w.check() is None
    assert "Pick an answer first" in w.status.value
    assert not (workdir / "responses.json").exists()


def test_restart_shows_saved_answer_and_feedback(workdir):
    """Does a new widget (cell re-run / kernel restart) show the saved pick and its feedback?"""
    w = Choice(choice_entry())
    w.answer = "a"
    w.check()
    again = Choice(choice_entry())
    assert again.answer == "a"
    assert "FB-alpha" in again.feedback.value and "Your saved answer" in again.status.value
    assert responses(workdir)["t/q"]["attempts"] == 1  # constructing saved nothing


def test_saved_answer_no_longer_in_bank_is_ignored(workdir):
    """Is a saved key that the bank no longer has ignored, not crashing the widget?"""
    ResponseStore().save("t/q", "choice", "zzz")
    w = Choice(choice_entry())
    assert w.answer is None and w.feedback.value == ""


def test_controls_are_labelled(workdir):
    """Do the radio buttons and the button carry labels (description / text)?"""
    w = Choice(choice_entry(title="T"))
    assert w.radio.description and w.radio.style.description_width == "initial"
    assert w.check_button.description == "Check" and w.check_button.tooltip
    assert [label for label, _ in w.radio.options] == ["Alpha", "Beta", "Gamma"]
    assert isinstance(w, widgets.VBox) and "techlead-ex" in w._dom_classes


def test_shuffle_fixed_per_learner(workdir, monkeypatch):
    """With shuffle, is the order the same for one learner each time and still holds every option?"""
    opts = [{"key": k, "text": k.upper(), "correct": k == "a", "feedback": "f"} for k in "abcdefg"]
    entry = choice_entry(options=opts, shuffle=True)
    first = [v for _, v in Choice(entry).radio.options]
    assert first == [v for _, v in Choice(entry).radio.options]
    assert sorted(first) == list("abcdefg")
    orders = set()
    for n in range(8):
        monkeypatch.setenv("TECHLEAD_LEARNER", f"learner-{n}")
        orders.add(tuple(v for _, v in Choice(entry).radio.options))
    assert len(orders) > 1


def test_many_choice_partial_credit_and_feedback(workdir):
    """Does many-choice show ◐ partial credit, feedback per pick and the missed right option?"""
    w = ManyChoice(many_entry())
    w.boxes["a"].value = True
    w.boxes["b"].value = True
    w.boxes["c"].value = True
    w.check_button.click()
    fb = w.feedback.value
    assert "◐ Partly right" in fb and "50%" in fb
    assert "FB-alpha" in fb and "FB-beta" in fb and "FB-gamma" in fb and "FB-delta" not in fb
    rec = responses(workdir)["t/m"]
    assert rec["answer"] == ["a", "b", "c"] and rec["score"] == 0.5
    w.answer = ["a"]
    rec = w.check()
    assert rec["score"] == 0.5 and "You missed" in w.feedback.value


def test_many_choice_restore_and_empty(workdir):
    """Is an empty many-choice refused, and a saved one restored with feedback?"""
    w = ManyChoice(many_entry())
    assert w.check() is None and "Pick an answer first" in w.status.value
    w.answer = ["c", "a"]
    w.check()
    again = ManyChoice(many_entry())
    assert again.answer == ["a", "c"] and "✔ Correct" in again.feedback.value
    assert all(b.description for b in again.boxes.values())


def test_show_and_from_bank_pick_the_right_class(workdir):
    """Do show() and from_bank() build the widget for the bank entry's kind?"""
    assert type(show("demo/pick-one")) is Choice
    assert type(show("demo/pick-many")) is ManyChoice
    assert type(Choice.from_bank("demo/pick-one")) is Choice
    assert type(ManyChoice.from_bank("demo/pick-many", path=workdir / "other.json")) is ManyChoice
    with pytest.raises(TypeError):
        Choice.from_bank("demo/pick-many")


def test_text_formatting_is_escaped_with_light_markdown():
    """Is bank text HTML-escaped, with **bold**, *italic*, `code` and paragraphs rendered?"""
    from exercises._ui import hhmm, md_inline

    assert md_inline("<b>x</b> **bold** *it* `code`") == (
        "&lt;b&gt;x&lt;/b&gt; <strong>bold</strong> <em>it</em> <code>code</code>")
    assert md_inline("one\n\ntwo") == "<p>one</p><p>two</p>"
    assert md_inline("") == "" and md_inline(None) == ""
    assert hhmm("2025-01-31T10:02:11+00:00") == "10:02"
    assert hhmm("not a time") == "not a time"
    assert len(hhmm()) == 5


def test_empty_answer_note_from_base_save(workdir):
    """Does the shared save path refuse an empty answer with a friendly note?"""
    w = Choice(choice_entry())
    assert w._save("") is None
    assert "Nothing to save yet" in w.status.value
