"""Never lose work, never mislead about what is saved (issue 19), checked on widget state:
truthful status lines, the warning area and its download, the lesson-start banner, the
stopped-kernel notice, and the server hook that saves lessons without widget outputs."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import nbformat
import pytest

from exercises import Choice, Classify, ManyChoice, Reflection, ScenarioQuestion, SelfAssessment, start_lesson, store
from exercises._ui import STOPPED_TEXT, STYLE
from exercises.jupyter_hooks import strip_widget_outputs
from exercises.store import ResponseStore
from kit_helpers import (choice_entry, classify_entry, downloaded_answers, many_entry, reflection_entry,  # noqa: F401
                         responses, scenario_entry, self_entry)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def read_only_file(workdir):
    """A responses file with one saved choice, made read-only (as nbgrader's returned copies)."""
    ResponseStore().save("t/q", "choice", "b", score=1)
    path = workdir / "responses.json"
    os.chmod(path, 0o444)
    yield path
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


# ------------------------------------------------------------------ status lines tell the truth
def test_choice_new_pick_is_not_saved_until_checked(workdir):
    """After a new pick, does the status say "not saved yet" (not "Your saved answer"), and after
    Check the time of that real save?"""
    w = Choice(choice_entry())
    w.answer = "a"
    w.check()
    again = Choice(choice_entry())
    assert "Your saved answer" in again.status.value
    again.answer = "c"
    assert "Not saved yet" in again.status.value and "press Check" in again.status.value
    assert "Your saved answer" not in again.status.value and "is different" in again.status.value
    assert responses(workdir)["t/q"]["answer"] == "a"
    again.answer = "a"                            # back to the saved pick: saved, with its time
    assert "Saved at" in again.status.value and "Not saved" not in again.status.value
    again.answer = "b"
    again.check()
    assert "Saved at" in again.status.value and responses(workdir)["t/q"]["answer"] == "b"


def test_first_pick_is_not_saved_until_checked(workdir):
    """A first pick with nothing saved: "not saved yet", with no mention of an earlier answer."""
    w = ManyChoice(many_entry())
    w.answer = ["a"]
    assert "Not saved yet" in w.status.value and "is different" not in w.status.value
    w.answer = []
    assert "Not saved" not in w.status.value


def test_graded_new_pick_asks_for_submit(workdir):
    """In graded mode, does the status ask for Submit answer?"""
    w = Choice(choice_entry(), graded=True)
    w.answer = "a"
    assert "press Submit answer" in w.status.value


def test_classify_change_is_not_saved_until_checked(workdir):
    """Changing one statement's category after a Check: "not saved yet" until Check again."""
    w = Classify(classify_entry())
    w.answer = {"one": "team", "two": "technical", "three": "both"}
    w.check()
    w.selectors["one"].value = "both"
    assert "Not saved yet" in w.status.value
    w.check()
    assert "Saved at" in w.status.value and responses(workdir)["t/s"]["answer"]["one"] == "both"


def test_self_assessment_changed_rating_is_not_saved_until_saved(workdir):
    """A moved rating: "not saved yet" until Save ratings; then the time of that save."""
    w = SelfAssessment(self_entry())
    w.save_ratings()
    w.scales["design"].value = 5
    assert "Not saved yet" in w.status.value and "Save ratings" in w.status.value
    w.save_ratings()
    assert "Saved at" in w.status.value


# ------------------------------------------------------------------ unsaveable: warning + download
def test_read_only_warning_is_unmistakable_and_offers_the_answers(read_only_file):
    """Read-only: is the warning an alert with icon, why and what to do, above the controls, with a
    download of the saved answers?"""
    w = Choice(choice_entry())
    alert = w.alert.value
    assert "role='alert'" in alert and "techlead-warning" in alert and alert.count("⚠") >= 1
    assert "read-only" in alert and "What to do" in alert and "Save Notebook As" in alert
    assert w.children.index(w.alert) < w.children.index(w.controls)
    assert downloaded_answers(alert)["responses"]["t/q"]["answer"] == "b"


def test_read_only_scenario_path_is_in_the_download(read_only_file):
    """A scenario played on a read-only copy: is the path taken in the download?"""
    w = ScenarioQuestion(scenario_entry())
    w.choose("a")
    assert downloaded_answers(w.alert.value)["responses"]["t/sc"]["answer"] == ["a"]


def test_read_only_self_assessment_ratings_are_in_the_download(read_only_file):
    """Ratings saved on a read-only copy: are they in the download?"""
    w = SelfAssessment(self_entry())
    w.scales["design"].value = 4
    w.save_ratings()
    got = downloaded_answers(w.alert.value)["responses"]["t/sa"]
    assert got["answer"]["design"] == 4 and got["unsaved"]


def test_downloaded_file_brings_the_answers_back(read_only_file, tmp_path):
    """Put the downloaded file beside a lesson as responses.json: do the answers come back?"""
    r = Reflection(reflection_entry())
    r.text = "kept although read-only"
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "responses.json").write_text(json.dumps(downloaded_answers(r.alert.value)))
    again = Reflection(reflection_entry(), store=ResponseStore(tmp_path / "copy" / "responses.json"))
    assert again.text == "kept although read-only"


# ------------------------------------------------------------------ a lesson that stopped running
@pytest.mark.parametrize("make", [
    lambda: Choice(choice_entry()), lambda: Classify(classify_entry()),
    lambda: ScenarioQuestion(scenario_entry()), lambda: Reflection(reflection_entry()),
    lambda: SelfAssessment(self_entry()), lambda: start_lesson()])
def test_every_exercise_carries_the_stopped_notice(workdir, make):
    """Does every exercise (and the banner) hold the "stopped running" notice that the stylesheet
    shows, and hides its controls, when ipywidgets marks the view disconnected?"""
    w = make()
    notices = [c for c in w.children if "techlead-stopped" in c._dom_classes]
    assert len(notices) == 1 and STOPPED_TEXT in notices[0].value and "▶▶" in notices[0].value
    assert "techlead-ex" in w._dom_classes
    assert ".techlead-ex.jupyter-widgets-disconnected > .techlead-stopped { display: block; }" in STYLE
    assert ".techlead-ex.jupyter-widgets-disconnected > :not(.techlead-stopped):not(.techlead-heading)" in STYLE
    headings = [c for c in w.children if "techlead-heading" in c._dom_classes]
    assert headings and STYLE in headings[0].value     # the stylesheet stays with the visible heading


# ------------------------------------------------------------------ the lesson-start banner
def test_banner_says_the_lesson_runs_and_counts_saved_answers(workdir):
    """Does the banner say the lesson runs and how many answers are saved?"""
    assert "nothing saved yet" in start_lesson().message.value
    ResponseStore().save("t/q", "choice", "b")
    banner = start_lesson()
    assert "This lesson is running" in banner.message.value and "1 answer saved" in banner.message.value
    assert banner.alert.value == ""


def test_banner_tells_once_what_was_restored(workdir):
    """A damaged file: does the banner (the lesson's first cell) tell what was restored, and the
    exercises below show the restored answers without telling again?"""
    ResponseStore().save("t/q", "choice", "b", score=1)
    (workdir / "responses.json").write_text('{"responses": {"t/q": {"ans', encoding="utf-8")
    banner = start_lesson()
    assert "was damaged" in banner.alert.value and "from the automatic backup" in banner.alert.value
    assert "role='alert'" in banner.alert.value
    w = Choice(choice_entry())
    assert w.answer == "b" and w.alert.value == ""


def test_banner_on_a_read_only_copy(read_only_file):
    """Read-only: does the banner say so at the top, with the download?"""
    banner = start_lesson()
    assert "cannot be saved here" in banner.message.value
    assert downloaded_answers(banner.alert.value)["responses"]["t/q"]["answer"] == "b"
    r = Reflection(reflection_entry())
    r.text = "typed below"
    assert downloaded_answers(banner.alert.value)["responses"]["t/r"]["answer"] == "typed below"


def test_banner_shows_a_plain_notice(workdir, monkeypatch):
    """A store note that is not a warning is shown as a plain status."""
    real = ResponseStore.load

    def load(self):
        self.notice = "fyi"
        return real(self)

    monkeypatch.setattr(ResponseStore, "load", load)
    assert "fyi" in start_lesson().alert.value


# ------------------------------------------------------------------ lessons are saved clean
def _widget_output():
    return nbformat.v4.new_output("display_data", data={
        "text/plain": "Choice(...)",
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0}})


def test_pre_save_hook_drops_widget_outputs_only():
    """Does the hook remove widget outputs and saved widget state, and keep every other output?"""
    nb = nbformat.v4.new_notebook()
    keep = nbformat.v4.new_output("stream", text="a table")
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson"),
                nbformat.v4.new_code_cell("show('x')", outputs=[_widget_output(), keep])]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    model = {"type": "notebook", "content": json.loads(nbformat.writes(nb))}
    assert strip_widget_outputs(model=model, path="lesson.ipynb", contents_manager=None) == 1
    assert [o["output_type"] for o in model["content"]["cells"][1]["outputs"]] == ["stream"]
    assert "widgets" not in model["content"]["metadata"]
    for other in ({"type": "file", "content": "x"}, {"type": "notebook", "content": None}, None):
        assert strip_widget_outputs(model=other) == 0


def test_server_config_installs_the_hook_everywhere():
    """Do make install, Binder's postBuild and the JupyterHub deployment install the same config,
    naming the hook; and does JupyterLab never save widget state?"""
    conf = json.loads((ROOT / "lab-settings" / "jupyter_server_config.json").read_text())
    assert conf["ContentsManager"]["pre_save_hook"] == "exercises.jupyter_hooks.strip_widget_outputs"
    hub = ROOT / "deploy" / "jupyterhub" / "system" / "jupyter_server_config.json"
    assert json.loads(hub.read_text()) == conf
    assert "lab-settings/jupyter_server_config.json" in (ROOT / "postBuild").read_text()
    assert "jupyter_server_config.json" in (ROOT / "Makefile").read_text()
    overrides = json.loads((ROOT / "lab-settings" / "overrides.json").read_text())
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is False


def test_every_lesson_starts_with_run_instruction_and_banner():
    """Does each lesson's first cell tell the learner to run it, and its first code cell start the banner?"""
    sys_path = str(ROOT / "scripts")
    import sys

    if sys_path not in sys.path:
        sys.path.insert(0, sys_path)
    from coursemap import load_course

    for lesson in load_course()["lesson_list"]:
        nb = nbformat.read(ROOT / "notebooks" / lesson.file, as_version=4)
        assert "Run → Run All Cells" in nb.cells[0].source and "▶▶" in nb.cells[0].source, lesson.file
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert first_code.source == "from exercises import start_lesson\nstart_lesson()", lesson.file
        assert first_code.outputs == [] and "navigation" in first_code.metadata["tags"]


def test_seen_records_are_kept_per_file(workdir):
    """Are the answers 'on screen' remembered per responses file (never mixed across folders)?"""
    ResponseStore(workdir / "a.json").save("x/1", "choice", "a")
    ResponseStore(workdir / "b.json").save("x/2", "choice", "b")
    assert "x/2" not in store._SEEN[str((workdir / "a.json").absolute())]
