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

**Feedback under the learner's name.** ``nbgrader fetch_feedback`` looks for feedback under the
names of the notebooks in the learner's own copy of the submission, so a learner whose
``a2-team-vs-tech-Rita.ipynb`` was put back as ``a2-team-vs-tech.ipynb`` would never find it
("Could not find feedback for …/a2-team-vs-tech-Rita"). Each rename is therefore recorded in
``.grading/renamed/<assignment>.json`` under the course root (the instructor's folder, not the
learner's submission), and :class:`ReleaseFeedback`, configured as nbgrader's feedback-release step
(``c.ExchangeFactory.release_feedback`` in ``nbgrader_config.py``), releases that learner's feedback
under both names. ``nbgrader release_feedback`` and the formgrader's *Release feedback* button both
use it; nothing else changes for the instructor. A later collect in which the learner kept the
expected name clears the record.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash

IGNORED_DIRS = {".ipynb_checkpoints", "__pycache__"}


@dataclass
class Finding:
    student: str
    status: str            # "ok" | "renamed" | "would rename" (a dry run) | "needs attention"
    detail: str = ""
    renamed: dict | None = None   # {expected name: the learner's name} when renamed

    def __str__(self) -> str:
        return f"{self.student}: {self.status}" + (f" ({self.detail})" if self.detail else "")


def expected_notebooks(course: Path, assignment: str) -> set[str]:
    for step in ("release", "source"):
        folder = course / step / assignment
        names = {p.name for p in folder.glob("*.ipynb")}
        if names:
            return names
    raise FileNotFoundError(f"no notebooks for {assignment!r} in release/ or source/ under {course}")


def renames_path(course: Path, assignment: str) -> Path:
    """Where the renames of one assignment's submissions are recorded (see the module doc)."""
    return Path(course) / ".grading" / "renamed" / f"{assignment}.json"


def read_renames(course: Path, assignment: str) -> dict[str, dict]:
    """``{student: {"timestamp": submission's timestamp, "notebooks": {expected name: learner's name}}}``."""
    path = renames_path(course, assignment)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path} cannot be read ({exc}); delete it and run the name check again") from None
    out = {}
    for student, rec in data.items() if isinstance(data, dict) else ():
        if isinstance(rec, dict) and isinstance(rec.get("notebooks"), dict):
            out[str(student)] = {"timestamp": str(rec.get("timestamp", "")),
                                 "notebooks": {str(k): str(v) for k, v in rec["notebooks"].items()}}
    return out


def _timestamp(folder: Path) -> str:
    try:
        return (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _write_renames(course: Path, assignment: str, renames: dict) -> None:
    path = renames_path(course, assignment)
    if not renames and not path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(renames, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


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
        return Finding(student, "renamed" if fix else "would rename", f"{extra[0]!r} to {missing[0]!r}",
                       renamed={missing[0]: extra[0]})
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
    renames = read_renames(course, assignment)
    for student_dir in sorted(p for p in submitted.glob("*") if p.is_dir()) if submitted.is_dir() else []:
        folder = student_dir / assignment
        if folder.is_dir():
            finding = check_submission(folder, expected, fix=fix)
            findings.append(finding)
            stamp = _timestamp(folder)
            if finding.status == "renamed":
                renames[finding.student] = {"timestamp": stamp, "notebooks": finding.renamed}
            elif finding.student in renames and renames[finding.student]["timestamp"] != stamp:
                renames.pop(finding.student)  # a newer submission: the old rename no longer applies
    if fix:
        _write_renames(course, assignment, renames)
    return findings


def renamed_feedback_names(course: Path, assignment: str, student: str) -> dict[str, str]:
    """``{expected notebook id: the learner's notebook id}`` for one learner (ids without .ipynb)."""
    names = read_renames(course, assignment).get(student, {}).get("notebooks", {})
    return {Path(exp).stem: Path(theirs).stem for exp, theirs in names.items()}


class ReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's feedback release, plus each renamed notebook's feedback under the learner's name.

    nbgrader releases ``feedback/<student>/<assignment>/<notebook>.html`` to the exchange as
    ``hash(submission secret, notebook).html``; ``fetch_feedback`` computes that hash from the
    notebook names in the learner's own copy of their submission. For a notebook this module put back
    under its expected name, the same feedback is also released under the hash of the learner's name.
    """

    def copy_files(self):
        super().copy_files()
        root = Path(self.coursedir.root)
        assignment = self.coursedir.assignment_id
        exclude = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        only = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        for student in sorted(read_renames(root, assignment)):
            if student in exclude or (only and student != only):
                continue
            folder = Path(self.coursedir.format_path(self.coursedir.feedback_directory, student, assignment))
            secret_file = folder / "submission_secret.txt"
            if not secret_file.is_file():
                continue  # no feedback generated for this learner yet
            secret = secret_file.read_text()
            for expected, theirs in renamed_feedback_names(root, assignment, student).items():
                html_file = folder / f"{expected}.html"
                if not html_file.is_file():
                    continue
                checksum = notebook_hash(secret=secret, notebook_id=theirs)
                tmp = os.path.join(self.dest_path, f"{checksum}-tmp.html")
                shutil.copy(html_file, tmp)
                os.replace(tmp, os.path.join(self.dest_path, f"{checksum}.html"))
                self.log.info("Releasing feedback for student '%s' on '%s/%s' also under the name "
                              "they submitted it as, %r", student, assignment, expected, theirs + ".ipynb")


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
