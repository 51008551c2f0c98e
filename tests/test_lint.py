"""The code passes the repository's ruff rules (pyproject.toml [tool.ruff]): no undefined names, unused
imports, redefinitions, syntax errors or bugbear findings anywhere in the Python code."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    """ruff from the course environment (a test dependency), else one on PATH."""
    beside = Path(sys.executable).with_name("ruff")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("ruff")
    if found:
        return [found]
    pytest.fail("ruff is not installed: pip install -e '.[test]'", pytrace=False)


def test_ruff_finds_nothing():
    """Does `ruff check` pass on the whole repository with the configured rules?"""
    proc = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"ruff found problems (fix them, or see [tool.ruff] in pyproject.toml):\n" \
                                 f"{proc.stdout}{proc.stderr}"


def test_ruff_would_catch_an_undefined_name(tmp_path):
    """Is the check not vacuous: does the same configuration flag an undefined name and an unused import?"""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f():\n    return undefined_name\n", encoding="utf-8")
    proc = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise",
                           "--config", str(ROOT / "pyproject.toml"), str(bad)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "F401" in proc.stdout and "F821" in proc.stdout
