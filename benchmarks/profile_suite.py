#!/usr/bin/env python
"""Where the test suite's CPU time goes, by kind of process: kernels, nbgrader, Chromium, servers, ...

The suite is CPU-bound on a 2-core machine, so its wall time is about its CPU seconds divided by the
cores; ``--durations`` shows which tests take long but not what is busy meanwhile (a test's time is
mostly spent in the kernels, nbgrader commands, browsers and servers it starts). This runs a command
(by default the README's `make test`) and samples every process on the machine four times a second
with psutil: each process's CPU seconds when last seen, summed by the kind of process its command line
names. A process shorter than a sample may be missed; the machine's other processes are counted too
(under "other"), so run it on a quiet machine. Printed, never asserted.

    .venv/bin/python benchmarks/profile_suite.py [--json out.json] [-- command ...]
    .venv/bin/python benchmarks/profile_suite.py -- make test PYTEST_ARGS="tests/test_parallel_grade.py"
    cd /tmp/clean-clone && CI=true /path/to/.venv/bin/python /path/to/benchmarks/profile_suite.py -- bash .ci/run
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
# (kind, pattern on the command line): the first that matches names the process.
KINDS = [
    ("kernel, sandboxed (autograde)", r"ipykernel.*techlead-sandbox-"),
    ("kernel, other (lessons, JupyterLab)", r"ipykernel"),
    ("bwrap (sandbox set-up)", r"^\S*bwrap\b"),
    ("nbgrader command", r"bin/nbgrader\b|-m nbgrader\b"),
    ("parallel grader and its workers", r"parallel_grade|multiprocessing\.spawn|spawn_main"),
    ("nbgrader's `alembic heads` (new gradebook)", r"bin/alembic\b"),
    ("Chromium", r"chrom"),
    ("Node.js (Playwright driver, proxy, npm)", r"\bnode\b|playwright|configurable-http-proxy|\bnpm\b"),
    ("JupyterHub and its servers", r"jupyterhub"),
    ("JupyterLab server", r"jupyter-lab|jupyterlab|jupyter_server"),
    ("site and JupyterLite builds", r"sphinx|build_site|build_lite|jupyter-lite|jupyterlite"),
    ("pytest and its workers", r"pytest|execnet|exec\(eval\(sys\.stdin"),
    ("uv and pip (Hub environments)", r"\buv\b|\bpip\b"),
    ("git", r"(^|/)git\b"),
    ("course scripts and tools", r"course_tools|scripts/|exercises"),
]


def kind_of(cmdline: str) -> str:
    for kind, pattern in KINDS:
        if re.search(pattern, cmdline):
            return kind
    return "other" if cmdline else "other (unnamed: a process seen before its exec)"


def sample(seen: dict, me: int, baseline: bool = False) -> None:
    """Record every process's CPU seconds in *seen*: ``(pid, start) -> [kind, first seen, last seen]``.
    With *baseline* (before the command starts) a process's CPU so far is not counted; a process that
    starts later counts from zero. A process first seen between fork and exec is named again later."""
    for proc in psutil.process_iter(["pid", "create_time"]):
        key = (proc.info["pid"], proc.info["create_time"])
        if proc.info["pid"] == me:
            continue
        try:
            times = proc.cpu_times()
            cpu = times.user + times.system
            entry = seen.get(key)
            if entry is None:
                seen[key] = [kind_of(" ".join(proc.cmdline())), cpu if baseline else 0.0, cpu]
            else:
                entry[2] = cpu
                if entry[0].startswith("other (unnamed"):
                    entry[0] = kind_of(" ".join(proc.cmdline()))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path, help="also write the per-kind figures here")
    ap.add_argument("--interval", type=float, default=0.25, help="seconds between samples (default 0.25)")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="the command to profile (default: make test)")
    args = ap.parse_args(argv)
    # A command given runs where it is given (e.g. a clean clone's `bash .ci/run`); the default, the
    # README's `make test`, runs in this repository.
    given = [c for c in args.command if c != "--"]
    command = given or ["make", "test"]
    seen: dict = {}
    me = os.getpid()
    sample(seen, me, baseline=True)
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=None if given else ROOT)
    while proc.poll() is None:
        sample(seen, me)
        time.sleep(args.interval)
    wall = time.monotonic() - started
    by_kind, count = collections.Counter(), collections.Counter()
    for kind, first, last in seen.values():
        if last > first:
            by_kind[kind] += last - first
            count[kind] += 1
    total = sum(by_kind.values())
    cores = psutil.cpu_count() or 1
    print(f"\n{' '.join(command)}: exit {proc.returncode}, {wall:.0f} s wall, {total:.0f} CPU s "
          f"({total / wall:.2f} of {cores} cores busy on average)")
    print(f"{'CPU s':>8} {'share':>6} {'processes':>9}  kind")
    for kind, cpu in by_kind.most_common():
        print(f"{cpu:8.0f} {100 * cpu / total if total else 0:5.1f}% {count[kind]:9d}  {kind}")
    if args.json:
        args.json.write_text(json.dumps({"command": command, "wall": wall, "cpu": dict(by_kind),
                                         "processes": dict(count)}, indent=1))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
