#!/usr/bin/env python
"""What starting a Python process costs the course's tools: with bytecode compiled at install (as
`make install` does, ``uv pip install --compile-bytecode``) and with every module compiled from source
on import (what an environment installed without it pays wherever bytecode cannot be written: with
``PYTHONDONTWRITEBYTECODE`` set, as on the 2-core machine this was measured on, or in a read-only venv, as in the
grading sandbox and on the JupyterHub).

Every ``nbgrader`` command, every autograde worker and every kernel pays the import once; the test
suite starts hundreds of them. Each figure is the best of N fresh interpreters, timed inside the child
around the import statement alone. "From source" points Python at an empty bytecode folder
(``-X pycache_prefix``) with writing switched off, so nothing is cached between runs. Nothing is
asserted.

    python benchmarks/bench_startup.py [--runs N]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"
MODULES = [
    ("nbgrader.apps", "every nbgrader command and autograde worker"),
    ("course_tools.sandbox", "the course's nbgrader_config.py (loads the sandbox)"),
    ("jupyter_server.serverapp", "make lab, the formgrader, the Hub's servers"),
    ("ipykernel.kernelapp", "every kernel (lessons, grading)"),
]


def best_of(module: str, runs: int, from_source: bool) -> float:
    times = []
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as empty:
        extra = []
        if from_source:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            extra = ["-X", f"pycache_prefix={empty}"]
        for _ in range(runs):
            out = subprocess.run([sys.executable, *extra, "-c", CHILD.format(mod=module)], cwd=ROOT, env=env,
                                 capture_output=True, text=True, check=True)
            times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times)


def compiled_share() -> tuple[int, int]:
    """How many of site-packages' modules have bytecode next to them."""
    site = Path(sysconfig.get_paths()["purelib"])
    sources = list(site.rglob("*.py"))
    compiled = sum(1 for s in sources if Path(importlib.util.cache_from_source(str(s))).exists())
    return compiled, len(sources)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="fresh interpreters per figure (default 3)")
    args = ap.parse_args(argv)
    compiled, total = compiled_share()
    print(f"site-packages modules with bytecode: {compiled} of {total}"
          f"{'' if compiled >= 0.9 * total else '  (NOT compiled: rm .venv/.course-installed && make install)'}")
    print(f"PYTHONDONTWRITEBYTECODE in this environment: {os.environ.get('PYTHONDONTWRITEBYTECODE') or 'not set'}")
    print(f"{'import':28s} {'compiled':>10s} {'from source':>12s}  ratio  who pays it")
    for module, who in MODULES:
        fast = best_of(module, args.runs, from_source=False)
        slow = best_of(module, args.runs, from_source=True)
        print(f"{module:28s} {fast:9.2f}s {slow:11.2f}s {slow / fast:6.1f}x  {who}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
