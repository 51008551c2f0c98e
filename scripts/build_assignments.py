#!/usr/bin/env python3
"""Write the instructor notebooks ``source/<id>/<id>.ipynb`` of the nbgrader assignments.

The notebooks are authored here, as data, with the cell factories of ``course_tools.cells``, so
every assignment has the same shape (instructions, points table, parts A/B/C) and the nbgrader
metadata is always exactly schema 3. Run it after changing an assignment, then regenerate the
student versions::

    python scripts/build_assignments.py      # source/<id>/<id>.ipynb
    make assignments                         # release/<id>/ via nbgrader

Each assignment mixes
  A  autograded code answers: visible tests check the shape, hidden tests check correctness;
  B  graded-mode widget questions (bank exercises/banks/<id>.yaml); a hidden test reads the
     recorded answer with ``exercises.grading.recorded_answer`` — the key lives only here;
  C  written answers marked by hand: a task cell (prompt + mark scheme, which nbgrader strips
     from release/ and shows in the formgrader) followed by a plain cell the learner writes in.

Content lives in scripts/assignments_content.py (one function per assignment; a5 in
scripts/assignment_a5.py). An assignment may also ship data files (``Assignment.data_file``): they
are copied byte for byte into source/<id>/, so nbgrader hands them out with the notebook and
autograde puts the instructor's copy back over whatever a learner submitted.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from course_tools.cells import (  # noqa: E402
    md_cell, new_notebook, readonly_code_cell, readonly_md_cell, solution_cell, task_cell,
    test_cell, write_notebook,
)


def _pts(n: float) -> str:
    n = float(n)
    text = f"{n:g}"
    return f"{text} point" if n == 1 else f"{text} points"


class Assignment:
    """Collects the cells of one assignment and the points of each part."""

    PARTS = {
        "A": "Code answers (autograded: visible + hidden tests)",
        "B": "Widget questions (autograded from `responses.json`)",
        "C": "Written answers (marked by your instructor)",
    }

    def __init__(self, aid: str, number: int, title: str, minutes: int, sections: str, intro: str):
        self.aid, self.number, self.title = aid, number, title
        self.minutes, self.sections, self.intro = minutes, sections, intro
        self.cells: list = []
        self.part_points = {"A": 0.0, "B": 0.0, "C": 0.0}
        self._part = None
        self._qnum = {"A": 0, "B": 0, "C": 0}
        self.data_files: dict[str, Path] = {}

    def data_file(self, name: str, origin: Path) -> None:
        """Ship ``origin`` as ``source/<id>/<name>`` (an exact copy, rewritten on every build)."""
        self.data_files[name] = Path(origin)

    # ---------------------------------------------------------------- structure
    def part(self, letter: str, text: str) -> None:
        self._part = letter
        self.cells.append(readonly_md_cell(
            f"part-{letter.lower()}", f"## Part {letter} · {self.PARTS[letter]}\n\n{text}"))

    def note(self, grade_id: str, text: str) -> None:
        self.cells.append(readonly_md_cell(grade_id, text))

    def code(self, grade_id: str, text: str) -> None:
        self.cells.append(readonly_code_cell(grade_id, text))

    def _label(self, points: float) -> str:
        self._qnum[self._part] += 1
        return f"{self._part}{self._qnum[self._part]}", _pts(points)

    # ---------------------------------------------------------------- part A
    def code_question(self, qid: str, title: str, prompt: str, answer: str,
                      tests: list[tuple[str, float, str]]) -> None:
        """A code question: prompt, a solution cell, then one or more test cells.

        ``tests`` is a list of ``(suffix, points, source)``; each becomes a locked grade cell.
        """
        total = sum(p for _, p, _ in tests)
        label, pts = self._label(total)
        self.cells.append(readonly_md_cell(f"{qid}-prompt", f"### {label} · {title} ({pts})\n\n{prompt.strip()}"))
        self.cells.append(solution_cell(f"{qid}-answer", answer))
        for suffix, points, source in tests:
            self.cells.append(test_cell(f"{qid}-{suffix}", source, points))
        self.part_points["A"] += total

    # ---------------------------------------------------------------- part B
    def widget_question(self, qid: str, title: str, points: float, check: str, expected,
                        per_item: float | None = None) -> None:
        """A graded-mode widget and the hidden test that grades the recorded answer.

        ``check`` is ``"equal"`` (choice: the key; many-choice: the sorted list of keys;
        classify: the whole dict) or ``"per-item"`` (classify: ``per_item`` points for each item
        put in the right category — partial credit via the cell's last value).
        """
        label, pts = self._label(points)
        ex_id = f"{self.aid}/{qid}"
        self.cells.append(readonly_md_cell(
            f"{qid}-prompt",
            f"### {label} · {title} ({pts})\n\nRun the cell, choose, then press the button to record "
            "your answer."))
        self.cells.append(readonly_code_cell(f"{qid}-widget", f'show("{ex_id}", graded=True)'))
        lines = [
            "# Grades the answer you recorded above (read from responses.json).",
            "# Run it: an error here means no answer is recorded yet.",
            f'answer = recorded_answer("{ex_id}")',
            "### BEGIN HIDDEN TESTS",
            f"expected = {expected!r}",
        ]
        if check == "equal":
            lines.append("assert answer == expected")
        elif check == "per-item":
            assert per_item and abs(per_item * len(expected) - points) < 1e-9, qid
            lines += [
                "assert isinstance(answer, dict)",
                f"sum(answer.get(item) == category for item, category in expected.items()) * {per_item}",
            ]
        else:
            raise ValueError(check)
        lines.append("### END HIDDEN TESTS")
        self.cells.append(test_cell(f"{qid}-grade", "\n".join(lines), points))
        self.part_points["B"] += points

    # ---------------------------------------------------------------- part C
    def written_task(self, qid: str, title: str, points: float, prompt: str, mark_scheme: str) -> None:
        """A manually graded task: prompt + mark scheme (stripped from release/), then an answer cell."""
        label, pts = self._label(points)
        self.cells.append(task_cell(
            f"{qid}-task",
            f"### {label} · {title} ({pts})\n\n{prompt.strip()}\n\n"
            "*Write your answer in the cell below this one.*\n\n"
            f"=== BEGIN MARK SCHEME ===\n\n{mark_scheme.strip()}\n\n=== END MARK SCHEME ===",
            points))
        self.cells.append(md_cell(f"{qid}-your-answer",
                                  "✍️ *Your answer: double-click here, replace this line and run the cell.*"))
        self.part_points["C"] += points

    # ---------------------------------------------------------------- notebook
    @property
    def total(self) -> float:
        return sum(self.part_points.values())

    def header(self) -> str:
        rows = "\n".join(f"| {k} | {self.PARTS[k]} | {v:g} |" for k, v in self.part_points.items())
        return f"""# Assignment {self.number} · {self.title}

*About {self.minutes} minutes · {self.total:g} points · course lessons: {self.sections}*

{self.intro.strip()}

**How to work.** Go from top to bottom and run every cell (Shift+Enter).

- **Part A, code answers.** In each answer cell, fill in the template, then delete the two stub lines
  `# YOUR CODE HERE` and `raise NotImplementedError()`. Run the test cell under it: the visible tests
  check only the *shape* of your answer. More tests, hidden from you, check whether it is *right*
  when the assignment is graded; your feedback tells you which cells passed.
- **Part B, widget questions.** Run the cell, choose your answer and press the record button. Your
  answer is saved to **`responses.json` in this folder**; the widget does not tell you whether it is
  right. Run the cell under each widget: it reads your recorded answer back and fails if nothing is
  recorded.
- **Part C, written answers.** Write in the cell under each task. Your instructor marks these by
  hand against a mark scheme.

**Before you submit.** Use *Kernel → Restart Kernel and Run All Cells* and check that no test cell
fails with a shape error. Submit from the *Assignments* tab (or `nbgrader submit`), which sends the
whole folder: the notebook **and `responses.json`**, so your widget answers are graded too. Keep the
notebook's name (`{self.aid}.ipynb`) and don't delete or copy cells; locked cells are put back as they
were at grading time.

| Part | What | Points |
|---|---|---|
{rows}
| | **Total** | **{self.total:g}** |
"""

    def notebook(self):
        cells = [
            readonly_md_cell("instructions", self.header()),
            readonly_code_cell("setup", "from exercises import show\nfrom exercises.grading import recorded_answer"),
        ] + self.cells
        return new_notebook(cells)


def build(root: Path = ROOT) -> list[Path]:
    """Write every assignment's source notebook under ``root/source``; return the paths."""
    import assignments_content

    written = []
    for make in assignments_content.ASSIGNMENTS:
        a = make(Assignment)
        path = root / "source" / a.aid / f"{a.aid}.ipynb"
        write_notebook(a.notebook(), path)
        written.append(path)
        for name, origin in a.data_files.items():
            target = path.parent / name
            target.write_bytes(origin.read_bytes())
            written.append(target)
    return written


def main() -> int:
    for path in build():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
