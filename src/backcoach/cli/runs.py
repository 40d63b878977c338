"""``backcoach runs``: import a runner's history, list it, and report what it does to
their back."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from backcoach.cli.errors import EXIT_OK, UserError
from backcoach.cli.render import wrap

if TYPE_CHECKING:
    from backcoach.domain.training import Comparison, TrainingRules

BAR_WIDTH = 30


def formulas(rules: TrainingRules) -> dict[str, str]:
    """How each figure is worked out, with the thresholds of ``content/data/running.yaml``."""
    spike = f"{100 * (rules.spike_ratio - 1):.0f}%"
    return {
        "session_load": "perceived exertion (0-10) x minutes when known (Foster 2001); else "
        "Banister TRIMP = minutes x r x 0.64 e^(1.92 r), women 0.86 e^(1.67 r), "
        "r = (average HR - resting HR) / (maximum HR - resting HR); else minutes",
        "spike": f"a run more than {spike} longer than the longest run in the previous "
        f"{rules.spike_window_days} days (Frandsen 2025)",
        "fitness_fatigue": "x_today = x_yesterday + (load_today - x_yesterday) / tau, tau "
        f"{rules.fitness_days:g} days (fitness) and {rules.fatigue_days:g} days (fatigue), "
        "from 0; context only",
        "acute_chronic": "mean daily load of the last 7 days / of the last 28 days; context "
        "only, it did not predict injury in runners (Frandsen 2025)",
        "pain_after_runs": f"mean pain 0-{rules.longest_lag_days} days after the runs in a "
        "group minus mean pain after the comparison days, Welch 95% confidence interval; "
        f"shown from {rules.fewest_days_per_group} days in each group",
    }


def import_(paths: list[str], *, as_json: bool, out: IO[str]) -> int:
    from backcoach.cli import clock
    from backcoach.cli.store import open_user_store
    from backcoach.services.running import import_activities

    store = open_user_store()
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    report = import_activities(
        store, [Path(p) for p in paths], now=clock.now(), progress=bar.show if bar else None
    )
    if bar is not None:
        bar.close()
    if as_json:
        data = {
            "imported": report.imported,
            "duplicates": report.duplicates,
            "truncated": list(report.truncated),
            "skipped": [{"file": p.file, "reason": p.reason} for p in report.skipped],
            "errors": [{"file": p.file, "reason": p.reason} for p in report.errors],
        }
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(import_summary(report))
    return EXIT_OK if report.imported or report.duplicates or not report.errors else 1


def import_summary(report: Any) -> str:
    text = f"Imported {report.imported} activities"
    text += f" ({report.duplicates} already there)" if report.duplicates else ""
    text += ".\n"
    for file in report.truncated:
        text += wrap(f"{file}: the file breaks off; imported the part before the break.")
    if report.skipped:
        text += f"Skipped {len(report.skipped)}:\n"
        text += "".join(wrap(f"{p.file}: {p.reason}", "  ") for p in report.skipped)
    if report.errors:
        text += f"Could not read {len(report.errors)}:\n"
        text += "".join(wrap(f"{p.file}: {p.reason}", "  ") for p in report.errors)
    return text


class ProgressBar:
    """One line on a terminal, redrawn in place: [#####-----] 120/1000 file."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def show(self, done: int, total: int, current: str) -> None:
        filled = BAR_WIDTH * done // total if total else 0
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        name = current[-40:]
        self.stream.write(f"\r[{bar}] {done}/{total} {name:<40}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def list_(*, as_json: bool, out: IO[str]) -> int:
    from backcoach.cli.store import open_user_store
    from backcoach.domain.running import average_pace
    from backcoach.services.running import activity_to_dict

    rows = open_user_store().activities()
    if as_json:
        data = [activity_to_dict(i, a, source) for i, a, source in rows]
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    if not rows:
        out.write("No activities yet. Import them with: backcoach runs import PATH\n")
        return EXIT_OK
    for _, a, _ in rows:
        km = f"{a.distance_m / 1000:6.2f} km" if a.distance_m is not None else "      - km"
        minutes = f"{a.elapsed_s / 60:5.0f} min"
        hr = f"  HR {a.avg_hr:.0f}" if a.avg_hr else ""
        pace = average_pace(a)
        per_km = f"  {int(pace // 60)}:{int(pace % 60):02d}/km" if pace and pace < 3600 else ""
        out.write(f"{a.start:%Y-%m-%d %H:%M}  {a.sport:<10} {km} {minutes}{per_km}{hr}\n")
    return EXIT_OK


def report(*, as_json: bool, chart: str | None, out: IO[str]) -> int:

    from backcoach.cli.store import open_user_store
    from backcoach.content.running import load_training_rules
    from backcoach.services.running import running_report

    rules = load_training_rules()
    from backcoach.cli.clock import local_timezone

    tz = local_timezone()
    result = running_report(open_user_store(), rules=rules, tz=tz)
    if chart:
        from backcoach.adapters.charts import chart_paths, write_running_chart

        try:
            chart_paths(chart)
        except ValueError as exc:
            raise UserError(f"--chart: {exc}") from None
        for file in write_running_chart(result.weeks, result.loads, result.pain, chart):
            print(f"Wrote {file}", file=sys.stderr)
    if as_json:
        out.write(json.dumps(report_to_dict(result, rules), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write(render_report(result, rules))
    return EXIT_OK


def report_to_dict(result: Any, rules: TrainingRules) -> dict[str, Any]:
    return {
        "runs": [
            {
                "day": r.day.isoformat(),
                "sport": r.activity.sport,
                "distance_m": r.activity.distance_m,
                "load": round(r.load, 1),
                "load_method": r.method,
                "spike_percent": None if r.spike_percent is None else round(r.spike_percent, 1),
                "spike": r.is_spike,
            }
            for r in result.loads
        ],
        "weeks": [
            {
                "week_start": w.week_start.isoformat(),
                "runs": w.runs,
                "distance_m": round(w.distance_m, 1),
                "change_percent": None if w.change_percent is None else round(w.change_percent, 1),
            }
            for w in result.weeks
        ],
        "pain_after_runs": [
            {
                "group": c.label,
                "against": c.against,
                "lag_days": c.lag_days,
                "days": c.days,
                "other_days": c.other_days,
                "difference": None if c.difference is None else round(c.difference, 2),
                "ci95": None if c.low is None else [round(c.low, 2), round(c.high, 2)],
            }
            for c in result.comparisons
        ],
        "formulas": formulas(rules),
        "context": {
            "note": "fitness, fatigue and the acute:chronic ratio are shown for context only; "
            "the ratio did not predict injury in runners (Frandsen 2025)",
            "fitness": round(result.curves.fitness[-1], 1) if result.curves.fitness else None,
            "fatigue": round(result.curves.fatigue[-1], 1) if result.curves.fatigue else None,
            "acute_chronic": _last_ratio(result.curves.acute_chronic),
        },
    }


def _last_ratio(values: tuple[float | None, ...]) -> float | None:
    last = values[-1] if values else None
    return None if last is None else round(last, 2)


def render_report(result: Any, rules: Any) -> str:
    runs = [r for r in result.loads if r.activity.sport == "running"]
    if not runs:
        return "No runs yet. Import them with: backcoach runs import PATH\n"
    first, last = runs[0].day, runs[-1].day
    text = f"YOUR RUNNING ({len(runs)} runs, {first:%d %b %Y} to {last:%d %b %Y})\n"
    if result.weeks:
        week = result.weeks[-1]
        change = (
            f" ({week.change_percent:+.0f}% on the week before)"
            if week.change_percent is not None
            else ""
        )
        text += wrap(
            f"Last week with runs (from {week.week_start:%d %b}): {week.distance_m / 1000:.1f} km "
            f"in {week.runs} run{'s' * (week.runs != 1)}{change}."
        )
    spikes = [r for r in runs if r.is_spike]
    if spikes:
        shown = "; ".join(
            f"{r.day:%d %b %Y} ({(r.activity.distance_m or 0) / 1000:.1f} km, "
            f"{r.spike_percent:+.0f}%)"
            for r in spikes[-5:]
        )
        text += wrap(
            f"Spikes: {len(spikes)} runs were more than {100 * (rules.spike_ratio - 1):.0f}% "
            f"longer than your longest run in the {rules.spike_window_days} days before "
            f"(the best current evidence links these to injury: Frandsen 2025). Latest: {shown}."
        )
    text += "\nPAIN AND RUNNING\n"
    if not result.pain:
        text += wrap("No check-ins yet: run `backcoach checkin` daily to see this.", "  ")
    else:
        for comparison in result.comparisons:
            if comparison.lag_days == 1 or comparison.clear:
                text += wrap(comparison_text(comparison, rules), "  ")
    methods: dict[str, int] = {}
    for r in runs:
        methods[r.method] = methods.get(r.method, 0) + 1
    names = {
        "rpe": "how hard it felt x minutes",
        "trimp": "heart rate (TRIMP)",
        "duration": "minutes",
    }
    text += "\n" + wrap(
        "Load of each run from: "
        + ", ".join(f"{names[m]} for {n}" for m, n in sorted(methods.items()))
        + "."
    )
    if result.curves.acute_chronic and result.curves.acute_chronic[-1] is not None:
        text += wrap(
            f"For context only: acute:chronic load ratio {result.curves.acute_chronic[-1]:.2f} "
            "(7-day over 28-day load). It did not predict injury in runners (Frandsen 2025)."
        )
    text += "\nHOW THESE ARE WORKED OUT\n"
    text += "".join(
        wrap(f"{name.replace('_', ' ')}: {how}.", "  ") for name, how in formulas(rules).items()
    )
    return text


def comparison_text(c: Comparison, rules: TrainingRules) -> str:
    when = {0: "On the days of", 1: "On the days after"}.get(c.lag_days, f"{c.lag_days} days after")
    group = c.label.removeprefix("after ")
    if c.difference is None:  # not enough data
        return (
            f"{when} {group}: not enough data yet ({c.days} and {c.other_days} days; we need "
            f"at least {rules.fewest_days_per_group} of each)."
        )
    direction = "higher" if c.difference >= 0 else "lower"
    other = c.against.removeprefix("after ")
    return (
        f"{when} {group} ({c.days} days) your pain was {abs(c.difference):.1f} points "
        f"{direction} (95% CI {c.low:.1f} to {c.high:.1f}) than after {other}."
    )
