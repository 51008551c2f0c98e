"""Where the course shows its exercises: lessons in course order, ``show("...")`` cells, bank entries.

Used by the browser tests to pick what to drive, so that they follow the content.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = "exercises/examples/demo.ipynb"
SCREENSHOTS = ROOT / "screenshots"


@dataclass(frozen=True)
class LessonFile:
    label: str   # test id, e.g. "04_team_vs_technical_leadership"
    rel: str     # path relative to the course root, e.g. "notebooks/04_....ipynb"


def lesson_files() -> list[LessonFile]:
    """index.ipynb, then every lesson and extra notebook of exercises/course.yaml that exists, in course order."""
    from coursemap import load_course

    found = [LessonFile("index", "notebooks/index.ipynb")] if (ROOT / "notebooks/index.ipynb").exists() else []
    course = load_course()
    files = [lesson.file for lesson in course["lesson_list"]]
    files += [extra["file"] for extra in course.get("extras", []) or [] if extra.get("file")]
    for name in files:
        if (ROOT / "notebooks" / name).exists():
            found.append(LessonFile(name.removesuffix(".ipynb"), f"notebooks/{name}"))
    return found


def _show_call(source: str):
    """The exercise id when *source* is exactly one ``show("...")`` call (other args allowed), else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    body = tree.body
    if (len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call)
            and getattr(body[0].value.func, "id", None) == "show" and body[0].value.args
            and isinstance(body[0].value.args[0], ast.Constant)):
        return body[0].value.args[0].value
    return None


def show_cells(path: Path) -> dict[int, str]:
    """``{cell index: exercise id}`` for the code cells whose source is one ``show("...")`` call."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    found = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            ex_id = _show_call(cell.source)
            if ex_id:
                found[i] = ex_id
    return found


def bank_entries() -> dict[str, dict]:
    """Every exercise of every bank (exercises/banks/*.yaml), by full id ``<bank>/<id>``."""
    import yaml

    index = {}
    for path in sorted((ROOT / "exercises" / "banks").glob("*.yaml")):
        bank = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in bank.get("exercises", []):
            index[f"{bank.get('bank', path.stem)}/{entry['id']}"] = entry
    return index


@dataclass(frozen=True)
class ShownExercise:
    rel: str          # notebook path under the course root
    cell: int         # cell index in the notebook
    exercise_id: str
    entry: dict = field(hash=False, compare=False)

    @property
    def kind(self) -> str:
        return self.entry.get("kind", "")


def find_exercise(kind: str, notebooks: list[str] | None = None, where=None) -> ShownExercise | None:
    """The first exercise of *kind* shown in *notebooks* (default: the demo notebook, then the lessons),
    optionally also satisfying ``where(entry)``."""
    if notebooks is None:
        notebooks = [DEMO] + [lf.rel for lf in lesson_files()]
    banks = bank_entries()
    for rel in notebooks:
        path = ROOT / rel
        if not path.exists():
            continue
        for cell, ex_id in show_cells(path).items():
            entry = banks.get(ex_id)
            if entry and entry.get("kind") == kind and not entry.get("graded") and (where is None or where(entry)):
                return ShownExercise(rel, cell, ex_id, entry)
    return None


def cell_of_exercise(path: Path, exercise_id: str) -> int:
    """The index of the cell that holds ``show("<exercise_id>")`` in notebook *path*."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (f'"{exercise_id}"' in cell.source or f"'{exercise_id}'" in cell.source):
            return i
    raise LookupError(f"{exercise_id} is not shown in {path}")
