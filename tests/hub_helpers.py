"""Run the course on a real JupyterHub with real unix users (used by tests/test_jupyterhub_cohort.py).

* :func:`cohort_unavailable_reason` says why the cohort test cannot run here (not Linux, not root,
  no system Python, no npm, no useradd/runuser);
* :class:`CohortEnv` builds what every user must be able to read, in a world-readable temporary
  folder: a copy of the course, a venv from the system Python with the course and jupyterhub
  installed by uv (non-editable), the deployment's system-wide Jupyter config installed into it,
  configurable-http-proxy installed with ``npm ci`` from ``deploy/jupyterhub/package-lock.json``,
  and the shared nbgrader exchange (mode 1777);
* :class:`UnixUser` creates a unix user with a private home and removes it again (``userdel -r``),
  ending any process left running as that user;
* :func:`run_as` runs a command as one of those users, with the environment the Hub gives their server;
* :class:`Hub` starts ``deploy/jupyterhub/jupyterhub_config.py`` (plus a test service holding an
  admin-role API token, and free loopback ports) and talks to its REST API; :class:`LTIHub` does the
  same with ``deploy/jupyterhub/jupyterhub_lti_config.py`` (LTI 1.3 sign-on, several courses);
* :func:`remove_unix_account` / :func:`remove_unix_group` clean up what the LTI Hub created.

Nothing here touches the repository: every run works on a copy and cleans up after itself.
"""
from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

from lab_server import free_port

try:
    import pwd
except ImportError:  # not a unix system: the cohort test is skipped there
    pwd = None

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "jupyterhub"
SYSTEM_PYTHON = "/usr/bin/python3"
COURSE_ID = "techlead"
INSTRUCTOR_GROUP = "formgrade-techlead"
# What is not part of the course when it is copied for the cohort.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "node_modules", ".pytest_cache", "__pycache__", "*.egg-info",
    ".exchange", "build", "dist", ".ipynb_checkpoints", "htmlcov", ".coverage",
)


# --------------------------------------------------------------------------------------- can we run
def cohort_unavailable_reason() -> str | None:
    """Why the cohort test cannot run on this machine (None when it can)."""
    if platform.system() != "Linux":
        return "the JupyterHub cohort test needs Linux (real unix users, LocalProcessSpawner)"
    if os.geteuid() != 0:
        return ("the JupyterHub cohort test needs root: it creates unix users and runs the Hub, which "
                "starts each user's server as that user (CI runs it as root)")
    if not Path(SYSTEM_PYTHON).exists():
        return f"no system Python at {SYSTEM_PYTHON} to build a venv every user can read"
    for tool in ("useradd", "userdel", "runuser", "npm", "node"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (the cohort test needs useradd, userdel, runuser, node and npm)"
    return None


def _run(argv, timeout=600, **kwargs) -> subprocess.CompletedProcess:
    """Run as root; raise with the output when it fails."""
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(map(str, argv))}\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


# ------------------------------------------------------------------------------------- environment
class CohortEnv:
    """The world-readable course environment, proxy and exchange of one test run."""

    def __init__(self):
        # Not under pytest's tmp_path: /tmp/pytest-of-root is private to root.
        self.base = Path(tempfile.mkdtemp(prefix="techlead-hub-"))
        self.base.chmod(0o755)
        self.course = self.base / "course"          # the course as published (world-readable)
        self.venv = self.base / "venv"
        self.proxy_dir = self.base / "proxy"
        self.exchange = self.base / "exchange"
        self.state = self.base / "hub-state"        # Hub database, secrets, config: root only
        self.timings: dict[str, float] = {}

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def deploy(self) -> Path:
        """The deployment folder inside the world-readable copy (the Hub runs this one)."""
        return self.course / "deploy" / "jupyterhub"

    def build(self) -> None:
        t0 = time.monotonic()
        shutil.copytree(ROOT, self.course, ignore=COPY_IGNORE, symlinks=False)
        _run(["chmod", "-R", "a+rX", self.course])
        self._build_venv()
        self.timings["venv"] = time.monotonic() - t0
        t1 = time.monotonic()
        self.proxy_dir.mkdir()
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(DEPLOY / name, self.proxy_dir / name)
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=self.proxy_dir, timeout=300)
        self.timings["npm ci"] = time.monotonic() - t1
        # The shared exchange, exactly as the deployment guide creates it.
        self.exchange.mkdir()
        self.exchange.chmod(0o1777)
        self.state.mkdir(mode=0o700)

    def _build_venv(self) -> None:
        reuse = os.environ.get("TECHLEAD_HUB_VENV", "").strip()  # developers: reuse a built venv
        if reuse and (Path(reuse) / "bin" / "jupyterhub").exists():
            self.venv = Path(reuse)
        else:
            _run([SYSTEM_PYTHON, "-m", "venv", self.venv])
            _run([self.bin / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv"])
            # --compile-bytecode as in the deployment guide (step 2): the Hub's users cannot write
            # bytecode into a root-owned venv, so without it every server and kernel compiles from source.
            _run([self.bin / "uv", "pip", "install", "--quiet", "--compile-bytecode", "--python",
                  self.bin / "python", f"{self.course}[hub]"], timeout=900)
        # The course environment's system-wide Jupyter config (deployment guide, step 3).
        etc = self.venv / "etc" / "jupyter"
        shutil.copytree(self.deploy / "system", etc, dirs_exist_ok=True)
        settings = self.venv / "share" / "jupyter" / "lab" / "settings"
        settings.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.course / "lab-settings" / "overrides.json", settings / "overrides.json")
        _run(["chmod", "-R", "a+rX", self.venv])

    @property
    def proxy_command(self) -> Path:
        return self.proxy_dir / "node_modules" / ".bin" / "configurable-http-proxy"

    def user_env(self, user: "UnixUser", instructor: bool = False) -> dict[str, str]:
        """The environment the Hub's spawner gives this user's server (see jupyterhub_config.py)."""
        env = {
            "HOME": str(user.home), "USER": user.name, "LOGNAME": user.name, "SHELL": "/bin/bash",
            "PATH": os.pathsep.join([str(self.bin), "/usr/local/bin", "/usr/bin", "/bin"]),
            "TECHLEAD_EXCHANGE": str(self.exchange), "LANG": "C.UTF-8",
        }
        if instructor:
            env["JUPYTER_CONFIG_PATH"] = str(self.deploy / "instructor")
        return env

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


# ------------------------------------------------------------------------------------------- users
def _pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


class UnixUser:
    """A throwaway unix user with a private home (mode 700), e.g. ``tlinst_ab12``."""

    def __init__(self, prefix: str):
        self.name = f"{prefix}_{secrets.token_hex(3)}"
        _run(["useradd", "--create-home", "--shell", "/bin/bash", "-K", "HOME_MODE=0700", self.name])
        info = pwd.getpwnam(self.name)
        self.uid, self.gid, self.home = info.pw_uid, info.pw_gid, Path(info.pw_dir)
        self.home.chmod(0o700)

    def remove(self) -> None:
        """End this user's leftover processes (by pid), then ``userdel -r``."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = _pids_of_uid(self.uid)
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            if pids:
                time.sleep(1)
        subprocess.run(["userdel", "-r", self.name], capture_output=True)
        try:
            pwd.getpwnam(self.name)
            subprocess.run(["userdel", "--force", "--remove", self.name], capture_output=True)
        except KeyError:
            pass  # gone
        if self.home.exists():
            shutil.rmtree(self.home, ignore_errors=True)


def run_as(user: UnixUser, argv, *, env: dict[str, str], cwd=None, check=True, timeout=300,
           input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``argv`` as ``user`` with exactly ``env`` (nothing of root's environment leaks in)."""
    cmd = ["runuser", "-u", user.name, "--", "/usr/bin/env", "-i",
           *(f"{k}={v}" for k, v in env.items()), *map(str, argv)]
    proc = subprocess.run(cmd, cwd=str(cwd or user.home), capture_output=True, text=True,
                          timeout=timeout, input=input)
    if check and proc.returncode != 0:
        raise RuntimeError(f"as {user.name}: {' '.join(map(str, argv))} failed ({proc.returncode})\n"
                           f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


# --------------------------------------------------------------------------------------------- hub
class Hub:
    """The deployment's Hub on free loopback ports, with an admin-role service token for the test."""

    SERVICE = "cohort-test"

    def __init__(self, env: CohortEnv, instructors: list[str], students: list[str]):
        self.env = env
        self.port = free_port()
        self.hub_port = free_port()
        self.proxy_api_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        self.password = "cohort-" + secrets.token_hex(8)
        self.instructors, self.students = instructors, students
        self.config = env.state / "jupyterhub_test_config.py"
        self.log = env.state / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None

    DEPLOY_CONFIG = "jupyterhub_config.py"

    def _common_config(self) -> str:
        """The deployment config (``DEPLOY_CONFIG``) on this test's free ports and state folder, plus a
        service with an API token and an admin role, so the test can drive the Hub's REST API."""
        return textwrap.dedent(f"""\
            c = get_config()
            load_subconfig({str(self.env.deploy / self.DEPLOY_CONFIG)!r})
            c.JupyterHub.hub_port = {self.hub_port}
            c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.proxy_api_port}"
            c.ConfigurableHTTPProxy.command = [{str(self.env.proxy_command)!r}]
            c.ConfigurableHTTPProxy.pid_file = {str(self.env.state / "proxy.pid")!r}
            c.JupyterHub.db_url = "sqlite:///{self.env.state / 'jupyterhub.sqlite'}"
            c.JupyterHub.cookie_secret_file = {str(self.env.state / "cookie_secret")!r}
            c.JupyterHub.pid_file = {str(self.env.state / "jupyterhub.pid")!r}
            c.JupyterHub.services.append({{"name": {self.SERVICE!r}, "api_token": {self.token!r}}})
            c.JupyterHub.load_roles.append({{
                "name": "cohort-admin",
                "scopes": ["admin:users", "admin:servers", "access:servers", "list:users", "read:users",
                           "read:groups"],
                "services": [{self.SERVICE!r}],
            }})
        """)

    def _write_config(self) -> None:
        # The real deployment config, plus what only the test needs. Root-only (holds the token).
        self.config.write_text(self._common_config())
        self.config.chmod(0o600)

    def start(self, timeout: float = 60) -> None:
        self._write_config()
        env = self._environment()
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([str(self.env.bin / "jupyterhub"), "-f", str(self.config)],
                                         cwd=self.env.state, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Hub exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                status, _, text = self.request("GET", "/hub/api/", timeout=5)
                if status == 200 and json.loads(text).get("version"):
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass  # the proxy is not up yet, or has no route to the Hub yet (404)
            time.sleep(0.3)
        raise RuntimeError(f"the Hub did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def _environment(self) -> dict[str, str]:
        """The Hub's own environment (what an administrator would export before starting it)."""
        return {
            "PATH": os.pathsep.join([str(self.env.bin), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(self.env.state), "LANG": "C.UTF-8",
            "TECHLEAD_HUB_PASSWORD": self.password,
            "TECHLEAD_INSTRUCTORS": ",".join(self.instructors),
            "TECHLEAD_STUDENTS": ",".join(self.students),
            "TECHLEAD_EXCHANGE": str(self.env.exchange),
            "TECHLEAD_HUB_URL": self.url,
        }

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the Hub's process group (the Hub stops users' servers and its proxy), then SIGKILL."""
        if self.proc is None:
            return
        if self.proc.poll() is not None:   # the Hub died on its own: its proxy may still be running
            self._kill_proxy()
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._kill_proxy()

    def _kill_proxy(self) -> None:
        """A proxy that outlived the Hub (it starts in its own session, so killpg misses it)."""
        pid_file = self.env.state / "proxy.pid"
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass

    # ------------------------------------------------------------------ HTTP
    def request(self, method: str, url: str, body=None, *, token: bool = True, timeout: float = 30):
        """(status, headers, text) of an HTTP request through the Hub's proxy; never raises on 4xx/5xx."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url if url.startswith("http") else self.url + url, data=data, method=method)
        if token:
            req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read().decode("utf-8", "replace")

    def api(self, method: str, path: str, body=None):
        status, _, text = self.request(method, "/hub/api" + path, body)
        if status >= 400:
            raise RuntimeError(f"Hub API {method} {path}: {status} {text[:500]}")
        return json.loads(text) if text.strip() else {}

    def spawn(self, name: str, timeout: float = 90) -> None:
        """Start ``name``'s server through the REST API and wait until the Hub reports it ready."""
        status, _, text = self.request("POST", f"/hub/api/users/{name}/server")
        if status not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"spawning {name}: {status} {text[:500]}\n{self.log_tail()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"/users/{name}").get("servers", {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{name}'s server was not ready within {timeout:.0f} s:\n{self.log_tail()}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def page_config(html: str) -> dict:
    """JupyterLab's page config (``<script id="jupyter-config-data">``) from a /lab page."""
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    if not match:
        raise ValueError("no jupyter-config-data in the page")
    return json.loads(match.group(1))


# ----------------------------------------------------------------------------------------- LTI hub
class LTIHub(Hub):
    """``deploy/jupyterhub/jupyterhub_lti_config.py`` with an LTI config file, on free loopback ports."""

    def __init__(self, env: CohortEnv, lti_config: Path):
        super().__init__(env, [], [])
        self.lti_config = lti_config

    DEPLOY_CONFIG = "jupyterhub_lti_config.py"

    def _write_config(self) -> None:
        self.config.write_text(self._common_config() + textwrap.dedent(f"""\
            # The test's learner edition is a local git repository owned by root: git refuses to read
            # a repository another user owns ("dubious ownership") unless global config marks it safe.
            # (A real course pulls over https, where this does not arise.)
            c.Spawner.environment.update({{"GIT_CONFIG_GLOBAL": {str(self.env.base / "gitconfig-safe")!r}}})
        """))
        self.config.chmod(0o600)

    def _environment(self) -> dict[str, str]:
        return {
            "PATH": os.pathsep.join([str(self.env.bin), "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]),
            "HOME": str(self.env.state), "LANG": "C.UTF-8",
            "TECHLEAD_LTI_CONFIG": str(self.lti_config),
            "TECHLEAD_HUB_URL": self.url,
        }


def remove_unix_account(name: str) -> None:
    """End ``name``'s processes and remove the account with its home (no error if it is gone)."""
    try:
        info = pwd.getpwnam(name)
    except KeyError:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _pids_of_uid(info.pw_uid)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if pids:
            time.sleep(1)
    subprocess.run(["userdel", "--remove", name], capture_output=True)
    if Path(info.pw_dir).exists():
        shutil.rmtree(info.pw_dir, ignore_errors=True)


def remove_unix_group(name: str) -> None:
    subprocess.run(["groupdel", name], capture_output=True)


def uid_footprint(uid: int) -> tuple[float, float]:
    """(resident memory in MiB, CPU seconds so far) of every process running as ``uid``."""
    rss_kib, ticks = 0, 0
    for pid in _pids_of_uid(uid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rss_kib += int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, AttributeError, IndexError, ValueError):
            pass
    return rss_kib / 1024, ticks / os.sysconf("SC_CLK_TCK")
