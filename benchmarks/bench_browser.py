#!/usr/bin/env python
"""How long from starting JupyterLab to the first exercise widget on screen, in a real browser?

Measured the way a learner meets it: start JupyterLab on a temporary copy of the course (the same
helper the browser tests use), open a lesson in headless Chromium, wait for its kernel, click
Run → Run All Cells, and stop the clock when the first exercise widget is rendered. Each phase is
printed. Printed, not asserted; needs Debian's chromium and the playwright package (never downloads
a browser).

    python benchmarks/bench_browser.py [--lesson notebooks/04_team_vs_technical_leadership.ipynb] [--runs 1]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import (LabServer, NotebookPage, browser_unavailable_reason, launch_browser,  # noqa: E402
                             show_cells)

DEFAULT = "notebooks/04_team_vs_technical_leadership.ipynb"


def one_run(rel: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    marks: dict[str, float] = {}
    with sync_playwright() as p:
        browser = launch_browser(p)         # the browser is up before the clock starts
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            t0 = time.perf_counter()
            with LabServer() as server:
                marks["server ready"] = time.perf_counter() - t0
                nb = NotebookPage(page, server)
                nb.open(rel)
                marks["lesson open, kernel idle"] = time.perf_counter() - t0
                nb.menu("Run", "runmenu:run-all")
                first = min(show_cells(ROOT / rel), default=None)
                target = nb.exercise(first) if first is not None else page.locator(".techlead-ex").first
                target.wait_for(state="attached", timeout=180_000)
                marks["first exercise widget rendered"] = time.perf_counter() - t0
                nb.wait_all_run()
                marks["all cells run"] = time.perf_counter() - t0
                nb.shutdown_kernel(rel)
        finally:
            browser.close()
    return marks


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lesson", default=DEFAULT, help=f"notebook under the course root (default {DEFAULT})")
    ap.add_argument("--runs", type=int, default=1, help="repeat and report the best (default 1)")
    args = ap.parse_args(argv)
    reason = browser_unavailable_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    runs = [one_run(args.lesson) for _ in range(max(1, args.runs))]
    best = min(runs, key=lambda m: m["first exercise widget rendered"])
    print(f"JupyterLab start → first widget in {args.lesson} (best of {len(runs)}):")
    for name, seconds in best.items():
        print(f"  {name:<34} {seconds:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
