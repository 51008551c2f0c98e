"""Execute a notebook for real (nbclient, a fresh python3 kernel) and report its errors."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course_tools.cells import KERNELSPEC

ROOT = Path(__file__).resolve().parents[1]


def course_copy(dest: Path) -> Path:
    """A throwaway copy of what lessons read at run time: notebooks/ and exercises/data/.

    Lessons run with notebooks/ as their working folder, as in JupyterLab, so relative paths such as
    ``../exercises/data/...`` resolve the same way, and responses.json lands in the copy."""
    shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(
        "responses.json*", ".responses.json*", "my_development_plan.*", ".ipynb_checkpoints"))
    shutil.copytree(ROOT / "exercises" / "data", dest / "exercises" / "data")
    return dest / "notebooks"


def execute(path: Path, cwd: Path | None = None, timeout: int = 120) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=KERNELSPEC["name"], resources={"metadata": {"path": str(cwd or path.parent)}},
        allow_errors=True,
    )
    client.execute()
    return nb


def error_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Every error output and every stderr stream that reports an exception, as readable text."""
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and (
                "Traceback" in out.text or "Error" in out.text
            ):
                problems.append(f"cell {i} stderr: {out.text[:500]}")
            elif out.output_type in ("display_data", "execute_result"):
                text = out.get("data", {}).get("text/plain", "")
                if "Error displaying widget" in text:
                    problems.append(f"cell {i}: {text[:200]}")
    return problems
