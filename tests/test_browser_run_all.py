"""A learner runs a released assignment with *Run All* in JupyterLab before answering its widget questions.

The learner's copy is nbgrader's release of assignment 2 (release/a2-team-vs-tech), put in a folder of
the session's course copy the way `nbgrader fetch_assignment` leaves it, with no responses.json: no
widget question answered. Each graded widget question is followed by its grade cell, which for the
learner holds only ``show_recorded(...)``: it must say, right there, that nothing is recorded yet, and
never stop the notebook.

Part A's code answers are nbgrader's own templates (``raise NotImplementedError()``, then visible
tests that assert on the answer). The release step tags them ``raises-exception``
(course_tools/run_all.py), so *Run All* goes past them too, each showing its error at its question:
the second test runs a fully blank copy. The first has Part A written (the instructor's solution), so
that any error left is a widget question's.
"""
from __future__ import annotations

import re
import shutil

import pytest

pytest.register_assert_rewrite("browser_helpers")
from browser_helpers import SCREENSHOTS  # noqa: E402
from nbgrader_helpers import data_files, meta, release_nb, solved, write_nb  # noqa: E402

pytest_plugins = ["browser_helpers"]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

AID = "a2-team-vs-tech"
REL = f"techlead/{AID}/{AID}.ipynb"      # where nbgrader fetch_assignment puts it
NOT_RECORDED = "No answer recorded yet for this question"


def _learner_copy(course_root, nb, rel: str = REL) -> None:
    folder = course_root / rel.rsplit("/", 1)[0]
    if folder.exists():
        shutil.rmtree(folder)
    write_nb(nb, course_root / rel)
    for path in data_files(AID):
        shutil.copy2(path, folder / path.name)


def _part_a_written():
    """The release with Part A's code answers written (the instructor's solution), Part B untouched."""
    nb, done = release_nb(AID), solved(AID)
    for cell, answer in zip(nb.cells, done.cells):
        if cell.cell_type == "code" and meta(cell).get("solution"):
            cell.source = answer.source
    return nb


def _grade_cells_of_widget_questions(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and meta(c).get("grade") and "show_recorded(" in c.source]


def _cells(lab) -> list[dict]:
    """Per cell of the open notebook: code or not, its prompt ("[3]:", "[ ]:", "[*]:") and its outputs' text."""
    return lab.panel.evaluate(
        """panel => [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].map(cell => ({
            code: cell.classList.contains('jp-CodeCell'),
            prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
            outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => o.textContent || ''),
        }))""")


def test_run_all_goes_past_every_unanswered_widget_question(lab):
    """Does *Run All* on a released assignment, with no widget question answered, run every cell to the
    last one, and does each unanswered widget question say at the question that no answer is recorded?"""
    nb = _part_a_written()
    grade_cells = _grade_cells_of_widget_questions(nb)
    assert len(grade_cells) == 4, grade_cells
    _learner_copy(lab.server.root, nb)
    lab.open(REL)
    lab.run_all(timeout=300_000)
    lab.wait_widgets_settled(timeout=60_000)
    cells = _cells(lab)
    lab.scroll_to_cell(grade_cells[0] - 2)   # the first widget question: prompt, widget, grade cell
    lab.screenshot(SCREENSHOTS / "run-all-unanswered.png")

    assert len(cells) == len(nb.cells)
    code = [i for i, c in enumerate(cells) if c["code"]]
    not_run = [(i, cells[i]["prompt"]) for i in code if not re.search(r"\[\d+\]", cells[i]["prompt"])]
    assert not not_run, f"code cells Run All did not run (index, prompt): {not_run}"
    last = code[-1]
    assert last == grade_cells[-1] and cells[last]["outputs"], "the last code cell ran and shows its output"
    # execution counts follow the notebook's order: Run All went through it once, top to bottom
    counts = [int(re.search(r"\[(\d+)\]", cells[i]["prompt"]).group(1)) for i in code]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), counts

    problems = lab.problems()
    assert not problems.errors, f"errors shown to the learner: {problems.errors}"
    assert not problems.broken_widgets, problems.broken_widgets
    for i in grade_cells:
        text = " ".join(cells[i]["outputs"])
        assert NOT_RECORDED in text, (i, nb.cells[i].source, text)
        assert "Submit answer" in text, "it says how to record an answer"
        # the widget it speaks of is the cell just above, drawn
        widget = lab.widget_counts()[i - 1]
        assert widget["exercises"] == 1, (i - 1, widget)
    # nothing was recorded by running: the learner still has every question to answer
    assert lab.responses() == {}



def test_run_all_on_a_blank_copy_goes_to_the_end(lab):
    """On a fully blank copy (no code answer written, no widget answered), does *Run All* run every cell
    to the last one, with each unanswered code question's error shown at that question only?"""
    nb = release_nb(AID)
    tagged = {i for i, c in enumerate(nb.cells) if "raises-exception" in c.metadata.get("tags", [])}
    assert tagged, "the release tags its code answer and test cells raises-exception"
    grade_cells = _grade_cells_of_widget_questions(nb)
    rel = REL.replace("techlead/", "techlead-blank/")   # another learner's copy: a notebook of its own
    _learner_copy(lab.server.root, nb, rel)
    lab.open(rel)
    lab.run_all(timeout=300_000, every_cell=True)
    lab.wait_widgets_settled(timeout=60_000)
    cells = _cells(lab)
    code = [i for i, c in enumerate(cells) if c["code"]]
    not_run = [(i, cells[i]["prompt"]) for i in code if not re.search(r"\[\d+\]", cells[i]["prompt"])]
    assert not not_run, f"code cells Run All did not run (index, prompt): {not_run}"
    failed = {i for i in code if any("Error" in out for out in cells[i]["outputs"])}
    assert failed and failed <= tagged, (failed, tagged)
    assert any("NotImplementedError" in " ".join(cells[i]["outputs"]) for i in failed)
    for i in grade_cells:
        assert NOT_RECORDED in " ".join(cells[i]["outputs"]), i
    assert lab.responses() == {}
