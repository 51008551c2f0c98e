#!/usr/bin/env python
"""From starting JupyterLab to the first exercise widget, next to a bare JupyterLab with one widget.

Two set-ups, measured the same way in headless Chromium (Debian's chromium, never a downloaded one),
alternately, several times; the medians are printed:

* **course**: what `make lab` starts for a learner (lab-settings/learner: no formgrader) on a
  temporary copy of the course, with the bank schema cache warmed as `make install` warms it; lesson 4
  is opened, *Run → Run All Cells* is clicked, and the clock stops when its first exercise renders.
* **bare**: JupyterLab and ipywidgets alone, the same versions, in their own virtual environment
  (benchmarks/.bare-venv, built once with uv from PyPI, git-ignored), on a folder with one notebook
  whose one cell shows an ``ipywidgets.IntSlider``; same clicks, the clock stops when the slider renders.

Phases, each measured from the moment the server process starts: the server answers ``/lab``; the
notebook's cells are on the page; its kernel is idle; the first widget is rendered. The browser is
started before the clock. The machine may be shared: the load average is printed with the figures,
and only the medians and the ratio mean much. Printed, never asserted.

    make bench    (or: PYTHONPATH=tests:scripts .venv/bin/python benchmarks/bench_browser.py [--runs 5])
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import nbformat
from course_notebooks import show_cells  # tests/ (PYTHONPATH)
from lab_page import NotebookPage, browser_unavailable_reason, launch_browser
from lab_server import LabServer

from course_tools.cells import KERNELSPEC

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = "notebooks/04_team_vs_technical_leadership.ipynb"
BARE_VENV = Path(__file__).resolve().parent / ".bare-venv"
# The bare environment gets the course environment's versions of these (and whatever they require).
BARE_PACKAGES = ("jupyterlab", "jupyter_server", "ipywidgets", "jupyterlab_widgets", "ipykernel")
BARE_NOTEBOOK = "bare.ipynb"
TARGET_SECONDS = 5.0
TARGET_RATIO = 1.3
PHASES = ("server answers /lab", "notebook on the page", "kernel idle", "first widget rendered")


def bare_python() -> str:
    """The bare environment's interpreter, built on first use (a few seconds with uv's cache)."""
    python = BARE_VENV / "bin" / "python"
    # Compiled at install, as the course's own environment is (Makefile), so the two start alike.
    pins = [f"{name}=={metadata.version(name)}" for name in BARE_PACKAGES] + ["--compile-bytecode"]
    stamp = BARE_VENV / ".pins"
    if python.exists() and stamp.exists() and stamp.read_text() == "\n".join(pins):
        return str(python)
    uv = Path(sys.executable).with_name("uv")
    uv_cmd = [str(uv)] if uv.exists() else [sys.executable, "-m", "uv"]
    print(f"building the bare environment in {BARE_VENV} ({', '.join(pins)}) ...", flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([*uv_cmd, "venv", "--quiet", "--clear", "--python", base, str(BARE_VENV)], check=True)
    subprocess.run([*uv_cmd, "pip", "install", "--quiet", "--python", str(python), *pins], check=True)
    stamp.write_text("\n".join(pins))
    return str(python)


def bare_root(dest: Path) -> Path:
    """A folder with one notebook whose one cell shows one ipywidgets widget."""
    dest.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as widgets\nwidgets.IntSlider(description='x')")]
    nbformat.write(nb, dest / BARE_NOTEBOOK)
    return dest


def one_run(browser, setup: str, rel: str, cache_home: Path) -> dict[str, float]:
    """One cold start of one set-up; seconds since the server process started, per phase."""
    if setup == "course":
        server = LabServer(role="learner")
        first = min(show_cells(ROOT / rel), default=None)
        target_of = (lambda nb: nb.exercise(first)) if first is not None else (
            lambda nb: nb.page.locator(".techlead-ex").first)
        notebook = rel
    else:
        server = LabServer(role=None, python=bare_python(), make_root=bare_root)
        target_of = (lambda nb: nb.panel.locator(".jp-OutputArea-output .widget-slider").first)
        notebook = BARE_NOTEBOOK
    old_cache = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache_home)  # the warmed cache, as after `make install`
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    marks: dict[str, float] = {}
    try:
        page = context.new_page()
        page.set_default_timeout(180_000)
        server.start()
        t0 = server.started_at
        marks[PHASES[0]] = server.ready_after
        nb = NotebookPage(page, server)
        nb.rel = notebook
        page.goto(f"{server.url}/lab/tree/{notebook}?reset", wait_until="domcontentloaded")
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for()
        marks[PHASES[1]] = time.perf_counter() - t0
        nb.wait_idle()
        marks[PHASES[2]] = time.perf_counter() - t0
        nb.menu("Run", "runmenu:run-all")
        target_of(nb).wait_for(state="attached")
        marks[PHASES[3]] = time.perf_counter() - t0
    finally:
        context.close()
        server.stop()
        if old_cache is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = old_cache
    return marks


def load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lesson", default=DEFAULT, help=f"notebook under the course root (default {DEFAULT})")
    ap.add_argument("--runs", type=int, default=5, help="runs of each set-up, alternating (default 5)")
    args = ap.parse_args(argv)
    reason = browser_unavailable_reason()
    if reason:
        print(f"skipped: {reason}")
        return 0
    from playwright.sync_api import sync_playwright

    bare_python()
    runs: dict[str, list[dict[str, float]]] = {"course": [], "bare": []}
    load_before = load()
    with tempfile.TemporaryDirectory(prefix="techlead-bench-cache-") as cache, sync_playwright() as p:
        cache_home = Path(cache)
        # what `make install` does once: validate the banks, so show() finds them in the cache
        subprocess.run([sys.executable, "-c", "from exercises.banks import load_all; load_all()"], check=True,
                       env=dict(os.environ, XDG_CACHE_HOME=str(cache_home)))
        browser = launch_browser(p)
        try:
            for i in range(max(1, args.runs)):
                for setup in ("course", "bare") if i % 2 == 0 else ("bare", "course"):
                    runs[setup].append(one_run(browser, setup, args.lesson, cache_home))
        finally:
            browser.close()
    med = {s: {ph: statistics.median(r[ph] for r in rs) for ph in PHASES} for s, rs in runs.items()}
    n = len(runs["course"])
    print(f"JupyterLab start → first widget: course ({args.lesson}, learner view) vs bare JupyterLab + one "
          f"ipywidgets slider; median of {n} alternating runs each, seconds since the server process started")
    print(f"load average (1/5/15 min) before: {load_before}, after: {load()} (2 cores: above 2 the machine is busy)")
    print(f"  {'phase':<24} {'course':>8} {'bare':>8} {'course - bare':>14}")
    for ph in PHASES:
        print(f"  {ph:<24} {med['course'][ph]:8.2f} {med['bare'][ph]:8.2f} {med['course'][ph] - med['bare'][ph]:+14.2f}")
    first = PHASES[-1]
    ratio = med["course"][first] / med["bare"][first]
    print(f"  first widget, every run: course {', '.join(f'{r[first]:.1f}' for r in runs['course'])}; "
          f"bare {', '.join(f'{r[first]:.1f}' for r in runs['bare'])}")
    print(f"ratio course / bare (first widget): {ratio:.2f}x (target <= {TARGET_RATIO}x): "
          f"{'OK' if ratio <= TARGET_RATIO else 'SLOWER THAN TARGET'}")
    print(f"course first widget: {med['course'][first]:.2f} s (target <= {TARGET_SECONDS:.0f} s on a quiet machine): "
          f"{'OK' if med['course'][first] <= TARGET_SECONDS else 'SLOWER THAN TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
