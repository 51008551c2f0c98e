#!/usr/bin/env python
"""How long does the whole lesson sequence take to execute headless, next to empty notebooks?

Every lesson (and the index and companion notebooks) runs top to bottom in a fresh kernel with nbclient,
from a temporary copy of the course, exactly as the tests do. The baseline is the same number of empty
notebooks (one empty code cell each), run the same way, so kernel start-up cost cancels out.
Target: the course at most 2x the empty notebooks. Printed, not asserted.

    make bench    (or: PYTHONPATH=tests:scripts .venv/bin/python benchmarks/bench_lessons.py)
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat

from coursemap import load_course  # scripts/ and tests/ are on PYTHONPATH (make bench sets it)
from notebook_runner import course_copy, error_outputs, execute

ROOT = Path(__file__).resolve().parents[1]

TARGET = 2.0


def main() -> int:
    course = load_course()
    names = ["index.ipynb"] + [lesson.file for lesson in course["lesson_list"]]
    names += [extra["file"] for extra in course.get("extras", [])]
    with tempfile.TemporaryDirectory() as tmp:
        run = course_copy(Path(tmp) / "course")
        empty_dir = Path(tmp) / "empty"
        empty_dir.mkdir()
        for i in range(len(names)):
            nb = nbformat.v4.new_notebook()
            nb.cells.append(nbformat.v4.new_code_cell(""))
            nbformat.write(nb, empty_dir / f"empty_{i:02d}.ipynb")

        start = time.perf_counter()
        for path in sorted(empty_dir.glob("*.ipynb")):
            execute(path, cwd=empty_dir)
        empty = time.perf_counter() - start

        per = {}
        start = time.perf_counter()
        for name in names:
            t = time.perf_counter()
            nb = execute(run / name, cwd=run)
            per[name] = time.perf_counter() - t
            if error_outputs(nb):
                print(f"warning: {name} had errors: {error_outputs(nb)[:2]}")
        lessons = time.perf_counter() - start

    for name, seconds in per.items():
        print(f"  {name:45s} {seconds:6.2f} s")
    ratio = lessons / empty
    print(f"course: {len(names)} notebooks in {lessons:.1f} s; {len(names)} empty notebooks in {empty:.1f} s")
    print(f"ratio {ratio:.2f}x (target at most {TARGET}x): {'OK' if ratio <= TARGET else 'over target'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
