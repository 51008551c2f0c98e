"""The browser side: Debian's Chromium through Playwright, and one notebook open in JupyterLab.

* :func:`launch_browser` starts the system Chromium (never a downloaded browser);
* :class:`NotebookPage` opens a notebook, runs all its cells from the *Run* menu, waits for the
  kernel, and reads what the page shows (errors, exercise widgets).

The server side is lab_server.py.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from lab_server import LabServer

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")

# What the page shows (JupyterLab 4 + ipywidgets 8).
IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
STDERR_OUTPUT = (".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
                 ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
KERNEL_IDLE_JS = """() => {
    const ind = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']");
    const bar = [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')]
        .map(e => e.textContent.trim());
    return !!ind && bar.some(t => /\\| Idle$/.test(t) && !/^No Kernel/.test(t));
}"""
ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"


# --------------------------------------------------------------------------------------- finding the browser
def chromium_path() -> str | None:
    """Debian's Chromium (or $TECHLEAD_CHROMIUM), or None when there is none."""
    env = os.environ.get("TECHLEAD_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for cand in CHROMIUM_CANDIDATES:
        if Path(cand).exists():
            return cand
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_unavailable_reason() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return ("Chromium is not installed (Debian/Ubuntu: apt-get install chromium); "
                "the browser tests never download a browser")
    return None


# --------------------------------------------------------------------------------------- the browser
def launch_browser(playwright):
    """Debian's Chromium, headless, through Playwright (no browser download, ever)."""
    path = chromium_path()
    if path is None:
        raise RuntimeError(browser_unavailable_reason())
    return playwright.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))


@dataclass
class Problems:
    errors: list[str]
    stderr: list[str]
    broken_widgets: list[str]

    def __bool__(self) -> bool:
        return bool(self.errors or self.stderr or self.broken_widgets)


class NotebookPage:
    """One notebook open in JupyterLab, in a Playwright page."""

    def __init__(self, page, server: LabServer):
        self.page = page
        self.server = server
        self.rel = ""
        self._ran = False
        # JupyterLab asks before leaving a page with unsaved changes: always leave.
        page.on("dialog", lambda dialog: dialog.accept())

    # ---------------------------------------------------------------- opening and running
    def open(self, rel: str, timeout: float = 90_000) -> "NotebookPage":
        """Open *rel* (path under the course root) with nothing else open; wait for an idle kernel.

        Where the page already shows this server's JupyterLab and the server exposes the app
        (``LabServer.expose_app``), every open document is closed (dropped, as a reload would drop
        unsaved changes) and *rel* opened in the same page; otherwise JupyterLab is loaded afresh on
        *rel* with a reset workspace. Either way the notebook's kernel session is the server's, as
        before: reopening a notebook reconnects to its running kernel."""
        self.rel = rel
        self._ran = False
        if not self._open_in_page(rel):
            self.page.goto(f"{self.server.url}/lab/tree/{rel}?reset", wait_until="domcontentloaded")
        name = Path(rel).name
        self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout)
        self.page.locator(".lm-TabBar-tab.lm-mod-current", has_text=name).first.wait_for(timeout=timeout)
        self.wait_idle(timeout)
        return self

    def _open_in_page(self, rel: str) -> bool:
        if not self.page.url.startswith(f"{self.server.url}/lab"):
            return False
        return self.page.evaluate(
            """async (path) => {
                const app = window.jupyterapp;
                if (!app || !app.shell || !app.commands) return false;
                for (const widget of Array.from(app.shell.widgets('main'))) widget.dispose();
                await app.commands.execute('docmanager:open', {path});
                return true;
            }""", rel)

    def reload(self, timeout: float = 90_000) -> "NotebookPage":
        """Reload the browser page (as a learner pressing F5) and wait for the notebook and its kernel."""
        self._ran = False
        self.page.reload(wait_until="domcontentloaded")
        self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout)
        self.wait_idle(timeout)
        return self

    def responses(self) -> dict:
        """The open notebook's responses.json in the server's course copy ({} when none yet)."""
        path = self.server.root / Path(self.rel).parent / "responses.json"
        if not path.exists():
            return {}
        return json.loads(path.read_text(encoding="utf-8")).get("responses", {})

    @property
    def panel(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").last

    def wait_idle(self, timeout: float = 90_000) -> None:
        """Wait for a connected, idle kernel.

        The toolbar's execution indicator alone says "idle" for a moment before the kernel exists
        (while the status bar says "No Kernel | Initializing"), so the status bar must agree too."""
        self.page.locator(IDLE).first.wait_for(state="attached", timeout=timeout)
        self.page.wait_for_function(KERNEL_IDLE_JS, timeout=timeout, polling=200)

    def menu(self, top: str, command: str) -> None:
        """Open main-menu *top* and click the entry for *command*, e.g. ``menu("Run", "notebook:run-all-cells")``."""
        self.page.locator(".lm-MenuBar-item", has_text=top).first.click()
        entry = self.page.locator(f".lm-Menu .lm-Menu-item[data-command='{command}']:not(.lm-mod-disabled)").first
        entry.wait_for(timeout=10_000)
        entry.click()

    def code_cell_count(self) -> int:
        return self.panel.locator(".jp-CodeCell").count()

    def run_all(self, timeout: float = 180_000, *, every_cell: bool = False) -> float:
        """Run → Run All Cells, then wait until every code cell has run and the kernel is idle.

        ``every_cell``: wait for every cell even when some show an error (cells tagged
        ``raises-exception`` do not stop Run All). Returns the seconds it took."""
        t0 = time.perf_counter()
        self.menu("Run", "runmenu:run-all")
        self.wait_all_run(timeout, every_cell=every_cell)
        return time.perf_counter() - t0

    def wait_all_run(self, timeout: float = 180_000, *, every_cell: bool = False) -> None:
        self.page.wait_for_function(
            """() => {
                const panels = [...document.querySelectorAll('.jp-NotebookPanel')]
                    .filter(p => !p.classList.contains('lm-mod-hidden'));
                const panel = panels[panels.length - 1];
                if (!panel) return false;
                const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
                if (!prompts.length) return true;
                const done = prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
                const busy = prompts.some(p => p.textContent.includes('[*]'));
                // Run All stops at a cell that raised: then the rest never runs, so stop waiting
                const failed = [...panel.querySelectorAll(%s)]
                    .some(o => /Traceback|Error/.test(o.textContent));
                const idle = (%s)();
                return (done || (failed && !busy && !%s)) && idle;
            }""" % (json.dumps(STDERR_OUTPUT), KERNEL_IDLE_JS, json.dumps(every_cell)),
            timeout=timeout, polling=250,
        )

    def wait_widgets_settled(self, timeout: float = 30_000) -> None:
        """Wait until no output says "Loading widget..." any more."""
        self.page.wait_for_function(
            """() => ![...document.querySelectorAll('.jp-OutputArea-output')]
                       .some(o => /Loading widget/.test(o.textContent))""",
            timeout=timeout, polling=250)

    # ---------------------------------------------------------------- reading the page
    def problems(self) -> Problems:
        """What the open notebook shows that a learner should never see.

        JupyterLab 4 renders an exception's traceback as stderr text, so ``errors`` are the stderr
        outputs that report an exception (plus any legacy error output) and ``stderr`` the rest."""
        data = self.panel.evaluate(
            """(panel, sel) => {
                const text = el => (el.innerText || el.textContent || '').trim();
                const err = [...panel.querySelectorAll(sel.stderr)].map(text);
                const errors = [...panel.querySelectorAll(sel.error)].map(text)
                    .concat(err.filter(t => /Traceback|Error\b/.test(t)));
                const stderr = err.filter(t => !/Traceback|Error\b/.test(t));
                const broken = [...panel.querySelectorAll('.jp-OutputArea-output')].map(text)
                    .filter(t => /Error displaying widget|Loading widget|Failed to load model/.test(t));
                return {errors, stderr, broken};
            }""",
            {"error": ERROR_OUTPUT, "stderr": STDERR_OUTPUT},
        )
        return Problems(data["errors"], data["stderr"], data["broken"])

    def widget_counts(self) -> list[dict]:
        """Per cell (DOM order = notebook order): widget outputs, and those rendered (a live widget root)."""
        return self.panel.evaluate(
            """panel => [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].map((cell, i) => {
                const bad = /Error displaying widget|Loading widget|Failed to load model|model not found/;
                const outs = [...cell.querySelectorAll('.jp-OutputArea-output')].filter(o =>
                    o.querySelector(':scope > .jupyter-widgets') || bad.test(o.textContent));
                const rendered = outs.filter(o =>
                    o.querySelector(':scope > .jupyter-widgets:not(.widget-error)') && !bad.test(o.textContent));
                const exercises = rendered.filter(o => o.querySelector(':scope > .techlead-ex'));
                return {index: i, code: cell.classList.contains('jp-CodeCell'), widget_outputs: outs.length,
                        rendered: rendered.length, exercises: exercises.length};
            })""")

    def cell(self, index: int):
        """The *index*-th cell (among all cells, as in the .ipynb)."""
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(index)

    def scroll_to_cell(self, index: int, settle_ms: int = 500) -> None:
        """Bring cell *index* to the top of the notebook view and let it paint (cells off screen are
        skipped by the browser's content-visibility until then)."""
        cell = self.cell(index)
        for _ in range(3):
            cell.evaluate("el => el.scrollIntoView({block: 'start'})")
            self.page.wait_for_timeout(settle_ms)
            box = cell.bounding_box()
            if box and 0 <= box["y"] < self.page.viewport_size["height"] - 100:
                return

    def exercise(self, index: int):
        """The exercise widget root in cell *index*."""
        return self.cell(index).locator(".techlead-ex").first

    def screenshot(self, path: Path, full_page: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)

    def shutdown_kernel(self, rel: str | None = None) -> int:
        """Close the kernel of notebook *rel* (default: the open one) through the REST API
        (DELETE /api/sessions/<id>, which ends its kernel). Returns how many sessions were closed."""
        return self.server.shutdown_kernels_of(rel or self.rel)

    def ensure_run(self, rel: str) -> "NotebookPage":
        """Open *rel* and run all its cells, unless that is what the page already shows."""
        if self.rel == rel and self._ran:
            return self
        if self.rel and self.rel != rel:
            self.shutdown_kernel(self.rel)
        self.open(rel)
        self.run_all()
        self.wait_widgets_settled()
        self._ran = True
        return self
