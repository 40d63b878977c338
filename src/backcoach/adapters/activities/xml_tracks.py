"""GPX and TCX readers: stream the XML through expat and feed each track point to a
:class:`~backcoach.domain.running.SummaryBuilder`.

No tree and no object per point: expat calls small handlers (element start and end; text
goes straight into a list), the handlers keep the current point's values in local
variables, and inside a point expat calls no Python at an element's start at all (see
"How the readers stream" below). The GPX reader also finds runs of plain points (written
the usual way, nothing else in them) with a regular expression and lets expat read those
without calling Python at all (see "Runs of plain points"). Times take a fast path for the
forms devices write (``2024-05-01T06:00:00Z``, with or without fractions, ``+00:00`` or no
zone): two cache look-ups, one for the date, hour and minute, one for the seconds and
zone. Time parsing is where gpxpy spends most of its time; the GPX reader is about 6 times
faster than gpxpy on a 1 Hz run with heart rate, and about 3.5 times on gpxpy's own test
files, GPSBabel exports where many points have no time (benchmarks/bench_gpx.py).

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

import re
from collections.abc import Callable, Iterator
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
    parser = expat.ParserCreate(encoding, intern=None)
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
    feed: Callable[[memoryview], object] | None = None,
) -> bool:
    """Parse ``data``: True when the document is complete (or the handlers stopped it),
    False when it breaks off (the handlers have seen everything before the break).
    ``feed``, when given, gives expat everything but the end (instead of the pieces
    given here).

    Raises ActivityFileError for a DOCTYPE or entity declaration, or XML that is not
    well-formed; _NotUtf8Error when bytes that are not UTF-8 are the problem.
    """
    view = memoryview(data)
    try:
        if feed is None:
            # In pieces, so that expat never copies the whole file into its own buffer.
            for offset in range(0, len(data), _PIECE):
                parser.Parse(view[offset : offset + _PIECE], False)
        else:
            feed(view)
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
# start handler keeps the attributes and removes itself (the elements inside the point
# cost no call at their start); from there the end handler reads the point's elements
# (GPX: the same handler, which checks a flag; TCX: the point's own end handler, put in
# for it). Text goes straight into a list (``texts.append``, no Python frame) and, inside
# a point, arrives as one run per element end, because with buffered text only the events
# that have handlers split it (and the end of each piece of input: the handlers join the
# list). Each element end inside the point takes the run (blank space before the value
# included, which float() and strip() ignore) and clears the list; the point's own end
# feeds the builder and puts the start handler back.

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


_NAN: Final = float("nan")
# A track point for SummaryBuilder.add_points: time, latitude, longitude, elevation,
# heart rate, cadence.
_Point = tuple[float | None, float | None, float | None, float | None, float | None, float | None]

# Runs of plain points. Most files write every point the same few ways: ``<trkpt lat=".."
# lon="..">`` with an elevation, a time and (Garmin) heart rate and cadence, nothing else.
# A regular expression finds runs of such points in the bytes first; expat still reads
# every byte (so errors, their positions, the end of a broken file and the refusal of a
# DOCTYPE are the same), but without Python calls inside a run: the reader gives expat the
# text up to the run's first start tag, then that tag alone. When expat reports it to the
# start handler (so it is a real tag, not text in a comment or CDATA section, and not
# inside another point), nothing but blank space is pending, and the file's encoding
# reads these bytes as ASCII, the reader takes out the end and text handlers, gives expat
# the rest of the run in one piece (it ends with a complete tag, so expat reads it all,
# which the reader checks: if not, it reads the file again without runs), puts the
# handlers back and adds the run's points from the values the expression found: what the
# handlers would have computed from the same text. Bytes that the expression takes for
# plain but are not well-formed (an end tag with another prefix) fail in expat as they
# would with the handlers. A run longer than a piece of input is taken in several.
#
# A plain point: exactly these bytes, blank space between the elements, ASCII only (no
# entity, comment, CDATA section or other markup can start in them).
_BLANK = rb"[ \t\r\n]*"
_VALUE = rb"([-+.0-9eE]{0,40})"
_PREFIX = rb"(?:[A-Za-z_][-.0-9A-Za-z_]{0,30}:)?"
_PLAIN_POINT: Final = re.compile(
    rb'<trkpt lat="' + _VALUE + rb'" lon="' + _VALUE + rb'">' + _BLANK
    + rb"(?:<ele>" + _VALUE + rb"</ele>" + _BLANK + rb")?"
    + rb"(?:<time>([-+.:0-9TZtz]{0,40})</time>" + _BLANK + rb")?"
    + rb"(?:<extensions>" + _BLANK + rb"<" + _PREFIX + rb"TrackPointExtension>" + _BLANK
    + rb"(?:<" + _PREFIX + rb"hr>" + _VALUE + rb"</" + _PREFIX + rb"hr>" + _BLANK + rb")?"
    + rb"(?:<" + _PREFIX + rb"cad>" + _VALUE + rb"</" + _PREFIX + rb"cad>" + _BLANK + rb")?"
    + rb"</" + _PREFIX + rb"TrackPointExtension>" + _BLANK + rb"</extensions>" + _BLANK + rb")?"
    + rb"</trkpt>" + _BLANK
)  # fmt: skip
_MIN_RUN: Final = 16  # shorter runs are left to the handlers (a run costs a few Parse calls)
_SAMPLED: Final = 8  # when none of the first points is plain, no run is looked for
# Encodings in which these bytes are these characters (expat's own, and those a file
# might declare that Python reads byte for byte).
_ASCII_BASED: Final = frozenset(
    ("utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252")
)
# (latitude, longitude, elevation, time, heart rate, cadence) as the bytes were written.
_Found = tuple[bytes | None, ...]


class _PlainRunError(Exception):
    """Expat did not stop where a run of plain points ends (never expected): read the
    file again without runs."""


def _plain_runs(data: bytes) -> Iterator[tuple[int, int, list[_Found]]]:
    """Runs of at least _MIN_RUN plain track points in ``data``, each no more than
    _PIECE bytes (a longer run comes in several): where the first point's start tag
    begins, where the last point's end tag ends, and the points' values as written."""
    if data.count(b"<trkpt") < _MIN_RUN:
        return
    match_at = _PLAIN_POINT.match
    at = -1
    for _ in range(_SAMPLED):
        at = data.find(b"<trkpt", at + 1)
        if at < 0:
            return
        if match_at(data, at):
            break
    else:
        return
    first = end = -1
    found: list[_Found] = []
    for match in _PLAIN_POINT.finditer(data, at):
        start, stop = match.span()
        if start != end or stop - first > _PIECE:
            if len(found) >= _MIN_RUN:
                yield first, data.rindex(b">", 0, end) + 1, found
            found = []
            first = start
        found.append(match.groups())
        end = stop
    if len(found) >= _MIN_RUN:
        yield first, data.rindex(b">", 0, end) + 1, found


def _ascii_based(declared: list[str | None], encoding: str | None) -> bool:
    said = encoding or (declared[0] if declared else None) or "utf-8"
    return said.lower().replace("_", "-") in _ASCII_BASED


def _read_gpx(data: bytes, encoding: str | None) -> ActivitySummary:
    try:
        return _read_gpx_once(data, encoding, runs=True)
    except _PlainRunError:
        return _read_gpx_once(data, encoding, runs=False)


def _read_gpx_once(data: bytes, encoding: str | None, *, runs: bool) -> ActivitySummary:
    parser, declared = _new_parser(encoding)
    builder = SummaryBuilder()
    # Points wait here for builder.add_points (cheaper per point than add()): flushed
    # before each new segment and after each piece of input, so never more than a
    # piece's worth.
    points: list[_Point] = []
    add = points.append
    texts: list[str] = []
    clear = texts.clear
    join = "".join
    codes = _GPX_SEEN
    # Elevation, heart rate and cadence texts (as the handlers see them, blank space
    # before the value included, or as a run's expression found them) -> float(text), NaN
    # when not a number: values repeat within a file, and float() is the dearest step per
    # point. Cleared with each flush.
    numbers: dict[str | bytes, float] = {}
    number = numbers.get
    # parse_time's fast path, written out (its caches are cleared, never replaced).
    minute = _MINUTES.get
    second = _SECONDS.get
    depth = 0
    in_pt = False
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

    def flush() -> None:
        builder.add_points(points)
        points.clear()
        numbers.clear()

    def start(name: str, attrs: list[str]) -> None:
        nonlocal depth, in_pt, pt_attrs, t, ele, hr, cad, in_trk, in_meta, creator
        try:
            code = codes[name]
        except KeyError:
            code = learn(name)
        if code == 1:  # _PT (not counted in depth)
            parser.StartElementHandler = None
            in_pt = True
            pt_attrs = attrs
            t = ele = hr = cad = None
            return
        depth += 1
        clear()
        if code == _SEG:
            flush()
            builder.break_segment()
        elif code == _TRK:
            flush()
            builder.break_segment()
            in_trk = True
        elif code == _META:
            in_meta = True
        elif code == _GPX:
            creator = _attribute(attrs, "creator")

    def end(name: str) -> None:
        nonlocal depth, in_pt, t, ele, hr, cad
        nonlocal in_trk, in_meta, track_name, track_type, file_name, file_time
        try:
            code = codes[name]
        except KeyError:
            code = learn(name)
        if in_pt:
            # The codes written out, most frequent first: _ELE, _TIME, _PT, _HR, _CAD.
            if code == 2:
                text = join(texts)
                ele = number(text)
                if ele is None:
                    try:
                        ele = numbers[text] = float(text)
                    except ValueError:
                        ele = numbers[text] = _NAN
                if not -1000.0 < ele < 10_000.0:
                    ele = None
            elif code == 3:
                text = join(texts).strip()
                base = minute(text[:16])
                rest = second(text[16:])
                if base is None or rest is None:
                    t = _time(text)
                else:
                    t = base + rest
                    if t < 315_964_800.0:  # EARLIEST_TIME
                        t = None
            elif code == 1:
                in_pt = False
                parser.StartElementHandler = start
                try:
                    # [name, value, name, value]: lat and lon, in either order, maybe more.
                    if pt_attrs[0] == "lat" and pt_attrs[2] == "lon":
                        lat = float(pt_attrs[1])
                        lon = float(pt_attrs[3])
                    else:
                        lat = float(_attribute(pt_attrs, "lat") or "-")
                        lon = float(_attribute(pt_attrs, "lon") or "-")
                except (IndexError, ValueError):
                    add((t, None, None, ele, hr, cad))
                else:
                    if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
                        add((t, lat, lon, ele, hr, cad))
                    else:
                        add((t, None, None, ele, hr, cad))
            elif code == 4:
                text = join(texts)
                hr = number(text)
                if hr is None:
                    try:
                        hr = numbers[text] = float(text)
                    except ValueError:
                        hr = numbers[text] = _NAN
                if not 0.0 < hr < 300.0:
                    hr = None
            elif code == 5:
                text = join(texts)
                cad = number(text)
                if cad is None:
                    try:
                        cad = numbers[text] = float(text)
                    except ValueError:
                        cad = numbers[text] = _NAN
                if not 0.0 <= cad < 300.0:
                    cad = None
            clear()
            return
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

    def value(text: bytes) -> float:
        """float(text) for a run's point, NaN when not a number, as ``number`` caches."""
        try:
            found = numbers[text] = float(text)
        except ValueError:
            found = numbers[text] = _NAN
        return found

    def add_run(found: list[_Found]) -> None:
        """The points of a run, computed as the handlers compute them from the same text
        (the blank space around a value, which they see and these do not, changes
        nothing: float() and strip() ignore it)."""
        for lat_text, lon_text, ele_text, time_text, hr_text, cad_text in found:
            if ele_text is None:
                run_ele = None
            else:
                run_ele = number(ele_text)
                if run_ele is None:
                    run_ele = value(ele_text)
                if not -1000.0 < run_ele < 10_000.0:
                    run_ele = None
            if time_text is None:
                run_t = None
            else:
                text = time_text.decode()
                base = minute(text[:16])
                rest = second(text[16:])
                if base is None or rest is None:
                    run_t = _time(text)
                else:
                    run_t = base + rest
                    if run_t < 315_964_800.0:  # EARLIEST_TIME
                        run_t = None
            if hr_text is None:
                run_hr = None
            else:
                run_hr = number(hr_text)
                if run_hr is None:
                    run_hr = value(hr_text)
                if not 0.0 < run_hr < 300.0:
                    run_hr = None
            if cad_text is None:
                run_cad = None
            else:
                run_cad = number(cad_text)
                if run_cad is None:
                    run_cad = value(cad_text)
                if not 0.0 <= run_cad < 300.0:
                    run_cad = None
            try:
                lat = float(lat_text or b"-")
                lon = float(lon_text or b"-")
            except ValueError:
                add((run_t, None, None, run_ele, run_hr, run_cad))
            else:
                if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
                    add((run_t, lat, lon, run_ele, run_hr, run_cad))
                else:
                    add((run_t, None, None, run_ele, run_hr, run_cad))

    def give(view: memoryview, begin: int, stop: int) -> None:
        """Bytes ``begin`` to ``stop`` to expat, with the handlers, in pieces."""
        for offset in range(begin, stop, _PIECE):
            parser.Parse(view[offset : min(offset + _PIECE, stop)], False)
            flush()

    def feed(view: memoryview) -> None:
        nonlocal in_pt
        done = 0  # bytes given to expat
        for first, after, found in _plain_runs(data) if runs else ():
            give(view, done, first)
            tag_end = data.index(b">", first) + 1
            outside = not in_pt
            parser.Parse(view[first:tag_end], False)  # the first point's start tag alone
            done = tag_end
            if (
                not (outside and in_pt)
                or join(texts).strip()
                or not _ascii_based(declared, encoding)
            ):
                continue  # the handlers read the run
            parser.EndElementHandler = None
            parser.CharacterDataHandler = None
            parser.Parse(view[tag_end:after], False)
            if parser.CurrentByteIndex != after:
                raise _PlainRunError
            done = after
            parser.StartElementHandler = start
            parser.EndElementHandler = end
            parser.CharacterDataHandler = texts.append
            in_pt = False
            clear()
            add_run(found)
            flush()
        give(view, done, len(data))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = texts.append
    complete = _run(parser, declared, data, "gpx", encoding, feed)
    flush()
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
