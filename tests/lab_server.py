"""JupyterLab on a temporary copy of the course, started and stopped by tests, benchmarks and scripts.

* :func:`free_port` is the one way the tests pick a port (127.0.0.1, below the kernels' port range);
* :func:`role_config_path` is what `make lab ROLE=...` puts on ``JUPYTER_CONFIG_PATH``
  (``lab-settings/learner`` or ``lab-settings/instructor``);
* :func:`copy_course` copies what the course needs at run time to a temporary folder;
* :class:`LabServer` runs JupyterLab there (127.0.0.1, a free port, no token, JupyterLab's news
  notification switched off by configuration, Jupyter's config and runtime folders inside the
  temporary folder), answers REST calls, and stops it again with every kernel it started.

Nothing here touches the repository: every run works on a copy. The browser side is lab_page.py.
"""
from __future__ import annotations

import json
import os
import random
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

from notebook_runner import course_copy

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("learner", "instructor")
NEWS_OFF = {"fetchNews": "false", "checkForUpdates": False}


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now, chosen at random below the OS's ephemeral range.

    Not the OS's choice (binding port 0): that comes from the ephemeral range, where every kernel the
    suite starts (jupyter_client asks the OS the same way) and every outgoing connection also take
    ports. Between this call and the server's own bind, a kernel in another test worker could take
    the port, and the server's clients would then talk to a ZeroMQ socket (a JupyterHub test once read
    ``BadStatusLine: \\xff``). Nothing else on the machine picks ports from 20000 up to that range."""
    low, high = 20000, _ephemeral_floor() - 1
    if high - low < 1000:  # the ephemeral range starts low on this machine: let the OS choose
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free TCP port on 127.0.0.1 between {low} and {high}")


def role_config_path(role: str, inherited: str | None = None) -> str:
    """``JUPYTER_CONFIG_PATH`` for a role, the way the Makefile's ``lab`` target builds it."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return os.pathsep.join([str(ROOT / "lab-settings" / role)] + ([inherited] if inherited else []))


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


@dataclass
class LabServer:
    """JupyterLab on a temporary copy of the course. Use as a context manager, or start()/stop()."""

    workdir: Path | None = None
    # "instructor": every tool nbgrader installs (the formgrader, create-assignment, course list), as
    # before; "learner": the view `make lab` gives learners (lab-settings/learner/, as on the Hub).
    # None: no course settings at all (the benchmark's bare JupyterLab).
    role: str | None = "instructor"
    startup_timeout: float = 90.0
    # The interpreter that runs JupyterLab (default: this one) and what to serve (default: a copy of
    # the course, see copy_course); the browser benchmark runs a bare JupyterLab with these.
    python: str | None = None
    make_root: object = None
    # Set window.jupyterapp in the page (JupyterLab's own switch, as its Galata test tool does), so that
    # tests can open the next notebook in the page already loaded (NotebookPage.open) instead of loading
    # all of JupyterLab again: about 3 CPU s of Chromium each time on a 2-core machine. Off for the
    # browser benchmark, which measures a learner's page.
    expose_app: bool = False
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
        # Not for a bare JupyterLab (role None): its environment has no course package to hook in.
        if self.role is not None:
            shutil.copy2(ROOT / "lab-settings" / "jupyter_server_config.json",
                         base / "config" / "jupyter_server_config.json")
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
        env["PATH"] = os.pathsep.join([str(Path(self.python or sys.executable).parent), env.get("PATH", "")])
        if self.role is not None:
            env["JUPYTER_CONFIG_PATH"] = role_config_path(self.role, env.get("JUPYTER_CONFIG_PATH"))
        env.pop("JUPYTER_TOKEN", None)
        env.pop("TECHLEAD_RESPONSES", None)  # answers go to responses.json beside each notebook copy
        return env

    def start(self) -> "LabServer":
        if self.workdir is None:
            self._own_tmp = tempfile.TemporaryDirectory(prefix="techlead-lab-")
            self.workdir = Path(self._own_tmp.name)
        base = Path(self.workdir)
        self.root = (self.make_root or copy_course)(base / "course")
        env = self._write_config(base)
        self.port = free_port()
        cmd = [
            self.python or sys.executable, "-m", "jupyterlab",
            "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={base / 'settings'}",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
            "--LabApp.news_url=",
        ]
        if self.expose_app:
            cmd.append("--LabApp.expose_app_in_browser=True")
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


class MakeLab:
    """``make lab`` itself (the learner's command), on a free port, headless, with Jupyter's runtime
    and user config folders in *tmp* so nothing is written to the home folder. A context manager;
    ``get(path)`` fetches a page with the server's token and returns ``(status, text)``."""

    def __init__(self, tmp: Path, *make_args: str, timeout: float = 120):
        self.tmp, self.make_args, self.timeout = Path(tmp), make_args, timeout
        self.port, self.token, self.proc = free_port(), None, None

    def __enter__(self) -> "MakeLab":
        (self.tmp / "config").mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, DISPLAY="", WAYLAND_DISPLAY="", JUPYTER_RUNTIME_DIR=str(self.tmp),
                   JUPYTER_CONFIG_DIR=str(self.tmp / "config"), TECHLEAD_EXCHANGE=str(self.tmp / "exchange"))
        env.pop("JUPYTER_CONFIG_PATH", None)
        self.proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"PORT={self.port}", "OPEN_BROWSER=False",
                                      *self.make_args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"make lab exited with {self.proc.returncode}:\n{self.proc.stdout.read().decode()}")
            if self.token is None:
                infos = [json.loads(p.read_text()) for p in self.tmp.glob("jpserver-*.json")]
                self.token = next((i["token"] for i in infos if i.get("port") == self.port), None)
            if self.token is not None:
                try:
                    status, _ = self.get("/lab")
                    if status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.3)
        raise TimeoutError(f"make lab did not answer within {self.timeout:.0f} s")

    def get(self, path: str) -> tuple[int, str]:
        sep = "&" if "?" in path else "?"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}{sep}token={self.token}",
                                        timeout=10) as resp:
                return resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


def page_config(html: str) -> dict:
    """The ``jupyter-config-data`` JSON JupyterLab embeds in its /lab page."""
    import re

    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    if not match:
        raise LookupError("no jupyter-config-data in the page")
    return json.loads(match.group(1))
