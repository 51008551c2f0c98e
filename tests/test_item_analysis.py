"""Item analysis (course_tools.item_analysis): difficulty, discrimination and common wrong answers.

Two layers:

* the statistics on tiny hand-made frames, where every number can be worked out by hand;
* a class of 30 real submissions of a2-team-vs-tech, answered by known patterns, graded by real nbgrader
  (``generate_assignment``, widget answers recorded by the real graded widgets, parallel autograde, a
  hand-graded task), where the analysis must find the item we made hardest, the wrong option we made
  most popular, and rank a sharp item above a random one. The CLI and the instructor notebook run on it.
"""
from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

import item_analysis_helpers as cohort_h
from course_tools import item_analysis as ia
from course_tools.cells import KERNELSPEC
from nbgrader_helpers import ROOT, env, gradebook_scores, source_nb, widget_keys
from notebook_runner import error_outputs, execute

AID = cohort_h.AID
Q = cohort_h.Q
NOTEBOOK = ROOT / "instructor" / "item_analysis.ipynb"
# The graded class below takes minutes to build; pytest-timeout counts it against the first test.
pytestmark = pytest.mark.timeout(2400)


# The unit tests below use classes of 3-10 made-up learners to check the arithmetic; a real class
# that small gets no discrimination and no labels (see test_a_small_class_is_warned_and_labels_nothing).
def analyse_unit(*args, **kwargs):
    return ia.analyse(*args, min_class=0, **kwargs)


def test_a_small_class_is_warned_and_labels_nothing():
    """With 4 learners, is every label left empty, discrimination not computed, and the report warning?"""
    rows = []
    for i, student in enumerate("abcd"):
        rows += [{"student": student, "item": "easy", "score": 1.0, "max_score": 1.0},
                 {"student": student, "item": "split", "score": float(i >= 2), "max_score": 1.0},
                 {"student": student, "item": "q1-grade", "score": float(i == 3), "max_score": 1.0}]
    answers = pd.DataFrame([{"student": s, "question": "bank/q1", "answer": a, "kind": "choice"}
                            for s, a in zip("abcd", ["c", "c", "d", "b"])])
    table = ia.analyse(pd.DataFrame(rows), answers, keys={"bank/q1": "b"}, links={"q1-grade": "bank/q1"})
    assert table.attrs["small_class"]
    assert table["difficulty_label"].isna().all() and table["discrimination_label"].isna().all()
    assert table["upper_lower"].isna().all() and table["point_biserial"].isna().all()
    assert list(table["mean_fraction"]) == [1.0, 0.5, 0.25]   # difficulty is still shown
    assert table.set_index("item").loc["q1-grade", "answers"] == "c: 2; b: 1; d: 1"
    text = ia.report(table, "demo")
    assert "WARNING: only 4 learners (fewer than 20)" in text and "Answers given: bank/q1 [c: 2; b: 1; d: 1]" in text
    assert "Hard items" not in text and "Poor discriminators" not in text
    # the same data with the minimum lowered labels again (the instructor's explicit choice)
    assert ia.analyse(pd.DataFrame(rows), min_class=3)["difficulty_label"].notna().all()


def frame(rows: dict[str, list], max_scores: dict[str, float] | None = None) -> pd.DataFrame:
    """``{item: [score of s0, s1, ...]}`` → item_scores-shaped frame."""
    out = []
    for item, scores in rows.items():
        for s, score in enumerate(scores):
            out.append({"student": f"s{s}", "item": item, "score": score,
                        "max_score": (max_scores or {}).get(item, 1.0)})
    return pd.DataFrame(out)


def row(table: pd.DataFrame, item: str) -> pd.Series:
    return table.set_index("item").loc[item]


# ================================================================================== pure statistics

def test_mean_fraction_is_the_p_value_of_each_item():
    """Is the difficulty the mean share of the item's points (partial credit included)?"""
    table = analyse_unit(frame({"A": [1, 1, 0, 0], "B": [2, 1, 0, 1], "C": [1, 1, 1, 0]}, {"B": 2}))
    assert row(table, "A")["mean_fraction"] == 0.5
    assert row(table, "B")["mean_fraction"] == 0.5     # (1 + .5 + 0 + .5) / 4
    assert row(table, "C")["mean_fraction"] == 0.75
    assert list(table.columns[:9]) == ["item", "kind", "max_score", "mean_fraction", "difficulty_label",
                                       "upper_lower", "point_biserial", "most_common_wrong", "n"]
    assert set(table["n"]) == {4}


def test_difficulty_and_discrimination_labels_use_the_documented_thresholds():
    """Are items below 0.3 hard, above 0.9 easy, and D bands good/fair/marginal/poor/negative?"""
    assert [ia.difficulty_label(p) for p in (0.29, 0.3, 0.9, 0.91)] == ["hard", "moderate", "moderate", "easy"]
    assert ia.difficulty_label(float("nan")) is None
    assert [ia.discrimination_label(d) for d in (0.5, 0.35, 0.25, 0.1, -0.1)] == \
        ["good", "fair", "marginal", "poor", "negative"]


def test_zero_variance_item_gets_nan_discrimination_and_a_note():
    """When everyone scores the same on an item, is its discrimination NaN with a note saying why?"""
    table = analyse_unit(frame({"same": [1, 1, 1, 1, 1], "A": [1, 1, 0, 0, 0], "B": [1, 0, 1, 0, 0]}))
    same = row(table, "same")
    assert same["mean_fraction"] == 1.0 and same["difficulty_label"] == "easy"
    assert math.isnan(same["upper_lower"]) and math.isnan(same["point_biserial"])
    assert "no spread" in same["note"]
    assert "No discrimination value: same" in ia.report(table, "x")


def test_no_spread_in_totals_gives_nan():
    """If every learner has the same total, is discrimination undefined rather than 0?"""
    table = analyse_unit(frame({"A": [1, 0, 1, 0], "B": [0, 1, 0, 1]}))
    assert table["upper_lower"].isna().all()
    assert all("total scores have no spread" in n for n in table["note"])


def test_upper_lower_index_on_a_worked_example():
    """With 10 learners (groups of round(2.7) = 3), is D the top-3 mean minus the bottom-3 mean?"""
    total = pd.Series(range(10), index=[f"s{i}" for i in range(10)], dtype=float)
    item = pd.Series([0, 0, 1, 0, 1, 0, 1, 1, 1, 0], index=total.index, dtype=float)
    # top 3 by total: s7, s8, s9 -> 1, 1, 0; bottom 3: s0, s1, s2 -> 0, 0, 1
    assert ia.upper_lower_index(item, total) == pytest.approx(2 / 3 - 1 / 3)


def test_ties_at_the_group_boundary_share_the_places():
    """Do learners tied at the 27% cut share the group's last place, whatever the row order?"""
    # 4 learners: group size round(1.08) = 1; two are tied on top.
    total = pd.Series([3.0, 3.0, 1.0, 0.0], index=["a", "b", "c", "d"])
    item = pd.Series([1.0, 0.0, 0.0, 0.0], index=total.index)
    weights = ia.group_weights(total, upper=True)
    assert weights.to_dict() == {"a": 0.5, "b": 0.5, "c": 0.0, "d": 0.0}
    assert ia.upper_lower_index(item, total) == pytest.approx(0.5)   # (1 + 0) / 2 − 0
    order = ["c", "b", "d", "a"]
    assert ia.upper_lower_index(item[order], total[order]) == pytest.approx(0.5)
    # a three-way tie at the bottom of 10 learners (group of 3 with 2 places left for 3 tied learners)
    total10 = pd.Series([0, 1, 1, 1, 4, 5, 6, 7, 8, 9], index=list("abcdefghij"), dtype=float)
    low = ia.group_weights(total10, upper=False)
    assert low["a"] == 1 and low[["b", "c", "d"]].tolist() == pytest.approx([2 / 3] * 3)
    assert low.sum() == pytest.approx(3)


def test_point_biserial_is_the_item_rest_correlation():
    """Is point_biserial the correlation of the item with the total of the *other* items?"""
    scores = {"A": [1, 1, 1, 0, 0, 0], "B": [1, 1, 0, 1, 0, 0], "C": [2, 1, 2, 0, 1, 0]}
    table = analyse_unit(frame(scores, {"C": 2}))
    rest_a = np.array(scores["B"]) + np.array(scores["C"])
    expected = np.corrcoef(np.array(scores["A"], float), rest_a)[0, 1]
    assert row(table, "A")["point_biserial"] == pytest.approx(expected)
    # for a partial-credit item the item side is its fraction (a rescaling: same correlation)
    rest_c = np.array(scores["A"]) + np.array(scores["B"])
    assert row(table, "C")["point_biserial"] == pytest.approx(np.corrcoef(scores["C"], rest_c)[0, 1])


def test_negative_discriminator_is_flagged_in_the_report():
    """Is an item the weakest learners get right and the strongest miss reported as negative?"""
    strong = [1, 1, 1, 1, 0, 0, 0, 0]
    table = analyse_unit(frame({"A": strong, "B": strong, "C": strong, "odd": [0, 0, 0, 0, 1, 1, 1, 1]}))
    odd = row(table, "odd")
    assert odd["upper_lower"] < 0 and odd["point_biserial"] < 0
    assert odd["discrimination_label"] == "negative"
    text = ia.report(table, "x")
    assert "Poor discriminators (D < 0.2 or negative): odd (D -1.00" in text and "NEGATIVE" in text


def test_hard_easy_and_poor_items_are_reported():
    """Does the report list items under 0.3, over 0.9 and with D under 0.2?"""
    table = analyse_unit(frame({"hard": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                              "easy": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
                              "mid": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
                              "mid2": [1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
                              "flat": [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]}))
    text = ia.report(table, "demo")
    assert "Hard items (mean < 0.3): hard (0.10)" in text
    assert "Easy items (mean > 0.9): none" in text  # 0.9 is not above 0.9
    assert "Poor discriminators (D < 0.2 or negative): flat (D 0.33, r -0.25)" in text  # r < 0
    assert "mid" not in text.split("Poor discriminators")[1].split("\n")[0]


def test_items_not_graded_for_everyone_stay_out_of_the_total():
    """Is an item still waiting for hand-grading left out of the total and analysed on its own n?"""
    scores = frame({"A": [1, 1, 1, 0, 0, 0], "B": [1, 1, 0, 1, 0, 0],
                    "task": [4, 3, np.nan, np.nan, 1, 0], "waiting": [np.nan] * 6}, {"task": 4, "waiting": 4})
    table = analyse_unit(scores)
    assert table.attrs["total_items"] == ["A", "B"] and table.attrs["total_max"] == 2
    task, waiting = row(table, "task"), row(table, "waiting")
    assert task["n"] == 4 and not task["in_total"] and "graded for 4 of 6" in task["note"]
    assert task["mean_fraction"] == pytest.approx((1 + 0.75 + 0.25 + 0) / 4)
    assert waiting["n"] == 0 and math.isnan(waiting["mean_fraction"]) and waiting["note"] == "not graded yet"
    assert "Not analysed: waiting (not graded yet)" in ia.report(table, "x")


def test_items_follow_the_notebook_order():
    """Are rows in the order the grade cells appear in the notebook, not alphabetical?"""
    table = analyse_unit(frame({"b-cell": [1, 0, 1], "a-cell": [1, 1, 0]}), order=["b-cell", "a-cell"])
    assert list(table["item"]) == ["b-cell", "a-cell"]


# ================================================================================== widget answers

def answers_frame(rows):
    return pd.DataFrame([{"student": s, "question": q, "answer": a, "kind": k} for s, q, a, k in rows],
                        columns=["student", "question", "answer", "kind"])


def test_most_common_wrong_answer_for_each_kind():
    """Choice: the wrong option; many-choice: the wrong set; classify: the misplacement — with shares?"""
    rows = [(f"s{i}", "b/choice", a, "choice") for i, a in enumerate("bbcccda")]
    rows += [(f"s{i}", "b/many", a, "many-choice")
             for i, a in enumerate([["a", "c"], ["a", "c"], ["a"], ["a", "b", "c"]])]
    key_sort = {"x": "team", "y": "technical"}
    rows += [(f"s{i}", "b/sort", a, "classify") for i, a in enumerate(
        [dict(key_sort), {"x": "both", "y": "technical"}, {"x": "both", "y": "team"}, {"x": "team", "y": "team"}])]
    wrong = ia.wrong_answers(answers_frame(rows), {"b/choice": "b", "b/many": ["a", "b"], "b/sort": key_sort})
    wrong = wrong.set_index("question")
    assert wrong.loc["b/choice", "most_common_wrong"] == "c"
    assert wrong.loc["b/choice", "wrong_share"] == pytest.approx(3 / 5)
    assert wrong.loc["b/choice", "n_wrong"] == 5 and wrong.loc["b/choice", "n_answered"] == 7
    assert wrong.loc["b/many", "most_common_wrong"] == "a,c"       # ["a","b","c"] is wrong too
    assert wrong.loc["b/many", "wrong_share"] == pytest.approx(2 / 4)
    # x→both in 2 of the 3 wrong answers; y→team in 2 of 3 as well: a tie, both listed
    assert wrong.loc["b/sort", "most_common_wrong"] == "x→both / y→team"
    assert wrong.loc["b/sort", "wrong_share"] == pytest.approx(2 / 3)


def test_widget_rows_join_their_grade_cells_and_unlinked_questions_are_scored_from_keys():
    """Does a graded widget question show on its grade cell's row, and one with no grade cell get its own?"""
    scores = frame({"q1-grade": [1, 0, 0, 1, 0], "code": [1, 0, 1, 1, 0]})
    answers = answers_frame([(f"s{i}", "bank/q1", a, "choice") for i, a in enumerate("bcdbc")]
                            + [(f"s{i}", "bank/extra", a, "choice") for i, a in enumerate("xxyyx")]
                            + [(f"s{i}", "bank/keyless", "a", "choice") for i in range(5)])
    table = analyse_unit(scores, answers, keys={"bank/q1": "b", "bank/extra": "x"}, links={"q1-grade": "bank/q1"})
    q1 = row(table, "q1-grade")
    assert q1["kind"] == "widget" and q1["question"] == "bank/q1" and q1["most_common_wrong"] == "c"
    assert q1["note"] == ""  # the key agrees with nbgrader's scores
    extra = row(table, "bank/extra")
    assert extra["kind"] == "widget" and extra["mean_fraction"] == pytest.approx(3 / 5)
    assert not extra["in_total"] and extra["most_common_wrong"] == "y"
    keyless = row(table, "bank/keyless")
    assert keyless["n"] == 0 and "no answer key" in keyless["note"]


def test_a_key_that_disagrees_with_nbgrader_is_noted():
    """If the key we found does not reproduce nbgrader's scores, does the row say so?"""
    scores = frame({"q1-grade": [1, 0, 0, 1]})
    answers = answers_frame([(f"s{i}", "bank/q1", a, "choice") for i, a in enumerate("bcdb")])
    table = analyse_unit(scores, answers, keys={"bank/q1": "c"}, links={"q1-grade": "bank/q1"})
    assert "disagrees with nbgrader's score for 3 learner(s)" in row(table, "q1-grade")["note"]


def test_answer_score_is_the_courses_one_rule():
    """Does item analysis score widget answers with the same rule as the lessons and the grader?"""
    from exercises.banks import get_exercise
    from exercises.scoring import score_answer

    qid = "a2-team-vs-tech/q-team-signals"
    entry = get_exercise(qid)
    key = ["a", "c", "e"]
    for answer in (["a", "c", "e"], ["a", "c"], ["a", "b"], list("abcde"), ["b"]):
        assert ia.answer_score("many-choice", answer, key, qid) == score_answer("many-choice", answer, key, entry)
    assert ia.answer_score("choice", "b", "b") == 1 and ia.answer_score("choice", "a", "b") == 0
    assert ia.answer_score("many-choice", ["a", "c", "e", "b"], key, qid) == pytest.approx(1 - 1 / 2)


def test_keys_are_read_from_grade_answer_calls_in_every_form():
    """Are keys found from grade_answer calls (positional, keyword, module attribute, with why=)?"""
    def cell(call):
        return f'show_recorded("b/x")\n### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS'
    forms = {
        "g1": cell('grade_answer("b/q1", key="b")'),
        "g2": cell('grade_answer("b/q2", ["a", "c"], "because")'),
        "g3": cell('grading.grade_answer(exercise_id="b/q3", key={"x": "team"}, why="w")'),
        "g4": cell('grade_answer(\n    "b/q4",\n    key={"s1": {"a": "best", "b": "poor"}},\n)'),
    }
    assert ia.keys_from_sources(forms) == {"b/q1": "b", "b/q2": ["a", "c"], "b/q3": {"x": "team"},
                                           "b/q4": {"s1": {"a": "best", "b": "poor"}}}
    assert ia.widget_links({**forms, "other": "assert 1"}) == {f"g{i}": f"b/q{i}" for i in range(1, 5)}
    # a key outside the hidden region (what learners would see) is not a key
    assert ia.keys_from_sources({"v": 'grade_answer("b/q9", key="a")'}) == {}
    # a key that is not a literal is refused, not evaluated
    assert ia.keys_from_sources({"bad": cell('grade_answer("b/q8", key=open("/etc/passwd").read())')}) == {}


def test_keys_from_the_real_source_notebook_match_the_assignment():
    """On source/a2-team-vs-tech, do we find a key for all four widget questions, as the build wrote them?"""
    nb = source_nb(AID)
    sources = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade")}
    keys = ia.keys_from_sources(sources)
    assert keys == widget_keys(nb) and len(keys) == 4
    assert ia.keys_from_sources(ia.grade_cell_sources(Path("/nonexistent.db"), AID, ROOT)) == keys


def test_release_and_banks_hold_no_keys_the_tool_could_read():
    """Do release/ and the bank hold no hidden-test keys (the tool reads them only on the instructor side)?"""
    release = ROOT / "release" / AID / f"{AID}.ipynb"
    nb = nbformat.read(release, as_version=4)
    assert ia.keys_from_sources({c.get("id", str(i)): c.source for i, c in enumerate(nb.cells)}) == {}
    bank = yaml.safe_load((ROOT / "exercises" / "banks" / f"{AID}.yaml").read_text(encoding="utf-8"))
    for exercise in bank["exercises"]:
        for part in exercise.get("options", []) + exercise.get("items", []):
            assert not {"correct", "answer", "feedback"} & set(part), (exercise["id"], part)


def test_key_file_in_json_or_yaml(tmp_path):
    """Can the instructor pass keys as JSON or YAML, and do they override the hidden tests?"""
    (tmp_path / "k.json").write_text(json.dumps({"b/q1": "c"}))
    (tmp_path / "k.yaml").write_text("b/q1: [a, c]\n")
    assert ia.load_keys(tmp_path / "k.json") == {"b/q1": "c"}
    assert ia.load_keys(tmp_path / "k.yaml") == {"b/q1": ["a", "c"]}
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError):
        ia.load_keys(tmp_path / "bad.json")


def _responses(path: Path, records: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema_version": 1, "responses": records}), encoding="utf-8")


def test_widget_answers_prefer_autograded_and_skip_what_cannot_be_read(tmp_path):
    """Are autograded/ copies preferred, practice answers ignored and corrupt files reported, not fatal?"""
    rec = lambda answer, kind="choice", graded=True: {"kind": kind, "answer": answer, "graded": graded}  # noqa: E731
    _responses(tmp_path / "submitted" / "ana" / AID / "responses.json", {"b/q1": rec("a")})
    _responses(tmp_path / "autograded" / "ana" / AID / "responses.json",
               {"b/q1": rec("b"), "b/many": rec(["c", "a"], "many-choice"), "b/practice": rec("a", graded=False)})
    _responses(tmp_path / "submitted" / "ben" / AID / "responses.json", {"b/q1": rec("d"), "b/empty": rec("")})
    (tmp_path / "submitted" / "cy" / AID).mkdir(parents=True)
    (tmp_path / "submitted" / "cy" / AID / "responses.json").write_text("{not json")
    df = ia.widget_answers(tmp_path, AID)
    got = {(r.student, r.question): (r.answer, r.origin) for r in df.itertuples()}
    assert got == {("ana", "b/q1"): ("b", "autograded"), ("ana", "b/many"): (["a", "c"], "autograded"),
                   ("ben", "b/q1"): ("d", "submitted")}
    assert len(df.attrs["problems"]) == 1 and "cy" in df.attrs["problems"][0]
    assert len(ia.widget_answers(tmp_path, AID, graded_only=False)) == 4


def test_outputs_are_refused_where_learners_could_see_them(tmp_path):
    """Does the tool refuse to write its CSV or figure under release/, source/ or exercises/?"""
    for sub in ("release/a2/x.csv", "source/x.png", "exercises/banks/x.csv", ".exchange/x.csv"):
        with pytest.raises(ValueError):
            ia.check_output_path(tmp_path / sub, tmp_path)
    ia.check_output_path(tmp_path / "reports" / "x.csv", tmp_path)
    ia.check_output_path(tmp_path.parent / "elsewhere.csv", tmp_path)


def test_missing_gradebook_is_an_error_and_nothing_is_created(tmp_path, capsys):
    """Without a gradebook, does the CLI fail clearly (exit 1) without creating an empty one?"""
    assert ia.main([AID, "--course-dir", str(tmp_path)]) == 1
    assert "no gradebook" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ================================================================================== a real graded class

# The graded class (30 real nbgrader autogrades, serial and parallel) is one session fixture shared with
# tests/test_parallel_grade.py (conftest.py, ``graded_cohort``). Building it is the slow part: on a busy
# 2-core machine it can take longer than the suite's default 600 s timeout, which counts it against the
# first test (hence the module's timeout).
@pytest.fixture(scope="module")
def graded(graded_cohort, tmp_path_factory):
    """The shared class graded by the parallel grader, copied, then hand-graded and analysed."""
    import shutil

    course = shutil.copytree(graded_cohort["parallel_dir"], tmp_path_factory.mktemp("item-analysis") / "course")
    failed = {s: o.error for s, o in graded_cohort["parallel_outcomes"].items() if o.status != "graded"}
    if failed:
        raise AssertionError(f"autograde failed for {failed}")
    cohort_h.hand_grade(course)
    built = {"course": course}
    db = course / "gradebook.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    built["result"] = ia.run_analysis(course, AID)
    built["db_unchanged"] = hashlib.sha256(db.read_bytes()).hexdigest() == before
    built["table"] = built["result"].table.set_index("item")
    return built


@pytest.mark.nbgrader
@pytest.mark.slow
def test_scores_read_from_the_gradebook_are_nbgraders(graded):
    """Does item_scores give, for every learner and cell, nbgrader's own score (and the pattern we built)?"""
    scores = graded["result"].scores
    api = gradebook_scores(graded["course"], AID)
    assert sorted(scores["student"].unique()) == sorted(api) and len(api) == cohort_h.N
    for r in scores.itertuples():
        if r.item == "migration-standoff-task":
            assert math.isnan(r.score) and not r.graded and api[r.student]["cells"][r.item] == 0
            continue
        assert r.score == pytest.approx(api[r.student]["cells"][r.item]), (r.student, r.item)
        i = int(r.student[1:])
        assert r.score / r.max_score == pytest.approx(cohort_h.expected_fraction(r.item, i)), (r.student, r.item)
    kinds = scores.drop_duplicates("item").set_index("item")["kind"]
    assert kinds["duties-tests"] == "auto" and kinds["cover-task"] == "manual"


@pytest.mark.nbgrader
@pytest.mark.slow
def test_the_analysis_leaves_the_gradebook_untouched(graded):
    """Is the gradebook byte-for-byte the same after the analysis read it?"""
    assert graded["db_unchanged"]


@pytest.mark.nbgrader
@pytest.mark.slow
def test_mean_fractions_are_the_ones_built_into_the_class(graded):
    """Does every item's difficulty equal the share of points the patterns give?"""
    table = graded["table"]
    for item, mean in cohort_h.expected_means().items():
        assert table.loc[item, "mean_fraction"] == pytest.approx(mean), item
        assert table.loc[item, "n"] == cohort_h.N
    assert len(table) == 10  # 9 scored items + the task nobody has marked yet


@pytest.mark.nbgrader
@pytest.mark.slow
def test_the_item_only_the_top_tenth_gets_right_comes_out_hardest(graded):
    """Is signals-tests-team (right for 10% only) the hardest item, labelled and reported as hard?"""
    table = graded["table"]
    assert table["mean_fraction"].idxmin() == "signals-tests-team"
    assert table.loc["signals-tests-team", "mean_fraction"] == pytest.approx(0.1)
    assert table.loc["signals-tests-team", "difficulty_label"] == "hard"
    assert list(table.index[table["difficulty_label"] == "hard"]) == ["signals-tests-team"]
    assert "Hard items (mean < 0.3): signals-tests-team (0.10)" in ia.report(graded["result"])


@pytest.mark.nbgrader
@pytest.mark.slow
def test_the_most_common_wrong_option_is_found_for_each_widget_question(graded):
    """Is "d" (60% of the wrong answers to q-whose-call) found, and the planted mistakes of the others?"""
    table = graded["table"]
    whose = table.loc["q-whose-call-grade"]
    assert whose["kind"] == "widget" and whose["question"] == Q + "q-whose-call"
    assert whose["most_common_wrong"] == "d" and whose["wrong_share"] == pytest.approx(0.6)
    assert table.loc["q-team-signals-grade", "most_common_wrong"] == "a,b,c,d,e"
    assert table.loc["q-team-signals-grade", "wrong_share"] == pytest.approx(10 / 15)
    assert table.loc["q-sort-decisions-grade", "most_common_wrong"] == "roadmap-with-sofia→both"
    assert table.loc["q-tlm-risk-grade", "most_common_wrong"] == "a"
    assert not table.loc[table["kind"] == "widget", "note"].str.contains("disagrees").any()
    assert set(graded["result"].key_sources.values()) == {"hidden tests"}


@pytest.mark.nbgrader
@pytest.mark.slow
def test_a_sharp_item_discriminates_better_than_a_random_one(graded):
    """Does the item only the strongest get right beat the coin-flip item on both D and r?"""
    table = graded["table"]
    sharp, random_item = table.loc["signals-tests-team"], table.loc["q-whose-call-grade"]
    assert sharp["upper_lower"] > random_item["upper_lower"] + 0.15
    assert sharp["point_biserial"] > random_item["point_biserial"] + 0.3
    assert random_item["discrimination_label"] in ("poor", "negative")
    assert abs(random_item["point_biserial"]) < 0.2
    # graded by ability: the top group has it all; the bottom group only partial credit (2/3 or 1/6)
    assert table.loc["q-team-signals-grade", "upper_lower"] > 0.4
    assert "q-whose-call-grade" in ia.report(graded["result"]).split("Poor discriminators")[1].split("\n")[0]


@pytest.mark.nbgrader
@pytest.mark.slow
def test_zero_variance_and_ungraded_items_in_the_real_class(graded):
    """Is the item everyone passes NaN with a note, and the unmarked task 'not graded yet' outside the total?"""
    table = graded["table"]
    shape = table.loc["signals-tests-shape"]
    assert shape["mean_fraction"] == 1.0 and math.isnan(shape["upper_lower"]) and "no spread" in shape["note"]
    waiting = table.loc["migration-standoff-task"]
    assert waiting["n"] == 0 and waiting["note"] == "not graded yet" and not waiting["in_total"]
    assert table.loc["cover-task", "kind"] == "manual" and table.loc["cover-task", "in_total"]
    assert graded["table"].attrs["total_max"] == 19


@pytest.mark.nbgrader
@pytest.mark.slow
def test_widget_answers_come_from_the_autograded_responses(graded):
    """Are all 30 × 4 graded widget answers read, from autograded/ (the copies that were graded)?"""
    answers = graded["result"].answers
    assert len(answers) == cohort_h.N * 4 and set(answers["origin"]) == {"autograded"}
    first = answers[(answers["student"] == "s01") & (answers["question"] == Q + "q-team-signals")]
    assert first["answer"].iloc[0] == cohort_h.team_signals(1)


@pytest.mark.nbgrader
@pytest.mark.slow
def test_cli_writes_the_csv_and_figure_and_prints_the_flags(graded, tmp_path):
    """Does `python -m course_tools.item_analysis` write the CSV and PNG and flag hard, easy and poor items?"""
    course = graded["course"]
    out, png = tmp_path / "items.csv", tmp_path / "items.png"
    proc = subprocess.run([sys.executable, "-m", "course_tools.item_analysis", AID, "--course-dir", str(course),
                           "--out", str(out), "--plot", str(png)], capture_output=True, text=True, env=env(),
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Hard items (mean < 0.3): signals-tests-team (0.10)" in text
    assert "Easy items (mean > 0.9): signals-tests-shape (1.00), q-tlm-risk-grade (0.93)" in text
    assert "Poor discriminators (D < 0.2 or negative):" in text and "q-whose-call-grade" in text
    csv = pd.read_csv(out)
    assert list(csv.columns[:9]) == ["item", "kind", "max_score", "mean_fraction", "difficulty_label",
                                     "upper_lower", "point_biserial", "most_common_wrong", "n"]
    assert csv.set_index("item").loc["q-whose-call-grade", "most_common_wrong"] == "d"
    assert png.stat().st_size > 20_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # default paths land in the course folder; an output under release/ is refused
    assert subprocess.run([sys.executable, "-m", "course_tools.item_analysis", AID, "--no-plot"], cwd=course,
                          env=env(), capture_output=True, timeout=120).returncode == 0
    assert (course / f"item_analysis_{AID}.csv").is_file()
    refused = subprocess.run([sys.executable, "-m", "course_tools.item_analysis", AID, "--course-dir",
                              str(course), "--out", str(course / "release" / "x.csv")],
                             env=env(), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "refusing" in refused.stderr
    assert not (course / "release" / "x.csv").exists()


@pytest.mark.nbgrader
@pytest.mark.slow
def test_cli_keys_file_overrides_the_hidden_tests(graded, tmp_path):
    """With a key file naming another key, is it used (and the disagreement with nbgrader noted)?"""
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({Q + "q-whose-call": "d"}))
    result = ia.run_analysis(graded["course"], AID, keys=keys)
    whose = result.table.set_index("item").loc["q-whose-call-grade"]
    assert result.key_sources[Q + "q-whose-call"] == "key file"
    assert whose["most_common_wrong"] == "b"
    assert "disagrees with nbgrader's score for 24 learner(s)" in whose["note"]  # 15 right + 9 "d"


def test_instructor_notebook_is_committed_clean():
    """Is the instructor notebook stored without outputs, with cell ids and the python3 kernelspec?"""
    raw = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert raw["nbformat"] == 4 and raw["nbformat_minor"] == 5
    assert raw["metadata"]["kernelspec"] == KERNELSPEC
    for cell in raw["cells"]:
        assert cell.get("id")
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    first_code = next(c for c in raw["cells"] if c["cell_type"] == "code")
    assert "ASSIGNMENT = " in "".join(first_code["source"])


@pytest.mark.nbgrader
@pytest.mark.slow
def test_instructor_notebook_runs_on_the_graded_class(graded, tmp_path):
    """Does the notebook run top to bottom on the graded course with no errors, showing table and figure?"""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = first.source.replace('COURSE_DIR = ".."', f"COURSE_DIR = {str(graded['course'])!r}")
    assert str(graded["course"]) in first.source
    path = tmp_path / "item_analysis.ipynb"
    nbformat.write(nb, path)
    done = execute(path, cwd=tmp_path, timeout=180)
    assert error_outputs(done) == []
    text = json.dumps([c.get("outputs", []) for c in done.cells])
    assert "signals-tests-team" in text and "image/png" in text
    assert "Hard items (mean < 0.3): signals-tests-team" in text


@pytest.mark.nbgrader
@pytest.mark.slow
def test_scoring_grading_and_item_analysis_agree_on_every_answer(graded):
    """For every learner and widget question, do the hand-worked rule, exercises.scoring, nbgrader's
    grade (via the course's grader) and item analysis give the same fraction?"""
    from exercises.banks import get_exercise
    from exercises.scoring import score_answer

    scores = graded["result"].scores.set_index(["student", "item"])
    answers = graded["result"].answers.set_index(["student", "question"])
    keys = ia.keys_from_sources(ia.grade_cell_sources(graded["course"] / "gradebook.db", AID))
    rows = 0
    for i in range(cohort_h.N):
        s = cohort_h.student(i)
        for cell in ("q-whose-call-grade", "q-team-signals-grade", "q-sort-decisions-grade", "q-tlm-risk-grade"):
            qid = Q + cell.removesuffix("-grade")
            kind = answers.loc[(s, qid), "kind"]
            answer = answers.loc[(s, qid), "answer"]
            hand = cohort_h.expected_fraction(cell, i)
            rule = score_answer(kind, answer, keys[qid], get_exercise(qid))
            nbgrader_fraction = scores.loc[(s, cell), "score"] / scores.loc[(s, cell), "max_score"]
            analysis = ia.answer_score(kind, answer, keys[qid], qid)
            assert rule == pytest.approx(hand) == nbgrader_fraction == pytest.approx(analysis), (s, cell)
            rows += 1
    assert rows == 4 * cohort_h.N
