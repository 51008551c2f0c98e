#!/usr/bin/env python
"""Take the README's screenshots (docs/images/*.png) from the real course in JupyterLab.

Uses the browser tests' helpers (tests/browser_helpers.py): JupyterLab on a temporary copy of the
course, Debian's Chromium through Playwright (never a downloaded browser), 1280x800 pixels.

* docs/images/lesson-team-vs-technical.png: lesson 4 with a knowledge check answered (feedback shown);
* docs/images/scenario-branching.png: a branching scenario after one choice (rating, consequence,
  and the follow-up situation).

Each PNG is kept at or under 250 KB (reduced to a 256-colour palette if a capture is bigger).

    make screenshots    (or: PYTHONPATH=tests:scripts .venv/bin/python scripts/take_readme_screenshots.py [--out docs/images])
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The browser tests' helpers, from tests/ (`make screenshots` puts it on PYTHONPATH).
from course_notebooks import find_exercise
from lab_page import NotebookPage, browser_unavailable_reason, launch_browser
from lab_server import LabServer

ROOT = Path(__file__).resolve().parents[1]

LESSON = "notebooks/04_team_vs_technical_leadership.ipynb"
MAX_BYTES = 250 * 1024
VIEWPORT = {"width": 1280, "height": 800}


def fit(path: Path) -> int:
    """Keep *path* under MAX_BYTES: quantise to a palette PNG when the capture is bigger."""
    size = path.stat().st_size
    if size <= MAX_BYTES:
        return size
    from PIL import Image

    with Image.open(path) as im:
        im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path} is {size // 1024} KB even as a palette PNG (limit {MAX_BYTES // 1024} KB)")
    return size


def tidy(nb: NotebookPage) -> None:
    """Collapse the left sidebar (click its open tab, as a learner would) so the lesson has the width."""
    tab = nb.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").first
    if tab.count() and nb.page.locator("#jp-left-stack:not(.lm-mod-hidden)").count():
        tab.click()
        nb.page.wait_for_timeout(400)


def frame(nb: NotebookPage, cell: int, lift: int = 80) -> None:
    """Scroll so cell *cell* starts just under the top of the notebook, with a bit of prose above."""
    nb.scroll_to_cell(cell, settle_ms=300)
    nb.panel.locator(".jp-WindowedPanel-outer").first.evaluate(f"el => el.scrollBy(0, -{lift})")
    nb.page.wait_for_timeout(500)


def knowledge_check(nb: NotebookPage, out: Path) -> Path:
    shown = find_exercise("choice", notebooks=[LESSON]) or find_exercise("choice")
    nb.ensure_run(shown.rel)
    tidy(nb)
    root = nb.exercise(shown.cell)
    frame(nb, shown.cell)
    right = next(o for o in shown.entry["options"] if o.get("correct"))
    root.get_by_role("radio", name=right["text"], exact=True).check()
    root.get_by_role("button", name="Check").click()
    root.get_by_text("score 100%").wait_for()
    nb.page.mouse.move(0, 0)
    frame(nb, shown.cell)
    path = out / "lesson-team-vs-technical.png"
    nb.screenshot(path)
    return path


def scenario(nb: NotebookPage, out: Path) -> Path:
    def branching(entry):
        return any(a.get("next") for a in entry["situations"][entry["start"]]["actions"])

    shown = find_exercise("scenario", notebooks=[LESSON], where=branching) or find_exercise("scenario", where=branching)
    nb.ensure_run(shown.rel)
    tidy(nb)
    root = nb.exercise(shown.cell)
    frame(nb, shown.cell, lift=20)
    action = next(a for a in shown.entry["situations"][shown.entry["start"]]["actions"] if a.get("next"))
    root.get_by_role("radio", name=action["text"], exact=True).check()
    root.get_by_role("button", name="Choose").click()
    root.get_by_text("Situation 2.").wait_for()
    nb.page.mouse.move(0, 0)
    frame(nb, shown.cell, lift=20)
    path = out / "scenario-branching.png"
    nb.screenshot(path)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = ap.parse_args(argv)
    reason = browser_unavailable_reason()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with LabServer() as server, sync_playwright() as p:
        browser = launch_browser(p)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            nb = NotebookPage(page, server)
            taken = [knowledge_check(nb, args.out), scenario(nb, args.out)]
            nb.shutdown_kernel()
        finally:
            browser.close()
    for path in taken:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {fit(path) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
