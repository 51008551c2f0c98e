"""System-wide nbgrader configuration for a course cohort on JupyterHub (every user reads it).

Install it on the Jupyter config path of the course environment, e.g. ``<env>/etc/jupyter/`` (the
venv or conda env the user servers run in) or ``/etc/jupyter/``. Instructors read more config on top
of this one (``deploy/jupyterhub/instructor/nbgrader_config.py``).
"""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when this file is loaded)

# One course id for the whole cohort: the exchange keeps this course's files under techlead/.
c.CourseDirectory.course_id = "techlead"

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
