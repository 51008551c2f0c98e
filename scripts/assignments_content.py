"""The content of the nbgrader assignments (used by scripts/build_assignments.py).

One function per assignment; each receives the ``Assignment`` builder class and returns a filled
builder. Everything is written in the course's own words around the Parcelly / Team Atlas case
study. Answer keys appear only inside ``### BEGIN SOLUTION`` / ``### BEGIN HIDDEN TESTS`` regions
and mark schemes only inside ``=== BEGIN MARK SCHEME ===`` regions, which nbgrader strips from
release/.
"""
from __future__ import annotations

# --------------------------------------------------------------------------------------------
# Assignment 2 · Team leadership vs technical leadership (article section 4)
# --------------------------------------------------------------------------------------------


def a2_team_vs_tech(Assignment):
    a = Assignment(
        "a2-team-vs-tech", 2, "Team leadership vs technical leadership", 30, "4",
        """
This assignment is wholly about one distinction: **team leadership** (the people, how they work
together and grow) versus **technical leadership** (the system, how it is designed, built and run).
At Parcelly the two sit with different people on Team Atlas: **Marcus Bell**, the engineering
manager, leads the team; **Priya Nair**, the tech lead, leads the technical work. Many real
situations need both at once, and the interesting part is telling which part of a problem belongs
to which kind of leadership.
""")

    # ---------------------------------------------------------------- Part A
    a.part("A", "Answer in Python. Strings must be spelt exactly as asked (lower case).")

    a.code_question(
        "duties", "Who leads what at Atlas?",
        """
Below are eight things that need doing on Team Atlas this quarter. Put each one in the
category of leadership it mainly calls for:

- `"team"`: it is about people: their growth, wellbeing, relationships or careers;
- `"technical"`: it is about the system: design, quality, tools or delivery practices;
- `"both"`: doing it well needs real people judgement *and* real technical judgement.

| key | the duty |
|---|---|
| `weekly-one-on-ones` | Hold a weekly 1:1 with each engineer |
| `message-broker` | Choose the message broker the new routing services will share |
| `split-order` | Decide which part of the monolith is carved out first |
| `on-call-dispute` | Settle a dispute between two engineers about swapping on-call weeks |
| `performance-reviews` | Write the half-year performance reviews |
| `review-standards` | Set what a pull request must include before it is approved |
| `incident-review` | Lead the blameless review after the Brightmart outage, fixing both the code and the hand-over habits that let it happen |
| `next-hire` | Decide what the next hire must know and how the interview will test it |

Half a point for each duty in the right category.
""",
        '''
# Replace each None with "team", "technical" or "both".
atlas_duties = {
    "weekly-one-on-ones": None,
    "message-broker": None,
    "split-order": None,
    "on-call-dispute": None,
    "performance-reviews": None,
    "review-standards": None,
    "incident-review": None,
    "next-hire": None,
}
### BEGIN SOLUTION
atlas_duties = {
    "weekly-one-on-ones": "team",
    "message-broker": "technical",
    "split-order": "technical",
    "on-call-dispute": "team",
    "performance-reviews": "team",
    "review-standards": "technical",
    "incident-review": "both",
    "next-hire": "both",
}
### END SOLUTION
''',
        [("tests", 4, '''
# Visible tests: the shape of your answer. Hidden tests check each category.
DUTY_KEYS = {"weekly-one-on-ones", "message-broker", "split-order", "on-call-dispute",
             "performance-reviews", "review-standards", "incident-review", "next-hire"}
assert isinstance(atlas_duties, dict), "atlas_duties must be a dict"
assert set(atlas_duties) == DUTY_KEYS, "keep exactly the eight keys of the template"
assert all(v in ("team", "technical", "both") for v in atlas_duties.values()), \\
    'every value must be "team", "technical" or "both" (lower case)'
### BEGIN HIDDEN TESTS
expected = {"weekly-one-on-ones": "team", "message-broker": "technical", "split-order": "technical",
            "on-call-dispute": "team", "performance-reviews": "team", "review-standards": "technical",
            "incident-review": "both", "next-hire": "both"}
sum(atlas_duties[duty] == kind for duty, kind in expected.items()) * 0.5
### END HIDDEN TESTS
''')])

    a.code_question(
        "signals", "Which signal needs which leader?",
        """
Priya and Marcus look at one dashboard every Monday. Write a function
`classify_signal(metric_name, trend)` that says who should pick up a change in a metric:

- return `"technical"` if the metric moved the **bad** way and it is about the system or how it is
  delivered (Priya's side);
- return `"team"` if it moved the **bad** way and it is about the people (Marcus's side);
- return `"none"` if the metric is `"flat"` or moved the **good** way: nobody needs to act.

`trend` is `"up"`, `"down"` or `"flat"`. The metrics:

| `metric_name` | what it measures | better when it goes |
|---|---|---|
| `deploy_frequency` | releases to production per week | up |
| `lead_time_hours` | hours from a merged change to running in production | down |
| `change_failure_rate` | share of releases that cause an incident or a rollback | down |
| `time_to_restore_hours` | hours to recover service after an incident | down |
| `build_minutes` | how long the deploy pipeline takes | down |
| `skipped_one_on_ones` | 1:1 meetings cancelled this month | down |
| `engagement_score` | the team's score in the quarterly survey | up |
| `regretted_leavers` | people who left whom Parcelly wanted to keep | down |
| `overtime_hours` | unplanned evening and weekend hours worked | down |

(The first four are DORA's "four keys" of software delivery.)
""",
        '''
def classify_signal(metric_name, trend):
    """Return "technical", "team" or "none" for a change in one dashboard metric."""
    ### BEGIN SOLUTION
    better_up = {"deploy_frequency": "technical", "engagement_score": "team"}
    better_down = {
        "lead_time_hours": "technical", "change_failure_rate": "technical",
        "time_to_restore_hours": "technical", "build_minutes": "technical",
        "skipped_one_on_ones": "team", "regretted_leavers": "team", "overtime_hours": "team",
    }
    if trend == "down" and metric_name in better_up:
        return better_up[metric_name]
    if trend == "up" and metric_name in better_down:
        return better_down[metric_name]
    return "none"
    ### END SOLUTION
''',
        [
            ("tests-shape", 1, '''
# Visible tests: the function exists and answers with one of the three words.
assert callable(classify_signal), "define a function called classify_signal"
for name in ["deploy_frequency", "engagement_score"]:
    for trend in ["up", "down", "flat"]:
        assert classify_signal(name, trend) in ("team", "technical", "none"), \\
            'classify_signal must return "team", "technical" or "none"'
### BEGIN HIDDEN TESTS
for name in ["deploy_frequency", "lead_time_hours", "change_failure_rate", "time_to_restore_hours",
             "build_minutes", "skipped_one_on_ones", "engagement_score", "regretted_leavers",
             "overtime_hours"]:
    assert classify_signal(name, "flat") == "none", name
assert classify_signal("deploy_frequency", "up") == "none"
assert classify_signal("engagement_score", "up") == "none"
assert classify_signal("build_minutes", "down") == "none"
assert classify_signal("regretted_leavers", "down") == "none"
### END HIDDEN TESTS
'''),
            ("tests-technical", 2, '''
# Hidden tests: the delivery metrics moving the bad way.
### BEGIN HIDDEN TESTS
assert classify_signal("deploy_frequency", "down") == "technical"
assert classify_signal("lead_time_hours", "up") == "technical"
assert classify_signal("change_failure_rate", "up") == "technical"
assert classify_signal("time_to_restore_hours", "up") == "technical"
assert classify_signal("build_minutes", "up") == "technical"
### END HIDDEN TESTS
'''),
            ("tests-team", 2, '''
# Hidden tests: the people metrics moving the bad way.
### BEGIN HIDDEN TESTS
assert classify_signal("skipped_one_on_ones", "up") == "team"
assert classify_signal("engagement_score", "down") == "team"
assert classify_signal("regretted_leavers", "up") == "team"
assert classify_signal("overtime_hours", "up") == "team"
### END HIDDEN TESTS
'''),
        ])

    # ---------------------------------------------------------------- Part B
    a.part("B", "Four questions with widgets (bank `a2-team-vs-tech`).")
    a.widget_question("q-whose-call", "Whose call is it?", 1, "equal", "b")
    a.widget_question("q-team-signals", "Signals for the people lead", 2, "equal", ["a", "c", "e"])
    a.widget_question("q-sort-decisions", "Sort four decisions", 2, "per-item",
                      {"service-boundary": "technical", "stuck-pattern": "team",
                       "roadmap-with-sofia": "both", "retry-policy": "technical"}, per_item=0.5)
    a.widget_question("q-tlm-risk", "One person, both hats", 1, "equal", "c")

    # ---------------------------------------------------------------- Part C
    a.part("C", "Write a few short paragraphs for each task. Concrete beats general: name people, "
                "actions and what you would say.")
    a.written_task(
        "cover", "Marcus is away for a month", 4,
        """
Marcus goes on four weeks of parental leave and Ken asks Priya to "keep an eye on the team" as well
as leading the technical work. In 120–200 words: which of Marcus's people duties should Priya take
on, which should wait or go to someone else (and to whom), and which of her own technical duties she
should hand over or pause so that she has the time. End with one sentence she could say to the team.
""",
        """
4 points, one for each of these (award half points for a vague version):

1. **Picks up the time-critical people work, not all of it**: e.g. keeps 1:1s going (perhaps every
   two weeks), watches Leo's stuck pattern, handles urgent conflicts or absences.
2. **Defers or routes what is not hers**: pay, promotion cases and formal performance reviews wait
   for Marcus or go to Ken / another manager; she does not make career decisions alone.
3. **Frees her own time by delegating technical work**: names something concrete, e.g. hands the
   migration's next design review or the pipeline fixes to Dana, pauses her own feature coding.
   An answer where she simply "works harder" scores 0 here.
4. **Tells the team clearly** what changes and for how long (a sentence addressed to them).

Strong answers notice the risk of the two jobs competing for Priya's hours (Fournier's tech-lead /
manager fork) and keep the technical direction from stalling.
""")
    a.written_task(
        "migration-standoff", "The migration stand-off", 4,
        """
In a design review, Dana says the plan to split route optimisation out of the monolith "will break
Brightmart's same-day windows" and refuses to approve it. Leo, who wrote most of the plan, stays
silent and later tells Marcus he feels his work was dismissed. In 150–250 words: which parts of
this situation call for **technical** leadership and which for **team** leadership? For each, say
who at Atlas should act and give one concrete step they should take this week.
""",
        """
4 points:

- **1 point: technical part named**: Dana's objection is a technical risk claim that should be
  tested, not won by seniority: e.g. Priya asks Dana for the failure scenario, adds a measurable
  check (latency budget, load test with Brightmart's peak, a feature flag or strangler step).
- **1 point: team part named**: Leo's silence and hurt, and how disagreement happens in reviews:
  e.g. Marcus (or Priya) talks with Leo; norms for reviewing ideas, not people.
- **1 point: right owners**: Priya leads the technical resolution; Marcus leads the people side;
  they coordinate rather than each doing both.
- **1 point: concrete steps this week** (a spike, a written decision record, a 1:1, a review
  norm), not general advice like "communicate better".

Do not reward answers that simply side with Dana or Leo; reward answers that separate the
technical question from the people question.
""")
    return a



# --------------------------------------------------------------------------------------------
# Assignment 1 · Foundations: what technical leadership is, and the role (sections 2–3)
# --------------------------------------------------------------------------------------------


def a1_foundations(Assignment):
    a = Assignment(
        "a1-foundations", 1, "Foundations: what technical leadership is and what the role holds",
        25, "2–3",
        """
Technical leadership means guiding a group of engineers towards shared technical goals: turning an
understanding of the technology into plans, and helping the team carry them out well. At Parcelly,
**Priya Nair** has just become the tech lead of Team Atlas. She still writes code, but her week now
spans five kinds of work: **technical expertise**, **leading and growing people**, **strategic
planning**, **problem-solving** and **communication and collaboration**. This assignment checks that
you can recognise each of them in practice.
""")

    a.part("A", "Answer in Python. Strings must be spelt exactly as asked (lower case).")
    a.code_question(
        "aspects", "Which part of the role is this?",
        """
Here is part of Priya's first fortnight. Label each activity with the part of the role it mostly
exercises, using one of these five strings: `"expertise"`, `"people"`, `"strategy"`,
`"problem-solving"`, `"communication"`.

| key | what Priya did |
|---|---|
| `broker-prototype` | Spent a day building tiny prototypes on two message brokers to compare them |
| `pair-with-leo` | Paired with Leo so he could lead his first change to the routing rules himself |
| `cost-plan` | Turned Ken's target of cutting hosting costs by a fifth into a two-quarter migration plan |
| `timeout-hunt` | Traced Tuesday's route timeouts to a query that lost its index in a schema change |
| `brief-sofia` | Explained to Sofia, without jargon, why Brightmart's windows need the new service first |
| `db-upgrade-read` | Read the database's release notes to judge whether the upgrade is safe for Atlas |
| `quiet-voices` | Changed how the retro runs so the quieter engineers get heard |
| `drop-pet-project` | Stopped a side project that served none of the quarter's goals |

Half a point for each activity labelled as in the answer key.
""",
        '''
# Replace each None with "expertise", "people", "strategy", "problem-solving" or "communication".
role_aspects = {
    "broker-prototype": None,
    "pair-with-leo": None,
    "cost-plan": None,
    "timeout-hunt": None,
    "brief-sofia": None,
    "db-upgrade-read": None,
    "quiet-voices": None,
    "drop-pet-project": None,
}
### BEGIN SOLUTION
role_aspects = {
    "broker-prototype": "expertise",
    "pair-with-leo": "people",
    "cost-plan": "strategy",
    "timeout-hunt": "problem-solving",
    "brief-sofia": "communication",
    "db-upgrade-read": "expertise",
    "quiet-voices": "people",
    "drop-pet-project": "strategy",
}
### END SOLUTION
''',
        [("tests", 4, '''
# Visible tests: the shape of your answer. Hidden tests check each label.
ACTIVITIES = {"broker-prototype", "pair-with-leo", "cost-plan", "timeout-hunt", "brief-sofia",
              "db-upgrade-read", "quiet-voices", "drop-pet-project"}
ASPECTS = {"expertise", "people", "strategy", "problem-solving", "communication"}
assert isinstance(role_aspects, dict), "role_aspects must be a dict"
assert set(role_aspects) == ACTIVITIES, "keep exactly the eight keys of the template"
assert set(role_aspects.values()) <= ASPECTS, f"every value must be one of {sorted(ASPECTS)}"
### BEGIN HIDDEN TESTS
expected = {"broker-prototype": "expertise", "pair-with-leo": "people", "cost-plan": "strategy",
            "timeout-hunt": "problem-solving", "brief-sofia": "communication",
            "db-upgrade-read": "expertise", "quiet-voices": "people", "drop-pet-project": "strategy"}
sum(role_aspects[key] == aspect for key, aspect in expected.items()) * 0.5
### END HIDDEN TESTS
''')])

    a.code_question(
        "focus", "Is there still time to build?",
        """
A tech lead who stops building loses the technical judgement the role depends on, and Paul Graham's
*maker's schedule* explains why: an hour between two meetings is rarely enough for real engineering
work. Write `longest_focus_block(meetings, day_start=9, day_end=17)` that returns the length, in
hours, of the longest stretch of Priya's working day with no meeting in it.

- `meetings` is a list of `(start, end)` pairs in hours, e.g. `[(9.5, 10), (13, 14.5)]`; they may
  be in any order, may overlap, and may start before the day or run past its end.
- Return a number (`int` or `float`). A day with no meetings gives `day_end - day_start`.

Example: `longest_focus_block([(10, 11), (14, 15)])` is `3` (from 11 to 14).
""",
        '''
def longest_focus_block(meetings, day_start=9, day_end=17):
    """Hours in the longest meeting-free stretch between day_start and day_end."""
    ### BEGIN SOLUTION
    free_from = day_start
    best = 0
    for start, end in sorted(meetings):
        start, end = max(start, day_start), min(end, day_end)
        if end <= start:
            continue
        best = max(best, start - free_from)
        free_from = max(free_from, end)
    return max(best, day_end - free_from)
    ### END SOLUTION
''',
        [
            ("tests-basic", 2, '''
# Visible tests: the example from the question, and a day without meetings.
assert callable(longest_focus_block), "define a function called longest_focus_block"
assert isinstance(longest_focus_block([]), (int, float)), "return a number of hours"
assert longest_focus_block([]) == 8
assert longest_focus_block([(10, 11), (14, 15)]) == 3
### BEGIN HIDDEN TESTS
assert longest_focus_block([(14, 15), (10, 11)]) == 3
assert longest_focus_block([(9, 17)]) == 0
assert longest_focus_block([(9.5, 10), (13, 14.5)]) == 3
assert longest_focus_block([(12, 13)], day_start=8, day_end=18) == 5
### END HIDDEN TESTS
'''),
            ("tests-edges", 2, '''
# Hidden tests: overlapping meetings and meetings outside the working day.
### BEGIN HIDDEN TESTS
assert longest_focus_block([(10, 12), (11, 13), (12.5, 13.5)]) == 3.5
assert longest_focus_block([(8, 10), (16, 18)]) == 6
assert longest_focus_block([(7, 8), (18, 19)]) == 8
assert longest_focus_block([(11, 12), (11, 12)]) == 5
### END HIDDEN TESTS
'''),
        ])

    a.part("B", "Four questions with widgets (bank `a1-foundations`).")
    a.widget_question("q-definition", "What the course means by technical leadership", 1, "equal", "b")
    a.widget_question("q-kua", "Where a tech lead's responsibility sits", 1, "equal", "a")
    a.widget_question("q-strategy-acts", "Strategic planning in practice", 2, "equal", ["a", "c", "e"])
    a.widget_question("q-bridge", "Talking to Sofia", 1, "equal", "c")

    a.part("C", "Write in full sentences; concrete Atlas examples score better than general claims.")
    a.written_task(
        "wiki-role", "Priya's role, for the wiki", 4,
        """
Parcelly's engineering wiki has no page explaining what a tech lead does. Write a short entry
(150–250 words) describing Priya's role on Atlas, covering all five parts of the role, with one
concrete Atlas example for each.
""",
        """
4 points:

- **2 points: all five parts present** (technical expertise; leading and growing people; strategic
  planning; problem-solving; communication and collaboration). 1 point if three or four appear.
- **1 point: an Atlas example for each part**, specific enough to picture (e.g. comparing brokers,
  pairing with Leo, the cost plan for Ken, the timeout hunt, briefing Sofia).
- **1 point: the balance is clear**: she still builds and judges technology, but her output is the
  team's work, not only her own code.
""")
    a.written_task(
        "best-coder", "\"Just the best coder, with more meetings\"", 3,
        """
Dana tells Leo: "A tech lead is just the best coder on the team who has to go to more meetings."
In 100–180 words, say where Dana has a point and where she is wrong, using what you know about the
role.
""",
        """
3 points:

- **1 point: where she has a point**: deep technical skill matters; a tech lead who cannot judge
  designs loses trust; the meeting load is real (maker's vs manager's schedule).
- **1 point: where she is wrong**: the job is multiplying the team's output (guiding, planning,
  unblocking, explaining to non-engineers), not being the top individual coder; the best coder may
  not be the best lead.
- **1 point: a concrete example** from Atlas or the learner's own experience.
""")
    return a


# --------------------------------------------------------------------------------------------
# Assignment 3 · Growth: qualities, skills, experience and strategies (sections 5–9)
# --------------------------------------------------------------------------------------------


def a3_growth(Assignment):
    a = Assignment(
        "a3-growth", 3, "Growing as a technical leader: qualities, skills, experience, strategies",
        35, "5–9",
        """
Nobody is born a tech lead. The qualities the role needs (technical depth, strategic thinking,
problem-solving, communication, adaptability, developing others, and a vision people want to
follow) are grown on purpose: through hands-on work, mentors, training, cross-team projects and
honest feedback. Effective technical leaders also use a handful of strategies again and again,
among them a clear technical vision and decisions based on data. Here you will analyse Atlas's
delivery data with pandas, turn a self-assessment into a development focus, and plan growth for
Priya and Leo.
""")

    a.part("A", "Answer in Python; pandas is available as `pd`.")
    a.code("delivery-data", '''
import pandas as pd

# Atlas's delivery record for eight weeks (read-only: run this cell, don't change it).
atlas_weeks = pd.DataFrame({
    "week": [1, 2, 3, 4, 5, 6, 7, 8],
    "deploys": [12, 10, 14, 9, 15, 16, 8, 18],
    "failed_deploys": [1, 2, 1, 3, 2, 1, 2, 1],
    "lead_time_hours": [30, 34, 28, 41, 26, 24, 45, 22],
})
atlas_weeks
''')
    a.code_question(
        "delivery", "What does the data say?",
        """
Priya wants to argue from data, not impressions, when she asks Ken for time to fix the
pipeline. Using `atlas_weeks` above:

1. add a column `change_failure_rate` to `atlas_weeks`: `failed_deploys / deploys` for each week;
2. set `worst_week` to the `week` number (an `int`) with the highest change failure rate;
3. set `median_lead_time` to the median of `lead_time_hours` (a number).
""",
        '''
# Fill in the three answers (the names must stay as they are):
#   atlas_weeks["change_failure_rate"] = ...
#   worst_week = ...
#   median_lead_time = ...
### BEGIN SOLUTION
atlas_weeks["change_failure_rate"] = atlas_weeks["failed_deploys"] / atlas_weeks["deploys"]
worst_week = int(atlas_weeks.loc[atlas_weeks["change_failure_rate"].idxmax(), "week"])
median_lead_time = float(atlas_weeks["lead_time_hours"].median())
### END SOLUTION
''',
        [
            ("tests-rate", 2, '''
# Visible tests: the new column exists and holds fractions.
assert "change_failure_rate" in atlas_weeks.columns, "add a column named change_failure_rate"
assert len(atlas_weeks) == 8, "keep all eight weeks"
assert atlas_weeks["change_failure_rate"].between(0, 1).all(), "rates are fractions between 0 and 1"
### BEGIN HIDDEN TESTS
import math
_rates = [1 / 12, 2 / 10, 1 / 14, 3 / 9, 2 / 15, 1 / 16, 2 / 8, 1 / 18]
assert all(math.isclose(got, want) for got, want in zip(atlas_weeks["change_failure_rate"], _rates))
### END HIDDEN TESTS
'''),
            ("tests-summary", 2, '''
# Visible tests: the types of your two answers.
assert isinstance(worst_week, int), "worst_week must be an int (a week number)"
assert isinstance(median_lead_time, (int, float)), "median_lead_time must be a number"
### BEGIN HIDDEN TESTS
assert worst_week == 4
assert abs(median_lead_time - 29.0) < 1e-9
### END HIDDEN TESTS
'''),
        ])

    a.code_question(
        "gaps", "From self-assessment to a focus",
        """
Priya rated herself from 1 to 5 on the seven qualities, and agreed target levels with Marcus.
Write `top_gaps(ratings, targets, n=2)` returning a list of the `n` quality names where the target
is furthest **above** the rating, biggest gap first; break ties alphabetically. Qualities where
she already meets or beats the target never appear (so the list may be shorter than `n`).

Example: `top_gaps({"vision": 2, "mentoring": 3}, {"vision": 4, "mentoring": 4})` is
`["vision", "mentoring"]`.
""",
        '''
def top_gaps(ratings, targets, n=2):
    """The n qualities with the largest positive gap (target - rating), largest first."""
    ### BEGIN SOLUTION
    gaps = {q: targets[q] - ratings.get(q, 0) for q in targets}
    ordered = sorted((q for q, gap in gaps.items() if gap > 0), key=lambda q: (-gaps[q], q))
    return ordered[:n]
    ### END SOLUTION
''',
        [
            ("tests-basic", 2, '''
# Visible tests: the example from the question.
result = top_gaps({"vision": 2, "mentoring": 3}, {"vision": 4, "mentoring": 4})
assert isinstance(result, list), "return a list of quality names"
assert result == ["vision", "mentoring"]
### BEGIN HIDDEN TESTS
priya = {"technical-expertise": 5, "strategic-thinking": 3, "problem-solving": 4,
         "communication": 2, "adaptability": 4, "mentoring": 3, "vision": 2}
target = {"technical-expertise": 4, "strategic-thinking": 4, "problem-solving": 4,
          "communication": 4, "adaptability": 4, "mentoring": 4, "vision": 4}
assert top_gaps(priya, target) == ["communication", "vision"]
assert top_gaps(priya, target, n=3) == ["communication", "vision", "mentoring"]
### END HIDDEN TESTS
'''),
            ("tests-edges", 2, '''
# Hidden tests: ties, nothing to improve, n larger than the gaps.
### BEGIN HIDDEN TESTS
assert top_gaps({"a": 1, "b": 1, "c": 1}, {"a": 3, "b": 3, "c": 2}) == ["a", "b"]
assert top_gaps({"a": 4, "b": 5}, {"a": 4, "b": 4}) == []
assert top_gaps({"a": 1, "b": 4}, {"a": 2, "b": 4}, n=5) == ["a"]
### END HIDDEN TESTS
'''),
        ])

    a.part("B", "Four questions with widgets (bank `a3-growth`).")
    a.widget_question("q-adaptability", "Evidence of a quality", 1, "equal", "d")
    a.widget_question("q-experience", "Experience before the title", 2, "equal", ["a", "b", "d"])
    a.widget_question("q-strategy-match", "Which strategy is this?", 2, "per-item",
                      {"north-star": "vision", "dora-review": "data", "leo-owns": "empower",
                       "flag-experiments": "innovation"}, per_item=0.5)
    a.widget_question("q-why-it-pays", "Making the case to Ken", 1, "equal", "b")

    a.part("C", "Plans should be specific enough that someone else could carry them out.")
    a.written_task(
        "leo-plan", "Ninety days of growth for Leo", 4,
        """
Leo wants to lead technical work one day. Write a 90-day development plan for him (150–250 words)
that uses **at least three different ways of building skill and experience** (for example hands-on
ownership, a mentor, a cross-team project, training, teaching others). For each, say what he will
do, who helps, and how he and Priya will know it is working.
""",
        """
4 points:

- **1 point: three or more distinct routes** (stretch ownership, mentoring, cross-functional work,
  formal learning, coaching/teaching others, a certification only if it serves a goal).
- **1 point: concrete Atlas tasks** (e.g. owns the retry-policy change end to end, pairs with Dana
  on the monolith, joins the platform team's incident review).
- **1 point: named support** (Priya, Dana as mentor, Marcus for career conversations).
- **1 point: evidence of progress** (observable signs, e.g. asks for help within half a day, runs a
  design review, feedback from reviewers), not "he will feel more confident".
""")
    a.written_task(
        "vision", "A vision Atlas can steer by", 4,
        """
Write Priya's technical vision for the migration in at most 120 words, as she would say it to the
team. Then, in a few sentences, name **two measures** she will review every month to check the
migration is heading the right way, and what she would do if one of them got worse.
""",
        """
4 points:

- **1 point: the vision is short, concrete and tied to the business**: what Atlas's system looks
  like when done and why it matters (e.g. Brightmart's windows, cost, safer deploys).
- **1 point: it gives direction for everyday choices** (what the team says no to, a principle such
  as "every new service is deployable on its own").
- **1 point: two sensible measures** (e.g. DORA keys such as lead time or change failure rate,
  hosting cost, share of traffic on new services).
- **1 point: a response to bad news** that uses the data (investigate, adjust the plan, tell
  stakeholders), not blame.
""")
    return a


# --------------------------------------------------------------------------------------------
# Assignment 4 · Challenges in practice, scenario-based (sections 10–11)
# --------------------------------------------------------------------------------------------


def a4_challenges(Assignment):
    a = Assignment(
        "a4-challenges", 4, "Challenges in practice: scenarios from Atlas", 35, "10–11",
        """
Leading technical work in a business brings recurring problems: explaining technical matters to
people who do not share the vocabulary, splitting time between building and leading, keeping up
with fast-moving tools, making room for experiments, tying technical work to business goals,
resistance to change, and keeping good engineers. This assignment puts you in Priya's place as
Atlas meets each of them, and asks you to argue in business terms as well as technical ones.
""")

    a.part("A", "Answer in Python. Strings must be spelt exactly as asked (lower case).")
    a.code_question(
        "challenges", "Name the challenge",
        """
Match each Atlas moment with the challenge it mainly shows, using one of: `"communication"`,
`"balance"`, `"keeping-up"`, `"innovation"`, `"alignment"`, `"resistance"`, `"retention"`.

| key | what happened |
|---|---|
| `sofia-glazed` | Sofia's eyes glazed over when Priya described the event-driven design |
| `no-time-to-code` | Priya has not merged a change of her own in five weeks: her days are meetings |
| `dana-old-way` | Dana keeps patching the monolith instead of using the new service template |
| `leo-offer` | Leo has an offer from a competitor that promises "more interesting work" |
| `shiny-framework` | Half the team wants to adopt a framework they read about last week |
| `ken-asks-why` | Ken asks what the migration has to do with this year's company goals |

Half a point each.
""",
        '''
# Replace each None with one of the seven challenge names above.
atlas_challenges = {
    "sofia-glazed": None,
    "no-time-to-code": None,
    "dana-old-way": None,
    "leo-offer": None,
    "shiny-framework": None,
    "ken-asks-why": None,
}
### BEGIN SOLUTION
atlas_challenges = {
    "sofia-glazed": "communication",
    "no-time-to-code": "balance",
    "dana-old-way": "resistance",
    "leo-offer": "retention",
    "shiny-framework": "keeping-up",
    "ken-asks-why": "alignment",
}
### END SOLUTION
''',
        [("tests", 3, '''
# Visible tests: the shape of your answer. Hidden tests check each match.
MOMENTS = {"sofia-glazed", "no-time-to-code", "dana-old-way", "leo-offer", "shiny-framework",
           "ken-asks-why"}
CHALLENGES = {"communication", "balance", "keeping-up", "innovation", "alignment", "resistance",
              "retention"}
assert isinstance(atlas_challenges, dict), "atlas_challenges must be a dict"
assert set(atlas_challenges) == MOMENTS, "keep exactly the six keys of the template"
assert set(atlas_challenges.values()) <= CHALLENGES, f"every value must be one of {sorted(CHALLENGES)}"
### BEGIN HIDDEN TESTS
expected = {"sofia-glazed": "communication", "no-time-to-code": "balance",
            "dana-old-way": "resistance", "leo-offer": "retention",
            "shiny-framework": "keeping-up", "ken-asks-why": "alignment"}
sum(atlas_challenges[key] == name for key, name in expected.items()) * 0.5
### END HIDDEN TESTS
''')])

    a.code_question(
        "payback", "Put the flaky pipeline in business terms",
        """
Ken will fund a fix for the flaky deploy pipeline only if it pays for itself within a quarter.
Write two functions:

- `weekly_cost(failed_runs, minutes_per_failure, engineers_blocked, hourly_cost)`: what the
  failures cost per week: each failed run blocks `engineers_blocked` people for
  `minutes_per_failure` minutes, each costing `hourly_cost` per hour;
- `payback_weeks(fix_cost, weekly_saving)`: the number of **whole** weeks until the fix has paid
  for itself (round up), or `None` if `weekly_saving` is zero or less.

Example: 10 failures a week, 30 minutes each, 3 engineers, 60 per hour cost
`10 * 0.5 * 3 * 60 = 900` a week; a fix costing 4,000 pays back in `5` weeks.
""",
        '''
import math


def weekly_cost(failed_runs, minutes_per_failure, engineers_blocked, hourly_cost):
    """Cost per week of the time engineers lose to failed pipeline runs."""
    ### BEGIN SOLUTION
    return failed_runs * minutes_per_failure / 60 * engineers_blocked * hourly_cost
    ### END SOLUTION


def payback_weeks(fix_cost, weekly_saving):
    """Whole weeks until the fix pays for itself, or None if it never does."""
    ### BEGIN SOLUTION
    if weekly_saving <= 0:
        return None
    return math.ceil(fix_cost / weekly_saving)
    ### END SOLUTION
''',
        [
            ("tests-cost", 2, '''
# Visible tests: the example from the question.
assert abs(weekly_cost(10, 30, 3, 60) - 900) < 1e-9
### BEGIN HIDDEN TESTS
assert abs(weekly_cost(0, 30, 3, 60)) < 1e-9
assert abs(weekly_cost(7, 45, 4, 80) - 1680) < 1e-9
assert abs(weekly_cost(5, 20, 1, 90) - 150) < 1e-9
### END HIDDEN TESTS
'''),
            ("tests-payback", 2, '''
# Visible tests: the example, and the answer's type.
assert payback_weeks(4000, 900) == 5
assert isinstance(payback_weeks(4000, 900), int), "return a whole number of weeks"
### BEGIN HIDDEN TESTS
assert payback_weeks(1800, 900) == 2
assert payback_weeks(1801, 900) == 3
assert payback_weeks(5000, 0) is None
assert payback_weeks(5000, -10) is None
assert payback_weeks(0, 100) == 0
### END HIDDEN TESTS
'''),
        ])

    a.part("B", "Scenario questions with widgets (bank `a4-challenges`). Pick what Priya should do first.")
    a.widget_question("q-resistance", "Dana and the service template", 1, "equal", "c")
    a.widget_question("q-retention", "Leo's outside offer", 1, "equal", "a")
    a.widget_question("q-failed-experiment", "An experiment that failed", 1, "equal", "d")
    a.widget_question("q-balance", "Too many meetings", 2, "equal", ["b", "c", "e"])
    a.widget_question("q-keeping-up", "The framework everyone is talking about", 1, "equal", "b")

    a.part("C", "Write as Priya would: to real people, with real numbers where you have them.")
    a.written_task(
        "ken-memo", "A note to Ken and Sofia", 4,
        """
Write the short message (120–200 words) Priya sends to Ken and Sofia asking for two weeks of the
team's time to fix the flaky pipeline before the Brightmart launch. Use no jargon they would not
use themselves, and make the business case with your numbers from Part A (or realistic ones).
""",
        """
4 points:

- **1 point: plain language**: no unexplained terms (CI, flaky tests, rollback) or each is
  translated into what it means for customers and the team.
- **1 point: a business case with numbers**: cost of the problem per week, cost of the fix, payback
  time, risk to Brightmart's launch.
- **1 point: a clear request and trade-off**: what is asked for, what is delayed because of it, and
  the option if the answer is no.
- **1 point: tone and length suit busy readers** (short, leads with the point).
""")
    a.written_task(
        "dana-change", "Bringing Dana along", 4,
        """
Dana still resists the migration (see the widget question above). Describe, in 150–250 words, how
Priya should bring her along over the next month. Include at least one way of involving Dana in the
change itself, and say what Priya should do if Dana's objections turn out to be right.
""",
        """
4 points:

- **1 point: involves Dana** in shaping the change (e.g. asks her to design the strangler step for
  the part of the monolith she knows best, or to own the migration's risk list).
- **1 point: explains the benefits in Dana's terms** (less firefighting, safer deploys), with
  support to learn the new template (pairing, time set aside).
- **1 point: treats her objections as information**: what Priya changes in the plan if Dana is
  right, and credits her publicly.
- **1 point: realistic timeline and follow-up**, and a fallback if resistance continues (a direct
  conversation, with Marcus for the people side).
""")
    return a


# Assignment 5 · Data-driven leadership (lessons 4 and 9) is long enough for a file of its own.
from assignment_a5 import a5_data_driven  # noqa: E402

ASSIGNMENTS = [a1_foundations, a2_team_vs_tech, a3_growth, a4_challenges, a5_data_driven]
