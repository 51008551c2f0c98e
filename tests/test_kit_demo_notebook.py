"""The exercise-kit demo notebook runs in a real kernel without errors."""
from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from course_tools.cells import KERNELSPEC
from kit_helpers import REPO

DEMO = REPO / "exercises" / "examples" / "demo.ipynb"


def test_demo_notebook_is_commit_ready():
    """Is the demo notebook stripped (no outputs or counts), nbformat 4.5 with ids and a python3 kernel?"""
    nb = nbformat.read(DEMO, as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    assert nb.metadata["kernelspec"] == KERNELSPEC
    for cell in nb.cells:
        assert cell.get("id")
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
def test_demo_notebook_executes_without_errors(tmp_path):
    """Does every cell of the demo (one of every kind) run in a real kernel with no error output?"""
    work = tmp_path / "demo"
    work.mkdir()
    shutil.copy(DEMO, work / "demo.ipynb")
    nb = nbformat.read(work / "demo.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name=KERNELSPEC["name"], allow_errors=True,
                   resources={"metadata": {"path": str(work)}}).execute()
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and "Error" in out.text:
                problems.append(f"cell {i}: {out.text[:300]}")
    assert not problems, problems
    widget_cells = [c for c in nb.cells if c.cell_type == "code" and not c.source.startswith("from ")]
    for cell in widget_cells:
        kinds = [o.get("data", {}) for o in cell.outputs if o.output_type == "execute_result"]
        assert any("application/vnd.jupyter.widget-view+json" in d for d in kinds), cell.source
    assert (work / "my_development_plan.html").exists()
