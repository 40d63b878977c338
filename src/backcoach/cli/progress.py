"""``backcoach progress``: are you really getting better? In plain words, a sparkline,
JSON for scripts, and charts (PNG and SVG) with ``--chart``."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from backcoach.cli.errors import EXIT_OK, UserError
from backcoach.cli.render import wrap
from backcoach.domain.recovery import Progress, RecoveryRules

if TYPE_CHECKING:
    from backcoach.services.recovery import ProgressReport

SPARKS = "▁▂▃▄▅▆▇█"
SPARK_DAYS = 28


def run(args: Any, *, today: date, out: IO[str]) -> int:
    from backcoach.cli.checkin import parse_day
    from backcoach.cli.store import open_user_store
    from backcoach.content.recovery import load_recovery_rules
    from backcoach.services.recovery import NoAssessmentError, progress_report

    rules = load_recovery_rules()
    day = parse_day(args.date, today)
    store = open_user_store()
    try:
        report = progress_report(store, today=day, rules=rules)
    except NoAssessmentError as exc:
        raise UserError(str(exc)) from None
    if args.chart:
        _chart(report, rules, args.chart)
    if args.json:
        from backcoach.adapters.recovery_json import adaptation_to_dict, progress_to_dict

        data = progress_to_dict(report.progress)
        data["plan"] = {
            "starts": report.plan_starts.isoformat() if report.plan_starts else None,
            "step": report.step,
            "latest_change": adaptation_to_dict(report.adaptation) if report.adaptation else None,
        }
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write(render_progress(report.progress, rules))
    if report.adaptation is not None:
        out.write("\nYOUR PLAN THIS WEEK\n" + wrap(report.adaptation.message, "  "))
    return EXIT_OK


def _chart(report: ProgressReport, rules: RecoveryRules, path: str) -> None:
    from backcoach.adapters.charts import chart_paths, write_progress_chart

    try:
        chart_paths(path)
    except ValueError as exc:
        raise UserError(f"--chart: {exc}") from None
    try:
        written = write_progress_chart(
            report.progress, report.checkins, path, average_days=rules.average_days
        )
    except OSError as exc:
        raise UserError(f"--chart {path}: cannot write ({exc.strerror})") from None
    for file in written:
        print(f"Wrote {file}", file=sys.stderr)


def render_progress(progress: Progress, rules: RecoveryRules) -> str:
    if not progress.points:
        return "No check-ins yet. Run `backcoach checkin` once a day to see your progress.\n"
    count = progress.days_recorded
    text = f"YOUR PROGRESS (since {progress.first_day}, {count} check-in{'s' * (count != 1)})\n"
    recent = [p for p in progress.points if (progress.today - p.day).days < SPARK_DAYS]
    if recent:
        text += f"  Pain, last {SPARK_DAYS} days: {sparkline(progress, SPARK_DAYS)}  (0 to 10)\n"
    text += "\n" + wrap(verdict_text(progress, rules))
    text += scores_text(progress, rules)
    text += flare_text(progress)
    text += adherence_text(progress)
    text += sleep_text(progress, rules)
    return text


def sparkline(progress: Progress, days: int) -> str:
    """One character a day for the last ``days`` days; a blank where there is no check-in."""
    pain = {p.day: p.pain for p in progress.points}
    marks = []
    for offset in range(days - 1, -1, -1):
        day = date.fromordinal(progress.today.toordinal() - offset)
        value = pain.get(day)
        marks.append(" " if value is None else SPARKS[min(7, value * 8 // 11)])
    return "".join(marks).rstrip() or "(none)"


def number(value: float) -> str:
    """6.0 -> "6", 3.46 -> "3.5"."""
    text = f"{value:.1f}"
    return text.removesuffix(".0")


def span(days: int) -> str:
    if days >= 14:
        weeks = round(days / 7)
        return f"{weeks} weeks"
    return f"{days} days" if days != 1 else "1 day"


def verdict_text(progress: Progress, rules: RecoveryRules) -> str:
    template = rules.verdicts[progress.verdict]
    if progress.change is None or progress.first_day is None:
        return template.format(fewest=rules.fewest_days_for_average)
    return template.format(
        baseline=number(progress.change.baseline),
        current=number(progress.change.latest),
        span=span((progress.today - progress.first_day).days),
    )


def scores_text(progress: Progress, rules: RecoveryRules) -> str:
    """The weekly PEG and the monthly Roland-Morris, first score against the latest."""
    text = ""
    for name, change in (("peg", progress.peg_change), ("rmdq", progress.rmdq_change)):
        if change is None:
            continue
        key = f"{name}_better" if change.important_improvement else f"{name}_same"
        text += wrap(
            rules.verdicts[key].format(first=number(change.baseline), last=number(change.latest))
        )
    return text


def flare_text(progress: Progress) -> str:
    if not progress.flares:
        return wrap("Flare-ups: none so far.")
    parts = []
    for flare in progress.flares[-3:]:
        when = (
            f"{flare.start:%d %b}"
            if flare.start == flare.end
            else f"{flare.start:%d %b} to {flare.end:%d %b}"
        )
        parts.append(f"{when} (pain up to {flare.peak})")
    count = len(progress.flares)
    head = f"Flare-ups: {count}" + (f", the last {len(parts)}: " if count > 3 else ": ")
    return wrap(head + "; ".join(parts) + ". Flare-ups are common and usually settle.")


def adherence_text(progress: Progress) -> str:
    week, total = progress.adherence_week, progress.adherence_all
    if total.days == 0:
        return ""
    return wrap(
        f"Routine: done on {week.done} of the last {week.days} days, and on {total.done} of "
        f"{total.days} days since your first check-in."
    )


def sleep_text(progress: Progress, rules: RecoveryRules) -> str:
    sleep = progress.sleep
    if not sleep.enough_data or sleep.short_pain is None or sleep.enough_pain is None:
        return wrap(
            f"Sleep and pain: not enough nights yet ({sleep.nights} so far; we need "
            f"{rules.fewest_nights_for_sleep}, with at least 3 short and 3 longer nights)."
        )
    short = number(rules.short_sleep_hours)
    return wrap(
        f"Sleep and pain: after nights under {short} hours your pain averaged "
        f"{number(sleep.short_pain)} ({sleep.short_nights} nights); after {short} hours or "
        f"more it averaged {number(sleep.enough_pain)} ({sleep.enough_nights} nights)."
    )
