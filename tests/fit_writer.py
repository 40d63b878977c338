"""A small FIT encoder for tests, fixtures and benchmarks (imported as a plain module).

``write_fit(points, start=...)`` writes a FIT activity file: a 14-byte header with its CRC,
file_id, one record message per point (timestamp, position, altitude, heart rate, cadence,
distance, speed) and a session message with the totals, then the file CRC. Options exercise
the parts of the protocol a reader must handle: big-endian definitions, compressed-timestamp
headers, a developer field, files without positions (a treadmill run), other file types.
``synthetic_run`` makes plausible 1 Hz points for a run of any length (seeded).

Fast enough to write a synthetic Strava export (1,000 one-hour runs at 1 Hz): every message
layout is a precompiled ``struct.Struct``, the file one ``bytes.join``.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import pairwise
from typing import NamedTuple

from backcoach.adapters.activities.fit import SPORTS, fit_crc

FIT_EPOCH = 631_065_600  # 1989-12-31T00:00:00Z
SEMICIRCLES_PER_DEGREE = 2**31 / 180
# Every sport name the decoder knows; "other" is written as an absent sport (0xFF).
SPORT_NUMBERS = {name: number for number, name in SPORTS.items()} | {"other": 0xFF}
SUB_SPORT_NUMBERS = {"generic": 0, "treadmill": 1, "street": 2, "trail": 3, "track": 4}
FILE_ID, SESSION, RECORD, DEVELOPER_DATA_ID, FIELD_DESCRIPTION = 0, 18, 20, 207, 206


class FitPoint(NamedTuple):
    t: float  # seconds after the start
    lat: float | None = None  # degrees
    lon: float | None = None
    ele: float | None = None  # metres
    hr: int | None = None  # beats per minute
    cad: int | None = None  # per minute, as a watch records it (one foot)
    distance: float | None = None  # metres since the start
    speed: float | None = None  # metres per second


def _definition(
    local: int, global_num: int, fields: Sequence[tuple[int, int, int]], big: bool, dev: int = 0
) -> bytes:
    """A definition message: fields are (number, size, base type byte); ``dev`` developer
    fields (number i, 1 byte, developer data index 0) follow when it is not 0."""
    header = 0x40 | local | (0x20 if dev else 0)
    out = struct.pack(">BBBHB" if big else "<BBBHB", header, 0, int(big), global_num, len(fields))
    out += b"".join(bytes(field) for field in fields)
    if dev:
        out += bytes([dev]) + b"".join(bytes((i, 1, 0)) for i in range(dev))
    return out


# (number, size, base type byte) of the record fields written, in order.
_TIMESTAMP = (253, 4, 0x86)
_POSITION = ((0, 4, 0x85), (1, 4, 0x85))
_REST = ((2, 2, 0x84), (3, 1, 0x02), (4, 1, 0x02), (5, 4, 0x86), (6, 2, 0x84))
_RECORD_FORMATS = {  # (positions, timestamp) -> struct format after the endian mark
    (True, True): "BIiiHBBIH",
    (False, True): "BIHBBIH",
    (True, False): "BiiHBBIH",
    (False, False): "BHBBIH",
}


def write_fit(
    points: Iterable[FitPoint],
    *,
    sport: str | int = "running",
    sub_sport: str | int | None = None,
    start: datetime,
    manufacturer: int = 1,
    product: int = 2697,
    with_positions: bool = True,
    file_type: int = 4,
    big_endian: bool = False,
    compressed_timestamps: bool = False,
    developer_field: bool = False,
    session: bool = True,
) -> bytes:
    """A FIT file of these points (times are seconds after ``start``, an aware datetime).

    ``compressed_timestamps`` writes each record that follows the previous one within 31 s
    with a compressed-timestamp header; ``developer_field`` adds one 1-byte developer field
    (with its developer_data_id and field_description) to every record."""
    big = big_endian
    end = ">" if big else "<"
    t0 = int(start.timestamp()) - FIT_EPOCH
    body: list[bytes] = [
        _definition(0, FILE_ID, ((0, 1, 0x00), (1, 2, 0x84), (2, 2, 0x84), (4, 4, 0x86)), big),
        struct.pack(end + "BBHHI", 0x00, file_type, manufacturer, product, t0),
    ]
    dev = 1 if developer_field else 0
    if dev:
        body.append(_definition(0, DEVELOPER_DATA_ID, ((3, 1, 0x02),), big))
        body.append(struct.pack("<BB", 0x00, 0))
        body.append(
            _definition(
                0, FIELD_DESCRIPTION, ((0, 1, 0x02), (1, 1, 0x02), (2, 1, 0x02), (3, 8, 0x07)), big
            )
        )
        body.append(struct.pack("<BBBB8s", 0x00, 0, 0, 0x02, b"effort"))
    fields = (_POSITION if with_positions else ()) + _REST
    body.append(_definition(1, RECORD, (_TIMESTAMP, *fields), big, dev))
    full = struct.Struct(end + _RECORD_FORMATS[(with_positions, True)] + "B" * dev)
    if compressed_timestamps:
        body.append(_definition(2, RECORD, fields, big, dev))
    short = struct.Struct(end + _RECORD_FORMATS[(with_positions, False)] + "B" * dev)
    extra = (7,) * dev
    points = list(points)
    scale = SEMICIRCLES_PER_DEGREE
    last = -100
    for _, lat, lon, ele, hr, cad, distance, speed in points:
        t = t0 + int(_)
        values = (
            0xFFFF if ele is None else round((ele + 500) * 5),
            0xFF if hr is None else hr,
            0xFF if cad is None else cad,
            0xFFFF_FFFF if distance is None else round(distance * 100),
            0xFFFF if speed is None else round(speed * 1000),
            *extra,
        )
        if with_positions:
            if lat is None or lon is None:
                values = (0x7FFF_FFFF, 0x7FFF_FFFF, *values)
            else:
                values = (round(lat * scale), round(lon * scale), *values)
        if compressed_timestamps and 0 <= t - last < 32:
            body.append(short.pack(0x80 | 2 << 5 | (t & 0x1F), *values))
        else:
            body.append(full.pack(0x01, t, *values))
        last = t
    first_t = t0 + int(points[0].t) if points else t0
    last_t = t0 + int(points[-1].t) if points else t0
    distances = [p.distance for p in points if p.distance is not None]
    hrs = [p.hr for p in points if p.hr is not None]
    elevations = [p.ele for p in points if p.ele is not None]
    ascent = sum(max(0.0, b - a) for a, b in pairwise(elevations))
    if session:
        body.append(
            _definition(
                3,
                SESSION,
                (
                    (253, 4, 0x86),
                    (2, 4, 0x86),
                    (0, 1, 0x00),
                    (1, 1, 0x00),
                    (5, 1, 0x00),
                    (6, 1, 0x00),
                    (7, 4, 0x86),
                    (8, 4, 0x86),
                    (9, 4, 0x86),
                    (16, 1, 0x02),
                    (17, 1, 0x02),
                    (22, 2, 0x84),
                ),
                big,
            )
        )
        sport_num = SPORT_NUMBERS[sport] if isinstance(sport, str) else sport
        if sub_sport is None:
            sub_num = 0xFF
        else:
            sub_num = SUB_SPORT_NUMBERS[sub_sport] if isinstance(sub_sport, str) else sub_sport
        elapsed = (last_t - first_t) * 1000
        body.append(
            struct.pack(
                end + "BIIBBBBIIIBBH",
                0x03,
                last_t,
                first_t,
                8,  # event: session
                1,  # event_type: stop
                sport_num,
                sub_num,
                elapsed,
                elapsed,
                round(distances[-1] * 100) if distances else 0xFFFF_FFFF,
                round(sum(hrs) / len(hrs)) if hrs else 0xFF,
                max(hrs) if hrs else 0xFF,
                round(ascent) if elevations else 0xFFFF,
            )
        )
    data = b"".join(body)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(data), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    out = header + data
    return out + struct.pack("<H", fit_crc(out))


def synthetic_run(
    duration_s: int = 3600,
    *,
    seed: int = 0,
    lat: float = 48.8566,
    lon: float = 2.3522,
    with_positions: bool = True,
) -> list[FitPoint]:
    """One point a second of an easy run: pace wandering around 5:30/km, a heading that
    drifts, gentle hills, heart rate and cadence that follow the pace."""
    rng = random.Random(seed)
    points = []
    speed = 3.0
    heading = rng.uniform(0, 2 * math.pi)
    distance = 0.0
    ele = 40.0 + 30 * rng.random()
    for t in range(duration_s):
        speed = min(4.5, max(2.0, speed + rng.gauss(0, 0.05)))
        heading += rng.gauss(0, 0.05)
        step = speed if t else 0.0
        distance += step
        lat += step * math.cos(heading) / 111_320
        lon += step * math.sin(heading) / (111_320 * math.cos(math.radians(lat)))
        ele += 0.4 * math.sin(t / 180) + rng.gauss(0, 0.05)
        points.append(
            FitPoint(
                float(t),
                lat if with_positions else None,
                lon if with_positions else None,
                round(ele, 1),
                int(120 + 12 * speed + rng.randint(-2, 2)),
                int(76 + 3 * speed),
                round(distance, 2),
                round(speed, 3),
            )
        )
    return points
