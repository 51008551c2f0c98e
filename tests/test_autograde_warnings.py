"""Autograde's warnings mean something: none for an honest submission, one for a really edited cell.

nbgrader stores each locked cell's checksum before it strips hidden tests and mark schemes, so an
untouched released cell used to raise "Attribute 'checksum' ... has changed!" for every test cell with
hidden tests and every task cell (nbgrader issue #1961; course_tools/sanitize.py explains the fix).
"""
from __future__ import annotations

import pytest

from course_tools.sanitize import RestoreDeletedCells
from nbgrader_helpers import (ASSIGNMENTS, cell_by_id, gradebook_scores, meta, nbgrader,
                              put_submission, record_answers, release_nb, solved, source_nb, widget_keys)

AID = "a2-team-vs-tech"


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_every_released_locked_cell_is_the_released_form_of_its_source(aid):
    """Is each locked cell of release/ exactly what RestoreDeletedCells takes for "as released", so an
    untouched cell never raises the checksum warning (in any assignment)?"""
    restore = RestoreDeletedCells()
    source = {meta(c)["grade_id"]: c for c in source_nb(aid).cells if meta(c).get("grade_id")}
    checked = hidden = 0
    for cell in release_nb(aid).cells:
        if not meta(cell).get("locked"):
            continue
        original = source[meta(cell)["grade_id"]].source
        assert cell.source.strip() == restore.released_source(original).strip(), meta(cell)["grade_id"]
        checked += 1
        hidden += original != cell.source
    assert checked >= 5 and hidden >= 3  # locked cells, some of them with hidden tests or mark schemes


@pytest.fixture(scope="module")
def autograded(tmp_path_factory, generated_course):
    """An honest submission and one with an edited locked test cell, each autograded on its own."""
    course = generated_course(tmp_path_factory.mktemp("warnings") / "course", AID)
    honest = put_submission(course, "honest", AID, solved(AID))
    record_answers({honest: widget_keys(source_nb(AID))})
    edited = solved(AID)
    cell_by_id(edited, "signals-tests-shape").source += "\nprint('I changed a test')"
    put_submission(course, "editor", AID, edited)
    logs = {}
    for student in ("honest", "editor"):
        proc = nbgrader(course, "autograde", AID, f"--student={student}")
        logs[student] = proc.stdout + proc.stderr
    return {"course": course, "logs": logs, "scores": gradebook_scores(course, AID)}


@pytest.mark.nbgrader
@pytest.mark.slow
def test_an_honest_submission_autogrades_without_checksum_warnings(autograded):
    """Does an honest submission autograde with full marks and without a single checksum warning?"""
    log = autograded["logs"]["honest"]
    assert "Converting notebook" in log and "Autograding" in log  # the log is nbgrader's, at INFO
    assert "checksum" not in log and "has changed" not in log, log
    assert "[AutogradeApp | WARNING]" not in log, log
    assert autograded["scores"]["honest"]["auto"] == 15.0  # every hidden test was put back and passed


@pytest.mark.nbgrader
@pytest.mark.slow
def test_an_edited_locked_cell_is_still_reported_and_restored(autograded):
    """Is a test cell the learner really edited still reported, by name, and only that one?"""
    log = autograded["logs"]["editor"]
    assert "Attribute 'checksum' for cell signals-tests-shape has changed" in log
    assert log.count("has changed") == 1, log
    assert autograded["scores"]["editor"]["cells"]["signals-tests-shape"] == 1.0
