"""Drive the course in a real JupyterLab with headless Chromium (Playwright): the pytest fixtures.

The code lives in three modules; import from them in new code:

* ``lab_server``: :func:`free_port`, :func:`copy_course`, :class:`LabServer` (JupyterLab on a
  temporary copy of the course, as a learner or an instructor);
* ``lab_page``: :func:`launch_browser` (Debian's Chromium, never a downloaded browser),
  :class:`NotebookPage` (open a notebook, run it from the *Run* menu, read what it shows), the selectors;
* ``course_notebooks``: which lessons exist and where they show which exercise.

Every name they define is re-exported here, so ``from browser_helpers import LabServer`` keeps working.
This module also defines the session fixtures ``lab_server``, ``chromium`` and ``lab``.
"""
from __future__ import annotations

from course_notebooks import (DEMO, ROOT, SCREENSHOTS, LessonFile, ShownExercise, bank_entries,  # noqa: F401
                              cell_of_exercise, find_exercise, lesson_files, show_cells)
from lab_page import (CHROMIUM_ARGS, CHROMIUM_CANDIDATES, ERROR_OUTPUT, IDLE, IN_CI, KERNEL_IDLE_JS,  # noqa: F401
                      STDERR_OUTPUT, NotebookPage, Problems, browser_unavailable_reason, chromium_path,
                      launch_browser)
from lab_server import NEWS_OFF, ROLES, LabServer, copy_course, free_port, role_config_path  # noqa: F401

# --------------------------------------------------------------------------------------- pytest fixtures
# tests/conftest.py loads these for every test module (``pytest_plugins``), so the whole session (each
# pytest-xdist worker: the browser tests share one xdist group) has one JupyterLab server, one browser
# and one page.
try:
    import pytest
except ImportError:  # the screenshot script and the benchmark run without pytest
    pytest = None

if pytest is not None:

    def _require_browser() -> None:
        reason = browser_unavailable_reason()
        if reason is None:
            return
        if IN_CI:
            pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason)

    @pytest.fixture(scope="session")
    def lab_server(tmp_path_factory):
        """JupyterLab on a temporary copy of the course (stopped at the end, even on failure)."""
        _require_browser()
        server = LabServer(workdir=tmp_path_factory.mktemp("jupyterlab"), expose_app=True)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    @pytest.fixture(scope="session")
    def chromium(lab_server, playwright_instance):
        browser = launch_browser(playwright_instance)
        try:
            yield browser
        finally:
            browser.close()

    @pytest.fixture(scope="session")
    def lab(chromium, lab_server):
        """One page (1280x800) for the whole session; tests open notebooks in it one after another."""
        from playwright.sync_api import expect

        # A busy 2-core machine can take seconds per kernel round trip: be patient, not flaky.
        expect.set_options(timeout=30_000)
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(60_000)
        nb = NotebookPage(page, lab_server)
        try:
            yield nb
        finally:
            try:
                lab_server.shutdown_all_kernels()
            except Exception:
                pass
            context.close()
