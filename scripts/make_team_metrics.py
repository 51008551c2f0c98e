#!/usr/bin/env python
"""Generate the synthetic engineering-team metrics used by lesson 9 and assignment a5.

    python scripts/make_team_metrics.py                  # writes exercises/data/team_metrics.csv
    python scripts/make_team_metrics.py --seed 7 --out /tmp/x.csv

Same seed -> byte-identical CSV (only the standard library's `random.Random` is used, and every number is
rounded and formatted explicitly), so the committed file can be checked by the tests.

Four Parcelly teams, 26 weekly rows each, each hiding a story a learner can find with pandas:

* Atlas  (route planning): a senior engineer leaves in week 10; pull-request review wait roughly doubles and
  lead time for changes climbs, while meetings stay flat. Knowledge was concentrated in one person.
* Beacon (notifications): a reorganisation in week 8 adds recurring meetings; focus hours fall, lead time
  rises and deployments drop: the maker's schedule is being eaten.
* Cargo  (warehouse systems): the best delivery numbers in the company all along, but on-call pages rise
  and the engagement score falls steadily from week 6: a burnout risk hidden behind good DORA metrics.
* Dock   (payments): a big-bang release process from week 12 (one large weekly batch instead of small daily
  deploys); more of its production deployments degrade service (DORA's change failure rate) and recovery
  takes longer, while people signals stay healthy: a technical-leadership problem.

Real data is messy, so is this: engagement is surveyed every other week (blank otherwise) and two weeks of
deployment counts are missing (a metrics-pipeline outage).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "exercises" / "data" / "team_metrics.csv"
DEFAULT_SEED = 20260105
WEEKS = 26
START = dt.date(2026, 1, 5)  # a Monday

COLUMNS = [
    "team", "week", "week_start", "team_size", "joiners", "leavers", "deployments",
    "lead_time_hours", "change_failure_rate", "time_to_restore_hours", "pr_review_wait_hours",
    "meeting_hours", "focus_hours", "oncall_pages", "engagement_score",
]


def _clip(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def team_rows(team: str, rng: random.Random) -> list[dict]:
    rows = []
    size = {"Atlas": 7, "Beacon": 6, "Cargo": 8, "Dock": 6}[team]
    for w in range(1, WEEKS + 1):
        joiners = leavers = 0
        # Baselines per engineer-week, then each team's story on top.
        meeting, focus = 9.0, 22.0
        lead, deploys, cfr, restore, review = 30.0, 12.0, 0.08, 3.0, 6.0
        pages, engagement = 3.0, 3.9

        if team == "Atlas":
            if w == 10:
                leavers = 1
            if w >= 10:
                size_now = size - 1
                review = 6.0 + 7.0 * min(1.0, (w - 9) / 4)      # roughly doubles, then stays up
                lead = 30.0 + 22.0 * min(1.0, (w - 9) / 5)
                deploys = 10.0
            else:
                size_now = size
            if w == 20:
                joiners = 1
            if w >= 20:
                size_now = size
            engagement = 3.9 - (0.3 if w >= 10 else 0.0)
        elif team == "Beacon":
            size_now = size
            if w >= 8:
                extra = min(9.0, (w - 7) * 1.5)               # recurring meetings pile up
                meeting, focus = 9.0 + extra, 22.0 - extra
                lead = 28.0 + 2.4 * extra
                deploys = 13.0 - 0.8 * extra
            engagement = 3.8 - (0.02 * max(0, w - 8))
        elif team == "Cargo":
            size_now = size
            lead, deploys, cfr, restore, review = 14.0, 25.0, 0.05, 1.5, 3.0
            if w >= 6:
                pages = 3.0 + 0.55 * (w - 5)
                engagement = 4.3 - 0.07 * (w - 5)
                meeting, focus = 8.0, 24.0 + 0.1 * (w - 5)  # heads down, long weeks
            else:
                engagement = 4.3
            if w == 22:
                leavers = 1
            if w >= 22:
                size_now = size - 1
        else:  # Dock
            size_now = size
            if w >= 12:
                deploys = 4.0                                  # weekly big-bang releases
                cfr = 0.31
                restore = 11.0
                lead = 96.0
                pages = 6.0
            engagement = 3.8

        rows.append({
            "team": team,
            "week": w,
            "week_start": (START + dt.timedelta(weeks=w - 1)).isoformat(),
            "team_size": size_now,
            "joiners": joiners,
            "leavers": leavers,
            "deployments": max(0, round(deploys + rng.gauss(0, 1.5))),
            "lead_time_hours": round(_clip(lead * rng.uniform(0.88, 1.12), 1, 400), 1),
            "change_failure_rate": round(_clip(cfr + rng.gauss(0, 0.02), 0.0, 1.0), 3),
            "time_to_restore_hours": round(_clip(restore * rng.uniform(0.8, 1.2), 0.2, 200), 1),
            "pr_review_wait_hours": round(_clip(review * rng.uniform(0.85, 1.15), 0.5, 200), 1),
            "meeting_hours": round(_clip(meeting + rng.gauss(0, 0.6), 1, 40), 1),
            "focus_hours": round(_clip(focus + rng.gauss(0, 0.8), 1, 40), 1),
            "oncall_pages": max(0, round(pages + rng.gauss(0, 1.0))),
            "engagement_score": round(_clip(engagement + rng.gauss(0, 0.08), 1, 5), 2),
        })
    return rows


def generate(seed: int = DEFAULT_SEED) -> list[dict]:
    rng = random.Random(seed)
    rows = [row for team in ("Atlas", "Beacon", "Cargo", "Dock") for row in team_rows(team, rng)]
    for row in rows:
        if row["week"] % 2 == 0:                     # the survey runs every other week
            row["engagement_score"] = ""
    for row in rows:                                 # the metrics-pipeline outage
        if row["week"] in (15, 16) and row["team"] in ("Beacon", "Cargo"):
            row["deployments"] = ""
    return rows


def write_csv(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    write_csv(generate(args.seed), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
