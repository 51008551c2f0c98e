"""nbgrader configuration for an instructor's server on the course JupyterHub.

The Hub puts this folder on ``JUPYTER_CONFIG_PATH`` for members of the ``formgrade-techlead`` group
(see ``jupyterhub_config.py``), so it is read on top of the system-wide ``nbgrader_config.py`` by
the formgrader, by the instructor's terminals and by every ``nbgrader`` command they run.
"""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when this file is loaded)

# The instructor's course directory: their own clone of the course repository (source/, release/,
# and later submitted/, autograded/, feedback/, gradebook.db). It must sit inside their home, the
# root of their Jupyter server, or the formgrader refuses to work. Keep the home folder private
# (mode 700): it holds the solutions, hidden tests and the gradebook.
COURSE_DIR = os.environ.get("TECHLEAD_COURSE_DIR") or os.path.join(
    os.path.expanduser("~"), "technical-leadership")
c.CourseDirectory.root = COURSE_DIR

# The course's own nbgrader_config.py holds the grading rules (feedback without hidden tests,
# cell timeouts, responses.json kept from the learners). nbgrader's command line reads it from the
# course directory; loading it here as well makes the formgrader use exactly the same rules.
if os.path.isfile(os.path.join(COURSE_DIR, "nbgrader_config.py")):
    load_subconfig("nbgrader_config.py", path=COURSE_DIR)  # noqa: F821
    c.CourseDirectory.root = COURSE_DIR
# A Hub with several courses runs one grader service per course and names its course here.
if os.environ.get("TECHLEAD_COURSE_ID"):
    c.CourseDirectory.course_id = os.environ["TECHLEAD_COURSE_ID"]
