"""Read the course map (exercises/course.yaml): shared by the navigation builder and the tests."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COURSE_YAML = ROOT / "exercises" / "course.yaml"
NOTEBOOKS = ROOT / "notebooks"
INDEX = "index.ipynb"


@dataclass(frozen=True)
class Lesson:
    number: int
    file: str
    title: str
    minutes: int
    outcome: str
    sections: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"Lesson {self.number} · {self.title}"


def load_course(path: Path = COURSE_YAML) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["lesson_list"] = [
        Lesson(
            number=i,
            file=entry["file"],
            title=entry["title"],
            minutes=int(entry["minutes"]),
            outcome=entry["outcome"],
            sections=tuple(entry.get("sections", [])),
        )
        for i, entry in enumerate(data["lessons"], start=1)
    ]
    return data


# Learners are sent to the learner edition (no answer keys), published as this branch of the repository
# by scripts/build_learner_edition.py: Binder links and nbgitpuller links use it.
LEARNER_BRANCH = "learner-edition"


def binder_url(repository: str, path: str, ref: str = LEARNER_BRANCH) -> str:
    return f"https://mybinder.org/v2/gh/{repository}/{ref}?urlpath=lab/tree/{path}"
