"""Strava bulk exports (zip or folder) and loose activity files: activities.csv read by
meaning in English and German, manual activities kept, duplicates reported, the zip
attacks refused per member, and the dispatch of loose files to the FIT/GPX/TCX readers.

The exports are synthetic (tests/strava_export.py), written once per module."""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import types
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from strava_export import (
    ENGLISH_HEADERS,
    HEADERS_2026,
    Activity,
    Manifest,
    csv_bytes,
    gpx_bytes,
    make_activities,
    tcx_bytes,
    write_benchmark_export,
    write_export,
    write_zip,
)
from support import SHARED

from backcoach.adapters.activities import files, strava
from backcoach.adapters.activities.files import (
    gunzip,
    iter_activity_paths,
    read_activity,
    read_activity_path,
)
from backcoach.adapters.activities.strava import (
    StravaExport,
    StravaRow,
    is_strava_export,
    iter_strava_export,
    parse_activities_csv,
    parse_number,
    parse_strava_date,
    read_activities_csv,
    strava_entries,
    strava_sport,
    strava_summary,
    summarise_strava_item,
)
from backcoach.domain.running import ActivityFileError, ActivitySummary, NotAnActivityError

N = 240


@pytest.fixture(scope="module")
def activities() -> list[Activity]:
    return make_activities(N, seed=11)


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory, activities: list[Activity]) -> Manifest:
    base = tmp_path_factory.mktemp("strava-en")
    return write_export(base / "export", activities=activities, zip_path=base / "export.zip")


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory, activities: list[Activity]) -> Manifest:
    base = tmp_path_factory.mktemp("strava-de")
    return write_export(base / "export", activities=activities, language="de")


def expected_rows(manifest: Manifest) -> list[StravaRow]:
    return [StravaRow(**a.row_fields()) for a in manifest.activities]


def digest(data: bytes | ActivityFileError | None) -> str:
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    return repr(data)


# --- activities.csv ---------------------------------------------------------------------------


def test_english_export_gives_every_row_as_written(english: Manifest) -> None:
    with StravaExport(english.folder) as export:
        table = export.csv
    assert table.language == "en"
    assert len(english.headers) == 94 and english.headers[0] == "Activity ID"
    assert table.rows == expected_rows(english)
    assert table.extra_columns == [] and table.missing_columns == []
    assert all(row.start.tzinfo is UTC for row in table.rows)
    sports = {row.sport for row in table.rows}
    assert {"running", "walking", "hiking", "cycling", "swimming", "other"} <= sports


def test_german_export_reads_the_same_as_english(english: Manifest, german: Manifest) -> None:
    raw = (german.folder / "activities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + "Aktivitäts-ID".encode())
    assert "Verstrichene Zeit" in german.headers and "Distanz" in german.headers
    text = raw.decode("utf-8-sig")
    assert "März" in text or "Jan." in text  # day-first dates with German month names
    assert ".2023, " in text  # and the numeric form 01.03.2023, 10:00:00
    assert ",5" in text or ",1" in text  # decimal commas
    de = parse_activities_csv(raw)
    en = parse_activities_csv((english.folder / "activities.csv").read_bytes())
    assert de.language == "de"
    assert de.rows == en.rows == expected_rows(german)
    assert [r.activity_id for r, _ in de.duplicates] == german.duplicate_ids


def test_manual_activities_are_kept_with_their_load(english: Manifest) -> None:
    rows = read_activities_csv((english.folder / "activities.csv").read_bytes())
    manual = [row for row in rows if row.filename is None]
    assert {row.activity_id for row in manual} == english.manual_ids
    assert len(manual) >= 10
    for row in manual:
        assert row.is_manual
        assert row.elapsed_s and row.distance_m is not None and row.perceived_exertion
        summary = strava_summary(row)
        assert summary.elapsed_s == row.elapsed_s and summary.moving_s == row.moving_s
        assert summary.source_id == row.activity_id and summary.points == 0
        assert summary.perceived_exertion == row.perceived_exertion
        assert not summary.has_positions
    assert any(row.sport == "other" for row in manual)  # WaterSport, Yoga: no crash


def test_a_duplicate_activity_id_is_reported_and_the_first_row_kept(english: Manifest) -> None:
    (dup_id,) = english.duplicate_ids
    with StravaExport(english.folder) as export:
        kept = [row for row in export.csv.rows if row.activity_id == dup_id]
        assert len(kept) == 1 and not kept[0].name.startswith("Copy of")
        ((row, reason),) = export.csv.duplicates
        assert row.name.startswith("Copy of") and f"duplicate Activity ID {dup_id}" in reason
        assert [p.reason for p in export.problems] == [reason]
        assert export.problems[0].where.startswith("activities.csv line ")
        items = list(export.items())
    assert len(items) == N + 1
    errors = [item for item in items if isinstance(item.data, ActivityFileError)]
    assert [(e.row.activity_id, str(e.data)) for e in errors] == [(dup_id, reason)]


def _csv(activities: list[Activity], **kwargs: Any) -> bytes:
    return csv_bytes(activities[:30], **kwargs)


def test_columns_added_or_removed_do_not_break_the_reading(activities: list[Activity]) -> None:
    full = parse_activities_csv(_csv(activities))
    expected = [StravaRow(**a.row_fields()) for a in activities[:30]]
    assert full.rows == expected
    # A 2026 export (101 columns) and a column added at the end.
    for headers in (HEADERS_2026, (*ENGLISH_HEADERS, "Some Future Column")):
        for language in ("en", "de"):
            table = parse_activities_csv(_csv(activities, headers=headers, language=language))
            assert table.rows == expected
            assert table.extra_columns == (
                ["Some Future Column"] if headers[-1] == "Some Future Column" else []
            )
    # A column removed: its field is None, the rest unchanged.
    without = [h for h in ENGLISH_HEADERS if h != "Moving Time"]
    table = parse_activities_csv(_csv(activities, headers=without))
    assert table.missing_columns == ["Moving Time"]
    assert table.rows == [row._replace(moving_s=None) for row in expected]
    # The raw "Distance" (the second) removed: the display value in km is used.
    second = [i for i, h in enumerate(ENGLISH_HEADERS) if h == "Distance"][1]
    without = [h for i, h in enumerate(ENGLISH_HEADERS) if i != second]
    rows = parse_activities_csv(_csv(activities, headers=without)).rows
    for row, want in zip(rows, expected, strict=True):
        assert want.distance_m is not None and row.distance_m is not None
        assert abs(row.distance_m - want.distance_m) <= 5.0  # km with two decimals
    # Columns in another order: read by name, not position.
    shuffled = list(reversed(ENGLISH_HEADERS))
    assert parse_activities_csv(_csv(activities, headers=shuffled)).rows == expected


def test_a_header_that_is_not_strava_is_refused_with_the_reason() -> None:
    with pytest.raises(ActivityFileError, match=r"not one known here.*'Datum'"):
        parse_activities_csv(b"Datum,Wert\n2024-01-01,3\n")
    with pytest.raises(ActivityFileError, match="no column for 'Activity Date'"):
        parse_activities_csv(b"Activity ID,Activity Name\n1,Run\n")
    with pytest.raises(ActivityFileError, match="empty"):
        parse_activities_csv(b"\xef\xbb\xbf")


def test_rows_that_cannot_be_read_are_reported_and_the_rest_kept() -> None:
    data = (
        "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Filename\n"
        '1,"Jan 1, 2024, 10:00:00 AM",Good,Run,3600,activities/1.gpx\n'
        '2,"Foo 1, 2024, 10:00:00 AM",Bad month,Run,3600,\n'
        ',"Jan 2, 2024, 10:00:00 AM",No id,Run,3600,\n'
        "\n"
        '4,"Jan 3, 2024, 1:05:09 PM",Short row\n'
    ).encode("cp1252")
    table = parse_activities_csv(data)
    assert [r.activity_id for r in table.rows] == ["1", "4"]
    assert table.rows[1].start == datetime(2024, 1, 3, 13, 5, 9, tzinfo=UTC)
    assert table.rows[1].filename is None and table.rows[1].elapsed_s is None
    assert [(p.line, p.activity_id) for p in table.problems] == [(3, "2"), (4, None)]
    assert "unknown month 'Foo'" in table.problems[0].reason
    assert "no Activity ID" in table.problems[1].reason


def test_semicolons_latin1_and_windows_paths_are_tolerated() -> None:
    data = (
        "Aktivitäts-ID;Aktivitätsdatum;Name der Aktivität;Aktivitätsart;Distanz;Dateiname\n"
        "7;01.02.2024, 06:30:00;Läufchen;Lauf;10,5;activities\\7.gpx\n"
    ).encode("cp1252")
    (row,) = read_activities_csv(data)
    assert row.start == datetime(2024, 2, 1, 6, 30, tzinfo=UTC)
    assert row.name == "Läufchen" and row.sport == "running"
    assert row.distance_m == 10_500.0 and row.filename == "activities/7.gpx"


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("Jan 1, 2024, 10:00:00 AM", False, datetime(2024, 1, 1, 10, 0, 0, tzinfo=UTC)),
        ("Dec 31, 2023, 12:05:01 AM", False, datetime(2023, 12, 31, 0, 5, 1, tzinfo=UTC)),
        ("Jul 4, 2024, 12:00:00 PM", False, datetime(2024, 7, 4, 12, 0, 0, tzinfo=UTC)),
        ("Sep 9, 2024, 11:59:59 p.m.", False, datetime(2024, 9, 9, 23, 59, 59, tzinfo=UTC)),
        ("1. Jan. 2024, 10:00:00", True, datetime(2024, 1, 1, 10, 0, 0, tzinfo=UTC)),
        ("3. März 2024, 18:00:00", True, datetime(2024, 3, 3, 18, 0, 0, tzinfo=UTC)),
        ("15. Dezember 2024, 07:01:02", True, datetime(2024, 12, 15, 7, 1, 2, tzinfo=UTC)),
        ("01.01.2024, 10:00:00", True, datetime(2024, 1, 1, 10, 0, 0, tzinfo=UTC)),
        ("2.11.2024 9:00", True, datetime(2024, 11, 2, 9, 0, 0, tzinfo=UTC)),
        ("2024-05-01T06:00:00Z", False, datetime(2024, 5, 1, 6, 0, 0, tzinfo=UTC)),
        ("2024-05-01 06:00:00", True, datetime(2024, 5, 1, 6, 0, 0, tzinfo=UTC)),
        ("1/2/2024, 10:00:00", False, datetime(2024, 1, 2, 10, 0, 0, tzinfo=UTC)),
        ("1/2/2024, 10:00:00", True, datetime(2024, 2, 1, 10, 0, 0, tzinfo=UTC)),
    ],
)
def test_strava_dates(text: str, day_first: bool, expected: datetime) -> None:
    assert parse_strava_date(text, day_first=day_first) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "Feb 30, 2024, 10:00:00 AM", "13:00"])
def test_dates_that_are_not_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_strava_date(text)


def test_numbers_with_either_decimal_mark() -> None:
    assert parse_number("20100.0") == parse_number("20100,0", decimal_comma=True) == 20100.0
    assert parse_number("20,1", decimal_comma=True) == parse_number("20,10") == 20.1
    assert parse_number("1,234") == 1234.0 and parse_number("1,234", decimal_comma=True) == 1.234
    assert parse_number("1.234,5") == parse_number("1,234.5") == 1234.5
    assert parse_number("1:02:03") == 3723.0
    assert parse_number("") is parse_number("n/a") is parse_number("nan") is None


def test_strava_types_map_to_sports_and_unknown_ones_to_other() -> None:
    assert strava_sport("Run") == strava_sport("TrailRun") == strava_sport("Trail Run") == "running"
    assert strava_sport("Walk") == "walking" and strava_sport("Hike") == "hiking"
    assert strava_sport("Ride") == strava_sport("E-Bike Ride") == "cycling"
    assert strava_sport("Swim") == "swimming"
    assert strava_sport("WaterSport") == strava_sport("") == strava_sport("Ünbekannt") == "other"
    assert strava_sport("Lauf") == "running" and strava_sport("Radfahrt") == "cycling"


# --- the export: zip and folder ---------------------------------------------------------------


def test_zip_and_folder_give_the_same_rows_and_files(english: Manifest) -> None:
    assert english.zip_path is not None
    folder = [(r, f, digest(d)) for r, f, d in iter_strava_export(english.folder)]
    packed = [(r, f, digest(d)) for r, f, d in iter_strava_export(english.zip_path)]
    assert folder == packed
    manual = {row.activity_id for row, name, _ in folder if name is None}
    assert manual == english.manual_ids
    by_id = english.by_id()
    for row, name, data in folder[:N]:
        assert name == by_id[row.activity_id].filename
        assert (data == repr(None)) == (name is None)


def test_an_export_at_the_top_of_a_zip_or_in_a_sub_folder(
    english: Manifest, tmp_path: Path
) -> None:
    top = write_zip(english.folder, tmp_path / "top.zip", prefix="")
    deep = write_zip(english.folder, tmp_path / "deep.zip", prefix="a/b/")
    assert is_strava_export(top) and is_strava_export(english.folder)
    assert is_strava_export(english.folder.parent)  # the folder that holds export/
    assert not is_strava_export(deep)  # two folders down: not looked for
    assert not is_strava_export(english.folder / "activities.csv")
    assert not is_strava_export(tmp_path / "missing.zip")
    assert not is_strava_export(tmp_path)
    rows = [item.row for item in iter_strava_export(top)]
    assert rows[:N] == expected_rows(english)
    with pytest.raises(ActivityFileError, match="not a Strava export"):
        StravaExport(deep)
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ActivityFileError, match="cannot open the zip"):
        StravaExport(tmp_path / "junk.zip")


CSV_HEAD = "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Filename\n"


def _row(activity_id: str, filename: str) -> str:
    return f'{activity_id},"May 1, 2024, 6:00:00 AM",Run {activity_id},Run,1800,{filename}\n'


def _zip(path: Path, rows: list[str], members: dict[str, bytes], **kw: Any) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/activities.csv", CSV_HEAD + "".join(rows))
        for name, data in members.items():
            archive.writestr(name, data, **kw)
    return path


def _items(path: Path) -> tuple[dict[str, bytes | ActivityFileError | None], list[str]]:
    with StravaExport(path) as export:
        items = {item.row.activity_id: item.data for item in export.items()}
        problems = [f"{p.where}: {p.reason}" for p in export.problems]
    return items, problems


GPX = b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg/></trk></gpx>'


def test_zip_members_that_leave_the_export_are_refused(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "evil.zip",
        [
            _row("1", "../evil.gpx"),
            _row("2", "/etc/evil.gpx"),
            _row("3", "activities/../../evil.gpx"),
            _row("4", "C:/evil.gpx"),
            _row("5", "activities/5.gpx"),
        ],
        {
            "export/../evil.gpx": GPX,
            "/etc/evil.gpx": GPX,
            "../evil.gpx": GPX,
            "export/activities/5.gpx": GPX,
        },
    )
    items, problems = _items(path)
    for bad in "1234":
        assert isinstance(items[bad], ActivityFileError)
        assert "unsafe path" in str(items[bad]) or "not in the export" in str(items[bad])
    assert items["5"] == GPX
    assert "export/../evil.gpx: unsafe path (leaves the export): refused" in problems
    assert "../evil.gpx: unsafe path (leaves the export): refused" in problems
    assert "/etc/evil.gpx: unsafe path (leaves the export): refused" in problems


def test_folder_exports_refuse_paths_and_links_that_leave_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "export"
    (root / "activities").mkdir(parents=True)
    (tmp_path / "secret.gpx").write_bytes(GPX)
    (root / "activities" / "3.gpx").write_bytes(GPX)
    rows = [
        _row("1", "../secret.gpx"),
        _row("2", "activities/link.gpx"),
        _row("3", "activities/3.gpx"),
    ]
    rows.append(_row("4", "activities/missing.gpx"))
    (root / "activities.csv").write_text(CSV_HEAD + "".join(rows))
    try:
        os.symlink(tmp_path / "secret.gpx", root / "activities" / "link.gpx")
    except OSError:
        pytest.skip("no symbolic links here")
    items, problems = _items(root)
    assert "unsafe path" in str(items["1"])
    assert "outside the export folder" in str(items["2"])
    assert items["3"] == GPX
    assert "not in the export" in str(items["4"])
    assert problems == []


def _never_opened(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, member: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(member.filename if isinstance(member, zipfile.ZipInfo) else member)
        return real_open(self, member, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return opened


def test_a_member_declaring_a_huge_size_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 256 * 1024)
    path = _zip(
        tmp_path / "big.zip",
        [_row("1", "activities/1.gpx"), _row("2", "activities/2.gpx")],
        {"export/activities/1.gpx": os.urandom(300 * 1024), "export/activities/2.gpx": GPX},
    )
    opened = _never_opened(monkeypatch, "export/activities/1.gpx")
    items, _ = _items(path)
    assert "declares 307,200 bytes unpacked, over the limit of 262,144: refused" in str(items["1"])
    assert items["2"] == GPX
    assert "export/activities/1.gpx" not in opened and "export/activities/2.gpx" in opened


def test_a_zip_bomb_is_refused_by_its_compression_ratio_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _zip(
        tmp_path / "bomb.zip",
        [_row("1", "activities/1.gpx"), _row("2", "activities/2.gpx")],
        {"export/activities/1.gpx": b"\0" * (8 * 1024 * 1024), "export/activities/2.gpx": GPX},
        compresslevel=9,
    )
    opened = _never_opened(monkeypatch, "export/activities/1.gpx")
    items, _ = _items(path)
    assert "to 1 in the zip (a zip bomb?): refused" in str(items["1"])
    assert items["2"] == GPX
    assert "export/activities/1.gpx" not in opened


def test_reading_stops_at_the_cap_whatever_the_member_declares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lying header (declared size small) is caught by the streaming cap."""
    path = _zip(
        tmp_path / "liar.zip",
        [_row("1", "activities/1.gpx")],
        {"export/activities/1.gpx": os.urandom(3 * 1024 * 1024)},
    )
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1024 * 1024)
    monkeypatch.setattr(strava, "check_zip_member", lambda info: None)  # trust nothing declared
    items, _ = _items(path)
    assert "too large once unpacked" in str(items["1"])


def test_nested_archives_are_not_opened(tmp_path: Path) -> None:
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("activities.csv", CSV_HEAD)
    path = _zip(
        tmp_path / "outer.zip",
        [_row("1", "activities/1.zip"), _row("2", "activities/2.gpx")],
        {
            "export/activities/1.zip": inner.read_bytes(),
            "export/media/more.tar.gz": b"\x1f\x8b",
            "export/activities/2.gpx": GPX,
        },
    )
    items, problems = _items(path)
    assert "an archive inside the export: not opened" in str(items["1"])
    assert items["2"] == GPX
    assert "export/activities/1.zip: an archive inside the export: not opened" in problems
    assert "export/media/more.tar.gz: an archive inside the export: not opened" in problems


def test_a_name_twice_in_the_zip_and_an_encrypted_member_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        _zip(
            path,
            [_row("1", "activities/1.gpx"), _row("2", "activities/2.gpx")],
            {"export/activities/1.gpx": GPX, "export/activities/2.gpx": GPX},
        )
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("export/activities/1.gpx", b"<gpx>the other one</gpx>")
    items, problems = _items(path)
    assert "in the zip twice: refused" in str(items["1"])
    assert items["2"] == GPX
    assert problems == ["export/activities/1.gpx: in the zip twice: refused"]
    locked = zipfile.ZipInfo("export/activities/3.gpx")
    locked.flag_bits |= 0x1
    with pytest.raises(ActivityFileError, match="encrypted"):
        strava.check_zip_member(locked)


def test_a_damaged_zip_member_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "damaged.zip"
    _zip(
        path,
        [_row("1", "activities/1.gpx"), _row("2", "activities/2.gpx")],
        {"export/activities/1.gpx": GPX * 50, "export/activities/2.gpx": GPX},
    )
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("export/activities/1.gpx")
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 5, start + info.compress_size - 5, 7):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    items, _ = _items(path)
    assert isinstance(items["1"], ActivityFileError)
    assert "zip" in str(items["1"])
    assert items["2"] == GPX


def test_a_corrupt_gz_file_is_reported_per_file_while_the_rest_reads(
    english: Manifest, tmp_path: Path, fake: _Fake
) -> None:
    assert english.zip_path is not None
    victim = next(a for a in english.activities if a.filename and a.gzipped and a.fmt == "gpx")
    broken = tmp_path / "broken.zip"
    with (
        zipfile.ZipFile(english.zip_path) as source,
        zipfile.ZipFile(broken, "w", zipfile.ZIP_STORED) as target,
    ):
        for info in source.infolist():
            raw = source.read(info)
            if info.filename.endswith(victim.filename or "?"):
                raw = raw[:20] + bytes(b ^ 0xFF for b in raw[20:200]) + raw[200:]
            target.writestr(info.filename, raw)
    results: dict[str, str] = {}
    for row, name, data in iter_strava_export(broken):
        try:
            summarise_strava_item(row, name, data)
            results[row.activity_id] = "ok"
        except ActivityFileError as exc:
            results.setdefault(row.activity_id, str(exc))
    assert results.pop(victim.activity_id).startswith("corrupt .gz file")
    assert set(results.values()) == {"ok"}
    assert len(results) == N - 1
    assert len(fake.calls) == N - 1 - len(english.manual_ids)


def test_entries_list_first_and_read_later(english: Manifest, tmp_path: Path, fake: _Fake) -> None:
    assert english.zip_path is not None
    evil = _zip(
        tmp_path / "evil.zip",
        [_row("1", "activities/1.gpx"), '2,"Foo 1, 2024, 1:00:00 AM",Bad,Run,1,\n'],
        {"export/activities/1.gpx": GPX, "../x.gpx": GPX},
    )
    entries = list(strava_entries(evil))  # all listed: the zip must stay open for the reads
    results = {}
    for source, read in entries:
        try:
            results[source] = read().sport
        except ActivityFileError as exc:
            results[source] = str(exc)
    assert results == {
        "evil.zip/activities.csv line 3": "unknown month 'Foo' in date 'Foo 1, 2024, 1:00:00 AM'",
        "evil.zip/../x.gpx": "unsafe path (leaves the export): refused",
        "evil.zip/activities/1.gpx": "running",  # Strava's type, not the file's
    }
    entries = list(strava_entries(english.zip_path))
    assert len(entries) == N + 1
    sources = [source for source, _ in entries]
    manual = [s for s in sources if s.endswith("(manual)")]
    assert len(manual) == len(english.manual_ids)
    assert sources[-1].startswith("export.zip/")
    with pytest.raises(ActivityFileError, match="duplicate Activity ID"):
        entries[-1][1]()
    summaries = [read() for _, read in entries[:-1]]
    assert [s.source_id for s in summaries] == english.ids


def test_every_activity_summarises_with_the_real_readers(english: Manifest) -> None:
    by_id = english.by_id()
    failures = []
    seen = 0
    for row, name, data in iter_strava_export(english.folder):
        try:
            summary = summarise_strava_item(row, name, data)
        except ActivityFileError as exc:
            failures.append((row.activity_id, str(exc)))
            continue
        seen += 1
        a = by_id[row.activity_id]
        assert summary.source_id == a.activity_id and summary.sport == a.sport
        assert summary.name == a.name and summary.perceived_exertion == a.perceived_exertion
        assert summary.start == a.start
        assert summary.distance_m == pytest.approx(a.distance_m, abs=1.0)
        assert summary.elapsed_s == pytest.approx(a.elapsed_s, abs=1.0)
        assert summary.moving_s == pytest.approx(a.moving_s, abs=1.0)
        if not a.is_manual:
            assert summary.points == len(a.points) and summary.has_positions
            assert summary.max_hr == a.max_hr
            assert summary.avg_hr == pytest.approx(a.avg_hr, abs=0.1)
            assert summary.elevation_gain_m == pytest.approx(a.elevation_gain_m, abs=0.1)
            assert not summary.truncated
    assert seen == N
    assert [f[0] for f in failures] == english.duplicate_ids


# --- loose files ------------------------------------------------------------------------------


class _Fake:
    """Stand-ins for the FIT/GPX/TCX readers that record what they are given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes, str]] = []
        self.fail: BaseException | None = None

    def reader(self, kind: str) -> Callable[[bytes, str], ActivitySummary]:
        def summarise(data: bytes, source: str) -> ActivitySummary:
            self.calls.append((kind, data, source))
            if self.fail is not None:
                raise self.fail
            return ActivitySummary(
                kind, datetime(2024, 1, 1, tzinfo=UTC), 1.0, 1.0, None, None, None, None,
                None, None, 1, False,
            )  # fmt: skip

        return summarise


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> _Fake:
    fake = _Fake()
    fit = types.ModuleType("backcoach.adapters.activities.fit")
    xml = types.ModuleType("backcoach.adapters.activities.xml_tracks")
    fit.summarise_fit = fake.reader("fit")  # type: ignore[attr-defined]
    xml.summarise_gpx = fake.reader("gpx")  # type: ignore[attr-defined]
    xml.summarise_tcx = fake.reader("tcx")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, fit.__name__, fit)
    monkeypatch.setitem(sys.modules, xml.__name__, xml)
    return fake


def test_read_activity_dispatches_on_the_suffix(fake: _Fake) -> None:
    xml = b'<?xml version="1.0"?><gpx/>'
    assert read_activity("a.gpx", b"  \r\n\t" + xml).sport == "gpx"
    assert read_activity("b.GPX.GZ", gzip.compress(b"\xef\xbb\xbf  " + xml)).sport == "gpx"
    assert read_activity("c.tcx.gz", gzip.compress(b"          " + xml)).sport == "tcx"
    assert read_activity("d.Tcx", xml).sport == "tcx"
    assert read_activity("e.fit", b" \x0e\x10FIT").sport == "fit"
    assert read_activity("f.fit.gz", gzip.compress(b"\x0e\x10FIT")).sport == "fit"
    assert [(k, s) for k, _, s in fake.calls] == [
        ("gpx", "a.gpx"), ("gpx", "b.GPX.GZ"), ("tcx", "c.tcx.gz"), ("tcx", "d.Tcx"),
        ("fit", "e.fit"), ("fit", "f.fit.gz"),
    ]  # fmt: skip
    # Passed on as they are: the XML readers skip blank space and a BOM before <?xml
    # (tests/test_gpx_tcx_import.py, with the real readers).
    assert [d for k, d, _ in fake.calls if k != "fit"] == [
        b"  \r\n\t" + xml,
        b"\xef\xbb\xbf  " + xml,
        b"          " + xml,
        xml,
    ]
    assert [d for k, d, _ in fake.calls if k == "fit"] == [b" \x0e\x10FIT", b"\x0e\x10FIT"]


def _bad_crc(data: bytes) -> bytes:
    return data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.txt", b"hello", "not an activity file (.fit, .gpx or .tcx, optionally .gz)"),
        ("run.gpx.zip", b"PK", "not an activity file"),
        ("run.gz", gzip.compress(b"<gpx/>"), "not an activity file"),
        ("run.gpx.gz", b"<gpx/>", "not a gzip file"),
        ("run.gpx.gz", b"", "empty .gz file"),
        ("run.gpx.gz", gzip.compress(b"<gpx/>")[:10] + b"\xff" * 20, "corrupt .gz file"),
        ("run.gpx.gz", _bad_crc(gzip.compress(b"<gpx/>" * 50)), "corrupt .gz file"),
        ("run.tcx", b"  \n ", "empty .tcx file"),
    ],
)
def test_read_activity_errors(fake: _Fake, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(ActivityFileError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_activity(name, data)
    assert fake.calls == []


def test_a_gzip_bomb_stops_at_the_cap(fake: _Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 64 * 1024)
    bomb = gzip.compress(b"\0" * (4 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 8 * 1024
    with pytest.raises(ActivityFileError, match="too large once unpacked"):
        read_activity("bomb.gpx.gz", bomb)
    # Two members that each fit but together do not.
    half = gzip.compress(b" " * (40 * 1024))
    with pytest.raises(ActivityFileError, match="too large once unpacked"):
        read_activity("two.tcx.gz", half + half)
    with pytest.raises(ActivityFileError, match="too large once unpacked"):
        read_activity("plain.gpx", b" " * (64 * 1024 + 1))
    assert read_activity("fits.gpx.gz", gzip.compress(b" " * 1000 + b"<gpx/>")).sport == "gpx"
    assert fake.calls[-1][1] == b" " * 1000 + b"<gpx/>"  # unpacked whole, as it was


def test_gunzip_members_padding_and_a_stream_that_breaks_off() -> None:
    one, two = b"first " * 1000, b"second" * 1000
    assert gunzip(gzip.compress(one) + gzip.compress(two)) == (one + two, True)
    assert gunzip(gzip.compress(one) + b"\0" * 16) == (one, True)
    cut = gzip.compress(os.urandom(4096))[:2000]
    data, complete = gunzip(cut)
    assert not complete and 0 < len(data) < 4096


def test_a_cut_gz_file_is_read_as_far_as_it_goes(fake: _Fake) -> None:
    cut = gzip.compress(b"<gpx>" + os.urandom(4000) + b"</gpx>")[:1500]
    assert read_activity("cut.gpx.gz", cut).truncated
    fake.fail = ActivityFileError("not a well-formed .gpx file")
    with pytest.raises(ActivityFileError, match=r"the \.gz file is cut short; not a well-formed"):
        read_activity("cut.gpx.gz", cut)


def test_a_reader_crash_becomes_the_reason_for_that_file(fake: _Fake) -> None:
    fake.fail = KeyError("lap")
    with pytest.raises(ActivityFileError, match=r"unreadable \.tcx file \(KeyError: 'lap'\)"):
        read_activity("x.tcx", b"<x/>")
    fake.fail = NotAnActivityError("a FIT monitoring file, not an activity")
    with pytest.raises(NotAnActivityError):
        read_activity("m.fit", b"\x0e")


def test_real_files_read_through_the_dispatch(activities: list[Activity], tmp_path: Path) -> None:
    run = next(a for a in activities if a.fmt is not None and a.sport == "running")
    for name, data in (
        ("run.gpx", gpx_bytes(run)),
        ("run.gpx.gz", gzip.compress(gpx_bytes(run))),
        ("run.tcx.gz", gzip.compress(b"          " + tcx_bytes(run))),
    ):
        (tmp_path / name).write_bytes(data)
        summary = read_activity_path(tmp_path / name)
        assert summary.start == run.start and summary.points == len(run.points)
        assert summary.distance_m == pytest.approx(run.distance_m, abs=1.0)
        assert summary.sport == "running"
    shared = SHARED / "data" / "fit" / "Activity.fit"
    if shared.is_file():
        assert read_activity_path(shared).points > 0
    with pytest.raises(ActivityFileError, match="cannot read the file"):
        read_activity_path(tmp_path / "missing.gpx")
    with pytest.raises(ActivityFileError, match="not an activity file"):
        read_activity_path(tmp_path / "notes.txt")


def test_iter_activity_paths_walks_folders_in_order(tmp_path: Path) -> None:
    for name in (
        "b/2.gpx", "b/1.FIT", "a/z.tcx.gz", "a/notes.txt", "a/.hidden.gpx", ".git/x.gpx",
        "a/deeper/y.fit.gz", "c.gpx.zip", "run.GPX.gz", "photo.jpg",
    ):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    given = tmp_path / "photo.jpg"
    found = list(iter_activity_paths([tmp_path, given, tmp_path / "missing.fit"]))
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "run.GPX.gz", "a/z.tcx.gz", "a/deeper/y.fit.gz", "b/1.FIT", "b/2.gpx",
        "photo.jpg", "missing.fit",
    ]  # fmt: skip


def test_a_file_summary_takes_strava_s_name_sport_id_and_rating() -> None:
    row = StravaRow(
        "42", datetime(2024, 1, 1, 6, tzinfo=UTC), "Long run", "running", 3600.0, 3500.0,
        10_000.0, 80.0, 150.0, 171.0, 6.0, "activities/42.fit.gz", True,
    )  # fmt: skip
    from_file = ActivitySummary(
        "other", datetime(2024, 1, 1, 6, 0, 3, tzinfo=UTC), 3597.0, 3490.0, None, None, None,
        None, 170.0, "Garmin fenix 5", 3597, False,
    )  # fmt: skip
    merged = strava_summary(row, from_file)
    assert merged.sport == "running" and merged.name == "Long run" and merged.source_id == "42"
    assert merged.perceived_exertion == 6.0 and merged.start == from_file.start
    assert merged.elapsed_s == 3597.0 and merged.device == "Garmin fenix 5"
    assert merged.distance_m == 10_000.0 and merged.avg_hr == 150.0 and merged.max_hr == 171
    assert merged.elevation_gain_m == 80.0
    with pytest.raises(ActivityFileError, match="gone"):
        summarise_strava_item(row, row.filename, ActivityFileError("gone"))
    assert summarise_strava_item(row._replace(filename=None), None, None).points == 0


def test_the_benchmark_export_is_quick_to_write_and_reads(tmp_path: Path) -> None:
    formats = ("gpx.gz", "gpx", "fit.gz", "fit")
    manifest = write_benchmark_export(tmp_path / "bench", n=4, hours=0.05, formats=formats)
    rows = read_activities_csv((tmp_path / "bench" / "activities.csv").read_bytes())
    assert rows == [StravaRow(**a.row_fields()) for a in manifest.activities]
    assert [(r.filename or "").split(".", 1)[1] for r in rows] == list(formats)
    for row, name, data in iter_strava_export(tmp_path / "bench"):
        summary = summarise_strava_item(row, name, data)
        assert summary.points == 181 and summary.start == row.start
        assert summary.distance_m == pytest.approx(row.distance_m, abs=1.0)
        assert summary.moving_s == pytest.approx(row.moving_s, abs=1.0)
