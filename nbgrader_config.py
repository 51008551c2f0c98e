"""nbgrader configuration for the course (read by every nbgrader command run from this folder)."""
import os

c = get_config()  # noqa: F821  (provided by nbgrader/traitlets when this file is loaded)

HERE = os.path.dirname(os.path.abspath(__file__))

# One id for the course, so the exchange and the gradebook keep its assignments apart from others.
# (A Hub serving several courses from copies of this directory names each one in TECHLEAD_COURSE_ID.)
c.CourseDirectory.course_id = os.environ.get("TECHLEAD_COURSE_ID") or "techlead"

# The course directory is the repository itself: source/, release/, submitted/, autograded/, feedback/
# all live next to this file, wherever the repo is cloned (tests point this at a temporary copy).
c.CourseDirectory.root = HERE

# Learners' saved widget answers live in responses.json next to each notebook. It must travel with
# the submission so hidden tests can grade graded-mode widget answers, so nothing here ignores it.
# But autograde copies every non-notebook file of source/<id>/ over the submission ("master
# versions"): an instructor's own responses.json left in source/ (from trying the widgets) would
# replace each learner's answers with the instructor's. Never overwrite the responses files.
# (The kit's hidden backup and lock files, .responses.json.bak and .responses.json.lock, likewise.)
RESPONSES_FILES = ["responses.json", ".responses.json.bak", ".responses.json.lock"]
_source = os.path.join(HERE, "source")
c.Autograde.exclude_overwriting = {
    name: list(RESPONSES_FILES)
    for name in (sorted(os.listdir(_source)) if os.path.isdir(_source) else [])
}

# Graded widget questions are scored in the grader's own process, never in the kernel the learner's
# code runs in (course_tools/widget_grading.py): ReadRecordedAnswers takes the submitted
# responses.json *before* execution, ScoreWidgetAnswers scores each `grade_answer(...)` grade cell
# *after* it, from the instructor's key, and writes the points (a fraction of the cell's own points)
# and the feedback into the cell. ScaleCodeCredit does the same for code answers' partial credit
# (course_tools/code_credit.py): a test cell whose instructor version ends with
# `partial_credit(<fraction>)` gets fraction x its own points, capped to [0, points], so changing a
# cell's points in the Create Assignment panel changes nothing else. FlagTampering reads, before
# anything runs, the cells a learner can edit and logs each line that reaches into the grading
# machinery (course_tools/tampering.py); it changes nothing. The other entries are nbgrader 0.9.6's
# defaults, in their order (Execute replaced by SandboxedExecute, SaveAutoGrades by the course's
# subclass: see the release steps below).
c.Autograde.autograde_preprocessors = [
    "course_tools.tampering.FlagTampering",     # logs learner code that reaches into the grading machinery
    "course_tools.widget_grading.ReadRecordedAnswers",
    "course_tools.sandbox.SandboxedExecute",    # nbgrader's Execute, in the sandbox; code tests judged (below)
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "course_tools.widget_grading.ScoreWidgetAnswers",
    "course_tools.code_credit.ScaleCodeCredit",     # partial_credit(fraction) x the cell's points
    "nbgrader.preprocessors.LimitOutput",
    "course_tools.widget_cells.SaveAutoGrades",     # nbgrader's, without "No response." on widget cells
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Code answers' test cells are judged in the grader's process, never run in the learner's kernel
# (course_tools/judge.py): the grader runs the instructor's test code from the gradebook, and the
# learner's names arrive from the kernel as plain copies (functions run there, their results come
# back as data). Learner code that rewrites cells or fakes results in the kernel then changes no
# verdict. False runs the tests in the kernel, as nbgrader does.
c.SandboxedExecute.judge_code_tests = True

# A cell that runs longer than this (e.g. an endless loop) is interrupted and grading goes on.
c.Execute.timeout = 30

# Autograde runs learner code in a bubblewrap sandbox with limits (course_tools/sandbox.py;
# INSTRUCTORS.md, "Sandboxed grading"): it sees only a private copy of its submission, never the
# course, the gradebook, other learners, home folders or the network. Opt out only knowingly:
# TECHLEAD_UNSANDBOXED_GRADING=1 (or c.SandboxedExecute.sandbox = False). The limits:
c.SandboxedExecute.memory_limit_mb = 2048     # "the notebook used more than 2 GB of memory"
c.SandboxedExecute.cpu_limit_seconds = 300    # CPU time of the whole kernel
c.SandboxedExecute.file_size_limit_mb = 64    # largest file learner code may write
c.SandboxedExecute.output_limit_kb = 1024     # output per cell; the rest is dropped, the cell fails
c.SandboxedExecute.notebook_timeout = 600     # all cells of a notebook together (s)

# nbgrader's default sanitize pipeline, with the restore of deleted cells fixed
# (course_tools/sanitize.py: nbgrader 0.9.6 fails on a deleted grade cell that follows a locked cell).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course_tools.sanitize.RestoreDeletedCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Put back any grade or task cell a learner deleted, so a deleted test cannot score silently.
c.OverwriteCells.add_missing_cells = True  # also read by RestoreDeletedCells (a subclass)

# Feedback must never reveal hidden tests: ScrubHiddenTestErrors reduces errors and outputs of cells
# that held hidden tests to a plain message (tracebacks would quote the hidden lines), then
# ClearHiddenTests removes the hidden lines themselves. Autograde restores locked task cells from
# the gradebook *with* their mark scheme (so the formgrader shows it), hence ClearMarkScheme too.
# The first two entries are nbgrader's defaults.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "course_tools.feedback.ScrubHiddenTestErrors",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
]

# Student versions: nbgrader 0.9.6's own release steps, in their order, plus TagRaisesException
# after ClearOutput, which tags every code answer and test cell `raises-exception` so a learner's
# *Run All* on a blank copy goes to the end instead of stopping at the first unanswered code question
# (course_tools/run_all.py). It runs for `make assignments`, `nbgrader generate_assignment` and the
# formgrader's Generate button alike; autograde ignores the tag and the checksums do not cover it.
# A graded widget question's show(...) cell is an "Autograded answer" cell, so that the formgrader gives
# it a comment box (nbgrader gives one only to answer and task cells); the course's ClearSolutions
# releases it as written instead of nbgrader's stub `raise NotImplementedError()`, and the course's
# SaveAutoGrades writes no "No response." under it (course_tools/widget_cells.py).
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "course_tools.widget_cells.ClearSolutions",     # nbgrader's, keeping graded show(...) cells
    "nbgrader.preprocessors.ClearOutput",
    "course_tools.run_all.TagRaisesException",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback for a notebook a learner renamed (and course_tools.submissions put back under its
# expected name before autograde) is released under the learner's name too, so their Fetch Feedback
# finds it. nbgrader's own release step otherwise; the formgrader's button uses it as well.
c.ExchangeFactory.release_feedback = "course_tools.submissions.ReleaseFeedback"

# A single-machine exchange: a folder every local user can write to. Override with
# TECHLEAD_EXCHANGE (tests use a temporary folder; a shared server uses e.g. /srv/nbgrader/exchange).
c.Exchange.root = os.environ.get("TECHLEAD_EXCHANGE", os.path.join(HERE, ".exchange"))
os.makedirs(c.Exchange.root, exist_ok=True)

# On one machine every "student" is the same unix user as the instructor, so collecting must not
# insist that a submission's files belong to the student who submitted them. On a multi-user server
# (deploy/jupyterhub sets TECHLEAD_CHECK_OWNER=1 for every user server) the check stays on.
# (ExchangeCollect is where nbgrader 0.9 reads it; CollectApp.check_owner only prints a deprecation.)
c.ExchangeCollect.check_owner = os.environ.get("TECHLEAD_CHECK_OWNER") == "1"
