"""Sandboxed autograde: learner code runs in a bubblewrap sandbox, with limits, never as the instructor.

nbgrader runs every submission's code in a Jupyter kernel started by the grader, with the grader's
rights: without this module, a cell added to a submission can read every answer key in ``source/``,
write the gradebook, read other learners' work and use the network. :class:`SandboxedExecute`
replaces nbgrader's ``Execute`` preprocessor (``nbgrader_config.py``), so it applies wherever
autograde runs: ``nbgrader autograde``, the formgrader's *Autograde* button, ``make grade``
(course_tools/parallel_grade.py) and the JupyterHub instructor server (all of them load the course's
``nbgrader_config.py``).

What the kernel sees (``bwrap`` with every namespace unshared):

* its own **private copy** of the submission folder (writable; the graded notebook itself, which holds
  the restored hidden tests, is left out), at the same path, so relative paths work as before. What
  the kernel writes there is thrown away: nothing it does reaches ``autograded/``;
* the Python environment **read-only**: the venv, the base Python it was built from, the course's own
  packages (``exercises``), ``/usr`` and a few files of ``/etc`` (fonts, time zone, locale);
* a private ``/tmp``, ``/proc`` of its own pid namespace, a minimal ``/dev``;
* **not**: the course root, ``source/``, the gradebook, other submissions, the exchange, home
  folders, the network (``--unshare-net``: only a loopback of its own), the grader's environment
  variables (``--clearenv``; e.g. a JupyterHub API token), other processes.

The kernel talks to the grader over unix sockets (jupyter_client's ``ipc`` transport) in a private
folder that is the only other thing bound into the sandbox.

Limits (each ends in a clear message in the cell's output, so in the gradebook and the feedback):
memory (address space, ``RLIMIT_AS``), CPU time (``RLIMIT_CPU``), size of files written
(``RLIMIT_FSIZE``), number of processes (a seccomp filter lets the kernel start threads but no new
processes: no fork bomb, no subprocess), output per cell (checked in the grader as it arrives),
time per cell (nbgrader's ``Execute.timeout``) and for the whole notebook. A kernel that dies
(killed itself, hit a limit) or does not stop when interrupted does not fail the submission: the
cells it did not run get an error saying why, so they score 0, and grading goes on.

Opting out is explicit: ``TECHLEAD_UNSANDBOXED_GRADING=1`` in the environment (or
``c.SandboxedExecute.sandbox = False``) grades without the sandbox and says so in the log. If the
sandbox cannot start, grading of each submission stops with a message that says why and how to opt
out; it never falls back silently.
"""
from __future__ import annotations

import errno
import importlib.util
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Dict, Integer, List, Unicode

from nbgrader.preprocessors import Execute

OPT_OUT_ENV = "TECHLEAD_UNSANDBOXED_GRADING"
OPT_OUT_HELP = (f"To grade without the sandbox (learner code then runs with your rights), set "
                f"{OPT_OUT_ENV}=1 in the environment or c.SandboxedExecute.sandbox = False in "
                f"nbgrader_config.py.")

# Environment variables the kernel gets (everything else of the grader's environment is dropped).
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING",
              "PYTHONHASHSEED")

# Files and folders of /etc a Python kernel with pandas and matplotlib reads (if they exist).
ETC_PATHS = ("/etc/alternatives", "/etc/fonts", "/etc/localtime", "/etc/timezone", "/etc/ld.so.cache",
             "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/locale.alias", "/etc/mime.types",
             "/etc/nsswitch.conf", "/etc/host.conf", "/etc/matplotlibrc")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start here (message says why and how to opt out)."""


# --------------------------------------------------------------------------------- seccomp filter
# A classic BPF program for seccomp: allow everything except creating a new process. Threads
# (clone with CLONE_THREAD) stay allowed, clone3 answers ENOSYS (glibc then falls back to clone),
# fork/vfork/clone-without-CLONE_THREAD answer EAGAIN ("Resource temporarily unavailable").
_ARCH = {  # machine -> (AUDIT_ARCH_*, {syscall: number})
    "x86_64": (0xC000003E, {"clone": 56, "fork": 57, "vfork": 58, "clone3": 435}),
    "aarch64": (0xC00000B7, {"clone": 220, "clone3": 435}),
}
_CLONE_THREAD = 0x00010000
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_ABS_W, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06


def no_new_processes_filter(machine: str | None = None) -> bytes:
    """The seccomp program (bytes of ``struct sock_filter[]``) for this machine's architecture."""
    machine = machine or os.uname().machine
    if machine not in _ARCH:
        raise SandboxUnavailable(f"no process-limit filter for the {machine} architecture")
    arch, nr = _ARCH[machine]
    eagain, enosys = _RET_ERRNO | errno.EAGAIN, _RET_ERRNO | errno.ENOSYS
    prog: list[tuple[int, int, int, int]] = []

    def op(code, k, jt=0, jf=0):
        prog.append((code, jt, jf, k))

    # Instruction indexes are fixed below; the three return instructions end the program.
    op(_LD_ABS_W, 4)                    # 0: A = arch
    op(_JEQ, arch, 1, 0)                # 1: our arch? skip the next
    op(_RET, enosys)                    # 2: another ABI (e.g. 32-bit calls): refused
    op(_LD_ABS_W, 0)                    # 3: A = syscall number
    op(_JGE, 0x40000000, 0, 1)          # 4: x32 ABI numbers: refused
    op(_RET, enosys)                    # 5
    op(_JEQ, nr["clone3"], 0, 1)        # 6
    op(_RET, enosys)                    # 7
    for name in ("fork", "vfork"):
        if name in nr:
            op(_JEQ, nr[name], 0, 1)
            op(_RET, eagain)
    op(_JEQ, nr["clone"], 1, 0)         # clone: look at its flags
    op(_RET, _RET_ALLOW)                # anything else: allowed
    op(_LD_ABS_W, 16)                   # A = low 32 bits of clone's first argument (flags)
    op(_JSET, _CLONE_THREAD, 0, 1)      # a thread?
    op(_RET, _RET_ALLOW)
    op(_RET, eagain)
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)


# --------------------------------------------------------------------------------- the sandbox
def _package_dirs(names) -> list[str]:
    out = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        for loc in spec.submodule_search_locations or [os.path.dirname(spec.origin or "")]:
            if loc and os.path.isdir(loc):
                out.append(os.path.realpath(loc))
    return out


def environment_paths(packages=("exercises",)) -> list[str]:
    """Folders the kernel needs read-only: the Python installs and the course's packages."""
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                            sys.base_exec_prefix)}
    paths.update(_package_dirs(packages))
    # Nested paths need no bind of their own.
    ordered = sorted(paths)
    return [p for p in ordered if not any(p != q and p.startswith(q + os.sep) for q in ordered)]


def bwrap_command(*, workdir: str, rundir: str, ro_paths, work_src: str | None = None, memory_mb: int, cpu_seconds: int,
                  file_mb: int, seccomp_fd: int | None, env: dict[str, str]) -> list[str]:
    """The bwrap (+ prlimit) prefix that runs a command in the sandbox."""
    bwrap = shutil.which("bwrap")
    prlimit = shutil.which("prlimit")
    if not bwrap:
        raise SandboxUnavailable("bubblewrap (the `bwrap` command) is not installed "
                                 "(Debian/Ubuntu: apt-get install bubblewrap)")
    if not prlimit:
        raise SandboxUnavailable("the `prlimit` command (util-linux) is not installed")
    cmd = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
           "--dir", "/tmp/home", "--dir", "/var/tmp"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            cmd += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            cmd += ["--ro-bind", path, path]
    for path in ETC_PATHS:
        if os.path.exists(path):
            cmd += ["--ro-bind", path, path]
    for path in ro_paths:
        cmd += ["--ro-bind", path, path]
    cmd += ["--bind", rundir, rundir, "--bind", work_src or workdir, workdir, "--chdir", workdir]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    cmd += ["--", prlimit, f"--as={memory_mb * 2**20}", f"--cpu={cpu_seconds}",
            f"--fsize={file_mb * 2**20}", "--core=0"]
    return cmd


_SCHEMA_PASSES: list[str] | None = None


def schema_passes() -> list[str]:
    """Keys of the course's question banks that pass their schema, checked here in the grader.

    The kit remembers banks that passed in a per-user cache file so that a kernel need not import
    jsonschema (seconds, under load many) for its first ``show()``. The sandbox's home is empty, so
    each kernel would validate again; the grader validates once and hands the kernel the result."""
    global _SCHEMA_PASSES
    if _SCHEMA_PASSES is None:
        _SCHEMA_PASSES = []
        try:
            from exercises import banks
            for path in banks.bank_files():
                text = Path(path).read_text(encoding="utf-8")
                banks.load_bank_file(path)  # raises if the bank is invalid: then no key for it
                _SCHEMA_PASSES.append(banks._cache_key(text))
        except Exception:  # noqa: BLE001 - no kit, or a broken bank: the kernel validates itself
            pass
    return _SCHEMA_PASSES


def prepare_cache(rundir: str) -> str:
    """The kernel's XDG_CACHE_HOME (in its private folder), holding the schema passes."""
    cache = os.path.join(rundir, "cache")
    os.makedirs(os.path.join(cache, "techlead-course"), exist_ok=True)
    with open(os.path.join(cache, "techlead-course", "schema-passes.json"), "w", encoding="utf-8") as fh:
        json.dump(schema_passes(), fh)
    return cache


def sandbox_env(rundir: str) -> dict[str, str]:
    home = "/tmp/home"
    env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": home, "TMPDIR": "/tmp", "IPYTHONDIR": f"{home}/.ipython",
           "MPLCONFIGDIR": f"{home}/.matplotlib", "JUPYTER_RUNTIME_DIR": rundir,
           "JUPYTER_PLATFORM_DIRS": "1", "XDG_CACHE_HOME": os.path.join(rundir, "cache"), "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           "PYDEVD_DISABLE_FILE_VALIDATION": "1",
           # ipykernel prints "When using the `ipython kernel` entry point, Ctrl-C will not work" to
           # the grader's terminal, once per submission, when it has no parent pid (the cleared
           # environment drops the one jupyter_client sets). 1 means "a parent, nothing to poll":
           # bwrap's --die-with-parent already ends the kernel with the grader.
           "JPY_PARENT_PID": "1",
           # One malloc arena per thread would reserve 64 MB of address space each (RLIMIT_AS).
           "MALLOC_ARENA_MAX": "2"}
    if os.environ.get("VIRTUAL_ENV"):
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    for key in PASSED_ENV:
        if key in os.environ:
            env[key] = os.environ[key]
    return env


_CHECKED: dict[tuple, str | None] = {}


def check_sandbox(ro_paths, memory_mb: int = 2048) -> None:
    """Start a trivial sandbox with the grading settings; raise SandboxUnavailable if it fails."""
    key = tuple(ro_paths)
    if key not in _CHECKED:
        rundir = tempfile.mkdtemp(prefix="techlead-sandbox-check-")
        try:
            read_fd, write_fd = os.pipe()
            os.write(write_fd, no_new_processes_filter())
            os.close(write_fd)
            cmd = bwrap_command(workdir=rundir, rundir=rundir, ro_paths=ro_paths, memory_mb=memory_mb,
                                cpu_seconds=10, file_mb=1, seccomp_fd=read_fd, env=sandbox_env(rundir))
            probe = "import os, sys; os.listdir('.'); print('sandbox-ok')"
            try:
                proc = subprocess.run(cmd + [sys.executable, "-c", probe], capture_output=True,
                                      text=True, timeout=60, pass_fds=(read_fd,))
            finally:
                os.close(read_fd)
            if proc.returncode != 0 or "sandbox-ok" not in proc.stdout:
                _CHECKED[key] = (f"`bwrap` could not start a sandboxed Python (exit {proc.returncode}): "
                                 f"{(proc.stderr or proc.stdout).strip()[-500:]}")
            else:
                _CHECKED[key] = None
        except SandboxUnavailable as exc:
            _CHECKED[key] = str(exc)
        except (OSError, subprocess.SubprocessError) as exc:
            _CHECKED[key] = f"`bwrap` could not run: {exc}"
        finally:
            shutil.rmtree(rundir, ignore_errors=True)
    if _CHECKED[key]:
        raise SandboxUnavailable(f"The grading sandbox cannot start: {_CHECKED[key]}. "
                                 f"Nothing was graded. {OPT_OUT_HELP}")


def private_copy(src: str, dest: str, skip_suffixes=(".ipynb",)) -> None:
    """Copy a submission folder for the kernel: symlinks stay links (never followed), notebooks
    (the graded one holds the hidden tests) are left out."""
    os.makedirs(dest, exist_ok=True)
    for entry in os.scandir(src):
        target = os.path.join(dest, entry.name)
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir(follow_symlinks=False):
            if entry.name in (".ipynb_checkpoints", "__pycache__"):
                continue
            private_copy(entry.path, target, skip_suffixes)
        elif entry.is_file(follow_symlinks=False) and not entry.name.endswith(skip_suffixes):
            shutil.copy2(entry.path, target, follow_symlinks=False)


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs inside bwrap and talks over unix sockets."""

    sandbox_limits = Dict({})   # memory_mb, cpu_seconds, file_mb (set by SandboxedExecute)
    sandbox_ro_paths = List([])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self._rundir = tempfile.mkdtemp(prefix="techlead-sandbox-")
        os.chmod(self._rundir, 0o700)
        self.connection_file = os.path.join(self._rundir, "kernel.json")
        self.ip = os.path.join(self._rundir, "kernel-ipc")
        self._workdir: str | None = None
        self._seccomp_fd: int | None = None

    async def _async_pre_start_kernel(self, **kw):
        cwd = os.path.realpath(kw.pop("cwd", None) or os.getcwd())
        # The kernel's working folder: a private copy bound at the submission's own path.
        self._workdir = os.path.join(self._rundir, "work")
        private_copy(cwd, self._workdir)
        prepare_cache(self._rundir)
        self._sandbox_cwd = cwd
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        read_fd, write_fd = os.pipe()
        os.write(write_fd, no_new_processes_filter())
        os.close(write_fd)
        self._seccomp_fd = read_fd
        limits = self.sandbox_limits
        prefix = bwrap_command(workdir=cwd, work_src=self._workdir, rundir=self._rundir,
                               ro_paths=self.sandbox_ro_paths,
                               memory_mb=limits["memory_mb"], cpu_seconds=limits["cpu_seconds"],
                               file_mb=limits["file_mb"], seccomp_fd=read_fd,
                               env=sandbox_env(self._rundir))
        kw["cwd"] = self._rundir
        kw["pass_fds"] = (read_fd,)
        # bwrap runs with a bare environment and clears it for the kernel (--clearenv): the
        # kernel's variables are the --setenv'd ones only.
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        return prefix + kernel_cmd, kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            if self._seccomp_fd is not None:
                os.close(self._seccomp_fd)
                self._seccomp_fd = None

    async def _async_interrupt_kernel(self):
        # A signal would reach bwrap, not the kernel (it is in its own pid namespace and session):
        # ask the kernel over its control channel, which it answers from a thread of its own.
        if not self.has_kernel:
            raise RuntimeError("Cannot interrupt kernel. No kernel is running!")
        self._connect_control_socket()
        msg = self.session.msg("interrupt_request", content={})
        self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel

    def exit_status(self) -> int | None:
        proc = getattr(self.provisioner, "process", None)
        return None if proc is None else proc.poll()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._rundir, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


# --------------------------------------------------------------------------------- the preprocessor
def error_output(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the kernel in a sandbox, limits, and every cell accounted for."""

    sandbox = Bool(True, help="Run learner code in the bubblewrap sandbox. Turn off only knowingly: "
                   f"learner code then runs with the grader's rights (or set {OPT_OUT_ENV}=1).").tag(config=True)
    memory_limit_mb = Integer(2048, help="Address space a kernel may use (MiB).").tag(config=True)
    cpu_limit_seconds = Integer(300, help="CPU time a kernel may use in total (s).").tag(config=True)
    file_size_limit_mb = Integer(64, help="Largest file a kernel may write (MiB).").tag(config=True)
    output_limit_kb = Integer(1024, help="Output a cell may produce (KiB); the rest is dropped.").tag(config=True)
    notebook_timeout = Integer(600, help="Time all cells of a notebook may take together (s).").tag(config=True)
    interrupt_grace = Integer(10, help="Time a kernel has to stop after an interrupt (s).").tag(config=True)
    sandbox_packages = List(Unicode(), ["exercises"],
                            help="Course packages the kernel may import (bound read-only).").tag(config=True)
    extra_ro_paths = List(Unicode(), [], help="More folders to bind read-only.").tag(config=True)
    # nbclient waits this long, after a cell's reply, for the rest of its output; nbgrader's 4 s is
    # too short on a loaded machine, and running out of it would fail the whole submission.
    iopub_timeout = Integer(30, help="Time to wait for a cell's last output after its reply (s).").tag(config=True)
    judge_code_tests = Bool(True, help="Run code answers' test cells in the grader's process, against "
                            "values from the kernel, so learner code cannot change their verdict "
                            "(course_tools/judge.py). False: run them in the kernel, as nbgrader does.").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.sandboxed:
            self.kernel_manager_class = SandboxKernelManager

    @property
    def sandboxed(self) -> bool:
        return self.sandbox and os.environ.get(OPT_OUT_ENV, "") not in ("1", "true", "yes")

    # -- kernel
    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxKernelManager):
            km.sandbox_limits = {"memory_mb": self.memory_limit_mb, "cpu_seconds": self.cpu_limit_seconds,
                                 "file_mb": self.file_size_limit_mb}
            km.sandbox_ro_paths = self._ro_paths
        return km

    def preprocess(self, nb, resources=None, km=None):
        if self.sandboxed:
            self._ro_paths = environment_paths(self.sandbox_packages) + [
                os.path.realpath(p) for p in self.extra_ro_paths]
            try:
                check_sandbox(self._ro_paths, self.memory_limit_mb)
            except SandboxUnavailable as exc:
                self.log.error("%s", exc)
                raise
        else:
            self.log.warning("Grading WITHOUT the sandbox (%s or c.SandboxedExecute.sandbox = False): "
                             "learner code runs with your rights.", OPT_OUT_ENV)
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout > 0 else None
        self._stopped: str | None = None
        self._judged, self._widget_tests = self._instructor_tests(resources)
        self._judge = None
        return super().preprocess(nb, resources, km)

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        if self._deadline is not None:
            left = max(1, int(self._deadline - time.monotonic()))
            timeout = left if timeout is None else min(timeout, left)
        return timeout

    # -- cells
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._stopped is None and self._deadline is not None and time.monotonic() >= self._deadline:
            self._stopped = (f"not run: the notebook ran longer than {self.notebook_timeout} s in total "
                             f"(the time limit for a whole notebook)")
        if self._stopped is not None:
            cell.outputs = [error_output("NotRun", self._stopped)]
            return cell, resources
        self._check_assign_resources(resources)
        gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        if gid in self._judged:
            return self._judge_cell(cell, index, gid), self.resources
        if gid in self._widget_tests:
            # A widget question's grade cell: only its visible part (show_recorded) runs in the
            # kernel; its hidden grade_answer call, with the key, is read by ScoreWidgetAnswers in
            # this process and never reaches learner code. In its place the cell's result is 0 (what
            # grade_answer gives in a kernel), so a course without ScoreWidgetAnswers gives zeros.
            from .contract import split_hidden

            source = cell.source
            cell.source = "\n".join(split_hidden(source)[0]) + "\n0  # scored by the grader\n"
            try:
                return self._run_in_kernel(cell, index, store_history=True), self.resources
            finally:
                cell.source = source
        return self._run_in_kernel(cell, index, store_history=True), self.resources

    def _run_in_kernel(self, cell, index, store_history=True):
        """Execute *cell* in the kernel with the limits; a timeout or a dead kernel is the cell's error."""
        self._cell_bytes = 0
        self._cell_truncated = False
        self._unresponsive = None   # set when the cell times out: did the kernel ignore the interrupt?
        iopub_timeout = self.iopub_timeout
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        try:
            return self.execute_cell(cell, index, store_history=store_history)
        except CellTimeoutError:
            # The reply came but the rest of the output did not (nbclient's iopub_timeout), e.g. a
            # cell that ran past its time limit and ignored the interrupt: the cell fails, and if
            # the kernel does not answer any more it is stopped; grading goes on.
            from jupyter_core.utils import run_sync
            if self._unresponsive is None:
                answers = run_sync(self._kernel_answers)(self.interrupt_grace)
            else:
                answers = not self._unresponsive
            if answers:
                note = error_output("OutputTimeout",
                                    "the cell's output did not arrive in time; the cell counts as failed")
            else:
                note = error_output("TimeLimitExceeded", f"the cell ran longer than {self.timeout} s "
                                    "(the time limit for one cell) and did not stop when interrupted")
                self._stop_unresponsive()
            cell.outputs = list(cell.get("outputs", [])) + [note]
            return cell
        except DeadKernelError:
            reason = self._death_reason()
            cell.outputs = list(cell.get("outputs", [])) + [error_output("KernelDied", reason)]
            self._stopped = "not run: " + reason
            return cell
        finally:
            self.iopub_timeout = iopub_timeout

    # -- code answers' test cells, judged in this process (course_tools/judge.py)
    def _instructor_tests(self, resources) -> tuple[dict[str, str], set[str]]:
        """({grade_id: the instructor's source} of the test cells to judge here, {grade_ids of widget
        questions' grade cells}). Judged: code grade cells the gradebook holds as locked, not answer
        cells, without a grade_answer call. Read from the gradebook, never from the submission. Both
        empty outside autograde (no gradebook in resources)."""
        info = (resources or {}).get("nbgrader") or {}
        db_url, aid, nbid = info.get("db_url"), info.get("assignment"), info.get("notebook")
        if not (db_url and aid and nbid):
            return {}, set()
        from nbgrader.api import Gradebook, MissingEntry

        from .contract import ContractError, grade_calls
        out, widgets = {}, set()
        with Gradebook(db_url) as gb:
            try:
                notebook = gb.find_notebook(nbid, aid)
            except MissingEntry:
                return {}, set()
            solutions = {c.name for c in notebook.solution_cells}
            for grade_cell in notebook.grade_cells:
                if grade_cell.cell_type != "code" or grade_cell.name in solutions:
                    continue
                try:
                    source = gb.find_source_cell(grade_cell.name, nbid, aid)
                except MissingEntry:
                    continue
                try:
                    widget = bool(grade_calls(source.source))
                except ContractError:
                    widget = True   # widget_grading reports it; never run it here
                if widget:
                    widgets.add(grade_cell.name)
                elif source.locked and self.judge_code_tests:
                    out[grade_cell.name] = source.source
        return out, widgets

    def _judge_cell(self, cell, index, grade_id):
        from nbformat.v4 import new_code_cell

        from .judge import Judge

        self._judging = (index, cell)
        if self._judge is None:
            def run_in_kernel(code):
                if self._stopped is not None:
                    return [error_output("NotRun", self._stopped)]
                at, current = self._judging
                scratch = new_code_cell(code)
                self._run_in_kernel(scratch, at, store_history=False)
                self.nb.cells[at] = current    # nbclient put the scratch cell in the notebook's place
                return list(scratch.get("outputs", []))

            folder = (self.resources.get("metadata") or {}).get("path") or None
            self._judge = Judge(run_in_kernel, folder=folder, log=self.log)
        # The instructor's test from the gradebook is what runs; the cell keeps the source nbgrader's
        # OverwriteCells put back (the same test, with a note when the cell had been deleted).
        cell.outputs = self._judge.run_test(self._judged[grade_id], grade_id)
        cell.execution_count = None
        self.nb.cells[index] = cell
        return cell

    def _death_reason(self) -> str:
        status = self.km.exit_status() if isinstance(self.km, SandboxKernelManager) else None
        why = "the notebook's kernel stopped while running this cell"
        if status is None:
            return why
        code = status - 128 if status > 128 else -status if status < 0 else None
        if code == signal.SIGXCPU:
            return f"{why}: it used more than {self.cpu_limit_seconds} s of CPU time"
        if code == signal.SIGKILL:
            return (f"{why}: it was killed (SIGKILL: by the notebook's own code, or by the system "
                    f"for using too much memory or more than {self.cpu_limit_seconds} s of CPU time)")
        if code == signal.SIGXFSZ:
            return f"{why}: it wrote a file larger than {self.file_size_limit_mb} MB"
        if code in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
            return (f"{why}: it crashed ({signal.Signals(code).name}), perhaps from running out of its "
                    f"{self.memory_limit_mb / 1024:g} GB of memory")
        if code:
            return f"{why}: it was ended by signal {code}"
        return f"{why} (it exited with status {status})"

    def output(self, outs, msg, display_id, cell_index):
        """Keep at most output_limit_kb of a cell's output (in the grader, as it arrives): an
        output flood can neither fill the grader's memory nor the gradebook's notebook."""
        content = msg.get("content", {})
        size = sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in
                   (content.get("text"), content.get("data"), content.get("traceback")) if v)
        budget = self.output_limit_kb * 1024 - getattr(self, "_cell_bytes", 0)
        self._cell_bytes = getattr(self, "_cell_bytes", 0) + size
        if size > budget:
            if not getattr(self, "_cell_truncated", False):
                self._cell_truncated = True
                self.log.warning("Cell %s produced more than %s KB of output; the rest is dropped",
                                 cell_index, self.output_limit_kb)
            if msg.get("msg_type") == "stream" and budget > 0 and isinstance(content.get("text"), str):
                msg = dict(msg, content=dict(content, text=content["text"][:budget]))
            else:
                return None
        return super().output(outs, msg, display_id, cell_index)

    async def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        cell, reply = kwargs["cell"], kwargs["execute_reply"]
        status = (reply or {}).get("content", {}).get("status")
        if getattr(self, "_cell_truncated", False):
            cell.outputs.append(error_output(
                "OutputLimitExceeded",
                f"the cell printed more than {self.output_limit_kb} KB of output; the rest was dropped"))
        if status != "ok" and not any(o.get("output_type") == "error" for o in cell.outputs):
            # The kernel said this cell did not succeed but showed no error (e.g. a custom exception
            # handler swallowed it): the grader, not the kernel, decides the cell failed.
            cell.outputs.append(error_output(
                "CellFailed", f"the cell did not run successfully (the kernel replied {status!r})"))
        content = (reply or {}).get("content", {})
        limit = self._limit_message(content.get("ename", ""), str(content.get("evalue", "")))
        if limit:
            cell.outputs.append(error_output(*limit))
        if content.get("ename") == "CellTimeoutError":
            await self._after_timeout(cell)

    def _limit_message(self, ename: str, evalue: str) -> tuple[str, str] | None:
        """A plain sentence for an error that a sandbox limit caused (None for any other error)."""
        if ename == "MemoryError":
            return ("MemoryLimitExceeded",
                    f"the notebook used more than {self.memory_limit_mb / 1024:g} GB of memory")
        if f"[Errno {errno.EFBIG}]" in evalue:
            return ("FileSizeLimitExceeded", f"the notebook wrote a file larger than {self.file_size_limit_mb} MB")
        if f"[Errno {errno.EAGAIN}]" in evalue and self.sandboxed:
            return ("ProcessLimitExceeded",
                    "the notebook tried to start another process, which grading does not allow")
        return None

    async def _async_handle_timeout(self, timeout, cell=None):
        """A cell ran past its time limit, and nbclient interrupts the kernel. Whether the kernel
        answers is found out at once: one that does not answer within ``interrupt_grace`` (its code
        ignores interrupts, or broke the kernel) is stopped now, and the wait for the cell's last
        output is cut to a second. Without this, nbclient would wait all of ``iopub_timeout`` (30 s)
        for output a stuck kernel never sends, for every such submission."""
        reply = await super()._async_handle_timeout(timeout, cell)
        self._unresponsive = not await self._kernel_answers(self.interrupt_grace)
        if self._unresponsive:
            self._stop_unresponsive()
            self.iopub_timeout = 1   # put back when the cell is done (_run_in_kernel)
        return reply

    async def _after_timeout(self, cell) -> None:
        """A cell timed out and the interrupted kernel answered (one that did not was stopped by
        _async_handle_timeout, and its cell ends in _run_in_kernel): the cell's error says why."""
        cell.outputs.append(error_output(
            "TimeLimitExceeded", f"the cell ran longer than {self.timeout} s (the time limit for one cell)"))

    def _stop_unresponsive(self) -> None:
        self._stopped = ("not run: an earlier cell ran past the time limit and the kernel did not "
                         "stop when interrupted")
        try:
            self.km.provisioner.process.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass

    async def _kernel_answers(self, seconds: float) -> bool:
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - queue.Empty: nothing yet
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False

