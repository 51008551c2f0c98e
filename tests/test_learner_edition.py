"""The learner edition (scripts/build_learner_edition.py): what a learner gets holds no answer key.

The edition is built for real into a temporary folder from this checkout; the leak scan then looks in
it for every key the instructor notebooks in source/ hold. Keys are planted into copies of the edition
to prove the scan catches each kind.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_learner_edition as edition  # noqa: E402
from coursemap import LEARNER_BRANCH, binder_url, load_course  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edition") / "learner-edition"
    edition.build(out, check=False)
    return out


@pytest.fixture(scope="module")
def keys():
    return edition.instructor_keys(ROOT / "source")


def planted_copy(built: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "planted"
    shutil.copytree(built, dest)
    return dest


def source_cell(grade_id: str):
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
                return path, cell
    raise LookupError(grade_id)


def graded_cells(kind_of_region: str):
    """(notebook, grade_id, cell) of every instructor cell holding such a region."""
    found = []
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if any(k == kind_of_region for k, _ in edition.regions(cell.source)):
                found.append((path.name, cell.metadata.get("nbgrader", {}).get("grade_id"), cell))
    return found


# ------------------------------------------------------------------------------------ what is in it
def test_the_built_edition_leaks_no_key(built):
    """Does the edition built from this checkout hold none of the instructor notebooks' keys?"""
    leaks = edition.scan(built, ROOT / "source")
    assert leaks == [], "\n".join(map(str, leaks))


def test_the_edition_holds_what_a_learner_needs_and_nothing_of_the_instructors(built):
    """Lessons, assignments as released, the exercise package with its banks and data, Binder's files:
    yes. source/, tests, scripts, instructor tools, nbgrader's config and gradebook: no."""
    course = load_course()
    for lesson in course["lesson_list"]:
        assert (built / "notebooks" / lesson.file).is_file(), lesson.file
    for extra in course["extras"]:
        assert (built / "notebooks" / extra["file"]).is_file(), extra["file"]
    for folder in sorted((ROOT / "release").iterdir()):
        assert (built / "release" / folder.name / f"{folder.name}.ipynb").is_file()
    for rel in ("exercises/__init__.py", "exercises/schemas/bank.schema.json", "exercises/course.yaml",
                "exercises/data/team_metrics.csv", "environment.yml", "postBuild", "pyproject.toml",
                "lab-settings/overrides.json", "LICENSE", "README.md", "Makefile"):
        assert (built / rel).is_file(), rel
    assert sorted(p.name for p in (built / "exercises" / "banks").glob("*.yaml")) == \
        sorted(p.name for p in (ROOT / "exercises" / "banks").glob("*.yaml"))
    top = {p.name for p in built.iterdir()}
    assert not top & {"source", "tests", "scripts", "course_tools", "instructor", "deploy", "benchmarks",
                      "nbgrader_config.py", "gradebook.db", "INSTRUCTORS.md"}, top
    assert not list(built.rglob("responses.json*")), "a learner's saved answers were copied"
    readme = (built / "README.md").read_text(encoding="utf-8")
    assert binder_url(course["repository"], "notebooks/index.ipynb") in readme


def test_a_lesson_runs_from_the_edition_alone(built, tmp_path):
    """Does a lesson run with only the edition's own exercise package importable (not this checkout's)?"""
    from notebook_runner import error_outputs, execute

    copy = tmp_path / "ed"
    shutil.copytree(built, copy)
    env_before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(copy)
    try:
        nb = execute(copy / "notebooks" / "02_what_is_technical_leadership.ipynb", cwd=copy / "notebooks")
    finally:
        if env_before is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = env_before
    assert error_outputs(nb) == []
    shown = [o for c in nb.cells for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert shown, "the lesson showed no exercise"
    origin = subprocess.run([sys.executable, "-c", "import exercises; print(exercises.__file__)"],
                            env=dict(os.environ, PYTHONPATH=str(copy)), cwd=tmp_path,
                            capture_output=True, text=True, check=True).stdout.strip()
    assert Path(origin).resolve().is_relative_to(copy.resolve()), origin


# ------------------------------------------------------------------------------------ the keys
def test_every_graded_question_has_its_key_known_to_the_scan(keys):
    """Does the scan know a key for every hidden-test cell and every solution of the instructor notebooks?"""
    wheres = {k.where for k in keys}
    for region in ("HIDDEN TESTS", "SOLUTION", "MARK SCHEME"):
        cells = graded_cells(region)
        assert cells, f"no {region} region found in source/ (has the layout changed?)"
        for name, grade_id, _cell in cells:
            assert f"{name}:{grade_id}" in wheres, f"no key taken from {name}:{grade_id} ({region})"


def test_the_expected_value_of_each_graded_widget_question_is_a_key(keys):
    """Is each graded widget question's actual expected answer (choice, many-choice, classify) a key?"""
    checked = 0
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for kind, text in edition.regions(cell.source):
                if kind != "HIDDEN TESTS":
                    continue
                for value in edition._expected_values(text):
                    pats = edition.value_patterns(value)
                    assert pats, f"no pattern for the expected value {value!r}"
                    written = (f"key = {json.dumps(value)}" if not isinstance(value, (list, dict))
                               else json.dumps(value))
                    assert any(re.search(p, written) for p in pats), (value, pats)
                    checked += 1
    assert checked >= 5, "too few graded questions with a literal expected value were found"


# ------------------------------------------------------------------------------------ planted keys
def _plant_markdown(ed: Path, rel: str, text: str) -> None:
    path = ed / rel
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(text))
    nbformat.write(nb, path)


def _first_hidden(grade_prefix: str = "") -> tuple[str, str]:
    for _name, grade_id, cell in graded_cells("HIDDEN TESTS"):
        if grade_id.startswith(grade_prefix):
            return grade_id, cell.source
    raise LookupError(grade_prefix)


def plant_hidden_test_cell(ed: Path) -> str:
    grade_id, src = _first_hidden()
    nb_path = next((ed / "release").glob("*/*.ipynb"))
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(src))
    nbformat.write(nb, nb_path)
    return nb_path.relative_to(ed).as_posix()


def plant_choice_key_in_a_lesson(ed: Path) -> str:
    # Only the expected value, re-typed the way an author might leave it: no region marker at all.
    for _name, grade_id, cell in graded_cells("HIDDEN TESTS"):
        for _kind, text in edition.regions(cell.source):
            for value in edition._expected_values(text):
                if isinstance(value, str):
                    rel = "notebooks/12_conclusion.ipynb"
                    _plant_markdown(ed, rel, f"Note to self: for {grade_id} the answer is `answer = '{value}'`.")
                    return rel
    raise LookupError("no choice question")


def plant_classify_key_as_json(ed: Path) -> str:
    for _name, _grade_id, cell in graded_cells("HIDDEN TESTS"):
        for _kind, text in edition.regions(cell.source):
            for value in edition._expected_values(text):
                if isinstance(value, dict):
                    rel = "exercises/data/answers.json"
                    (ed / rel).write_text(json.dumps(value, indent=2), encoding="utf-8")
                    return rel
    raise LookupError("no dict key")


def plant_many_choice_key(ed: Path) -> str:
    for _name, _grade_id, cell in graded_cells("HIDDEN TESTS"):
        for _kind, text in edition.regions(cell.source):
            for value in edition._expected_values(text):
                if isinstance(value, list):
                    rel = "exercises/review.py"
                    with open(ed / rel, "a", encoding="utf-8") as f:
                        f.write(f"\n_PICKS = {value!r}\n")
                    return rel
    raise LookupError("no list key")


def plant_solution_line(ed: Path) -> str:
    _name, _gid, cell = graded_cells("SOLUTION")[0]
    line = next(ln for kind, text in edition.regions(cell.source) if kind == "SOLUTION"
                for ln in text.splitlines() if len(ln.strip()) >= edition.MIN_LINE)
    rel = "exercises/scoring.py"
    with open(ed / rel, "a", encoding="utf-8") as f:
        f.write("\n# " + line.strip() + "\n")
    return rel


def plant_hidden_assert(ed: Path) -> str:
    for _name, _gid, cell in graded_cells("HIDDEN TESTS"):
        for _kind, text in edition.regions(cell.source):
            calls = edition._asserted_calls(text)
            if calls:
                rel = "notebooks/spaced_review.ipynb"
                nb = nbformat.read(ed / rel, as_version=4)
                nb.cells.append(nbformat.v4.new_code_cell(f"# try this\nassert   {calls[0]}"))
                nbformat.write(nb, ed / rel)
                return rel
    raise LookupError("no hidden assert")


def plant_mark_scheme(ed: Path) -> str:
    _name, _gid, cell = graded_cells("MARK SCHEME")[0]
    body = next(text for kind, text in edition.regions(cell.source) if kind == "MARK SCHEME")
    rel = "README.md"
    with open(ed / rel, "a", encoding="utf-8") as f:
        f.write("\n## Hints\n" + body)
    return rel


def plant_key_in_graded_bank(ed: Path) -> str:
    path = next(p for p in sorted((ed / "exercises" / "banks").glob("a*.yaml")))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    ex = next(e for e in data["exercises"] if e.get("graded") and e["kind"] == "choice")
    ex["options"][0]["correct"] = True
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path.relative_to(ed).as_posix()


def plant_source_folder(ed: Path) -> str:
    shutil.copytree(ROOT / "source", ed / "source")
    return "source/"


PLANTS = [plant_hidden_test_cell, plant_choice_key_in_a_lesson, plant_classify_key_as_json,
          plant_many_choice_key, plant_solution_line, plant_hidden_assert, plant_mark_scheme,
          plant_key_in_graded_bank, plant_source_folder]


@pytest.mark.parametrize("plant", PLANTS, ids=lambda f: f.__name__.removeprefix("plant_"))
def test_a_planted_key_is_caught(built, tmp_path, plant):
    """Does the scan find a key planted in a copy of the edition, and name the file it is in?"""
    ed = planted_copy(built, tmp_path)
    where = plant(ed)
    leaks = edition.scan(ed, ROOT / "source")
    assert any(leak.file.startswith(where.rstrip("/")) for leak in leaks), \
        f"planted in {where}, found only: {[str(x) for x in leaks][:5]}"


def test_a_build_that_would_leak_publishes_nothing(tmp_path, monkeypatch):
    """Does the build stop with the leak named when a key gets into the selected files?"""
    real_selected = edition.selected
    monkeypatch.setattr(edition, "selected", lambda paths: real_selected(paths) + ["source/a2-team-vs-tech/a2-team-vs-tech.ipynb"])
    with pytest.raises(SystemExit) as err:
        edition.build(tmp_path / "ed")
    assert "source/a2-team-vs-tech/a2-team-vs-tech.ipynb" in str(err.value)


# ------------------------------------------------------------------------------------ publishing
def test_the_edition_is_recorded_on_the_learner_branch_without_touching_the_work(built, tmp_path):
    """Does --commit put the edition on branch learner-edition, moving forward only, with HEAD untouched?"""
    repo = tmp_path / "repo"
    repo.mkdir()
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()  # noqa: E731
    git("init", "-q", "-b", "main")
    git("config", "user.email", "ci@example.invalid")
    git("config", "user.name", "CI")
    (repo / "secret.txt").write_text("instructor only\n")
    git("add", "secret.txt")
    git("commit", "-q", "-m", "instructor repo")
    head = git("rev-parse", "HEAD")
    first = edition.commit_edition(built, repo=repo)
    files = git("ls-tree", "-r", "--name-only", LEARNER_BRANCH).splitlines()
    assert "notebooks/index.ipynb" in files and "secret.txt" not in files
    assert not any(f.startswith("source/") for f in files)
    assert git("rev-parse", "HEAD") == head and git("status", "--porcelain") == ""
    assert edition.commit_edition(built, repo=repo) == first, "an unchanged edition made a new commit"
    changed = tmp_path / "changed"
    shutil.copytree(built, changed)
    (changed / "README.md").write_text("changed\n")
    second = edition.commit_edition(changed, repo=repo)
    assert git("rev-parse", f"{second}^") == first, "the branch must move forward (nbgitpuller pulls it)"


def test_binder_and_the_readme_badge_open_the_learner_edition():
    """Do the Binder links (badge, lesson navigation) point at the learner-edition branch?"""
    course = load_course()
    url = binder_url(course["repository"], "notebooks/index.ipynb")
    assert f"/{LEARNER_BRANCH}?" in url
    assert url in (ROOT / "README.md").read_text(encoding="utf-8")
    nav = nbformat.read(ROOT / "notebooks" / course["lesson_list"][0].file, as_version=4).cells[0].source
    assert f"/{LEARNER_BRANCH}?" in nav


def test_the_scans_shortcut_only_skips_texts_that_cannot_match(keys):
    """Before a regex search the scan looks for the pattern's literal part (its shortcut): is that part
    in every match, for every value pattern of the real keys matched against the instructor notebooks
    (which hold every key)?"""
    assert edition._required_literal(r"""["']broker\-prototype["']\s*:\s*["']expertise["']""") == "broker-prototype"
    assert edition._required_literal(r"""(?:expected|key)\s*[=:]\s*["']a["']""") == ""   # nothing long enough
    assert edition._required_literal(r"(?i)grade_answer") == ""                             # any case
    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "source").glob("*/*.ipynb"))]
    texts = sources + [edition._norm(t) for t in sources]
    matched = 0
    for k in keys:
        if not k.regex:
            continue
        literal = edition._required_literal(k.needle)
        for text in texts:
            for m in re.finditer(k.needle, text):
                assert literal in m.group(0), (k.needle, literal, m.group(0))
                matched += 1
    assert matched > 50
