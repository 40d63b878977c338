"""A runner's whole history from a Strava bulk export: the zip Strava sends, or its unpacked
folder, driven by ``activities.csv`` (one row per activity, manual ones included).

Layout (``shared/research/software.md`` section 4)::

    export_<athlete id>/            (the zip may hold this folder, or its contents directly)
    ├── activities.csv
    └── activities/<id>.gpx | .gpx.gz | .tcx | .tcx.gz | .fit | .fit.gz

``activities.csv`` is read by what each header *means*, not by position: Strava adds and
drops columns between versions (94 columns in the long-known header, 101 in 2026),
repeats some names (the first "Elapsed Time"/"Distance"/"Max Heart Rate" hold display
values, e.g. kilometres, the second the raw SI value, which is preferred), and localises
the header, the dates and the decimal mark (English and German are known here; the German
names are an assumption, see :data:`GERMAN_HEADERS`). "Activity Date" is in UTC.

Everything that can go wrong with one activity is reported for that activity and never
stops the import: :func:`iter_strava_export` yields each row with the bytes of its file,
or with the :class:`ActivityFileError` that explains why there are none. Problems that
belong to no row (a CSV line that cannot be read, an unsafe or nested-archive member in
the zip) are collected in :attr:`StravaExport.problems`.

Zip safety: member names that would escape the export (``../x``, absolute paths, drive
letters) are refused; a member that declares more than ``files.MAX_FILE_BYTES`` unpacked,
or whose compression ratio is beyond :data:`MAX_COMPRESSION_RATIO`, is refused without
being decompressed; archives inside the archive are not opened; members are read in
chunks with a cap that does not trust the declared size.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final, NamedTuple

from backcoach.adapters.activities import files
from backcoach.domain.running import ActivityFileError, ActivitySummary, NotAnActivityError

CSV_NAME: Final = "activities.csv"
# A zip member bigger than this once unpacked is checked for its compression ratio; one that
# packs more than MAX_COMPRESSION_RATIO times is a zip bomb (deflate tops out near 1032:1,
# activity files reach 5-30:1). Module attributes, read at call time (tests lower them).
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024
NESTED_ARCHIVE_SUFFIXES: Final = (
    ".zip", ".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".7z", ".rar",
)  # fmt: skip
_CHUNK: Final = 1024 * 1024

# The English header of activities.csv in the order Strava writes it (the long-known 94
# columns; duplicated names are real).
ENGLISH_HEADERS: Final[tuple[str, ...]] = (
    "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
    "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute",
    "Activity Private Note", "Activity Gear", "Filename", "Athlete Weight", "Bike Weight",
    "Elapsed Time", "Moving Time", "Distance", "Max Speed", "Average Speed", "Elevation Gain",
    "Elevation Loss", "Elevation Low", "Elevation High", "Max Grade", "Average Grade",
    "Average Positive Grade", "Average Negative Grade", "Max Cadence", "Average Cadence",
    "Max Heart Rate", "Average Heart Rate", "Max Watts", "Average Watts", "Calories",
    "Max Temperature", "Average Temperature", "Relative Effort", "Total Work", "Number of Runs",
    "Uphill Time", "Downhill Time", "Other Time", "Perceived Exertion", "Type", "Start Time",
    "Weighted Average Power", "Power Count", "Prefer Perceived Exertion",
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
# Columns seen in 2026 exports, inserted before "Media" (101 columns in all).
ENGLISH_HEADERS_2026_EXTRA: Final[tuple[str, ...]] = (
    "Recovery", "With Pet", "Competition", "Long Run", "For a Cause", "With Kid",
    "Downhill Distance",
)  # fmt: skip

# English header -> German header. ASSUMED: no German export was at hand; the first name
# ("Aktivitäts-ID") is the one other importers detect, the rest are plausible translations
# in Strava's German wording. Unknown German names only become extra columns; the ones that
# matter are those of the fields read into StravaRow. Extend when a real export shows others.
GERMAN_HEADERS: Final[Mapping[str, str]] = {
    "Activity ID": "Aktivitäts-ID",
    "Activity Date": "Aktivitätsdatum",
    "Activity Name": "Name der Aktivität",
    "Activity Type": "Aktivitätsart",
    "Activity Description": "Beschreibung der Aktivität",
    "Elapsed Time": "Verstrichene Zeit",
    "Distance": "Distanz",
    "Max Heart Rate": "Max. Herzfrequenz",
    "Relative Effort": "Relativer Aufwand",
    "Commute": "Pendeln",
    "Activity Private Note": "Private Notiz zur Aktivität",
    "Activity Gear": "Aktivitätsausrüstung",
    "Filename": "Dateiname",
    "Athlete Weight": "Gewicht des Sportlers",
    "Bike Weight": "Fahrradgewicht",
    "Moving Time": "Bewegungszeit",
    "Max Speed": "Max. Geschwindigkeit",
    "Average Speed": "Durchschnittsgeschwindigkeit",
    "Elevation Gain": "Höhenmeter bergauf",
    "Elevation Loss": "Höhenmeter bergab",
    "Elevation Low": "Niedrigste Höhe",
    "Elevation High": "Höchste Höhe",
    "Max Grade": "Max. Steigung",
    "Average Grade": "Durchschnittliche Steigung",
    "Average Positive Grade": "Durchschnittliche positive Steigung",
    "Average Negative Grade": "Durchschnittliche negative Steigung",
    "Max Cadence": "Max. Trittfrequenz",
    "Average Cadence": "Durchschnittliche Trittfrequenz",
    "Average Heart Rate": "Durchschnittliche Herzfrequenz",
    "Max Watts": "Max. Watt",
    "Average Watts": "Durchschnittliche Watt",
    "Calories": "Kalorien",
    "Max Temperature": "Max. Temperatur",
    "Average Temperature": "Durchschnittstemperatur",
    "Total Work": "Gesamtarbeit",
    "Number of Runs": "Anzahl der Abfahrten",
    "Uphill Time": "Zeit bergauf",
    "Downhill Time": "Zeit bergab",
    "Other Time": "Andere Zeit",
    "Perceived Exertion": "Gefühlte Anstrengung",
    "Type": "Typ",
    "Start Time": "Startzeit",
    "Weighted Average Power": "Gewichtete Durchschnittsleistung",
    "Power Count": "Leistungsanzahl",
    "Prefer Perceived Exertion": "Gefühlte Anstrengung bevorzugen",
    "Perceived Relative Effort": "Gefühlter relativer Aufwand",
    "Total Weight Lifted": "Insgesamt gehobenes Gewicht",
    "From Upload": "Aus Upload",
    "Grade Adjusted Distance": "Steigungsbereinigte Distanz",
    "Weather Observation Time": "Zeit der Wetterbeobachtung",
    "Weather Condition": "Wetterlage",
    "Weather Temperature": "Wettertemperatur",
    "Apparent Temperature": "Gefühlte Temperatur",
    "Dewpoint": "Taupunkt",
    "Humidity": "Luftfeuchtigkeit",
    "Weather Pressure": "Luftdruck",
    "Wind Speed": "Windgeschwindigkeit",
    "Wind Gust": "Windböen",
    "Wind Bearing": "Windrichtung",
    "Precipitation Intensity": "Niederschlagsintensität",
    "Sunrise Time": "Sonnenaufgang",
    "Sunset Time": "Sonnenuntergang",
    "Moon Phase": "Mondphase",
    "Bike": "Fahrrad",
    "Gear": "Ausrüstung",
    "Precipitation Probability": "Niederschlagswahrscheinlichkeit",
    "Precipitation Type": "Niederschlagsart",
    "Cloud Cover": "Bewölkung",
    "Weather Visibility": "Sichtweite",
    "UV Index": "UV-Index",
    "Weather Ozone": "Ozon",
    "Jump Count": "Anzahl Sprünge",
    "Total Grit": "Grit gesamt",
    "Average Flow": "Durchschnittlicher Flow",
    "Flagged": "Markiert",
    "Average Elapsed Speed": "Durchschnittliche Gesamtgeschwindigkeit",
    "Dirt Distance": "Distanz auf unbefestigten Wegen",
    "Newly Explored Distance": "Neu erkundete Distanz",
    "Newly Explored Dirt Distance": "Neu erkundete Distanz auf unbefestigten Wegen",
    "Activity Count": "Anzahl der Aktivitäten",
    "Total Steps": "Schritte gesamt",
    "Carbon Saved": "Eingespartes CO₂",
    "Pool Length": "Beckenlänge",
    "Training Load": "Trainingsbelastung",
    "Intensity": "Intensität",
    "Average Grade Adjusted Pace": "Durchschnittliches steigungsbereinigtes Tempo",
    "Timer Time": "Timer-Zeit",
    "Total Cycles": "Zyklen gesamt",
    "Recovery": "Erholung",
    "With Pet": "Mit Haustier",
    "Competition": "Wettkampf",
    "Long Run": "Langer Lauf",
    "For a Cause": "Für einen guten Zweck",
    "With Kid": "Mit Kind",
    "Downhill Distance": "Distanz bergab",
    "Media": "Medien",
}

# Language -> (English header -> localised header). The language is detected by the first
# header (what "Activity ID" is called); day_first tells how the language writes dates.
HEADER_LANGUAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {name: name for name in (*ENGLISH_HEADERS, *ENGLISH_HEADERS_2026_EXTRA)},
    "de": GERMAN_HEADERS,
}
DAY_FIRST: Final[Mapping[str, bool]] = {"en": False, "de": True}

# Strava activity types (English API names and display names, and assumed German display
# names) -> backcoach sport. Keys are compared case-folded without spaces, '-' or '_'.
# Anything else (WaterSport, Yoga, WeightTraining, ...) is "other".
STRAVA_SPORTS: Final[Mapping[str, str]] = {
    "run": "running", "trailrun": "running", "virtualrun": "running", "treadmill": "running",
    "lauf": "running", "laufen": "running", "traillauf": "running", "virtuellerlauf": "running",
    "walk": "walking", "spaziergang": "walking", "gehen": "walking",
    "hike": "hiking", "wanderung": "hiking", "wandern": "hiking",
    "ride": "cycling", "virtualride": "cycling", "ebikeride": "cycling",
    "mountainbikeride": "cycling", "emountainbikeride": "cycling", "gravelride": "cycling",
    "handcycle": "cycling", "velomobile": "cycling", "radfahrt": "cycling",
    "radfahren": "cycling", "virtuelleradfahrt": "cycling", "ebikefahrt": "cycling",
    "mountainbikefahrt": "cycling", "gravelfahrt": "cycling",
    "swim": "swimming", "schwimmen": "swimming",
}  # fmt: skip


class StravaRow(NamedTuple):
    """One row of activities.csv, in SI units."""

    activity_id: str
    start: datetime  # aware, UTC ("Activity Date")
    name: str
    sport: str  # "running", "walking", "hiking", "cycling", "swimming" or "other"
    elapsed_s: float | None
    moving_s: float | None
    distance_m: float | None
    elevation_gain_m: float | None
    avg_hr: float | None
    max_hr: float | None
    perceived_exertion: float | None  # 1-10, as the person rated it
    filename: str | None  # relative to the export: "activities/123.gpx.gz"; None when manual
    prefer_perceived_exertion: bool = False  # the person asked Strava to use their rating

    @property
    def is_manual(self) -> bool:
        return self.filename is None


class CsvProblem(NamedTuple):
    line: int  # line of activities.csv where the record ends (1 = the header)
    activity_id: str | None
    reason: str


class ActivitiesCsv(NamedTuple):
    """activities.csv as read: ``rows`` keeps the first row of each Activity ID, in file
    order; ``duplicates`` the later rows with an ID already seen (with the reason);
    ``problems`` the lines that could not be read (and the duplicates again)."""

    rows: list[StravaRow]
    duplicates: list[tuple[StravaRow, str]]
    problems: list[CsvProblem]
    language: str  # "en", "de"
    extra_columns: list[str]  # headers this version does not know (kept, not read)
    missing_columns: list[str]  # English names of the known fields the file lacks


class ExportProblem(NamedTuple):
    where: str  # "activities.csv line 12", or a member of the export
    reason: str


class StravaItem(NamedTuple):
    """One activity of an export: its row, the file it names, and the file's bytes (None for
    a manual activity, an ActivityFileError when the file cannot be had)."""

    row: StravaRow
    filename: str | None
    data: bytes | ActivityFileError | None


# --- activities.csv ---------------------------------------------------------------------------


def _norm(header: str) -> str:
    text = unicodedata.normalize("NFC", header).replace("\ufeff", "")
    return " ".join(text.casefold().split())


_LOOKUP: Final[dict[str, dict[str, str]]] = {
    lang: {_norm(local): english for english, local in table.items()}
    for lang, table in HEADER_LANGUAGES.items()
}
_FIELDS: Final = (
    "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Elapsed Time",
    "Moving Time", "Distance", "Elevation Gain", "Average Heart Rate", "Max Heart Rate",
    "Perceived Exertion", "Prefer Perceived Exertion", "Filename",
)  # fmt: skip
_REQUIRED: Final = ("Activity ID", "Activity Date")

_MONTHS: Final[Mapping[str, int]] = {
    "jan": 1, "feb": 2, "mar": 3, "mär": 3, "mrz": 3, "apr": 4, "may": 5, "mai": 5,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12,
    "dez": 12,
}  # fmt: skip
_TIME = (
    r"(?i:(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?)"
)
_DATE_FORMS: Final = (
    # "Jan 1, 2024, 10:00:00 AM" (English)
    re.compile(rf"(?P<mon>[^\W\d_]+)\.?\s+(?P<d>\d{{1,2}})\.?,?\s+(?P<y>\d{{4}}),?\s+{_TIME}"),
    # "1. Jan. 2024, 10:00:00" (German), "1 Jan 2024, 10:00:00" (British English)
    re.compile(rf"(?P<d>\d{{1,2}})\.?\s+(?P<mon>[^\W\d_]+)\.?\s+(?P<y>\d{{4}}),?\s+{_TIME}"),
    # "01.01.2024, 10:00:00" (German)
    re.compile(rf"(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>\d{{4}}),?\s+{_TIME}"),
    # "2024-01-01 10:00:00", "2024-01-01T10:00:00Z"
    re.compile(rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?:T|,?\s+){_TIME}\s*(?:Z|[+-]00:?00)?"),
)  # fmt: skip
# "1/2/2024, 10:00:00": month first in English, day first otherwise.
_SLASH_DATE: Final = re.compile(rf"(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})/(?P<y>\d{{4}}),?\s+{_TIME}")
_THOUSANDS_COMMA: Final = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_TRUE: Final = frozenset(("1", "1.0", "1,0", "true", "yes", "wahr", "ja", "y", "t"))


def parse_strava_date(text: str, *, day_first: bool = False) -> datetime:
    """An "Activity Date" as an aware UTC datetime (Strava writes them in UTC without an
    offset). Accepts "Jan 1, 2024, 10:00:00 AM", "1. Jan. 2024, 10:00:00",
    "01.01.2024, 10:00:00", ISO 8601, and "1/2/2024, 10:00:00" (``day_first`` decides).
    Month names are English or German, full or abbreviated. ValueError if none fits."""
    clean = " ".join(text.strip().split())
    for form in _DATE_FORMS:
        match = form.fullmatch(clean)
        if match:
            parts = match.groupdict()
            if parts.get("mon") is not None:
                month = _MONTHS.get(parts["mon"].casefold()[:3])
                if month is None:
                    raise ValueError(f"unknown month {parts['mon']!r} in date {text!r}")
            else:
                month = int(parts["m"])
            return _build_date(text, int(parts["y"]), month, int(parts["d"]), match)
    match = _SLASH_DATE.fullmatch(clean)
    if match:
        a, b = int(match["a"]), int(match["b"])
        day, month = (a, b) if day_first else (b, a)
        return _build_date(text, int(match["y"]), month, day, match)
    raise ValueError(f"not a date Strava writes: {text!r}")


def _build_date(text: str, year: int, month: int, day: int, match: re.Match[str]) -> datetime:
    hour, minute, second = int(match["h"]), int(match["mi"]), int(match["s"] or 0)
    ampm = match["ampm"]
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} with AM/PM in date {text!r}")
        hour = hour % 12 + (12 if ampm.casefold().startswith("p") else 0)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"impossible date {text!r} ({exc})") from None


def parse_number(text: str, *, decimal_comma: bool = False) -> float | None:
    """A number as Strava writes it, or None when empty or unreadable: "20100.0",
    "20100,0", "1.234,5", "1,234.5"; a lone comma is a decimal mark unless the text looks
    like English thousands ("1,234") and ``decimal_comma`` is False. Also "h:mm:ss"."""
    s = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not s:
        return None
    if ":" in s:
        return _parse_clock(s)
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        if not decimal_comma and _THOUSANDS_COMMA.fullmatch(s):
            s = s.replace(",", "")
        elif s.count(",") == 1:
            s = s.replace(",", ".")
        else:
            return None
    try:
        value = float(s)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _parse_clock(s: str) -> float | None:
    parts = s.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.replace(".", "", 1).isdigit() for p in parts):
        return None
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def strava_sport(activity_type: str) -> str:
    """backcoach's sport for a Strava activity type; "other" for anything unknown."""
    key = re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFC", activity_type).casefold())
    return STRAVA_SPORTS.get(key, "other")


def _decode_csv(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not UTF-8: a spreadsheet re-saved it. Windows-1252 maps almost every byte.
        return data.removeprefix(b"\xef\xbb\xbf").decode("cp1252", errors="replace")


def _detect_language(headers: Sequence[str]) -> str:
    first = _norm(headers[0]) if headers else ""
    for lang, lookup in _LOOKUP.items():
        if lookup.get(first) == "Activity ID":
            return lang
    # The first column moved or was renamed: the language that knows most of the headers.
    scores = {lang: sum(_norm(h) in lookup for h in headers) for lang, lookup in _LOOKUP.items()}
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] == 0:
        shown = headers[0] if headers else ""
        raise ActivityFileError(
            f"activities.csv: the header is not one known here (first column {shown!r}; "
            f"known languages: {', '.join(HEADER_LANGUAGES)})"
        )
    return best


class _Columns:
    """Where each known field is: English name -> the positions of its occurrences."""

    def __init__(self, headers: Sequence[str], lang: str) -> None:
        lookup = _LOOKUP[lang]
        self.at: dict[str, list[int]] = {}
        self.extra: list[str] = []
        for i, header in enumerate(headers):
            english = lookup.get(_norm(header))
            if english is None:
                if header.strip():
                    self.extra.append(header.strip())
                continue
            self.at.setdefault(english, []).append(i)
        missing = [name for name in _REQUIRED if name not in self.at]
        if missing:
            raise ActivityFileError(
                "activities.csv: no column for " + " or ".join(repr(m) for m in missing)
            )
        self.missing = [name for name in _FIELDS if name not in self.at]


def _cell(record: Sequence[str], i: int) -> str:
    return record[i].strip() if i < len(record) else ""


def parse_activities_csv(data: bytes) -> ActivitiesCsv:
    """Read activities.csv (bytes, with or without a UTF-8 BOM). Raises ActivityFileError
    when the file as a whole cannot be read (no header, no Activity ID or Activity Date
    column, broken CSV); a row that cannot be read is reported in ``problems`` instead."""
    if len(data) > files.MAX_FILE_BYTES:
        raise files.too_large(len(data))
    text = _decode_csv(data)
    first_line = text[: text.find("\n")] if "\n" in text[:65536] else text[:65536]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader, None)
        if not headers or not any(h.strip() for h in headers):
            raise ActivityFileError("activities.csv is empty: no header line")
        lang = _detect_language(headers)
        columns = _Columns(headers, lang)
        rows: list[StravaRow] = []
        duplicates: list[tuple[StravaRow, str]] = []
        problems: list[CsvProblem] = []
        first_line_of: dict[str, int] = {}
        for record in reader:
            line = reader.line_num
            if not any(field.strip() for field in record):
                continue
            try:
                row = _row(record, columns, lang)
            except ValueError as exc:
                ids = columns.at["Activity ID"]
                problems.append(CsvProblem(line, _cell(record, ids[0]) or None, str(exc)))
                continue
            seen = first_line_of.get(row.activity_id)
            if seen is not None:
                reason = f"duplicate Activity ID {row.activity_id}: the row on line {seen} is kept"
                duplicates.append((row, reason))
                problems.append(CsvProblem(line, row.activity_id, reason))
                continue
            first_line_of[row.activity_id] = line
            rows.append(row)
    except csv.Error as exc:
        raise ActivityFileError(f"activities.csv line {reader.line_num}: {exc}") from None
    return ActivitiesCsv(rows, duplicates, problems, lang, columns.extra, columns.missing)


def read_activities_csv(data: bytes) -> list[StravaRow]:
    """The rows of activities.csv, one per Activity ID (the first row is kept when an ID
    repeats). Raises ActivityFileError naming the problem when the file cannot be read.
    :func:`parse_activities_csv` also gives the duplicates and the rows it had to skip."""
    return parse_activities_csv(data).rows


def _row(record: Sequence[str], columns: _Columns, lang: str) -> StravaRow:
    at = columns.at
    comma = DAY_FIRST[lang]  # the languages that write the day first use a decimal comma

    def text(name: str, occurrence: int = 0) -> str:
        positions = at.get(name)
        if not positions or occurrence >= len(positions):
            return ""
        return _cell(record, positions[occurrence])

    def number(name: str, occurrence: int = 0) -> float | None:
        return parse_number(text(name, occurrence), decimal_comma=comma)

    def si_or_display(name: str) -> tuple[float | None, float | None]:
        """(the raw SI value: the second column of the name, the display value: the first)."""
        if len(at.get(name, ())) >= 2:
            return number(name, 1), number(name, 0)
        return None, number(name, 0)

    activity_id = text("Activity ID")
    if not activity_id:
        raise ValueError("no Activity ID")
    if activity_id.endswith(".0") and activity_id[:-2].isdigit():
        activity_id = activity_id[:-2]  # re-saved by a spreadsheet
    date_text = text("Activity Date")
    if not date_text:
        raise ValueError(f"activity {activity_id}: no Activity Date")
    start = parse_strava_date(date_text, day_first=DAY_FIRST[lang])
    sport = strava_sport(text("Activity Type"))

    elapsed_si, elapsed_display = si_or_display("Elapsed Time")
    elapsed = elapsed_si if elapsed_si is not None else elapsed_display
    distance_si, distance_display = si_or_display("Distance")
    distance = distance_si
    if distance is None and distance_display is not None:
        # The display column is in kilometres (metres for swims) [the unit of a person who
        # set miles in Strava is not known: assumed kilometres].
        distance = distance_display if sport == "swimming" else distance_display * 1000.0
    max_hr_si, max_hr_display = si_or_display("Max Heart Rate")
    max_hr = max_hr_si if max_hr_si is not None else max_hr_display
    exertion = number("Perceived Exertion")
    filename = text("Filename").replace("\\", "/") or None
    return StravaRow(
        activity_id=activity_id,
        start=start,
        name=text("Activity Name"),
        sport=sport,
        elapsed_s=_non_negative(elapsed),
        moving_s=_non_negative(number("Moving Time")),
        distance_m=_non_negative(distance),
        elevation_gain_m=_non_negative(number("Elevation Gain")),
        avg_hr=_positive(number("Average Heart Rate")),
        max_hr=_positive(max_hr),
        perceived_exertion=exertion if exertion is not None and 1 <= exertion <= 10 else None,
        filename=filename,
        prefer_perceived_exertion=text("Prefer Perceived Exertion").casefold() in _TRUE,
    )


def _non_negative(value: float | None) -> float | None:
    return value if value is not None and value >= 0 else None


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


# --- the export: a folder or a zip -----------------------------------------------------------


def safe_relative_name(name: str) -> str | None:
    """``name`` as a clean relative path ("a/b.gpx") or None when it could leave the folder
    it is relative to (``..`` parts, an absolute path, a drive letter) or is empty."""
    text = name.replace("\\", "/")
    if text.startswith("/") or re.match(r"[A-Za-z]:", text) or "\0" in text:
        return None
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def is_nested_archive(name: str) -> bool:
    return name.lower().endswith(NESTED_ARCHIVE_SUFFIXES)


def _csv_location(names: Sequence[str]) -> str | None:
    """The folder prefix ("" or "export_1/") of activities.csv among relative names, at
    the top or one folder down; the shallowest, then the first in sorted order."""
    found = sorted(
        (name.count("/"), name)
        for name in names
        if name.count("/") <= 1 and name.rsplit("/", 1)[-1].lower() == CSV_NAME
    )
    return found[0][1][: -len(CSV_NAME)] if found else None


def _zip_csv_prefix(archive: zipfile.ZipFile) -> str | None:
    names = [safe_relative_name(info.filename) for info in archive.infolist()]
    return _csv_location([name for name in names if name])


def _folder_csv_dir(path: Path) -> Path | None:
    if (path / CSV_NAME).is_file():
        return path
    try:
        found = sorted(sub for sub in path.iterdir() if (sub / CSV_NAME).is_file())
    except OSError:
        return None
    return found[0] if found else None


def is_strava_export(path: Path) -> bool:
    """A folder holding activities.csv (or whose one sub-folder does), or a zip with an
    activities.csv at its top or one folder down."""
    try:
        if path.is_dir():
            return _folder_csv_dir(path) is not None
        if not path.is_file() or not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            return _zip_csv_prefix(archive) is not None
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


class StravaExport:
    """An open Strava export (zip or folder). ``csv`` is activities.csv as read,
    ``problems`` what belongs to no single activity; :meth:`items` reads the files one
    at a time. Raises ActivityFileError when ``path`` is not a readable export.

    Use as a context manager (a zip stays open until :meth:`close`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[ExportProblem] = []
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo | None] = {}
        self._prefix = ""
        self._root = path
        try:
            if path.is_dir():
                root = _folder_csv_dir(path)
                if root is None:
                    raise ActivityFileError(f"no {CSV_NAME} in this folder: not a Strava export")
                self._root = root
                csv_bytes = self._read_folder_file(CSV_NAME)
            else:
                csv_bytes = self._open_zip(path)
            self.csv = parse_activities_csv(csv_bytes)
        except BaseException:
            self.close()
            raise
        self.problems.extend(
            ExportProblem(f"{CSV_NAME} line {p.line}", p.reason) for p in self.csv.problems
        )

    # -- zip ------------------------------------------------------------------------------------

    def _open_zip(self, path: Path) -> bytes:
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            raise ActivityFileError(f"cannot open the zip ({exc})") from None
        for info in infos:
            if info.is_dir():
                continue
            name = safe_relative_name(info.filename)
            if name is None:
                self.problems.append(
                    ExportProblem(info.filename, "unsafe path (leaves the export): refused")
                )
                continue
            if is_nested_archive(name):
                self.problems.append(
                    ExportProblem(name, "an archive inside the export: not opened")
                )
            if name in self._members:
                self.problems.append(ExportProblem(name, "in the zip twice: refused"))
                self._members[name] = None
                continue
            self._members[name] = info
        prefix = _csv_location(list(self._members))
        if prefix is None:
            raise ActivityFileError(f"no {CSV_NAME} in this zip: not a Strava export")
        self._prefix = prefix
        return self._read_zip_member(prefix + CSV_NAME)

    def _read_zip_member(self, name: str) -> bytes:
        assert self._zip is not None
        if name not in self._members:
            raise ActivityFileError("listed in activities.csv but not in the export")
        info = self._members[name]
        if info is None:
            raise ActivityFileError("in the zip twice: refused")
        check_zip_member(info)
        limit = files.MAX_FILE_BYTES
        chunks: list[bytes] = []
        total = 0
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(_CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise files.too_large()
                    chunks.append(chunk)
        except ActivityFileError:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as exc:
            # RuntimeError: encrypted; NotImplementedError (a RuntimeError): unknown method;
            # zlib.error is not an OSError: caught below.
            raise ActivityFileError(f"cannot unpack it from the zip ({exc})") from None
        except Exception as exc:  # zlib.error, lzma.LZMAError, ...: the member is damaged
            raise ActivityFileError(f"damaged in the zip ({type(exc).__name__}: {exc})") from None
        return b"".join(chunks)

    # -- folder ---------------------------------------------------------------------------------

    def _read_folder_file(self, name: str) -> bytes:
        path = self._root / name
        try:
            inside = path.resolve().is_relative_to(self._root.resolve())
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            raise ActivityFileError("leads outside the export folder: refused")
        if not path.exists():
            raise ActivityFileError("listed in activities.csv but not in the export")
        return files.read_bytes_capped(path)

    # -- both -----------------------------------------------------------------------------------

    def read(self, filename: str) -> bytes:
        """The bytes of a file the CSV names (relative to the export). ActivityFileError
        when it is unsafe, missing, an archive, too large or damaged."""
        name = safe_relative_name(filename)
        if name is None:
            raise ActivityFileError("unsafe path (leaves the export): refused")
        if is_nested_archive(name):
            raise ActivityFileError("an archive inside the export: not opened")
        if self._zip is not None:
            return self._read_zip_member(self._prefix + name)
        return self._read_folder_file(name)

    def items(self) -> Iterator[StravaItem]:
        """Each kept row with its file's bytes (read now, one at a time), or None for a
        manual activity, or the ActivityFileError that explains why there are no bytes;
        then each duplicate row with the error that says so."""
        for row in self.csv.rows:
            if row.filename is None:
                yield StravaItem(row, None, None)
                continue
            try:
                data: bytes | ActivityFileError = self.read(row.filename)
            except ActivityFileError as exc:
                data = exc
            yield StravaItem(row, row.filename, data)
        for row, reason in self.csv.duplicates:
            yield StravaItem(row, row.filename, ActivityFileError(reason))

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> StravaExport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def check_zip_member(info: zipfile.ZipInfo) -> None:
    """Refuse a zip member from what it declares, before anything is decompressed:
    encrypted, larger than ``files.MAX_FILE_BYTES`` unpacked, or packed at a ratio beyond
    :data:`MAX_COMPRESSION_RATIO` (a zip bomb)."""
    if info.flag_bits & 0x1:
        raise ActivityFileError("encrypted in the zip: cannot be read")
    limit = files.MAX_FILE_BYTES
    if info.file_size > limit:
        raise ActivityFileError(
            f"declares {info.file_size:,} bytes unpacked, over the limit of {limit:,}: refused"
        )
    if info.file_size > RATIO_CHECK_MIN_BYTES:
        ratio = info.file_size / max(1, info.compress_size)
        if ratio > MAX_COMPRESSION_RATIO:
            raise ActivityFileError(
                f"compressed {ratio:,.0f} to 1 in the zip (a zip bomb?): refused"
            )


def iter_strava_export(path: Path) -> Iterator[StravaItem]:
    """Each activity of the export at ``path`` (zip or folder): ``(row, filename, data)``,
    ``data`` being the file's bytes, None for a manual activity, or the ActivityFileError
    that says why the file cannot be had (missing, unsafe, too large, damaged, a
    duplicate row). Raises ActivityFileError only when ``path`` is no readable export.

    CSV lines that cannot be read and zip members refused outright are not yielded (they
    belong to no row): use :class:`StravaExport` to report them too."""
    with StravaExport(path) as export:
        yield from export.items()


def strava_entries(path: Path) -> Iterator[tuple[str, Callable[[], ActivitySummary]]]:
    """For an importer that lists first and reads later: ``(source, read)`` for each
    activity of the export, each duplicate row, and each problem that belongs to no row
    (a CSV line that cannot be read, a refused zip member). ``read()`` reads that one file
    only when called and returns the summary (:func:`summarise_strava_item`), or raises
    ActivityFileError (NotAnActivityError: skip quietly); for a duplicate or a problem it
    always raises, with the reason. ``source`` is "<export>/<filename>", or
    "<export>: activity <id> (manual)", or "<export>/<where>" for a problem.

    Raises ActivityFileError at once when ``path`` is no readable export. The zip stays
    open as long as any ``read`` is referenced (it closes when the last is dropped), so the
    entries may be listed in full before any is read."""
    export = StravaExport(path)
    label = path.name
    duplicate_reasons = {reason for _, reason in export.csv.duplicates}

    def reader(row: StravaRow) -> Callable[[], ActivitySummary]:
        def read() -> ActivitySummary:
            if row.filename is None:
                return strava_summary(row)
            return strava_summary(row, files.read_activity(row.filename, export.read(row.filename)))

        return read

    def failure(reason: str, *, skip: bool = False) -> Callable[[], ActivitySummary]:
        def read() -> ActivitySummary:
            # A repeated row is skipped (its first row is imported), not an error.
            raise (NotAnActivityError if skip else ActivityFileError)(reason)

        return read

    for problem in export.problems:
        if problem.reason not in duplicate_reasons:
            yield f"{label}/{problem.where}", failure(problem.reason)
    for row in export.csv.rows:
        if row.filename is None:
            yield f"{label}: activity {row.activity_id} (manual)", reader(row)
        else:
            yield f"{label}/{row.filename}", reader(row)
    for row, reason in export.csv.duplicates:
        where = row.filename or f"activity {row.activity_id}"
        yield f"{label}/{where}", failure(reason, skip=True)


# --- summaries ---------------------------------------------------------------------------------


def strava_summary(row: StravaRow, file_summary: ActivitySummary | None = None) -> ActivitySummary:
    """The activity as backcoach keeps it: from the file's summary when there is one (with
    Strava's sport, name, ID and perceived exertion, and any value the file lacks taken
    from the CSV), else from the CSV alone (a manual activity, or a file that failed)."""
    if file_summary is None:
        elapsed = row.elapsed_s if row.elapsed_s is not None else (row.moving_s or 0.0)
        return ActivitySummary(
            sport=row.sport,
            start=row.start,
            elapsed_s=elapsed,
            moving_s=row.moving_s if row.moving_s is not None else elapsed,
            distance_m=row.distance_m,
            elevation_gain_m=row.elevation_gain_m,
            avg_hr=row.avg_hr,
            max_hr=round(row.max_hr) if row.max_hr is not None else None,
            avg_cadence=None,
            device=None,
            points=0,
            has_positions=False,
            perceived_exertion=row.perceived_exertion,
            name=row.name or None,
            source_id=row.activity_id,
        )
    s = file_summary
    return s._replace(
        sport=row.sport if row.sport != "other" else s.sport,
        distance_m=s.distance_m if s.distance_m is not None else row.distance_m,
        elevation_gain_m=(
            s.elevation_gain_m if s.elevation_gain_m is not None else row.elevation_gain_m
        ),
        avg_hr=s.avg_hr if s.avg_hr is not None else row.avg_hr,
        max_hr=s.max_hr if s.max_hr is not None or row.max_hr is None else round(row.max_hr),
        perceived_exertion=(
            row.perceived_exertion if row.perceived_exertion is not None else s.perceived_exertion
        ),
        name=row.name or s.name,
        source_id=row.activity_id,
    )


def summarise_strava_item(
    row: StravaRow, filename: str | None, data: bytes | ActivityFileError | None
) -> ActivitySummary:
    """The summary of one item of :func:`iter_strava_export`: its file read with
    :func:`files.read_activity` and merged with the row (:func:`strava_summary`), or the row
    alone for a manual activity. Raises the item's ActivityFileError, or the file's
    (NotAnActivityError for a file with no activity in it)."""
    if isinstance(data, ActivityFileError):
        raise data
    if data is None or filename is None:
        return strava_summary(row)
    return strava_summary(row, files.read_activity(filename, data))
