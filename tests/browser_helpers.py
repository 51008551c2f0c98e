"""Drive the course in a real JupyterLab with headless Chromium (Playwright).

Shared by the browser tests (tests/test_browser_*.py), the README screenshot script
(scripts/take_readme_screenshots.py) and the browser benchmark (benchmarks/bench_browser.py):

* :class:`LabServer` copies the course to a temporary folder and runs JupyterLab there
  (127.0.0.1, a free port, no token, JupyterLab's news notification switched off by configuration,
  Jupyter's config and runtime folders inside the temporary folder), and stops it again;
* :func:`launch_browser` starts Debian's Chromium through Playwright (never a downloaded browser);
* :class:`NotebookPage` opens a notebook, runs all its cells from the *Run* menu, waits for the
  kernel, and reads what the page shows (errors, exercise widgets).

Nothing here touches the repository: every run works on a copy.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))

from notebook_runner import course_copy  # noqa: E402

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
NEWS_OFF = {"fetchNews": "false", "checkForUpdates": False}
DEMO = "exercises/examples/demo.ipynb"
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


# --------------------------------------------------------------------------------------- finding things
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------- the course
@dataclass(frozen=True)
class LessonFile:
    label: str   # test id, e.g. "04_team_vs_technical_leadership"
    rel: str     # path relative to the course root, e.g. "notebooks/04_....ipynb"


def lesson_files() -> list[LessonFile]:
    """index.ipynb, then every lesson and extra notebook of exercises/course.yaml that exists, in course order."""
    from coursemap import load_course

    found = [LessonFile("index", "notebooks/index.ipynb")] if (ROOT / "notebooks/index.ipynb").exists() else []
    course = load_course()
    files = [lesson.file for lesson in course["lesson_list"]]
    files += [extra["file"] for extra in course.get("extras", []) or [] if extra.get("file")]
    for name in files:
        if (ROOT / "notebooks" / name).exists():
            found.append(LessonFile(name.removesuffix(".ipynb"), f"notebooks/{name}"))
    return found


def _show_call(source: str):
    """The exercise id when *source* is exactly one ``show("...")`` call (other args allowed), else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    body = tree.body
    if (len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call)
            and getattr(body[0].value.func, "id", None) == "show" and body[0].value.args
            and isinstance(body[0].value.args[0], ast.Constant)):
        return body[0].value.args[0].value
    return None


def show_cells(path: Path) -> dict[int, str]:
    """``{cell index: exercise id}`` for the code cells whose source is one ``show("...")`` call."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    found = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            ex_id = _show_call(cell.source)
            if ex_id:
                found[i] = ex_id
    return found


def bank_entries() -> dict[str, dict]:
    """Every exercise of every bank (exercises/banks/*.yaml), by full id ``<bank>/<id>``."""
    import yaml

    index = {}
    for path in sorted((ROOT / "exercises" / "banks").glob("*.yaml")):
        bank = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in bank.get("exercises", []):
            index[f"{bank.get('bank', path.stem)}/{entry['id']}"] = entry
    return index


@dataclass(frozen=True)
class ShownExercise:
    rel: str          # notebook path under the course root
    cell: int         # cell index in the notebook
    exercise_id: str
    entry: dict = field(hash=False, compare=False)

    @property
    def kind(self) -> str:
        return self.entry.get("kind", "")


def find_exercise(kind: str, notebooks: list[str] | None = None, where=None) -> ShownExercise | None:
    """The first exercise of *kind* shown in *notebooks* (default: the demo notebook, then the lessons),
    optionally also satisfying ``where(entry)``."""
    if notebooks is None:
        notebooks = [DEMO] + [lf.rel for lf in lesson_files()]
    banks = bank_entries()
    for rel in notebooks:
        path = ROOT / rel
        if not path.exists():
            continue
        for cell, ex_id in show_cells(path).items():
            entry = banks.get(ex_id)
            if entry and entry.get("kind") == kind and not entry.get("graded") and (where is None or where(entry)):
                return ShownExercise(rel, cell, ex_id, entry)
    return None


def copy_course(dest: Path) -> Path:
    """Copy what the course needs at run time into *dest* (returns *dest*, the server's root).

    notebooks/ and exercises/data/ (as the notebook tests do), the demo notebook(s) in
    exercises/examples/, and the instructor side for the formgrader: nbgrader_config.py and source/.
    """
    dest.mkdir(parents=True, exist_ok=True)
    course_copy(dest)
    ignore = shutil.ignore_patterns("responses.json*", ".responses.json*", "my_development_plan.*", ".ipynb_checkpoints",
                                    "__pycache__", "*.lock")
    examples = ROOT / "exercises" / "examples"
    if examples.is_dir():
        shutil.copytree(examples, dest / "exercises" / "examples", ignore=ignore)
    if (ROOT / "nbgrader_config.py").exists():
        shutil.copy2(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    if (ROOT / "source").is_dir():
        shutil.copytree(ROOT / "source", dest / "source", ignore=ignore)
    return dest


# --------------------------------------------------------------------------------------- the server
@dataclass
class LabServer:
    """JupyterLab on a temporary copy of the course. Use as a context manager, or start()/stop()."""

    workdir: Path | None = None
    startup_timeout: float = 90.0
    port: int = 0
    proc: subprocess.Popen | None = None
    root: Path | None = None
    started_at: float = 0.0
    ready_after: float = 0.0
    _own_tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _write_config(self, base: Path) -> dict[str, str]:
        settings = base / "settings"
        notif = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notif.parent.mkdir(parents=True, exist_ok=True)
        notif.write_text(json.dumps(NEWS_OFF, indent=2), encoding="utf-8")
        for sub in ("config", "runtime", "workspaces", "exchange"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        # The Jupyter Server config the course installs for learners (make install, postBuild, the Hub):
        # lessons are saved without widget outputs. Taken from the repository, not from the venv.
        shutil.copy2(ROOT / "lab-settings" / "jupyter_server_config.json", base / "config" / "jupyter_server_config.json")
        env = dict(os.environ)
        env.update({
            "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "TECHLEAD_EXCHANGE": str(base / "exchange"),
            "TECHLEAD_LEARNER": os.environ.get("TECHLEAD_LEARNER", "browser-test"),
            "PYTHONUNBUFFERED": "1",
        })
        # The environment's own tools first (nbgrader runs `alembic` to create its gradebook), as an
        # activated virtual environment would have them, even when pytest runs as .venv/bin/python.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env.pop("JUPYTER_TOKEN", None)
        env.pop("TECHLEAD_RESPONSES", None)  # answers go to responses.json beside each notebook copy
        return env

    def start(self) -> "LabServer":
        if self.workdir is None:
            self._own_tmp = tempfile.TemporaryDirectory(prefix="techlead-lab-")
            self.workdir = Path(self._own_tmp.name)
        base = Path(self.workdir)
        self.root = copy_course(base / "course")
        env = self._write_config(base)
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={base / 'settings'}",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
            "--LabApp.news_url=",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log_path = base / "jupyterlab.log"
        self._log = open(self.log_path, "wb")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.ready_after = time.perf_counter() - self.started_at
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as resp:
                    if resp.status == 200:
                        with urllib.request.urlopen(f"{self.url}/lab", timeout=10) as lab:
                            if lab.status == 200:
                                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"JupyterLab did not answer within {self.startup_timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    # REST helpers. No token: the server runs without authentication on 127.0.0.1, but it still
    # checks the XSRF cookie on changes, so requests carry the cookie /lab sets, as a browser does.
    def api(self, method: str, path: str, body: dict | None = None):
        import http.cookiejar

        if getattr(self, "_opener", None) is None:
            jar = http.cookiejar.CookieJar()
            self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            self._opener.open(f"{self.url}/lab", timeout=20).read()
            self._xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", "X-XSRFToken": self._xsrf})
        with self._opener.open(req, timeout=20) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def kernels(self) -> list[dict]:
        return self.api("GET", "/api/kernels") or []

    def shutdown_all_kernels(self) -> int:
        """Close every session and kernel (DELETE /api/sessions/…, /api/kernels/…). Returns the count."""
        n = 0
        for sess in self.api("GET", "/api/sessions") or []:
            try:
                self.api("DELETE", f"/api/sessions/{sess['id']}")
                n += 1
            except urllib.error.HTTPError:
                pass
        for kernel in self.kernels():
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
                n += 1
            except urllib.error.HTTPError:
                pass
        return n

    def shutdown_kernels_of(self, rel: str) -> int:
        n = 0
        for sess in self.api("GET", "/api/sessions") or []:
            if sess.get("path") == rel or sess.get("notebook", {}).get("path") == rel:
                try:
                    self.api("DELETE", f"/api/sessions/{sess['id']}")
                    n += 1
                except urllib.error.HTTPError:
                    pass
        return n

    def stop(self) -> None:
        """Stop the server (its whole process group) and its kernels, even after a failure."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            # Kernels run in sessions of their own: end them through the server first (best effort;
            # the server also shuts its kernels down on SIGTERM, and ipykernel exits when orphaned).
            try:
                self.shutdown_all_kernels()
            except Exception:
                pass
            try:
                pgid = os.getpgid(proc.pid)
            except ProcessLookupError:
                pgid = None
            if pgid is not None:
                try:
                    os.killpg(pgid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                if pgid is not None:
                    try:
                        os.killpg(pgid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                proc.wait(timeout=10)
            # anything else the server started in its process group goes too
            if pgid is not None:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self._own_tmp is not None:
            self._own_tmp.cleanup()
            self._own_tmp = None

    def __enter__(self) -> "LabServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


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
        """Open *rel* (path under the course root) in a fresh workspace; wait for an idle kernel."""
        self.rel = rel
        self._ran = False
        self.page.goto(f"{self.server.url}/lab/tree/{rel}?reset", wait_until="domcontentloaded")
        name = Path(rel).name
        self.page.locator(f".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout)
        self.page.locator(".lm-TabBar-tab.lm-mod-current", has_text=name).first.wait_for(timeout=timeout)
        self.wait_idle(timeout)
        return self

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

    def run_all(self, timeout: float = 180_000) -> float:
        """Run → Run All Cells, then wait until every code cell has run and the kernel is idle.

        Returns the seconds it took."""
        t0 = time.perf_counter()
        self.menu("Run", "runmenu:run-all")
        self.wait_all_run(timeout)
        return time.perf_counter() - t0

    def wait_all_run(self, timeout: float = 180_000) -> None:
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
                return (done || (failed && !busy)) && idle;
            }""" % (json.dumps(STDERR_OUTPUT), KERNEL_IDLE_JS),
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


def cell_of_exercise(path: Path, exercise_id: str) -> int:
    """The index of the cell that holds ``show("<exercise_id>")`` in notebook *path*."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (f'"{exercise_id}"' in cell.source or f"'{exercise_id}'" in cell.source):
            return i
    raise LookupError(f"{exercise_id} is not shown in {path}")


SCREENSHOTS = ROOT / "screenshots"


# --------------------------------------------------------------------------------------- pytest fixtures
# Test modules load these with ``pytest_plugins = ["browser_helpers"]``, so the whole session shares
# one JupyterLab server, one browser and one page.
try:
    import pytest
except ImportError:  # the screenshot script and the benchmark run without pytest
    pytest = None

if pytest is not None:

    def _require_browser() -> None:
        reason = browser_unavailable_reason()
        if reason is None:
            return
        if IN_CI:
            pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason)

    @pytest.fixture(scope="session")
    def lab_server(tmp_path_factory):
        """JupyterLab on a temporary copy of the course (stopped at the end, even on failure)."""
        _require_browser()
        server = LabServer(workdir=tmp_path_factory.mktemp("jupyterlab"))
        server.start()
        try:
            yield server
        finally:
            server.stop()

    @pytest.fixture(scope="session")
    def chromium(lab_server, playwright_instance):
        browser = launch_browser(playwright_instance)
        try:
            yield browser
        finally:
            browser.close()

    @pytest.fixture(scope="session")
    def lab(chromium, lab_server):
        """One page (1280x800) for the whole session; tests open notebooks in it one after another."""
        from playwright.sync_api import expect

        # A busy 2-core machine can take seconds per kernel round trip: be patient, not flaky.
        expect.set_options(timeout=30_000)
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(60_000)
        nb = NotebookPage(page, lab_server)
        try:
            yield nb
        finally:
            try:
                lab_server.shutdown_all_kernels()
            except Exception:
                pass
            context.close()
