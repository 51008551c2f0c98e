#!/usr/bin/env python
"""Run every benchmark and print its figures (`make bench`). Nothing here is asserted."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_import.py", "bench_startup.py", "bench_lessons.py", "bench_parallel_grade.py", "bench_sandbox.py",
              "bench_browser.py", "bench_editions.py"]


def main() -> int:
    for name in BENCHMARKS:
        path = HERE / name
        if not path.exists():
            print(f"== {name}: not present, skipped")
            continue
        print(f"== {name}", flush=True)
        result = subprocess.run([sys.executable, str(path)], cwd=HERE.parent)
        if result.returncode != 0:
            print(f"   ({name} exited with {result.returncode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
