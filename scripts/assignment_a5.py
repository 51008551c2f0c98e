"""Assignment 5 · Data-driven leadership (used by scripts/build_assignments.py).

The learner works with the real course dataset, ``exercises/data/team_metrics.csv`` (four Parcelly
teams over 26 weeks; see ``exercises/data/team_metrics.md``). The build copies it into
``source/a5-data-driven/`` so it travels with the notebook: nbgrader hands it out in release/ and
autograde restores the instructor's copy before grading, so a learner cannot change the data the
hidden tests read.

Every hidden test of a pandas answer re-reads ``team_metrics.csv`` and recomputes what it expects
(the tests in ``tests/test_assignment_a5.py`` run them against an altered copy of the data to prove
it); functions are also tried on reshuffled or made-up frames, so hard-coding an answer fails.
The judgement questions (which leader drives each team's response, the widget questions) have fixed
keys, consistent with lesson 9's ``strategies/metric-stories``.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "exercises" / "data" / "team_metrics.csv"
AID = "a5-data-driven"


def _plain_code_cell(cell_id: str, source: str):
    """An ordinary code cell (no nbgrader metadata): the learner may change it freely."""
    cell = nbformat.v4.new_code_cell(source.strip("\n"))
    cell["id"] = cell_id
    return cell


def a5_data_driven(Assignment):
    a = Assignment(
        AID, 5, "Data-driven leadership: reading four teams' numbers", 40, "4 and 9",
        """
Ken Adeyemi, Parcelly's VP of Engineering, has asked for half a year of weekly numbers from four
teams: **Atlas** (route planning, Priya's team), **Beacon** (notifications), **Cargo** (warehouse
systems) and **Dock** (payments). Each team's numbers tell a story. Some stories are about the
system, some are about the people, and at least one is about both. Your job is the one a tech lead
or an engineering manager does with a dashboard: clean the data honestly, compare before with
after, find when things turned, decide who should lead the response, and then argue for one change
in a short memo to Ken.

The data is in **`team_metrics.csv`**, in this folder next to the notebook. It is handed out with the
assignment and put back as it was before grading, so work on it in pandas but don't edit the file.
""")

    a.data_file("team_metrics.csv", DATA)

    # ---------------------------------------------------------------- Part A
    a.part("A", """
Answer in Python with pandas. One row of the data is one team in one week:

| column | what it holds |
|---|---|
| `team`, `week`, `week_start` | which team (Atlas, Beacon, Cargo, Dock), week 1–26, the week's Monday |
| `team_size`, `joiners`, `leavers` | engineers on the team, and arrivals and departures that week |
| `deployments` | releases to production that week (blank in two weeks when the metrics pipeline broke) |
| `lead_time_hours` | median hours from a change's first commit to running in production |
| `change_failure_rate` | share of that week's releases that needed a fix or a rollback (0–1) |
| `time_to_restore_hours` | median hours to restore service after a production failure |
| `pr_review_wait_hours` | median hours a pull request waits for its first review |
| `meeting_hours`, `focus_hours` | per engineer: hours in meetings, and hours in blocks of two or more free hours |
| `oncall_pages` | times the on-call engineer was paged |
| `engagement_score` | the team's pulse survey, 1–5; surveyed every other week, blank in between |

The middle four of these (`deployments` to `time_to_restore_hours`) are DORA's "four keys" of
software delivery. Run the next cell first: it loads the data as `metrics`.
""")
    a.code("load-data", '''
import pandas as pd

# The data travels with the assignment: team_metrics.csv sits next to this notebook.
metrics = pd.read_csv("team_metrics.csv")
metrics.head()
''')

    a.code_question(
        "missing", "Where are the gaps?",
        """
Before trusting a chart, find out what is missing. Set `missing` to a pandas Series with one entry
per column of `metrics` **that has at least one missing value**: the index is the column name, the
value the number of missing cells in it. Leave out the columns that are complete.
""",
        '''
# missing = ...
### BEGIN SOLUTION
counts = metrics.isna().sum()
missing = counts[counts > 0]
### END SOLUTION
missing
''',
        [("tests", 2, '''
# Visible tests: the shape of your answer. Hidden tests check the counts.
assert isinstance(missing, pd.Series), "missing must be a pandas Series"
assert set(missing.index) <= set(metrics.columns), "the index must be column names of metrics"
assert len(missing) > 0 and (missing > 0).all(), "keep only the columns with at least one gap"
### BEGIN HIDDEN TESTS
_raw = pd.read_csv("team_metrics.csv")
_want = {col: int(_raw[col].isna().sum()) for col in _raw.columns if _raw[col].isna().any()}
assert {col: int(n) for col, n in missing.items()} == _want
### END HIDDEN TESTS
''')])

    a.code_question(
        "fill", "Fill the survey gaps, and only those",
        """
The engagement survey runs every other week, so half the rows have no score. For a weekly chart
it is reasonable to carry each team's latest score forward until the next survey. It is **not**
reasonable to invent deployment counts for the weeks the pipeline was down: those gaps must stay.

Write `fill_engagement(df)` that returns a new DataFrame, with the same rows and columns as `df`,
in which each team's missing `engagement_score` takes that team's most recent earlier score.

- A score must never spill over from one team into another. Don't rely on the rows being sorted:
  put them in team and week order first (`sort_values`), or group by team.
- Leave every other column, `deployments` included, exactly as it was.
""",
        '''
def fill_engagement(df):
    """A copy of df with each team's engagement score carried forward to the weeks between surveys."""
    ### BEGIN SOLUTION
    out = df.sort_values(["team", "week"]).copy()
    out["engagement_score"] = out.groupby("team")["engagement_score"].ffill()
    return out
    ### END SOLUTION


filled = fill_engagement(metrics)
''',
        [
            ("tests", 2, '''
# Visible tests: the shape of your answer. Hidden tests compare the scores week by week.
assert isinstance(filled, pd.DataFrame), "fill_engagement must return a DataFrame"
assert len(filled) == len(metrics), "keep every row"
assert sorted(filled.columns) == sorted(metrics.columns), "keep exactly the columns of metrics"
assert filled["engagement_score"].notna().all(), "every week should now have an engagement score"
### BEGIN HIDDEN TESTS
import math
_raw = pd.read_csv("team_metrics.csv")
_got = fill_engagement(_raw.copy()).set_index(["team", "week"])
_last = {}
for _row in _raw.sort_values(["team", "week"]).itertuples():
    if not math.isnan(_row.engagement_score):
        _last[_row.team] = _row.engagement_score
    _want = _last.get(_row.team, float("nan"))
    _have = float(_got.loc[(_row.team, _row.week), "engagement_score"])
    assert (math.isnan(_want) and math.isnan(_have)) or abs(_have - _want) < 1e-9, (_row.team, _row.week)
assert int(_got["deployments"].isna().sum()) == int(_raw["deployments"].isna().sum()), \\
    "the missing deployment counts must stay missing"
for _col in ["lead_time_hours", "oncall_pages", "focus_hours"]:
    _orig = _raw.set_index(["team", "week"])[_col]
    assert (_got[_col].reindex(_orig.index) == _orig).all(), _col
### END HIDDEN TESTS
'''),
            ("tests-teams", 1, '''
# Hidden tests: rows listed week by week (teams interleaved), and a team whose first survey is blank.
### BEGIN HIDDEN TESTS
import math
_mixed = pd.read_csv("team_metrics.csv").sort_values(["week", "team"]).reset_index(drop=True)
_mixed.loc[(_mixed["team"] == "Beacon") & (_mixed["week"] == 1), "engagement_score"] = float("nan")
_got = fill_engagement(_mixed.copy()).set_index(["team", "week"])["engagement_score"]
_last = {}
for _row in _mixed.sort_values(["team", "week"]).itertuples():
    if not math.isnan(_row.engagement_score):
        _last[_row.team] = _row.engagement_score
    _want = _last.get(_row.team, float("nan"))
    _have = float(_got.loc[(_row.team, _row.week)])
    assert (math.isnan(_want) and math.isnan(_have)) or abs(_have - _want) < 1e-9, (_row.team, _row.week)
### END HIDDEN TESTS
'''),
        ])

    a.code_question(
        "halves", "First half against second half",
        """
Ken's first question is always "better or worse than before?". Compute the mean of each DORA key
for every team, separately for **weeks 1–13** (call that half `"early"`) and **weeks 14–26**
(`"late"`). Use `metrics` as loaded (no filling): a missing week is simply left out of the mean.

Set `dora_halves` to a DataFrame with

- a two-level row index `(team, half)`, e.g. `("Atlas", "early")`, eight rows in all;
- exactly the columns in `DORA`, in that order.

A hint: `metrics.groupby(["team", something_that_says_early_or_late])[DORA].mean()`.
""",
        '''
DORA = ["deployments", "lead_time_hours", "change_failure_rate", "time_to_restore_hours"]

# dora_halves = ...
### BEGIN SOLUTION
half = metrics["week"].gt(13).map({False: "early", True: "late"}).rename("half")
dora_halves = metrics.groupby(["team", half])[DORA].mean()
### END SOLUTION
dora_halves.round(2)
''',
        [
            ("tests", 2, '''
# Visible tests: the shape of your answer. Hidden tests check the means.
assert isinstance(dora_halves, pd.DataFrame), "dora_halves must be a DataFrame"
assert list(dora_halves.columns) == DORA, "the columns must be the four DORA keys, in DORA's order"
assert sorted(dora_halves.index) == [(team, half) for team in ["Atlas", "Beacon", "Cargo", "Dock"]
                                     for half in ["early", "late"]], \\
    'the rows must be (team, half) pairs, with half "early" or "late"'
### BEGIN HIDDEN TESTS
_raw = pd.read_csv("team_metrics.csv")
for _team in _raw["team"].unique():
    for _half, _weeks in [("early", range(1, 14)), ("late", range(14, 27))]:
        _rows = _raw[(_raw["team"] == _team) & _raw["week"].isin(_weeks)]
        for _col in ["lead_time_hours", "change_failure_rate", "time_to_restore_hours"]:
            _want = _rows[_col].dropna().sum() / _rows[_col].notna().sum()
            assert abs(float(dora_halves.loc[(_team, _half), _col]) - _want) < 1e-9, (_team, _half, _col)
### END HIDDEN TESTS
'''),
            ("tests-deployments", 1, '''
# Hidden tests: deployments, where the weeks without data must be left out (not counted as 0).
### BEGIN HIDDEN TESTS
_raw = pd.read_csv("team_metrics.csv")
for _team in _raw["team"].unique():
    for _half, _weeks in [("early", range(1, 14)), ("late", range(14, 27))]:
        _rows = _raw[(_raw["team"] == _team) & _raw["week"].isin(_weeks)]
        _want = _rows["deployments"].dropna().sum() / _rows["deployments"].notna().sum()
        assert abs(float(dora_halves.loc[(_team, _half), "deployments"]) - _want) < 1e-9, (_team, _half)
### END HIDDEN TESTS
'''),
        ])

    a.code_question(
        "bad-week", "When did it turn?",
        """
A before-and-after average hides *when* a change began, and the date is what lets you connect it to
an event (a departure, a reorganisation, a new release process). Write
`first_bad_week(df, team, column, factor)` that returns the first week, **from week 9 on**, in which
`column` for `team` is **more than** `factor` times that team's *baseline*: the mean of `column`
over weeks 1–8.

- Return the week number as an `int`, or `None` if no week from 9 on is above the line.
- Missing values are left out of the baseline and never count as a bad week.
- The rows of `df` may come in any order, and `df` holds all four teams.

Example: `first_bad_week(metrics, "Atlas", "pr_review_wait_hours", 1.5)` is `11`: Atlas's review
wait first passes one and a half times its early level in week 11.
""",
        '''
def first_bad_week(df, team, column, factor):
    """First week (9 or later) where column is above factor x the team's weeks 1-8 mean, else None."""
    ### BEGIN SOLUTION
    rows = df[df["team"] == team].sort_values("week")
    baseline = rows.loc[rows["week"] <= 8, column].mean()
    bad = rows[(rows["week"] > 8) & (rows[column] > factor * baseline)]
    if bad.empty:
        return None
    return int(bad["week"].iloc[0])
    ### END SOLUTION
''',
        [
            ("tests-example", 2, '''
# Visible tests: the example from the question, and the type of the answer.
assert callable(first_bad_week), "define a function called first_bad_week"
example = first_bad_week(metrics, "Atlas", "pr_review_wait_hours", 1.5)
assert isinstance(example, int), "return the week as an int (use int(...) on a pandas number)"
assert example == 11, "the example from the question"
### BEGIN HIDDEN TESTS
import math


def _reference(frame, team, column, factor):
    rows = sorted((int(w), float(v)) for t, w, v in zip(frame["team"], frame["week"], frame[column])
                  if t == team)
    base = [v for w, v in rows if w <= 8 and not math.isnan(v)]
    line = factor * (sum(base) / len(base))
    return next((w for w, v in rows if w > 8 and not math.isnan(v) and v > line), None)


_raw = pd.read_csv("team_metrics.csv")
for _args in [("Beacon", "lead_time_hours", 1.3), ("Beacon", "meeting_hours", 1.5),
              ("Cargo", "oncall_pages", 2), ("Dock", "change_failure_rate", 2),
              ("Dock", "time_to_restore_hours", 2.5), ("Atlas", "lead_time_hours", 1.4)]:
    assert first_bad_week(_raw, *_args) == _reference(_raw, *_args), _args
### END HIDDEN TESTS
'''),
            ("tests-edges", 2, '''
# Hidden tests: shuffled rows, a metric that never turns bad, gaps, ties and high baseline weeks.
### BEGIN HIDDEN TESTS
import math


def _reference(frame, team, column, factor):
    rows = sorted((int(w), float(v)) for t, w, v in zip(frame["team"], frame["week"], frame[column])
                  if t == team)
    base = [v for w, v in rows if w <= 8 and not math.isnan(v)]
    line = factor * (sum(base) / len(base))
    return next((w for w, v in rows if w > 8 and not math.isnan(v) and v > line), None)


_raw = pd.read_csv("team_metrics.csv")
_shuffled = _raw.sample(frac=1, random_state=7)
for _args in [("Dock", "change_failure_rate", 2), ("Atlas", "pr_review_wait_hours", 1.5),
              ("Cargo", "oncall_pages", 1.8)]:
    assert first_bad_week(_shuffled, *_args) == _reference(_raw, *_args), _args
_never = ("Atlas", "meeting_hours", 3)
assert _reference(_raw, *_never) is None
assert first_bad_week(_raw, *_never) is None, "no bad week: return None"
_nan = float("nan")
_toy = pd.DataFrame({
    "team": ["Toy"] * 14 + ["Other"] * 14,
    "week": list(range(1, 15)) * 2,
    # a gap in the baseline (not a zero), a value exactly on the line, a gap after the baseline
    "pages": [2, _nan, 2, 2, 2, 2, 2, 2, 4, _nan, 5, 9, 9, 9] + [1] * 8 + [50] * 6,
    # a high week inside the baseline must not be reported
    "wait": [1, 1, 1, 1, 1, 1, 1, 9, 1, 1, 1, 1, 5, 1] + [30] * 14,
}).iloc[::-1]
for _args in [("Toy", "pages", 2), ("Toy", "wait", 2), ("Other", "pages", 10), ("Toy", "wait", 3)]:
    assert first_bad_week(_toy, *_args) == _reference(_toy, *_args), _args
### END HIDDEN TESTS
'''),
        ])

    a.code_question(
        "stories", "Whose move is it?",
        """
Look at the four teams with the tools above (for example `dora_halves`, `first_bad_week`, and
charts of `filled` per team, such as
`filled.pivot(index="week", columns="team", values="focus_hours").plot()`). Each team has one main
story. For each team, say which kind of leadership should **drive** the response (both leaders will
talk; pick who leads):

- `"team"`: the engineering manager (people, workload, how the team spends its week);
- `"technical"`: the tech lead (the system, the tools, how software is built and released);
- `"both"`: the problem has a real technical part and a real people part, and each needs its own lead.

Half a point per team.
""",
        '''
# Replace each None with "team", "technical" or "both".
team_stories = {
    "Atlas": None,
    "Beacon": None,
    "Cargo": None,
    "Dock": None,
}
### BEGIN SOLUTION
team_stories = {
    "Atlas": "both",
    "Beacon": "team",
    "Cargo": "team",
    "Dock": "technical",
}
### END SOLUTION
''',
        [("tests", 2, '''
# Visible tests: the shape of your answer. Hidden tests check each team.
assert isinstance(team_stories, dict), "team_stories must be a dict"
assert set(team_stories) == {"Atlas", "Beacon", "Cargo", "Dock"}, "keep exactly the four teams"
assert all(v in ("team", "technical", "both") for v in team_stories.values()), \\
    'every value must be "team", "technical" or "both" (lower case)'
### BEGIN HIDDEN TESTS
expected = {"Atlas": "both", "Beacon": "team", "Cargo": "team", "Dock": "technical"}
sum(team_stories[team] == lead for team, lead in expected.items()) * 0.5
### END HIDDEN TESTS
''')])

    # ---------------------------------------------------------------- Part B
    a.part("B", "Four questions with widgets (bank `a5-data-driven`) on reading and using the numbers.")
    a.widget_question("q-cargo-model", "The model team?", 1, "equal", "c")
    a.widget_question("q-before-ken", "Checks before the chart goes to Ken", 2, "equal", ["a", "c", "e"])
    a.widget_question("q-match-cause", "From pattern to likely cause", 2, "per-item",
                      {"atlas-reviews": "knowledge", "beacon-focus": "calendar",
                       "cargo-pager": "strain", "dock-releases": "release"}, per_item=0.5)
    a.widget_question("q-targets", "Ken wants a league table", 1, "equal", "b")

    # ---------------------------------------------------------------- Part C
    a.part("C", "Write for a busy reader: lead with the point, then the evidence.")
    a.written_task(
        "memo", "A memo to Ken", 5,
        """
Ken has budget and attention for **one** intervention this quarter. Write him a memo of about half a
page (200–300 words) that

1. recommends one concrete intervention for **one** of the four teams;
2. backs it with evidence: **at least one number** you computed from the data (say what it is
   compared with) and **one chart**, which you make in the code cell under your memo and refer to;
3. says **who leads** it, the team's tech lead or its engineering manager (or how the two split
   it), and why that person;
4. says how Ken will know within the quarter whether it worked (which measure, moving which way).

*The memo goes in the cell right below; your chart goes in the code cell after that one.*
""",
        """
5 points, one for each (half a point for a vague or partly wrong version):

1. **One concrete intervention matched to the team's story**: e.g. Atlas: an ownership map and
   paired reviews so review knowledge no longer sits with one person, plus a backfill hire; Beacon:
   a meeting audit, meeting-free mornings, written status updates; Cargo: share the on-call load,
   cut noisy alerts and talk to people about pace before anyone leaves; Dock: back to small,
   frequent releases behind flags, fix the flaky tests, a practised rollback. A list of five
   changes, or one that does not fit the data, scores 0 here.
2. **A correct number with a comparison**: roughly, Atlas's review wait about 6 h in weeks 1–8 and
   about 12–13 h later (lead time about 30 h to about 47 h); Beacon's focus hours about 22 falling
   to about 13 as meetings rise from about 9 to about 17; Cargo's pages about 3.5 a week rising to
   about 10 while engagement slides from about 4.3 towards 3.5; Dock's change failure rate about
   0.08 rising to about 0.27 and restore time about 3 h to about 10–11 h from week 12.
3. **A chart that shows the claim**: the right column, over the weeks, ideally against the team's
   own baseline or the other teams; a title or labels a reader can follow; referred to in the memo.
4. **The right lead, with a reason**: Atlas both (tech lead spreads review knowledge, manager owns
   the hire and the load); Beacon and Cargo the engineering manager (Cargo's tech lead follows with
   alert clean-up); Dock the tech lead. Reward a sensible argued split over a bare name.
5. **A measure of success and a readable memo**: names the metric and direction (e.g. review wait
   back under 8 h by week 8 of next quarter), leads with the recommendation, no unexplained jargon.
""")
    a.cells.append(_plain_code_cell("memo-chart", '''
# Your chart for the memo (not autograded: your instructor looks at it with the memo).
# For example, one line per team for one column, with a title:
#   filled.pivot(index="week", columns="team", values="focus_hours").plot(title="Focus hours per engineer")
'''))
    a.written_task(
        "limits", "What the numbers cannot tell you", 3,
        """
In 100–180 words, for the team in your memo: name **two things the data cannot tell you** that
matter for your recommendation, and for each say how you would find out (whom you would talk to,
or what you would look at). Then give **one way** these measures could mislead Parcelly if Ken
turned them into targets for the teams.
""",
        """
3 points:

- **1 point: two real blind spots for that team**, e.g. why the senior engineer left and who now
  carries the reviews (Atlas); which meetings the reorganisation added and whether any are needed
  (Beacon); how tired people are, who is thinking of leaving, whether the pages are real incidents
  or noise (Cargo); what exactly fails in the big releases (Dock). Sample size or missing weeks
  also counts once.
- **1 point: a sensible way to find out for each**: 1:1s or a retro, asking the on-call engineers,
  reading incident reviews, the alert log, the calendar, the pipeline's test history.
- **1 point: a plausible way targets mislead** (Goodhart's law): e.g. splitting changes to push
  deployment counts up, closing incidents early to cut restore time, rubber-stamp reviews to cut
  review wait, survey answers shaded when scores are judged.
""")
    return a
