"""Reading a submission's recorded widget answers before its code runs (course_tools.widget_grading)."""
from __future__ import annotations

import json
import os

import nbformat
import pytest

from course_tools.widget_grading import RESOURCE_KEY, ReadRecordedAnswers, read_responses

GOOD = {"schema_version": 1, "responses": {"a2-team-vs-tech/q-whose-call": {"answer": "b", "kind": "choice"}}}


def recorded(folder) -> dict:
    _, resources = ReadRecordedAnswers().preprocess(nbformat.v4.new_notebook(), {"metadata": {"path": str(folder)}})
    return resources[RESOURCE_KEY]


def test_a_damaged_file_is_graded_from_the_kits_backup(tmp_path):
    """When responses.json is damaged but the kit's backup (.responses.json.bak) is good, are the
    answers read from the backup, with no problem reported?"""
    (tmp_path / "responses.json").write_text('{"schema_version": 1, "respo', encoding="utf-8")
    (tmp_path / ".responses.json.bak").write_text(json.dumps(GOOD), encoding="utf-8")
    got = recorded(tmp_path)
    assert got == {"responses": GOOD["responses"], "problem": None}


def test_a_missing_file_is_not_replaced_by_its_backup(tmp_path):
    """Does a learner who deleted responses.json (to start again) get no answers back from the backup?"""
    (tmp_path / ".responses.json.bak").write_text(json.dumps(GOOD), encoding="utf-8")
    assert recorded(tmp_path) == {"responses": {}, "problem": None}


def test_a_damaged_file_and_a_damaged_backup_report_the_file(tmp_path):
    """With both damaged, are no answers read and the problem with responses.json named?"""
    (tmp_path / "responses.json").write_text("not json", encoding="utf-8")
    (tmp_path / ".responses.json.bak").write_text("[]", encoding="utf-8")
    got = recorded(tmp_path)
    assert got["responses"] == {} and "responses.json is not valid JSON" in got["problem"]


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="needs O_NOFOLLOW")
def test_a_symlinked_backup_is_refused_too(tmp_path):
    """Is a backup that is a symbolic link (say, to another learner's file) never followed?"""
    other = tmp_path / "other.json"
    other.write_text(json.dumps(GOOD), encoding="utf-8")
    (tmp_path / "responses.json").write_text("{", encoding="utf-8")
    (tmp_path / ".responses.json.bak").symlink_to(other)
    got = recorded(tmp_path)
    assert got["responses"] == {} and "not valid JSON" in got["problem"]
    assert read_responses(str(tmp_path), ".responses.json.bak")[1].endswith("symbolic link, which is not accepted")
