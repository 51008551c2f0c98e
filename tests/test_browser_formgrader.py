"""The instructor's view: nbgrader's formgrader, served by the same JupyterLab.

The session's course copy holds nbgrader_config.py and source/ (see browser_helpers.copy_course), so
the formgrader reads the course exactly as an instructor running `make lab` in the repository would:
it lists the course's assignments, and its own *Autograde* button grades a submission in the grading
sandbox (course_tools/sandbox.py, configured in nbgrader_config.py), so a submission that cheats
(tests/adversarial_helpers.py) gets the score the honest rules give and changes nothing outside it.
"""
from __future__ import annotations

import sys

import pytest

pytest.register_assert_rewrite("browser_helpers")
from browser_helpers import ROOT, SCREENSHOTS  # noqa: E402

pytest_plugins = ["browser_helpers"]
pytestmark = pytest.mark.browser


def source_assignments() -> list[str]:
    """Assignment folders in source/ (each holds at least one notebook)."""
    src = ROOT / "source"
    if not src.is_dir():
        return []
    return sorted(d.name for d in src.iterdir() if d.is_dir() and any(d.glob("*.ipynb")))


def test_formgrader_lists_the_assignments(lab):
    """/formgrader opens on Manage Assignments and shows a row for every assignment in source/."""
    from playwright.sync_api import expect

    assignments = source_assignments()
    page = lab.page
    lab.rel, lab._ran = "", False   # the page leaves JupyterLab: the next test reopens its notebook
    page.goto(f"{lab.server.url}/formgrader", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Manage Assignments").first).to_be_visible(timeout=60_000)
    # the table is filled by an API call (nbgrader creates its gradebook on first use)
    page.wait_for_function("() => !document.body.innerText.includes('Loading, please wait')", timeout=90_000)
    page.screenshot(path=str(SCREENSHOTS / "formgrader.png"))
    if not assignments:
        pytest.skip("source/ has no assignment yet: the formgrader page loads, nothing to list")
    rows = page.locator("table tbody tr")
    listed = {r.split("\t")[0].strip() for r in rows.all_inner_texts()}
    missing = [a for a in assignments if a not in listed]
    assert not missing, f"assignments in source/ that the formgrader does not list: {missing} (listed: {listed})"


# ------------------------------------------------------------------------- a cheat, autograded by hand
CHEAT_AID = "a1-foundations"   # not a2: test_browser_authoring changes a2's source in the session's course
SUBPROCESS_CHEAT = '''
# read the keys another way: a relative path to source/, then a shell command
for path in ["../../../source/{aid}/{aid}.ipynb", "../../source/{aid}/{aid}.ipynb"]:
    try:
        print("READ", len(open(path).read()), "characters of", path)
    except OSError as exc:
        print("cannot read", path, type(exc).__name__)
import subprocess
print(subprocess.run(["cat", {course!r} + "/source/{aid}/{aid}.ipynb"], capture_output=True, text=True).stdout[:500])
'''


def _cheats(course, outside):
    """Two cheating submissions of CHEAT_AID: one reads keys (files, a subprocess) and writes the
    gradebook, one redefines the course's helpers in sys.modules."""
    from nbformat.v4 import new_code_cell

    from adversarial_helpers import WRITE_GRADEBOOK, attack

    keys = attack(CHEAT_AID, "read-key", course, outside)
    fmt = {"course": str(course), "aid": CHEAT_AID}
    first = next(i for i, c in enumerate(keys.cells) if c.get("id") == "learner-0")
    extra = [new_code_cell(SUBPROCESS_CHEAT.format(**fmt).strip()), new_code_cell(WRITE_GRADEBOOK.format(**fmt).strip())]
    for n, cell in enumerate(extra):
        cell["id"] = f"learner-extra-{n}"
    keys.cells[first:first] = extra
    return {"cheat-keys": keys, "cheat-modules": attack(CHEAT_AID, "patched-modules", course, outside)}


def _autograde_in_formgrader(page, url: str, student: str) -> str:
    """Manage Submissions → the student's row → nbgrader's Autograde button; returns the log."""
    import re

    page.goto(f"{url}/formgrader/manage_submissions/{CHEAT_AID}", wait_until="domcontentloaded")
    row = page.locator("table tbody tr").filter(
        has=page.locator("td.student-id", has_text=re.compile(rf"^\s*{re.escape(student)}\s*$")))
    row.locator("td.autograde a").wait_for(timeout=120_000)
    row.locator("td.autograde a").click()
    # the formgrader grades in its own process; on a busy machine that is slow
    modal = page.locator("#success-modal, #error-modal").first
    modal.wait_for(state="visible", timeout=900_000)
    body = modal.locator(".modal-body").inner_text()
    assert modal.get_attribute("id") == "success-modal", body[-4000:]
    modal.locator("button.close").first.click()
    modal.wait_for(state="detached", timeout=30_000)
    return body


@pytest.mark.nbgrader
@pytest.mark.slow
@pytest.mark.timeout(2400)
@pytest.mark.skipif(sys.platform != "linux", reason="the grading sandbox is Linux-only")
def test_formgrader_autogrades_cheating_submissions_in_the_sandbox(lab, tmp_path):
    """When the instructor presses Autograde in the formgrader for submissions that read the keys,
    write the gradebook or patch the course's helpers, does the formgrader show the honest score (0),
    the notebook view the sandbox's plain message, and are the gradebook and source/ untouched?"""
    import re
    import sqlite3

    from playwright.sync_api import expect

    from adversarial_helpers import outputs_text, tree_digest
    from nbgrader_helpers import (auto_points, gradebook_scores, manual_points, nbgrader, put_submission,
                                  read_nb, source_nb)

    course, url, page = lab.server.root, lab.server.url, lab.page
    total = auto_points(source_nb(CHEAT_AID)) + manual_points(source_nb(CHEAT_AID))
    lab.rel, lab._ran = "", False   # the page leaves JupyterLab: the next test reopens its notebook
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "home-file.txt").write_text("a file in someone's home folder")
    nbgrader(course, "generate_assignment", CHEAT_AID, "--force", exchange=tmp_path / "exchange", timeout=900)
    cheats = _cheats(course, outside)
    for student, nb in cheats.items():
        put_submission(course, student, CHEAT_AID, nb)
    kept = ("source", "release", "submitted", "nbgrader_config.py")
    before = {k: v for k, v in tree_digest(course).items() if k.split("/")[0] in kept}
    outside_before = tree_digest(outside)

    for student in cheats:
        log = _autograde_in_formgrader(page, url, student)
        assert "WITHOUT the sandbox" not in log, log[-3000:]
        row = page.locator("table tbody tr").filter(has=page.locator("td.student-id", has_text=student))
        expect(row.locator("td.score")).to_have_text(f"0 / {total:g}", timeout=60_000)
        expect(row.locator("td.status")).to_contain_text("needs manual grading")
    page.screenshot(path=str(SCREENSHOTS / "formgrader-cheats-autograded.png"))

    # the notebook view of the key reader: the instructor follows the formgrader's own links
    row = page.locator("table tbody tr").filter(has=page.locator("td.student-id", has_text="cheat-keys"))
    row.locator("td.student-name a").click()
    link = page.locator("td.name a", has_text=CHEAT_AID).first
    link.wait_for(timeout=60_000)
    link.click()
    page.wait_for_load_state("domcontentloaded")
    shown = page.locator("body")
    expect(shown).to_contain_text("the notebook tried to start another process, which grading does not allow",
                                  timeout=120_000)
    expect(shown).to_contain_text("KEYS FOUND: 0")
    expect(shown).to_contain_text("cannot read ../../../source/")
    outputs = "\n".join(page.locator(".output_wrapper").all_inner_texts())   # the cells' outputs only
    assert "the notebook tried to start another process" in outputs and "KEYS FOUND: 0" in outputs
    # (tracebacks quote the cells' code, so look for what the cheats print on a line of its own)
    assert not re.search(r"^GRADEBOOK (WRITTEN|CLOBBERED)$", outputs, re.M), outputs[-3000:]
    assert not re.search(r"^READ \d+ characters", outputs, re.M), outputs[-3000:]   # no read of source/
    page.screenshot(path=str(SCREENSHOTS / "formgrader-cheat-notebook.png"))

    # the gradebook: sound, the honest scores, nothing the cheats wrote; source/, release/, the
    # submissions and a folder outside the course unchanged
    scores = gradebook_scores(course, CHEAT_AID)
    for student in cheats:
        assert scores[student]["auto"] == 0, scores[student]
    con = sqlite3.connect(course / "gradebook.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "techlead") as gb:
        for student in cheats:
            grades = [g for nb in gb.find_submission(CHEAT_AID, student).notebooks for g in nb.grades]
            assert grades and all(g.manual_score is None for g in grades), student
    after = {k: v for k, v in tree_digest(course).items() if k.split("/")[0] in kept}
    assert after == before
    assert tree_digest(outside) == outside_before and not (course / "planted.txt").exists()
    graded = read_nb(course / "autograded" / "cheat-keys" / CHEAT_AID / f"{CHEAT_AID}.ipynb")
    assert "KEYS FOUND: 0" in outputs_text(graded)
