#!/usr/bin/env python
"""How long does `import exercises` take, compared with `import ipywidgets`?

Each import runs in a fresh interpreter (so nothing is cached in sys.modules); the best of N runs
is reported, measured inside the child with perf_counter around the import statement alone.
Target: `import exercises` at most 1.3x `import ipywidgets`. Not asserted in the tests.

    python benchmarks/bench_import.py [--runs N]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.3
CHILD = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def best_of(module: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CHILD.format(mod=module)], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return min(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="fresh interpreters per module (default 7)")
    args = ap.parse_args(argv)
    base = best_of("ipywidgets", args.runs)
    ours = best_of("exercises", args.runs)
    # What a lesson's first cell really pays: the package plus the widget library it will use.
    both = best_of("exercises, ipywidgets", args.runs)
    ratio = ours / base if base else float("inf")
    print(f"import ipywidgets            {base * 1000:8.1f} ms  (best of {args.runs})")
    print(f"import exercises             {ours * 1000:8.1f} ms")
    print(f"import exercises, ipywidgets {both * 1000:8.1f} ms")
    verdict = "OK" if ratio <= TARGET else "SLOWER THAN TARGET"
    print(f"ratio exercises / ipywidgets {ratio:8.2f}x  (target <= {TARGET}x): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
