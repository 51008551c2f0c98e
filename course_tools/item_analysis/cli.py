"""The command line: ``python -m course_tools.item_analysis ASSIGNMENT`` (``make item-analysis``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .plot import plot
from .report import report
from .run import run_analysis


FORBIDDEN_DIRS = ("release", "source", "exercises", ".exchange", "feedback")


def check_output_path(path: Path, course_dir: Path) -> None:
    """Refuse to write results where learners could see them (or where nbgrader owns the files)."""
    path, course_dir = Path(path).resolve(), Path(course_dir).resolve()
    try:
        rel = path.relative_to(course_dir)
    except ValueError:
        return
    if rel.parts and rel.parts[0] in FORBIDDEN_DIRS:
        raise ValueError(f"refusing to write {path}: {rel.parts[0]}/ is shared with learners or owned by "
                         "nbgrader; write the analysis elsewhere")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m course_tools.item_analysis",
                                 description="Item analysis (difficulty, discrimination, common wrong answers) "
                                             "of an nbgrader assignment.")
    ap.add_argument("assignment")
    ap.add_argument("--course-dir", type=Path, default=Path.cwd(), help="the nbgrader course folder (default: .)")
    ap.add_argument("--db", type=Path, default=None, help="the gradebook (default: COURSE_DIR/gradebook.db)")
    ap.add_argument("--out", type=Path, default=None,
                    help="CSV to write (default: COURSE_DIR/item_analysis_<id>.csv)")
    ap.add_argument("--plot", type=Path, default=None,
                    help="figure to write (default: COURSE_DIR/item_analysis_<id>.png)")
    ap.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    ap.add_argument("--keys", type=Path, default=None,
                    help="JSON or YAML {question id: key} for widget questions (overrides keys in hidden tests)")
    ap.add_argument("--min-class", type=int, default=None,
                    help="fewest learners for discrimination and labels (default 20; below it the figures "
                         "move a whole band per learner)")
    args = ap.parse_args(argv)
    course = args.course_dir
    out = args.out or course / f"item_analysis_{args.assignment}.csv"
    fig_path = None if args.no_plot else (args.plot or course / f"item_analysis_{args.assignment}.png")
    try:
        for p in (out, fig_path):
            if p is not None:
                check_output_path(p, course)
        result = run_analysis(course, args.assignment, keys=args.keys, db=args.db, min_class=args.min_class)
    except (FileNotFoundError, LookupError, ValueError) as exc:
        print(f"item_analysis: {exc}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out, index=False, float_format="%.4f")
    print(report(result))
    for problem in result.problems:
        print(f"warning: skipped unreadable responses file {problem}")
    wrote = [str(out)]
    if fig_path is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig_path.parent.mkdir(parents=True, exist_ok=True)
        fig = plot(result.table, fig_path, title=f"Item analysis · {args.assignment}")
        plt.close(fig)
        wrote.append(str(fig_path))
    print("Wrote " + " and ".join(wrote))
    return 0
