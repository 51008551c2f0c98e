"""The team-metrics dataset: reproducible, documented, and hiding the stories the lessons rely on."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "exercises" / "data" / "team_metrics.csv"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return pd.read_csv(CSV, parse_dates=["week_start"])


def _generate(tmp_path: Path, *args: str) -> bytes:
    out = tmp_path / "metrics.csv"
    subprocess.run([sys.executable, "scripts/make_team_metrics.py", "--out", str(out), *args], cwd=ROOT,
                   check=True, capture_output=True)
    return out.read_bytes()


def test_same_seed_gives_the_committed_file_byte_for_byte(tmp_path):
    """Does regenerating with the default seed reproduce the committed CSV exactly?"""
    assert _generate(tmp_path) == CSV.read_bytes()


def test_another_seed_gives_other_numbers(tmp_path):
    """Is the seed really used (a different seed, different noise)?"""
    assert _generate(tmp_path, "--seed", "1") != CSV.read_bytes()


def test_every_column_is_in_the_data_dictionary(df):
    """Does the data dictionary document every column?"""
    dictionary = (ROOT / "exercises" / "data" / "team_metrics.md").read_text()
    for column in df.columns:
        assert f"| `{column}` |" in dictionary, column


def test_shape_and_messiness(df):
    """Four teams × 26 weeks, with the documented gaps (fortnightly survey, a pipeline outage)?"""
    assert sorted(df.team.unique()) == ["Atlas", "Beacon", "Cargo", "Dock"]
    assert len(df) == 4 * 26 and df.groupby("team").week.nunique().eq(26).all()
    assert df.engagement_score.isna().sum() == 4 * 13
    assert df.deployments.isna().sum() == 4
    assert df.change_failure_rate.between(0, 1).all()


def _before_after(df, team, column, week):
    t = df[df.team == team]
    return t[t.week < week][column].mean(), t[t.week >= week + 3][column].mean()


def test_atlas_review_wait_grows_after_a_senior_leaves(df):
    """Atlas: after the week-10 departure, do review waits about double with meetings flat?"""
    atlas = df[df.team == "Atlas"]
    assert atlas.loc[atlas.week == 10, "leavers"].item() == 1
    before, after = _before_after(df, "Atlas", "pr_review_wait_hours", 10)
    assert after > 1.8 * before
    m_before, m_after = _before_after(df, "Atlas", "meeting_hours", 10)
    assert abs(m_after - m_before) < 1.5


def test_beacon_meetings_crowd_out_focus(df):
    """Beacon: do meetings rise, focus fall and lead time climb after week 8?"""
    f_before, f_after = _before_after(df, "Beacon", "focus_hours", 8)
    l_before, l_after = _before_after(df, "Beacon", "lead_time_hours", 8)
    assert f_after < f_before - 4 and l_after > 1.3 * l_before
    beacon = df[df.team == "Beacon"]
    assert beacon.meeting_hours.corr(beacon.lead_time_hours) > 0.7


def test_cargo_great_delivery_but_falling_engagement(df):
    """Cargo: best DORA numbers of all teams, yet engagement falls and pages rise?"""
    means = df.groupby("team")[["deployments", "lead_time_hours"]].mean()
    assert means.deployments.idxmax() == "Cargo" and means.lead_time_hours.idxmin() == "Cargo"
    cargo = df[df.team == "Cargo"].dropna(subset=["engagement_score"])
    assert cargo.week.corr(cargo.engagement_score) < -0.8
    p_before, p_after = _before_after(df, "Cargo", "oncall_pages", 6)
    assert p_after > 2 * p_before


def test_dock_failure_rate_jumps_with_people_signals_healthy(df):
    """Dock: does the change failure rate jump after week 12 while engagement stays steady?"""
    c_before, c_after = _before_after(df, "Dock", "change_failure_rate", 12)
    assert c_after > 3 * c_before
    e_before, e_after = _before_after(df, "Dock", "engagement_score", 12)
    assert abs(e_after - e_before) < 0.2
