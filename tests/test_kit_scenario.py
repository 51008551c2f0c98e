"""Scenario widget: rated actions, branching at least two levels, Back, recorded path."""
from __future__ import annotations

from exercises import ScenarioQuestion, show
from kit_helpers import responses, scenario_entry


def test_branching_two_levels_with_ratings_why_and_consequence(workdir):
    """Does choosing show rating, why and consequence, then lead to the follow-up situations?"""
    w = ScenarioQuestion(scenario_entry())
    assert "First situation" in w.situation_html.value and w.back_button.disabled
    w.actions.value = "a"
    w.choose_button.click()
    assert "✔ Best" in w.outcome.value and "WHY-A" in w.outcome.value and "CONS-A" in w.outcome.value
    assert "Second situation" in w.situation_html.value and w.situation == "s2"
    w.choose("a")
    assert "◐ Acceptable" in w.outcome.value and "Third situation" in w.situation_html.value
    w.choose("b")
    assert "✘ Poor" in w.outcome.value and "End of this path" in w.situation_html.value
    assert w.choose_button.disabled and w.actions.layout.display == "none"
    assert w.choose("a") is None and "ended" in w.status.value
    rec = responses(workdir)["t/sc"]
    assert rec["answer"] == ["a", "a", "b"]
    assert [(s["situation"], s["action"], s["rating"]) for s in rec["path"]] == [
        ("s1", "a", "best"), ("s2", "a", "acceptable"), ("s3", "b", "poor")]
    assert rec["ended"] is True and rec["score"] == 0.5


def test_back_tries_another_path_and_every_step_is_logged(workdir):
    """Can the learner go Back and take another path, with every step kept in the log?"""
    w = ScenarioQuestion(scenario_entry())
    w.choose("a")
    w.choose("b")                       # s2 -> end
    w.back_button.click()               # back to s2
    assert w.situation == "s2" and w.actions.value == "b"  # the undone choice stays selected
    w.choose("a")
    w.choose("a")
    rec = responses(workdir)["t/sc"]
    assert rec["answer"] == ["a", "a", "a"]
    actions = [(e["situation"], e["action"]) for e in rec["explored"]]
    assert actions == [("s1", "a"), ("s2", "b"), ("s2", "back"), ("s2", "a"), ("s3", "a")]
    assert all("at" in e for e in rec["explored"])


def test_back_at_start_and_nothing_selected(workdir):
    """Are Back at the start and Choose with nothing selected handled with a note?"""
    w = ScenarioQuestion(scenario_entry())
    assert w.back() is None and "start" in w.status.value
    assert w.choose() is None and "Pick an action first" in w.status.value
    w.choose("b")
    w.back()
    assert responses(workdir)["t/sc"]["answer"] == []


def test_restart_replays_saved_path(workdir):
    """Does a new widget show the saved path, its last outcome and the current situation?"""
    w = ScenarioQuestion(scenario_entry())
    w.choose("a")
    w.choose("a")
    again = ScenarioQuestion(scenario_entry())
    assert again.answer == ["a", "a"] and again.situation == "s3"
    assert "Act 2A" in again.path_html.value and "Your saved path" in again.status.value
    assert "WHY-2A" in again.outcome.value


def test_focus_and_labels(workdir):
    """Is the leadership focus named only after the first choice, and are the controls labelled?"""
    w = ScenarioQuestion(scenario_entry())
    shown = lambda: " ".join(c.value for c in w.children if hasattr(c, "value") and isinstance(c.value, str))  # noqa: E731
    assert "Mostly calls for" not in shown()          # the learner diagnoses first
    w.choose("a")
    assert "Mostly calls for: team and technical leadership" in w.outcome.value
    w.back()
    assert "Mostly calls for" not in shown()          # back at the start: hidden again
    w.choose("b")
    again = ScenarioQuestion(scenario_entry())      # restored after a restart: still shown
    assert "Mostly calls for: team and technical leadership" in again.outcome.value
    graded = ScenarioQuestion(scenario_entry(), graded=True)
    graded.choose("a")
    assert "Mostly calls for" not in graded.outcome.value
    assert w.actions.description and w.choose_button.description == "Choose"
    assert w.back_button.description == "Back"


def test_demo_scenario_via_show(workdir):
    """Does show() build the demo scenario, which branches two levels deep?"""
    w = show("demo/friday-deploy")
    assert isinstance(w, ScenarioQuestion)
    w.choose("a")
    w.choose("a")
    assert w.walk.ended and len(w.path) == 2
    assert isinstance(ScenarioQuestion.from_bank("demo/friday-deploy"), ScenarioQuestion)


def test_hiding_actions_at_the_end_hides_nothing_else(workdir):
    """When a path ends and the actions are hidden, do other widgets' layouts stay visible?"""
    from exercises import Choice
    from kit_helpers import choice_entry

    w = ScenarioQuestion(scenario_entry())
    w.choose("b")
    assert w.actions.layout.display == "none"
    other = Choice(choice_entry())
    assert other.radio.layout.display is None and w.situation_html.layout.display is None
