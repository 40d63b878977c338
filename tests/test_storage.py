"""The recovery record's storage on real databases: SQLite always, PostgreSQL too when
``BACKCOACH_TEST_DATABASE_URL`` names a server (in CI it must be reachable)."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backcoach.domain.model import Case
from backcoach.storage.store import Store, StoreError, open_store

CASE = Case(
    age=42,
    sex="female",
    findings={"leg_pain_below_knee": "present", "fever": "absent"},
    pain_intensity=6,
    duration_days=10,
    id="alice-1",
    text="Hurts when I bend.",
    questionnaires={"peg": {"peg_pain": 6, "peg_enjoyment": 5, "peg_activity": 7}},
)
RESULT = {
    "triage": {"level": "self_care", "reasons": []},
    "conditions": [{"id": "nonspecific_lbp", "probability": 0.7}],
}
TAKEN_AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def session_line(day: str, seconds: float = 600.0, **extra: object) -> str:
    record = {
        "kind": "routine",
        "date": day,
        "plan_starts": "2026-03-01",
        "plan_week": 1,
        "exercises_planned": ["cat_cow", "bridge"],
        "exercises_done": ["cat_cow"],
        "exercises_skipped": ["bridge"],
        "quit_early": False,
        "seconds": seconds,
        **extra,
    }
    return json.dumps(record, separators=(",", ":"))


# --- SQLite: the embedded default -----------------------------------------------------------------


def test_the_database_is_created_and_migrated_on_first_use(home: Path) -> None:
    assert not home.exists()
    open_store()
    database = home / "backcoach.sqlite3"
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"backcoach_episode", "backcoach_assessment", "backcoach_routine_session"} <= tables


def test_the_folder_and_the_file_are_private(home: Path) -> None:
    open_store()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "backcoach.sqlite3").stat().st_mode) == 0o600


def test_sqlite_runs_in_wal_mode_with_normal_sync_and_a_busy_timeout(home: Path) -> None:
    open_store()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


def test_a_new_database_file_is_in_wal_mode_before_django_connects(tmp_path: Path) -> None:
    # Two first opens at once must not both switch it: SQLite refuses the second switch
    # at once ("database is locked") instead of waiting. The settings switch it under the
    # migration file lock, before any connection is made.
    from backcoach.storage.settings import sqlite_settings

    path = tmp_path / "new" / "backcoach.sqlite3"
    sqlite_settings(path)
    assert path.read_bytes()[18:20] == b"\x02\x02"  # the header's WAL format versions
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_url_with_another_scheme_is_refused(home: Path) -> None:
    from backcoach.storage.settings import DatabaseUrlError

    with pytest.raises(DatabaseUrlError, match="unsupported scheme 'mysql'"):
        open_store("mysql://u:p@localhost/db")


def test_postgres_urls_are_parsed_into_settings() -> None:
    from backcoach.storage.settings import postgres_settings

    got = postgres_settings("postgresql://al%40ice:s%3Acret@db.example:6543/rec?sslmode=require")
    assert (got["USER"], got["PASSWORD"], got["HOST"], got["PORT"], got["NAME"]) == (
        "al@ice",
        "s:cret",
        "db.example",
        "6543",
        "rec",
    )
    assert got["OPTIONS"] == {"sslmode": "require"}


# --- the same tests on SQLite and on PostgreSQL ---------------------------------------------------


def test_an_empty_record_has_no_latest_assessment(store: Store) -> None:
    assert store.latest_stored_assessment() is None


def test_the_latest_assessment_comes_back_as_the_same_case(store: Store) -> None:
    older = CASE._replace(pain_intensity=8, id="alice-0")
    store.add_assessment(older, RESULT, TAKEN_AT - timedelta(days=7))
    store.add_assessment(CASE, RESULT, TAKEN_AT)
    latest = store.latest_stored_assessment()
    assert latest is not None
    case, taken_at = latest.case, latest.taken_at
    assert case == CASE
    assert taken_at == TAKEN_AT


def test_an_assessment_needs_a_time_zone_and_a_triage_level(store: Store) -> None:
    with pytest.raises(StoreError, match="time zone"):
        store.add_assessment(CASE, RESULT, TAKEN_AT.replace(tzinfo=None))
    with pytest.raises(StoreError, match="triage level"):
        store.add_assessment(CASE, {"conditions": []}, TAKEN_AT)
    assert store.latest_stored_assessment() is None


def test_importing_sessions_twice_imports_them_once(store: Store, tmp_path: Path) -> None:
    sessions = tmp_path / "sessions.jsonl"
    sessions.write_text(
        session_line("2026-03-02") + "\n" + session_line("2026-03-03") + "\n\n", encoding="utf-8"
    )
    assert store.import_sessions_jsonl(sessions) == 2
    assert store.import_sessions_jsonl(sessions) == 0
    with sessions.open("a", encoding="utf-8") as fh:
        fh.write(session_line("2026-03-04", seconds=420.5) + "\n")
    assert store.import_sessions_jsonl(sessions) == 1
    assert _session_count() == 3


def test_a_bad_line_imports_nothing_and_is_named(store: Store, tmp_path: Path) -> None:
    sessions = tmp_path / "sessions.jsonl"
    lines = [session_line("2026-03-02"), '{"kind":"routine","date":', session_line("2026-03-04")]
    sessions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"sessions\.jsonl, line 2: invalid JSON"):
        store.import_sessions_jsonl(sessions)
    assert _session_count() == 0


def test_a_line_with_a_wrong_field_is_named(store: Store, tmp_path: Path) -> None:
    sessions = tmp_path / "sessions.jsonl"
    lines = [session_line("2026-03-02"), session_line("2026-03-03", plan_week=0)]
    sessions.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(StoreError, match="line 2: plan_week must be a whole number from 1"):
        store.import_sessions_jsonl(sessions)
    assert _session_count() == 0


WRITER = """
import sys, time
from datetime import UTC, datetime
from backcoach.domain.model import Case
from backcoach.storage.store import open_store

start = float(sys.argv[1])
store = open_store()
while time.time() < start:
    time.sleep(0.005)
for n in range(15):
    case = Case(age=30 + n, sex="male", findings={}, id=f"{sys.argv[2]}-{n}")
    store.add_assessment(case, {"triage": {"level": "self_care"}}, datetime.now(UTC))
print("ok")
"""


def test_two_processes_writing_at_once_both_succeed(store: Store) -> None:
    import time

    start = str(time.time() + 1.5)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, start, name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    outputs = [writer.communicate(timeout=60) for writer in writers]
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert out.strip() == "ok"
    from backcoach.storage.models import AssessmentRecord

    ids = set(AssessmentRecord.objects.values_list("case__id", flat=True))
    assert len(ids) == 30


def _session_count() -> int:
    from backcoach.storage.models import RoutineSessionRecord

    return int(RoutineSessionRecord.objects.count())
