"""The FIT decoder (issue 5): real files from ../shared/data/fit against their reference CSVs
and against fitdecode, the odd files, a fuzz test, and files written by tests/fit_writer.py."""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import fitdecode
import pytest
from fit_writer import FitPoint, synthetic_run, write_fit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SHARED

from backcoach.adapters.activities.fit import (
    fit_crc,
    iter_records,
    sport_name,
    summarise_fit,
)
from backcoach.domain.running import ActivityFileError, ActivitySummary, NotAnActivityError

FIT_DIR = SHARED / "data" / "fit"
FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
ACTIVITY_FILES = [
    "Activity.fit",
    "activity-small-fenix2-run.fit",
    "compressed-speed-distance.fit",
    "developer-types-sample.fit",
    "garmin-fenix-5-run.fit",
    "garmin-fenix-5-walk.fit",
    "sample-activity.fit",
    # Broken files, still activities: their summaries cover the records before the break.
    "activity-unexpected-eof.fit",
    "activity-settings-corruptheader.fit",
    "strava-android-app-201.10-b1218918.fit",
]
START = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def shared_fit(name: str) -> bytes:
    path = FIT_DIR / name
    if not path.is_file():
        pytest.skip(f"{path} is not present (../shared/data/fit)")
    return path.read_bytes()


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


# --- the reference CSVs ---------------------------------------------------------------------


def csv_rows(name: str) -> tuple[list[str], list[list[str]]]:
    path = FIT_DIR / name
    if not path.is_file():
        pytest.skip(f"{path} is not present (../shared/data/fit)")
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    # "Heart Rate [bpm]" -> "heart_rate": the CSVs come from two tools with two styles.
    header = [re.sub(r"\s*\[.*\]", "", h).strip().lower().replace(" ", "_") for h in rows[0]]
    return header, rows[1:]


def csv_timestamp(text: str) -> datetime:
    if text.isdigit():  # seconds since the FIT epoch, as the file has it
        return FIT_EPOCH + timedelta(seconds=int(text))
    # The fenix CSVs were dumped in Pacific Daylight Time.
    local = datetime.strptime(text, "%a %b %d %H:%M:%S PDT %Y")
    return (local + timedelta(hours=7)).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("fit_name", "csv_name"),
    [
        ("garmin-fenix-5-run.fit", "garmin-fenix-5-run-records.csv"),
        ("garmin-fenix-5-walk.fit", "garmin-fenix-5-walk-records.csv"),
        ("compressed-speed-distance.fit", "compressed-speed-distance-records.csv"),
    ],
)
def test_records_match_reference_csv(fit_name: str, csv_name: str) -> None:
    header, rows = csv_rows(csv_name)
    records = list(iter_records(shared_fit(fit_name)))
    if fit_name.startswith("compressed"):
        # The first record holds only a timestamp; the CSV starts with the second.
        assert set(records[0]) == {"timestamp"}
        records = records[1:]
    assert len(records) == len(rows)
    checked = 0
    for record, row in zip(records, rows, strict=True):
        for column, text in zip(header, row, strict=True):
            value = record.get(column)
            if column == "timestamp":
                assert value == csv_timestamp(text), (column, row)
            elif text == "null":
                assert value is None, (column, row)
            elif column in ("position_lat", "position_long", "heart_rate", "cadence"):
                assert value == int(text), (column, row)
            else:
                assert value is not None and close(value, float(text)), (column, value, row)
            checked += 1
    assert checked == len(rows) * len(header)


# --- totals against fitdecode ---------------------------------------------------------------


def fitdecode_messages(data: bytes) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """(records, sessions, broke off) as fitdecode reads them: what it read before an error."""
    records: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    broke = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with fitdecode.FitReader(io.BytesIO(data)) as reader:
                for frame in reader:
                    if isinstance(frame, fitdecode.FitDataMessage):
                        values = {f.name: f.value for f in frame.fields}
                        if frame.name == "record":
                            records.append(values)
                        elif frame.name == "session":
                            sessions.append(values)
        except fitdecode.FitError:
            broke = True
    return records, sessions, broke


def fitdecode_record_fields(data: bytes) -> list[set[str]]:
    """Per record, the fields the file itself holds a value for (not ones fitdecode works
    out from others, such as enhanced_speed from speed)."""
    fields: list[set[str]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(fitdecode.FitError), fitdecode.FitReader(io.BytesIO(data)) as r:
            for frame in r:
                if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                    fields.append(
                        {f.name for f in frame.fields if f.field_def and f.value is not None}
                    )
    return fields


def oracle_totals(data: bytes) -> dict[str, Any]:
    records, sessions, broke = fitdecode_messages(data)
    if broke:
        # Where a broken file's records turn to garbage: a time a day ahead of the last one
        # (the Strava file's last record is dated 2085).
        for i in range(1, len(records)):
            if records[i]["timestamp"] - records[i - 1]["timestamp"] > timedelta(days=1):
                records = records[:i]
                break
    session = sessions[0] if len(sessions) == 1 else {}
    times = [r["timestamp"] for r in records if r.get("timestamp") is not None]
    times = [t if isinstance(t, datetime) else FIT_EPOCH + timedelta(seconds=t) for t in times]
    hrs = [r["heart_rate"] for r in records if r.get("heart_rate")]
    distances = [r["distance"] for r in records if r.get("distance") is not None]
    return {
        "points": len(records),
        "elapsed_s": session.get("total_elapsed_time") or (max(times) - times[0]).total_seconds(),
        "distance_m": session.get("total_distance") or (max(distances) if distances else None),
        "avg_hr": session.get("avg_heart_rate") or (sum(hrs) / len(hrs) if hrs else None),
        "max_hr": session.get("max_heart_rate") or (max(hrs) if hrs else None),
        "broke": broke,
    }


@pytest.mark.parametrize("name", ACTIVITY_FILES)
def test_summary_totals_agree_with_fitdecode(name: str) -> None:
    data = shared_fit(name)
    summary = summarise_fit(data, name)
    oracle = oracle_totals(data)
    assert summary.points == oracle["points"]
    for key in ("elapsed_s", "distance_m", "avg_hr", "max_hr"):
        ours, theirs = getattr(summary, key), oracle[key]
        if theirs is None:
            assert ours is None, key
        else:
            assert ours is not None and close(ours, theirs, rel=0.005), (key, ours, theirs)
    assert summary.truncated == oracle["broke"]
    assert 0 <= summary.moving_s <= summary.elapsed_s


@pytest.mark.parametrize("name", [*ACTIVITY_FILES, "MonitoringFile.fit"])
def test_every_record_value_agrees_with_fitdecode(name: str) -> None:
    data = shared_fit(name)
    theirs, _, broke = fitdecode_messages(data)
    ours: list[dict[str, Any]] = []
    if broke:
        with pytest.raises(ActivityFileError):
            ours.extend(iter_records(data))
    else:
        ours = list(iter_records(data))
    assert len(ours) == len(theirs)
    # Every record field the reader decodes that fitdecode has a value for is in ours too
    # (the loop below only checks the values we give).
    from backcoach.adapters.activities import fit

    decoded = {f[0] for f in fit._PROFILE[fit._RECORD].values()} | {"timestamp"}
    decoded -= {"compressed_speed_distance"}  # given as speed and distance
    summary_needs = {"position_lat", "position_long", "altitude", "enhanced_altitude"}
    assert summary_needs | {"heart_rate", "cadence", "distance", "speed"} <= decoded
    in_file = fitdecode_record_fields(data)
    for mine, other, held in zip(ours, theirs, in_file, strict=True):
        missing = {k for k in decoded & held if mine.get(k) is None}
        assert not missing, missing
        for key, value in mine.items():
            expected = other[key]
            if key == "timestamp" and isinstance(expected, int):  # a device clock never set
                expected = FIT_EPOCH + timedelta(seconds=expected)
            if isinstance(value, float):
                assert close(value, expected), (key, value, expected)
            else:
                assert value == expected, (key, value, expected)


def test_the_summaries_of_the_real_files() -> None:
    run = summarise_fit(shared_fit("garmin-fenix-5-run.fit"), "run.fit")
    assert run.sport == "running" and run.device == "Garmin fenix 5"
    assert run.start == datetime(2017, 6, 11, 14, 34, 9, tzinfo=UTC)
    assert run.has_positions and not run.truncated
    assert run.elevation_gain_m == 2.0  # the session's total_ascent
    walk = summarise_fit(shared_fit("garmin-fenix-5-walk.fit"), "walk.fit")
    assert walk.sport == "walking"
    ride = summarise_fit(shared_fit("sample-activity.fit"), "ride.fit")
    assert (ride.sport, ride.device) == ("cycling", "Garmin Edge 500")
    assert ride.moving_s == pytest.approx(10699.36) and ride.elapsed_s == pytest.approx(11741.57)
    indoor = summarise_fit(shared_fit("compressed-speed-distance.fit"), "fr70.fit")
    assert not indoor.has_positions and indoor.distance_m == pytest.approx(10248.67)


# --- odd files ------------------------------------------------------------------------------


def test_a_monitoring_file_is_not_an_activity() -> None:
    with pytest.raises(NotAnActivityError, match=r"^a FIT .*monitoring"):
        summarise_fit(shared_fit("MonitoringFile.fit"), "MonitoringFile.fit")


def test_a_file_cut_short_gives_the_records_before_the_cut() -> None:
    data = shared_fit("activity-unexpected-eof.fit")
    # fitdecode: "FitEOFError expected 1 bytes, got 0 @ 768", after all 14 records.
    summary = summarise_fit(data, "eof.fit")
    assert summary.truncated and summary.points == 14
    whole = summarise_fit(shared_fit("Activity.fit"), "Activity.fit")
    assert summary == whole._replace(truncated=True)
    with pytest.raises(ActivityFileError, match="ends in the middle of a message at byte 751"):
        list(iter_records(data))


def test_a_corrupt_chained_file_after_a_whole_activity() -> None:
    data = shared_fit("activity-settings-corruptheader.fit")
    # A complete Activity.fit (CRC fine) and then 83 bytes whose header says ".GIT":
    # fitdecode reads the activity, then "FitHeaderError not a FIT file @ 771".
    summary = summarise_fit(data, "corrupt.fit")
    assert summary.truncated and summary.points == 14
    with pytest.raises(ActivityFileError, match="after byte 771 is not a FIT file"):
        list(iter_records(data))


def test_the_strava_file_that_breaks_off() -> None:
    data = shared_fit("strava-android-app-201.10-b1218918.fit")
    # Bytes are missing (its header announces 78,252 bytes, it has 78,233): fitdecode decodes a
    # 473rd record dated 2085 and then fails at byte 7471 ("local message 11 not defined").
    summary = summarise_fit(data, "strava.fit")
    assert summary.truncated and summary.points == 472
    assert summary.start == datetime(2021, 9, 27, 14, 13, 10, tzinfo=UTC)
    # Strava writes the session first: its totals survive the break.
    assert summary.distance_m == pytest.approx(11274.04) and summary.elapsed_s == 3558.0
    assert summary.device == "Strava app"


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"\x0e" * 40, b"<?xml version='1.0'?><gpx></gpx>", b"\x0e\x20" + b"\0" * 12],
)
def test_what_is_not_fit_at_all(data: bytes) -> None:
    with pytest.raises(ActivityFileError, match=r"^not a FIT file$"):
        summarise_fit(data, "x.gpx")
    with pytest.raises(ActivityFileError, match="not a FIT file"):
        list(iter_records(data))


def test_a_header_and_nothing_else() -> None:
    data = write_fit([], start=START, session=False)
    with pytest.raises(ActivityFileError, match="no records"):
        summarise_fit(data, "empty.fit")
    with pytest.raises(ActivityFileError, match="cut short"):
        summarise_fit(data[:14], "header.fit")


def test_a_bad_crc_before_any_record_is_an_error() -> None:
    data = bytearray(write_fit([], start=START, session=False))
    data[-1] ^= 0xFF
    with pytest.raises(ActivityFileError, match="bad CRC"):
        summarise_fit(bytes(data), "bad.fit")


def test_a_bad_crc_after_records_marks_the_summary_truncated() -> None:
    data = bytearray(write_fit(synthetic_run(120), start=START))
    data[200] ^= 0x01  # somewhere in the records
    summary = summarise_fit(bytes(data), "flipped.fit")
    assert summary.truncated and summary.points == 120
    with pytest.raises(ActivityFileError, match="bad CRC"):
        list(iter_records(bytes(data)))


def test_other_fit_file_types_are_skipped_with_a_reason() -> None:
    settings_file = write_fit(synthetic_run(10), start=START, file_type=2)
    with pytest.raises(NotAnActivityError, match=r"^a FIT settings file, not an activity$"):
        summarise_fit(settings_file, "s.fit")
    assert isinstance(NotAnActivityError("x"), ActivityFileError)


def test_chained_activity_files_are_summed() -> None:
    one = write_fit(synthetic_run(600, seed=1), start=START)
    two = write_fit(synthetic_run(300, seed=2), start=START + timedelta(hours=1))
    summary = summarise_fit(one + two, "chained.fit")
    first, second = summarise_fit(one, "1.fit"), summarise_fit(two, "2.fit")
    assert summary.points == 900 and not summary.truncated
    assert summary.distance_m == pytest.approx(first.distance_m + second.distance_m)  # type: ignore[operator]
    assert summary.elapsed_s == first.elapsed_s + second.elapsed_s
    assert summary.start == START


# --- fuzz -----------------------------------------------------------------------------------

FUZZ_BASE = write_fit(
    synthetic_run(90, seed=3), start=START, compressed_timestamps=True, developer_field=True
)


def check_only_summary_or_file_errors(data: bytes) -> None:
    try:
        summary = summarise_fit(data, "fuzz.fit")
    except ActivityFileError as exc:  # NotAnActivityError included
        # A reason of its own; the caller names the file (as for GPX and TCX).
        assert str(exc) and not str(exc).startswith("fuzz.fit")
    else:
        assert isinstance(summary, ActivitySummary)
        assert summary.points >= 0 and summary.start.tzinfo is not None
    try:
        for record in iter_records(data):
            assert isinstance(record, dict)
    except ActivityFileError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(FUZZ_BASE)),
    flips=st.lists(st.tuples(st.integers(0, len(FUZZ_BASE) - 1), st.integers(1, 255)), max_size=4),
)
def test_damaged_bytes_give_a_summary_or_a_file_error(
    cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(FUZZ_BASE)
    for at, mask in flips:
        data[at] ^= mask
    check_only_summary_or_file_errors(bytes(data[:cut]))


@pytest.mark.skipif(not (FIT_DIR / "garmin-fenix-5-run.fit").is_file(), reason="no shared data")
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_damaged_real_file_gives_a_summary_or_a_file_error(data: st.DataObject) -> None:
    base = shared_fit("garmin-fenix-5-run.fit")
    cut = data.draw(st.integers(0, len(base)))
    flips = data.draw(
        st.lists(st.tuples(st.integers(0, len(base) - 1), st.integers(1, 255)), max_size=4)
    )
    damaged = bytearray(base)
    for at, mask in flips:
        damaged[at] ^= mask
    check_only_summary_or_file_errors(bytes(damaged[:cut]))


# --- files written by fit_writer ------------------------------------------------------------


def test_a_treadmill_run_without_positions() -> None:
    points = synthetic_run(1800, seed=4, with_positions=False)
    data = write_fit(points, sub_sport="treadmill", start=START, with_positions=False)
    summary = summarise_fit(data, "treadmill.fit")
    assert summary.sport == "running" and not summary.has_positions
    assert summary.points == 1800 and summary.elapsed_s == 1799
    assert summary.distance_m == pytest.approx(points[-1].distance)
    assert summary.avg_hr is not None and summary.max_hr == max(p.hr for p in points if p.hr)
    assert all("position_lat" not in r and "position_long" not in r for r in iter_records(data))
    machine = write_fit(points, sport="fitness_equipment", sub_sport="treadmill", start=START)
    assert summarise_fit(machine, "machine.fit").sport == "running"


@pytest.mark.parametrize("sport", ["running", "walking", "hiking", "cycling", "swimming", "other"])
def test_the_sport_written_is_the_sport_read(sport: str) -> None:
    data = write_fit(synthetic_run(30, seed=8), sport=sport, start=START)
    assert summarise_fit(data, f"{sport}.fit").sport == sport


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("developer", [False, True])
@pytest.mark.parametrize("positions", [False, True])
def test_written_files_decode_the_same_in_both_decoders(
    big_endian: bool, compressed: bool, developer: bool, positions: bool
) -> None:
    points = synthetic_run(300, seed=5, with_positions=positions)
    points[10] = points[10]._replace(hr=None, cad=None, ele=None)  # absent values
    points[20] = points[20]._replace(t=points[19].t + 40)  # a gap no compressed header spans
    data = write_fit(
        points,
        start=START,
        big_endian=big_endian,
        compressed_timestamps=compressed,
        developer_field=developer,
        with_positions=positions,
    )
    records = []
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                records.append({f.name: f.value for f in frame.fields})
    ours = list(iter_records(data))
    assert len(ours) == len(records) == len(points)
    for mine, theirs in zip(ours, records, strict=True):
        for key, value in mine.items():
            assert value == theirs[key] or close(value, theirs[key]), (key, value, theirs[key])
    # And the values are the points written.
    for record, point in zip(ours, points, strict=True):
        assert record["timestamp"] == START + timedelta(seconds=point.t)
        assert record["heart_rate"] == point.hr and record["cadence"] == point.cad
        assert record["distance"] == pytest.approx(point.distance, abs=0.005)
        if point.ele is None:
            assert record["altitude"] is None
        else:
            assert record["altitude"] == pytest.approx(point.ele, abs=0.1 + 1e-9)  # 0.2 m steps
        if positions:
            assert record["position_lat"] * 180 / 2**31 == pytest.approx(point.lat, abs=1e-6)
    summary = summarise_fit(data, "written.fit")
    assert summary.points == 300 and summary.device == "Garmin fenix 5"
    assert summary.has_positions == positions and summary.start == START


def test_written_summary_is_consistent() -> None:
    points = synthetic_run(3600, seed=6)
    summary = summarise_fit(write_fit(points, start=START), "hour.fit")
    assert summary.sport == "running" and summary.points == 3600
    assert summary.elapsed_s == 3599 and 0 < summary.moving_s <= summary.elapsed_s
    assert summary.distance_m == pytest.approx(points[-1].distance)
    hrs = [p.hr for p in points if p.hr]
    assert summary.avg_hr == round(sum(hrs) / len(hrs))  # the session's, as the device wrote
    assert summary.avg_cadence == pytest.approx(sum(p.cad for p in points if p.cad) / 3600)


def test_a_file_without_a_session_uses_the_records() -> None:
    points = synthetic_run(600, seed=7)
    summary = summarise_fit(write_fit(points, start=START, session=False), "nosession.fit")
    assert summary.sport == "other"  # nothing in the file says
    assert summary.elapsed_s == 599 and summary.distance_m == pytest.approx(points[-1].distance)
    hrs = [p.hr for p in points if p.hr]
    assert summary.avg_hr == pytest.approx(sum(hrs) / len(hrs))


def test_fit_crc_matches_fitdecode() -> None:
    blob = bytes(range(256)) * 9 + b"odd"
    for end in (0, 1, 2, 63, 64, 65, len(blob)):
        assert fit_crc(blob, 0, end) == (fitdecode.utils.compute_crc(blob[:end]) if end else 0)
    assert fit_crc(blob, 3, 200) == fitdecode.utils.compute_crc(blob[3:200])


@pytest.mark.parametrize(
    ("sport", "sub_sport", "name"),
    [
        (1, None, "running"),
        (1, 1, "running"),
        (4, 1, "running"),
        (4, 27, "walking"),
        (2, 6, "cycling"),
        (5, 17, "swimming"),
        (11, None, "walking"),
        (17, None, "hiking"),
        (0, None, "generic"),
        (200, None, "other"),
        (None, None, "other"),
    ],
)
def test_sport_names(sport: int | None, sub_sport: int | None, name: str) -> None:
    assert sport_name(sport, sub_sport) == name


def test_fitpoint_is_what_the_writer_takes() -> None:
    data = write_fit([FitPoint(0.0, hr=100), FitPoint(1.0, hr=110)], start=START)
    assert [r["heart_rate"] for r in iter_records(data)] == [100, 110]


def test_a_latitude_beyond_the_poles_is_no_position() -> None:
    # Semicircles beyond +-2**30 are not a latitude; haversine_m would fail on them.
    points = [FitPoint(0, 100.0, 10.0), FitPoint(1, 91.0, 0.0), FitPoint(2, 89.0, 179.9)]
    summary = summarise_fit(write_fit(points, start=START), "poles.fit")
    assert not summary.truncated and summary.points == 3
    assert summary.has_positions and summary.distance_m == 0.0  # one position: no distance
