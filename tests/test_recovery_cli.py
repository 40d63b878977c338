"""The recovery record end to end: ``checkin``, ``progress``, ``export``, ``import``,
``delete --all`` and ``backup`` run as real commands in child processes, on a real SQLite
record in a folder of the test's own (``BACKCOACH_HOME``), with ``BACKCOACH_TODAY`` fixing
the day. Nothing is mocked.

Records are prepared once per module (an assessment; three weeks of check-ins) and copied
into each test's folder, so that each test starts from the same record in little time.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cast import CAST
from support import ROOT, backcoach, ok

from backcoach.content.loader import load_catalog
from backcoach.content.recovery import load_recovery_rules
from backcoach.domain.model import Level

TODAY = date(2026, 3, 1)
DURATION_DAYS = 40
EPISODE_START = TODAY - timedelta(days=DURATION_DAYS)  # 2026-01-20
RESCREEN = load_recovery_rules().rescreen
QUESTION = {f.id: f.question for f in load_catalog().findings}

# Three weeks and a day of check-ins from TODAY: pain falls from 7 to 2, with one flare-up
# (pain jumps by 3, from 5 to 8) on day 11. Sleep cycles 5, 6, 7, 8 hours.
PAINS = (7, 7, 7, 7, 6, 6, 6, 6, 5, 5, 5, 8, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2)
FLARE_DAY = TODAY + timedelta(days=11)
LAST_DAY = TODAY + timedelta(days=len(PAINS) - 1)  # 2026-03-22, three plan weeks on
SPARKS = "▁▂▃▄▅▆▇█"

Result = subprocess.CompletedProcess[bytes]


# --- helpers ---------------------------------------------------------------------------------


def make_env(home: Path, cache: Path) -> dict[str, str]:
    return {
        "BACKCOACH_HOME": str(home),
        "BACKCOACH_CACHE_DIR": str(cache),
        "BACKCOACH_TODAY": TODAY.isoformat(),
        "NO_COLOR": "1",
    }


def run(env: dict[str, str], *args: str, day: date | None = None, stdin: bytes = b"") -> Result:
    """``backcoach ARGS`` with ``env``, on ``day`` when given (else the env's day)."""
    if day is not None:
        env = {**env, "BACKCOACH_TODAY": day.isoformat()}
    return backcoach(*args, stdin=stdin, env=env)


def words(data: bytes) -> str:
    """Output as one line of words (the human text is wrapped)."""
    return " ".join(data.decode().split())


def export(env: dict[str, str], day: date | None = None) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(ok(run(env, "export", "-", day=day)).stdout)
    return document


def write_case(folder: Path) -> Path:
    case = {**CAST["desk-worker-text-neck"], "duration_days": DURATION_DAYS}
    path = folder / "case.json"
    path.write_text(json.dumps(case))
    return path


def assert_refused(done: Result, flag: str, status: int = 2) -> str:
    """One line on stderr, naming the flag; nothing on stdout; no traceback."""
    err = done.stderr.decode()
    assert done.returncode == status, (done.returncode, err)
    assert b"Traceback" not in done.stderr
    assert err.count("\n") == 1, err
    assert err.startswith(f"backcoach: error: {flag}: "), err
    assert done.stdout == b""
    return err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def checkin_args(pain: int, day_index: int) -> list[str]:
    hours = 5 + day_index % 4
    return ["checkin", "--no-input", "--pain", str(pain), "--sleep-hours", str(hours),
            "--routine-done", "--screen", "none"]  # fmt: skip


# --- prepared records (built once, copied per test) -------------------------------------------


@pytest.fixture(autouse=True)
def _sqlite_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default record (SQLite in BACKCOACH_HOME), never a database server."""
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def assessed_home(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[Path]:
    """A record holding one assessment (and the plan it starts), taken on TODAY."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        folder = tmp_path_factory.mktemp("assessed")
        home = folder / "home"
        env = make_env(home, cache_dir)
        ok(run(env, "assess", "--case", str(write_case(folder)), "--record"))
        yield home


@pytest.fixture(scope="module")
def three_weeks_home(
    tmp_path_factory: pytest.TempPathFactory, cache_dir: Path, assessed_home: Path
) -> Iterator[Path]:
    """The assessed record with a check-in on each of 22 days (PAINS), one run a day."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        home = tmp_path_factory.mktemp("three-weeks") / "home"
        shutil.copytree(assessed_home, home)
        env = make_env(home, cache_dir)
        for index, pain in enumerate(PAINS):
            ok(run(env, *checkin_args(pain, index), day=TODAY + timedelta(days=index)))
        yield home


@pytest.fixture(scope="module")
def assessed_document(
    tmp_path_factory: pytest.TempPathFactory, cache_dir: Path, assessed_home: Path
) -> dict[str, Any]:
    """``export -`` of the assessed record (on a copy, on TODAY)."""
    home = tmp_path_factory.mktemp("assessed-export") / "home"
    shutil.copytree(assessed_home, home)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        return export(make_env(home, cache_dir))


@pytest.fixture(scope="module")
def three_weeks_document(
    tmp_path_factory: pytest.TempPathFactory, cache_dir: Path, three_weeks_home: Path
) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("three-weeks-export") / "home"
    shutil.copytree(three_weeks_home, home)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DATABASE_URL", raising=False)
        return export(make_env(home, cache_dir), day=LAST_DAY)


@pytest.fixture
def fresh(tmp_path: Path, cache_dir: Path) -> dict[str, str]:
    """An empty record: the folder does not exist yet."""
    return make_env(tmp_path / "home", cache_dir)


@pytest.fixture
def assessed(tmp_path: Path, cache_dir: Path, assessed_home: Path) -> dict[str, str]:
    home = tmp_path / "home"
    shutil.copytree(assessed_home, home)
    return make_env(home, cache_dir)


@pytest.fixture
def three_weeks(tmp_path: Path, cache_dir: Path, three_weeks_home: Path) -> dict[str, str]:
    home = tmp_path / "home"
    shutil.copytree(three_weeks_home, home)
    return {**make_env(home, cache_dir), "BACKCOACH_TODAY": LAST_DAY.isoformat()}


# --- 1. no assessment yet ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["checkin", "--no-input", "--pain", "3"], ["checkin", "--no-input", "--pain", "3", "--json"],
     ["progress"]],
    ids=["checkin", "checkin-json", "progress"],
)  # fmt: skip
def test_without_an_assessment_the_command_says_to_run_assess(
    fresh: dict[str, str], args: list[str]
) -> None:
    done = run(fresh, *args)
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr == b"backcoach: error: no assessment yet. Run `backcoach assess` first.\n"


# --- 2. a check-in from flags only --------------------------------------------------------------


def test_no_input_checkin_records_rescreen_as_not_asked_never_absent(
    tmp_path: Path, fresh: dict[str, str]
) -> None:
    ok(run(fresh, "assess", "--case", str(write_case(tmp_path)), "--record"))
    done = ok(run(fresh, "checkin", "--no-input", "--pain", "4", "--sleep-hours", "7",
                  "--routine-done", "--json"))  # fmt: skip
    data = json.loads(done.stdout)  # stdout is the JSON alone
    assert data["status"] == "added"
    checkin = data["checkin"]
    assert checkin["date"] == TODAY.isoformat()
    assert checkin["pain"] == 4
    assert checkin["sleep_hours"] == 7.0
    assert checkin["routine_done"] is True
    assert checkin["pain_worst"] is None
    assert checkin["peg"] is None  # never asked with --no-input
    assert set(checkin["screen"]) == set(RESCREEN)
    assert set(checkin["screen"].values()) == {"not_asked"}
    assert sorted(data["not_answered"]) == sorted(RESCREEN)
    assert data["retriage"] is None
    said = words(done.stderr)
    assert f"Saved your check-in for {TODAY}." in said
    assert "The safety questions were not answered today." in said
    assert "backcoach checkin --edit" in said
    # Kept as "not asked" in the record too.
    [stored] = export(fresh)["checkins"]
    assert set(stored["screen"].values()) == {"not_asked"}
    home = Path(fresh["BACKCOACH_HOME"])
    assert mode(home / "backcoach.sqlite3") == 0o600


def test_the_first_day_of_the_episode_is_accepted(assessed: dict[str, str]) -> None:
    done = ok(run(assessed, "checkin", "--no-input", "--pain", "5", "--date",
                  EPISODE_START.isoformat()))  # fmt: skip
    assert f"Saved your check-in for {EPISODE_START}." in done.stdout.decode()


# --- 3. the safety re-screen --------------------------------------------------------------------


def test_screen_none_answers_no_and_a_yes_reruns_triage_at_once(assessed: dict[str, str]) -> None:
    calm = ok(run(assessed, "checkin", "--no-input", "--pain", "4", "--screen", "none", "--json"))
    data = json.loads(calm.stdout)
    assert data["checkin"]["screen"] == dict.fromkeys(RESCREEN, "absent")
    assert data["not_answered"] == []
    assert data["retriage"] is None
    assert "not answered" not in words(calm.stderr).lower()

    day2 = TODAY + timedelta(days=1)
    fever = ok(run(assessed, "checkin", "--no-input", "--pain", "5", "--screen", "fever=yes",
                   "--json", day=day2))  # fmt: skip
    data = json.loads(fever.stdout)
    retriage = data["retriage"]
    assert retriage is not None
    assert Level.from_id(retriage["level"]) > Level.SELF_CARE
    assert retriage["red_flags"] == ["fever"]
    assert retriage["result"]["triage"]["level"] == retriage["level"]
    assert data["checkin"]["screen"]["fever"] == "present"
    assert {v for k, v in data["checkin"]["screen"].items() if k != "fever"} == {"not_asked"}
    said = words(fever.stderr)
    assert "doctor" in said.lower()
    assert "You told us about a new warning sign. Please act on the advice above now." in said

    day3 = TODAY + timedelta(days=2)
    numb = ok(run(assessed, "checkin", "--no-input", "--pain", "5", "--screen",
                  "saddle_numbness=yes", day=day3))  # fmt: skip
    said = words(numb.stdout)
    assert "999" in said  # the emergency advice, on stdout without --json
    assert "You told us about a new warning sign." in said

    first, second, third = export(assessed, day=day3)["assessments"]
    assert first["triage_level"] == "self_care"
    assert second["triage_level"] == retriage["level"]
    assert second["case"]["findings"]["fever"] == "present"
    assert third["case"]["findings"]["saddle_numbness"] == "present"
    assert Level.from_id(third["triage_level"]) >= Level.EMERGENCY


# --- 4. bad input ----------------------------------------------------------------------------


BAD_INPUT = [
    ("--pain", ["--pain", "11"], "from 0 to 10"),
    ("--pain", ["--sleep-hours", "7"], "the pain now"),
    ("--worst", ["--worst", "2", "--pain", "5"], "cannot be less than pain now"),
    ("--date", ["--date", "2026-03-02", "--pain", "3"], "in the future"),
    ("--date", ["--date", "2026-01-19", "--pain", "3"], f"began ({EPISODE_START})"),
    ("--where", ["--where", "knee_cap", "--pain", "3"], "'knee_cap'"),
    ("--screen", ["--screen", "nosuch=yes", "--pain", "3"], "'nosuch'"),
    ("--screen", ["--screen", "fever=maybe", "--pain", "3"], "yes, no or unknown"),
    ("--peg", ["--peg", "1,2", "--pain", "3"], "three numbers"),
    ("--startback", ["--startback", "0,1,0,0,1,0,0,1", "--pain", "3"], "the 9 answers"),
    ("--startback", ["--startback", "0,1,0,0,1,0,0,2,2", "--pain", "3"], "as 0 (disagree)"),
    ("--startback", ["--startback", "0,1,0,0,1,0,0,1,5", "--pain", "3"], "0 (not at all) to 4"),
    ("--sleep-hours", ["--sleep-hours", "30", "--pain", "3"], "0 to 24"),
    ("--activity-minutes", ["--activity-minutes", "2000", "--pain", "3"], "1440"),
]


def test_bad_input_is_refused_naming_the_flag_and_nothing_is_written(
    assessed: dict[str, str], assessed_document: dict[str, Any]
) -> None:
    """Each case on the same record (one run each, to keep the file fast); one export at
    the end shows that none of them wrote anything."""
    problems: list[str] = []
    for flag, args, says in BAD_INPUT:
        done = run(assessed, "checkin", "--no-input", *args)
        try:
            err = assert_refused(done, flag)
            assert says in err, err
        except AssertionError as exc:
            problems.append(f"{args}: {exc}")
    assert problems == []
    assert export(assessed) == assessed_document


# --- 5. one check-in a day: duplicate, edit, delete -----------------------------------------------


def test_a_second_checkin_for_the_day_is_refused_then_edit_and_delete(
    assessed: dict[str, str],
) -> None:
    ok(run(assessed, "checkin", "--no-input", "--pain", "4", "--worst", "6", "--where",
           "lower back", "--sleep-hours", "7", "--note", "stiff morning", "--screen", "none"))  # fmt: skip

    again = run(assessed, "checkin", "--no-input", "--pain", "5")
    assert again.returncode == 1
    assert b"Traceback" not in again.stderr
    said = words(again.stderr)
    assert f"already a check-in for {TODAY}" in said
    assert "--edit" in said
    assert [c["pain"] for c in export(assessed)["checkins"]] == [4]

    edited = ok(run(assessed, "checkin", "--no-input", "--edit", "--pain", "2", "--json"))
    data = json.loads(edited.stdout)
    assert data["status"] == "updated"
    checkin = data["checkin"]
    assert checkin["pain"] == 2
    assert checkin["pain_worst"] == 6
    assert checkin["areas"] == ["lower_back"]
    assert checkin["sleep_hours"] == 7.0
    assert checkin["note"] == "stiff morning"
    # The earlier "no" answers are kept, not overwritten by "not asked".
    assert checkin["screen"] == dict.fromkeys(RESCREEN, "absent")
    assert data["not_answered"] == []
    assert f"Updated your check-in for {TODAY}." in words(edited.stderr)

    deleted = ok(run(assessed, "checkin", "--no-input", "--delete"))
    assert deleted.stdout.decode() == f"Deleted your check-in for {TODAY}.\n"
    gone = run(assessed, "checkin", "--no-input", "--delete")
    assert_refused(gone, "--delete")
    assert f"no check-in for {TODAY}" in gone.stderr.decode()

    no_edit = run(assessed, "checkin", "--no-input", "--edit", "--pain", "3")
    assert_refused(no_edit, "--edit")


# --- 6. progress --------------------------------------------------------------------------------


def test_progress_without_checkins_says_so(assessed: dict[str, str]) -> None:
    done = ok(run(assessed, "progress"))
    assert "No check-ins yet." in done.stdout.decode()
    assert "backcoach checkin" in done.stdout.decode()
    data = json.loads(ok(run(assessed, "progress", "--json")).stdout)
    assert data["days_recorded"] == 0
    assert data["verdict"] == "not_enough_data"
    assert data["pain_change"] is None
    assert data["flares"] == []
    assert data["plan"]["latest_change"] is None


def one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def test_progress_after_three_weeks_shows_a_real_improvement(three_weeks: dict[str, str]) -> None:
    baseline = sum(PAINS[:7]) / 7
    current = sum(PAINS[-7:]) / 7
    done = ok(run(three_weeks, "progress"))
    text = done.stdout.decode()
    said = words(done.stdout)
    assert f"since {TODAY}, {len(PAINS)} check-ins" in said
    assert (
        f"Your average pain fell from {one_decimal(baseline)} to {one_decimal(current)} "
        "in 3 weeks: a real improvement."
    ) in said
    assert f"Flare-ups: 1: {FLARE_DAY:%d %b} (pain up to 8)." in said
    assert "Routine: done on 7 of the last 7 days, and on 22 of 22 days" in said
    assert "YOUR PLAN THIS WEEK" in text

    [spark_line] = [line for line in text.splitlines() if "Pain, last 28 days:" in line]
    spark = spark_line.split("Pain, last 28 days:", 1)[1].split("(0 to 10)")[0].strip()
    assert len(spark) == len(PAINS)  # one mark a day, 22 days of check-ins
    assert set(spark) <= set(SPARKS)
    levels = [SPARKS.index(mark) for mark in spark]
    assert levels[0] > levels[-1]  # the pain fell
    flare = (FLARE_DAY - TODAY).days
    assert levels[flare] > levels[flare - 1]  # the flare-up day stands out
    assert levels[flare] > levels[flare + 1]


def test_progress_json_has_the_verdict_the_change_the_flare_and_the_plan_change(
    three_weeks: dict[str, str],
) -> None:
    data = json.loads(ok(run(three_weeks, "progress", "--json")).stdout)
    assert data["today"] == LAST_DAY.isoformat()
    assert data["first_day"] == TODAY.isoformat()
    assert data["days_recorded"] == len(PAINS)
    assert data["verdict"] == "real_improvement"
    change = data["pain_change"]
    assert change["important_improvement"] is True
    assert change["important_worsening"] is False
    assert change["baseline"] == pytest.approx(sum(PAINS[:7]) / 7, abs=0.01)
    assert change["latest"] == pytest.approx(sum(PAINS[-7:]) / 7, abs=0.01)
    [flare] = data["flares"]
    assert flare["start"] == flare["end"] == FLARE_DAY.isoformat()
    assert flare["peak"] == 8
    latest = data["plan"]["latest_change"]
    assert data["plan"]["starts"] == TODAY.isoformat()
    assert latest is not None
    assert latest["week_start"] == (TODAY + timedelta(weeks=3)).isoformat()
    assert latest["message"]
    # One change a plan week; the week with the flare-up steps back.
    changes = export(three_weeks)["adaptations"]
    starts = [(TODAY + timedelta(weeks=n)).isoformat() for n in (1, 2, 3)]
    assert [c["week_start"] for c in changes] == starts
    assert changes[1]["rule"] == "flare"
    assert changes[1]["action"] == "step_back"


def test_progress_chart_writes_png_and_svg(tmp_path: Path, three_weeks: dict[str, str]) -> None:
    out = tmp_path / "charts" / "progress"
    out.parent.mkdir()
    done = ok(run(three_weeks, "progress", "--chart", str(out)))
    png, svg = out.with_suffix(".png"), out.with_suffix(".svg")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert svg.stat().st_size > 0
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert f"Wrote {png}" in done.stderr.decode()
    assert f"Wrote {svg}" in done.stderr.decode()


def test_progress_chart_refuses_other_file_types(
    tmp_path: Path, three_weeks: dict[str, str]
) -> None:
    target = tmp_path / "x.jpg"
    done = run(three_weeks, "progress", "--chart", str(target))
    err = assert_refused(done, "--chart")
    assert ".png" in err
    assert not target.exists()


# --- 7. export and import --------------------------------------------------------------------


def without_time(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "exported_at"}


def test_export_delete_import_gives_back_the_same_record(
    tmp_path: Path, three_weeks: dict[str, str]
) -> None:
    first = tmp_path / "export.json"
    wrote = ok(run(three_weeks, "export", str(first)))
    assert f"({1} assessments, {len(PAINS)} checkins)" in wrote.stderr.decode()
    assert mode(first) == 0o600
    ok(run(three_weeks, "delete", "--all", "--yes"))
    assert export(three_weeks)["checkins"] == []
    imported = ok(run(three_weeks, "import", str(first)))
    assert f"{len(PAINS)} checkins" in imported.stdout.decode()
    second = tmp_path / "again.json"
    later = LAST_DAY + timedelta(days=1)
    ok(run(three_weeks, "export", str(second), day=later))
    before, after = json.loads(first.read_text()), json.loads(second.read_text())
    assert before["exported_at"] != after["exported_at"]
    assert without_time(after) == without_time(before)
    assert len(after["checkins"]) == len(PAINS)
    assert len(after["adaptations"]) == 3
    # The restored record is in use again: a new check-in, and the same progress.
    ok(run(three_weeks, "checkin", "--no-input", "--pain", "2", day=later))
    data = json.loads(ok(run(three_weeks, "progress", "--json", day=later)).stdout)
    assert data["days_recorded"] == len(PAINS) + 1
    assert data["verdict"] == "real_improvement"


def test_import_into_a_record_that_is_not_empty_is_refused(
    tmp_path: Path, three_weeks: dict[str, str], three_weeks_document: dict[str, Any]
) -> None:
    file = tmp_path / "export.json"
    file.write_text(json.dumps(three_weeks_document))
    done = run(three_weeks, "import", str(file))
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    said = words(done.stderr)
    assert "not empty" in said
    assert "Nothing was changed." in said
    assert without_time(export(three_weeks)) == without_time(three_weeks_document)


def with_pain_14(document: dict[str, Any]) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(document))
    changed["checkins"][3]["pain"] = 14
    return changed


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (lambda doc: '{"a": 1}', "not a backcoach export"),
        (lambda doc: '{"format": "backcoach-export", ', "not valid JSON"),
        (lambda doc: json.dumps(with_pain_14(doc)), "checkins[3]"),
    ],
    ids=["foreign", "invalid-json", "pain-14"],
)
def test_a_bad_import_file_is_refused_naming_the_problem_and_nothing_is_written(
    tmp_path: Path,
    fresh: dict[str, str],
    three_weeks_document: dict[str, Any],
    content: Callable[[dict[str, Any]], str],
    says: str,
) -> None:
    file = tmp_path / "bad.json"
    file.write_text(content(three_weeks_document))
    done = run(fresh, "import", str(file))
    assert done.returncode != 0
    assert b"Traceback" not in done.stderr
    err = done.stderr.decode()
    assert err.startswith("backcoach: error: ")
    assert err.count("\n") == 1, err
    assert says in err
    if says == "checkins[3]":
        assert "pain" in err
        assert "14" in err
    document = export(fresh)
    for table in ("people", "episodes", "assessments", "plans", "adaptations", "checkins",
                  "routine_sessions"):  # fmt: skip
        assert document[table] == [], table


def test_an_import_into_a_busy_database_blames_the_database_not_the_file(
    tmp_path: Path, fresh: dict[str, str], three_weeks_document: dict[str, Any]
) -> None:
    file = tmp_path / "good.json"
    file.write_text(json.dumps(three_weeks_document))
    export(fresh)  # makes the database
    writer = sqlite3.connect(Path(fresh["BACKCOACH_HOME"]) / "backcoach.sqlite3")
    try:
        writer.execute("BEGIN IMMEDIATE")  # another window, writing
        done = run({**fresh, "BACKCOACH_DB_TIMEOUT": "0.5"}, "import", str(file))
    finally:
        writer.rollback()
        writer.close()
    err = done.stderr.decode()
    assert done.returncode == 1, err  # not 2: the file is not at fault
    assert "busy" in err and str(file) not in err and ".." not in err
    ok(run(fresh, "import", str(file)))  # once it is free, the same file imports


def test_a_bad_checkin_row_is_named_as_table_index_field(
    tmp_path: Path, fresh: dict[str, str], three_weeks_document: dict[str, Any]
) -> None:
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(with_pain_14(three_weeks_document)))
    done = run(fresh, "import", str(file))
    assert done.returncode != 0
    assert "checkins[3].pain: " in done.stderr.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("peg", [1, 2]), ("screen", []), ("areas", 5), ("startback", [])],
    ids=["peg-two-numbers", "screen-list", "areas-number", "startback-list"],
)
def test_an_import_with_a_malformed_checkin_column_is_refused(
    tmp_path: Path,
    fresh: dict[str, str],
    three_weeks_document: dict[str, Any],
    field: str,
    value: Any,
) -> None:
    document = json.loads(json.dumps(three_weeks_document))
    document["checkins"][0][field] = value
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(document))
    done = run(fresh, "import", str(file))
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    assert done.returncode != 0
    err = done.stderr.decode()
    assert "checkins[0]" in err
    assert field in err
    assert export(fresh)["checkins"] == []


def test_export_csv_writes_one_file_per_table_with_a_header(
    tmp_path: Path, three_weeks: dict[str, str], three_weeks_document: dict[str, Any]
) -> None:
    folder = tmp_path / "csv"
    done = ok(run(three_weeks, "export", "--csv", str(folder)))
    from backcoach.storage.transfer import TABLES

    tables = list(TABLES)
    assert {"people", "assessments", "plans", "checkins", "routine_sessions"} <= set(tables)
    assert f"Wrote {len(tables)} CSV files" in done.stderr.decode()
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.csv" for t in tables)
    for table in tables:
        path = folder / f"{table}.csv"
        assert mode(path) == 0o600
        header, *rows = list(csv.reader(io.StringIO(path.read_text())))
        assert header, table
        assert len(rows) == len(three_weeks_document[table]), table
        if three_weeks_document[table]:
            assert header == list(three_weeks_document[table][0]), table
    checkins = list(csv.DictReader(io.StringIO((folder / "checkins.csv").read_text())))
    assert [int(row["pain"]) for row in checkins] == list(PAINS)
    refused = run(three_weeks, "export", "--csv", "-")
    assert refused.returncode == 2


# --- 8. delete --all --------------------------------------------------------------------------


def test_delete_all_asks_for_the_word_delete(three_weeks: dict[str, str]) -> None:
    for answer in (b"yes\n", b""):
        kept = run(three_weeks, "delete", "--all", stdin=answer)
        assert kept.returncode == 1, answer
        assert "Nothing was deleted." in words(kept.stdout)
    assert len(export(three_weeks)["checkins"]) == len(PAINS)

    erased = ok(run(three_weeks, "delete", "--all", stdin=b"delete\n"))
    assert "Erased your record" in words(erased.stdout)
    document = export(three_weeks)
    for table in ("people", "episodes", "assessments", "plans", "adaptations", "checkins",
                  "routine_sessions"):  # fmt: skip
        assert document[table] == [], table


# --- 9. backup -------------------------------------------------------------------------------


def test_backup_writes_a_private_sqlite_copy(tmp_path: Path, three_weeks: dict[str, str]) -> None:
    target = tmp_path / "copy.sqlite3"
    done = ok(run(three_weeks, "backup", str(target)))
    assert str(target) in done.stdout.decode()
    assert mode(target) == 0o600
    connection = sqlite3.connect(target)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        [(count,)] = connection.execute("SELECT count(*) FROM backcoach_checkin").fetchall()
        [(assessments,)] = connection.execute(
            "SELECT count(*) FROM backcoach_assessment"
        ).fetchall()
    finally:
        connection.close()
    assert count == len(PAINS)
    assert assessments == 1


# --- 10. the check-in in a real terminal ---------------------------------------------------------

COMMAND = str(ROOT / ".venv" / "bin" / "backcoach")
TIMEOUT = 15


class Conversation:
    """``backcoach checkin`` in a pseudo-terminal, answered prompt by prompt."""

    def __init__(self, env: dict[str, str], day: date) -> None:
        pexpect = pytest.importorskip("pexpect")
        self.pexpect = pexpect
        self.log = io.StringIO()
        full = {**os.environ, **env, "TERM": "dumb", "BACKCOACH_TODAY": day.isoformat()}
        self.child = pexpect.spawn(
            COMMAND, ["checkin"], env=full, encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 100)
        )
        self.child.delaybeforesend = None
        self.child.logfile_read = self.log
        self.prompts: list[str] = []

    def answer(self, choose: Callable[[str], str]) -> int:
        """Answer each prompt (a line ending in "> ") with ``choose(prompt)`` until the
        command ends; return its exit status."""
        while self.child.expect([r"> $", self.pexpect.EOF]) == 0:
            prompt = str(self.child.before).replace("\r", "").rsplit("\n", 1)[-1].strip()
            self.prompts.append(prompt)
            self.child.sendline(choose(prompt))
        self.child.close()
        status: int = self.child.exitstatus
        return status

    @property
    def text(self) -> str:
        return self.log.getvalue()


@pytest.fixture
def conversations() -> Iterator[list[Conversation]]:
    made: list[Conversation] = []
    yield made
    for conversation in made:
        if conversation.child.isalive():
            conversation.child.terminate(force=True)


def test_interactive_checkin_in_a_terminal(
    assessed: dict[str, str], conversations: list[Conversation]
) -> None:
    peg = ["5", "4", "6"]

    def first(prompt: str) -> str:
        if prompt.startswith("Pain now"):
            return "4"
        if prompt.startswith("Any of these?"):
            return "n"
        if prompt == "0 to 10":  # the weekly PEG, due at the first check-in
            return peg.pop(0)
        return ""  # Enter skips the optional questions

    started = time.monotonic()
    talk = Conversation(assessed, TODAY)
    conversations.append(talk)
    assert talk.answer(first) == 0
    elapsed = time.monotonic() - started
    assert talk.prompts[0].startswith("Pain now")
    assert any(p.startswith("Did you do your exercise routine today?") for p in talk.prompts)
    assert "SAFETY CHECK" in talk.text
    assert "THIS WEEK'S 3 QUESTIONS" in talk.text
    assert peg == []
    assert f"Saved your check-in for {TODAY}." in talk.text
    assert len(talk.prompts) <= 15, talk.prompts  # the common path stays short
    assert elapsed < 30

    day2 = TODAY + timedelta(days=1)
    asked: list[str] = []
    by_question = {question: fid for fid, question in QUESTION.items() if fid in RESCREEN}

    def second(prompt: str) -> str:
        if prompt.startswith("Pain now"):
            return "3"
        if prompt.startswith("Any of these?"):
            return "y"
        fid = by_question.get(prompt.removesuffix(">").strip())
        if fid is not None:
            asked.append(fid)
            return "?" if fid == "fever" else "n"
        return ""

    again = Conversation(assessed, day2)
    conversations.append(again)
    assert again.answer(second) == 0
    assert "Please answer each one" in again.text
    assert asked == list(RESCREEN)  # each question, one by one, in order
    assert "THIS WEEK'S 3 QUESTIONS" not in again.text  # the PEG is weekly
    assert f"Saved your check-in for {day2}." in again.text

    first_day, second_day = export(assessed, day=day2)["checkins"]
    assert first_day["pain"] == 4
    assert first_day["screen"] == dict.fromkeys(RESCREEN, "absent")
    assert first_day["peg"] == [5, 4, 6]
    assert second_day["pain"] == 3
    assert second_day["peg"] is None
    assert second_day["screen"] == {**dict.fromkeys(RESCREEN, "absent"), "fever": "unknown"}


def test_piped_checkin_stopped_early_saves_nothing(assessed: dict[str, str]) -> None:
    done = run(assessed, "checkin", stdin=b"4\n")
    assert done.returncode == 1
    assert "Stopped. Nothing was saved." in done.stdout.decode()
    assert export(assessed)["checkins"] == []


def test_startback_again_by_flag_at_week_two(assessed: dict[str, str]) -> None:
    week_two = TODAY + timedelta(weeks=2)
    reminded = ok(run(assessed, *checkin_args(3, 14), day=week_two))
    assert "STarT Back is due again: add --startback" in words(reminded.stdout)
    answers = "0,1,0,0,1,0,0,1,2"
    next_day = week_two + timedelta(days=1)
    given = ok(run(assessed, *checkin_args(3, 15), "--startback", answers, day=next_day))
    assert "STarT Back" not in words(given.stdout)
    checkins = export(assessed, day=next_day)["checkins"]
    assert checkins[-1]["startback"] == {f"sb{n}": int(v) for n, v in
                                         enumerate(answers.split(","), start=1)}  # fmt: skip
    assert checkins[-2]["startback"] == {}


def test_input_ending_inside_a_questionnaire_stops_the_checkin_cleanly(
    assessed: dict[str, str],
) -> None:
    # Pain, Enter through the 9 optional questions, no warning signs, the PEG, then yes to
    # the Roland-Morris (due at the first check-in), and the input ends at its first item.
    answers = b"4\n" + b"\n" * 9 + b"n\n5\n4\n6\ny\n"
    done = run(assessed, "checkin", stdin=answers)
    assert "Roland-Morris" in done.stdout.decode()
    assert done.returncode == 1, done.stderr.decode()
    assert "Stopped. Nothing was saved." in done.stdout.decode()
    assert b"Traceback" not in done.stderr
    assert export(assessed)["checkins"] == []


def test_a_command_leaves_its_record_written_back_and_its_output_whole(
    assessed: dict[str, str],
) -> None:
    # The command skips Python's slow shutdown (cli.main.run): it must close the record
    # first, so that SQLite has written its log back into the file, and flush its output.
    ok(run(assessed, "checkin", "--no-input", "--pain", "4", "--screen", "none"))
    home = Path(assessed["BACKCOACH_HOME"])
    wal = home / "backcoach.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(f"file:{home / 'backcoach.sqlite3'}?mode=ro", uri=True) as db:
        assert db.execute("SELECT pain FROM backcoach_checkin").fetchall() == [(4,)]
    document = export(assessed)  # the whole JSON arrives through the pipe
    assert [c["pain"] for c in document["checkins"]] == [4]


def test_a_reader_that_goes_away_early_is_not_an_error(assessed: dict[str, str]) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "backcoach", "findings"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **assessed},
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline()  # like `| head -1`
    child.stdout.close()
    error = child.stderr.read()
    assert child.wait(timeout=60) == 0
    assert b"Traceback" not in error and b"Exception ignored" not in error


def test_a_profiled_command_still_shuts_down_so_the_profile_is_written(
    tmp_path: Path, assessed: dict[str, str]
) -> None:
    profile = tmp_path / "progress.prof"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "backcoach", "progress"],
        capture_output=True,
        env={**os.environ, **assessed},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert profile.stat().st_size > 0


# --- 11. help --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["checkin", "progress", "export", "import", "delete", "backup"])
def test_help(command: str, fresh: dict[str, str]) -> None:
    done = run(fresh, command, "--help")
    assert done.returncode == 0
    assert done.stdout.decode().startswith(f"usage: backcoach {command}")
    assert done.stderr == b""


# --- bugs found ------------------------------------------------------------------------------


def test_editing_the_pain_does_not_rerun_an_old_retriage(assessed: dict[str, str]) -> None:
    ok(run(assessed, "checkin", "--no-input", "--pain", "4", "--screen", "fever=yes"))
    assert len(export(assessed)["assessments"]) == 2
    edited = ok(run(assessed, "checkin", "--no-input", "--edit", "--pain", "2", "--json"))
    assert json.loads(edited.stdout)["retriage"] is None
    assert "new warning sign" not in words(edited.stderr)
    assert len(export(assessed)["assessments"]) == 2


def test_the_first_weekly_change_does_not_ask_for_more_checkins_after_a_full_week(
    three_weeks: dict[str, str],
) -> None:
    first = export(three_weeks)["adaptations"][0]
    assert first["week_start"] == (TODAY + timedelta(weeks=1)).isoformat()
    assert "We need check-ins on at least" not in first["message"]
