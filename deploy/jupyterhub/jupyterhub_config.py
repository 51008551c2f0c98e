"""JupyterHub configuration for one course cohort on a single Linux server.

Run as root from the course environment (the one that has the course, nbgrader and jupyterhub
installed):

    TECHLEAD_HUB_PASSWORD='a long shared secret' \
    TECHLEAD_INSTRUCTORS=alice TECHLEAD_STUDENTS=bob,carol \
        <env>/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Every user is a real unix account (create them first: ``useradd -m -K HOME_MODE=0700 bob``); each
user's Jupyter server runs as that account, so file permissions keep students apart. See README.md in
this folder for the whole set-up, and the PRODUCTION notes below for what to change before real
learners log in.

Environment variables read here:

    TECHLEAD_HUB_PASSWORD  shared password for the testing authenticator (8+ characters)
    TECHLEAD_INSTRUCTORS   comma-separated unix user names of the instructors (formgrader, tools)
    TECHLEAD_STUDENTS      comma-separated unix user names of the students
    TECHLEAD_EXCHANGE      the nbgrader exchange folder (default /srv/nbgrader/exchange, mode 1777)
    TECHLEAD_HUB_URL       where the Hub listens (default http://127.0.0.1:8000)
"""
import os
import sys

c = get_config()  # noqa: F821  (provided by JupyterHub when this file is loaded)

HERE = os.path.dirname(os.path.abspath(__file__))
ENV_BIN = os.path.join(sys.prefix, "bin")  # the course environment the Hub itself runs from


def _names(var: str) -> list[str]:
    return [n.strip() for n in os.environ.get(var, "").split(",") if n.strip()]


INSTRUCTORS = _names("TECHLEAD_INSTRUCTORS")
STUDENTS = _names("TECHLEAD_STUDENTS")
EXCHANGE = os.environ.get("TECHLEAD_EXCHANGE") or "/srv/nbgrader/exchange"

# nbgrader's own group names for a course (its JupyterHubAuthPlugin understands them too).
INSTRUCTOR_GROUP = "formgrade-techlead"
STUDENT_GROUP = "nbgrader-techlead"
# Extra Jupyter config for instructors only: formgrader on, Lab tools on, iframe allowed.
INSTRUCTOR_CONFIG = os.path.join(HERE, "instructor")

# ---------------------------------------------------------------------------------------- network
# Loopback only: nothing outside this machine can reach the Hub.
# PRODUCTION: serve HTTPS. Either put a TLS-terminating reverse proxy (nginx, Caddy, Traefik) in
# front of this loopback address, or let the Hub's proxy terminate TLS itself:
#     c.JupyterHub.bind_url = "https://course.example.org:443"
#     c.JupyterHub.ssl_cert = "/etc/letsencrypt/live/course.example.org/fullchain.pem"
#     c.JupyterHub.ssl_key = "/etc/letsencrypt/live/course.example.org/privkey.pem"
# and consider c.JupyterHub.enable_subdomains = True (isolates users' servers from each other in
# the browser; see instructor/jupyter_server_config.py for why that matters to the formgrader).
c.JupyterHub.bind_url = os.environ.get("TECHLEAD_HUB_URL") or "http://127.0.0.1:8000"
c.JupyterHub.hub_ip = "127.0.0.1"

# configurable-http-proxy, pinned in package.json / package-lock.json here (`npm ci` in this
# folder installs it into node_modules/); falls back to one on PATH.
_chp = os.path.join(HERE, "node_modules", ".bin", "configurable-http-proxy")
if os.path.exists(_chp):
    c.ConfigurableHTTPProxy.command = [_chp]

# --------------------------------------------------------------------------------- authentication
# FOR TESTING AND WORKSHOPS ONLY: one shared password for every listed user. Anyone who knows it
# can log in as any listed user.
# PRODUCTION: use a real authenticator, e.g.
#     c.JupyterHub.authenticator_class = "pam"            # the users' own unix passwords
# or OAuth through your organisation (pip install oauthenticator):
#     c.JupyterHub.authenticator_class = "github"         # or "google", "generic-oauth", ...
# or LTI from your learning platform (pip install jupyterhub-ltiauthenticator).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ.get("TECHLEAD_HUB_PASSWORD", "")
# Only the cohort may log in.
c.Authenticator.allowed_users = set(INSTRUCTORS) | set(STUDENTS)
# Nobody is a Hub admin by default: instructors need no Hub powers to teach (least privilege).
# c.Authenticator.admin_users = {"alice"}   # (shared-password then needs an admin_password too)

# ---------------------------------------------------------------------------------------- roles
# Instructor or student is decided here, in one place: group membership. Everyone gets the
# student's view by default (the course environment's system-wide Jupyter config switches the
# formgrader, create-assignment and course-list tools off); members of INSTRUCTOR_GROUP get the
# instructor/ config folder on their JUPYTER_CONFIG_PATH, which switches them back on.
c.JupyterHub.load_groups = {
    INSTRUCTOR_GROUP: {"users": INSTRUCTORS},
    STUDENT_GROUP: {"users": STUDENTS},
}


def _course_role_environment(spawner):
    """Before each server starts: give instructors their extra Jupyter config."""
    groups = {group.name for group in spawner.user.groups}
    env = dict(spawner.environment)  # a copy: never change the dict shared by all spawners
    if INSTRUCTOR_GROUP in groups:
        env["JUPYTER_CONFIG_PATH"] = INSTRUCTOR_CONFIG
    else:
        env.pop("JUPYTER_CONFIG_PATH", None)
    spawner.environment = env


c.Spawner.pre_spawn_hook = _course_role_environment

# --------------------------------------------------------------------------------------- spawner
# Each user's server runs as their own unix user (the Hub must run as root for this), in their home.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(ENV_BIN, "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    # JupyterHub passes almost nothing of its own environment on: name what the servers need.
    "PATH": os.pathsep.join([ENV_BIN, "/usr/local/bin", "/usr/bin", "/bin"]),
    # The shared exchange, read by the system-wide and the course's nbgrader_config.py alike.
    "TECHLEAD_EXCHANGE": EXCHANGE,
    # Real unix users here: `nbgrader collect` must check that a submission belongs to its student
    # (the course's nbgrader_config.py only turns that check off on a single-user machine).
    "TECHLEAD_CHECK_OWNER": "1",
    "LANG": "C.UTF-8",
}
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
# Stop servers left idle? Install jupyterhub-idle-culler and add it as a service (see README.md).
