#!/usr/bin/env python
"""Serial `nbgrader autograde` vs the course's parallel grader on a class of 60 submissions.

The class is assignment a2 submitted 60 times (right, wrong and partial answers, widget answers
recorded by the real widgets), built in a temporary course with the same helpers the tests use.
Printed, not asserted. Target: at least 1.8x on a 2-core machine.

How it scales: each worker grades one student at a time, and a student's cost is almost all kernel
work (start a kernel, run the cells), which is CPU-bound and independent between students. So the
speed-up should follow the number of cores (with one extra worker to fill the gaps while a worker
waits for its kernel: measured here, 2 workers gave 1.6x and 3 workers 1.96x on 2 cores) until the sqlite gradebook's writes (short and serialised,
a few milliseconds per student) begin to queue; more workers than cores only adds contention. Serial
nbgrader pays its ~3 s start-up once; each worker pays it once too, in parallel. Only 2 cores were
available where this was written, so figures for more cores are an expectation, not a measurement:
run this script with --jobs on a bigger machine to see.

    make bench    (or: PYTHONPATH=tests .venv/bin/python benchmarks/bench_parallel_grade.py [--students 60] [--jobs N])
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from nbgrader_helpers import (make_course, nbgrader, put_submission, record_answers, release_nb,  # tests/ (PYTHONPATH)
                              set_answer, solved, source_nb, widget_keys)

from course_tools import parallel_grade as pg

ROOT = Path(__file__).resolve().parents[1]

AID = "a2-team-vs-tech"


def build_class(course: Path, n: int) -> None:
    nbgrader(course, "generate_assignment", AID, "--force")
    keys = widget_keys(source_nb(AID))
    answers = {}
    for i in range(n):
        kind = i % 3
        nb = release_nb(AID) if kind == 1 else solved(AID)
        if kind == 2:
            set_answer(nb, "signals-answer", 'def classify_signal(metric_name, trend):\n    return "technical"')
        folder = put_submission(course, f"s{i:03d}", AID, nb)
        answers[folder] = {} if kind == 1 else dict(keys)
    record_answers(answers)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=pg.default_jobs())
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = make_course(Path(tmp) / "course", [AID], release=True)
        build_class(base, args.students)
        serial_dir = shutil.copytree(base, Path(tmp) / "serial")
        parallel_dir = shutil.copytree(base, Path(tmp) / "parallel")

        t = time.perf_counter()
        nbgrader(serial_dir, "autograde", AID, timeout=3600)
        serial = time.perf_counter() - t

        t = time.perf_counter()
        outcomes = pg.grade_class(parallel_dir, AID, jobs=args.jobs, progress_stream=open(os.devnull, "w"))
        parallel = time.perf_counter() - t

        same = pg.cell_scores(pg.load_config(serial_dir), AID) == pg.cell_scores(pg.load_config(parallel_dir), AID)
    failed = sum(o.status == "failed" for o in outcomes.values())
    print(f"{args.students} submissions, {os.cpu_count()} cores")
    print(f"serial nbgrader autograde : {serial:6.1f} s")
    print(f"parallel, {args.jobs} workers     : {parallel:6.1f} s  ({failed} failed)")
    print(f"speed-up {serial / parallel:.2f}x (target at least 1.8x on 2 cores); grades identical: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
