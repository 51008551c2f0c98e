#!/usr/bin/env python
"""What the grading sandbox costs: 60 submissions graded with and without it, serial and parallel.

The class is the one bench_parallel_grade.py builds (assignment a2 submitted 60 times: right, wrong
and partial answers, widget answers recorded by the real widgets). Four runs on copies of it:
serial `nbgrader autograde` and the parallel grader (`make grade`), each with the sandbox (the
course's default) and without it (``TECHLEAD_UNSANDBOXED_GRADING=1``). Printed, not asserted.
Targets: the sandbox costs under 10% of grading time; parallel grading stays at least 1.8x faster
than serial on 2 cores, with the sandbox on. A fifth run, serial in the sandbox with the code tests
run in the kernel (``--SandboxedExecute.judge_code_tests=False``), shows what judging them in the
grader costs (course_tools/judge.py). The grades of all five runs are compared cell by cell.

Where the cost comes from: per kernel, one `bwrap` start (new namespaces, a few dozen bind mounts,
~10-50 ms), copying the submission folder (kilobytes), and a kernel that finds an empty home (the
kit's bank-validation cache is handed over by the grader, so no jsonschema import). Everything else
(running the cells) is the same work. The machine this was written on is shared (2 cores, other jobs
running): figures vary by tens of percent from run to run; compare runs made back to back.

    python benchmarks/bench_sandbox.py [--students 60] [--jobs N]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_parallel_grade import AID, build_class  # noqa: E402
from nbgrader_helpers import make_course, nbgrader  # noqa: E402

from course_tools import parallel_grade as pg  # noqa: E402

OPT_OUT = "TECHLEAD_UNSANDBOXED_GRADING"


def timed_serial(course: Path, *extra: str) -> float:
    t = time.perf_counter()
    nbgrader(course, "autograde", AID, *extra, timeout=7200)
    return time.perf_counter() - t


def timed_parallel(course: Path, jobs: int) -> float:
    t = time.perf_counter()
    pg.grade_class(course, AID, jobs=jobs, progress_stream=open(os.devnull, "w"))
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=pg.default_jobs())
    args = ap.parse_args()
    times, scores = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        base = make_course(Path(tmp) / "course", [AID], release=True)
        build_class(base, args.students)
        # each mode's two runs back to back (the machine's load drifts); each figure printed as it
        # comes, so a run cut short still leaves what it measured
        for mode in ("serial", "parallel"):
            for sandbox in (True, False):
                if sandbox:
                    os.environ.pop(OPT_OUT, None)
                else:
                    os.environ[OPT_OUT] = "1"
                try:
                    course = shutil.copytree(base, Path(tmp) / f"{mode}-{sandbox}")
                    times[(mode, sandbox)] = (timed_serial(course) if mode == "serial"
                                              else timed_parallel(course, args.jobs))
                    scores[(mode, sandbox)] = pg.cell_scores(pg.load_config(course), AID)
                finally:
                    os.environ.pop(OPT_OUT, None)
                print(f"# {mode}, {'sandbox' if sandbox else 'no sandbox'}: {times[(mode, sandbox)]:.1f} s "
                      f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        # what judging the code tests in the grader costs (course_tools/judge.py): the same serial
        # run with the tests in the kernel, as nbgrader runs them
        course = shutil.copytree(base, Path(tmp) / "serial-in-kernel")
        times["in-kernel"] = timed_serial(course, "--SandboxedExecute.judge_code_tests=False")
        scores["in-kernel"] = pg.cell_scores(pg.load_config(course), AID)
        print(f"# serial, sandbox, tests in the kernel: {times['in-kernel']:.1f} s "
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    n = args.students
    print(f"{n} submissions of {AID}, {os.cpu_count()} cores, parallel with {args.jobs} workers")
    for mode in ("serial", "parallel"):
        on, off = times[(mode, True)], times[(mode, False)]
        print(f"{mode:8s}  sandbox {on:7.1f} s   no sandbox {off:7.1f} s   "
              f"cost {(on - off) / n * 1000:+6.0f} ms per submission ({(on - off) / off * 100:+.1f}% of grading time)")
    print(f"parallel speed-up with the sandbox   : {times[('serial', True)] / times[('parallel', True)]:.2f}x "
          f"(target at least 1.8x on 2 cores)")
    print(f"parallel speed-up without the sandbox: {times[('serial', False)] / times[('parallel', False)]:.2f}x")
    judged, in_kernel = times[("serial", True)], times["in-kernel"]
    print(f"judging code tests in the grader: {(judged - in_kernel) / n * 1000:+6.0f} ms per submission "
          f"({(judged - in_kernel) / in_kernel * 100:+.1f}% of serial grading time in the sandbox)")
    reference = scores[("serial", False)]
    same = all(s == reference for s in scores.values())
    print(f"grades identical cell by cell in all five runs: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
