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
