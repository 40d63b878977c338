"""Synthetic Strava bulk exports for the import tests and the benchmark.

:func:`write_export` writes an export folder (and, if asked, the zip Strava sends) with a
seeded random history: runs, walks, hikes and rides recorded as GPX and TCX (some gzipped,
TCX with Strava's blank space before ``<?xml``), FIT when ``tests/fit_writer.py`` is there,
manual activities with no file, and an ``activities.csv`` in English or German with the
duplicated columns filled as Strava does (the first "Distance" in km, the second in
metres). It returns a :class:`Manifest` of what a reader should find.

:func:`write_benchmark_export` writes the "1,000 one-hour runs at 1 Hz" export quickly: a
few routes are formatted once and only the times change from run to run.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import math
import random
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backcoach.adapters.activities.strava import GERMAN_HEADERS
from backcoach.domain.running import SummaryBuilder, haversine_m

# activities.csv, English, in Strava's order (shared/research/software.md section 4); kept
# apart from the reader's own list so that the tests check one against the other.
ENGLISH_HEADERS: tuple[str, ...] = (
    "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
    "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute",
    "Activity Private Note", "Activity Gear", "Filename", "Athlete Weight", "Bike Weight",
    "Elapsed Time", "Moving Time", "Distance", "Max Speed", "Average Speed", "Elevation Gain",
    "Elevation Loss", "Elevation Low", "Elevation High", "Max Grade", "Average Grade",
    "Average Positive Grade", "Average Negative Grade", "Max Cadence", "Average Cadence",
    "Max Heart Rate", "Average Heart Rate", "Max Watts", "Average Watts", "Calories",
    "Max Temperature", "Average Temperature", "Relative Effort", "Total Work",
    "Number of Runs", "Uphill Time", "Downhill Time", "Other Time", "Perceived Exertion",
    "Type", "Start Time", "Weighted Average Power", "Power Count", "Prefer Perceived Exertion",
    "Perceived Relative Effort", "Commute", "Total Weight Lifted", "From Upload",
    "Grade Adjusted Distance", "Weather Observation Time", "Weather Condition",
    "Weather Temperature", "Apparent Temperature", "Dewpoint", "Humidity", "Weather Pressure",
    "Wind Speed", "Wind Gust", "Wind Bearing", "Precipitation Intensity", "Sunrise Time",
    "Sunset Time", "Moon Phase", "Bike", "Gear", "Precipitation Probability",
    "Precipitation Type", "Cloud Cover", "Weather Visibility", "UV Index", "Weather Ozone",
    "Jump Count", "Total Grit", "Average Flow", "Flagged", "Average Elapsed Speed",
    "Dirt Distance", "Newly Explored Distance", "Newly Explored Dirt Distance",
    "Activity Count", "Total Steps", "Carbon Saved", "Pool Length", "Training Load",
    "Intensity", "Average Grade Adjusted Pace", "Timer Time", "Total Cycles", "Media",
)  # fmt: skip
# A 2026 export: seven more columns before "Media" (101 in all).
HEADERS_2026: tuple[str, ...] = (
    *ENGLISH_HEADERS[:-1],
    "Recovery", "With Pet", "Competition", "Long Run", "For a Cause", "With Kid",
    "Downhill Distance", "Media",
)  # fmt: skip

# Strava type (English) -> (German display name [assumed], backcoach sport, speed m/s).
TYPES: dict[str, tuple[str, str, float]] = {
    "Run": ("Lauf", "running", 3.1),
    "Trail Run": ("Traillauf", "running", 2.6),
    "Walk": ("Spaziergang", "walking", 1.35),
    "Hike": ("Wanderung", "hiking", 1.1),
    "Ride": ("Radfahrt", "cycling", 7.0),
    "Swim": ("Schwimmen", "swimming", 0.9),
    "WaterSport": ("Wassersport", "other", 1.0),
    "Yoga": ("Yoga", "other", 0.0),
}
_FILE_TYPES = ("Run",) * 14 + ("Trail Run", "Walk", "Walk", "Hike", "Ride", "Ride")
_MANUAL_TYPES = ("Run", "Run", "Run", "Swim", "WaterSport", "Yoga", "Walk")
_TCX_SPORT = {"running": "Running", "cycling": "Biking"}
_GPX_TYPE = {"running": "running", "walking": "walking", "hiking": "hiking", "cycling": "cycling"}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_DE = (
    "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.",
)  # fmt: skip
_NAMES = (
    "Morning Run", "Lunch Run", "Evening Run", 'Lauf am "See", Runde 2', "Tempo 5×1 km",
    "Long run, easy", "Recovery jog", "Hügel & Treppen", "Afternoon Walk", "Commute",
)  # fmt: skip
LEADING_SPACE = b"          "  # what Strava puts before <?xml in its TCX files


@dataclass(frozen=True)
class Point:
    t: int  # seconds since the start
    lat: float
    lon: float
    ele: float
    hr: int
    cad: int  # steps (runs: per foot) or revolutions per minute


@dataclass
class Activity:
    """One synthetic activity: what the CSV says and, unless manual, its track."""

    activity_id: str
    start: datetime
    name: str
    strava_type: str
    sport: str
    elapsed_s: float
    moving_s: float
    distance_m: float  # as written in the CSV's SI column (0.1 m)
    elevation_gain_m: float | None
    avg_hr: float | None
    max_hr: float | None
    perceived_exertion: float | None
    prefer_perceived_exertion: bool
    filename: str | None = None  # "activities/<id>.<fmt>[.gz]"
    fmt: str | None = None  # "gpx", "tcx", "fit"
    gzipped: bool = False
    leading_space: bool = False
    points: list[Point] = field(default_factory=list, repr=False)

    @property
    def is_manual(self) -> bool:
        return self.filename is None

    def row_fields(self) -> dict[str, Any]:
        """The fields of the StravaRow a reader should make of this activity."""
        return {
            "activity_id": self.activity_id,
            "start": self.start,
            "name": self.name,
            "sport": self.sport,
            "elapsed_s": self.elapsed_s,
            "moving_s": self.moving_s,
            "distance_m": self.distance_m,
            "elevation_gain_m": self.elevation_gain_m,
            "avg_hr": self.avg_hr,
            "max_hr": self.max_hr,
            "perceived_exertion": self.perceived_exertion,
            "filename": self.filename,
            "prefer_perceived_exertion": self.prefer_perceived_exertion,
        }


@dataclass
class Manifest:
    folder: Path  # the export folder (activities.csv is here)
    zip_path: Path | None
    language: str
    activities: list[Activity]
    duplicate_ids: list[str]  # IDs that have a second row in activities.csv
    headers: list[str]  # the header line as written

    @property
    def ids(self) -> list[str]:
        return [a.activity_id for a in self.activities]

    @property
    def manual_ids(self) -> set[str]:
        return {a.activity_id for a in self.activities if a.is_manual}

    def by_id(self) -> dict[str, Activity]:
        return {a.activity_id: a for a in self.activities}


# --- tracks ----------------------------------------------------------------------------------


def make_track(
    rng: random.Random, sport: str, duration_s: int, interval_s: int, speed: float
) -> list[Point]:
    """A track at ``speed`` m/s from a random spot in central Europe, wandering in heading,
    with rolling elevation, heart rate that climbs to a steady effort, and perhaps a pause."""
    lat, lon = rng.uniform(47.0, 53.0), rng.uniform(6.0, 14.0)
    heading = rng.uniform(0.0, 2 * math.pi)
    ele = rng.uniform(40.0, 600.0)
    hr = rng.uniform(85.0, 100.0)
    effort_hr = rng.uniform(135.0, 172.0)
    cadence = {"running": 86, "cycling": 85}.get(sport, 55)
    pause = None
    if rng.random() < 0.4:
        start = rng.uniform(0.3, 0.7) * duration_s
        pause = (start, start + rng.choice((60, 120, 180)))
    random_ = rng.random  # uniform noise: cheaper than gauss, as good for a synthetic track
    to_lat = 1 / 111_320.0
    points = []
    for t in range(0, duration_s + 1, interval_s):
        moving = not (pause and pause[0] <= t < pause[1])
        if t and moving:
            heading += (random_() - 0.5) * 0.2
            step = speed * interval_s * (0.92 + 0.16 * random_())
            lat += step * math.cos(heading) * to_lat
            lon += step * math.sin(heading) * to_lat / math.cos(math.radians(lat))
            ele += 0.15 * math.sin(t / 300.0) * interval_s + (random_() - 0.5) * 0.6
        target = effort_hr if moving else 105.0
        hr += (target - hr) * min(1.0, 0.01 * interval_s) + (random_() - 0.5) * 2.0
        points.append(
            Point(
                t,
                round(lat, 7),
                round(lon, 7),
                round(ele, 1),
                round(hr),
                cadence + int(random_() * 7) - 3 if moving else 0,
            )
        )
    return points


def summarise_points(points: Sequence[Point], start: datetime) -> SummaryBuilder:
    base = start.timestamp()
    builder = SummaryBuilder()
    for p in points:
        builder.add(base + p.t, p.lat, p.lon, p.ele, p.hr, p.cad)
    return builder


_CLOCK: list[str] = []


def _iso_times(start: datetime, offsets: Sequence[int]) -> list[str]:
    """The time ("2024-01-01T10:00:00Z") of each offset in seconds from ``start``; fast: a
    table of the 86,400 times of day, and one date string per day."""
    if not _CLOCK:
        _CLOCK.extend(f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86_400))
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    second_of_day = int((start - midnight).total_seconds())
    days: dict[int, str] = {}
    out = []
    for offset in offsets:
        day, second = divmod(second_of_day + offset, 86_400)
        date = days.get(day)
        if date is None:
            date = days[day] = f"{midnight + timedelta(days=day):%Y-%m-%d}T"
        out.append(date + _CLOCK[second] + "Z")
    return out


def _iso(start: datetime, seconds: int) -> str:
    return _iso_times(start, [seconds])[0]


def gpx_bytes(activity: Activity) -> bytes:
    """Strava-style GPX 1.1 with Garmin TrackPointExtension heart rate and cadence."""
    start = activity.start
    times = _iso_times(start, [p.t for p in activity.points])
    pts = "".join(
        f'   <trkpt lat="{p.lat}" lon="{p.lon}">\n    <ele>{p.ele}</ele>\n'
        f"    <time>{time}</time>\n    <extensions>\n"
        f"     <gpxtpx:TrackPointExtension>\n      <gpxtpx:hr>{p.hr}</gpxtpx:hr>\n"
        f"      <gpxtpx:cad>{p.cad}</gpxtpx:cad>\n     </gpxtpx:TrackPointExtension>\n"
        "    </extensions>\n   </trkpt>\n"
        for p, time in zip(activity.points, times, strict=True)
    )
    name = _xml_escape(activity.name)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx creator="StravaGPX" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
        f" <metadata>\n  <time>{_iso(start, 0)}</time>\n </metadata>\n"
        f" <trk>\n  <name>{name}</name>\n  <type>{_GPX_TYPE.get(activity.sport, 'other')}</type>\n"
        f"  <trkseg>\n{pts}  </trkseg>\n </trk>\n</gpx>\n"
    ).encode()


def tcx_bytes(activity: Activity) -> bytes:
    """Garmin TCX with one lap, cumulative DistanceMeters and heart rate per point."""
    start = activity.start
    total = 0.0
    rows = []
    last: Point | None = None
    times = _iso_times(start, [p.t for p in activity.points])
    for p, time in zip(activity.points, times, strict=True):
        if last is not None:
            total += haversine_m(last.lat, last.lon, p.lat, p.lon)
        last = p
        rows.append(
            f"<Trackpoint><Time>{time}</Time><Position>"
            f"<LatitudeDegrees>{p.lat}</LatitudeDegrees>"
            f"<LongitudeDegrees>{p.lon}</LongitudeDegrees></Position>"
            f"<AltitudeMeters>{p.ele}</AltitudeMeters><DistanceMeters>{total:.2f}</DistanceMeters>"
            f"<HeartRateBpm><Value>{p.hr}</Value></HeartRateBpm>"
            f"<Extensions><ns3:TPX><ns3:RunCadence>{p.cad}</ns3:RunCadence></ns3:TPX>"
            "</Extensions></Trackpoint>\n"
        )
    sport = _TCX_SPORT.get(activity.sport, "Other")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"'
        ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n'
        f' <Activities>\n  <Activity Sport="{sport}">\n   <Id>{_iso(start, 0)}</Id>\n'
        f'   <Lap StartTime="{_iso(start, 0)}">\n'
        f"    <TotalTimeSeconds>{activity.elapsed_s:.1f}</TotalTimeSeconds>\n"
        f"    <DistanceMeters>{total:.2f}</DistanceMeters>\n"
        "    <Intensity>Active</Intensity>\n    <TriggerMethod>Manual</TriggerMethod>\n"
        f"    <Track>\n{''.join(rows)}    </Track>\n   </Lap>\n"
        "   <Creator><Name>Synthetic Watch</Name></Creator>\n"
        "  </Activity>\n </Activities>\n</TrainingCenterDatabase>\n"
    ).encode()


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit_writer() -> Any | None:
    """tests/fit_writer.py (another test helper: ``write_fit``, ``FitPoint``), when it is
    there; None otherwise, and the exports then hold no FIT files."""
    try:
        import fit_writer
    except ImportError:
        return None
    return fit_writer


def fit_bytes(activity: Activity) -> bytes:
    """A FIT file through tests/fit_writer.py (``write_fit(points, sport=, start=)``), with
    the cumulative distance in every record, as watches write it."""
    writer = _fit_writer()
    assert writer is not None, "FIT activities need tests/fit_writer.py"
    points = _fit_points(writer, activity.points)
    return bytes(writer.write_fit(points, sport=activity.sport, start=activity.start))


def _fit_points(writer: Any, points: Sequence[Point]) -> list[Any]:
    return [
        writer.FitPoint(float(p.t), p.lat, p.lon, p.ele, p.hr, p.cad, distance)
        for p, distance in zip(points, _cumulative(points), strict=True)
    ]


def _cumulative(points: Sequence[Point]) -> list[float]:
    """Metres since the start at each point, to the centimetre."""
    total = 0.0
    out = []
    for i, p in enumerate(points):
        if i:
            q = points[i - 1]
            total += haversine_m(q.lat, q.lon, p.lat, p.lon)
        out.append(round(total, 2))
    return out


def fit_totals(points: Sequence[Point]) -> dict[str, Any]:
    """What a FIT file from tests/fit_writer.py reports in its session message, which
    readers prefer to the records: timer time = elapsed time, climb as the plain sum of
    rises in whole metres, average heart rate in whole beats."""
    hrs = [p.hr for p in points]
    return {
        "elapsed_s": float(points[-1].t - points[0].t),
        "moving_s": float(points[-1].t - points[0].t),
        "distance_m": round(_cumulative(points)[-1], 1),
        "elevation_gain_m": float(
            round(sum(max(0.0, b.ele - a.ele) for a, b in itertools.pairwise(points)))
        ),
        "avg_hr": float(round(sum(hrs) / len(hrs))),
        "max_hr": float(max(hrs)),
    }


# --- activities.csv --------------------------------------------------------------------------


def _number(value: float | None, language: str, digits: int = 1) -> str:
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "de" else text


def strava_date(when: datetime, language: str, style: int = 0) -> str:
    """An Activity Date: "Jan 1, 2024, 10:00:00 AM" in English; in German
    "1. Jan. 2024, 10:00:00" (style 0) or "01.01.2024, 10:00:00" (style 1)."""
    if language == "de":
        if style % 2:
            return when.strftime("%d.%m.%Y, %H:%M:%S")
        return f"{when.day}. {_MONTHS_DE[when.month - 1]} {when.year}, {when:%H:%M:%S}"
    hour = when.hour % 12 or 12
    ampm = "AM" if when.hour < 12 else "PM"
    return (
        f"{_MONTHS_EN[when.month - 1]} {when.day}, {when.year}, "
        f"{hour}:{when.minute:02d}:{when.second:02d} {ampm}"
    )


def csv_values(activity: Activity, language: str, index: int) -> dict[tuple[str, int], str]:
    """(English header, occurrence) -> cell, for one activity."""
    a = activity
    de = language == "de"
    strava_type = TYPES[a.strava_type][0] if de else a.strava_type
    display_distance = a.distance_m if a.sport == "swimming" else a.distance_m / 1000.0
    speed = a.distance_m / a.moving_s if a.moving_s else 0.0
    exertion = "" if a.perceived_exertion is None else _number(a.perceived_exertion, language)
    prefer = "1" if a.prefer_perceived_exertion else ("0" if exertion else "")
    values = {
        ("Activity ID", 0): a.activity_id,
        ("Activity Date", 0): strava_date(a.start, language, index),
        ("Activity Name", 0): a.name,
        ("Activity Type", 0): strava_type,
        ("Activity Description", 0): "Felt good, legs heavy.\nRan by the river" * (index % 7 == 0),
        ("Elapsed Time", 0): str(round(a.elapsed_s)),
        ("Distance", 0): _number(display_distance, language, 2),
        ("Max Heart Rate", 0): _number(a.max_hr, language),
        ("Relative Effort", 0): str(index % 90) if a.avg_hr else "",
        ("Commute", 0): "false",
        ("Activity Gear", 0): "Pegasus 40" if a.sport == "running" else "",
        ("Filename", 0): a.filename or "",
        ("Athlete Weight", 0): _number(68.0, language),
        ("Elapsed Time", 1): _number(a.elapsed_s, language),
        ("Moving Time", 0): _number(a.moving_s, language),
        ("Distance", 1): _number(a.distance_m, language),
        ("Max Speed", 0): _number(speed * 1.3, language, 3),
        ("Average Speed", 0): _number(speed, language, 3),
        ("Elevation Gain", 0): _number(a.elevation_gain_m, language),
        ("Elevation Loss", 0): _number(a.elevation_gain_m, language),
        ("Max Heart Rate", 1): _number(a.max_hr, language),
        ("Average Heart Rate", 0): _number(a.avg_hr, language),
        ("Calories", 0): _number(a.distance_m * 0.065, language),
        ("Perceived Exertion", 0): exertion,
        ("Prefer Perceived Exertion", 0): prefer,
        ("Commute", 1): "0",
        ("From Upload", 0): "0" if a.is_manual else "1",
        ("Grade Adjusted Distance", 0): _number(a.distance_m * 1.01, language),
        ("Weather Temperature", 0): _number(12.5, language),
        ("Timer Time", 0): _number(a.moving_s, language),
        ("Total Steps", 0): str(round(a.moving_s * 2.8)) if a.sport == "running" else "",
    }
    return values


def csv_bytes(
    activities: Sequence[Activity],
    *,
    language: str = "en",
    headers: Sequence[str] = ENGLISH_HEADERS,
    duplicates: Sequence[Activity] = (),
    bom: bool = True,
) -> bytes:
    """activities.csv: ``headers`` are English names (unknown names get empty cells),
    written in ``language``; the rows of ``duplicates`` are inserted after half the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GERMAN_HEADERS.get(h, h) if language == "de" else h for h in headers)
    rows = list(activities)
    middle = len(rows) // 2
    rows[middle:middle] = list(duplicates)
    for index, activity in enumerate(rows):
        values = csv_values(activity, language, index)
        seen: dict[str, int] = {}
        cells = []
        for header in headers:
            occurrence = seen.get(header, 0)
            seen[header] = occurrence + 1
            cells.append(values.get((header, occurrence), ""))
        writer.writerow(cells)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


# --- the export ------------------------------------------------------------------------------


def make_activities(
    n: int = 300,
    *,
    seed: int = 5,
    manual_share: float = 0.1,
    interval_s: int = 5,
    first_day: datetime = datetime(2023, 3, 1, tzinfo=UTC),
    fit: bool = True,
) -> list[Activity]:
    """``n`` activities, about one a day, with tracks at ``interval_s`` (one in ten at 1 Hz
    when ``interval_s`` is 5); ``manual_share`` of them manual. File formats rotate through
    GPX, GPX.gz, TCX, TCX.gz (blank space before ``<?xml`` on some) and FIT.gz (only when
    ``fit`` and tests/fit_writer.py is there)."""
    rng = random.Random(seed)
    have_fit = fit and _fit_writer() is not None
    formats = [("gpx", False), ("gpx", True), ("tcx", False), ("tcx", True)]
    if have_fit:
        formats += [("fit", True), ("fit", False)]
    activities = []
    next_id = 10_000_000_000 + rng.randrange(10**6)
    day = first_day
    for i in range(n):
        day += timedelta(days=1 if rng.random() < 0.85 else 2)
        start = day.replace(
            hour=rng.randint(5, 19), minute=rng.randrange(60), second=rng.randrange(60)
        )
        next_id += rng.randint(1_000, 900_000)
        activity_id = str(next_id)
        manual = rng.random() < manual_share
        strava_type = rng.choice(_MANUAL_TYPES if manual else _FILE_TYPES)
        _, sport, speed = TYPES[strava_type]
        name = rng.choice(_NAMES)
        exertion = float(rng.randint(1, 10)) if rng.random() < 0.6 else None
        prefer = exertion is not None and rng.random() < 0.3
        if manual:
            elapsed = float(rng.randrange(15, 120) * 60)
            activities.append(
                Activity(
                    activity_id, start, name, strava_type, sport, elapsed,
                    moving_s=elapsed,
                    distance_m=round(elapsed * speed, 1),
                    elevation_gain_m=None,
                    avg_hr=None,
                    max_hr=None,
                    perceived_exertion=exertion if exertion is not None else 5.0,
                    prefer_perceived_exertion=prefer,
                )
            )  # fmt: skip
            continue
        interval = 1 if interval_s == 5 and i % 10 == 3 else interval_s
        duration = rng.randrange(15, 90) * 60
        if interval == 1:
            duration = min(duration, 30 * 60)
        points = make_track(rng, sport, duration, interval, speed)
        built = summarise_points(points, start)
        summary = built.summary(sport=sport)
        fmt, gzipped = formats[i % len(formats)]
        leading = fmt == "tcx" and rng.random() < 0.7
        filename = f"activities/{activity_id}.{fmt}" + (".gz" if gzipped else "")
        totals: dict[str, Any] = {
            "elapsed_s": summary.elapsed_s,
            "moving_s": summary.moving_s,
            "distance_m": round(summary.distance_m or 0.0, 1),
            "elevation_gain_m": round(summary.elevation_gain_m or 0.0, 1),
            "avg_hr": round(summary.avg_hr or 0.0, 1),
            "max_hr": float(summary.max_hr or 0),
        }
        if fmt == "fit":
            totals = fit_totals(points)
        activities.append(
            Activity(
                activity_id, start, name, strava_type, sport,
                **totals,
                perceived_exertion=exertion,
                prefer_perceived_exertion=prefer,
                filename=filename, fmt=fmt, gzipped=gzipped, leading_space=leading,
                points=points,
            )
        )  # fmt: skip
    return activities


def activity_file_bytes(activity: Activity) -> bytes:
    """The file of an activity as it sits in the export (gzipped when its name says so)."""
    if activity.fmt == "gpx":
        data = gpx_bytes(activity)
    elif activity.fmt == "tcx":
        data = tcx_bytes(activity)
    else:
        data = fit_bytes(activity)
    if activity.leading_space:
        data = LEADING_SPACE + data
    if activity.gzipped:
        data = gzip.compress(data, compresslevel=5, mtime=0)
    return data


def write_export(
    folder: Path,
    *,
    n: int = 300,
    seed: int = 5,
    language: str = "en",
    headers: Sequence[str] = ENGLISH_HEADERS,
    duplicate: bool = True,
    zip_path: Path | None = None,
    zip_prefix: str = "export_36151457/",
    activities: Sequence[Activity] | None = None,
    interval_s: int = 5,
) -> Manifest:
    """Write an export into ``folder`` (created): activities.csv, activities/ and the other
    things a real export has (profile.csv, media/), and, with ``zip_path``, the same as a
    zip whose members sit under ``zip_prefix`` ("" for the top). ``duplicate`` repeats the
    row of one activity (same ID, another name) in the middle of the CSV."""
    if activities is None:
        activities = make_activities(n, seed=seed, interval_s=interval_s)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "activities").mkdir(exist_ok=True)
    (folder / "media").mkdir(exist_ok=True)
    (folder / "profile.csv").write_text("Athlete ID,Email Address\n36151457,runner@example.org\n")
    (folder / "media" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    for activity in activities:
        if activity.filename:
            (folder / activity.filename).write_bytes(activity_file_bytes(activity))
    dupes: list[Activity] = []
    if duplicate and activities:
        original = activities[len(activities) // 3]
        dupes.append(Activity(**{**original.__dict__, "name": "Copy of " + original.name}))
    (folder / "activities.csv").write_bytes(
        csv_bytes(activities, language=language, headers=headers, duplicates=dupes)
    )
    if zip_path is not None:
        write_zip(folder, zip_path, zip_prefix)
    written_headers = [GERMAN_HEADERS.get(h, h) if language == "de" else h for h in headers]
    return Manifest(
        folder,
        zip_path,
        language,
        list(activities),
        [d.activity_id for d in dupes],
        written_headers,
    )


def write_zip(folder: Path, zip_path: Path, prefix: str = "export_36151457/") -> Path:
    """Zip ``folder`` the way Strava does (deflate; gzipped files are deflated again)."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return zip_path


# --- the benchmark ----------------------------------------------------------------------------


def write_benchmark_export(
    folder: Path,
    n: int = 1000,
    *,
    hours: float = 1.0,
    seed: int = 7,
    formats: Sequence[str] = ("gpx.gz",),
) -> Manifest:
    """``n`` runs of ``hours`` at 1 Hz with an English activities.csv, in ``folder``; the
    files take ``formats`` in turn ("gpx", "gpx.gz", "fit", "fit.gz"; FIT needs
    tests/fit_writer.py; gzip at level 1). Eight routes are formatted once; each run takes
    one and its own start time, so 1,000 one-hour runs take seconds to write, not minutes.
    Starts fall between 05:00 and 18:00 UTC so that no run crosses midnight."""
    rng = random.Random(seed)
    duration = int(hours * 3600)
    assert duration <= 6 * 3600, "runs longer than six hours would cross midnight"
    writer = _fit_writer() if any(f.startswith("fit") for f in formats) else None
    clock = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86_400)]
    routes = []
    for _ in range(8):
        points = make_track(rng, "running", duration, 1, 3.0)
        heads = [
            f'   <trkpt lat="{p.lat}" lon="{p.lon}">\n    <ele>{p.ele}</ele>\n    <time>'
            for p in points
        ]
        tails = [
            "Z</time>\n    <extensions>\n     <gpxtpx:TrackPointExtension>\n"
            f"      <gpxtpx:hr>{p.hr}</gpxtpx:hr>\n      <gpxtpx:cad>{p.cad}</gpxtpx:cad>\n"
            "     </gpxtpx:TrackPointExtension>\n    </extensions>\n   </trkpt>\n"
            for p in points
        ]
        summary = summarise_points(points, datetime(2024, 1, 1, tzinfo=UTC)).summary(
            sport="running"
        )
        xml_totals: dict[str, Any] = {
            "elapsed_s": summary.elapsed_s,
            "moving_s": summary.moving_s,
            "distance_m": round(summary.distance_m or 0.0, 1),
            "elevation_gain_m": round(summary.elevation_gain_m or 0.0, 1),
            "avg_hr": round(summary.avg_hr or 0.0, 1),
            "max_hr": float(summary.max_hr or 0),
        }
        fit_points = _fit_points(writer, points) if writer is not None else None
        routes.append((points, heads, tails, xml_totals, fit_points))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "activities").mkdir(exist_ok=True)
    activities = []
    day = datetime(2022, 1, 1, tzinfo=UTC)
    for i in range(n):
        points, heads, tails, totals, fit_points = routes[i % len(routes)]
        fmt = formats[i % len(formats)]
        day += timedelta(days=1)
        second_of_day = rng.randrange(5 * 3600, 18 * 3600)
        start = day + timedelta(seconds=second_of_day)
        activity_id = str(9_000_000_000 + i)
        filename = f"activities/{activity_id}.{fmt}"
        if fmt.startswith("fit"):
            assert writer is not None, "FIT files need tests/fit_writer.py"
            data = bytes(writer.write_fit(fit_points, sport="running", start=start))
            totals = fit_totals(points)
        else:
            date = f"{start:%Y-%m-%d}T"
            body = "".join(
                [
                    head + date + clock[second_of_day + p.t] + tail
                    for head, p, tail in zip(heads, points, tails, strict=True)
                ]
            )
            data = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<gpx creator="StravaGPX" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
                'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
                f" <metadata>\n  <time>{date}{clock[second_of_day]}Z</time>\n </metadata>\n"
                " <trk>\n  <name>Benchmark Run</name>\n  <type>running</type>\n  <trkseg>\n"
                f"{body}  </trkseg>\n </trk>\n</gpx>\n"
            ).encode()
        if fmt.endswith(".gz"):
            data = gzip.compress(data, compresslevel=1, mtime=0)
        (folder / filename).write_bytes(data)
        activities.append(
            Activity(
                activity_id, start, "Benchmark Run", "Run", "running", **totals,
                perceived_exertion=None,
                prefer_perceived_exertion=False,
                filename=filename, fmt=fmt.removesuffix(".gz"), gzipped=fmt.endswith(".gz"),
            )
        )  # fmt: skip
    (folder / "activities.csv").write_bytes(csv_bytes(activities))
    return Manifest(folder, None, "en", activities, [], list(ENGLISH_HEADERS))
