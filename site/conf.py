"""Sphinx configuration of the course website (built by scripts/build_site.py, `make site`).

The build writes the pages (the learner edition's executed lessons and a generated root page whose
table of contents follows exercises/course.yaml) into a temporary source folder and points Sphinx at
this file. Everything a page needs is served from the site itself: the theme's assets, and the widget
manager and require.js (copied from their npm packages into _static/widgets/ by the build), so the
widgets are drawn from the state saved when the lessons were executed, with no CDN.
"""
import os

project = os.environ.get("TECHLEAD_SITE_TITLE", "Technical Leadership, Hands On")
author = "The course authors"
copyright = "the course authors; course text CC BY 4.0, code MIT"

extensions = ["myst_nb"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "exercises/**"]

# The build executed the notebooks already (nbclient, with widget state stored): never again here.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

# Widgets: the html manager and require.js from the site, not from a CDN.
nb_ipywidgets_js = {
    "widgets/require.js": {},
    "widgets/embed-amd.js": {"data-jupyter-widgets-cdn": "widgets/npm/"},
}

html_theme = "sphinx_book_theme"
html_title = project
# _static here, plus the folder where the build put the widget manager (it is fetched from npm).
html_static_path = ["_static"] + ([os.environ["TECHLEAD_SITE_STATIC"]] if os.environ.get("TECHLEAD_SITE_STATIC") else [])
html_css_files = ["course.css"]
html_theme_options = {
    "repository_url": f"https://github.com/{os.environ.get('TECHLEAD_REPOSITORY', 'techlead-course/technical-leadership')}",
    "repository_branch": os.environ.get("TECHLEAD_BRANCH", "learner-edition"),
    "use_repository_button": True,
    "use_download_button": True,
    "home_page_in_toc": True,
    "show_toc_level": 2,
}
html_last_updated_fmt = None
html_copy_source = False
