"""JupyterHub for several courses, signed on from a learning platform with LTI 1.3.

Run as root from the course environment (the course, nbgrader, jupyterhub,
jupyterhub-ltiauthenticator and nbgitpuller installed: ``pip install '<course>[hub]'``):

    TECHLEAD_LTI_CONFIG=/etc/techlead/lti.yaml \
        <env>/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_lti_config.py

``lti.yaml`` (example next to this file) holds the platform's registration and the courses. Before
the first start, create the unix side once: ``<env>/bin/python -m course_tools.lti_hub setup
--config /etc/techlead/lti.yaml --course-source /srv/technical-leadership``. README.md walks
through the whole set-up, from registering the tool on the platform to grades in its grade book.

What happens on a launch from the platform:

1. The platform's OIDC login initiation reaches ``/hub/lti13/oauth_login``; the Hub sends the
   browser back to the platform's authorization URL; the platform posts a signed id_token to
   ``/hub/lti13/oauth_callback``. jupyterhub-ltiauthenticator checks its signature against the
   platform's JWKS, its issuer, audience (client id), expiry, nonce and state.
2. ``course_tools.lti_hub.CourseLTI13Authenticator`` finds the course from the context (the
   platform's course id), derives a stable unix user name from the platform's user id, and sets
   the user's groups for this course from their roles: Instructor / TeachingAssistant →
   ``formgrade-<course>``, Learner → ``nbgrader-<course>`` (groups in other courses are kept).
3. On first spawn the unix account is created (private home, mode 700) and put in the unix group
   ``nbgrader-<course>``, which alone may enter ``<exchange>/<course>``.
4. The browser lands on the course index, pulled by nbgitpuller from the learner edition.

Each course's formgrader is a Hub service ``/services/<course>/`` running as the course's grader
account (nbgrader's multi-course pattern); only members of ``formgrade-<course>`` may open it.

Environment variables read here:

    TECHLEAD_LTI_CONFIG   the LTI config (YAML; default /etc/techlead/lti.yaml)
    TECHLEAD_HUB_URL      where the Hub listens (default http://127.0.0.1:8000)
"""
import os
import sys

from course_tools.lti_hub import (grader_roles, grader_services, load_config, make_authenticator_class,
                                  make_pre_spawn_hook)

c = get_config()  # noqa: F821  (provided by JupyterHub when this file is loaded)

HERE = os.path.dirname(os.path.abspath(__file__))
ENV_BIN = os.path.join(sys.prefix, "bin")
LTI_CONFIG = os.environ.get("TECHLEAD_LTI_CONFIG") or "/etc/techlead/lti.yaml"
CONFIG = load_config(LTI_CONFIG)
PLATFORM = CONFIG["platform"]
EXCHANGE = CONFIG["exchange"]

# ---------------------------------------------------------------------------------------- network
# Loopback: put a TLS-terminating reverse proxy in front (platforms only launch HTTPS tools), or
# set bind_url/ssl_cert/ssl_key as in jupyterhub_config.py.
c.JupyterHub.bind_url = os.environ.get("TECHLEAD_HUB_URL") or "http://127.0.0.1:8000"
c.JupyterHub.hub_ip = "127.0.0.1"
_chp = os.path.join(HERE, "node_modules", ".bin", "configurable-http-proxy")
if os.path.exists(_chp):
    c.ConfigurableHTTPProxy.command = [_chp]
# The launch ends with a cross-site form POST from the platform to /hub/lti13/oauth_callback, and
# the Hub must see the state and nonce cookies it set at the login step on that POST. Browsers send
# cookies on a cross-site POST only when they are SameSite=None (which requires Secure, i.e. https).
# So behind https (uri_scheme: https in the LTI config) the Hub's cookies are SameSite=None; Secure.
# Prefer the platform's "open in a new window" placement too: browsers that block third-party
# cookies break launches shown inside the platform's iframe.
if PLATFORM.get("uri_scheme") == "https" or c.JupyterHub.bind_url.startswith("https:"):
    c.JupyterHub.tornado_settings = {"cookie_options": {"samesite": "None", "secure": True}}

# --------------------------------------------------------------------------------- authentication
c.JupyterHub.authenticator_class = make_authenticator_class()
c.CourseLTI13Authenticator.lti_config_file = LTI_CONFIG
c.LTI13Authenticator.issuer = PLATFORM["issuer"]
c.LTI13Authenticator.client_id = [str(PLATFORM["client_id"])]
c.LTI13Authenticator.authorize_url = PLATFORM["authorize_url"]
c.LTI13Authenticator.jwks_endpoint = PLATFORM["jwks_url"]
c.LTI13Authenticator.username_key = "sub"       # replaced by hub_username() (stable, unix-safe)
c.LTI13Authenticator.uri_scheme = PLATFORM.get("uri_scheme", "auto")
# Anyone the platform launches into a known course may sign in: the platform's signature is the
# gate, and the course check in CourseLTI13Authenticator refuses unknown courses and roles.
c.Authenticator.allow_all = True
# Groups come from the launch (roles in the course), so the Hub keeps them in step.
c.Authenticator.manage_groups = True
# The launch claims (roster, grade service URLs) kept encrypted in the Hub's database.
c.Authenticator.enable_auth_state = bool(os.environ.get("JUPYTERHUB_CRYPT_KEY"))

# ---------------------------------------------------------------------------------------- spawner
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(ENV_BIN, "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"
ENVIRONMENT = {
    "PATH": os.pathsep.join([ENV_BIN, "/usr/local/bin", "/usr/bin", "/bin"]),
    "TECHLEAD_EXCHANGE": EXCHANGE,
    # Several courses in one exchange: <exchange>/<course>/..., fetched into ~/<course>/<assignment>.
    "TECHLEAD_MULTI_COURSE": "1",
    "TECHLEAD_COURSE_ID": "",
    "TECHLEAD_CHECK_OWNER": "1",
    "LANG": "C.UTF-8",
}
c.Spawner.environment = dict(ENVIRONMENT)
# First launch: create the unix account; every spawn: its unix course groups follow the Hub's.
c.Spawner.pre_spawn_hook = make_pre_spawn_hook(LTI_CONFIG)
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90

# ------------------------------------------------------------------------------- grader services
# One formgrader per course, as its grader account, at /services/<course>/ (JupyterLab with the
# instructor config: formgrader, create-assignment, the course directory in the grader's home).
c.JupyterHub.services = grader_services(CONFIG, bin_dir=ENV_BIN, environment=ENVIRONMENT,
                                        instructor_config=os.path.join(HERE, "instructor"))
c.JupyterHub.load_roles = grader_roles(CONFIG)
