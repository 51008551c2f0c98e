"""The bank loader: schema + extra checks, clear errors naming file and entry, id lookup."""
from __future__ import annotations

import copy
import os
import time

import pytest

from exercises import banks
from exercises.banks import BankError, UnknownExercise
from kit_helpers import REPO, write_bank

GOOD_CHOICE = {"id": "check-1", "kind": "choice", "prompt": "Which?", "options": [
    {"key": "a", "text": "A", "correct": True, "feedback": "why a"},
    {"key": "b", "text": "B", "correct": False, "feedback": "why not b"}]}
GOOD_CLASSIFY = {"id": "sort", "kind": "classify", "prompt": "Sort", "categories": [
    {"key": "team", "label": "Team"}, {"key": "technical", "label": "Technical"}], "items": [
    {"key": "x", "text": "X", "answer": "team", "feedback": "f"},
    {"key": "y", "text": "Y", "answer": "technical", "feedback": "f"}]}
GOOD_SCENARIO = {"id": "scen", "kind": "scenario", "title": "S", "start": "s1", "situations": {
    "s1": {"text": "t", "actions": [
        {"key": "a", "text": "A", "rating": "best", "why": "w", "consequence": "c", "next": "s2"},
        {"key": "b", "text": "B", "rating": "poor", "why": "w", "consequence": "c"}]},
    "s2": {"text": "t2", "actions": [
        {"key": "a", "text": "A", "rating": "best", "why": "w", "consequence": "c"},
        {"key": "b", "text": "B", "rating": "acceptable", "why": "w", "consequence": "c"}]}}}
GOOD_SELF = {"id": "self", "kind": "self-assessment", "prompt": "Rate", "qualities": [
    {"key": "a", "label": "A"}, {"key": "b", "label": "B"}]}
GOOD_REFLECT = {"id": "reflect", "kind": "reflection", "prompt": "Think"}


def good_exercises():
    return copy.deepcopy([GOOD_CHOICE, GOOD_CLASSIFY, GOOD_SCENARIO, GOOD_SELF, GOOD_REFLECT])


def test_good_bank_loads_with_full_ids(workdir, bank_dir):
    """Does a good bank load, with ids '<bank>/<id>' and bank metadata on each entry?"""
    write_bank(bank_dir, "kit-good", good_exercises())
    found = banks.load_all()
    assert "kit-good/check-1" in found and "demo/pick-one" in found
    entry = banks.get_exercise("kit-good/scen")
    assert entry["full_id"] == "kit-good/scen" and entry["bank"] == "kit-good"
    entry["title"] = "changed"  # a copy: the cache is not changed
    assert banks.get_exercise("kit-good/scen")["title"] == "S"
    assert "kit-good" in banks.load_banks()


def _error(bank_dir, exercises, name="kit-bad", **top) -> BankError:
    path = write_bank(bank_dir, name, exercises, **top)
    with pytest.raises(BankError) as info:
        banks.load_bank_file(path)
    return info.value


def test_missing_feedback_names_file_entry_and_problem(workdir, bank_dir):
    """Does a missing option feedback raise 'file, exercise id: options[1]: ... required property'?"""
    ex = good_exercises()
    ex[0]["id"] = "check-2"
    del ex[0]["options"][1]["feedback"]
    err = _error(bank_dir, ex)
    msg = str(err)
    assert "kit-bad.yaml, exercise 'check-2': options[1]: 'feedback' is a required property" in msg
    assert err.entry == "check-2" and err.file.endswith("kit-bad.yaml")


@pytest.mark.parametrize("mutate, entry, expected", [
    (lambda ex: ex[0]["options"][1].update(key="a"), "check-1", "key 'a' is used twice"),
    (lambda ex: [o.update(correct=False) for o in ex[0]["options"]], "check-1", "at least one option"),
    (lambda ex: ex[1]["items"][0].update(answer="nobody"), "sort", "'nobody' is not a category key"),
    (lambda ex: ex[1]["items"][1].update(key="x"), "sort", "items: key 'x' is used twice"),
    (lambda ex: ex[1]["categories"][1].update(key="team"), "sort", "categories: key 'team' is used twice"),
    (lambda ex: ex[2]["situations"]["s1"]["actions"][0].update(next="s9"), "scen",
     "situations.s1.actions[0].next: 's9' is not a situation"),
    (lambda ex: ex[2].update(start="nowhere"), "scen", "start: 'nowhere' is not a situation"),
    (lambda ex: ex[2]["situations"]["s2"]["actions"][1].update(key="a"), "scen",
     "situations.s2.actions: key 'a' is used twice"),
    (lambda ex: ex[2]["situations"]["s1"]["actions"][0].update(rating="great"), "scen", "'great' is not one of"),
    (lambda ex: ex[3]["qualities"][1].update(key="a"), "self", "qualities: key 'a' is used twice"),
    (lambda ex: ex[3].update(scale={"min": 5, "max": 1}), "self", "min (5) must be below max (1)"),
    (lambda ex: ex[4].update(colour="red"), "reflect", "'colour' was unexpected"),
    (lambda ex: ex[4].update(kind="essay"), "reflect", "'essay' is not one of"),
    (lambda ex: ex[0].update(graded=True), "check-1", "graded exercise must not carry"),
    (lambda ex: ex.append(copy.deepcopy(ex[4])), "reflect", "id is used twice"),
])
def test_each_kind_of_bad_bank(workdir, bank_dir, mutate, entry, expected):
    """Does every kind of malformed bank raise a BankError naming the file, the entry and the problem?"""
    ex = good_exercises()
    mutate(ex)
    err = _error(bank_dir, ex)
    assert err.entry == entry, str(err)
    assert expected in str(err)
    assert "kit-bad.yaml" in str(err)


def test_bank_level_problems(workdir, bank_dir):
    """Are bank-level problems (name ≠ file, missing title, bad YAML, not a mapping) reported with the file?"""
    assert "must equal the file name 'kit-bad'" in str(_error(bank_dir, good_exercises(), bank="other"))
    path = bank_dir / "kit-notitle.yaml"
    path.write_text("bank: kit-notitle\nexercises: []\n", encoding="utf-8")
    with pytest.raises(BankError, match="kit-notitle.yaml: .*'title' is a required property"):
        banks.load_bank_file(path)
    path = bank_dir / "kit-yaml.yaml"
    path.write_text("bank: [unclosed\n", encoding="utf-8")
    with pytest.raises(BankError, match="kit-yaml.yaml: not valid YAML"):
        banks.load_bank_file(path)
    path = bank_dir / "kit-list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(BankError, match="must hold a mapping"):
        banks.load_bank_file(path)


def test_graded_bank_without_key_is_valid(workdir, bank_dir):
    """Is a graded exercise with no correct/feedback valid (and no 'at least one correct' rule)?"""
    ex = {"id": "g", "kind": "choice", "graded": True, "prompt": "P",
          "options": [{"key": "a", "text": "A"}, {"key": "b", "text": "B"}]}
    write_bank(bank_dir, "kit-graded", [ex])
    assert banks.get_exercise("kit-graded/g")["graded"] is True


def test_unknown_ids_give_helpful_errors(workdir, bank_dir):
    """Do unknown ids say what is wrong, suggesting close matches?"""
    with pytest.raises(UnknownExercise, match="look like 'bank/exercise-id'"):
        banks.get_exercise("no-slash")
    with pytest.raises(UnknownExercise, match="No bank named 'nope'"):
        banks.get_exercise("nope/x")
    with pytest.raises(UnknownExercise, match="Did you mean 'demo/pick-one'"):
        banks.get_exercise("demo/pick-on")


def test_duplicate_bank_in_two_folders(workdir, bank_dir, tmp_path):
    """Is the same bank name in two folders an error (ids must be unique course-wide)?"""
    write_bank(bank_dir, "kit-dup", good_exercises())
    other = tmp_path / "more"
    other.mkdir()
    write_bank(other, "kit-dup", good_exercises())
    banks.add_bank_folder(other)
    try:
        assert other.resolve() in banks.bank_folders()
        with pytest.raises(BankError, match="also defined in"):
            banks.load_all()
        with pytest.raises(BankError, match="also defined in"):
            banks.get_exercise("kit-dup/check-1")
    finally:
        banks.remove_bank_folder(other)
    assert other.resolve() not in banks.bank_folders()


def test_cache_reloads_changed_file(workdir, bank_dir):
    """Is a bank re-read when its file changes (authors editing while a kernel runs)?"""
    path = write_bank(bank_dir, "kit-cache", good_exercises())
    assert banks.get_exercise("kit-cache/reflect")["prompt"] == "Think"
    assert banks.load_bank_file(path) is banks.load_bank_file(path)  # cached
    ex = good_exercises()
    ex[4]["prompt"] = "Think again, longer"
    write_bank(bank_dir, "kit-cache", ex)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert banks.get_exercise("kit-cache/reflect")["prompt"] == "Think again, longer"
    banks.clear_cache()
    assert banks.get_exercise("kit-cache/reflect")["prompt"] == "Think again, longer"


def test_every_real_bank_validates(monkeypatch):
    """Does every bank in exercises/banks/ validate (full schema check, no cache, and extra checks)?"""
    monkeypatch.setenv("TECHLEAD_NO_SCHEMA_CACHE", "1")
    banks.clear_cache()
    files = sorted((REPO / "exercises" / "banks").glob("*.yaml"))
    assert files
    for f in files:
        banks.load_bank_file(f)


def test_schema_pass_cache(workdir, bank_dir, monkeypatch):
    """Is a bank that passed the schema remembered by content hash, so jsonschema can be skipped?"""
    path = write_bank(bank_dir, "kit-cached", good_exercises())
    banks.load_bank_file(path)
    cache = workdir / ".cache" / "techlead-course" / "schema-passes.json"
    assert cache.exists()
    banks.clear_cache()

    def no_schema(_data):
        raise AssertionError("the schema step should have been skipped")

    monkeypatch.setattr(banks, "_schema_problems", no_schema)
    banks.load_bank_file(path)  # from the cache: no schema step
    ex = good_exercises()
    ex[0]["options"][0]["correct"] = False  # changed text -> new key -> full validation
    ex[0]["options"][1]["correct"] = False
    write_bank(bank_dir, "kit-cached", ex)
    banks.clear_cache()
    with pytest.raises(AssertionError, match="skipped"):
        banks.load_bank_file(path)
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(workdir / ".cache"))
    with pytest.raises(BankError, match="at least one option"):  # extra checks always run
        banks.load_bank_file(path)
    cache.write_text("not json", encoding="utf-8")  # a broken cache is ignored, then rewritten
    write_bank(bank_dir, "kit-cached", good_exercises())
    banks.clear_cache()
    banks.load_bank_file(path)
    assert cache.read_text(encoding="utf-8").startswith("[")
    monkeypatch.setenv("TECHLEAD_NO_SCHEMA_CACHE", "1")
    assert not banks._cache_has(banks._cache_key(path.read_text(encoding="utf-8")))


def test_ids_unique_course_wide():
    """Are exercise ids unique over all real banks (and bank names unique)?"""
    seen = {}
    for f in sorted((REPO / "exercises" / "banks").glob("*.yaml")):
        bank = banks.load_bank_file(f)
        for ex in bank["exercises"].values():
            assert ex["full_id"] not in seen, f"{ex['full_id']} in {f.name} and {seen[ex['full_id']]}"
            seen[ex["full_id"]] = f.name
    assert len(seen) == len(banks.load_all()) or os.environ.get("TECHLEAD_BANKS")



def test_every_question_in_the_banks_is_asked_somewhere():
    """Is every exercise in exercises/banks/ shown by a lesson, an assignment's source notebook or the
    demo notebook? (A question nobody is shown is never answered, reviewed or checked by a learner.)"""
    import json
    import re

    notebooks = [*(REPO / "notebooks").glob("*.ipynb"), *(REPO / "source").glob("*/*.ipynb"),
                 *(REPO / "exercises" / "examples").glob("*.ipynb")]
    named = set()
    for path in notebooks:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                named |= set(re.findall(r"[\"']([a-z0-9-]+/[a-z0-9-]+)[\"']", "".join(cell["source"])))
    unasked = sorted(full_id for f in sorted((REPO / "exercises" / "banks").glob("*.yaml"))
                     for full_id in (ex["full_id"] for ex in banks.load_bank_file(f)["exercises"].values())
                     if full_id not in named)
    assert unasked == [], "shown by no notebook: " + ", ".join(unasked)

def test_course_map_loads():
    """Does the course map load (lessons with files)?"""
    course = banks.load_course()
    assert course["lessons"] and all(lesson["file"].endswith(".ipynb") for lesson in course["lessons"])


def test_display_path_outside_repo(tmp_path):
    """Are paths outside the repo and cwd shown in full?"""
    assert banks.display_path(REPO / "exercises" / "banks" / "demo.yaml") == "exercises/banks/demo.yaml"
    assert banks.display_path("/") == "/"
    assert time.time() > 0
