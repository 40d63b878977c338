"""``backcoach runs`` and ``backcoach why`` end to end: real files from ../shared/data, a
generated Strava export, real SQLite, the real command in a child process."""

from __future__ import annotations

import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cast import CAST
from strava_export import write_export
from support import SHARED, backcoach, ok

DATA = SHARED / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not here")
LIST_FIELDS = {"id", "sport", "start", "elapsed_s", "moving_s", "distance_m", "avg_pace_s_per_km",
               "elevation_gain_m", "avg_hr", "max_hr", "source_file"}  # fmt: skip


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"BACKCOACH_HOME": str(tmp_path / "home"), **extra}


def runs_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(ok(backcoach("runs", *args, "--json", env=env)).stdout)


@needs_data
def test_the_shared_files_import_once_and_list_with_every_field(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    first = runs_json(env, "import", str(DATA / "fit"), str(DATA / "gpx"), str(DATA / "tcx"))
    # 16 activities, and 2 files whose activity another file already gave (the same
    # sport starting within 60 s, as long within 5%): duplicates, not errors.
    assert (first["imported"], first["duplicates"], first["errors"]) == (16, 2, [])
    skipped = {Path(s["file"]).name: s["reason"] for s in first["skipped"]}
    assert "MonitoringFile.fit" in skipped and "monitoring" in skipped["MonitoringFile.fit"]
    assert not skipped["MonitoringFile.fit"].startswith("/")  # the file is named once
    again = runs_json(env, "import", str(DATA))
    assert again["imported"] == 0
    assert again["duplicates"] == first["imported"] + first["duplicates"]
    listed = runs_json(env, "list")
    assert len(listed) == first["imported"]
    for activity in listed:
        assert set(activity) >= LIST_FIELDS
        assert activity["start"][:4].isdigit() and "+00:00" in activity["start"]
    by_file = {Path(a["source_file"]).name: a for a in listed}
    fenix = by_file["garmin-fenix-5-run.fit"]
    assert fenix["sport"] == "running" and fenix["avg_hr"] and fenix["max_hr"]
    assert by_file["sup_activity_1.tcx"]["distance_m"] > 0


def test_a_strava_export_zip_imports_with_manual_activities_and_is_idempotent(
    tmp_path: Path,
) -> None:
    manifest = write_export(tmp_path / "export", n=40, zip_path=tmp_path / "export.zip")
    env = env_for(tmp_path)
    report = runs_json(env, "import", str(tmp_path / "export.zip"))
    expected = len(set(manifest.ids))
    assert (report["imported"], report["duplicates"]) == (expected, 0), report
    listed = runs_json(env, "list")
    assert len(listed) == report["imported"]
    manual = [
        a
        for a in listed
        if a["source_file"].endswith("activities.csv") or a["has_positions"] is False
    ]
    assert manual, "manual activities are kept"
    assert any(a["perceived_exertion"] is not None for a in listed)
    again = runs_json(env, "import", str(tmp_path / "export"))  # the same export, unpacked
    assert again["imported"] == 0


def test_bad_files_are_reported_one_by_one_and_the_rest_imports(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "bomb.gpx").write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<gpx><trk><trkseg><trkpt lat='1' lon='1'><time>&lol2;</time></trkpt></trkseg></trk></gpx>"
    )
    (folder / "xxe.tcx").write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    (folder / "truncated.fit").write_bytes(b".FIT" * 3)
    (folder / "notes.txt").write_text("not a run")
    good = write_export(tmp_path / "one", n=6)
    for activity in good.activities:
        if activity.filename and activity.fmt == "gpx" and not activity.gzipped:
            (folder / "good.gpx").write_bytes((good.folder / activity.filename).read_bytes())
            break
    env = env_for(tmp_path)
    report = runs_json(env, "import", str(folder))
    assert report["imported"] == 1
    reasons = {Path(e["file"]).name: e["reason"] for e in report["errors"] + report["skipped"]}
    assert "entit" in reasons["bomb.gpx"].lower()
    assert "entit" in reasons["xxe.tcx"].lower()
    assert "truncated.fit" in reasons
    assert "root:" not in json.dumps(report)  # nothing of /etc/passwd leaked


def test_an_export_whose_csv_cannot_be_read_is_one_error_and_the_rest_imports(
    tmp_path: Path,
) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "activities.csv").write_text("Foo,Bar\n1,2\n")  # no header known here
    good = write_export(tmp_path / "one", n=6)
    loose = next(
        good.folder / a.filename
        for a in good.activities
        if a.filename and a.fmt == "gpx" and not a.gzipped
    )
    report = runs_json(env_for(tmp_path), "import", str(export), str(loose))
    assert report["imported"] == 1
    assert [e["file"] for e in report["errors"]] == [str(export)]
    assert "header" in report["errors"][0]["reason"]


def test_a_zip_that_escapes_its_folder_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("activities.csv", "Activity ID,Activity Date,Activity Type,Filename\n"
                    '1,"Jan 1, 2024, 10:00:00 AM",Run,../../escape.gpx\n')  # fmt: skip
        zf.writestr("../../escape.gpx", "<gpx/>")
    env = env_for(tmp_path)
    done = backcoach("runs", "import", str(archive), "--json", env=env)
    assert done.returncode == 1  # nothing imported, and an error to report
    report = json.loads(done.stdout)
    assert report["imported"] == 0 and runs_json(env, "list") == []
    text = json.dumps(report)
    assert "escape" in text  # the refused member is named with its reason
    assert not (tmp_path.parent / "escape.gpx").exists()


def test_report_relates_runs_to_check_ins_and_why_answers(tmp_path: Path) -> None:
    """Eight weeks: a long run every Saturday and pain a few points higher the next day."""
    first_day = date(2026, 1, 5)  # a Monday
    env = env_for(tmp_path, BACKCOACH_TODAY=first_day.isoformat())
    runner = dict(CAST["runner-after-half-marathon"], duration_days=3)
    case = tmp_path / "case.json"
    case.write_text(json.dumps(runner))
    ok(backcoach("assess", "--case", str(case), "--record", env=env))
    activities = []
    for week in range(8):
        for weekday, km in ((1, 8), (3, 8), (5, 18)):
            day = first_day + timedelta(days=7 * week + weekday)
            activities.append((day, km))
    export = write_export(tmp_path / "export", n=0)  # an empty export to fill ourselves
    _write_runs_csv(export.folder / "activities.csv", activities)
    ok(backcoach("runs", "import", str(export.folder), env=env))
    saturdays = {d for d, km in activities if km == 18}
    for n in range(56):
        day = first_day + timedelta(days=n)
        pain = 6 if day - timedelta(days=1) in saturdays else 2 + n % 2
        ok(backcoach("checkin", "--no-input", "--pain", str(pain), "--screen", "none",
                     env={**env, "BACKCOACH_TODAY": day.isoformat()}))  # fmt: skip
    last = first_day + timedelta(days=55)
    env["BACKCOACH_TODAY"] = last.isoformat()
    report = runs_json(env, "report")
    long_runs = [c for c in report["pain_after_runs"]
                 if c["group"] == "after long runs" and c["lag_days"] == 1]  # fmt: skip
    assert long_runs and long_runs[0]["days"] == 8
    assert long_runs[0]["difference"] > 2
    assert long_runs[0]["ci95"][0] > 1
    assert "did not predict injury" in report["context"]["note"]  # context, labelled so
    text = ok(backcoach("runs", "report", "--chart", str(tmp_path / "running"), env=env))
    words = " ".join(text.stdout.decode().split())
    assert "On the days after long runs (8 days) your pain was" in words
    assert "95% CI" in words
    assert (tmp_path / "running.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "running.svg").read_text()
    assert 'id="pain-weekly"' in svg
    why = ok(backcoach("why", "--html", str(tmp_path / "why.html"), env=env))
    said = " ".join(why.stdout.decode().split())
    assert "WHY DOES MY BACK HURT?" in said
    assert "THE LIKELY CAUSES" in said and "WHAT YOUR RUNNING SHOWS" in said
    assert "long runs" in said and "WHEN TO SEE SOMEONE" in said
    page = (tmp_path / "why.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "Why does my back hurt?" in page


def _write_runs_csv(path: Path, runs: list[tuple[date, float]]) -> None:
    """A minimal Strava activities.csv of manual runs (no files), 6 min per km."""
    lines = ["Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,"
             "Moving Time,Distance,Perceived Exertion,Filename"]  # fmt: skip
    for n, (day, km) in enumerate(runs, start=1):
        when = f"{day:%b} {day.day}, {day.year}, 7:00:00 AM"
        seconds = km * 360
        lines.append(f'{1000 + n},"{when}",Run {n},Run,{seconds},{km},{seconds},{km * 1000},,')
    path.write_text("\n".join(lines) + "\n")


def test_runs_help_and_empty_record(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    assert runs_json(env, "list") == []
    empty = ok(backcoach("runs", "report", env=env))
    assert b"No runs yet" in empty.stdout
    for command in (["runs", "--help"], ["runs", "import", "--help"], ["why", "--help"]):
        ok(backcoach(*command, env=env))
    nothing = backcoach("why", env=env)
    assert nothing.returncode == 2 and b"backcoach assess" in nothing.stderr
