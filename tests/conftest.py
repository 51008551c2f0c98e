"""Shared fixtures for the whole suite, and how the suite is split across pytest-xdist workers.

Test helpers (tests/*_helpers.py, lab_server.py, lab_page.py, ...) and the scripts the tests import are
importable by name through pytest's ``pythonpath`` setting (pyproject.toml).

Parallel runs (``make test`` runs ``pytest -n auto --dist loadgroup``): a test that uses an expensive
shared fixture must run in the worker that built it, or the fixture is built once per worker. So every
test is put into an ``xdist_group`` at collection time (nothing to mark by hand, new test files included):

* tests that use one of the session fixtures below (one JupyterLab server for the browser tests, one
  graded class for the item-analysis and parallel-grading tests, ...) share the group named after that
  fixture;
* tests of a module that has a module- or class-scoped fixture of its own (one graded class, one
  temporary course) share one group per module; where every such fixture a test uses is parametrized
  (one graded course per assignment), the group is per parameter, so the assignments are built and
  graded side by side in different workers rather than one after another in one;
* every other test is distributed one by one.

A test can still name its group itself with ``@pytest.mark.xdist_group("name")``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Fixtures of the helper modules (kit_helpers: workdir, bank_dir; browser_helpers: lab_server, chromium,
# lab) are available to every test module without importing them.
pytest_plugins = ["kit_helpers", "browser_helpers"]

# Tests never write into a learner's real responses file or a real exchange.
os.environ.setdefault("TECHLEAD_LEARNER", "test-learner")

# Session fixtures that are cheap to build in every worker (they do not decide a test's group).
CHEAP_SHARED = {"repo_root", "playwright_instance"}
# The browser fixtures (browser_helpers.py): one JupyterLab server, one Chromium, one page.
BROWSER_FIXTURES = {"lab_server", "chromium", "lab"}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright driver for the whole session: the sync API cannot run twice at once, so the
    JupyterLab browser tests and the JupyterHub cohort test share this one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def graded_cohort(tmp_path_factory):
    """One class of 30 a2 submissions with known answer patterns, graded by serial nbgrader and by the
    parallel grader (tests/item_analysis_helpers.py, ``build_class``): shared by the item-analysis and the
    parallel-grading tests, which run in one xdist worker (the group is named after this fixture).
    Tests copy its folders, never change them."""
    import item_analysis_helpers

    built = item_analysis_helpers.build_class(tmp_path_factory.mktemp("graded-cohort"), jobs=2)
    print("\ngraded cohort timings (s):", {k: round(v, 1) for k, v in built["timings"].items()})
    return built


def _own_fixture(fixturedef) -> bool:
    """Is this fixture defined in the repository's tests (not by pytest or a plugin)?"""
    func = getattr(fixturedef, "func", None)
    code = getattr(func, "__code__", None)
    return code is not None and Path(code.co_filename).resolve().is_relative_to(ROOT / "tests")


def xdist_group_for(item) -> str | None:
    """The xdist group of a test (see the module docstring), or None to distribute it freely."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    session_fixtures, module_scoped, params = [], [], {}
    callspec = getattr(item, "callspec", None)
    for name in info.names_closure:
        defs = info.name2fixturedefs.get(name) or ()
        if not defs:
            continue
        fixturedef = defs[-1]
        if not _own_fixture(fixturedef) or name in CHEAP_SHARED:
            continue
        if fixturedef.scope == "session":
            session_fixtures.append(name)
        elif fixturedef.scope in ("module", "class", "package"):
            module_scoped.append(name)
            if callspec is not None and name in callspec.params:
                params[name] = callspec.params[name]
    if session_fixtures:
        if BROWSER_FIXTURES.intersection(session_fixtures):
            return "browser"
        return sorted(session_fixtures)[0]
    if module_scoped:
        group = item.module.__name__ if getattr(item, "module", None) else item.nodeid.split("::")[0]
        if len(params) == len(module_scoped):  # each instance of the fixture can be built on its own
            group += "".join(f"-{k}-{params[k]}" for k in sorted(params))
        # pytest-xdist reads the group back from the test id after its last "@", and only if no "]"
        # follows it (otherwise the test is sent out on its own): keep both out of the name.
        return re.sub(r"[^\w.=-]", "_", group)
    return None


def pytest_itemcollected(item):
    """Give every test that needs one its xdist group as it is collected, before pytest-xdist reads the
    marks in its pytest_collection_modifyitems and appends ``@<group>`` to the test id."""
    if item.get_closest_marker("xdist_group"):
        return
    group = xdist_group_for(item)
    if group:
        item.add_marker(pytest.mark.xdist_group(group))


