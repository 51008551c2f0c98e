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
    number: str
    file: str
    title: str
    minutes: int
    outcome: str
    sections: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"Lesson {self.number} · {self.title}"


def lesson_numbers(entries: list[dict]) -> list[str]:
    """Lesson numbers follow the article's sections: 1, 2, 3 ... A lesson that continues the one before
    it (``part: b`` in course.yaml) keeps that number with a letter suffix: 9, 9b, 10."""
    numbers, current = [], 0
    for entry in entries:
        part = entry.get("part")
        if part:
            if not numbers:
                raise ValueError("the first lesson cannot be a continuation ('part')")
            numbers.append(f"{current}{part}")
        else:
            current += 1
            numbers.append(str(current))
    return numbers


def load_course(path: Path = COURSE_YAML) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    data["article_lessons"] = sum(1 for entry in data["lessons"] if not entry.get("part"))
    return data


def binder_url(repository: str, path: str) -> str:
    return f"https://mybinder.org/v2/gh/{repository}/HEAD?urlpath=lab/tree/{path}"
