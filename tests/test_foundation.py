"""The repository's skeleton: the package, notebook hygiene, environments that agree, the two commands."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml

from clean_notebooks import committed_notebooks
from course_tools.cells import KERNELSPEC
from lab_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_packages_import():
    """Do the learner-side and instructor-side packages import, with the API the notebooks use?"""
    import course_tools  # noqa: F401
    import exercises

    for name in ("show", "show_progress", "export_plan"):
        assert callable(getattr(exercises, name)), name


# --- notebook hygiene -------------------------------------------------------------------------------

NOTEBOOKS = committed_notebooks()


def test_there_are_notebooks_to_check():
    """Is the hygiene check looking at real notebooks (lessons, index, assignments)?"""
    names = {p.name for p in NOTEBOOKS}
    assert "index.ipynb" in names
    assert any(p.parts[-3] == "source" for p in NOTEBOOKS), "no assignment notebook in source/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_committed_clean(path: Path):
    """Is this notebook valid nbformat 4.5 with cell ids, one python3 kernelspec, and no outputs?"""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    assert nb.metadata.get("kernelspec") == KERNELSPEC
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, f"stray notebook metadata: {set(nb.metadata)}"
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids), "a cell has no id"
    assert len(ids) == len(set(ids)), "cell ids repeat"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"outputs committed in cell {cell.id}"
            assert cell.execution_count is None, f"execution count committed in cell {cell.id}"


def test_clean_notebooks_check_passes():
    """Would `make clean-notebooks` change nothing (metadata included)?"""
    result = subprocess.run([sys.executable, "scripts/clean_notebooks.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_clean_notebooks_fixes_a_dirty_notebook(tmp_path: Path):
    """Does the cleaner strip outputs, counts and stray metadata, and add missing cell ids?"""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Py", "language": "python"},
                   "widgets": {"state": {}}}
    cell = nbformat.v4.new_code_cell("print('hi')")
    cell.outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    cell.execution_count = 3
    cell.metadata = {"collapsed": True, "tags": ["keep-me"]}
    nb.cells.append(cell)
    raw = nbformat.writes(nb)
    raw = raw.replace(f'"id": "{cell.id}",', "")  # an older notebook with no cell id
    path = tmp_path / "dirty.ipynb"
    path.write_text(raw, encoding="utf-8")

    check = subprocess.run([sys.executable, "scripts/clean_notebooks.py", "--check", str(path)], cwd=ROOT)
    assert check.returncode == 1
    subprocess.run([sys.executable, "scripts/clean_notebooks.py", str(path)], cwd=ROOT, check=True)
    fixed = nbformat.read(path, as_version=4)
    nbformat.validate(fixed)
    (c,) = fixed.cells
    assert c.outputs == [] and c.execution_count is None and c.id
    assert c.metadata == {"tags": ["keep-me"]}
    assert fixed.metadata["kernelspec"] == KERNELSPEC and "widgets" not in fixed.metadata


# --- environments agree -----------------------------------------------------------------------------

def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_pyproject_name_the_same_dependencies():
    """Do Binder/conda (environment.yml) and pip (pyproject.toml) install the same runtime dependencies?"""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    from_pyproject = {_name(r) for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)]
    pip_names = {_name(r) for d in pip_section for r in d.get("pip", []) if not r.startswith("-")}
    assert from_pyproject == conda | pip_names


def test_binder_installs_the_course_itself():
    """Does Binder's postBuild install this repository's package and the JupyterLab settings?"""
    post = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post
    assert "overrides.json" in post and (ROOT / "lab-settings" / "overrides.json").exists()
    assert os.access(ROOT / "postBuild", os.X_OK)


# --- the two commands -------------------------------------------------------------------------------

def test_readme_gives_the_commands_that_are_tested():
    """Are the README's commands exactly the Makefile targets CI runs?"""
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", ci, re.M), ".ci/run must run the README's test command"
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "clean-notebooks", "nav", "assignments"):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target


@pytest.mark.skipif(not (ROOT / ".venv" / ".course-installed").exists(), reason="runs after `make` set-up")
def test_rerunning_setup_does_not_reinstall():
    """With nothing changed, is the environment up to date (no reinstall on the next make)?"""
    result = subprocess.run(["make", "-q", "install"], cwd=ROOT)
    assert result.returncode == 0


@pytest.mark.skipif(shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "jupyter").exists(),
                    reason="needs make and the course environment")
def test_make_lab_serves_the_course_index_headless(tmp_path: Path):
    """Does `make lab PORT=...` serve JupyterLab, with no browser, on the course index?"""
    port = free_port()
    env = dict(os.environ, DISPLAY="", WAYLAND_DISPLAY="", JUPYTER_RUNTIME_DIR=str(tmp_path))
    proc = subprocess.Popen(
        ["make", "lab", f"PORT={port}", "OPEN_BROWSER=False"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        page = None
        token = None
        while time.monotonic() < deadline:
            try:
                # The server writes its token to the runtime folder, as it does for a learner's browser.
                if token is None:
                    infos = [json.loads(p.read_text()) for p in tmp_path.glob("jpserver-*.json")]
                    token = next((i["token"] for i in infos if i.get("port") == port), None)
                    if token is None:
                        raise OSError("server not ready")
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=3) as r:
                    page = r.read().decode()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        assert page is not None, proc.stdout.read().decode() if proc.poll() is not None else "no answer"
        assert "JupyterLab" in page
        # The server's default page is the course index, and the index is there to open.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=5) as r:
            assert r.geturl().split("?")[0].endswith("/lab/tree/notebooks/index.ipynb")
        url = f"http://127.0.0.1:{port}/api/contents/notebooks/index.ipynb?token={token}"
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.status == 200
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
