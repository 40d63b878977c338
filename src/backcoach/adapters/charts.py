"""Progress charts for ``backcoach progress --chart FILE``: a PNG, an SVG, or both.

One figure, two panels:

- top, "Your pain, day by day": each check-in's pain (0-10) as small points on a thin line,
  the average over the last days (:attr:`DayPoint.average`) as a thick line, flare-up days
  as red dots over the pain points (their flare-ups lightly shaded), and the days the
  routine was done as small green triangles along the bottom;
- bottom, "Sleep and pain the next day": one dot per check-in with sleep hours, the hours
  slept the night before (x) against that day's pain (y).

Drawn with matplotlib's Agg canvas on a :class:`~matplotlib.figure.Figure` (no pyplot and
its global figures); matplotlib is imported only when a chart is drawn, so the command line
starts fast. The SVG is deterministic (``svg.hashsalt`` fixed, no date in its metadata), so
drawing the same progress twice gives the same bytes, and every marked day is its own
element with an id: ``flare-YYYY-MM-DD``, ``routine-YYYY-MM-DD``, ``sleep-YYYY-MM-DD``, and
``pain-average`` for the average line. Files are written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from backcoach.adapters.paths import write_atomically
from backcoach.domain.recovery import CheckIn, DayPoint, Progress
from backcoach.domain.training import RunLoad, WeekVolume

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SUFFIXES: Final = (".png", ".svg")
FIGSIZE: Final = (10.0, 8.0)  # inches; at DPI, 1000 x 800 pixels
DPI: Final = 100
SVG_HASHSALT: Final = "backcoach-progress-chart"
SHORTEST_SPAN_DAYS: Final = 7  # the pain panel shows at least a week
MOST_TICKS: Final = 10  # day labels along the pain panel, at most
CROWDED_DAYS: Final = 120  # more check-ins than this get smaller markers

PAIN_COLOUR: Final = "#7f8fa6"
AVERAGE_COLOUR: Final = "#1f4e8c"
ROUTINE_COLOUR: Final = "#2ca02c"
FLARE_COLOUR: Final = "#d62728"
FLARE_SHADE: Final = "#fbe4e4"
SLEEP_COLOUR: Final = "#6a3d9a"
NOTE_COLOUR: Final = "#555555"

ROUTINE_Y: Final = -0.7  # where the routine markers sit, below pain 0
PAIN_LIMITS: Final = (-1.2, 10.6)


def chart_paths(path: str) -> list[Path]:
    """The files ``--chart path`` writes: ``FILE.png`` -> [FILE.png]; ``FILE.svg`` ->
    [FILE.svg]; a path without a suffix -> [FILE.png, FILE.svg]. ValueError for any other
    suffix, naming the allowed ones."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix in SUFFIXES:
        return [file]
    if not suffix:
        return [file.with_name(file.name + s) for s in SUFFIXES]
    raise ValueError(
        f"the chart file must end in {' or '.join(SUFFIXES)}, or have no suffix for both "
        f"(got {file.suffix!r})"
    )


def write_progress_chart(
    progress: Progress,
    checkins: Sequence[CheckIn],
    path: str,
    *,
    average_days: int = 7,
) -> list[Path]:
    """Draw the progress chart and write it to the file(s) :func:`chart_paths` names;
    return the paths written. ``checkins`` give the sleep hours (those after
    ``progress.today`` are left out); ``average_days`` names the average in the legend.
    ValueError for a bad suffix, OSError when a file cannot be written."""
    paths = chart_paths(path)
    figure = _figure(progress, checkins, average_days)
    for file in paths:
        write_atomically(file, _render(figure, file.suffix.lower().lstrip(".")))
    return paths


def _render(figure: Figure, fmt: str) -> bytes:
    import matplotlib

    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "path"}):
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def _figure(progress: Progress, checkins: Sequence[CheckIn], average_days: int) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    pain_axes, sleep_axes = figure.subplots(2, 1, height_ratios=(3, 2))
    points = _one_per_day(progress.points)
    if not points:
        title = "Your recovery"
    elif points[0].day == progress.today:
        title = f"Your recovery: {_day_text(progress.today)}"
    else:
        title = f"Your recovery from {_day_text(points[0].day)} to {_day_text(progress.today)}"
    figure.suptitle(title, fontsize=16, fontweight="bold")
    _pain_panel(pain_axes, progress, points, average_days)
    _sleep_panel(sleep_axes, progress, checkins)
    return figure


def _one_per_day(points: Sequence[DayPoint]) -> list[DayPoint]:
    """The points by day, the last one of a day winning (as in the progress's pain)."""
    return sorted({p.day: p for p in points}.values(), key=lambda p: p.day)


def _day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _day_ticks(first: date, last: date) -> list[tuple[date, str]]:
    """Where to label the days from ``first`` to ``last``: every day, every few days or every
    week counting back from ``last`` (so the last day is always labelled), or the first of
    every month or few months for long spans."""
    span = (last - first).days + 1
    step = next((s for s in (1, 2, 3, 7, 14) if span <= s * MOST_TICKS), None)
    if step is not None:
        days = [last - timedelta(days=n * step) for n in range(span // step + 1)]
        return [(d, f"{d.day} {d:%b}") for d in reversed(days) if d >= first]
    months = []
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    every = -(-len(months) // MOST_TICKS)
    shown = months[::every]
    return [
        (m, f"{m:%b %Y}" if i == 0 or m.month <= every else f"{m:%b}") for i, m in enumerate(shown)
    ]


def _pain_panel(
    axes: Axes, progress: Progress, points: Sequence[DayPoint], average_days: int
) -> None:
    axes.set_title("Your pain, day by day", fontsize=13, loc="left")
    axes.set_ylabel("Pain (0 = none, 10 = worst)", fontsize=11)
    axes.set_ylim(*PAIN_LIMITS)
    axes.set_yticks([ROUTINE_Y, *range(11)], ["routine", *map(str, range(11))])
    axes.get_yticklabels()[0].set_color(ROUTINE_COLOUR)
    axes.grid(axis="y", color="#e3e3e3", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.axhline(-0.35, color="#bbbbbb", linewidth=0.6)

    last = progress.today
    first = last - timedelta(days=SHORTEST_SPAN_DAYS - 1)
    if points:
        first = min(first, points[0].day)
    axes.set_xlim(first.toordinal() - 0.5, last.toordinal() + 0.5)
    ticks = _day_ticks(first, last)
    axes.set_xticks([d.toordinal() for d, _ in ticks], [label for _, label in ticks])

    if not points:
        _note(axes, "No check-ins yet.\nRun `backcoach checkin` once a day to see your pain here.")
        return

    scale = 1.0 if len(points) <= CROWDED_DAYS else 0.7  # smaller markers for many days
    for flare in progress.flares:
        axes.axvspan(
            flare.start.toordinal() - 0.5,
            flare.end.toordinal() + 0.5,
            color=FLARE_SHADE,
            linewidth=0,
            zorder=0,
        )

    days = [p.day.toordinal() for p in points]
    axes.plot(
        days,
        [p.pain for p in points],
        color=PAIN_COLOUR,
        linewidth=1,
        marker="o",
        markersize=4,
        label="Daily pain",
        zorder=2,
    )
    averaged = [(d, p.average) for d, p in zip(days, points, strict=True) if p.average is not None]
    if averaged:
        axes.plot(
            [d for d, _ in averaged],
            [a for _, a in averaged],
            color=AVERAGE_COLOUR,
            linewidth=3.5,
            solid_capstyle="round",
            label=f"{average_days}-day average",
            gid="pain-average",
            zorder=3,
        )
    flare_label = "Flare-up day"
    routine_label = "Routine done"
    for day, point in zip(days, points, strict=True):
        if point.flare:
            axes.plot(
                [day],
                [point.pain],
                linestyle="none",
                marker="o",
                markersize=9 * scale,
                color=FLARE_COLOUR,
                label=flare_label,
                gid=f"flare-{point.day.isoformat()}",
                zorder=4,
            )
            flare_label = "_nolegend_"
        if point.routine_done:
            axes.plot(
                [day],
                [ROUTINE_Y],
                linestyle="none",
                marker="^",
                markersize=7 * scale,
                color=ROUTINE_COLOUR,
                label=routine_label,
                gid=f"routine-{point.day.isoformat()}",
                zorder=4,
            )
            routine_label = "_nolegend_"
    axes.legend(
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=4,
        frameon=False,
        fontsize=10,
        columnspacing=1.5,
        borderaxespad=0.2,
    )


def _sleep_panel(axes: Axes, progress: Progress, checkins: Sequence[CheckIn]) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_title("Sleep and pain the next day", fontsize=13, loc="left")
    axes.set_xlabel("Sleep the night before (hours)", fontsize=11)
    axes.set_ylabel("Pain next day (0-10)", fontsize=11)
    axes.set_ylim(-0.5, 10.5)
    axes.set_yticks(range(0, 11, 2))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(color="#e3e3e3", linewidth=0.8)
    axes.set_axisbelow(True)

    nights = {
        c.day: (c.sleep_hours, c.pain)
        for c in sorted(checkins, key=lambda c: c.day)
        if c.day <= progress.today and c.sleep_hours is not None
    }
    if not nights:
        axes.set_xlim(0, 12)
        _note(axes, "No sleep recorded yet.\nAdd last night's hours at your daily check-in.")
        return
    hours = [h for h, _ in nights.values()]
    axes.set_xlim(max(0.0, min(hours) - 1), min(24.0, max(hours) + 1))
    for day, (slept, pain) in sorted(nights.items()):
        axes.plot(
            [slept],
            [pain],
            linestyle="none",
            marker="o",
            markersize=8,
            color=SLEEP_COLOUR,
            alpha=0.6,
            markeredgewidth=0,
            gid=f"sleep-{day.isoformat()}",
        )
    if not progress.sleep.enough_data:
        _note(
            axes,
            "Too few nights yet to tell whether sleep and pain go together.",
            y=0.93,
            size=10,
        )


def _note(axes: Axes, text: str, *, y: float = 0.5, size: float = 13) -> None:
    axes.text(
        0.5,
        y,
        text,
        transform=axes.transAxes,
        ha="center",
        va="center",
        fontsize=size,
        color=NOTE_COLOUR,
        linespacing=1.6,
    )


# --- running: weekly distance with pain on the same time axis -----------------------------


def write_running_chart(
    weeks: Sequence[WeekVolume],
    loads: Sequence[RunLoad],
    pain: Mapping[date, int],
    path: str,
) -> list[Path]:
    """Weekly running distance (bars) with weekly average pain (line) on one time axis,
    spike runs marked. SVG ids: ``week-YYYY-MM-DD`` per bar, ``spike-YYYY-MM-DD`` per spike
    run, ``pain-weekly`` for the pain line."""
    paths = chart_paths(path)
    figure = _running_figure(weeks, loads, pain)
    for file in paths:
        write_atomically(file, _render(figure, file.suffix.lower().lstrip(".")))
    return paths


def _running_figure(
    weeks: Sequence[WeekVolume], loads: Sequence[RunLoad], pain: Mapping[date, int]
) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10.0, 5.0), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    figure.suptitle("Your running and your back", fontsize=16, fontweight="bold")
    if not weeks:
        _note(axes, "No runs yet")
        return figure
    first = weeks[0].week_start
    x_of = {w.week_start: (w.week_start - first).days for w in weeks}
    for week in weeks:
        bar = axes.bar(x_of[week.week_start] + 3.5, week.distance_m / 1000, width=6,
                       color="#9ecae1", label="_")  # fmt: skip
        bar.patches[0].set_gid(f"week-{week.week_start.isoformat()}")
    axes.set_ylabel("Running per week (km)")
    spikes = [r for r in loads if r.is_spike]
    for r in spikes:
        (marker,) = axes.plot(
            [(r.day - first).days], [(r.activity.distance_m or 0) / 1000],
            marker="v", color="#d62728", markersize=9, linestyle="none",
        )  # fmt: skip
        marker.set_gid(f"spike-{r.day.isoformat()}")
    pain_axes = axes.twinx()
    weekly_pain = []
    for week in weeks:
        values = [pain[d] for d in pain if week.week_start <= d < week.week_start + timedelta(7)]
        if values:
            weekly_pain.append((x_of[week.week_start] + 3.5, sum(values) / len(values)))
    if weekly_pain:
        (line,) = pain_axes.plot(
            [x for x, _ in weekly_pain], [p for _, p in weekly_pain],
            color="#e6550d", linewidth=2.5, marker="o",
        )  # fmt: skip
        line.set_gid("pain-weekly")
    pain_axes.set_ylim(0, 10)
    pain_axes.set_ylabel("Average pain that week (0-10)")
    last = weeks[-1].week_start + timedelta(days=6)
    ticks = _day_ticks(first, last)
    axes.set_xticks([(d - first).days for d, _ in ticks], [label for _, label in ticks])
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color="#9ecae1", label="km run that week")]
    if weekly_pain:
        handles.append(Line2D([], [], color="#e6550d", marker="o", label="average pain"))
    if spikes:
        handles.append(
            Line2D([], [], color="#d62728", marker="v", linestyle="none",
                   label="spike: a run over 10% longer than the longest in 30 days")
        )  # fmt: skip
    axes.legend(handles=handles, loc="upper left", fontsize=9)
    return figure
