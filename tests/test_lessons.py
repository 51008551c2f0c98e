"""The lessons: every article section taught, every lesson shaped the same way, every notebook runs."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest
import yaml

from coursemap import load_course
from notebook_runner import course_copy, error_outputs, execute

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_course()
LESSONS = COURSE["lesson_list"]
SECTIONS = yaml.safe_load((Path(__file__).parent / "article_sections.yaml").read_text())
CHECK_KINDS = {"choice", "many-choice", "classify"}


@lru_cache(maxsize=None)
def bank_index() -> dict[str, dict]:
    """Every exercise in every bank, by full id (read straight from the YAML: content, not code)."""
    index = {}
    for path in sorted((ROOT / "exercises" / "banks").glob("*.yaml")):
        bank = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in bank["exercises"]:
            index[f"{bank['bank']}/{entry['id']}"] = entry
    return index


def notebook(lesson) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / lesson.file, as_version=4)


def body_cells(nb):
    return [c for c in nb.cells if "navigation" not in c.metadata.get("tags", [])]


def show_calls(nb) -> list[str]:
    """The exercise ids a notebook shows, from code cells that are exactly one `show("...")` call."""
    ids = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "show":
                ids.append(node.args[0].value)
    return ids


def lesson_ids():
    return [lesson.file.removesuffix(".ipynb") for lesson in LESSONS]


def test_course_map_has_a_lesson_for_every_article_section():
    """Is each of the article's twelve sections taught by exactly one lesson that exists?"""
    mapped = [s for lesson in LESSONS for s in lesson.sections]
    assert set(mapped) == {s["id"] for s in SECTIONS}, "course.yaml and the article's sections differ"
    assert len(set(mapped)) == 12
    # A long section may be taught by a lesson and its continuation (9 and 9b), never split further apart.
    for section in set(mapped):
        positions = [i for i, lesson in enumerate(LESSONS) if section in lesson.sections]
        assert positions == list(range(positions[0], positions[-1] + 1)), f"{section} is taught in pieces"
        assert all(LESSONS[i].number.rstrip("abcdefgh") == LESSONS[positions[0]].number for i in positions)
    # ... and the sections keep the article's order.
    order = [s["id"] for s in SECTIONS]
    firsts = list(dict.fromkeys(mapped))
    assert firsts == order, "the lessons do not follow the article's order"
    for lesson in LESSONS:
        assert (ROOT / "notebooks" / lesson.file).exists(), f"missing lesson {lesson.file}"


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s["id"])
def test_lesson_teaches_every_idea_of_its_section(section):
    """Does the lesson for this section (prose and bank together) name every idea the article covers?"""
    lessons = [lesson for lesson in LESSONS if section["id"] in lesson.sections]
    articles = {lesson.article for lesson in lessons}
    text = ""
    for part in [p for p in LESSONS if p.article in articles]:  # a split lesson: 4 and 4b together
        nb = notebook(part)
        text += "\n".join(c.source for c in nb.cells)
        for ex_id in show_calls(nb):
            text += "\n" + yaml.safe_dump(bank_index().get(ex_id, {}), allow_unicode=True)
    text = text.lower()
    missing = [idea for idea in section["ideas"] if not any(alt in text for alt in idea.lower().split("|"))]
    assert not missing, f"{[lesson.file for lesson in lessons]} do not teach: {missing}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_ids())
def test_lesson_anatomy(lesson):
    """Does the lesson follow the anatomy: title and time, objectives, prose with the case study,
    exercises from the banks, one reflection, takeaways, navigation?"""
    nb = notebook(lesson)
    cells = body_cells(nb)
    title = cells[0]
    assert title.cell_type == "markdown"
    assert title.source.startswith(f"# Lesson {lesson.number} · {lesson.title}"), title.source[:80]
    assert f"*About {lesson.minutes} minutes*" in title.source

    objectives = cells[1]
    assert objectives.source.startswith("## Learning objectives")
    bullets = re.findall(r"^\s*[-*] \**(\w+)", objectives.source, re.M)
    assert 2 <= len(bullets) <= 4, f"{len(bullets)} objectives"

    assert cells[2].cell_type == "code" and cells[2].source.startswith("from exercises import show")
    assert cells[-1].cell_type == "markdown" and cells[-1].source.startswith("## Key takeaways")
    assert re.search(r"^\s*[-*] ", cells[-1].source, re.M), "takeaways need bullets"

    prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "> **At Parcelly:**" in prose, "no case-study example"
    assert len(re.findall(r"^## ", prose, re.M)) >= 4

    # Notebooks hold prose and one-line exercise calls only (lesson 9's pandas walk-through, tagged
    # `data-demo`, is code the learner is meant to read and change).
    for cell in cells[3:]:
        if cell.cell_type == "code" and "data-demo" not in cell.metadata.get("tags", []):
            assert len(cell.source.strip().splitlines()) <= 2 and "class " not in cell.source, cell.source[:200]

    nav = [c for c in nb.cells if "navigation" in c.metadata.get("tags", [])]
    assert [c.id for c in nav] == ["nav-top", "lesson-start", "nav-bottom"]
    assert nb.cells[0].id == "nav-top" and nb.cells[-1].id == "nav-bottom"
    # the first cell tells the learner to run the lesson; the first code cell is the saving banner
    assert "Run All Cells" in nb.cells[0].source
    assert nb.cells[1].cell_type == "code" and nb.cells[1].source.endswith("start_lesson()")


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_ids())
def test_lesson_exercises_resolve_and_meet_the_counts(lesson):
    """Does every exercise id resolve in the banks, with ≥3 knowledge checks, ≥1 scenario, 1 reflection?"""
    ids = show_calls(notebook(lesson))
    unknown = [i for i in ids if i not in bank_index()]
    assert not unknown, f"ids not in any bank: {unknown}"
    kinds = [bank_index()[i]["kind"] for i in ids]
    assert sum(k in CHECK_KINDS for k in kinds) >= 3, kinds
    assert kinds.count("scenario") >= 1, kinds
    assert kinds.count("reflection") == 1, kinds
    assert len(ids) == len(set(ids)) or lesson.number == "12", "an exercise is shown twice"


def test_heart_of_the_course_team_vs_technical():
    """Does lesson 4 show the comparison table as markdown (every row of the CSV, readable without running
    anything), with a 12+ statement classify and, over lessons 4 and 4b, 2+ diagnosis scenarios?"""
    import csv

    (lesson,) = [lesson for lesson in LESSONS if "team-vs-technical-leadership" in lesson.sections]
    nb = notebook(lesson)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    table_rows = {tuple(cell.strip().strip("*") for cell in line.strip().strip("|").split("|"))
                  for line in markdown.splitlines() if line.startswith("| **")}
    with open(ROOT / "exercises" / "data" / "team_vs_tech_comparison.csv", encoding="utf-8") as f:
        csv_rows = [tuple(r) for r in list(csv.reader(f))[1:]]
    missing = [r for r in csv_rows if r not in table_rows]
    assert not missing, f"lesson 4's markdown table differs from the CSV in: {missing}"
    parts = [p for p in LESSONS if p.article == lesson.article]
    entries = [bank_index()[i] for p in parts for i in show_calls(notebook(p))]
    classify = [e for e in entries if e["kind"] == "classify"]
    assert classify and max(len(e["items"]) for e in classify) >= 12
    assert {"team", "technical", "both"} <= {c["key"] for c in classify[0]["categories"]}
    assert sum(e["kind"] == "scenario" for e in entries) >= 2


def test_later_lessons_return_to_the_distinction():
    """Do the lessons after lesson 4 come back to team vs technical leadership?"""
    for lesson in [p for p in LESSONS if p.article > 4]:
        text = "\n".join(c.source for c in body_cells(notebook(lesson))).lower()
        assert "team leadership" in text and "technical leadership" in text, lesson.file


def test_key_qualities_uses_self_assessment_and_challenges_branch():
    """Does lesson 5 use the self-assessment, lesson 11 branching scenarios, lesson 12 the export?"""
    by_section = {s: lesson for lesson in LESSONS for s in lesson.sections}
    kinds5 = [bank_index()[i]["kind"] for i in show_calls(notebook(by_section["key-qualities"]))]
    assert "self-assessment" in kinds5
    challenge_ids = [i for lesson in LESSONS if "challenges-and-solutions" in lesson.sections
                     for i in show_calls(notebook(lesson))]
    scenarios = [bank_index()[i] for i in challenge_ids if bank_index()[i]["kind"] == "scenario"]
    assert len(scenarios) >= 7
    for sc in scenarios:
        branches = [a for s in sc["situations"].values() for a in s["actions"] if a.get("next")]
        assert branches, f"scenario {sc['id']} does not branch"
    code = "\n".join(c.source for c in notebook(by_section["conclusion"]).cells if c.cell_type == "code")
    assert "export_plan()" in code


def test_navigation_index_and_readme_map_are_current():
    """Are the generated navigation cells, the index and the README's course map up to date?"""
    result = subprocess.run([sys.executable, "scripts/build_nav.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_map_matches_the_index():
    """Do the README's course map and the index notebook's map list the same lessons, times and links?"""
    readme = (ROOT / "README.md").read_text()
    index = nbformat.read(ROOT / "notebooks" / "index.ipynb", as_version=4)
    index_text = "\n".join(c.source for c in index.cells)
    row = re.compile(r"^\| (\d+[a-z]?) \| \[(.+?)\]\((?:notebooks/)?(.+?)\) \| (\d+) min \| (.+) \|$", re.M)
    assert row.findall(readme) == row.findall(index_text)
    assert len(row.findall(readme)) == len(LESSONS)


def test_strategies_lesson_has_the_data_driven_part():
    """Does lesson 9b (the data lab) load, clean, group and plot the team metrics, then ask who should
    lead each response?"""
    (lesson,) = [lesson for lesson in LESSONS if lesson.number == "9b"]
    nb = notebook(lesson)
    demo = "\n".join(c.source for c in nb.cells if "data-demo" in c.metadata.get("tags", []))
    for step in ("read_csv", "team_metrics.csv", "isna", "ffill", "groupby", ".plot("):
        assert step in demo, step
    entry = bank_index()["strategies/metric-stories"]
    assert entry["kind"] == "classify" and "strategies/metric-stories" in show_calls(nb)
    answers = {item["key"].split("-")[0] for item in entry["items"]}
    assert answers == {"atlas", "beacon", "cargo", "dock"}, "every team's story is asked about"


def test_strategies_lesson_draws_its_plots(tmp_path):
    """Executed for real, does lesson 9b render the trend plots as images?"""
    (lesson,) = [lesson for lesson in LESSONS if lesson.number == "9b"]
    run = course_copy(tmp_path)
    nb = execute(run / lesson.file, cwd=run)
    assert error_outputs(nb) == []
    plot_cells = [c for c in nb.cells if c.cell_type == "code" and ".plot(" in c.source]
    assert plot_cells and any("image/png" in out.get("data", {}) for out in plot_cells[0].outputs)


# --- execution --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return course_copy(tmp_path_factory.mktemp("course"))


EXTRAS = [extra["file"] for extra in COURSE.get("extras", [])]


def test_companion_notebooks_exist_and_link_back():
    """Do the progress dashboard and spaced review exist, linked from the index and back to it?"""
    index = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks" / "index.ipynb", as_version=4).cells)
    for name in EXTRAS:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        assert f"]({name})" in index
        assert nb.cells[0].id == "nav-top" and "](index.ipynb)" in nb.cells[0].source


@pytest.mark.parametrize("name", ["index.ipynb"] + [lesson.file for lesson in LESSONS] + EXTRAS)
def test_notebook_executes_without_errors(name, run_dir):
    """Does the notebook run top to bottom in a fresh kernel with no error output?"""
    nb = execute(run_dir / name, cwd=run_dir)
    assert error_outputs(nb) == []
