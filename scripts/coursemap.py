"""Read the course map (exercises/course.yaml): shared by the navigation builder and the tests."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE_YAML = ROOT / "exercises" / "course.yaml"
NOTEBOOKS = ROOT / "notebooks"
INDEX = "index.ipynb"


@dataclass(frozen=True)
class Lesson:
    number: str
    file: str
    title: str
    minutes: int
    outcome: str
    sections: tuple[str, ...]

    @property
    def article(self) -> int:
        """The article section's number: a part such as "4b" belongs to section 4."""
        return int(re.match(r"\d+", self.number).group(0))

    @property
    def label(self) -> str:
        return f"Lesson {self.number} · {self.title}"


def load_course(path: Path = COURSE_YAML) -> dict:
    """The course map, read by the package's one loader (exercises.banks.load_course), plus
    ``lesson_list``: a :class:`Lesson` per entry, in course order."""
    from exercises.banks import lesson_numbers, load_course as package_course

    data = package_course(path)
    data["lesson_list"] = [
        Lesson(
            number=number,
            file=entry["file"],
            title=entry["title"],
            minutes=int(entry["minutes"]),
            outcome=entry["outcome"],
            sections=tuple(entry.get("sections", [])),
        )
        for number, entry in zip(lesson_numbers(data["lessons"]), data["lessons"])
    ]
    data["article_lessons"] = sum(1 for entry in data["lessons"] if not (entry.get("part") or entry.get("number")))
    return data


# Learners are sent to the learner edition (no answer keys), published as this branch of the repository
# by scripts/build_learner_edition.py: Binder links and nbgitpuller links use it.
LEARNER_BRANCH = "learner-edition"


def binder_url(repository: str, path: str, ref: str = LEARNER_BRANCH) -> str:
    return f"https://mybinder.org/v2/gh/{repository}/{ref}?urlpath=lab/tree/{path}"
