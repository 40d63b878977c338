"""Training load, spikes, and what running does to this person's back pain.

Pure Python; every date is passed in. The numbers (the 10% single-run spike over the
longest run of the previous 30 days, the load formulas, the least data worth reading)
come from ``content/data/running.yaml`` as :class:`TrainingRules`, each with its source.

Formulas (stated here because the report shows them):
- session load: perceived exertion (CR-10) x minutes when known (Foster 2001); else
  Banister's TRIMP = minutes x r x 0.64 e^(1.92 r) (0.86 e^(1.67 r) for women), with
  r = (average HR - resting HR) / (maximum HR - resting HR); else minutes.
- fitness and fatigue (context only): exponentially weighted daily load,
  x_today = x_yesterday + (load_today - x_yesterday) / tau, tau 42 and 7 days, from 0.
- acute:chronic ratio (context only): 7-day mean load / 28-day mean load (coupled);
  Frandsen 2025 found it does not predict injury in runners.
- pain after runs: mean pain on days after a run (lag 0-3 days) minus mean pain after
  rest days, with a Welch 95% confidence interval (t quantile from a small table).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Final, NamedTuple

from backcoach.domain.running import ActivitySummary, average_pace

RUNNING: Final = "running"


class TrainingRules(NamedTuple):
    spike_ratio: float  # a run longer than this x the longest of the window is a spike
    spike_window_days: int
    fewest_days_per_group: int  # fewer days than this in a comparison: not enough data
    longest_lag_days: int
    long_run_m: float  # "long run" for the pain comparison
    resting_hr: float
    fitness_days: float
    fatigue_days: float


class RunLoad(NamedTuple):
    activity: ActivitySummary
    day: date  # the local day it started
    load: float
    method: str  # "rpe", "trimp" or "duration"
    spike_percent: float | None  # how much longer than the longest of the last 30 days
    is_spike: bool


def session_load(
    activity: ActivitySummary, *, max_hr: float | None, female: bool, rules: TrainingRules
) -> tuple[float, str]:
    minutes = (activity.moving_s or activity.elapsed_s) / 60
    if activity.perceived_exertion is not None:
        return activity.perceived_exertion * minutes, "rpe"
    if activity.avg_hr is not None and max_hr is not None and max_hr > rules.resting_hr:
        reserve = (activity.avg_hr - rules.resting_hr) / (max_hr - rules.resting_hr)
        reserve = max(0.0, min(1.0, reserve))
        a, b = (0.86, 1.67) if female else (0.64, 1.92)
        return minutes * reserve * a * math.exp(b * reserve), "trimp"
    return minutes, "duration"


def run_loads(
    activities: Sequence[ActivitySummary],
    days: Sequence[date],
    *,
    max_hr: float | None,
    female: bool,
    rules: TrainingRules,
) -> list[RunLoad]:
    """Each activity's load, and for runs the single-run spike (Frandsen 2025): distance
    against the longest run in the ``spike_window_days`` before it, once the history
    reaches that far back."""
    order = sorted(range(len(activities)), key=lambda i: activities[i].start)
    loads: list[RunLoad] = []
    runs: list[tuple[date, float]] = []  # (day, distance) of earlier runs
    for i in order:
        activity, day = activities[i], days[i]
        load, method = session_load(activity, max_hr=max_hr, female=female, rules=rules)
        spike_percent = None
        if activity.sport == RUNNING and activity.distance_m:
            # Judged only with a whole window of history before the run: the first runs
            # of an imported history have no "longest run of the last 30 days" to beat.
            full_window = bool(runs) and (day - runs[0][0]).days >= rules.spike_window_days
            window = [d for when, d in runs if 0 < (day - when).days <= rules.spike_window_days]
            longest = max(window, default=0.0)
            if longest > 0 and full_window:
                spike_percent = 100 * (activity.distance_m / longest - 1)
            runs.append((day, activity.distance_m))
        is_spike = spike_percent is not None and spike_percent > 100 * (rules.spike_ratio - 1)
        loads.append(RunLoad(activity, day, load, method, spike_percent, is_spike))
    return loads


class WeekVolume(NamedTuple):
    week_start: date  # Monday
    runs: int
    distance_m: float
    seconds: float
    change_percent: float | None  # distance against the week before


def weekly_volume(loads: Iterable[RunLoad]) -> list[WeekVolume]:
    weeks: dict[date, list[RunLoad]] = {}
    for load in loads:
        if load.activity.sport != RUNNING:
            continue
        monday = load.day - timedelta(days=load.day.weekday())
        weeks.setdefault(monday, []).append(load)
    if not weeks:
        return []
    first, last = min(weeks), max(weeks)
    result: list[WeekVolume] = []
    monday = first
    while monday <= last:
        runs = weeks.get(monday, [])
        distance = sum(r.activity.distance_m or 0.0 for r in runs)
        before = result[-1].distance_m if result else None
        change = 100 * (distance / before - 1) if before else None
        seconds = sum(r.activity.elapsed_s for r in runs)
        result.append(WeekVolume(monday, len(runs), distance, seconds, change))
        monday += timedelta(days=7)
    return result


def daily_loads(loads: Iterable[RunLoad]) -> dict[date, float]:
    days: dict[date, float] = {}
    for load in loads:
        days[load.day] = days.get(load.day, 0.0) + load.load
    return days


class LoadCurves(NamedTuple):
    days: tuple[date, ...]
    fitness: tuple[float, ...]
    fatigue: tuple[float, ...]
    acute_chronic: tuple[float | None, ...]  # None until 28 days of history


def load_curves(daily: Mapping[date, float], rules: TrainingRules) -> LoadCurves:
    if not daily:
        return LoadCurves((), (), (), ())
    first, last = min(daily), max(daily)
    days, fitness, fatigue, ratio = [], [], [], []
    ctl = atl = 0.0
    history: list[float] = []
    day = first
    while day <= last:
        load = daily.get(day, 0.0)
        ctl += (load - ctl) / rules.fitness_days
        atl += (load - atl) / rules.fatigue_days
        history.append(load)
        days.append(day)
        fitness.append(ctl)
        fatigue.append(atl)
        chronic = sum(history[-28:]) / 28
        ratio.append(sum(history[-7:]) / 7 / chronic if len(history) >= 28 and chronic else None)
        day += timedelta(days=1)
    return LoadCurves(tuple(days), tuple(fitness), tuple(fatigue), tuple(ratio))


# --- pain after running -------------------------------------------------------------------


class Comparison(NamedTuple):
    """Mean pain in one group of days minus another, with its 95% confidence interval."""

    label: str  # e.g. "after runs", "after long runs"
    against: str  # e.g. "after rest days"
    lag_days: int
    days: int  # days in the group
    other_days: int
    difference: float | None  # None: not enough data
    low: float | None
    high: float | None

    @property
    def enough(self) -> bool:
        return self.difference is not None

    @property
    def clear(self) -> bool:
        """Whether the 95% confidence interval leaves out no difference at all."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


# Two-sided 97.5% quantiles of Student's t by degrees of freedom (1-30), then 1.96.
_T975: Final = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t975(df: float) -> float:
    if df < 1:
        return _T975[0]
    if df > len(_T975):
        return 1.96 + 2.4 / df  # within 0.01 of the exact quantile beyond 30
    return _T975[int(df) - 1]


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float] | None:
    """Difference of means (a - b) and its 95% CI; None when a group has fewer than 2."""
    if len(a) < 2 or len(b) < 2:
        return None
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((x - ma) ** 2 for x in a) / (len(a) - 1)
    vb = sum((x - mb) ** 2 for x in b) / (len(b) - 1)
    se2 = va / len(a) + vb / len(b)
    diff = ma - mb
    if se2 == 0:
        return diff, diff, diff
    df = se2**2 / ((va / len(a)) ** 2 / (len(a) - 1) + (vb / len(b)) ** 2 / (len(b) - 1))
    half = t975(df) * math.sqrt(se2)
    return diff, diff - half, diff + half


def compare(
    label: str,
    against: str,
    lag: int,
    group: Sequence[float],
    other: Sequence[float],
    rules: TrainingRules,
) -> Comparison:
    result = None
    if min(len(group), len(other)) >= rules.fewest_days_per_group:
        result = welch(group, other)
    diff, low, high = result if result else (None, None, None)
    return Comparison(label, against, lag, len(group), len(other), diff, low, high)


def pain_after_runs(
    loads: Sequence[RunLoad],
    pain: Mapping[date, int],
    rules: TrainingRules,
) -> list[Comparison]:
    """Pain on the days after runs against days after rest, and after long, hilly, fast and
    spike runs against the other runs, for each lag from 0 to ``longest_lag_days``."""
    runs_by_day: dict[date, list[RunLoad]] = {}
    for load in loads:
        if load.activity.sport == RUNNING:
            runs_by_day.setdefault(load.day, []).append(load)
    if not runs_by_day or not pain:
        return []
    first = min(min(runs_by_day), min(pain))
    last = max(pain)
    gains = sorted(r.activity.elevation_gain_m or 0.0 for rs in runs_by_day.values() for r in rs)
    paces = sorted(p for rs in runs_by_day.values() for r in rs if (p := _pace(r)) is not None)
    hilly = gains[len(gains) * 2 // 3] if gains else 0.0  # the top third of climbs
    fast = paces[len(paces) // 3] if paces else None  # the fastest third (seconds per km)

    def long(r: RunLoad) -> bool:
        return (r.activity.distance_m or 0.0) >= rules.long_run_m

    def steep(r: RunLoad) -> bool:
        return (r.activity.elevation_gain_m or 0.0) > hilly > 0

    def quick(r: RunLoad) -> bool:
        pace = _pace(r)
        return fast is not None and pace is not None and pace <= fast

    def spike(r: RunLoad) -> bool:
        return r.is_spike

    tests: list[tuple[str, Callable[[RunLoad], bool]]] = [
        ("after long runs", long),
        ("after hilly runs", steep),
        ("after fast runs", quick),
        ("after spike runs", spike),
    ]
    results = []
    for lag in range(rules.longest_lag_days + 1):
        after_run: list[float] = []
        after_rest: list[float] = []
        day = first
        while day <= last:
            target = day + timedelta(days=lag)
            if target in pain:
                (after_run if day in runs_by_day else after_rest).append(float(pain[target]))
            day += timedelta(days=1)
        results.append(compare("after runs", "after rest days", lag, after_run, after_rest, rules))
        for label, chosen in tests:
            yes: list[float] = []
            no: list[float] = []
            for run_day, runs in runs_by_day.items():
                target = run_day + timedelta(days=lag)
                if target in pain:
                    (yes if any(chosen(r) for r in runs) else no).append(float(pain[target]))
            results.append(compare(label, "after other runs", lag, yes, no, rules))
    return results


def _pace(load: RunLoad) -> float | None:
    """The run's pace, for runs of 500 m or more (shorter ones say little about speed)."""
    a = load.activity
    return average_pace(a) if a.distance_m and a.distance_m >= 500 else None
