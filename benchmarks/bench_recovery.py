#!/usr/bin/env python3
"""Benchmarks for the recovery record (issue 4's speed targets).

    python benchmarks/bench_recovery.py                       # SQLite parts, default runs
    python benchmarks/bench_recovery.py --runs 30
    python benchmarks/bench_recovery.py --postgres postgresql://user:pw@host:5432/postgres
    BACKCOACH_BENCH_DATABASE_URL=postgresql://... python benchmarks/bench_recovery.py --only postgres --people 1000

The local record (SQLite in a temporary BACKCOACH_HOME) holds two years of one person's
life: an assessment (``backcoach assess --case FILE --record``) on the first day, then
730 daily check-ins (seeded: pain easing with flare-ups, sleep, stress, activity, the
safety re-screen answered, the weekly PEG, STarT Back at weeks 2 and 4) with a routine
logged on most days. They are recorded in-process through the same use case the command
runs (``record_checkin``), so the weekly plan changes are in the record too.

1. Progress: median wall time of a whole ``backcoach progress`` process, "today" the day
   after the last check-in, against ``python -c pass`` with the same interpreter.
   Target: under 1 second.
2. Check-in: median wall time of a whole ``backcoach checkin --no-input --pain N --date D
   --screen none`` process on the same record, each run the next day (today = that day),
   against the same baseline. Target: under 200 ms. For context (no target):
   ``progress --json``, ``progress --chart FILE.png``, and a process that only opens the
   record (``open_store()``: Django set up, the database checked) and then shuts Python
   down the usual way, and the same process leaving as the ``backcoach`` command does
   (``cli.main.run``: connections closed, then ``os._exit``); their difference is the
   time of the shutdown the command skips.
   Parts 1 and 2 run round-robin, one of each command per round (the check-ins on a copy
   of the record, so progress always reads the same 730 days), so that drift in the
   machine's speed falls on every command alike.
3. PostgreSQL at scale, only with ``--postgres URL`` (or $BACKCOACH_BENCH_DATABASE_URL):
   creates a uniquely named database on that server (the URL's database is only used to
   create and drop it), migrates it with ``open_store``, loads N people x 730 days of
   check-ins (default 10,000 x 730 = 7.3 million rows) with COPY in day order (as a
   server fills up: each person's rows spread over the table), VACUUM ANALYZE, then
   times one person's progress query, ``Store(person_id).progress_checkins()`` (what
   ``backcoach progress`` reads), for random people; the full ``checkins()`` as context.
   Target: under 20 ms. Prints the load time, the table's size and EXPLAIN ANALYZE of
   the query. The database is dropped at the end, also on failure or Ctrl-C.

Run it with the project's interpreter (.venv/bin/python) so ``backcoach`` is importable.
Parts 1 and 2 first byte-compile backcoach's own modules, as an installed package is
(see compile_bytecode).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TARGET_PROGRESS_SECONDS = 1.0
TARGET_CHECKIN_MS = 200.0
TARGET_QUERY_MS = 20.0
DAYS = 730  # two years of daily check-ins
FIRST_DAY = date(2024, 1, 1)  # the assessment, the plan's start and the first check-in
BENCH_DATABASE_URL_ENV = "BACKCOACH_BENCH_DATABASE_URL"
SEED = 4


# --- running commands ------------------------------------------------------------------------


def backcoach_command() -> list[str]:
    """The installed entry point next to this interpreter, else ``python -m backcoach``."""
    entry = shutil.which("backcoach", path=str(Path(sys.executable).parent))
    return [entry] if entry else [sys.executable, "-m", "backcoach"]


def record_env(home: Path, today: date) -> dict[str, str]:
    """The environment of a command on the local record: SQLite in ``home``, ``today``."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["BACKCOACH_HOME"] = str(home)
    env["BACKCOACH_TODAY"] = today.isoformat()
    return env


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of one whole process; its output is dropped (shown when it fails)."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace"))
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")
    return seconds


def spread(times: list[float]) -> str:
    return f"min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f} ms"


def verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"


# --- the two-year local record ---------------------------------------------------------------


def red_flags() -> list[str]:
    out = subprocess.run(
        [*backcoach_command(), "findings", "--json"], capture_output=True, check=True
    )
    return [str(f["id"]) for f in json.loads(out.stdout) if f["red_flag"]]


def build_record(home: Path, workdir: Path, rng: random.Random) -> dict[str, int]:
    """Assess on FIRST_DAY (a real ``backcoach assess --record``), then record DAYS daily
    check-ins and most days' routines in this process, through the services."""
    case = workdir / "case.json"
    findings = dict.fromkeys(red_flags(), "absent")
    findings.update(pain_lower_back="present", pain_mechanical="present")
    case.write_text(
        json.dumps(
            {
                "age": 40,
                "sex": "female",
                "pain_intensity": 6,
                "duration_days": 30,
                "findings": findings,
            }
        )
    )
    subprocess.run(
        [*backcoach_command(), "assess", "--case", str(case), "--record"],
        check=True,
        env=record_env(home, FIRST_DAY),
        stdout=subprocess.DEVNULL,
    )

    os.environ.pop("DATABASE_URL", None)  # this process writes the same SQLite record
    os.environ["BACKCOACH_HOME"] = str(home)
    from backcoach.adapters.result_json import ResultWriter
    from backcoach.cli.engine import assessor, catalog
    from backcoach.content.recovery import load_recovery_rules
    from backcoach.domain.model import ABSENT
    from backcoach.domain.recovery import CheckIn
    from backcoach.services.recovery import record_checkin
    from backcoach.storage.store import open_store

    rules = load_recovery_rules()
    store = open_store()
    result_json = ResultWriter(catalog()).to_dict
    screen = tuple(sorted((fid, ABSENT) for fid in rules.rescreen))
    exercises = ["pelvic_tilt", "knee_to_chest", "cat_cow", "bridge", "bird_dog"]
    flare_until = -1
    routines = 0
    for d in range(DAYS):
        day = FIRST_DAY + timedelta(days=d)
        if flare_until < d and rng.random() < 1 / 60:
            flare_until = d + rng.randint(2, 6)
        base = max(1.5, 6.0 - 4.0 * d / 120)  # easing over the first four months
        pain = round(base + rng.gauss(0, 0.8) + (3 if d <= flare_until else 0))
        pain = min(10, max(0, pain))
        done = rng.random() < 0.75
        if done:
            routines += store.add_routine_session(
                {
                    "kind": "routine",
                    "date": day.isoformat(),
                    "plan_starts": FIRST_DAY.isoformat(),
                    "plan_week": d // 7 + 1,
                    "exercises_planned": exercises,
                    "exercises_done": exercises,
                    "exercises_skipped": [],
                    "quit_early": False,
                    "seconds": rng.randint(480, 900),
                }
            )
        startback: tuple[tuple[str, int], ...] = ()
        if d in (14, 28):
            items = [(f"sb{i}", rng.randint(0, 1)) for i in range(1, 9)]
            startback = (*items, ("sb9", rng.randint(0, 4)))
        checkin = CheckIn(
            day=day,
            pain=pain,
            pain_worst=min(10, pain + rng.randint(0, 2)),
            areas=("lower_back", "left_leg") if rng.random() < 0.2 else ("lower_back",),
            sleep_hours=rng.randint(10, 17) / 2,
            sleep_quality=rng.randint(3, 9),
            stress=rng.randint(1, 7),
            activity_minutes=rng.randint(0, 90),
            routine_done=True if done else rng.random() < 0.2,
            medicines=("ibuprofen",) if rng.random() < 0.2 else (),
            note="walked to work" if rng.random() < 0.05 else "",
            screen=screen,
            peg=(pain, rng.randint(3, 8), rng.randint(3, 8)) if d % 7 == 0 else None,
            startback=startback,
        )
        now = datetime.combine(day, dt_time(20, 0), tzinfo=UTC)
        record_checkin(
            store,
            checkin,
            today=day,
            now=now,
            replace=False,
            rules=rules,
            assessor=assessor(),
            result_json=result_json,
        )
    return {
        "checkins": len(store.checkins()),
        "changes": len(store.adaptations()),
        "routines": routines,
    }


def compile_bytecode() -> int:
    """Compiles backcoach's modules to bytecode (``__pycache__``, ignored by git), as
    ``pip install`` does for a regular install and as Python itself does on the first run
    of an editable one. Without it, where PYTHONDONTWRITEBYTECODE is set (as on our
    development machine), every start would compile the ~40 modules a command imports
    from source again, which is not what a person running backcoach waits for."""
    import compileall

    import backcoach

    folder = Path(backcoach.__file__).parent
    if not compileall.compile_dir(folder, quiet=1):
        raise SystemExit(f"could not compile the bytecode in {folder}")
    return sum(1 for _ in folder.rglob("*.py"))


def bench_sqlite(runs: int, workdir: Path) -> None:
    from backcoach.storage.settings import close_connections

    files = compile_bytecode()
    print(
        f"bytecode: backcoach's {files} modules compiled before timing, as pip install does"
        f" (PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r} here)"
    )
    rng = random.Random(SEED)
    home = workdir / "home"
    start = time.perf_counter()
    counts = build_record(home, workdir, rng)
    close_connections()
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    print(
        f"record: {counts['checkins']} daily check-ins ({FIRST_DAY} to {last}),"
        f" {counts['changes']} weekly plan changes, {counts['routines']} routines;"
        f" built in {time.perf_counter() - start:.1f} s (SQLite, in-process record_checkin)"
    )
    # The check-ins go into a copy, so that every progress run reads the same 730 days.
    checkin_home = workdir / "checkin-home"
    shutil.copytree(home, checkin_home)

    today = last + timedelta(days=1)
    env = record_env(home, today)
    bc = backcoach_command()
    name = Path(bc[-1]).name if len(bc) == 1 else "python -m backcoach"
    commands = {
        "baseline": [sys.executable, "-c", "pass"],
        "progress": [*bc, "progress"],
        "checkin": [*bc, "checkin", "--no-input", "--pain", "N", "--date", "D"],
        "progress --json": [*bc, "progress", "--json"],
        "progress --chart FILE.png": [*bc, "progress", "--chart", str(workdir / "chart.png")],
        "open_store()": [
            sys.executable,
            "-c",
            "from backcoach.storage.store import open_store; open_store()",
        ],
        # The same, then leaving as the command does (cli.main.run): the difference is
        # Python's usual shutdown with Django loaded.
        "open_store(); os._exit": [
            sys.executable,
            "-c",
            "from backcoach.storage.store import open_store; open_store(); "
            "from backcoach.storage.settings import close_connections; close_connections(); "
            "import os; os._exit(0)",
        ],
    }
    # Each check-in is for the next day, with "today" that day: no duplicates, and every
    # seventh is the first check-in of a plan week (which decides the week's change).
    day = today

    def run(label: str) -> float:
        nonlocal day
        if label != "checkin":
            return timed(commands[label], env)
        command = [*bc, "checkin", "--no-input", "--pain", str(rng.randint(0, 4))]
        command += ["--date", day.isoformat(), "--screen", "none"]
        seconds = timed(command, record_env(checkin_home, day))
        day += timedelta(days=1)
        return seconds

    # Round-robin, one of each per round after a warm-up round: this machine's speed
    # drifts (other work on it), and the drift then falls on every command alike.
    times: dict[str, list[float]] = {label: [] for label in commands}
    for round_ in range(runs + 1):
        for label in commands:
            seconds = run(label)
            if round_:
                times[label].append(seconds)
    median = {label: statistics.median(values) for label, values in times.items()}
    base = median["baseline"]

    def ratio(label: str) -> str:
        return f"({spread(times[label])}); ratio to baseline {median[label] / base:.1f}"

    print(f"baseline: `python -c pass` median {base * 1000:.1f} ms over {runs} runs")
    ok = median["progress"] < TARGET_PROGRESS_SECONDS
    print(
        f"progress: `{name} progress` (730 days) median {median['progress']:.3f} s"
        f" over {runs} runs {ratio('progress')};"
        f" target < {TARGET_PROGRESS_SECONDS:.0f} s: {verdict(ok)}"
    )
    ok = median["checkin"] * 1000 < TARGET_CHECKIN_MS
    print(
        f"checkin: `{name} checkin --no-input --pain N --date D --screen none` median"
        f" {median['checkin'] * 1000:.1f} ms over {runs} runs, a new day each"
        f" {ratio('checkin')}; target < {TARGET_CHECKIN_MS:.0f} ms: {verdict(ok)}"
    )
    for label in ("progress --json", "progress --chart FILE.png"):
        print(f"  context: `{name} {label}` median {median[label] * 1000:.1f} ms {ratio(label)}")
    print(
        "  context: `python -c 'open_store()'` (Django set up, record opened, Python's usual"
        f" shutdown) median {median['open_store()'] * 1000:.1f} ms {ratio('open_store()')}"
    )
    skipped = median["open_store()"] - median["open_store(); os._exit"]
    print(
        "  context: the same, closing the connections and leaving with os._exit as the"
        f" command does: median {median['open_store(); os._exit'] * 1000:.1f} ms;"
        f" the shutdown it skips takes {skipped * 1000:.1f} ms"
    )


# --- PostgreSQL at scale ------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


def create_database(admin_url: str) -> str:
    import psycopg
    from psycopg import sql

    name = f"backcoach_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    from backcoach.storage.settings import close_connections

    close_connections()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        try:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        except psycopg.errors.SyntaxError:  # PostgreSQL before 13
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


# The check-in columns load() writes; any others get their defaults (copy_statement).
CHECKIN_COPY_COLUMNS = (
    "person_id",
    "episode_id",
    "day",
    "pain",
    "pain_worst",
    "areas",
    "sleep_hours",
    "sleep_quality",
    "stress",
    "activity_minutes",
    "routine_done",
    "medicines",
    "note",
    "screen",
    "peg",
    "startback",
    "created_at",
    "updated_at",
)


def copy_statement(model: Any, given: tuple[str, ...]) -> tuple[str, str]:
    """COPY into ``model``'s table: the columns given, then every other column at its
    default (so that a column added later does not break the load). Gives the statement
    and the text that ends each line."""
    rest = [f for f in model._meta.concrete_fields if f.column not in given and not f.primary_key]
    columns = ", ".join([*given, *(f.column for f in rest)])
    suffix = "".join("\t" + copy_text(model, f, f.get_default()) for f in rest)
    return f"COPY {model._meta.db_table} ({columns}) FROM STDIN", suffix + "\n"


def copy_text(model: Any, field: Any, value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        if not field.null:
            raise SystemExit(
                f"bench_recovery: {model._meta.db_table}.{field.column} has no default:"
                " give it a value in load()"
            )
        return "\\N"
    if field.get_internal_type() == "JSONField":
        text = json.dumps(value)
    elif isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, datetime):
        text = value.isoformat()
    else:
        text = str(value)
    for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(char, escaped)
    return text


def load(url: str, people: int, rng: random.Random) -> dict[str, float]:
    """People, one episode each, and ``people`` x DAYS check-ins, by COPY in day order."""
    import psycopg

    from backcoach.content.recovery import load_recovery_rules
    from backcoach.storage.models import CheckInRecord, Episode, Person

    screen = json.dumps(dict.fromkeys(load_recovery_rules().rescreen, "absent"))
    timings: dict[str, float] = {}
    start = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        stamp = f"{FIRST_DAY} 12:00:00+00"
        statement, end = copy_statement(Person, ("id", "created_at"))
        with cur.copy(statement) as copy:
            copy.write("".join(f"{p}\t{stamp}{end}" for p in range(1, people + 1)))
        began = FIRST_DAY - timedelta(days=30)
        statement, end = copy_statement(Episode, ("id", "person_id", "started_on", "created_at"))
        with cur.copy(statement) as copy:
            copy.write("".join(f"{p}\t{p}\t{began}\t{stamp}{end}" for p in range(1, people + 1)))
        for table in ("backcoach_person", "backcoach_episode"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [people])
        base = [rng.randint(4, 8) for _ in range(people)]
        rand = rng.random
        no_medicine, ibuprofen = "[]", '["ibuprofen"]'
        statement, end = copy_statement(CheckInRecord, CHECKIN_COPY_COLUMNS)
        with cur.copy(statement) as copy:
            for d in range(DAYS):
                day = FIRST_DAY + timedelta(days=d)
                stamp = f"{day} 20:00:00+00"
                ease = min(d, 120) * 3 // 120  # pain eases by up to 3 points over 4 months
                weekly = d % 7 == 0
                buffer = io.StringIO()
                for p in range(people):
                    r = rand()
                    pain = max(0, base[p] - ease + int(r * 3) - 1)
                    done = r < 0.75
                    peg = f"[{pain}, 5, 6]" if weekly else "\\N"
                    buffer.write(
                        f"{p + 1}\t{p + 1}\t{day}\t{pain}\t{min(10, pain + 1)}"
                        f'\t["lower_back"]\t{5 + int(r * 7) / 2}\t{3 + int(r * 7)}'
                        f"\t{int(r * 8)}\t{int(r * 90)}\t{'t' if done else 'f'}"
                        f"\t{no_medicine if r < 0.8 else ibuprofen}\t\t{screen}\t{peg}"
                        f"\t{{}}\t{stamp}\t{stamp}{end}"
                    )
                copy.write(buffer.getvalue())
        conn.commit()
        timings["copy"] = time.perf_counter() - start
        start = time.perf_counter()
        conn.autocommit = True
        cur.execute("VACUUM (ANALYZE) backcoach_person")
        cur.execute("VACUUM (ANALYZE) backcoach_episode")
        cur.execute("VACUUM (ANALYZE) backcoach_checkin")
        timings["vacuum"] = time.perf_counter() - start
    return timings


def bench_postgres(admin_url: str, people: int, samples: int) -> None:
    import psycopg

    rng = random.Random(SEED)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    name = create_database(admin_url)
    url = with_database(admin_url, name)
    print(
        f"postgres: created database {name} on {where(admin_url)}"
        f" (PostgreSQL {version[0] if version else '?'})"
    )
    try:
        from backcoach.storage.store import Store, open_store

        start = time.perf_counter()
        open_store(url)
        migrate = time.perf_counter() - start
        rows = people * DAYS
        start = time.perf_counter()
        timings = load(url, people, rng)
        total = time.perf_counter() - start
        print(
            f"  load: {people:,} people x {DAYS} days = {rows:,} check-ins in {total:.1f} s"
            f" (COPY {timings['copy']:.1f} s = {rows / timings['copy']:,.0f} rows/s,"
            f" VACUUM ANALYZE {timings['vacuum']:.1f} s); migrations {migrate:.1f} s"
        )
        if people < 10_000:
            print(f"  projected load for 10,000 people: {total * 10_000 / people:.0f} s")

        from django.db import connection

        from backcoach.storage.models import CheckInRecord
        from backcoach.storage.records import CHECKIN_COLUMNS

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), pg_size_pretty(pg_table_size('backcoach_checkin')),"
                " pg_size_pretty(pg_indexes_size('backcoach_checkin')),"
                " pg_size_pretty(pg_total_relation_size('backcoach_checkin'))"
                " FROM backcoach_checkin"
            )
            count, heap, indexes, whole = cursor.fetchone()
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'backcoach_checkin'"
                " ORDER BY indexname"
            )
            names = [n for (n,) in cursor.fetchall()]
        print(
            f"  table backcoach_checkin: {count:,} rows; table {heap}, indexes {indexes}"
            f" ({', '.join(names)}), total {whole}"
        )

        chosen = rng.sample(range(1, people + 1), min(samples, people))
        for label in ("first time", "again", "all columns"):
            times = []
            for person in chosen:
                start = time.perf_counter()
                store = Store(person)
                checkins = store.checkins() if label == "all columns" else store.progress_checkins()
                times.append(time.perf_counter() - start)
                assert len(checkins) == DAYS, (person, len(checkins))
            times.sort()
            median = statistics.median(times) * 1000
            p90 = times[int(len(times) * 0.9) - 1] * 1000 if len(times) >= 10 else max(times)
            line = (
                f"  query ({label}): Store(person_id)."
                f"{'checkins' if label == 'all columns' else 'progress_checkins'}() for {len(chosen)} random"
                f" people ({DAYS} rows each): median {median:.1f} ms, p90 {p90:.1f} ms,"
                f" max {times[-1] * 1000:.1f} ms"
            )
            if label == "first time":
                line += f"; target < {TARGET_QUERY_MS:.0f} ms: {verdict(median < TARGET_QUERY_MS)}"
            print(line)

        # Where the time goes: the same query as rows from the ORM (Django's conversions,
        # JSON decoded; no CheckIn values), and its SQL through the same connection as
        # plain tuples (the server and the driver only).
        def query(person: int) -> Any:
            return (
                CheckInRecord.objects.filter(person_id=person)
                .order_by("day")
                .values_list(*CHECKIN_COLUMNS)
            )

        sql, _ = query(0).query.sql_with_params()

        def plain(person: int) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, [person])
                cursor.fetchall()

        for label, fetch in (
            ("the ORM query alone (values_list rows, no CheckIn)", lambda p: list(query(p))),
            ("its SQL on the same connection, plain tuples (no ORM)", plain),
        ):
            times = []
            for person in chosen:
                start = time.perf_counter()
                fetch(person)
                times.append(time.perf_counter() - start)
            print(f"    {label}: median {statistics.median(times) * 1000:.1f} ms")

        person = rng.randint(1, people)
        sql, params = query(person).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [line for (line,) in cursor.fetchall()]
        print(f"  EXPLAIN (ANALYZE, BUFFERS) of the query for person {person}:")
        for line in plan:
            print(f"    {line}")
    finally:
        drop_database(admin_url, name)
        print(f"  dropped database {name}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15, help="process starts to time, each")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get(BENCH_DATABASE_URL_ENV),
        help=f"PostgreSQL server to run part 3 on (default ${BENCH_DATABASE_URL_ENV})",
    )
    parser.add_argument("--people", type=int, default=10_000, help="people in part 3")
    parser.add_argument("--samples", type=int, default=50, help="people to query in part 3")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run one part")
    args = parser.parse_args()
    if args.only == "postgres" and not args.postgres:
        parser.error(f"--only postgres needs --postgres URL or ${BENCH_DATABASE_URL_ENV}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            bench_sqlite(args.runs, Path(tmp))
        if args.only in (None, "postgres"):
            if args.postgres:
                bench_postgres(args.postgres, args.people, args.samples)
            else:
                print(f"postgres: skipped (give --postgres URL or ${BENCH_DATABASE_URL_ENV})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
