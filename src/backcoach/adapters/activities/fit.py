"""FIT files (Garmin, Wahoo, Coros, Suunto, Strava's apps): a streaming, pure-Python decoder.

:func:`summarise_fit` decodes a FIT file and feeds every ``record`` message straight into a
:class:`~backcoach.domain.running.SummaryBuilder`; no list of points is kept.
:func:`iter_records` yields the decoded record messages as dictionaries (for tests and tools).

How it stays fast: each definition message is compiled once (and cached across files) into a
:class:`struct.Struct` that unpacks every field we use in one ``unpack_from`` call and skips
the others (developer fields included) as pad bytes; a record's values are then reordered into
fixed slots with one :func:`operator.itemgetter`. The file CRC is checked two bytes at a time
through a 65,536-entry table.

What the FIT protocol asks of a reader, and what is done here:

* headers of 12 or 14 bytes (".FIT" at bytes 8-11, data size at 4-7, header CRC at 12-13);
  chained FIT files (another header right after a file's CRC);
* normal record headers (definition or data, local message type 0-15, developer-data flag) and
  compressed-timestamp headers (5-bit offset from the last full timestamp);
* little- and big-endian definitions; invalid values (0xFF, 0xFFFF, 0x7FFFFFFF, ...) mean
  "absent"; ``compressed_speed_distance`` (12-bit speed, accumulating 12-bit distance).

Damaged files: when the data breaks off (cut short, a message that was never defined, bad
CRC) after some records were read, the summary of those records comes back with
``truncated=True``; with nothing usable, :class:`ActivityFileError` says why. A valid FIT file
that is not an activity (monitoring, settings) raises :class:`NotAnActivityError`.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any, Final

from backcoach.domain.running import (
    ActivityFileError,
    ActivitySummary,
    NotAnActivityError,
    SummaryBuilder,
)

__all__ = ["fit_crc", "iter_records", "sport_name", "summarise_fit"]

FIT_EPOCH: Final = 631_065_600  # 1989-12-31T00:00:00Z in Unix seconds
SEMICIRCLE_DEG: Final = 180.0 / 2**31
FILE_TYPE_ACTIVITY: Final = 4
# In a file that is known to be damaged (bad CRC, cut short) a record whose time runs back by
# more than this, or jumps ahead by more than MAX_JUMP_S, is where the garbage starts.
MAX_BACKWARDS_S: Final = 60
MAX_JUMP_S: Final = 86_400

_INV8: Final = 0xFF
_INV16: Final = 0xFFFF
_INV32: Final = 0xFFFF_FFFF
_INVS32: Final = 0x7FFF_FFFF
_QUARTER: Final = 0x4000_0000  # 90 degrees in semicircles: a latitude beyond is not one

# Global message numbers.
_FILE_ID: Final = 0
_SPORT: Final = 12
_SESSION: Final = 18
_RECORD: Final = 20

# Base type number (the low 5 bits of the base type byte) -> (struct char, size, invalid).
_BASE: Final[dict[int, tuple[str, int, int | None]]] = {
    0: ("B", 1, 0xFF),  # enum
    1: ("b", 1, 0x7F),  # sint8
    2: ("B", 1, 0xFF),  # uint8
    3: ("h", 2, 0x7FFF),  # sint16
    4: ("H", 2, 0xFFFF),  # uint16
    5: ("i", 4, 0x7FFF_FFFF),  # sint32
    6: ("I", 4, 0xFFFF_FFFF),  # uint32
    7: ("s", 1, None),  # string (NUL-terminated UTF-8)
    8: ("f", 4, None),  # float32
    9: ("d", 8, None),  # float64
    10: ("B", 1, 0),  # uint8z
    11: ("H", 2, 0),  # uint16z
    12: ("I", 4, 0),  # uint32z
    13: ("B", 1, 0xFF),  # byte
    14: ("q", 8, 0x7FFF_FFFF_FFFF_FFFF),  # sint64
    15: ("Q", 8, 0xFFFF_FFFF_FFFF_FFFF),  # uint64
    16: ("Q", 8, 0),  # uint64z
}

# How a decoded value is turned into what iter_records and the summary use.
_NUM: Final = 0  # a number: raw / scale - offset
_TIME: Final = 1  # a date_time (seconds since the FIT epoch), kept raw
_TEXT: Final = 2  # a string
_CSD: Final = 3  # record.compressed_speed_distance (3 bytes)

# The fields this reader decodes: global message -> field number ->
# (name, base type number, scale, offset, how). Any other field is skipped unread.
_Field = tuple[str, int, float, float, int]
_PROFILE: Final[dict[int, dict[int, _Field]]] = {
    _FILE_ID: {
        0: ("type", 0, 1, 0, _NUM),
        1: ("manufacturer", 4, 1, 0, _NUM),
        2: ("product", 4, 1, 0, _NUM),
        4: ("time_created", 6, 1, 0, _TIME),
        8: ("product_name", 7, 1, 0, _TEXT),
    },
    _SPORT: {
        0: ("sport", 0, 1, 0, _NUM),
        1: ("sub_sport", 0, 1, 0, _NUM),
        3: ("name", 7, 1, 0, _TEXT),
    },
    _SESSION: {
        2: ("start_time", 6, 1, 0, _TIME),
        5: ("sport", 0, 1, 0, _NUM),
        6: ("sub_sport", 0, 1, 0, _NUM),
        7: ("total_elapsed_time", 6, 1000, 0, _NUM),
        8: ("total_timer_time", 6, 1000, 0, _NUM),
        9: ("total_distance", 6, 100, 0, _NUM),
        16: ("avg_heart_rate", 2, 1, 0, _NUM),
        17: ("max_heart_rate", 2, 1, 0, _NUM),
        18: ("avg_cadence", 2, 1, 0, _NUM),
        22: ("total_ascent", 4, 1, 0, _NUM),
    },
    _RECORD: {
        0: ("position_lat", 5, 1, 0, _NUM),
        1: ("position_long", 5, 1, 0, _NUM),
        2: ("altitude", 4, 5, 500, _NUM),
        3: ("heart_rate", 2, 1, 0, _NUM),
        4: ("cadence", 2, 1, 0, _NUM),
        5: ("distance", 6, 100, 0, _NUM),
        6: ("speed", 4, 1000, 0, _NUM),
        7: ("power", 4, 1, 0, _NUM),
        8: ("compressed_speed_distance", 13, 1, 0, _CSD),
        9: ("grade", 3, 100, 0, _NUM),
        13: ("temperature", 1, 1, 0, _NUM),
        53: ("fractional_cadence", 2, 128, 0, _NUM),
        73: ("enhanced_speed", 6, 1000, 0, _NUM),
        78: ("enhanced_altitude", 6, 5, 500, _NUM),
    },
}
_TIMESTAMP_FIELD: Final[_Field] = ("timestamp", 6, 1, 0, _TIME)  # field 253 of any message

# A record's values in the order SummaryBuilder wants them; a field the definition lacks is
# filled from _RECORD_PAD (its invalid value, so one comparison covers "absent" and "invalid").
_RECORD_SLOTS: Final = (253, 0, 1, 2, 78, 3, 4, 5, 8)
_RECORD_PAD: Final = (_INV32, _INVS32, _INVS32, _INV16, _INV32, _INV8, _INV8, _INV32, None)

# What the scanner does with a message of a definition.
_SKIP: Final = 0  # nothing: step over its bytes
_STAMP: Final = 1  # only read its timestamp (the reference for compressed timestamps)
_KEEP_RECORD: Final = 2
_KEEP_INFO: Final = 3  # file_id, sport, session: decoded into a dict

SPORTS: Final[dict[int, str]] = {
    0: "generic",
    1: "running",
    2: "cycling",
    3: "transition",
    4: "fitness_equipment",
    5: "swimming",
    6: "basketball",
    7: "soccer",
    8: "tennis",
    9: "american_football",
    10: "training",
    11: "walking",
    12: "cross_country_skiing",
    13: "alpine_skiing",
    14: "snowboarding",
    15: "rowing",
    16: "mountaineering",
    17: "hiking",
    18: "multisport",
    19: "paddling",
    20: "flying",
    21: "e_biking",
    22: "motorcycling",
    23: "boating",
    24: "driving",
    25: "golf",
    26: "hang_gliding",
    27: "horseback_riding",
    28: "hunting",
    29: "fishing",
    30: "inline_skating",
    31: "rock_climbing",
    32: "sailing",
    33: "ice_skating",
    34: "sky_diving",
    35: "snowshoeing",
    36: "snowmobiling",
    37: "stand_up_paddleboarding",
    38: "surfing",
    39: "wakeboarding",
    40: "water_skiing",
    41: "kayaking",
    42: "rafting",
    43: "windsurfing",
    44: "kitesurfing",
    45: "tactical",
    46: "jumpmaster",
    47: "boxing",
    48: "floor_climbing",
    49: "baseball",
    53: "diving",
    62: "hiit",
    64: "racket",
    65: "wheelchair_push_walk",
    66: "wheelchair_push_run",
    67: "meditation",
    69: "disc_golf",
    71: "cricket",
    72: "rugby",
    73: "hockey",
    74: "lacrosse",
    75: "volleyball",
    76: "water_tubing",
    77: "wakesurfing",
    80: "mixed_martial_arts",
    82: "snorkeling",
    83: "dance",
    84: "jump_rope",
}
# Sub-sports of fitness_equipment (4) that are a run or a walk on a machine.
_SUB_SPORT_AS: Final[dict[int, str]] = {1: "running", 45: "running", 27: "walking"}

FILE_TYPES: Final[dict[int, str]] = {
    1: "device",
    2: "settings",
    3: "sport",
    4: "activity",
    5: "workout",
    6: "course",
    7: "schedules",
    9: "weight",
    10: "totals",
    11: "goals",
    14: "blood pressure",
    15: "monitoring",
    20: "activity summary",
    28: "daily monitoring",
    32: "monitoring",
    34: "segment",
    35: "segment list",
    40: "Connect IQ configuration",
}

MANUFACTURERS: Final[dict[int, str]] = {
    1: "Garmin",
    13: "Dynastream",
    15: "Dynastream",
    16: "Timex",
    23: "Suunto",
    32: "Wahoo",
    40: "Concept2",
    41: "Shimano",
    63: "Specialized",
    69: "Stages",
    70: "Sigma",
    71: "TomTom",
    89: "Tacx",
    95: "Stryd",
    112: "Bryton",
    123: "Polar",
    255: "development",
    258: "Lezyne",
    260: "Zwift",
    265: "Strava",
    267: "Bryton",
    268: "SRAM",
    281: "TrainerRoad",
    282: "The Sufferfest",
    289: "Hammerhead",
    294: "COROS",
    300: "NURVV",
    305: "WHOOP",
    310: "Decathlon",
    326: "Nike",
}
# file_id.product is a garmin_product for these manufacturers.
_GARMIN_LIKE: Final = frozenset((1, 13, 15, 89))
GARMIN_PRODUCTS: Final[dict[int, str]] = {
    1: "HRM1",
    717: "Forerunner 405",
    782: "Forerunner 50",
    988: "Forerunner 60",
    1018: "Forerunner 310XT",
    1036: "Edge 500",
    1124: "Forerunner 110",
    1169: "Edge 800",
    1325: "Edge 200",
    1328: "Forerunner 910XT",
    1345: "Forerunner 610",
    1436: "Forerunner 70",
    1482: "Forerunner 10",
    1551: "fenix",
    1561: "Edge 510",
    1567: "Edge 810",
    1623: "Forerunner 620",
    1632: "Forerunner 220",
    1765: "Forerunner 920XT",
    1836: "Edge 1000",
    1903: "Forerunner 15",
    1907: "vivoactive",
    1967: "fenix 2",
    1988: "epix",
    2050: "fenix 3",
    2067: "Edge 520",
    2148: "Forerunner 25",
    2153: "Forerunner 225",
    2156: "Forerunner 630",
    2157: "Forerunner 230",
    2158: "Forerunner 735XT",
    2337: "vivoactive HR",
    2413: "fenix 3 HR",
    2431: "Forerunner 235",
    2503: "Forerunner 35",
    2530: "Edge 820",
    2544: "fenix 5S",
    2604: "fenix 5X",
    2691: "Forerunner 935",
    2697: "fenix 5",
    2700: "vivoactive 3",
    2713: "Edge 1030",
    2886: "Forerunner 645",
    2888: "Forerunner 645 Music",
    2900: "fenix 5S Plus",
    3076: "Forerunner 245",
    3077: "Forerunner 245 Music",
    3110: "fenix 5 Plus",
    3111: "fenix 5X Plus",
    3113: "Forerunner 945",
    3121: "Edge 530",
    3122: "Edge 830",
    3226: "Venu",
    3282: "Forerunner 45",
    3288: "fenix 6S",
    3289: "fenix 6 Sport",
    3290: "fenix 6",
    3291: "fenix 6X",
    3466: "Instinct Solar",
    3589: "Forerunner 745",
    3638: "Enduro",
    3652: "Forerunner 945 LTE",
    3703: "Venu 2",
    3704: "Venu 2S",
    3843: "Edge 1040",
    3869: "Forerunner 55",
    3888: "Instinct 2",
    3905: "fenix 7S",
    3906: "fenix 7",
    3907: "fenix 7X",
    3943: "epix (Gen 2)",
    3990: "Forerunner 255 Music",
    3992: "Forerunner 255",
    4024: "Forerunner 955",
    4257: "Forerunner 265",
    4258: "Forerunner 265S",
    4260: "Venu 3",
    4315: "Forerunner 965",
    4341: "Enduro 2",
    4432: "Forerunner 165",
    4536: "fenix 8",
    10007: "SDM4 foot pod",
}


# --- CRC ------------------------------------------------------------------------------------


def _crc_table8() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC8: Final = _crc_table8()


@cache
def _crc_table16() -> list[int]:
    """The CRC of two bytes at once: entry x is the state after bytes x & 0xFF, x >> 8 from
    state 0; since the CRC is 16 bits, ``crc = table[crc ^ word]`` steps a little-endian word."""
    t = _CRC8
    return [(t[x & 0xFF] >> 8) ^ t[((x >> 8) ^ t[x & 0xFF]) & 0xFF] for x in range(65536)]


def fit_crc(data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> int:
    """The FIT CRC-16 (as CRC-16/ARC: reflected polynomial 0xA001, start 0) of data[start:end]."""
    if end is None:
        end = len(data)
    crc = 0
    if end - start < 64:
        t8 = _CRC8
        for byte in bytes(data[start:end]):
            crc = (crc >> 8) ^ t8[(crc ^ byte) & 0xFF]
        return crc
    words = array("H")
    words.frombytes(memoryview(data)[start : end - ((end - start) & 1)])
    if sys.byteorder == "big":
        words.byteswap()
    t16 = _crc_table16()
    for word in words:
        crc = t16[crc ^ word]
    if (end - start) & 1:
        crc = (crc >> 8) ^ _CRC8[(crc ^ data[end - 1]) & 0xFF]
    return crc


# --- definitions ----------------------------------------------------------------------------


class _Definition:
    """A compiled definition message: how to read the data messages of one local type."""

    __slots__ = ("fields", "global_num", "has_csd", "kind", "pick", "size", "ts_index", "unpack")

    def __init__(
        self,
        global_num: int,
        kind: int,
        size: int,
        unpack: Callable[[bytes, int], tuple[Any, ...]] | None,
        fields: tuple[_Field, ...],
        ts_index: int,
        pick: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None,
        has_csd: bool,
    ) -> None:
        self.global_num = global_num
        self.kind = kind
        self.size = size  # bytes after the record header
        self.unpack = unpack
        self.fields = fields  # what each unpacked value is
        self.ts_index = ts_index  # where field 253 is among the unpacked values; -1 if absent
        self.pick = pick  # records: unpacked values + _RECORD_PAD -> _RECORD_SLOTS order
        self.has_csd = has_csd


@lru_cache(maxsize=1024)
def _compile(body: bytes, with_dev: bool) -> _Definition:
    """Compile a definition message from its bytes after the record header (reserved byte,
    architecture, global number, field count, fields, [developer field count, fields]).
    Cached: a watch writes the same few definitions into every file."""
    arch = body[1]
    if arch > 1:
        raise ValueError(f"architecture byte {arch} is neither 0 (little) nor 1 (big endian)")
    global_num = int.from_bytes(body[2:4], "big" if arch else "little")
    count = body[4]
    wanted = _PROFILE.get(global_num, {})
    pieces: list[str] = []
    pad = 0
    fields: list[_Field] = []
    numbers: list[int] = []
    offsets: list[int] = []  # of the wanted fields, in bytes from the message start
    size = 0
    for i in range(5, 5 + 3 * count, 3):
        num, fsize, base_byte = body[i], body[i + 1], body[i + 2]
        size += fsize
        spec = _TIMESTAMP_FIELD if num == 253 else wanted.get(num)
        piece = _piece(spec, fsize, base_byte & 0x1F) if spec is not None else None
        if spec is None or piece is None:
            pad += fsize
            continue
        if pad:
            pieces.append(f"{pad}x")
            pad = 0
        pieces.append(piece)
        fields.append(spec)
        numbers.append(num)
        offsets.append(size - fsize)
    if with_dev:
        dev_at = 5 + 3 * count
        for i in range(dev_at + 1, dev_at + 1 + 3 * body[dev_at], 3):
            size += body[i + 1]
            pad += body[i + 1]
    ts_index = numbers.index(253) if 253 in numbers else -1
    if global_num == _RECORD:
        kind = _KEEP_RECORD
    elif global_num in _PROFILE:
        kind = _KEEP_INFO
    else:
        kind = _STAMP if ts_index >= 0 else _SKIP
    if kind == _STAMP:  # only the timestamp is needed: unpack nothing else
        offset = offsets[ts_index]
        fields, numbers = [_TIMESTAMP_FIELD], [253]
        pieces = [f"{offset}x", "I"] if offset else ["I"]
        ts_index = 0
    unpack = None
    if kind != _SKIP:
        unpack = struct.Struct((">" if arch else "<") + "".join(pieces)).unpack_from
    pick = None
    if kind == _KEEP_RECORD:
        n = len(numbers)
        where = {num: i for i, num in enumerate(numbers)}
        pick = itemgetter(*(where.get(num, n + slot) for slot, num in enumerate(_RECORD_SLOTS)))
    return _Definition(
        global_num,
        kind,
        size,
        unpack,
        tuple(fields),
        ts_index,
        pick,
        8 in numbers and kind == _KEEP_RECORD,
    )


def _piece(spec: _Field, size: int, base: int) -> str | None:
    """The struct format of a wanted field, or None when the file declares it in a way this
    reader does not expect (then it is skipped like an unknown field)."""
    _, want, _, _, how = spec
    if how == _TEXT:
        return f"{size}s" if base == 7 and size else None
    if how == _CSD:
        return "3s" if size == 3 else None
    declared = _BASE.get(base)
    expected = _BASE[want]
    if declared is None or declared[0] != expected[0] or declared[2] != expected[2]:
        return None
    return expected[0] if size == expected[1] else None


# --- the scanner ----------------------------------------------------------------------------


class _BreakError(Exception):
    """The data cannot be decoded past this point (the reason is for people)."""


class _Scan:
    """Walks a FIT file (all its chained parts), handing records to a sink."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.problem: str | None = None  # why the file could not be read to the end
        self.file_types: list[int] = []
        self.file_ids: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []
        self.sports: list[dict[str, Any]] = []

    def run(
        self,
        add: Callable[..., None] | None = None,
        emit: Callable[[dict[str, Any]], None] | None = None,
        skip_non_activity: bool = False,
    ) -> None:
        """Decode; records go to ``add`` (SummaryBuilder.add's arguments) or to ``emit``
        (dictionaries). Raises ActivityFileError when the data is not FIT at all; any later
        break is kept in ``problem``."""
        data = self.data
        n = len(data)
        pos = 0
        while True:
            header = _header(data, pos)
            if header is None:
                if pos == 0:
                    raise ActivityFileError("not a FIT file")
                self.problem = f"the data after byte {pos} is not a FIT file"
                return
            header_size, data_size, header_ok = header
            body_end = pos + header_size + data_size
            damaged = not header_ok
            problem = None if header_ok else "bad header CRC"
            if body_end + 2 > n:
                damaged = True
                problem = (
                    f"the file is cut short: it has {n} bytes, its header announces {body_end + 2}"
                )
                body_end = n
            elif fit_crc(data, pos, body_end) != data[body_end] | data[body_end + 1] << 8:
                damaged = True
                problem = "bad CRC: the file is damaged"
            try:
                self._segment(pos + header_size, body_end, damaged, add, emit, skip_non_activity)
            except _BreakError as exc:
                self.problem = str(exc)
                return
            except (struct.error, ValueError, IndexError, OverflowError) as exc:  # a safety net
                self.problem = f"undecodable data ({exc})"
                return
            if problem is not None:
                self.problem = problem
                return
            pos = body_end + 2
            if pos >= n:
                return

    def _segment(
        self,
        pos: int,
        end: int,
        damaged: bool,
        add: Callable[..., None] | None,
        emit: Callable[[dict[str, Any]], None] | None,
        skip_non_activity: bool,
    ) -> None:
        data = self.data
        defs: list[_Definition | None] = [None] * 16
        last_ts = 0  # the raw timestamp compressed headers count from
        csd_acc = 0  # accumulated compressed distance (1/16 m)
        prev_t = -1  # damaged files: the last plausible record time
        pad = _RECORD_PAD
        sc = SEMICIRCLE_DEG
        epoch = FIT_EPOCH
        while pos < end:
            h = data[pos]
            if h & 0x80:  # compressed timestamp header
                d = defs[(h >> 5) & 3]
                offset = h & 0x1F
                last_ts = (last_ts & ~0x1F) + offset + (0x20 if offset < (last_ts & 0x1F) else 0)
                header_ts = last_ts
            elif h & 0x40:  # definition message
                fields_end = pos + 6 + 3 * data[pos + 5] if pos + 6 <= end else end + 1
                if h & 0x20 and fields_end < end:
                    fields_end += 1 + 3 * data[fields_end]
                elif h & 0x20:
                    fields_end = end + 1
                if fields_end > end:
                    raise _BreakError(f"the file ends in the middle of a message at byte {pos}")
                try:
                    d = _compile(data[pos + 1 : fields_end], bool(h & 0x20))
                except ValueError as exc:
                    raise _BreakError(f"bad definition message at byte {pos}: {exc}") from None
                defs[h & 0x0F] = d
                if d.has_csd:
                    csd_acc = 0
                pos = fields_end
                continue
            else:
                d = defs[h & 0x0F]
                header_ts = -1
            if d is None:
                local = h & 0x0F if h < 0x80 else (h >> 5) & 3
                raise _BreakError(
                    f"bad message at byte {pos}: local type {local} was never defined"
                )
            start = pos + 1
            pos = start + d.size
            if pos > end:
                raise _BreakError(f"the file ends in the middle of a message at byte {start - 1}")
            kind = d.kind
            if kind == _KEEP_RECORD:
                assert d.unpack is not None and d.pick is not None
                if add is None:
                    assert emit is not None
                    values = d.unpack(data, start)
                    if d.ts_index >= 0 and values[d.ts_index] != _INV32:
                        last_ts = values[d.ts_index]
                    record, csd_acc = _record_dict(d, values, header_ts, csd_acc)
                    emit(record)
                    continue
                t, lat, lon, alt, ealt, hr, cad, dist, csd = d.pick(d.unpack(data, start) + pad)
                if t != _INV32:
                    last_ts = t
                elif header_ts >= 0:
                    t = header_ts
                else:
                    t = None
                if damaged and t is not None:
                    if prev_t >= 0 and not (prev_t - MAX_BACKWARDS_S <= t <= prev_t + MAX_JUMP_S):
                        raise _BreakError(f"the record at byte {start - 1} has an impossible time")
                    prev_t = t
                if dist != _INV32:
                    dist = dist / 100
                elif csd is not None and csd != b"\xff\xff\xff":
                    raw = (csd[1] >> 4) | (csd[2] << 4)
                    base = (csd_acc & ~0xFFF) + raw
                    csd_acc = base + 0x1000 if raw < (csd_acc & 0xFFF) else base
                    dist = csd_acc / 16
                else:
                    dist = None
                if lon == _INVS32 or not -_QUARTER <= lat <= _QUARTER:  # absent, or garbage
                    lat = lon = None
                else:
                    lat *= sc
                    lon *= sc
                raw_ele = ealt if ealt != _INV32 else (alt if alt != _INV16 else None)
                add(
                    None if t is None else t + epoch,
                    lat,
                    lon,
                    None if raw_ele is None else raw_ele / 5 - 500,  # same scale and offset
                    None if hr == _INV8 else hr,
                    None if cad == _INV8 else cad,
                    dist,
                )
            elif kind == _STAMP:
                assert d.unpack is not None
                t = d.unpack(data, start)[0]
                if t != _INV32:
                    last_ts = t
            elif kind == _KEEP_INFO:
                assert d.unpack is not None
                values = d.unpack(data, start)
                if d.ts_index >= 0 and values[d.ts_index] != _INV32:
                    last_ts = values[d.ts_index]
                info = _info_dict(d.fields, values)
                if d.global_num == _FILE_ID:
                    file_type = info.get("type")
                    if file_type is not None:
                        self.file_types.append(file_type)
                    self.file_ids.append(info)
                    if skip_non_activity and file_type not in (None, FILE_TYPE_ACTIVITY):
                        return  # not an activity: its messages are of no use here
                elif d.global_num == _SESSION:
                    self.sessions.append(info)
                else:
                    self.sports.append(info)


def _header(data: bytes, pos: int) -> tuple[int, int, bool] | None:
    """(header size, data size, header CRC fine) of the FIT header at pos, or None."""
    if len(data) - pos < 12 or data[pos + 8 : pos + 12] != b".FIT":
        return None
    size = data[pos]
    if size < 12 or pos + size > len(data):
        return None
    data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
    ok = True
    if size >= 14:
        crc = data[pos + 12] | data[pos + 13] << 8
        ok = crc == 0 or crc == fit_crc(data, pos, pos + 12)  # 0: the writer did not compute it
    return size, data_size, ok


def _value(spec: _Field, raw: Any) -> Any:
    _, base, scale, offset, how = spec
    if how == _TEXT:
        text: str = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        return text or None
    if raw == _BASE[base][2]:
        return None
    if how == _NUM and (scale != 1 or offset):
        return raw / scale - offset
    return raw


def _info_dict(fields: tuple[_Field, ...], values: tuple[Any, ...]) -> dict[str, Any]:
    return {spec[0]: _value(spec, raw) for spec, raw in zip(fields, values, strict=True)}


def _record_dict(
    d: _Definition, values: tuple[Any, ...], header_ts: int, csd_acc: int
) -> tuple[dict[str, Any], int]:
    record: dict[str, Any] = {}
    for spec, raw in zip(d.fields, values, strict=True):
        name, how = spec[0], spec[4]
        if how == _CSD:
            if raw == b"\xff\xff\xff":
                continue
            speed_raw = raw[0] | (raw[1] & 0x0F) << 8
            record["speed"] = speed_raw / 100
            dist_raw = (raw[1] >> 4) | (raw[2] << 4)
            base = (csd_acc & ~0xFFF) + dist_raw
            csd_acc = base + 0x1000 if dist_raw < (csd_acc & 0xFFF) else base
            record["distance"] = csd_acc / 16
        else:
            record[name] = _value(spec, raw)
    if record.get("timestamp") is None and header_ts >= 0:
        record["timestamp"] = header_ts
    if record.get("timestamp") is not None:
        record["timestamp"] = datetime.fromtimestamp(record["timestamp"] + FIT_EPOCH, UTC)
    return record, csd_acc


# --- public API -----------------------------------------------------------------------------


def iter_records(data: bytes) -> Iterator[dict[str, Any]]:
    """The record messages of a FIT file, decoded: field name -> value with scale and offset
    applied (None when the file marks it invalid); ``timestamp`` an aware UTC datetime (also
    for compressed-timestamp records); ``position_lat``/``position_long`` in semicircles as in
    the file; ``compressed_speed_distance`` expanded into ``speed`` and ``distance``.

    Raises ActivityFileError for data that is not FIT, and, after the records that could be
    read, for a file that breaks off or fails its CRC. (The file is decoded in one pass before
    the first record is yielded; for constant memory use summarise_fit.)"""
    scan = _Scan(bytes(data))
    records: list[dict[str, Any]] = []
    scan.run(emit=records.append)
    yield from records
    if scan.problem is not None:
        raise ActivityFileError(scan.problem)


def sport_name(sport: int | None, sub_sport: int | None = None) -> str:
    """The FIT sport as backcoach names it: lower case, "other" when unknown. A treadmill run
    recorded as fitness equipment is "running"."""
    if sport == 4 and sub_sport in _SUB_SPORT_AS:
        return _SUB_SPORT_AS[sub_sport]
    if sport is None:
        return "other"
    return SPORTS.get(sport, "other")


def device_name(file_id: dict[str, Any]) -> str | None:
    """A person-readable device name from a file_id message, e.g. "Garmin fenix 5"."""
    maker_id = file_id.get("manufacturer")
    product = file_id.get("product")
    product_name = file_id.get("product_name")
    if maker_id is None:
        return product_name if isinstance(product_name, str) else None
    maker = MANUFACTURERS.get(maker_id, f"manufacturer {maker_id}")
    if isinstance(product_name, str):
        return f"{maker} {product_name}"
    if maker_id == 265:
        return "Strava app"
    if product is None:
        return maker
    if maker_id in _GARMIN_LIKE and product in GARMIN_PRODUCTS:
        return f"{maker} {GARMIN_PRODUCTS[product]}"
    return f"{maker} (product {product})"


def summarise_fit(data: bytes, source: str) -> ActivitySummary:
    """Decode a FIT activity file into an ActivitySummary, in one pass.

    The device's own totals from the session message(s) (distance, elapsed time, timer time as
    moving time, ascent, average and maximum heart rate, start) are preferred to the ones
    computed from the records. Raises NotAnActivityError for a FIT file of another type,
    ActivityFileError when nothing usable can be read. ``source`` names the file for the
    caller's records; messages do not repeat it (the caller names the file, as for GPX)."""
    del source
    scan = _Scan(bytes(data))
    builder = SummaryBuilder()
    scan.run(add=builder.add, skip_non_activity=True)
    if scan.file_types and FILE_TYPE_ACTIVITY not in scan.file_types:
        kind = scan.file_types[0]
        what = FILE_TYPES.get(kind, f"type {kind}")
        raise NotAnActivityError(f"a FIT {what} file, not an activity")
    sessions = scan.sessions
    if builder.points == 0 and (scan.problem is not None or not sessions):
        reason = scan.problem or "no records in the file"
        raise ActivityFileError(reason)
    start = None
    starts = [s["start_time"] for s in sessions if s.get("start_time") is not None]
    if starts:
        start = datetime.fromtimestamp(min(starts) + FIT_EPOCH, UTC)
    file_id = next((f for f in scan.file_ids if f.get("type") == FILE_TYPE_ACTIVITY), None)
    summary = builder.summary(
        sport=_sport(sessions, scan.sports),
        device=device_name(file_id or (scan.file_ids[0] if scan.file_ids else {})),
        start=start,
        truncated=scan.problem is not None,
    )
    return _with_session_totals(summary, sessions)


def _sport(sessions: list[dict[str, Any]], sports: list[dict[str, Any]]) -> str:
    for source in (sessions, sports):
        names = {sport_name(s.get("sport"), s.get("sub_sport")) for s in source}
        names.discard("other")
        if len(names) == 1:
            return names.pop()
        if names:
            return "multisport"
    return "other"


def _total(sessions: list[dict[str, Any]], key: str) -> float | None:
    values = [s[key] for s in sessions if s.get(key) is not None]
    return float(sum(values)) if values else None


def _with_session_totals(
    summary: ActivitySummary, sessions: list[dict[str, Any]]
) -> ActivitySummary:
    if not sessions:
        return summary
    elapsed = _total(sessions, "total_elapsed_time")
    moving = _total(sessions, "total_timer_time")
    distance = _total(sessions, "total_distance")
    ascent = _total(sessions, "total_ascent")
    changes: dict[str, Any] = {}
    if elapsed is not None:
        changes["elapsed_s"] = elapsed
    if distance is not None:
        changes["distance_m"] = distance
    if ascent is not None:
        changes["elevation_gain_m"] = ascent
    elapsed_s = elapsed if elapsed is not None else summary.elapsed_s
    moving_s = moving if moving is not None else summary.moving_s
    if moving is not None or elapsed is not None:
        changes["moving_s"] = min(moving_s, elapsed_s) if elapsed_s > 0 else moving_s
    averages = [s["avg_heart_rate"] for s in sessions if s.get("avg_heart_rate")]
    if len(sessions) == 1 and averages:
        changes["avg_hr"] = float(averages[0])
    maxima = [s["max_heart_rate"] for s in sessions if s.get("max_heart_rate")]
    if maxima:
        changes["max_hr"] = max(maxima)
    return summary._replace(**changes)
