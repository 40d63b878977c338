"""Running use cases: import a runner's history, and relate it to their check-ins.

Import runs file by file, each in its own transaction: a bad file is reported with its
reason and the import carries on; the same activity imported twice is recognised, not
duplicated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from backcoach.domain.recovery import pain_by_day
from backcoach.domain.running import (
    ActivityFileError,
    ActivitySummary,
    NotAnActivityError,
    average_pace,
)
from backcoach.domain.training import (
    Comparison,
    LoadCurves,
    RunLoad,
    TrainingRules,
    WeekVolume,
    daily_loads,
    load_curves,
    pain_after_runs,
    run_loads,
    weekly_volume,
)
from backcoach.storage.store import Store

Progress = Callable[[int, int, str], None]  # done, total (0 if unknown), current file


class FileProblem(NamedTuple):
    file: str
    reason: str


class ImportReport(NamedTuple):
    imported: int
    duplicates: int
    truncated: tuple[str, ...]  # files imported from their valid part only
    skipped: tuple[FileProblem, ...]  # not activities (a monitoring file, a zip member)
    errors: tuple[FileProblem, ...]  # could not be read


class Item(NamedTuple):
    """One thing to import: an activity summary, or the reason there is none."""

    source: str
    summary: ActivitySummary | None
    problem: ActivityFileError | None


def import_activities(
    store: Store, paths: Sequence[Path], *, now: datetime, progress: Progress | None = None
) -> ImportReport:
    items = list(_plan(paths))
    imported = duplicates = 0
    truncated: list[str] = []
    skipped: list[FileProblem] = []
    errors: list[FileProblem] = []
    for done, (source, make) in enumerate(items, start=1):
        if progress is not None:
            progress(done - 1, len(items), source)
        item = make()
        if item.problem is not None:
            bucket = skipped if isinstance(item.problem, NotAnActivityError) else errors
            bucket.append(FileProblem(item.source, str(item.problem)))
            continue
        assert item.summary is not None
        if store.add_activity(item.summary, item.source, now) is None:
            duplicates += 1
            continue
        imported += 1
        if item.summary.truncated:
            truncated.append(item.source)
    if progress is not None:
        progress(len(items), len(items), "")
    return ImportReport(imported, duplicates, tuple(truncated), tuple(skipped), tuple(errors))


def _plan(paths: Sequence[Path]) -> Iterator[tuple[str, Callable[[], Item]]]:
    """What to import, lazily: each entry parses its file only when called, so the whole
    history is never held in memory."""
    from backcoach.adapters.activities.files import iter_activity_paths
    from backcoach.adapters.activities.strava import is_strava_export

    loose: list[Path] = []
    for path in paths:
        if not path.exists():
            yield str(path), _missing(path)
        elif is_strava_export(path):
            yield from _strava(path)
        else:
            loose.append(path)
    for file in iter_activity_paths(loose):
        yield str(file), _file(file)


def _missing(path: Path) -> Callable[[], Item]:
    return _failed(path, ActivityFileError("no such file or folder"))


def _failed(path: Path, error: ActivityFileError) -> Callable[[], Item]:
    return lambda: Item(str(path), None, error)


def _file(path: Path) -> Callable[[], Item]:
    def read() -> Item:
        from backcoach.adapters.activities.files import read_activity_path

        return _item(str(path), lambda: read_activity_path(path))

    return read


def _strava(path: Path) -> Iterator[tuple[str, Callable[[], Item]]]:
    from backcoach.adapters.activities.strava import strava_entries

    try:  # an export whose activities.csv cannot be read is one bad item, not the end
        entries = list(strava_entries(path))
    except ActivityFileError as exc:
        yield str(path), _failed(path, exc)
        return
    for source, read in entries:
        yield source, (lambda source=source, read=read: _item(source, read))  # type: ignore[misc]


def _item(source: str, read: Callable[[], ActivitySummary]) -> Item:
    try:
        return Item(source, read(), None)
    except ActivityFileError as exc:
        return Item(source, None, exc)


# --- the report -----------------------------------------------------------------------------


class RunningReport(NamedTuple):
    loads: list[RunLoad]
    weeks: list[WeekVolume]
    curves: LoadCurves
    comparisons: list[Comparison]
    pain: dict[date, int]


def running_report(
    store: Store,
    *,
    rules: TrainingRules,
    tz: tzinfo,
    max_hr: float | None = None,
    female: bool = False,
) -> RunningReport:
    with store.atomic("reading"):
        activities = [a for _, a, _ in store.activities()]
        checkins = store.progress_checkins()
    days = [a.start.astimezone(tz).date() for a in activities]
    if max_hr is None:
        seen = [a.max_hr for a in activities if a.max_hr]
        max_hr = float(max(seen)) if seen else None
    loads = run_loads(activities, days, max_hr=max_hr, female=female, rules=rules)
    pain = pain_by_day(checkins)
    return RunningReport(
        loads=loads,
        weeks=weekly_volume(loads),
        curves=load_curves(daily_loads(loads), rules),
        comparisons=pain_after_runs(loads, pain, rules),
        pain=pain,
    )


def activity_to_dict(activity_id: int, activity: ActivitySummary, source: str) -> dict[str, Any]:
    return {
        "id": activity_id,
        "sport": activity.sport,
        "start": activity.start.isoformat(),
        "elapsed_s": round(activity.elapsed_s, 3),
        "moving_s": round(activity.moving_s, 3),
        "distance_m": _round(activity.distance_m),
        "elevation_gain_m": _round(activity.elevation_gain_m),
        "avg_pace_s_per_km": _round(average_pace(activity)),
        "avg_hr": _round(activity.avg_hr),
        "max_hr": activity.max_hr,
        "avg_cadence": _round(activity.avg_cadence),
        "perceived_exertion": activity.perceived_exertion,
        "device": activity.device,
        "name": activity.name,
        "points": activity.points,
        "has_positions": activity.has_positions,
        "truncated": activity.truncated,
        "source_file": source,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
