"""GPX and TCX readers: stream the XML through expat and feed each track point to a
:class:`~backcoach.domain.running.SummaryBuilder`.

No tree and no object per point: expat calls small handlers (element start and end; text
goes straight into a list), the handlers keep the current point's values in local
variables, and inside a point expat calls no Python at an element's start at all (see
"How the readers stream" below). Times take a fast path for the forms devices write
(``2024-05-01T06:00:00Z``, with or without fractions, ``+00:00`` or no zone): two cache
look-ups, one for the date, hour and minute, one for the seconds and zone. Time parsing is
where gpxpy spends most of its time; on a 1 Hz run with heart rate these readers are about
4 times faster (benchmarks/bench_gpx.py).

Safety: a document type declaration (``<!DOCTYPE``), and with it every entity declaration,
is refused before anything in it is read, so "billion laughs" and external-entity (XXE)
documents cost nothing and read no file; parameter entities and external entities are
never resolved.

Tolerance: blank space and a UTF-8 byte-order mark before ``<?xml`` (Strava), any
namespace prefix or none (elements are matched by local name: GPX 1.0 and 1.1, Garmin
TrackPointExtension v1 and v2, Cluetrust ``gpxdata``), empty segments, invalid numbers and
times (the value is dropped, not the file), bytes that are not UTF-8 in a file that says
it is (replaced), and a file that breaks off (the summary covers the points before, marked
``truncated``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Final, NoReturn
from xml.parsers import expat

from backcoach.domain.running import (
    ActivityFileError,
    ActivitySummary,
    NotAnActivityError,
    SummaryBuilder,
)

__all__ = ["parse_time", "sport_from_type", "summarise_gpx", "summarise_tcx"]

ENTITIES_REFUSED: Final = (
    "a document type (DOCTYPE) is refused: entity declarations are not allowed in an"
    " activity file (they can expand without limit or read other files)"
)
# Point times before the GPS epoch (1980-01-06) are placeholders, not times: GPSBabel
# writes 1901-12-13T20:45:52Z (-2**31 seconds) for "unknown".
EARLIEST_TIME: Final = 315_964_800.0
# Strava's numeric GPX <type> codes (only those that are certain).
STRAVA_TYPES: Final = {"1": "cycling", "4": "hiking", "9": "running", "10": "walking"}
_SPORT_WORDS: Final = (
    ("run", "running"),
    ("walk", "walking"),
    ("hik", "hiking"),
    ("cycl", "cycling"),
    ("bik", "cycling"),
    ("ride", "cycling"),
    ("swim", "swimming"),
)
_MAX_TEXT: Final = 200  # names and device names are cut to this many characters
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_EPOCH_DAY: Final = date(1970, 1, 1).toordinal()

_ERRORS: Final = expat.errors.codes
# Errors that only mean the document stops early (at the end of the data).
_BROKEN_OFF: Final = frozenset(
    _ERRORS[message]
    for message in (
        expat.errors.XML_ERROR_NO_ELEMENTS,
        expat.errors.XML_ERROR_UNCLOSED_TOKEN,
        expat.errors.XML_ERROR_PARTIAL_CHAR,
        expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
    )
)
_INVALID_TOKEN: Final = _ERRORS[expat.errors.XML_ERROR_INVALID_TOKEN]
_PIECE: Final = 1 << 16  # bytes given to expat at a time
_BROKEN_OFF_EARLY: Final = "the file breaks off before its first track point"

# --- times ----------------------------------------------------------------------------------

# Caches for parse_time, each cleared when it reaches _KEPT entries:
# "YYYY-MM-DDTHH:MM" -> Unix seconds at the start of that minute;
# ":SS[.fff][Z|+HH:MM]" -> seconds past the minute, less the zone's offset.
_MINUTES: dict[str, float] = {}
_SECONDS: dict[str, float] = {}
_DAYS: dict[str, float] = {}  # "YYYY-MM-DD" -> Unix seconds at its start
_CLOCK: dict[str, float] = {}  # "HH:MM" -> seconds since midnight (at most 1440)
_KEPT: Final = 20_000
_DIGITS: Final = frozenset("0123456789")


def _minute(key: str) -> float | None:
    """Unix seconds at ``YYYY-MM-DDTHH:MM`` (``T``, ``t`` or a space between), cached.
    A miss costs two more look-ups (the day, the hour and minute), so that sparse
    recordings (a point every 30 s) stay fast."""
    if len(key) != 16 or key[10] not in "Tt ":
        return None
    day = _DAYS.get(key[:10])
    if day is None:
        day = _day(key[:10])
        if day is None:
            return None
    clock = key[11:16]
    of_day = _CLOCK.get(clock)
    if of_day is None:
        if clock[2] != ":" or not _DIGITS.issuperset(clock[:2] + clock[3:]):
            return None
        hour, minute = int(clock[:2]), int(clock[3:])
        if hour > 23 or minute > 59:
            return None
        of_day = _CLOCK[clock] = hour * 3600.0 + minute * 60.0
    seconds = day + of_day
    if len(_MINUTES) >= _KEPT:
        _MINUTES.clear()
    _MINUTES[key] = seconds
    return seconds


def _day(text: str) -> float | None:
    """Unix seconds at the start of ``YYYY-MM-DD``, cached."""
    if (
        text[4:5] != "-"
        or text[7:8] != "-"
        or not _DIGITS.issuperset(text[:4] + text[5:7] + text[8:])
    ):
        return None
    try:
        day = date(int(text[:4]), int(text[5:7]), int(text[8:10])).toordinal() - _EPOCH_DAY
    except ValueError:
        return None
    if len(_DAYS) >= _KEPT:
        _DAYS.clear()
    seconds = _DAYS[text] = day * 86_400.0
    return seconds


def _second(tail: str) -> float | None:
    """Seconds past the minute, less the zone's offset, from ``:SS``, ``:SS.fff`` (any
    number of digits) followed by ``Z``, ``+HH:MM``, ``-HH:MM``, ``+HHMM`` or nothing;
    cached."""
    if len(tail) < 3 or tail[0] != ":" or not _DIGITS.issuperset(tail[1:3]):
        return None
    seconds = float(tail[1:3])
    if seconds > 60.0:  # 60: a leap second
        return None
    rest = tail[3:]
    if rest[:1] == ".":
        end = 1
        while end < len(rest) and rest[end] in _DIGITS:
            end += 1
        if end == 1:
            return None
        seconds += float(rest[:end])
        rest = rest[end:]
    if rest in ("", "Z", "z"):
        offset = 0
    else:
        digits = rest[1:3] + rest[-2:]
        if (
            rest[:1] not in ("+", "-")
            or len(rest) not in (5, 6)
            or (len(rest) == 6 and rest[3] != ":")
            or not _DIGITS.issuperset(digits)
            or int(rest[1:3]) > 23
            or int(rest[-2:]) > 59
        ):
            return None
        offset = int(rest[1:3]) * 3600 + int(rest[-2:]) * 60
        if rest[0] == "-":
            offset = -offset
    seconds -= offset
    if len(_SECONDS) >= _KEPT:
        _SECONDS.clear()
    _SECONDS[tail] = seconds
    return seconds


def parse_time(text: str) -> float | None:
    """Unix seconds from an ISO 8601 date and time (blank space around it ignored); None
    when ``text`` is not one.

    A time without a zone is taken as UTC (GPX requires UTC; some writers leave the ``Z``
    off). The forms devices write take a fast path: two cache look-ups, one for the date,
    hour and minute, one for the rest (seconds and zone), which at 1 Hz repeats every
    minute.
    """
    text = text.strip()
    base = _MINUTES.get(text[:16])
    if base is None:
        base = _minute(text[:16])
        if base is None:
            return _parse_time_slowly(text)
    seconds = _SECONDS.get(text[16:])
    if seconds is None:
        seconds = _second(text[16:])
        if seconds is None:
            return _parse_time_slowly(text)
    return base + seconds


def _parse_time_slowly(text: str) -> float | None:
    text = text.strip()
    if not text or not text.isascii() or text[:1] in "+-":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


# --- small helpers --------------------------------------------------------------------------


def sport_from_type(word: str | None) -> str:
    """The sport for a GPX ``<type>`` or a TCX ``Sport``: Strava's numeric codes (9 run,
    1 ride, 10 walk, 4 hike) and common words ("running", "trail_running", "Biking",
    "Walk"...); anything else, or nothing, is "other"."""
    if not word:
        return "other"
    word = word.strip().lower()
    if word in STRAVA_TYPES:
        return STRAVA_TYPES[word]
    for part, sport in _SPORT_WORDS:
        if part in word:
            return sport
    return "other"


def _clean(text: str | None) -> str | None:
    """A name for display: blank space collapsed, cut to _MAX_TEXT characters; None when
    empty."""
    if text is None:
        return None
    text = " ".join(text[: _MAX_TEXT * 4].split())[:_MAX_TEXT]
    return text or None


def _strip_start(data: bytes) -> bytes:
    """Blank space (Strava) and a UTF-8 byte-order mark before ``<?xml``."""
    data = data.lstrip()
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :].lstrip()
    return data


def _refuse(*_args: object) -> NoReturn:
    raise ActivityFileError(ENTITIES_REFUSED)


class _NotUtf8Error(Exception):
    """Bytes that are not UTF-8 in a document that is (or says nothing, so must be)."""


class _StopError(Exception):
    """Everything needed has been read: stop parsing."""


def _new_parser(encoding: str | None) -> tuple[expat.XMLParserType, list[str | None]]:
    """An expat parser that refuses a DOCTYPE and any entity declaration (before reading
    it), never reads a DTD or an external entity, and passes text in runs; and the list
    that receives the encoding the document declares."""
    parser = expat.ParserCreate(encoding)
    declared: list[str | None] = []
    parser.XmlDeclHandler = lambda _version, said, _standalone: declared.append(said)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    # Text comes in one call per stretch between the events that have handlers (or two,
    # when a stretch spans two pieces of input: the readers join what they get).
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.ordered_attributes = True  # a list [name, value, ...]: cheaper than a dict
    return parser, declared


def _run(
    parser: expat.XMLParserType,
    declared: list[str | None],
    data: bytes,
    kind: str,
    encoding: str | None,
) -> bool:
    """Parse ``data``: True when the document is complete (or the handlers stopped it),
    False when it breaks off (the handlers have seen everything before the break).

    Raises ActivityFileError for a DOCTYPE or entity declaration, or XML that is not
    well-formed; _NotUtf8Error when bytes that are not UTF-8 are the problem.
    """
    view = memoryview(data)
    try:
        # In pieces, so that expat never copies the whole file into its own buffer.
        for offset in range(0, len(data), _PIECE):
            parser.Parse(view[offset : offset + _PIECE], False)
        parser.Parse(b"", True)
    except _StopError:
        return True
    except expat.ExpatError as exc:
        if exc.code in _BROKEN_OFF:
            return False
        said = declared[0] if declared else None
        if (
            exc.code == _INVALID_TOKEN
            and encoding is None
            and (said is None or said.lower().replace("_", "-") in ("utf-8", "utf8"))
            and not _is_utf8(data)
        ):
            raise _NotUtf8Error from None
        raise ActivityFileError(f"not a well-formed .{kind} file: {exc}") from None
    except (LookupError, UnicodeError) as exc:  # an encoding Python does not know or read
        raise ActivityFileError(f"unreadable .{kind} file: {exc}") from None
    return True


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Element names as written (with their prefix) -> the reader's code for the local name,
# shared by all files (a device writes the same names every time), up to _KEPT names.
_GPX_SEEN: dict[str, int] = {}
_TCX_SEEN: dict[str, int] = {}


def _learn(name: str, codes: dict[str, int], seen: dict[str, int]) -> int:
    code = codes.get(name.rpartition(":")[2], 0)
    if len(seen) < _KEPT:
        seen[name] = code
    return code


def _attribute(attrs: list[str], name: str) -> str | None:
    """The value of the attribute ``name`` in expat's ordered list, or None."""
    for i in range(0, len(attrs) - 1, 2):
        if attrs[i] == name:
            return attrs[i + 1]
    return None


def _read(reader: Callable[[bytes, str | None], ActivitySummary], data: bytes) -> ActivitySummary:
    data = _strip_start(data)
    if not data:
        raise ActivityFileError("empty file")
    try:
        return reader(data, None)
    except _NotUtf8Error:
        # A file that says (or assumes) UTF-8 but holds other bytes, often Latin-1 names:
        # read it with those bytes replaced, which only names can contain.
        return reader(data.decode("utf-8", "replace").encode("utf-8"), "UTF-8")


def _start_of(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _time(text: str) -> float | None:
    """A time, or None when missing, invalid or a placeholder (before 1980)."""
    seconds = parse_time(text)
    return seconds if seconds is not None and seconds >= EARLIEST_TIME else None


# How the readers stream (both alike). Outside a point, the start and end handlers keep
# track of where the parser is (depth, track, metadata, activity). At a point's start the
# start handler keeps the attributes, removes itself (the elements inside the point cost
# no call at their start) and puts in the point's end handler. Text goes straight into a
# list (``texts.append``, no Python frame) and, inside a point, arrives as one run per
# element end, because with buffered text only the events that have handlers split it
# (and the end of each piece of input: the handlers join the list). Each element end
# inside the point takes the run (blank space before the value included, which float()
# and strip() ignore) and clears the list; the point's own end feeds the builder and puts
# the outside handlers back.

# --- GPX ------------------------------------------------------------------------------------

# Element codes, by local name (any namespace prefix, or none).
_PT, _ELE, _TIME, _HR, _CAD = 1, 2, 3, 4, 5
_TRK, _SEG, _NAME, _TYPE, _META, _GPX = 6, 7, 8, 9, 10, 11
_GPX_CODES: Final = {
    "trkpt": _PT,
    "ele": _ELE,
    "time": _TIME,
    "hr": _HR,
    "heartrate": _HR,
    "cad": _CAD,
    "cadence": _CAD,
    "trk": _TRK,
    "trkseg": _SEG,
    "name": _NAME,
    "type": _TYPE,
    "metadata": _META,
    "gpx": _GPX,
}


def summarise_gpx(data: bytes, source: str) -> ActivitySummary:
    """Summarise a GPX file (1.0 or 1.1) from its bytes; ``source`` is its name, for the
    caller's records (messages do not repeat it).

    Every track point of every track and segment counts; distance, climb and moving time
    are not counted across a gap between segments or tracks. Waypoints and routes are not
    an activity: a file with no track point raises NotAnActivityError. The sport comes
    from the first track's ``<type>`` ("other" without one), the name from the first
    track's ``<name>`` (else the file's), the device from the ``creator`` attribute.
    Point times before 1980 are placeholders and ignored; when no point has a time, the
    file's own ``<time>`` (metadata) is the start, with no elapsed or moving time, and
    without it the file is refused ("no timestamps").
    """
    del source
    return _read(_read_gpx, data)


def _read_gpx(data: bytes, encoding: str | None) -> ActivitySummary:
    parser, declared = _new_parser(encoding)
    builder = SummaryBuilder()
    add = builder.add
    texts: list[str] = []
    clear = texts.clear
    join = "".join
    codes = _GPX_SEEN
    depth = 0
    pt_attrs: list[str] = []
    t: float | None = None
    ele: float | None = None
    hr: float | None = None
    cad: float | None = None
    in_trk = in_meta = False
    track_name: str | None = None
    track_type: str | None = None
    file_name: str | None = None
    file_time: float | None = None
    creator: str | None = None

    def learn(name: str) -> int:
        return _learn(name, _GPX_CODES, codes)

    def start(name: str, attrs: list[str]) -> None:
        nonlocal depth, pt_attrs, t, ele, hr, cad, in_trk, in_meta, creator
        try:
            code = codes[name]
        except KeyError:
            code = learn(name)
        if code == _PT:  # (not counted in depth)
            parser.StartElementHandler = None
            parser.EndElementHandler = end_in_point
            pt_attrs = attrs
            t = ele = hr = cad = None
            return
        depth += 1
        clear()
        if code == _SEG:
            builder.break_segment()
        elif code == _TRK:
            builder.break_segment()
            in_trk = True
        elif code == _META:
            in_meta = True
        elif code == _GPX:
            creator = _attribute(attrs, "creator")

    def end_in_point(name: str) -> None:
        nonlocal t, ele, hr, cad
        try:
            code = codes[name]
        except KeyError:
            code = learn(name)
        if code == _ELE:
            try:
                ele = float(join(texts))
            except ValueError:
                ele = None
            else:
                if not -1000.0 < ele < 10_000.0:
                    ele = None
        elif code == _TIME:
            t = parse_time(join(texts))
            if t is not None and t < EARLIEST_TIME:
                t = None
        elif code == _PT:
            parser.StartElementHandler = start
            parser.EndElementHandler = end
            try:
                # [name, value, name, value]: lat and lon, in either order, maybe more.
                if pt_attrs[0] == "lat" and pt_attrs[2] == "lon":
                    lat = float(pt_attrs[1])
                    lon = float(pt_attrs[3])
                else:
                    lat = float(_attribute(pt_attrs, "lat") or "-")
                    lon = float(_attribute(pt_attrs, "lon") or "-")
            except (IndexError, ValueError):
                add(t, None, None, ele, hr, cad)
            else:
                if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
                    add(t, lat, lon, ele, hr, cad)
                else:
                    add(t, None, None, ele, hr, cad)
        elif code == _HR:
            try:
                hr = float(join(texts))
            except ValueError:
                hr = None
            else:
                if not 0.0 < hr < 300.0:
                    hr = None
        elif code == _CAD:
            try:
                cad = float(join(texts))
            except ValueError:
                cad = None
            else:
                if not 0.0 <= cad < 300.0:
                    cad = None
        clear()

    def end(name: str) -> None:
        nonlocal depth, in_trk, in_meta, track_name, track_type, file_name, file_time
        try:
            code = codes[name]
        except KeyError:
            code = learn(name)
        # The track's name and type; the file's name and time (GPX 1.0: children of
        # <gpx>; 1.1: of <metadata>). Not those of waypoints, routes, links or authors.
        if code in (_NAME, _TYPE, _TIME) and (depth == 2 or (depth == 3 and (in_trk or in_meta))):
            text = join(texts)
            if in_trk:
                if code == _NAME:
                    track_name = track_name or _clean(text)
                elif code == _TYPE:
                    track_type = track_type or _clean(text)
            elif code == _NAME:
                file_name = file_name or _clean(text)
            elif code == _TIME and file_time is None:
                file_time = _time(text.strip())
        elif code == _TRK:
            in_trk = False
        elif code == _META:
            in_meta = False
        depth -= 1
        clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = texts.append
    complete = _run(parser, declared, data, "gpx", encoding)
    if builder.points == 0:
        if not complete:
            raise ActivityFileError(_BROKEN_OFF_EARLY)
        raise NotAnActivityError(
            "no track points: waypoints or a planned route, not a recorded activity"
        )
    start_time = None
    if builder.first_t is None:
        start_time = _start_of(file_time)
        if start_time is None:
            raise ActivityFileError("no timestamps: cannot tell when the activity was")
    return builder.summary(
        sport=sport_from_type(track_type),
        device=_clean(creator),
        start=start_time,
        truncated=not complete,
        name=track_name or file_name,
    )


# --- TCX ------------------------------------------------------------------------------------

_T_PT, _T_TIME, _T_LAT, _T_LON, _T_ALT, _T_DIST, _T_VALUE, _T_CAD, _T_RUNCAD, _T_SPEED = range(
    1, 11
)
_T_ACT, _T_TRACK, _T_CREATOR, _T_NAME, _T_ID, _T_LAP = range(11, 17)
_TCX_CODES: Final = {
    "Trackpoint": _T_PT,
    "Time": _T_TIME,
    "LatitudeDegrees": _T_LAT,
    "LongitudeDegrees": _T_LON,
    "AltitudeMeters": _T_ALT,
    "DistanceMeters": _T_DIST,
    "Value": _T_VALUE,  # of HeartRateBpm: the only Value in a Trackpoint
    "Cadence": _T_CAD,
    "RunCadence": _T_RUNCAD,
    "Speed": _T_SPEED,
    "Activity": _T_ACT,
    "Track": _T_TRACK,
    "Creator": _T_CREATOR,
    "Name": _T_NAME,
    "Id": _T_ID,
    "Lap": _T_LAP,
}


def summarise_tcx(data: bytes, source: str) -> ActivitySummary:
    """Summarise the first activity in a TCX file from its bytes; ``source`` is its name,
    for the caller's records (messages do not repeat it).

    The sport is the Activity's ``Sport`` ("Running", "Biking", "Other"), the device its
    ``Creator/Name``. Track points need no position (a treadmill run): distance is the
    device's cumulative ``DistanceMeters``, or, on points with neither distance nor
    position, the ``Speed`` extension times the time since the previous point; without
    either, the distance summed from positions. Cadence is ``Cadence``, else the
    ``RunCadence`` extension, as recorded. A new ``Track`` is a gap (a pause). When no
    point has a time, the first lap's ``StartTime`` (else the Activity's ``Id``) is the
    start. A file with no Activity (a course) raises NotAnActivityError; activities after
    the first are not read.
    """
    del source
    return _read(_read_tcx, data)


def _read_tcx(data: bytes, encoding: str | None) -> ActivitySummary:
    parser, declared = _new_parser(encoding)
    builder = SummaryBuilder()
    add = builder.add
    texts: list[str] = []
    clear = texts.clear
    join = "".join
    codes = _TCX_SEEN
    depth = 0
    t: float | None = None
    lat: float | None = None
    lon: float | None = None
    alt: float | None = None
    dist: float | None = None
    hr: float | None = None
    cad: float | None = None
    run_cad: float | None = None
    speed: float | None = None
    # The last cumulative distance and the time it was at, for distance from speed.
    travelled: float | None = None
    travelled_t: float | None = None
    activities = 0
    act_depth = -1
    creator_depth = -1
    sport: str | None = None
    device: str | None = None
    lap_start: str | None = None
    act_id: str | None = None

    def learn(name: str) -> int:
        return _learn(name, _TCX_CODES, codes)

    def start(name: str, attrs: list[str]) -> None:
        nonlocal depth, t, lat, lon, alt, dist, hr, cad, run_cad, speed
        nonlocal activities, act_depth, creator_depth, sport, lap_start
        try:
            code = codes[name]
        except KeyError:
            code = learn(name)
        if code == _T_PT and activities:  # (not counted in depth)
            parser.StartElementHandler = None
            parser.EndElementHandler = end_in_point
            t = lat = lon = alt = dist = hr = cad = run_cad = speed = None
            return
        depth += 1
        clear()
        if code == _T_TRACK:
            builder.break_segment()
        elif code == _T_ACT:
            activities += 1
            act_depth = depth
            sport = _attribute(attrs, "Sport")
        elif code == _T_LAP:
            if lap_start is None:
                lap_start = _attribute(attrs, "StartTime")
        elif code == _T_CREATOR and depth == act_depth + 1:
            creator_depth = depth

    def end_in_point(name: str) -> None:
        nonlocal t, lat, lon, alt, dist, hr, cad, run_cad, speed, travelled, travelled_t
        try:
            code = codes[name]
        except KeyError:
            code = learn(name)
        if code == _T_PT:
            parser.StartElementHandler = start
            parser.EndElementHandler = end
            if lat is None or lon is None:
                lat = lon = None
            if dist is not None:
                travelled, travelled_t = dist, t
            elif speed is not None and lat is None and t is not None:
                # No distance and no position (a treadmill): integrate the speed.
                if travelled_t is not None and t > travelled_t:
                    dist = (travelled or 0.0) + speed * (t - travelled_t)
                    travelled = dist
                travelled_t = t
            add(t, lat, lon, alt, hr, cad if cad is not None else run_cad, dist)
        elif code == _T_TIME:
            t = parse_time(join(texts))
            if t is not None and t < EARLIEST_TIME:
                t = None
        elif code:
            try:
                value = float(join(texts))
            except ValueError:
                value = -1e9
            if code == _T_LAT:
                lat = value if -90.0 <= value <= 90.0 else None
            elif code == _T_LON:
                lon = value if -180.0 <= value <= 180.0 else None
            elif code == _T_ALT:
                alt = value if -1000.0 < value < 10_000.0 else None
            elif code == _T_DIST:
                dist = value if 0.0 <= value < 1e8 else None
            elif code == _T_VALUE:
                hr = value if 0.0 < value < 300.0 else None
            elif code == _T_CAD:
                cad = value if 0.0 <= value < 300.0 else None
            elif code == _T_RUNCAD:
                run_cad = value if 0.0 <= value < 300.0 else None
            elif code == _T_SPEED:
                speed = value if 0.0 <= value < 100.0 else None
        clear()

    def end(name: str) -> None:
        nonlocal depth, creator_depth, device, act_id
        try:
            code = codes[name]
        except KeyError:
            code = learn(name)
        if code == _T_NAME and depth == creator_depth + 1 and device is None:
            device = _clean(join(texts))
        elif code == _T_ID and depth == act_depth + 1 and act_id is None:
            act_id = join(texts).strip()
        depth -= 1
        clear()
        if depth < act_depth:  # the end of the first Activity: the rest is not read
            raise _StopError
        if depth < creator_depth:
            creator_depth = -1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = texts.append
    complete = _run(parser, declared, data, "tcx", encoding)
    if builder.points == 0 and not complete:
        raise ActivityFileError(_BROKEN_OFF_EARLY)
    if not activities:
        raise NotAnActivityError("no activity in this .tcx file (a course or a workout plan?)")
    if builder.points == 0:
        raise ActivityFileError("the activity has no track points")
    start_time = None
    if builder.first_t is None:
        fallback = _time(lap_start.strip()) if lap_start else None
        if fallback is None and act_id:
            fallback = _time(act_id)
        start_time = _start_of(fallback)
        if start_time is None:
            raise ActivityFileError("no timestamps: cannot tell when the activity was")
    return builder.summary(
        sport=sport_from_type(sport),
        device=device,
        start=start_time,
        truncated=not complete,
    )
