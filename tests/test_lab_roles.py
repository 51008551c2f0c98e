"""`make lab` gives a learner the learner view; `make lab ROLE=instructor` gives nbgrader's instructor tools.

The learner view is the one the course's JupyterHub gives students (deploy/jupyterhub/system/): the
assignment list and the Validate button, but no formgrader (its server extension is not even loaded,
which also makes JupyterLab start faster), no course list and no create-assignment toolbar. The
settings are files in lab-settings/<role>/ that `make lab` puts on JUPYTER_CONFIG_PATH; nothing is
written into the environment or the home folder.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lab_server import ROOT, MakeLab, page_config

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "jupyter").exists(),
    reason="needs make and the course environment")]

INSTRUCTOR_PLUGINS = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list"}
HUB = ROOT / "deploy" / "jupyterhub"
SETTINGS = ROOT / "lab-settings"


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_learner_view_of_make_lab(tmp_path):
    """Does a learner's `make lab` serve the assignment list, but neither the formgrader (404) nor the
    Lab plugins for the formgrader, course list and create-assignment?"""
    with MakeLab(tmp_path) as lab:
        status, html = lab.get("/lab")
        assert status == 200
        disabled = set(page_config(html).get("disabledExtensions", []))
        assert INSTRUCTOR_PLUGINS <= disabled
        assert not any(p.startswith("@jupyter/nbgrader:assignment-list") or p.startswith("@jupyter/nbgrader:validate")
                       for p in disabled)
        assert lab.get("/formgrader")[0] == 404
        status, body = lab.get("/assignments?course_id=techlead")   # nbgrader's assignment list answers
        assert status == 200 and json.loads(body)["success"] is True, body
        assert lab.get("/api/contents/notebooks/index.ipynb")[0] == 200


def test_instructor_view_of_make_lab(tmp_path):
    """Does `make lab ROLE=instructor` serve the formgrader, with every nbgrader Lab plugin enabled?"""
    with MakeLab(tmp_path, "ROLE=instructor") as lab:
        status, html = lab.get("/lab")
        assert status == 200
        assert not INSTRUCTOR_PLUGINS & set(page_config(html).get("disabledExtensions", []))
        status, body = lab.get("/formgrader")
        assert status == 200 and "formgrader" in body.lower()


def test_an_unknown_role_is_refused():
    """Does `make lab ROLE=teacher` stop at once with a message naming the roles?"""
    proc = subprocess.run(["make", "--no-print-directory", "-s", "lab", "ROLE=teacher"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "ROLE must be one of: learner instructor" in proc.stdout + proc.stderr


def test_the_roles_match_the_jupyterhub_roles():
    """Do lab-settings/learner and lab-settings/instructor switch the same tools as the Hub's student
    (system/) and instructor settings, so a learner sees the same course at home and on the Hub?"""
    pairs = [
        (SETTINGS / "learner" / "jupyter_server_config.d" / "techlead-learner.json",
         HUB / "system" / "jupyter_server_config.d" / "techlead-roles.json"),
        (SETTINGS / "learner" / "labconfig" / "page_config.json", HUB / "system" / "labconfig" / "page_config.json"),
        (SETTINGS / "instructor" / "jupyter_server_config.d" / "techlead-instructor.json",
         HUB / "instructor" / "jupyter_server_config.d" / "techlead-instructor.json"),
        (SETTINGS / "instructor" / "labconfig" / "page_config.json",
         HUB / "instructor" / "labconfig" / "page_config.json"),
    ]
    for ours, hub in pairs:
        assert _json(ours) == _json(hub), f"{ours.relative_to(ROOT)} differs from {hub.relative_to(ROOT)}"
    learner = _json(SETTINGS / "learner" / "jupyter_server_config.d" / "techlead-learner.json")
    assert learner["ServerApp"]["jpserver_extensions"] == {"nbgrader.server_extensions.formgrader": False}
