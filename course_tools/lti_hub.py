"""The course's Hub side of LTI 1.3: who a launch is, which course it joins, where it lands.

Used by ``deploy/jupyterhub/jupyterhub_lti_config.py`` (and the Zero to JupyterHub values in
``deploy/kubernetes/``). One YAML file, the *LTI config* (example: ``deploy/jupyterhub/lti.yaml``),
describes the platform registration and every course the Hub serves; the Hub, the set-up command
and the grade passback (:mod:`course_tools.lti_passback`) all read it.

* :func:`hub_username` turns the launch's claims into a stable unix-safe user name (the passback
  uses the same function on the platform's roster, so no table of names is kept anywhere);
* :func:`course_for_context` finds the course from the platform's context (its course id);
* :func:`course_groups` maps LTI roles to nbgrader's groups: Instructor / TeachingAssistant →
  ``formgrade-<course>``, Learner → ``nbgrader-<course>``;
* :class:`CourseLTI13Authenticator` is ``jupyterhub-ltiauthenticator``'s LTI 1.3 authenticator
  with those three rules, keeping a user's groups in *other* courses, and landing learners on
  their course index through nbgitpuller (from the learner edition branch);
* :func:`ensure_unix_account` / ``python -m course_tools.lti_hub setup`` create the unix side
  (users on first launch, one unix group per course, grader accounts, exchange folders);
* :func:`grader_services` / :func:`grader_roles`: nbgrader's multi-course pattern, one formgrader
  per course as a Hub service running as that course's grader account.
"""
from __future__ import annotations

import argparse
import grp
import hashlib
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import yaml

CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

# LTI 1.3 role URIs (context roles; short forms like "Instructor" are allowed by the spec too).
GRADER_ROLES = ("Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator")
LEARNER_ROLES = ("Learner", "Student")
COURSE_ID_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


class LTIConfigError(ValueError):
    """The LTI config file is missing something or says something impossible."""


# --------------------------------------------------------------------------------------- config
def load_config(path: str | os.PathLike) -> dict:
    """Read and check the LTI config (platform registration + courses); raise LTIConfigError."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise LTIConfigError(f"no LTI config at {path}") from None
    except yaml.YAMLError as err:
        raise LTIConfigError(f"{path} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise LTIConfigError(f"{path}: expected a mapping with 'platform' and 'courses'")
    platform = data.get("platform") or {}
    missing = [k for k in ("issuer", "client_id", "authorize_url", "jwks_url") if not platform.get(k)]
    if missing:
        raise LTIConfigError(f"{path}: platform is missing {', '.join(missing)}")
    courses = data.get("courses") or []
    if not courses:
        raise LTIConfigError(f"{path}: no courses")
    seen_ids, seen_contexts = set(), {}
    for number, course in enumerate(courses):
        cid = course.get("id", "")
        if not COURSE_ID_RE.match(str(cid)):
            raise LTIConfigError(f"{path}: course id {cid!r} must be 2-31 lower-case letters, digits or '-', "
                                 "starting with a letter (it names unix groups and folders)")
        if cid in seen_ids:
            raise LTIConfigError(f"{path}: course id {cid!r} appears twice")
        seen_ids.add(cid)
        contexts = course.get("lti_context_ids") or []
        if not contexts:
            raise LTIConfigError(f"{path}: course {cid!r} has no lti_context_ids (the platform's course ids)")
        for ctx in contexts:
            if ctx in seen_contexts:
                raise LTIConfigError(f"{path}: context {ctx!r} is claimed by {seen_contexts[ctx]!r} and {cid!r}")
            seen_contexts[str(ctx)] = cid
        course.setdefault("title", cid)
        course.setdefault("grader_user", f"grader-{cid}")
        course.setdefault("course_dir", f"/home/{course['grader_user']}/{cid}")
        course.setdefault("branch", "learner-edition")
        course.setdefault("target_path", cid)
        course.setdefault("landing", "notebooks/index.ipynb")
        course.setdefault("grader_port", 9801 + number)
        course.setdefault("gid", 20000 + number)           # Kubernetes: the course's unix group id
        course.setdefault("grader_uid", 60000 + number)    # Kubernetes: the grader account's uid
    data.setdefault("exchange", "/srv/nbgrader/exchange")
    return data


def course_by_id(config: dict, course_id: str) -> dict:
    for course in config["courses"]:
        if course["id"] == course_id:
            return course
    known = ", ".join(c["id"] for c in config["courses"])
    raise LTIConfigError(f"no course {course_id!r} in the LTI config (known: {known})")


def course_for_context(config: dict, claims: dict) -> dict | None:
    """The course whose lti_context_ids holds the launch's context id (None if none does)."""
    context_id = str((claims.get(CONTEXT_CLAIM) or {}).get("id", ""))
    for course in config["courses"]:
        if context_id in map(str, course["lti_context_ids"]):
            return course
    return None


# ---------------------------------------------------------------------------------------- names
def hub_username(claims: dict) -> str:
    """A stable, unix-safe user name for a platform user: ``<readable part>-<6 hex of iss+sub>``.

    The readable part is the local part of the e-mail (or the given name), reduced to lower-case
    letters and digits (at most 16); the suffix hashes the platform's issuer and the user's
    opaque ``sub``, which never changes, so two people called Ana never share an account.
    Works on an id_token and on a Names and Role membership entry (``user_id`` instead of ``sub``)
    once ``iss`` is set on it.
    """
    sub = str(claims.get("sub") or claims.get("user_id") or "")
    iss = str(claims.get("iss") or "")
    if not sub:
        raise ValueError("the platform sent no user id (sub)")
    email = str(claims.get("email") or "")
    readable = email.split("@", 1)[0] if email else str(claims.get("given_name") or "")
    readable = re.sub(r"[^a-z0-9]", "", readable.lower())[:16]
    if not readable or not readable[0].isalpha():
        readable = "u" + readable[:15]
    digest = hashlib.sha256(f"{iss}|{sub}".encode()).hexdigest()[:6]
    return f"{readable}-{digest}"


def _role_names(claims: dict) -> set[str]:
    """Short names of the launch's roles (``...membership#Instructor`` → ``Instructor``)."""
    names = set()
    for uri in claims.get(ROLES_CLAIM) or []:
        uri = str(uri)
        if "/system/" in uri or "/institution/" in uri:
            continue  # not a role in this course
        names.add(re.split(r"[#/]", uri)[-1])
    return names


def course_groups(course_id: str, claims: dict) -> set[str]:
    """nbgrader's groups for this launch's roles in course ``course_id`` (may be empty)."""
    roles = _role_names(claims)
    groups = set()
    if roles & set(GRADER_ROLES):
        groups.add(f"formgrade-{course_id}")
    if roles & set(LEARNER_ROLES):
        groups.add(f"nbgrader-{course_id}")
    return groups


def landing_url(course: dict, hub_prefix: str = "/hub/") -> str:
    """The nbgitpuller link that pulls the course's learner edition and opens its index."""
    target = course["target_path"]
    query = urlencode({
        "repo": course["repo"], "branch": course["branch"], "targetpath": target,
        "urlpath": f"lab/tree/{target}/{course['landing']}",
    }, quote_via=quote)
    return f"{hub_prefix.rstrip('/')}/user-redirect/git-pull?{query}"


# -------------------------------------------------------------------------------- authenticator
def make_authenticator_class():
    """The course's LTI 1.3 authenticator class (imports JupyterHub lazily)."""
    from ltiauthenticator.lti13.auth import LTI13Authenticator
    from ltiauthenticator.lti13.error import LoginError
    from ltiauthenticator.lti13.handlers import LTI13CallbackHandler
    from traitlets import Unicode

    class CourseCallbackHandler(LTI13CallbackHandler):
        def get_next_url(self, user=None):
            # A link of the platform that names a page (?next=...) wins; else the course index.
            from ltiauthenticator.lti13.handlers import _deserialize_state
            state_next = _deserialize_state(self._get_state_from_url()).get("next_url") or ""
            roots = {"", self.hub.base_url.rstrip("/"), self.base_url.rstrip("/")}
            if urlsplit(state_next).path.rstrip("/") not in roots:
                return state_next   # the link named a page of its own
            landing = getattr(self, "_course_landing", None)
            return landing or super().get_next_url(user)

    class CourseLTI13Authenticator(LTI13Authenticator):
        """LTI 1.3 sign-on for the courses in the LTI config (``lti_config_file``)."""

        callback_handler = CourseCallbackHandler
        lti_config_file = Unicode(config=True, help="The course's LTI config (YAML).")

        def _config(self) -> dict:
            return load_config(self.lti_config_file)

        async def authenticate(self, handler, data=None):
            claims = data or {}
            config = self._config()
            course = course_for_context(config, claims)
            context = claims.get(CONTEXT_CLAIM) or {}
            if course is None:
                raise LoginError(
                    f"This Hub has no course for the platform's course {context.get('id')!r} "
                    f"({context.get('title') or context.get('label') or 'no title'}). Ask the Hub's "
                    "administrator to add its context id to lti_context_ids in the LTI config.")
            groups = course_groups(course["id"], claims)
            if not groups:
                raise LoginError(
                    f"Your role in {course['title']} ({', '.join(sorted(_role_names(claims))) or 'none'}) "
                    "gives no access: only instructors, teaching assistants and learners may launch.")
            name = self.normalize_username(hub_username(claims))
            # Keep the user's groups in the Hub's other courses; replace those of this course.
            existing = handler.find_user(name) if handler is not None else None
            other = {g.name for g in existing.groups} if existing is not None else set()
            other = {g for g in other if not g.endswith(f"-{course['id']}")}
            if handler is not None:
                handler._course_landing = landing_url(course, handler.hub.base_url)
            self.log.info("LTI launch: %s joins %s as %s", name, course["id"], sorted(groups))
            return {"name": name, "groups": sorted(other | groups),
                    "auth_state": {"course": course["id"], "claims": claims}}

    return CourseLTI13Authenticator


# ------------------------------------------------------------------------------------ unix side
def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def ensure_group(name: str) -> None:
    try:
        grp.getgrnam(name)
    except KeyError:
        _run(["groupadd", name])


def ensure_unix_account(name: str, *, system: bool = False) -> pwd.struct_passwd:
    """The unix account ``name`` (created with a private home, mode 700, if missing)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        argv = ["useradd", "--create-home", "--shell", "/bin/bash", "-K", "HOME_MODE=0700"]
        _run([*argv, name])
        info = pwd.getpwnam(name)
        os.chmod(info.pw_dir, 0o700)
        return info


def sync_unix_groups(name: str, hub_groups: set[str], config: dict) -> None:
    """Make ``name``'s unix course groups (``nbgrader-<course>``) match their Hub groups."""
    for course in config["courses"]:
        group = f"nbgrader-{course['id']}"
        ensure_group(group)
        members = set(grp.getgrnam(group).gr_mem)
        if group in hub_groups and name not in members:
            _run(["gpasswd", "--add", name, group])
        elif group not in hub_groups and name in members:
            _run(["gpasswd", "--delete", name, group])


def make_pre_spawn_hook(config_file: str, base_hook=None):
    """A pre_spawn_hook: the unix account on first launch, its course groups, then ``base_hook``."""

    def pre_spawn_hook(spawner):
        config = load_config(config_file)
        name = spawner.user.name
        ensure_unix_account(name)
        sync_unix_groups(name, {g.name for g in spawner.user.groups}, config)
        if base_hook is not None:
            base_hook(spawner)

    return pre_spawn_hook


def setup(config: dict, course_source: Path) -> list[str]:
    """Create (idempotently) the unix side of every course; return what was done.

    Per course: the unix group ``nbgrader-<course>`` (its learners, filled at launch), the grader
    account (private home holding the course directory, gradebook and answer key), the course
    directory (a copy of ``course_source``), and the exchange folder ``<exchange>/<course>``
    owned by the grader, group ``nbgrader-<course>``, mode 2750: learners of other courses cannot
    even look inside.
    """
    done = []
    exchange = Path(config["exchange"])
    if not exchange.is_dir():
        exchange.mkdir(parents=True)
        done.append(f"created {exchange}")
    exchange.chmod(0o1777)  # nbgrader checks the root is world-writable (with the sticky bit)
    for course in config["courses"]:
        cid, grader = course["id"], course["grader_user"]
        ensure_group(f"nbgrader-{cid}")
        ensure_group(f"formgrade-{cid}")
        info = ensure_unix_account(grader)
        course_dir = Path(course["course_dir"])
        if not course_dir.exists():
            shutil.copytree(course_source, course_dir, ignore=shutil.ignore_patterns(
                ".git", ".venv", "node_modules", "__pycache__", ".exchange", "*.egg-info"))
            _run(["chown", "-R", f"{grader}:{grader}", str(course_dir)])
            done.append(f"copied the course to {course_dir}")
        folder = exchange / cid
        if not folder.exists():
            folder.mkdir()
            done.append(f"created {folder}")
        os.chown(folder, info.pw_uid, grp.getgrnam(f"nbgrader-{cid}").gr_gid)
        folder.chmod(0o2750)
    # The tool's private key (grade passback signs its token requests with it): root and the
    # grader accounts may read it, nobody else.
    tool = config.get("tool") or {}
    key = Path(tool["private_key"]) if tool.get("private_key") else None
    if key is not None and key.exists():
        group = tool.get("key_group") or "lti-graders"
        ensure_group(group)
        members = set(grp.getgrnam(group).gr_mem)
        for course in config["courses"]:
            if course["grader_user"] not in members:
                _run(["gpasswd", "--add", course["grader_user"], group])
        os.chown(key, 0, grp.getgrnam(group).gr_gid)
        key.chmod(0o640)
        done.append(f"{key}: readable by group {group} (the grader accounts)")
    return done


# ------------------------------------------------------------------------------ grader services
def grader_services(config: dict, *, bin_dir: str, environment: dict[str, str],
                    instructor_config: str) -> list[dict]:
    """One Hub-managed service per course: JupyterLab with the formgrader, as the grader account."""
    services = []
    for course in config["courses"]:
        env = dict(environment)
        env.update({
            "JUPYTER_CONFIG_PATH": instructor_config,
            "TECHLEAD_COURSE_ID": course["id"],
            "TECHLEAD_COURSE_DIR": course["course_dir"],
            "JUPYTERHUB_DEFAULT_URL": "/lab",
        })
        services.append({
            "name": course["id"],
            "display": True,
            "url": f"http://127.0.0.1:{course['grader_port']}",
            "command": [os.path.join(bin_dir, "jupyterhub-singleuser"), f"--port={course['grader_port']}",
                        "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={course_home(course)}"],
            "user": course["grader_user"],
            "cwd": course_home(course),
            "environment": env,
            "oauth_no_confirm": True,
            # JupyterLab with nbgrader takes a while to start on a busy machine (JupyterHub 6: 30 s).
            "timeout": 120,
        })
    return services


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def course_home(course: dict) -> str:
    return pwd.getpwnam(course["grader_user"]).pw_dir if _has_user(course["grader_user"]) \
        else f"/home/{course['grader_user']}"


def grader_roles(config: dict) -> list[dict]:
    """Members of ``formgrade-<course>`` may open that course's grader service, and no other."""
    return [{
        "name": f"formgrade-{course['id']}",
        "description": f"Grade {course['title']}: open its formgrader service",
        "scopes": [f"access:services!service={course['id']}"],
        "groups": [f"formgrade-{course['id']}"],
    } for course in config["courses"]]


# ----------------------------------------------------------------------------------- Kubernetes
# On Kubernetes every pod of the chart runs as uid 1000 by default, so the shared exchange volume
# could not keep anyone apart. Instead each pod gets its own uid and its course groups, exactly as on
# a single server: unix permissions on the ReadWriteMany exchange volume then hold as they do there.
POD_UID_BASE = 100000


def pod_uid(name: str, hub_user_id: int, config: dict) -> int:
    """A pod's uid: the course's grader_uid for a grader account, else POD_UID_BASE + the Hub's user id.

    The Hub's user id is unique and never reused while the Hub's database lives (it is on a volume
    in Zero to JupyterHub), so no two people ever share a uid.
    """
    for course in config["courses"]:
        if name == course["grader_user"]:
            return int(course["grader_uid"])
    return POD_UID_BASE + int(hub_user_id)


def pod_supplemental_gids(name: str, hub_groups: set[str], config: dict) -> list[int]:
    """The course groups' gids for a pod: learners get nbgrader-<course>; a grader account its own course's."""
    gids = []
    for course in config["courses"]:
        if f"nbgrader-{course['id']}" in hub_groups or name == course["grader_user"]:
            gids.append(int(course["gid"]))
    return sorted(gids)


def grader_account_roles(config: dict) -> list[dict]:
    """Kubernetes variant of the grader services: each course's grader is a Hub user ``grader-<course>``
    whose server the course's instructors may start and open (``/user/grader-<course>/``)."""
    return [{
        "name": f"formgrade-{course['id']}",
        "description": f"Grade {course['title']}: start and open the course's grader server",
        "scopes": [f"access:servers!user={course['grader_user']}", f"servers!user={course['grader_user']}",
                   f"read:users!user={course['grader_user']}"],
        "groups": [f"formgrade-{course['id']}"],
    } for course in config["courses"]] + [{
        "name": "techlead-grader-accounts", "description": "the courses' grader accounts",
        "scopes": ["self"], "users": [course["grader_user"] for course in config["courses"]],
    }]


# ---------------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.lti_hub", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_setup = sub.add_parser("setup", help="create the unix side of every course (run as root)")
    p_setup.add_argument("--config", required=True, help="the LTI config (YAML)")
    p_setup.add_argument("--course-source", required=True, help="a checkout of the course (the instructor version)")
    p_links = sub.add_parser("links", help="print each course's landing link (nbgitpuller)")
    p_links.add_argument("--config", required=True)
    p_links.add_argument("--hub", default="", help="the Hub's public URL, e.g. https://hub.example.org")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except LTIConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.command == "setup":
        if os.geteuid() != 0:
            print("error: setup creates unix users and groups: run it as root", file=sys.stderr)
            return 2
        for line in setup(config, Path(args.course_source)) or ["nothing to do: every course is set up"]:
            print(line)
    else:
        for course in config["courses"]:
            print(f"{course['id']}: {args.hub.rstrip('/')}{landing_url(course)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
