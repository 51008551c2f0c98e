"""Check collected submissions before autograding, and put back notebooks a learner renamed.

nbgrader grades a submission only under the notebook names of the assignment: a learner who
renamed ``a2-team-vs-tech.ipynb`` to ``a2-team-vs-tech-Copy1.ipynb`` or ``Priya answers.ipynb``
is graded as if they had handed in nothing for that notebook (autograde ignores the unknown
notebook), which looks like a zero for work that exists. Run this after ``nbgrader collect`` and
before ``nbgrader autograde``::

    python -m course_tools.submissions ASSIGNMENT_ID            # report and fix
    python -m course_tools.submissions ASSIGNMENT_ID --dry-run  # only report

For each ``submitted/<student>/<assignment>/`` folder:

* expected notebooks present → ``ok``;
* exactly one expected notebook missing and exactly one unexpected ``.ipynb`` in the folder →
  the unexpected one is renamed to the expected name (``renamed``);
* anything else (several candidates, nothing at all) → ``needs attention``: it is listed, nothing
  is guessed, and the instructor decides.

The expected names are those of ``release/<assignment>/*.ipynb`` (or ``source/`` if there is no
release). Exit status: 0 when every submission is ``ok`` or ``renamed``, 1 otherwise.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

IGNORED_DIRS = {".ipynb_checkpoints", "__pycache__"}


@dataclass
class Finding:
    student: str
    status: str            # "ok" | "renamed" | "would rename" (a dry run) | "needs attention"
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.student}: {self.status}" + (f" ({self.detail})" if self.detail else "")


def expected_notebooks(course: Path, assignment: str) -> set[str]:
    for step in ("release", "source"):
        folder = course / step / assignment
        names = {p.name for p in folder.glob("*.ipynb")}
        if names:
            return names
    raise FileNotFoundError(f"no notebooks for {assignment!r} in release/ or source/ under {course}")


def check_submission(folder: Path, expected: set[str], *, fix: bool = True) -> Finding:
    student = folder.parent.name
    present = {p.name for p in folder.glob("*.ipynb") if p.is_file()}
    missing = sorted(expected - present)
    extra = sorted(present - expected)
    if not missing:
        return Finding(student, "ok", f"also holds {', '.join(extra)}" if extra else "")
    if len(missing) == 1 and len(extra) == 1:
        src, dest = folder / extra[0], folder / missing[0]
        if fix:
            src.rename(dest)
        return Finding(student, "renamed" if fix else "would rename", f"{extra[0]!r} to {missing[0]!r}")
    if extra:
        return Finding(student, "needs attention",
                       f"missing {', '.join(missing)}; cannot tell which of {', '.join(extra)} it is")
    return Finding(student, "needs attention", f"missing {', '.join(missing)}; no notebook to use")


def fix_submission_names(course: Path, assignment: str, *, fix: bool = True) -> list[Finding]:
    """Check (and by default fix) every collected submission of one assignment."""
    course = Path(course)
    expected = expected_notebooks(course, assignment)
    findings = []
    submitted = course / "submitted"
    for student_dir in sorted(p for p in submitted.glob("*") if p.is_dir()) if submitted.is_dir() else []:
        folder = student_dir / assignment
        if folder.is_dir():
            findings.append(check_submission(folder, expected, fix=fix))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.submissions",
        description="Before autograding: find and rename notebooks that learners renamed.")
    parser.add_argument("assignment", help="assignment id, e.g. a2-team-vs-tech")
    parser.add_argument("--course", type=Path, default=Path.cwd(), help="course root (default: here)")
    parser.add_argument("--dry-run", action="store_true", help="report only; rename nothing")
    args = parser.parse_args(argv)
    findings = fix_submission_names(args.course, args.assignment, fix=not args.dry_run)
    if not findings:
        print(f"no collected submissions of {args.assignment} under {args.course / 'submitted'}")
    for finding in findings:
        print(finding)
    return 1 if any(f.status == "needs attention" for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
