"""Shared fixtures for the whole suite."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Tests never write into a learner's real responses file or a real exchange.
os.environ.setdefault("TECHLEAD_LEARNER", "test-learner")


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
