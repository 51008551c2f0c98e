"""From the learning platform to the grade book, on a real JupyterHub with two courses.

A test learning platform on 127.0.0.1 (tests/lti_platform.py: OIDC login, signed id_tokens, JWKS,
token endpoint, Names and Roles, Assignment and Grade Services) launches people into the Hub of
``deploy/jupyterhub/jupyterhub_lti_config.py`` through the real ``jupyterhub-ltiauthenticator``.
Two courses (A and B) share the Hub: each has its own instructor, grader service, course directory,
gradebook and exchange folder. Unix accounts are created by the Hub on first launch.

Course A: an instructor and two learners launch; the learners land on the course index pulled by
nbgitpuller from a learner-edition branch, fetch the assignment, answer (one right, one wrong) and
submit; the instructor collects and autogrades in the course's formgrader service; the passback
command posts the right scores to the platform, and a second run changes nothing. Course B's
instructor and learner check, as their own unix users, that they cannot reach course A.

Runs as root on Linux only (CI does); skipped with the reason elsewhere.
"""
from __future__ import annotations

import grp
import json
import pwd
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from hub_helpers import (ROOT, CohortEnv, LTIHub, _run, cohort_unavailable_reason,
                         remove_unix_account, remove_unix_group, run_as, uid_footprint)

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader]

_reason = cohort_unavailable_reason()
if not _reason:
    for _tool in ("git", "groupadd", "gpasswd"):
        if shutil.which(_tool) is None:
            _reason = f"`{_tool}` is not installed (the LTI Hub test needs git, groupadd and gpasswd)"
if _reason:
    pytestmark.append(pytest.mark.skip(reason=_reason))


def _course_ids() -> tuple[str, str]:
    tag = secrets.token_hex(2)
    return f"tla{tag}", f"tlb{tag}"


class _Person:
    def __init__(self, hint, given, family, browser):
        self.hint, self.given, self.browser = hint, given, browser
        self.name = ""        # the Hub's name for them (after the first launch)

    @property
    def unix(self) -> "_Account":
        return _Account(self.name)


class _Account:
    """A unix account the Hub created (what run_as needs)."""

    def __init__(self, name: str):
        info = pwd.getpwnam(name)
        self.name, self.uid, self.home = name, info.pw_uid, Path(info.pw_dir)


def _make_learner_edition(base: Path) -> Path:
    """A git repository with a ``learner-edition`` branch every user can clone.

    The real branch when the course repository has one (``make edition``); else a small stand-in
    with the course's index notebook.
    """
    repo = base / "course-edition.git"
    has_branch = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", "learner-edition"],
                                capture_output=True).returncode == 0
    if has_branch:
        _run(["git", "clone", "--bare", "--branch", "learner-edition", "--single-branch", ROOT, repo])
    else:
        work = base / "edition-work"
        (work / "notebooks").mkdir(parents=True)
        shutil.copy2(ROOT / "notebooks" / "index.ipynb", work / "notebooks" / "index.ipynb")
        (work / "README.md").write_text("Learner edition (test stand-in)\n")
        git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.org"]
        _run(["git", "init", "-q", "-b", "learner-edition", str(work)])
        _run([*git, "add", "."])
        _run([*git, "commit", "-q", "-m", "learner edition"])
        _run(["git", "clone", "-q", "--bare", str(work), str(repo)])
    _run(["chmod", "-R", "a+rX", repo])
    safe = base / "gitconfig-safe"     # see LTIHub: lets learners' git read a root-owned repository
    safe.write_text(f"[safe]\n\tdirectory = {repo}\n")
    safe.chmod(0o644)
    return repo


class LTICohort:
    def __init__(self):
        self.env = CohortEnv()
        self.course_a, self.course_b = _course_ids()
        self.hub: LTIHub | None = None
        self.platform = None
        self.people: dict[str, _Person] = {}
        self.graders: list[str] = []
        self.groups: list[str] = []
        self.assignment = ""
        self.key = None
        self.lti_config = self.env.base / "lti.yaml"
        self.config: dict = {}
        self.footprint: dict[str, tuple[float, float]] = {}
        self.graded = False

    # -- set-up
    def build(self):
        from lti_platform import LTIBrowser, Platform, private_pem

        from test_jupyterhub_cohort import AssignmentKey, pick_assignment

        self.assignment = pick_assignment()
        self.key = AssignmentKey(self.assignment)
        self.env.build()
        p = self.platform = Platform()
        p.start()
        tool_key = __import__("lti_platform").new_rsa_key()
        p.tool_public_key = tool_key.public_key()
        key_dir = self.env.base / "lti"
        key_dir.mkdir(mode=0o755)
        key_file = key_dir / "tool-key.pem"
        key_file.write_bytes(private_pem(tool_key))
        key_file.chmod(0o600)
        edition = _make_learner_edition(self.env.base)
        a, b = self.course_a, self.course_b
        p.add_context("ctx-A", "Technical leadership (spring)", "TL-A")
        p.add_context("ctx-B", "Technical leadership (autumn)", "TL-B")
        p.add_context("ctx-unknown", "A course this Hub does not serve", "NOPE")
        people = [("inst-a", "Ines", "Ortega", "ctx-A", "Instructor"),
                  ("ana", "Ana", "Lima", "ctx-A", "Learner"),
                  ("ben", "Ben", "Okafor", "ctx-A", "Learner"),
                  ("inst-b", "Bruno", "Sato", "ctx-B", "Instructor"),
                  ("cleo", "Cleo", "Park", "ctx-B", "Learner")]
        for hint, given, family, ctx, role in people:
            p.add_user(hint, given_name=given, family_name=family, email=f"{given.lower()}.{family.lower()}@example.edu")
            p.enrol(hint, ctx, role)
            self.people[hint] = _Person(hint, given, family, LTIBrowser(p, hint))
        p.enrol("ana", "ctx-unknown", "Learner")
        grader_port_a, grader_port_b = (__import__("hub_helpers").free_port() for _ in range(2))
        course = {"repo": f"file://{edition}", "branch": "learner-edition"}
        self.config = {
            "platform": p.endpoints(),
            "tool": {"private_key": str(key_file), "key_id": "tool-1", "key_group": f"lti{a[3:]}"},
            "exchange": str(self.env.exchange),
            "courses": [
                dict(course, id=a, title="Technical leadership (spring)", lti_context_ids=["ctx-A"],
                     grader_user=f"grader-{a}", grader_port=grader_port_a,
                     lineitems_url=p.lineitems_url("ctx-A"), memberships_url=p.memberships_url("ctx-A")),
                dict(course, id=b, title="Technical leadership (autumn)", lti_context_ids=["ctx-B"],
                     grader_user=f"grader-{b}", grader_port=grader_port_b,
                     lineitems_url=p.lineitems_url("ctx-B"), memberships_url=p.memberships_url("ctx-B")),
            ],
        }
        self.lti_config.write_text(yaml.safe_dump(self.config, sort_keys=False))
        self.lti_config.chmod(0o644)
        from course_tools.lti_hub import load_config
        self.config = load_config(self.lti_config)   # with the defaults filled in (course_dir, ...)
        self.graders = [f"grader-{a}", f"grader-{b}"]
        self.groups = [f"{kind}-{c}" for c in (a, b) for kind in ("nbgrader", "formgrade")] + [f"lti{a[3:]}"]
        # The administrator's one set-up step (deploy/jupyterhub/README.md).
        out = _run([self.env.bin / "python", "-m", "course_tools.lti_hub", "setup", "--config", self.lti_config,
                    "--course-source", self.env.course])
        self.setup_output = out.stdout
        self.hub = LTIHub(self.env, self.lti_config)
        p.redirect_uris = [f"{self.hub.url}/hub/lti13/oauth_callback"]
        self.hub.start(timeout=360)  # two grader services start first (slow on a busy machine)

    def remove(self):
        names = []
        if self.hub is not None:
            try:
                names = [u["name"] for u in self.hub.api("GET", "/users")]
            except Exception:
                names = [p.name for p in self.people.values() if p.name]
            self.hub.stop()
        if self.platform is not None:
            self.platform.stop()
        for name in set(names) | set(self.graders):
            remove_unix_account(name)
        for group in self.groups:
            remove_unix_group(group)
        self.env.remove()

    # -- helpers
    def course_cfg(self, course_id: str) -> dict:
        return next(c for c in self.config["courses"] if c["id"] == course_id)

    def grader_env(self, course_id: str) -> dict[str, str]:
        """The environment of a terminal in the course's grader service (see lti_hub.grader_services)."""
        home = pwd.getpwnam(f"grader-{course_id}").pw_dir
        return {"HOME": home, "USER": f"grader-{course_id}", "LOGNAME": f"grader-{course_id}",
                "PATH": f"{self.env.bin}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                "TECHLEAD_EXCHANGE": str(self.env.exchange), "TECHLEAD_MULTI_COURSE": "1",
                "TECHLEAD_CHECK_OWNER": "1", "TECHLEAD_COURSE_ID": course_id,
                "TECHLEAD_COURSE_DIR": self.course_cfg(course_id)["course_dir"],
                "JUPYTER_CONFIG_PATH": str(self.env.deploy / "instructor"),
                "TECHLEAD_LTI_CONFIG": str(self.lti_config)}

    def as_grader(self, course_id: str, argv, check=True):
        grader = _Account(f"grader-{course_id}")
        return run_as(grader, argv, env=self.grader_env(course_id), cwd=self.course_cfg(course_id)["course_dir"],
                      check=check, timeout=600)

    def learner_env(self, account: _Account) -> dict[str, str]:
        return {"HOME": str(account.home), "USER": account.name, "LOGNAME": account.name,
                "PATH": f"{self.env.bin}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                "TECHLEAD_EXCHANGE": str(self.env.exchange), "TECHLEAD_MULTI_COURSE": "1",
                "TECHLEAD_COURSE_ID": ""}

    def server_action(self, person: _Person, action: str, course_id: str) -> dict:
        status, _, text = self.hub.request("POST", f"/user/{person.name}/assignments/{action}",
                                           {"course_id": course_id, "assignment_id": self.assignment}, timeout=180)
        assert status == 200, f"{action} for {person.hint}: {status} {text[:500]}"
        return json.loads(text)

    def passback(self, *args, check=False):
        return self.as_grader(self.course_a, [self.env.bin / "python", "-m", "course_tools.lti_passback",
                                              self.assignment, *args], check=check)


@pytest.fixture(scope="module")
def lti():
    cohort = LTICohort()
    try:
        cohort.build()
        yield cohort
        print("\nper-account footprint after the round trip (RSS MiB, CPU s):",
              {k: (round(m), round(c, 1)) for k, (m, c) in cohort.footprint.items()})
    finally:
        cohort.remove()


def _measure_footprint(lti, with_kernel: _Person, without: _Person) -> None:
    """Resident memory and CPU time of each learner's processes (for the sizing in the README)."""
    status, _, text = lti.hub.request("POST", f"/user/{with_kernel.name}/api/kernels", {"name": "python3"})
    kernel = json.loads(text)["id"] if status == 201 else None
    deadline = time.monotonic() + 60
    while kernel and time.monotonic() < deadline:   # wait until the kernel answers (idle)
        status, _, text = lti.hub.request("GET", f"/user/{with_kernel.name}/api/kernels/{kernel}")
        if status == 200 and json.loads(text).get("execution_state") == "idle":
            break
        time.sleep(1)
    lti.footprint["learner: server + 1 idle kernel"] = uid_footprint(with_kernel.unix.uid)
    lti.footprint["learner: server only"] = uid_footprint(without.unix.uid)
    lti.footprint["grader service after autograde"] = uid_footprint(_Account(f"grader-{lti.course_a}").uid)
    if kernel:
        lti.hub.request("DELETE", f"/user/{with_kernel.name}/api/kernels/{kernel}")


def _log_lines(lti, *needles) -> str:
    return "\n".join(ln for ln in lti.hub.log_tail(60000).splitlines() if any(n in ln for n in needles))[-6000:]


def _listable(path: Path) -> list[Path]:
    try:
        return list(path.iterdir())
    except OSError:
        return []


# ------------------------------------------------------------------------------------------ tests
def test_setup_creates_the_unix_side_of_each_course(lti):
    """Does the one set-up command give each course a grader account, groups and a closed exchange folder?"""
    for course_id in (lti.course_a, lti.course_b):
        folder = lti.env.exchange / course_id
        st = folder.stat()
        assert pwd.getpwuid(st.st_uid).pw_name == f"grader-{course_id}"
        assert grp.getgrgid(st.st_gid).gr_name == f"nbgrader-{course_id}"
        assert st.st_mode & 0o7777 == 0o2750, oct(st.st_mode)
        course_dir = Path(lti.course_cfg(course_id)["course_dir"])
        assert (course_dir / "source" / lti.assignment).is_dir()
        assert pwd.getpwuid(course_dir.stat().st_uid).pw_name == f"grader-{course_id}"
        home = Path(pwd.getpwnam(f"grader-{course_id}").pw_dir)
        assert home.stat().st_mode & 0o777 == 0o700
    key = Path(lti.config["tool"]["private_key"])
    assert key.stat().st_mode & 0o777 == 0o640
    assert set(lti.graders) <= set(grp.getgrgid(key.stat().st_gid).gr_mem)
    # Idempotent: a second run changes nothing.
    again = _run([lti.env.bin / "python", "-m", "course_tools.lti_hub", "setup", "--config", lti.lti_config,
                  "--course-source", lti.env.course]).stdout
    assert "copied" not in again and "created" not in again, again


def test_launches_sign_people_on_with_their_course_roles(lti):
    """Does a launch from the platform create the user, give them their course's group and land them on its index?"""
    a, b = lti.course_a, lti.course_b
    expected = {"inst-a": {f"formgrade-{a}"}, "ana": {f"nbgrader-{a}"}, "ben": {f"nbgrader-{a}"},
                "inst-b": {f"formgrade-{b}"}, "cleo": {f"nbgrader-{b}"}}
    for hint, person in lti.people.items():
        r = person.browser.launch(lti.hub.url, "ctx-A" if hint in ("inst-a", "ana", "ben") else "ctx-B")
        assert r.status_code == 302, f"{hint}: {r.status_code} {r.text[:800]}\n{lti.hub.log_tail()}"
        landing = urlparse(r.headers["Location"])
        assert landing.path == "/hub/user-redirect/git-pull", r.headers["Location"]
        query = {k: v[0] for k, v in parse_qs(landing.query).items()}
        course = lti.course_cfg(a if hint in ("inst-a", "ana", "ben") else b)
        assert query["branch"] == "learner-edition" and query["repo"] == course["repo"]
        assert query["urlpath"] == f"lab/tree/{course['id']}/notebooks/index.ipynb"
        # The Hub knows them now, under a stable unix-safe name, in their course's group only.
        cookie_user = lti.hub.api("GET", "/users")
        names = {u["name"]: u for u in cookie_user}
        person.name = next(n for n in names if n.startswith(person.given.lower()))
        assert set(names[person.name]["groups"]) == expected[hint], (hint, names[person.name]["groups"])
    # A second launch finds the same user (no duplicate accounts).
    r = lti.people["ana"].browser.launch(lti.hub.url, "ctx-A")
    assert r.status_code == 302
    assert len([u for u in lti.hub.api("GET", "/users") if u["name"].startswith("ana")]) == 1


def test_bad_signature_expired_token_and_unknown_course_are_refused(lti):
    """Is a forged, an expired or a foreign-course launch refused with a message that says why?"""
    from lti_platform import LTIBrowser

    cases = [("bad-signature", "ctx-A", 400, "Signature verification failed"),
             ("expired", "ctx-A", 400, "Signature has expired"),
             ("ok", "ctx-unknown", 400, "no course for the platform")]
    for mode, ctx, status, message in cases:
        browser = LTIBrowser(lti.platform, "ana")
        r = browser.launch(lti.hub.url, ctx, mode=mode)
        assert r.status_code == status, (mode, r.status_code, r.text[:500])
        assert message in r.text, (mode, r.text[:2000])
        # and nobody is signed in by it
        assert "jupyterhub-session-id" not in {c.name for c in browser.session.cookies} or \
            browser.get(f"{lti.hub.url}/hub/api/user").status_code == 403


def test_learner_lands_on_the_course_index_pulled_by_nbgitpuller(lti):
    """Does the landing link pull the learner edition into the learner's home and open its index?"""
    ana = lti.people["ana"]
    lti.hub.spawn(ana.name, timeout=120)
    r = ana.browser.launch(lti.hub.url, "ctx-A")
    landing = r.headers["Location"]
    page = ana.browser.follow(f"{lti.hub.url}{landing}")
    assert page.status_code == 200, (page.status_code, page.text[:500])
    assert f"/user/{ana.name}/git-pull" in page.url
    # What nbgitpuller's page then does in the browser: stream the pull from its API.
    api = page.url.replace("/git-pull?", "/git-pull/api?")
    stream = ana.browser.get(api, timeout=180)
    assert stream.status_code == 200, stream.text[:500]
    events = [json.loads(line[5:]) for line in stream.text.splitlines() if line.startswith("data:")]
    assert events and events[-1].get("phase") == "finished", events[-3:]
    index = ana.unix.home / lti.course_a / "notebooks" / "index.ipynb"
    assert index.exists() and index.stat().st_uid == ana.unix.uid
    # The page it then opens is the course index in JupyterLab.
    query = parse_qs(urlparse(page.url).query)
    lab = ana.browser.follow(f"{lti.hub.url}/user/{ana.name}/{query['urlpath'][0]}")
    assert lab.status_code == 200 and "jupyter-config-data" in lab.text


def test_learners_submit_instructor_grades_passback_posts_scores(lti):
    """Fetch → submit → collect → autograde in the course's formgrader service → scores in the platform's grade book."""
    from test_jupyterhub_cohort import ANSWER

    a, key, platform = lti.course_a, lti.key, lti.platform
    right, wrong, inst = lti.people["ana"], lti.people["ben"], lti.people["inst-a"]
    for person in (right, wrong):
        lti.hub.spawn(person.name, timeout=120)
    # The instructor prepares the assignment in a terminal of the grader service.
    lti.as_grader(a, [lti.env.bin / "nbgrader", "generate_assignment", lti.assignment, "--force"])
    lti.as_grader(a, [lti.env.bin / "nbgrader", "release_assignment", lti.assignment])
    for person, is_right in ((right, True), (wrong, False)):
        result = lti.server_action(person, "fetch", a)
        assert result.get("success"), result
        folder = person.unix.home / a / lti.assignment     # multi-course layout: ~/<course>/<assignment>
        solutions = {gid: src for cells in key.cells.values() for gid, src in cells.items()} if is_right else {}
        answers = key.widgets if is_right else key.wrong_widget_answers()
        run_as(person.unix, [lti.env.bin / "python", "-c", ANSWER, json.dumps([key.notebooks, solutions, answers])],
               env=lti.learner_env(person.unix), cwd=folder)
        result = lti.server_action(person, "submit", a)
        assert result.get("success"), result

    # The instructor opens the course's formgrader (Hub OAuth with the service) and grades.
    page = inst.browser.follow(f"{lti.hub.url}/services/{a}/formgrader/manage_assignments")
    assert page.status_code == 200, (page.status_code, page.url, _log_lines(lti, "403", "Forbidden", "scope", "[W "))
    base = f"{lti.hub.url}/services/{a}/formgrader/api"
    r = inst.browser.xsrf_post(f"{base}/assignment/{lti.assignment}/collect")
    assert r.status_code == 200 and r.json().get("success"), r.text[:800]
    for person in (right, wrong):
        r = inst.browser.xsrf_post(f"{base}/submission/{lti.assignment}/{person.name}/autograde")
        assert r.status_code == 200 and r.json().get("success"), r.text[:1500]
    lti.graded = True
    _measure_footprint(lti, right, wrong)

    # 1. Hand-graded tasks are not marked yet: nothing is sent without the instructor's say-so.
    out = lti.passback()
    assert out.returncode == 2 and "still needs manual grading" in out.stderr, (out.stdout, out.stderr)
    assert not platform.score_posts and not platform.lineitems

    # 2. A dry run shows what would be sent and sends nothing.
    out = lti.passback("--dry-run", "--include-pending-manual")
    assert out.returncode == 0, out.stderr
    assert "dry run" in out.stdout and "would send 2" in out.stdout, out.stdout
    assert right.name in out.stdout and wrong.name in out.stdout
    assert not platform.score_posts and not platform.lineitems

    # 3. The real run, through two transient failures of the score service (retried).
    platform.fail_next["scores"] = 2
    out = lti.passback("--include-pending-manual")
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert out.stderr.count("retrying POST") == 2, out.stderr
    assert "sent 2, unchanged 0" in out.stdout, out.stdout
    (item,) = platform.lineitems.values()
    assert item["resourceId"] == lti.assignment and item["tag"] == "nbgrader"
    assert item["scoreMaximum"] == pytest.approx(key.total_points)
    subs = {platform.users[h]["sub"]: h for h in ("ana", "ben")}
    given = {subs[s["userId"]]: s for s in platform.score_posts}
    # The posted scores are the gradebook's, exactly (nbgrader's own export, as the grader).
    lti.as_grader(a, [lti.env.bin / "nbgrader", "export"])
    import csv
    course_dir = Path(lti.course_cfg(a)["course_dir"])
    rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(
        run_as(_Account(f"grader-{a}"), ["cat", course_dir / "grades.csv"], env=lti.grader_env(a)).stdout.splitlines())
        if r["assignment"] == lti.assignment}
    assert given["ana"]["scoreGiven"] == pytest.approx(rows[right.name])
    assert given["ben"]["scoreGiven"] == pytest.approx(rows[wrong.name])
    assert given["ben"]["scoreGiven"] < given["ana"]["scoreGiven"]
    # ...and the right learner has every point the autograder can give (widget answers included).
    assert given["ana"]["scoreGiven"] == pytest.approx(key.auto_points), (given["ana"], key.auto_points)
    assert {s["gradingProgress"] for s in given.values()} == {"PendingManual"}
    assert all(s["scoreMaximum"] == pytest.approx(key.total_points) for s in given.values())

    # 4. A second run changes nothing.
    posted = len(platform.score_posts)
    out = lti.passback("--include-pending-manual")
    assert out.returncode == 0 and "sent 0, unchanged 2" in out.stdout, (out.stdout, out.stderr)
    assert len(platform.score_posts) == posted and len(platform.lineitems) == 1

    # 5. A learner in the gradebook whom the platform does not know: named, and the rest still sent.
    lti.as_grader(a, [lti.env.bin / "nbgrader", "db", "student", "add", "ghost-000000"])
    out = lti.passback("--include-pending-manual")
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "ghost-000000" in out.stderr and "does not know" in out.stderr
    assert "unchanged 2" in out.stdout
    lti.as_grader(a, [lti.env.bin / "nbgrader", "db", "student", "remove", "ghost-000000", "--force"])


def test_courses_are_isolated_for_each_unix_user(lti):
    """Can a learner or instructor of one course reach the other course's exchange, gradebook or formgrader?"""
    from test_jupyterhub_cohort import PROBE

    if not lti.graded:
        pytest.skip("needs the round trip")
    a, b = lti.course_a, lti.course_b
    cleo, inst_b, inst_a, ana = (lti.people[h] for h in ("cleo", "inst-b", "inst-a", "ana"))
    lti.hub.spawn(cleo.name, timeout=120)
    lti.hub.spawn(inst_b.name, timeout=120)   # creates the instructor's own unix account
    grader_a = Path(pwd.getpwnam(f"grader-{a}").pw_dir)
    course_a = Path(lti.course_cfg(a)["course_dir"])
    targets = {
        "A's exchange folder": ["list", str(lti.env.exchange / a)],
        "A's released assignment": ["list", str(lti.env.exchange / a / "outbound" / lti.assignment)],
        "A's inbound": ["list", str(lti.env.exchange / a / "inbound")],
        "A's grader home": ["list", str(grader_a)],
        "A's gradebook": ["read", str(course_a / "gradebook.db")],
        "A's answer key": ["list", str(course_a / "source" / lti.assignment)],
        "Ana's home": ["list", str(ana.unix.home)],
    }
    assert (lti.env.exchange / a / "outbound" / lti.assignment).is_dir() and (course_a / "gradebook.db").exists()
    for person in (cleo, inst_b):
        found = json.loads(run_as(person.unix, [lti.env.bin / "python", "-c", PROBE, json.dumps(targets)],
                                  env=lti.learner_env(person.unix)).stdout)
        reachable = {k: v for k, v in found.items() if v == "allowed"}
        assert not reachable, f"{person.hint} (course B) could reach: {reachable}"
    # Cleo cannot fetch from, nor submit to, course A through her server (nbgrader refuses).
    # (nbgrader's fetch endpoint answers with the assignment list it then sees: for Cleo, nothing.)
    fetch = lti.server_action(cleo, "fetch", a)
    assert fetch == {"success": True, "value": []}, fetch
    assert not (cleo.unix.home / a / lti.assignment).exists()
    # ...while Ana, a learner of course A, sees the assignment in the same list.
    status, _, text = lti.hub.request("GET", f"/user/{ana.name}/assignments?course_id={a}")
    assert status == 200 and any(x["assignment_id"] == lti.assignment for x in json.loads(text)["value"]), text[:500]
    # Even with a notebook of her own in the right place, her submission has nowhere to go.
    run_as(cleo.unix, ["/bin/sh", "-c", f"mkdir -p ~/{a}/{lti.assignment} && cp {lti.env.course}/notebooks/index.ipynb "
                       f"~/{a}/{lti.assignment}/"], env=lti.learner_env(cleo.unix))
    submit = lti.server_action(cleo, "submit", a)
    assert not submit.get("success"), submit
    assert not any(p.name.startswith(cleo.name) for p in _listable(lti.env.exchange / a / "inbound"))
    # Ana (course A) cannot look into course B's exchange either.
    found = json.loads(run_as(ana.unix, [lti.env.bin / "python", "-c", PROBE, json.dumps(
        {"B's exchange folder": ["list", str(lti.env.exchange / b)],
         "B's grader home": ["list", pwd.getpwnam(f"grader-{b}").pw_dir]})], env=lti.learner_env(ana.unix)).stdout)
    assert set(found.values()) == {"denied"}, found
    # Formgrader services: each course's instructor only.
    for person, course, allowed in ((inst_a, a, True), (inst_b, a, False), (inst_a, b, False),
                                    (inst_b, b, True), (ana, a, False), (cleo, b, False)):
        page = person.browser.follow(f"{lti.hub.url}/services/{course}/formgrader/manage_assignments")
        assert (page.status_code == 200) == allowed, (person.hint, course, page.status_code, page.url)
        if not allowed:
            assert page.status_code == 403, (person.hint, course, page.status_code)
