"""release/ is what nbgrader makes of source/, and nothing secret or stray gets into it."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from nbgrader_helpers import (
    ASSIGNMENTS, ROOT, data_files, env, meta, read_nb, release_nb, secret_lines, source_nb, widget_keys,
)

pytestmark = pytest.mark.nbgrader

STRAY = ["responses.json", "responses.json.lock", "responses.corrupt-20250101-000000.json"]


def comparable(nb):
    """What must match between two generations: each cell's type, id, source and nbgrader data."""
    return [(c.cell_type, c.get("id"), c.source, meta(c)) for c in nb.cells]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """Run scripts/generate_release.py on a temporary copy of the course in which an instructor
    has left their own widget answers (and clutter) in every source/<id>/."""
    course = tmp_path_factory.mktemp("regen") / "course"
    course.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copytree(ROOT / "release", course / "release")
    for aid in ASSIGNMENTS:
        folder = course / "source" / aid
        for name in STRAY:
            (folder / name).write_text('{"schema_version": 1, "responses": {}}')
        (folder / ".ipynb_checkpoints").mkdir(exist_ok=True)  # an instructor's Lab may have made it
        (folder / ".ipynb_checkpoints" / f"{aid}-checkpoint.ipynb").write_text("{}")
        # a stale file in release/ that no longer exists in source/ must go
        (course / "release" / aid / "old-handout.txt").write_text("retired")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_release.py"),
                           "--root", str(course)], capture_output=True, text=True, env=env(),
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return course


def test_release_matches_a_fresh_generation(regenerated):
    """Is the committed release/ exactly what generating from source/ gives today?"""
    for aid in ASSIGNMENTS:
        fresh = regenerated / "release" / aid / f"{aid}.ipynb"
        committed = ROOT / "release" / aid / f"{aid}.ipynb"
        assert comparable(read_nb(fresh)) == comparable(read_nb(committed)), \
            f"release/{aid} is out of date: run `make assignments`"
        # deterministic to the byte, so regenerating is a no-op in git
        assert fresh.read_bytes() == committed.read_bytes(), aid


def test_stray_responses_never_reach_release(regenerated):
    """Does an instructor's responses.json (or lock, corrupt copy, checkpoint) in source/ stay out of release/?"""
    for aid in ASSIGNMENTS:
        names = sorted(p.name for p in (regenerated / "release" / aid).rglob("*"))
        assert names == sorted([f"{aid}.ipynb", *(p.name for p in data_files(aid))]), names
    for path in (ROOT / "release").rglob("*"):
        assert not path.name.startswith("responses"), path


def test_generation_leaves_no_junk_in_the_course(regenerated):
    """Does regenerating leave no gradebook.db, exchange or log in the course folder?"""
    top = sorted(p.name for p in regenerated.iterdir())
    assert top == ["nbgrader_config.py", "release", "source"], top


def test_every_assignment_is_released():
    """Has every source assignment a committed release, and no release lost its source?"""
    assert len(ASSIGNMENTS) >= 4
    released = sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_release_has_no_solutions_hidden_tests_or_mark_schemes(aid):
    """Is the student version free of solutions, hidden tests, mark schemes and answer keys?"""
    text = (ROOT / "release" / aid / f"{aid}.ipynb").read_text(encoding="utf-8")
    for marker in ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                   "BEGIN MARK SCHEME", "END MARK SCHEME", "expected = "]:
        assert marker not in text, marker
    nb = release_nb(aid)
    released_source = "\n".join(c.source for c in nb.cells)
    secrets = secret_lines(source_nb(aid))
    assert len(secrets) >= 10
    for line in secrets:
        assert line not in released_source, line
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_graded_bank_carries_no_key(aid):
    """Does the assignment's bank hold graded questions only, with no key or feedback in it?"""
    bank = yaml.safe_load((ROOT / "exercises" / "banks" / f"{aid}.yaml").read_text(encoding="utf-8"))
    assert bank["bank"] == aid
    for ex in bank["exercises"]:
        assert ex.get("graded") is True, ex["id"]
        for opt in ex.get("options", []):
            assert set(opt) <= {"key", "text"}, (ex["id"], opt)
        for item in ex.get("items", []):
            assert set(item) <= {"key", "text"}, (ex["id"], item)
    shown = set(widget_keys(source_nb(aid)))
    assert shown == {f"{aid}/{ex['id']}" for ex in bank["exercises"]}
    # the keys in the hidden tests name real options / items / categories of the bank
    for ex in bank["exercises"]:
        expected = widget_keys(source_nb(aid))[f"{aid}/{ex['id']}"]
        if ex["kind"] == "choice":
            assert expected in {o["key"] for o in ex["options"]}
        elif ex["kind"] == "many-choice":
            assert set(expected) <= {o["key"] for o in ex["options"]} and expected == sorted(expected)
        elif ex["kind"] == "classify":
            assert set(expected) == {i["key"] for i in ex["items"]}
            assert set(expected.values()) <= {c["key"] for c in ex["categories"]}


def test_bank_schema_accepts_the_assignment_banks():
    """Do the assignment banks validate against the course's bank schema?"""
    import jsonschema

    schema = json.loads((ROOT / "exercises" / "schemas" / "bank.schema.json").read_text())
    for aid in ASSIGNMENTS:
        bank = yaml.safe_load((ROOT / "exercises" / "banks" / f"{aid}.yaml").read_text(encoding="utf-8"))
        jsonschema.validate(bank, schema)


def test_a_bare_generate_after_trying_the_widgets_ships_none_of_the_instructors_answers(tmp_path):
    """After an instructor answers the widgets inside source/<id>/ (in JupyterLab), does a bare
    `nbgrader generate_assignment` (what the formgrader's Generate button runs) release no answer?"""
    from nbgrader_helpers import make_course, nbgrader, record_answers

    aid = "a2-team-vs-tech"
    course = make_course(tmp_path / "course", [aid])
    record_answers({course / "source" / aid: widget_keys(source_nb(aid))})
    assert not list((course / "source" / aid).glob("responses*")), "answers must not land in source/"
    kept = course / ".instructor-answers" / aid / "responses.json"
    assert set(json.loads(kept.read_text())["responses"]) == set(widget_keys(source_nb(aid)))
    nbgrader(course, "generate_assignment", aid, "--force", exchange=tmp_path / "exchange")
    assert sorted(p.name for p in (course / "release" / aid).iterdir()) == [f"{aid}.ipynb"]
