"""Jupyter Server configuration for an instructor's server on the course JupyterHub.

Read only by instructors' servers: the Hub puts this folder on ``JUPYTER_CONFIG_PATH`` for members
of the ``formgrade-techlead`` group. (``jupyter_server_config.d/techlead-instructor.json`` next to it
switches the formgrader server extension back on; ``labconfig/page_config.json`` the Lab panels.)
"""
c = get_config()  # noqa: F821

# The formgrader opens inside a JupyterLab tab, in an <iframe> of the instructor's own server.
# jupyterhub-singleuser sends "Content-Security-Policy: frame-ancestors 'none'" by default (since
# JupyterHub 4.1), so the browser refuses to show it ("refused to connect"). nbgrader's documented
# fix: allow framing by the same origin again.
#
# Security trade-off: without subdomains, "same origin" is the whole Hub (every user's server lives
# under one host), so a page served from a *student's* server could frame the instructor's server
# and try to trick the instructor into clicking inside it (clickjacking). That is why this applies
# to instructors' servers only, never to students'. For production, either:
#   * run the Hub with c.JupyterHub.enable_subdomains = True (needs a wildcard DNS name and TLS
#     certificate); then 'self' is only the instructor's own server and the trade-off disappears; or
#   * delete this setting and open the formgrader in its own browser tab at /user/<name>/formgrader
#     (works without any change, but not inside Lab).
c.ServerApp.tornado_settings = {
    "headers": {"Content-Security-Policy": "frame-ancestors 'self'"},
}
