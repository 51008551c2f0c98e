"""The instructor's view: nbgrader's formgrader, served by the same JupyterLab, lists the course's assignments.

The session's course copy holds nbgrader_config.py and source/ (see browser_helpers.copy_course), so
the formgrader reads the course exactly as an instructor running `make lab` in the repository would.
"""
from __future__ import annotations

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
