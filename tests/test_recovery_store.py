"""The recovery record's use cases on real databases (SQLite, and PostgreSQL when
``BACKCOACH_TEST_DATABASE_URL`` names a server): check-ins, the re-screen, the weekly plan
change, export and import, and the faults: a newer, locked, read-only or killed database."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cast import CAST
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import backcoach

from backcoach.adapters.caseio import case_from_dict
from backcoach.adapters.result_json import ResultWriter
from backcoach.content.loader import load_catalog
from backcoach.content.recovery import load_recovery_rules
from backcoach.domain.assessment import Assessor
from backcoach.domain.model import Level
from backcoach.domain.recovery import NOT_ASKED, CheckIn, CheckInError
from backcoach.services.recovery import (
    NoAssessmentError,
    check_imported_row,
    progress_report,
    record_assessment,
    record_checkin,
)
from backcoach.storage.errors import DuplicateCheckInError, NotEmptyError, StoreError
from backcoach.storage.store import Store, forget_migrations, open_store
from backcoach.storage.transfer import delete_everything, export_record, import_record

RULES = load_recovery_rules()
CATALOG = load_catalog()
ASSESSOR = Assessor(CATALOG)
WRITER = ResultWriter(CATALOG)
TAKEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = TAKEN.date()


def assess(store: Store, person: str = "desk-worker-text-neck", when: datetime = TAKEN) -> None:
    case = case_from_dict(CAST[person], {f.id for f in CATALOG.findings})
    record_assessment(store, case, WRITER.to_dict(ASSESSOR.assess(case)), now=when)


def checkin_on(store: Store, n: int, pain: int = 4, **fields: Any) -> Any:
    day = START + timedelta(days=n)
    return record_checkin(
        store,
        CheckIn(day=day, pain=pain, **fields),
        today=day,
        now=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20),
        replace=False,
        rules=RULES,
        assessor=ASSESSOR,
        result_json=WRITER.to_dict,
    )


# --- check-ins --------------------------------------------------------------------------------


def test_a_checkin_needs_an_assessment_first(store: Store) -> None:
    with pytest.raises(NoAssessmentError):
        checkin_on(store, 0)


def test_a_checkin_comes_back_as_it_was_saved(store: Store) -> None:
    assess(store)
    saved = CheckIn(
        day=START + timedelta(days=1),
        pain=4,
        pain_worst=6,
        areas=("lower_back", "left_leg"),
        sleep_hours=6.5,
        sleep_quality=7,
        stress=3,
        activity_minutes=40,
        routine_done=True,
        medicines=("ibuprofen",),
        note="Long drive — ouch.",
        screen=tuple(sorted((fid, "absent") for fid in RULES.rescreen)),
        peg=(4, 3, 5),
    )
    outcome = record_checkin(
        store,
        saved,
        today=saved.day,
        now=TAKEN + timedelta(days=1),
        replace=False,
        rules=RULES,
        assessor=ASSESSOR,
        result_json=WRITER.to_dict,
    )
    assert outcome.status == "added" and outcome.retriage is None
    assert store.checkin(saved.day) == saved
    assert store.checkins() == [saved]


def test_one_checkin_a_day_then_edit_and_delete(store: Store) -> None:
    assess(store)
    checkin_on(store, 1, pain=5)
    with pytest.raises(DuplicateCheckInError):
        checkin_on(store, 1, pain=3)
    day = START + timedelta(days=1)
    assert store.save_checkin(CheckIn(day=day, pain=3), TAKEN, replace=True) == "updated"
    assert [c.pain for c in store.checkins()] == [3]
    assert store.delete_checkin(day) is True
    assert store.delete_checkin(day) is False
    assert store.checkins() == []


def test_a_bad_checkin_writes_nothing(store: Store) -> None:
    assess(store)
    with pytest.raises(CheckInError) as err:
        checkin_on(store, 1, pain=4, pain_worst=2)
    assert err.value.field == "pain_worst"
    with pytest.raises(CheckInError):
        checkin_on(store, -400)  # long before the episode began
    assert store.checkins() == []


def test_a_new_red_flag_runs_the_triage_again_at_once(store: Store) -> None:
    assess(store)
    screen = tuple(
        (fid, "present" if fid == "saddle_numbness" else NOT_ASKED) for fid in RULES.rescreen
    )
    outcome = checkin_on(store, 3, screen=screen)
    assert outcome.retriage is not None
    assert outcome.retriage.level >= Level.EMERGENCY
    assert outcome.retriage.red_flags == ("saddle_numbness",)
    stored = store.latest_stored_assessment()
    assert stored is not None and stored.result["triage"]["level"] == outcome.retriage.level.id
    # Questions not asked today are "don't know" in the new assessment, never "no".
    assert stored.case.answer("fever") == "unknown"
    assert stored.case.answer("saddle_numbness") == "present"


def test_the_weekly_change_is_decided_once_a_plan_week_has_passed(store: Store) -> None:
    assess(store)
    for n in range(7):
        checkin_on(store, n, pain=6, routine_done=True)
    first = checkin_on(store, 7, pain=4, routine_done=True)
    assert first.adaptation is not None and first.adaptation.week_start == START + timedelta(7)
    again = checkin_on(store, 8, pain=4, routine_done=True)
    assert again.adaptation is None  # one decision a week
    assert [a.week_start for a in store.adaptations()] == [START + timedelta(7)]
    report = progress_report(store, today=START + timedelta(8), rules=RULES)
    assert report.adaptation == first.adaptation


# --- export and import ------------------------------------------------------------------------


def _filled(store: Store) -> None:
    assess(store)
    for n in range(10):
        checkin_on(
            store, n, pain=max(0, 6 - n // 2), sleep_hours=5.0 + n % 4, routine_done=n % 2 == 0
        )
    store.add_routine_session(
        {
            "kind": "routine",
            "date": (START + timedelta(days=2)).isoformat(),
            "plan_starts": START.isoformat(),
            "plan_week": 1,
            "exercises_planned": ["chin_tuck"],
            "exercises_done": ["chin_tuck"],
            "exercises_skipped": [],
            "quit_early": False,
            "seconds": 321.5,
        }
    )


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k != "exported_at"} == {
        k: v for k, v in b.items() if k != "exported_at"
    }


def test_export_then_import_into_an_empty_record_is_exact(store: Store) -> None:
    _filled(store)
    before = export_record(store, TAKEN)
    assert len(before["checkins"]) == 10 and len(before["routine_sessions"]) == 1
    json.dumps(before)  # plain JSON all the way down
    delete_everything(store)
    assert all(
        before[t] == [] or export_record(store, TAKEN)[t] == []
        for t in before
        if isinstance(before[t], list)
    )
    counts = import_record(store, json.loads(json.dumps(before)), check_imported_row)
    assert counts["checkins"] == 10
    assert _same(export_record(store, TAKEN), before)
    # New rows after an import get new ids (PostgreSQL's sequences were moved on).
    checkin_on(store, 11, pain=2)
    assert len(store.checkins()) == 11


def test_import_refuses_a_record_that_is_not_empty(store: Store) -> None:
    _filled(store)
    document = export_record(store, TAKEN)
    with pytest.raises(NotEmptyError):
        import_record(store, document)
    assert len(store.checkins()) == 10


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: {"hello": "world"}, "not a backcoach export"),
        (lambda d: {**d, "version": 99}, "version 99"),
        (lambda d: {**d, "schema": "9999_future"}, "another version"),
        (lambda d: {**d, "checkins": "many"}, "checkins: missing, or not a list"),
        (
            lambda d: _set(d, "checkins", 2, "pain", 14),
            r"checkins\[2\]\.pain: must be a whole number",
        ),
        (lambda d: _set(d, "checkins", 0, "day", "yesterday"), r"checkins\[0\]\.day"),
        (
            lambda d: _set(d, "checkins", 0, "episode_id", 999),
            r"checkins\[0\]\.episode_id: refers to episodes id 999",
        ),
        (lambda d: _set(d, "assessments", 0, "taken_at", "2026-03-02T09:00:00"), "time zone"),
        (lambda d: _set(d, "checkins", 1, "shoe_size", 44), "unknown field 'shoe_size'"),
        (lambda d: _set(d, "checkins", 1, "note", None), r"checkins\[1\]\.note: must not be null"),
    ],
)
def test_a_damaged_or_foreign_file_is_refused_by_name_and_writes_nothing(
    store: Store, damage: Any, message: str
) -> None:
    _filled(store)
    document = json.loads(json.dumps(export_record(store, TAKEN)))
    delete_everything(store)
    with pytest.raises(StoreError, match=message):
        import_record(store, damage(document), check_imported_row)
    assert export_record(store, TAKEN)["checkins"] == []
    assert export_record(store, TAKEN)["assessments"] == []


def _set(
    document: dict[str, Any], table: str, index: int, field: str, value: Any
) -> dict[str, Any]:
    document[table][index][field] = value
    return document


# Any text a person can type: every character but NUL (which the domain refuses, since
# PostgreSQL cannot store it) and lone surrogates (not valid UTF-8).
TEXT = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))

checkin_values = st.fixed_dictionaries(
    {
        "pain": st.integers(0, 10),
        "pain_worst": st.none() | st.integers(10, 10),
        "areas": st.lists(st.sampled_from(["lower_back", "neck", "left_leg"]), unique=True).map(
            tuple
        ),
        "sleep_hours": st.none() | st.floats(0, 24, allow_nan=False).map(lambda h: round(h, 2)),
        "stress": st.none() | st.integers(0, 10),
        "routine_done": st.none() | st.booleans(),
        "medicines": st.lists(st.text(TEXT, min_size=1, max_size=12), max_size=2).map(tuple),
        "note": st.text(TEXT, max_size=40),
        "peg": st.none() | st.tuples(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)),
    }
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.dictionaries(st.integers(0, 60), checkin_values, max_size=12))
def test_round_trip_property_any_record_comes_back_exactly(
    store: Store, days: dict[int, dict[str, Any]]
) -> None:
    """Whatever the check-ins hold (any text, any optional field), export, erase, import
    and export again gives the same document."""
    delete_everything(store)
    assess(store, when=TAKEN)
    for n, values in days.items():
        store.save_checkin(
            CheckIn(day=START + timedelta(days=n), **values), TAKEN + timedelta(days=n)
        )
    before = json.loads(json.dumps(export_record(store, TAKEN)))
    delete_everything(store)
    import_record(store, before, check_imported_row)
    assert _same(json.loads(json.dumps(export_record(store, TAKEN))), before)


# --- faults -----------------------------------------------------------------------------------


def test_a_database_from_a_newer_backcoach_is_refused_untouched(home: Path) -> None:
    open_store()
    from backcoach.storage.settings import close_connections

    close_connections()
    forget_migrations()
    path = home / "backcoach.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES "
            "('backcoach', '0099_from_the_future', '2030-01-01')"
        )
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer version of backcoach"):
        open_store()
    close_connections()
    assert path.read_bytes() == before
    done = backcoach("progress", env={"BACKCOACH_HOME": str(home)})
    assert done.returncode == 1
    assert b"newer version of backcoach" in done.stderr and b"Traceback" not in done.stderr


def _prepared_home(home: Path) -> dict[str, str]:
    env = {"BACKCOACH_HOME": str(home), "BACKCOACH_TODAY": "2026-03-04"}
    home.parent.mkdir(parents=True, exist_ok=True)
    case = home.parent / "case.json"
    case.write_text(json.dumps(CAST["desk-worker-text-neck"]))
    done = backcoach("assess", "--case", str(case), "--record", env=env)
    assert done.returncode == 0, done.stderr.decode()
    return env


def test_a_locked_database_says_it_is_busy_and_changes_nothing(home: Path) -> None:
    env = _prepared_home(home)
    holder = sqlite3.connect(home / "backcoach.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        done = backcoach(
            "checkin", "--no-input", "--pain", "3", env={**env, "BACKCOACH_DB_TIMEOUT": "0.5"}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode in (1, 2), done.stderr.decode()
    assert b"busy" in done.stderr and b"Nothing was changed" in done.stderr
    assert b"Traceback" not in done.stderr
    exported = json.loads(backcoach("export", "-", env=env).stdout)
    assert exported["checkins"] == []


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_read_only_database_says_so(home: Path, tmp_path: Path) -> None:
    """The record on a read-only disk (root: a read-only bind mount in a private mount
    namespace, since root may write any file) or in read-only files (anyone else)."""
    env = {**os.environ, **_prepared_home(home), "NO_COLOR": "1"}
    env["BACKCOACH_CACHE_DIR"] = str(tmp_path / "cache")
    command = [sys.executable, "-m", "backcoach", "checkin", "--no-input", "--pain", "3"]
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("root without unshare: cannot make a read-only disk")
        folder = shlex.quote(str(home))
        command = [
            "unshare", "-m", "sh", "-c",
            f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
            'exec "$@"', "sh", *command,
        ]  # fmt: skip
    else:
        for path in home.iterdir():
            path.chmod(0o400)
        home.chmod(0o500)
    try:
        done = subprocess.run(command, capture_output=True, env=env, timeout=60)
    finally:
        home.chmod(0o700)
        for path in home.iterdir():
            path.chmod(0o600)
    if b"mount:" in done.stderr or b"unshare:" in done.stderr:
        pytest.skip(f"no private mount namespace here: {done.stderr.decode()[:200]}")
    assert done.returncode == 1, done.stderr.decode()
    assert b"read-only" in done.stderr, done.stderr.decode()
    assert b"Nothing was changed" in done.stderr
    assert b"Traceback" not in done.stderr


def _kill_when_paused(args: list[str], env: dict[str, str], fault: str) -> None:
    """Run ``backcoach ARGS`` until it pauses inside its transaction, then kill -9 it."""
    child = subprocess.Popen(
        [sys.executable, "-m", "backcoach", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **env, "BACKCOACH_FAULT": fault},
    )
    assert child.stderr is not None
    deadline = time.monotonic() + 60
    line = b""
    while time.monotonic() < deadline:
        line = child.stderr.readline()
        if b"backcoach-fault: paused" in line or not line:
            break
    assert b"paused at " + fault.encode() in line, "the command never reached the fault point"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


@pytest.fixture
def cli_env(database: str, home: Path) -> Iterator[dict[str, str]]:
    """A prepared record on the test's database, for commands run as subprocesses."""
    env = _prepared_home(home)
    if database == "postgresql":
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    yield env


def test_a_checkin_killed_mid_write_leaves_the_record_as_it_was(
    cli_env: dict[str, str],
) -> None:
    done = backcoach("checkin", "--no-input", "--pain", "5", "--date", "2026-03-03", env=cli_env)
    assert done.returncode == 0, done.stderr.decode()
    before = json.loads(backcoach("export", "-", env=cli_env).stdout)
    _kill_when_paused(["checkin", "--no-input", "--pain", "2"], cli_env, "checkin")
    after = json.loads(backcoach("export", "-", env=cli_env).stdout)
    assert _same(after, before)
    again = backcoach("checkin", "--no-input", "--pain", "2", env=cli_env)
    assert again.returncode == 0, again.stderr.decode()


def test_an_import_killed_mid_write_leaves_the_record_empty(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    for n in range(3, 10):
        day = f"2026-03-{n:02d}"
        done = backcoach("checkin", "--no-input", "--pain", "4", "--date", day,
                         env={**cli_env, "BACKCOACH_TODAY": day})  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
    exported = tmp_path / "export.json"
    assert backcoach("export", str(exported), env=cli_env).returncode == 0
    assert backcoach("delete", "--all", "--yes", env=cli_env).returncode == 0
    _kill_when_paused(["import", str(exported)], cli_env, "import")
    after = json.loads(backcoach("export", "-", env=cli_env).stdout)
    assert after["checkins"] == [] and after["assessments"] == []
    redo = backcoach("import", str(exported), env=cli_env)
    assert redo.returncode == 0, redo.stderr.decode()


def test_two_processes_checking_in_at_once_both_succeed(cli_env: dict[str, str]) -> None:
    script = (
        "import os, subprocess, sys\n"
        "for day in sys.argv[1:]:\n"
        "    env = {**os.environ, 'BACKCOACH_TODAY': day}\n"
        "    subprocess.run([sys.executable, '-m', 'backcoach', 'checkin', '--no-input',"
        " '--pain', '4', '--date', day], env=env, check=True, capture_output=True)\n"
    )
    first = [f"2026-03-{n:02d}" for n in (3, 5, 7, 9)]
    second = [f"2026-03-{n:02d}" for n in (4, 6, 8, 10)]
    writers = [
        subprocess.Popen([sys.executable, "-c", script, *days], env={**os.environ, **cli_env})
        for days in (first, second)
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    exported = json.loads(backcoach("export", "-", env=cli_env).stdout)
    assert sorted(c["day"] for c in exported["checkins"]) == sorted(first + second)


def test_backup_is_a_consistent_copy(home: Path, tmp_path: Path) -> None:
    env = _prepared_home(home)
    for n in range(2, 5):
        day = f"2026-03-0{n}"
        backcoach(
            "checkin",
            "--no-input",
            "--pain",
            "4",
            "--date",
            day,
            env={**env, "BACKCOACH_TODAY": day},
        )
    target = tmp_path / "copy.sqlite3"
    # While another program is in the middle of writing: the copy has what was committed.
    writer = sqlite3.connect(home / "backcoach.sqlite3", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE backcoach_checkin SET pain = 9")
        writer.execute("DELETE FROM backcoach_checkin WHERE day = '2026-03-02'")
        done = backcoach("backup", str(target), env=env)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert done.returncode == 0, done.stderr.decode()
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)
    with sqlite3.connect(target) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM backcoach_checkin").fetchone() == (3,)
        assert db.execute("SELECT DISTINCT pain FROM backcoach_checkin").fetchall() == [(4,)]


def test_backup_on_postgresql_points_to_its_own_tools(
    database: str, home: Path, tmp_path: Path
) -> None:
    if database != "postgresql":
        pytest.skip("the SQLite backup is tested above")
    env = {"BACKCOACH_HOME": str(home), "DATABASE_URL": os.environ["DATABASE_URL"]}
    done = backcoach("backup", str(tmp_path / "x.sqlite3"), env=env)
    assert done.returncode == 1
    assert b"pg_dump" in done.stderr


def test_dates_are_never_read_from_the_clock_in_the_domain() -> None:
    # Time is passed in: no domain module calls today(), now(), utcnow() or time.time().
    import ast

    domain = Path(__file__).parent.parent / "src" / "backcoach" / "domain"
    clock = {"today", "now", "utcnow", "time", "monotonic", "perf_counter"}
    calls = [
        f"{path.name}:{node.lineno}"
        for path in sorted(domain.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in clock
    ]
    assert calls == []
    source = (domain / "recovery.py").read_text()
    assert "date.today" not in source and "datetime.now" not in source
    assert date(2026, 3, 2) == START


def test_questionnaire_answers_must_fit_the_questionnaire(store: Store) -> None:
    assess(store)
    with pytest.raises(CheckInError) as err:
        checkin_on(store, 1, rmdq=(("rmdq1", 1),))  # 23 items missing
    assert err.value.field == "rmdq" and "no answer given" in err.value.problem
    with pytest.raises(CheckInError) as err:
        checkin_on(store, 1, startback=(("sb99", 1),))
    assert err.value.field == "startback"
    assert store.checkins() == []
    full = tuple((f"rmdq{n}", int(n % 3 == 0)) for n in range(1, 25))
    checkin_on(store, 1, rmdq=full)
    assert store.checkins()[0].rmdq == tuple(sorted(full))


def test_two_processes_opening_a_new_database_at_once_both_migrate_it(
    database: str, home: Path
) -> None:
    """The first use migrates; two first uses at once wait for each other (a file lock on
    SQLite, an advisory lock on PostgreSQL) instead of failing half-way."""
    env = {**os.environ, "BACKCOACH_HOME": str(home)}
    if database == "postgresql":
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    openers = [
        subprocess.Popen(
            [sys.executable, "-m", "backcoach", "export", "-"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for opener in openers:
        out, err = opener.communicate(timeout=120)
        assert opener.returncode == 0, err.decode()
        assert json.loads(out)["checkins"] == []


def test_the_progress_query_reads_what_progress_needs(store: Store) -> None:
    _filled(store)
    checkin_on(store, 12, pain=3, peg=(3, 2, 1), sleep_hours=7.5, routine_done=True)
    full = store.checkins()
    narrow = store.progress_checkins()
    assert [(c.day, c.pain, c.sleep_hours, c.routine_done, c.peg, c.rmdq) for c in full] == [
        (c.day, c.pain, c.sleep_hours, c.routine_done, c.peg, c.rmdq) for c in narrow
    ]


def test_delete_all_leaves_no_answer_on_disk(home: Path) -> None:
    """The README says the erase rewrites the file: the words of a deleted note are gone
    from the database file and its write-ahead log, not just unreachable."""
    env = _prepared_home(home)
    secret = "zebra-umbrella-4711"
    ok = backcoach("checkin", "--no-input", "--pain", "4", "--note", secret, env=env)
    assert ok.returncode == 0, ok.stderr.decode()
    files = [p for p in home.iterdir() if p.name.startswith("backcoach.sqlite3")]
    assert any(secret.encode() in p.read_bytes() for p in files)  # the check can see it
    done = backcoach("delete", "--all", "--yes", env=env)
    assert done.returncode == 0, done.stderr.decode()
    for path in home.iterdir():
        if path.name.startswith("backcoach.sqlite3"):
            assert secret.encode() not in path.read_bytes(), path.name


def test_forms_and_checks_load_only_when_used_and_the_models_pass_the_checks(
    home: Path,
) -> None:
    # A fresh process (the test process has long since imported everything), on a record
    # already made: making it runs Django's migrate command, which loads the checks.
    open_store()
    script = (
        "import sys\n"
        "from backcoach.storage.store import open_store\n"
        "open_store()\n"
        "print('django.template' in sys.modules)\n"
        "print(type(sys.modules['django.forms']).__name__)\n"
        "print(type(sys.modules['django.core.checks']).__name__)\n"
        "from backcoach.storage.models import CheckInRecord\n"
        "field = CheckInRecord._meta.get_field('pain').formfield()\n"
        "print(type(field).__module__, type(field).__name__)\n"
        "from django.core import checks\n"
        "print(checks.run_checks())\n"
    )
    env = {**os.environ, "BACKCOACH_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, env=env, timeout=60, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "False",  # the template engine never imported
        "_LazyModule",  # django.forms is in sys.modules, not yet run
        "_LazyModule",  # django.core.checks too
        "django.forms.fields IntegerField",  # and complete on first use
        "[]",  # Django's system checks find nothing wrong with the models
    ]


def test_a_report_reads_while_a_writer_holds_the_lock(home: Path, monkeypatch: Any) -> None:
    # SQLite: reads run outside a transaction, so a report neither waits for an import or
    # a check-in in another window nor holds one up. (A read transaction would take the
    # write lock at once and wait here until the timeout.)
    monkeypatch.setenv("BACKCOACH_DB_TIMEOUT", "0.5")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = open_store()
    _filled(store)
    writer = sqlite3.connect(home / "backcoach.sqlite3", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE backcoach_checkin SET pain = 9")  # not committed
        fresh = Store()  # as a new command would
        assert [c.pain for c in fresh.progress_checkins()][:3] == [6, 6, 5]
        assert len(fresh.checkins()) == 10 and fresh.plan() is not None
        with pytest.raises(StoreError, match="busy"):
            checkin_on(fresh, 11, pain=3)  # a write still waits for the lock, then says so
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    checkin_on(Store(), 11, pain=3)
