"""System-wide nbgrader configuration for a course cohort on JupyterHub (every user reads it).

Install it on the Jupyter config path of the course environment, e.g. ``<env>/etc/jupyter/`` (the
venv or conda env the user servers run in) or ``/etc/jupyter/``. Instructors read more config on top
of this one (``deploy/jupyterhub/instructor/nbgrader_config.py``).
"""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when this file is loaded)

# One course id for the whole cohort: the exchange keeps this course's files under techlead/.
# A Hub serving several courses (jupyterhub_lti_config.py) sets TECHLEAD_COURSE_ID: empty for
# learners (their Assignments panel lists every course they belong to), the course's id for its
# grader service.
c.CourseDirectory.course_id = os.environ.get("TECHLEAD_COURSE_ID", "techlead")

# The shared exchange: one folder every user can write to, owned by root with mode 1777 (sticky
# bit, like /tmp: users cannot delete each other's files). Create it once:
#     install -d -m 1777 /srv/nbgrader/exchange
# TECHLEAD_EXCHANGE overrides it (the Hub passes it to every user server; tests use a temp folder).
# The course's own nbgrader_config.py reads the same variable, so both always agree.
c.Exchange.root = os.environ.get("TECHLEAD_EXCHANGE") or "/srv/nbgrader/exchange"

# Privacy of submissions in this exchange: students may write into inbound/ but not list it, and
# every submission folder ends in a random string, so no student can find another's work. (The
# files themselves must stay readable for the instructor, who is another unix user.) nbgrader's
# default; pinned here because the course relies on it.
c.ExchangeSubmit.add_random_string = True

# Several courses in one exchange (jupyterhub_lti_config.py sets TECHLEAD_MULTI_COURSE=1): nbgrader's
# multi-course layout, where a learner's copy of an assignment goes to ~/<course>/<assignment> so two
# courses' assignments of the same name never collide. Each <exchange>/<course> folder belongs to
# that course's grader account and unix group nbgrader-<course> (mode 2750), so a learner of one
# course cannot even list another's.
if os.environ.get("TECHLEAD_MULTI_COURSE") == "1":
    c.Exchange.path_includes_course = True
