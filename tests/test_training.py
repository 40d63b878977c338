"""Training load, spikes and pain after running: the domain rules as plain unit tests."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from backcoach.content.running import load_training_rules
from backcoach.domain.running import ActivitySummary, SummaryBuilder, elevation_gain, haversine_m
from backcoach.domain.training import (
    TrainingRules,
    daily_loads,
    load_curves,
    pain_after_runs,
    run_loads,
    session_load,
    t975,
    weekly_volume,
    welch,
)

START = date(2026, 3, 2)  # a Monday


@pytest.fixture(scope="module")
def rules() -> TrainingRules:
    return load_training_rules()


def run(day: int, km: float, *, minutes: float = 30, hr: float | None = None,
        rpe: float | None = None, climb: float = 0.0, sport: str = "running") -> ActivitySummary:  # fmt: skip
    start = datetime.combine(START + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
    return ActivitySummary(
        sport=sport, start=start + timedelta(hours=7), elapsed_s=minutes * 60,
        moving_s=minutes * 60, distance_m=km * 1000, elevation_gain_m=climb, avg_hr=hr,
        max_hr=None, avg_cadence=None, device=None, points=0, has_positions=False,
        perceived_exertion=rpe,
    )  # fmt: skip


def days_of(activities: list[ActivitySummary]) -> list[date]:
    return [a.start.date() for a in activities]


def test_the_thresholds_come_from_frandsen_2025(rules: TrainingRules) -> None:
    assert rules.spike_ratio == pytest.approx(1.10)
    assert rules.spike_window_days == 30


def test_session_load_prefers_perceived_exertion_then_heart_rate_then_minutes(
    rules: TrainingRules,
) -> None:
    assert session_load(run(0, 5, minutes=40, rpe=6, hr=150), max_hr=190, female=False,
                        rules=rules) == (240, "rpe")  # fmt: skip
    load, method = session_load(run(0, 5, minutes=40, hr=150), max_hr=190, female=False,
                                rules=rules)  # fmt: skip
    reserve = (150 - 60) / (190 - 60)
    assert method == "trimp"
    assert load == pytest.approx(40 * reserve * 0.64 * math.exp(1.92 * reserve))
    women, _ = session_load(run(0, 5, minutes=40, hr=150), max_hr=190, female=True, rules=rules)
    assert women == pytest.approx(40 * reserve * 0.86 * math.exp(1.67 * reserve))
    assert session_load(run(0, 5, minutes=40, hr=150), max_hr=None, female=False,
                        rules=rules) == (40, "duration")  # fmt: skip


def test_a_run_over_ten_percent_longer_than_the_longest_in_30_days_is_a_spike(
    rules: TrainingRules,
) -> None:
    activities = [run(0, 10), run(10, 8), run(20, 10.5), run(25, 12), run(45, 11), run(50, 13.5),
                  run(110, 5), run(111, 6)]  # fmt: skip
    loads = run_loads(activities, days_of(activities), max_hr=None, female=False, rules=rules)
    by_day = {(load.day - START).days: load for load in loads}
    assert by_day[0].spike_percent is None  # nothing before it
    assert by_day[25].spike_percent is None  # less than 30 days of history: not judged
    assert by_day[45].is_spike is False  # 11 km after 12 km
    assert by_day[50].is_spike is True  # 12.5% longer than day 25's 12 km
    assert by_day[50].spike_percent == pytest.approx(100 * (13.5 / 12 - 1))
    assert by_day[110].spike_percent is None  # the window is empty after 60 days off
    assert by_day[111].is_spike is True  # 20% over day 110's 5 km


def test_rides_are_not_runs_for_spikes_or_weekly_running(rules: TrainingRules) -> None:
    activities = [run(0, 5), run(1, 50, sport="cycling")]
    loads = run_loads(activities, days_of(activities), max_hr=None, female=False, rules=rules)
    assert loads[1].spike_percent is None
    [week] = weekly_volume(loads)
    assert (week.runs, week.distance_m) == (1, 5000)


def test_weekly_volume_and_its_change_include_empty_weeks(rules: TrainingRules) -> None:
    activities = [run(0, 10), run(2, 10), run(8, 25), run(22, 5)]
    loads = run_loads(activities, days_of(activities), max_hr=None, female=False, rules=rules)
    weeks = weekly_volume(loads)
    assert [w.distance_m for w in weeks] == [20000, 25000, 0, 5000]
    assert weeks[1].change_percent == pytest.approx(25)
    assert weeks[0].change_percent is None and weeks[3].change_percent is None


def test_fitness_fatigue_and_the_ratio_follow_the_stated_formulas(rules: TrainingRules) -> None:
    daily = {START + timedelta(days=i): 60.0 for i in range(40)}
    curves = load_curves(daily, rules)
    assert curves.fatigue[0] == pytest.approx(60 / 7)
    assert curves.fitness[0] == pytest.approx(60 / 42)
    assert curves.acute_chronic[26] is None
    assert curves.acute_chronic[27] == pytest.approx(1.0)
    assert daily_loads([]) == {}


def test_welch_interval_matches_a_hand_calculation() -> None:
    a, b = [5.0, 6.0, 7.0, 6.0, 5.0], [3.0, 4.0, 3.0, 2.0, 3.0]
    diff, low, high = welch(a, b)  # type: ignore[misc]
    assert diff == pytest.approx(2.8)
    se = math.sqrt(0.7 / 5 + 0.5 / 5)
    df = (0.7 / 5 + 0.5 / 5) ** 2 / ((0.7 / 5) ** 2 / 4 + (0.5 / 5) ** 2 / 4)
    assert df == pytest.approx(7.78, abs=0.01)
    assert low == pytest.approx(2.8 - t975(df) * se)
    assert high == pytest.approx(2.8 + t975(df) * se)
    assert welch([1.0], [2.0, 3.0]) is None


def test_pain_is_higher_after_long_runs_when_the_data_say_so(rules: TrainingRules) -> None:
    rng = random.Random(7)
    activities, pain = [], {}
    for d in range(0, 84):
        if d % 2 == 0:
            km = 18 if d % 6 == 0 else 8
            activities.append(run(d, km, minutes=km * 6))
        base = 3
        if (d - 1) % 6 == 0:  # the day after an 18 km run
            base = 6
        pain[START + timedelta(days=d)] = max(0, min(10, base + rng.choice((-1, 0, 0, 1))))
    loads = run_loads(activities, days_of(activities), max_hr=None, female=False, rules=rules)
    results = {(c.label, c.lag_days): c for c in pain_after_runs(loads, pain, rules)}
    long_next_day = results[("after long runs", 1)]
    assert long_next_day.enough
    assert long_next_day.days == 14 and long_next_day.other_days == 28
    assert long_next_day.difference == pytest.approx(3, abs=0.6)
    assert long_next_day.low is not None and long_next_day.low > 1.5
    same_day = results[("after long runs", 0)]
    assert same_day.low is not None and same_day.low < 0 < (same_day.high or 0)


def test_a_few_days_are_not_enough_data(rules: TrainingRules) -> None:
    activities = [run(0, 18), run(2, 8), run(4, 8)]
    pain = {START + timedelta(days=d): 4 for d in range(6)}
    loads = run_loads(activities, days_of(activities), max_hr=None, female=False, rules=rules)
    comparisons = pain_after_runs(loads, pain, rules)
    assert comparisons and not any(c.enough for c in comparisons)


def test_the_summary_builder_counts_moving_time_distance_and_heart_rate() -> None:
    builder = SummaryBuilder()
    t0 = 1_700_000_000.0
    for i in range(601):  # ten minutes at 3 m/s going north, then a 5-minute stop
        lat = 46.0 + (3.0 * i) / 111_195
        builder.add(t0 + i, lat, 14.0, 300.0 + (i % 2), hr=140 + i % 10, cad=170)
    for i in range(1, 301):
        builder.add(t0 + 600 + i, lat, 14.0, 300.0, hr=100)
    summary = builder.summary(sport="running")
    assert summary.elapsed_s == 900
    assert summary.moving_s == pytest.approx(600, abs=2)
    assert summary.distance_m == pytest.approx(1800, rel=0.005)
    assert summary.max_hr == 149
    assert summary.has_positions and summary.points == 901
    assert summary.start == datetime.fromtimestamp(t0, UTC)


def test_haversine_and_elevation_gain() -> None:
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)
    assert elevation_gain([100, 100, 110, 120, 120, 115, 130]) > 0
    assert elevation_gain([100.0]) == 0


def test_haversine_survives_a_latitude_past_the_pole() -> None:
    assert haversine_m(91, 0, 89, 180) >= 0
