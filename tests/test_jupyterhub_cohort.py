"""The course on a real JupyterHub: real unix users, a real Hub and proxy, a real nbgrader exchange.

One instructor and two students (throwaway unix users) log in to the deployment in
``deploy/jupyterhub/``. The instructor releases an assignment; one student answers it right, the other
wrong; both submit; the instructor collects, autogrades and returns feedback; the grades come out as
expected. On the way we check what each role can see (formgrader, Lab tools, other people's files)
and, in Chromium, the student's Assignments panel and the instructor's formgrader inside a Lab tab.

Runs as root on Linux only (CI does); skipped with the reason everywhere else. Building the course
environment takes ~10-40 s (uv, npm ci); the cohort itself about a minute on two cores.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from course_tools.contract import grade_calls

from hub_helpers import (COURSE_ID, ROOT, CohortEnv, Hub, UnixUser, cohort_unavailable_reason,
                         page_config, run_as)

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader]

_reason = cohort_unavailable_reason()
if _reason:
    pytestmark.append(pytest.mark.skip(reason=_reason))

PREFERRED_ASSIGNMENT = "a2-team-vs-tech"
COURSE_DIR_NAME = "technical-leadership"  # where the instructor clones the course (instructor config)
STUDENT_TOOLS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                 "@jupyter/nbgrader:course-list")


# --------------------------------------------------------------------------------- the assignment
def pick_assignment() -> str:
    source = ROOT / "source"
    if (source / PREFERRED_ASSIGNMENT).is_dir():
        return PREFERRED_ASSIGNMENT
    found = sorted(p.name for p in source.iterdir() if p.is_dir() and list(p.glob("*.ipynb"))) if source.is_dir() else []
    if not found:
        pytest.skip("no nbgrader assignment in source/ yet")
    return found[0]


def nbmeta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def hidden_blocks(text: str) -> list[str]:
    from course_tools.contract import hidden_region

    region = hidden_region(text)
    return [region] if region else []


class AssignmentKey:
    """What the instructor's version says: right answers, points, hidden test lines."""

    def __init__(self, assignment: str):
        self.assignment = assignment
        folder = ROOT / "source" / assignment
        self.notebooks = sorted(p.name for p in folder.glob("*.ipynb"))
        self.cells: dict[str, dict[str, str]] = {}   # notebook -> grade_id -> solution source
        self.widgets: dict[str, object] = {}          # exercise id -> expected answer
        self.auto_points = 0.0                        # points the autograder can give
        self.total_points = 0.0                       # every point, hand-graded ones too
        self.hidden_lines: set[str] = set()
        for name in self.notebooks:
            nb = json.loads((folder / name).read_text())
            self.cells[name] = {}
            for cell in nb["cells"]:
                meta, text = nbmeta(cell), "".join(cell["source"])
                points = float(meta.get("points") or 0)
                if meta.get("grade") or meta.get("task"):
                    self.total_points += points
                if meta.get("grade") and not meta.get("solution") and not meta.get("task"):
                    self.auto_points += points
                if meta.get("solution") and cell["cell_type"] == "code":
                    self.cells[name][meta["grade_id"]] = "\n".join(
                        line for line in text.splitlines()
                        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
                for block in hidden_blocks(text):
                    self.hidden_lines.update(ln.strip() for ln in block.splitlines() if len(ln.strip()) > 12)
                for call in grade_calls(text):  # the grading contract: grade_answer(id, key=...)
                    self.widgets[call.exercise_id] = call.key

    def wrong_widget_answers(self) -> dict[str, object]:
        """A wrong (but valid) answer for every graded widget."""
        from exercises.banks import get_exercise

        wrong = {}
        for ex_id, expected in self.widgets.items():
            entry = get_exercise(ex_id)
            if entry["kind"] == "choice":
                wrong[ex_id] = next(o["key"] for o in entry["options"] if o["key"] != expected)
            elif entry["kind"] == "many-choice":
                keys = [o["key"] for o in entry["options"]]
                wrong[ex_id] = [k for k in keys if k not in expected][:1] or keys[:1]
            elif entry["kind"] == "classify":
                cats = [c["key"] for c in entry["categories"]]
                wrong[ex_id] = {i["key"]: next(c for c in cats if c != expected.get(i["key"]))
                                for i in entry["items"]}
        return wrong


# Run as a student with the course environment's Python, in the assignment folder: write the answer
# cells (right answers from the key, or leave the stubs), then drive the real graded widgets (as the
# Lab would) so that they record their answers in responses.json next to the notebook.
ANSWER = """
import json, sys
notebooks, solutions, answers = json.loads(sys.argv[1])
for path in notebooks:
    nb = json.load(open(path))
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if meta.get("grade_id") in solutions:
            cell["source"] = solutions[meta["grade_id"]]
        elif cell["cell_type"] == "markdown" and (meta.get("solution") or "Your answer" in "".join(cell["source"])):
            cell["source"] = "Priya keeps the 1:1s going and hands the pipeline work to Dana."
    json.dump(nb, open(path, "w"), indent=1)
from exercises import show
for ex_id, answer in answers.items():
    w = show(ex_id, graded=True)
    w.answer = answer
    assert w.check() is not None, (ex_id, w.status.value)
print(open("responses.json").read() if answers else '{"responses": {}}')
"""

# Run as a student: try to read other people's files; report what the operating system said.
PROBE = """
import json, os, sys
out = {}
for label, (op, path) in json.loads(sys.argv[1]).items():
    try:
        os.listdir(path) if op == "list" else open(path, "rb").read(1)
        out[label] = "allowed"
    except PermissionError:
        out[label] = "denied"
    except FileNotFoundError:
        out[label] = "missing"
print(json.dumps(out))
"""


# ---------------------------------------------------------------------------------------- fixture
class Cohort:
    def __init__(self, env: CohortEnv, hub: Hub, instructor: UnixUser, students: list[UnixUser],
                 assignment: str):
        self.env, self.hub, self.instructor, self.students = env, hub, instructor, students
        self.assignment = assignment
        self.key = AssignmentKey(assignment)
        self.course_dir = instructor.home / COURSE_DIR_NAME
        self.round_trip_done = False
        self.timings = dict(env.timings)
        self.steps: list[tuple[str, float]] = []

    def nbgrader(self, user: UnixUser, *args, instructor=False, cwd=None, check=True):
        env = self.env.user_env(user, instructor=instructor)
        t0 = time.monotonic()
        out = run_as(user, [self.env.bin / "nbgrader", *args], env=env, cwd=cwd, check=check)
        self.steps.append((f"nbgrader {args[0]} ({user.name})", time.monotonic() - t0))
        return out

    def student_action(self, student: UnixUser, action: str) -> list:
        """What the Assignments panel's buttons do: fetch / submit / fetch_feedback on their server."""
        t0 = time.monotonic()
        status, _, text = self.hub.request("POST", f"/user/{student.name}/assignments/{action}",
                                           {"course_id": COURSE_ID, "assignment_id": self.assignment},
                                           timeout=120)
        self.steps.append((f"{action} ({student.name})", time.monotonic() - t0))
        assert status == 200, f"{action} for {student.name}: {status} {text[:500]}"
        result = json.loads(text)
        assert result.get("success"), f"{action} for {student.name}: {result}"
        return result["value"]

    def formgrader(self, method: str, path: str):
        """A call to the formgrader's REST API on the instructor's server (what its buttons do)."""
        t0 = time.monotonic()
        status, _, text = self.hub.request(method, f"/user/{self.instructor.name}/formgrader/api/{path}",
                                           {}, timeout=300)
        self.steps.append((f"formgrader {path}", time.monotonic() - t0))
        assert status == 200, f"formgrader {path}: {status} {text[:800]}"
        result = json.loads(text) if text.strip() else {}
        assert not isinstance(result, dict) or result.get("success", True), f"formgrader {path}: {result}"
        return result

    def python(self, user: UnixUser, code: str, *args, cwd=None):
        t0 = time.monotonic()
        out = run_as(user, [self.env.bin / "python", "-c", code, *args], env=self.env.user_env(user), cwd=cwd)
        self.steps.append((f"python ({user.name})", time.monotonic() - t0))
        return out


@pytest.fixture(scope="module")
def cohort():
    assignment = pick_assignment()
    env = CohortEnv()
    users: list[UnixUser] = []
    hub = None
    try:
        env.build()
        instructor = UnixUser("tlinst")
        users.append(instructor)
        students = [UnixUser("tlstu"), UnixUser("tlstu")]
        users.extend(students)
        hub = Hub(env, [instructor.name], [s.name for s in students])
        t0 = time.monotonic()
        hub.start()
        cohort = Cohort(env, hub, instructor, students, assignment)
        cohort.timings["hub start"] = time.monotonic() - t0
        t0 = time.monotonic()
        for user in users:  # start the three servers at once, then wait for each
            hub.request("POST", f"/hub/api/users/{user.name}/server")
        for user in users:
            hub.spawn(user.name)
        cohort.timings["3 user servers"] = time.monotonic() - t0
        yield cohort
        print("\ncohort timings (s):", {k: round(v, 1) for k, v in cohort.timings.items()})
        print("steps (s):", [(k, round(v, 1)) for k, v in cohort.steps])
    finally:
        if hub is not None:
            hub.stop()
        for user in users:
            user.remove()
        env.remove()


# ------------------------------------------------------------------------------------------ tests
def test_each_role_gets_the_right_jupyterlab(cohort):
    """Lab loads for everyone with the nbgrader and widgets extensions; only the instructor has the tools."""
    hub = cohort.hub
    for user, is_instructor in [(cohort.instructor, True)] + [(s, False) for s in cohort.students]:
        status, headers, text = hub.request("GET", f"/user/{user.name}/lab")
        assert status == 200, f"/user/{user.name}/lab → {status}"
        config = page_config(text)
        extensions = {e["name"] for e in config.get("federated_extensions", [])}
        assert {"@jupyter/nbgrader", "@jupyter-widgets/jupyterlab-manager"} <= extensions, extensions
        disabled = set(config.get("disabledExtensions", []))
        formgrader_status, fg_headers, _ = hub.request("GET", f"/user/{user.name}/formgrader/manage_assignments")
        api_status, _, _ = hub.request("GET", f"/user/{user.name}/formgrader/api/assignments")
        if is_instructor:
            assert not disabled & set(STUDENT_TOOLS), f"instructor's Lab hides {disabled & set(STUDENT_TOOLS)}"
            assert formgrader_status == 200 and api_status == 200, (formgrader_status, api_status)
            # The CSP fix (instructor/jupyter_server_config.py): the formgrader may be framed by Lab.
            csp = fg_headers.get("Content-Security-Policy", "")
            assert "frame-ancestors 'self'" in csp, csp
        else:
            assert set(STUDENT_TOOLS) <= disabled, f"student {user.name} sees tools: {set(STUDENT_TOOLS) - disabled}"
            assert "@jupyter/nbgrader:assignment-list" not in disabled
            # No formgrader at all on a student's server (the server extension is off).
            assert formgrader_status == 404 and api_status == 404, (formgrader_status, api_status)
            # Students keep JupyterHub's default: nothing may frame their server.
            assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "")
        # The assignment list works for everyone.
        status, _, body = hub.request("GET", f"/user/{user.name}/assignments?course_id={COURSE_ID}")
        assert status == 200 and json.loads(body).get("success"), body[:300]


def test_assignment_round_trip_through_the_exchange(cohort):
    """Release → fetch → answer → submit → collect → autograde → feedback → export, as real users.

    Each step runs as the unix user who would do it: the instructor in a terminal (nbgrader's
    command line) and in the formgrader (its REST API on the instructor's server); students through
    the Assignments panel's REST API on their own servers, answering in their own Python.
    """
    t0 = time.monotonic()
    inst, (right, wrong), a, key = cohort.instructor, cohort.students, cohort.assignment, cohort.key
    course = cohort.course_dir
    # The instructor gets the course (on a real Hub: git clone or nbgitpuller), generates, releases.
    run_as(inst, ["cp", "-r", cohort.env.course, course], env=cohort.env.user_env(inst))
    cohort.nbgrader(inst, "generate_assignment", a, "--force", instructor=True, cwd=course)
    cohort.nbgrader(inst, "release_assignment", a, instructor=True, cwd=course)

    # Each student fetches, answers (one right, one wrong) and submits, both at once.
    def student_works(student: UnixUser, is_right: bool) -> None:
        listing = cohort.student_action(student, "fetch")
        assert any(x["assignment_id"] == a and x["status"] == "fetched" for x in listing), listing
        solutions = {gid: src for cells in key.cells.values() for gid, src in cells.items()} if is_right else {}
        answers = key.widgets if is_right else key.wrong_widget_answers()
        folder = student.home / a
        out = cohort.python(student, ANSWER, json.dumps([key.notebooks, solutions, answers]), cwd=folder)
        assert set(answers) <= set(json.loads(out.stdout)["responses"]), out.stdout
        listing = cohort.student_action(student, "submit")
        assert any(x["assignment_id"] == a and x["status"] == "submitted" for x in listing), listing

    with ThreadPoolExecutor(max_workers=2) as pool:
        for job in [pool.submit(student_works, right, True), pool.submit(student_works, wrong, False)]:
            job.result()
    cohort.timings["release to submit"] = time.monotonic() - t0

    # The instructor collects, autogrades and returns feedback in the formgrader.
    cohort.formgrader("POST", f"assignment/{a}/collect")
    for student in cohort.students:
        assert (course / "submitted" / student.name / a).is_dir(), f"{student.name}'s submission not collected"
        cohort.formgrader("POST", f"submission/{a}/{student.name}/autograde")
    cohort.formgrader("POST", f"assignment/{a}/generate_feedback")
    cohort.formgrader("POST", f"assignment/{a}/release_feedback")
    cohort.nbgrader(inst, "export", instructor=True, cwd=course)
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO((course / "grades.csv").read_text()))
            if r["assignment"] == a}

    # Feedback reaches each student, without the hidden tests.
    released = set()
    if (ROOT / "release" / a).is_dir():
        for name in key.notebooks:
            for cell in json.loads((ROOT / "release" / a / name).read_text())["cells"]:
                released.update(line.strip() for line in "".join(cell["source"]).splitlines())
    secret_lines = {ln for ln in key.hidden_lines if ln not in released}
    for student in cohort.students:
        cohort.student_action(student, "fetch_feedback")
        pages = list((student.home / a / "feedback").rglob("*.html"))
        assert pages, f"no feedback fetched for {student.name}"
        for page in pages:
            text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
            assert "BEGIN HIDDEN TESTS" not in text
            leaked = [ln for ln in secret_lines if ln in text]
            assert not leaked, f"hidden test lines in {student.name}'s feedback: {leaked[:3]}"
    cohort.timings["round trip"] = time.monotonic() - t0

    score = {s.name: float(rows[s.name]["score"]) for s in cohort.students}
    max_score = float(rows[right.name]["max_score"])
    assert max_score == pytest.approx(key.total_points)
    # Hand-graded tasks are not marked yet, so the right answers earn every autograded point.
    assert score[right.name] == pytest.approx(key.auto_points), (score, key.auto_points)
    assert score[wrong.name] < score[right.name]
    if a == PREFERRED_ASSIGNMENT:
        assert score[wrong.name] == pytest.approx(0.0), score
    cohort.round_trip_done = True


def test_students_cannot_read_each_other_or_the_instructor(cohort):
    """Unix permissions, as the second student: nothing of the first student's or the instructor's."""
    if not cohort.round_trip_done:
        pytest.skip("needs the submissions of the round-trip test")
    (first, second), inst, a = cohort.students, cohort.instructor, cohort.assignment
    inbound = cohort.env.exchange / COURSE_ID / "inbound"
    # nbgrader's exchange design: inbound/ is write-only for students (mode 733, cannot be listed)
    # and each submission folder ends in 12 random characters (72 bits), so no one can find another
    # student's submission (its files must stay readable for the instructor, another unix user).
    first_submission = next(p for p in inbound.glob(f"{first.name}+{a}+*") if p.is_dir())
    student_id, _, timestamp, random_part = first_submission.name.split("+")
    assert len(random_part) >= 12, first_submission.name
    assert inbound.stat().st_mode & 0o777 == 0o733, oct(inbound.stat().st_mode)
    course = cohort.course_dir
    targets = {
        "exchange inbound (list)": ("list", inbound),
        "other student's submission without its random name": (
            "list", inbound / f"{student_id}+{a}+{timestamp}"),
        "other student's home": ("list", first.home),
        "other student's notebook": ("read", first.home / a / cohort.key.notebooks[0]),
        "instructor's home": ("list", inst.home),
        "instructor's source/": ("list", course / "source" / a),
        "instructor's source notebook": ("read", course / "source" / a / cohort.key.notebooks[0]),
        "gradebook": ("read", course / "gradebook.db"),
        "collected submissions": ("list", course / "submitted"),
    }
    assert (course / "gradebook.db").exists() and (course / "source" / a).is_dir()
    found = json.loads(cohort.python(second, PROBE, json.dumps({k: [op, str(p)] for k, (op, p) in targets.items()})).stdout)
    reachable = {k: v for k, v in found.items() if v == "allowed"}
    assert not reachable, f"{second.name} could reach: {reachable}"
    # And a student's own server offers no formgrader to ask.
    status, _, _ = cohort.hub.request("GET", f"/user/{second.name}/formgrader/api/submissions/{a}")
    assert status == 404


def test_in_chromium_student_assignments_and_instructor_formgrader(cohort, request):
    from browser_helpers import IN_CI, browser_unavailable_reason, launch_browser

    reason = browser_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    if not cohort.round_trip_done:
        pytest.skip("needs the submissions of the round-trip test")
    from playwright.sync_api import expect

    hub, a = cohort.hub, cohort.assignment
    t0 = time.monotonic()

    def login(browser, user):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login", wait_until="domcontentloaded")
        page.fill("input[name=username]", user.name)
        page.fill("input[name=password]", hub.password)
        page.click("#login_submit")
        page.wait_for_url(re.compile(rf"/user/{user.name}/lab"), timeout=60_000)
        page.wait_for_selector(".jp-LabShell", timeout=60_000)
        return page

    def open_nbgrader_menu(page, item):
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).click()

    # The session's one Playwright driver (shared with the JupyterLab browser tests; see conftest.py).
    pw = request.getfixturevalue("playwright_instance")
    browser = launch_browser(pw)
    try:
        # A student logs in through the Hub and finds the assignment in the Assignments panel.
        page = login(browser, cohort.students[0])
        open_nbgrader_menu(page, "Assignment List")
        expect(page.locator("#fetched_assignments_list, #submitted_assignments_list, #released_assignments_list")
               .get_by_text(a).first).to_be_visible(timeout=30_000)
        page.context.close()

        # The instructor opens the formgrader in a Lab tab: the iframe loads (CSP fix) and
        # lists the assignment; its submissions page names both students.
        page = login(browser, cohort.instructor)
        open_nbgrader_menu(page, "Formgrader")
        frame = page.frame_locator("iframe[src*='formgrader']")
        expect(frame.get_by_role("link", name=a, exact=True)).to_be_visible(timeout=30_000)
        submissions = frame.locator(f"a[href$='/formgrader/manage_submissions/{a}']")
        expect(submissions).to_have_text(str(len(cohort.students)), timeout=30_000)
        submissions.click()
        for student in cohort.students:
            expect(frame.get_by_role("row").filter(has_text=student.name)).to_be_visible(timeout=30_000)
        page.context.close()
    finally:
        browser.close()
    cohort.timings["browser"] = time.monotonic() - t0
