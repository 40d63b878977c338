"""The recovery record: domain values in, domain values out, one transaction per use case.

:func:`open_store` configures Django, checks the database's version (a database written by
a newer backcoach is refused, never migrated backwards), migrates it on first use and
returns a :class:`Store`. Its methods take and give plain values (:class:`Case`,
:class:`CheckIn`, dates); the rows stay inside the storage package. Each method is one
transaction; :meth:`Store.atomic` groups several into one use case.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, NamedTuple

from backcoach.domain.model import Case
from backcoach.domain.recovery import Adaptation, CheckIn
from backcoach.domain.running import ActivitySummary
from backcoach.storage.errors import (
    DuplicateCheckInError,
    StoreError,
    database_errors,
    fault_point,
)
from backcoach.storage.records import (
    CHECKIN_COLUMNS,
    activity_fields,
    activity_from_row,
    adaptation_from_row,
    case_from_row,
    case_to_dict,
    checkin_fields,
    checkin_from_row,
    checkin_from_values,
)
from backcoach.storage.settings import configure_django, sqlite_file_lock

__all__ = ["DuplicateCheckInError", "Store", "StoreError", "open_store"]

# Databases checked and migrated by this process, by engine, host, port and name.
_migrated: set[tuple[str, ...]] = set()

SESSION_KIND: Final = "routine"
APP_LABEL: Final = "backcoach"
MIGRATIONS_DIR: Final = Path(__file__).with_name("migrations")
DUPLICATE_START_S: Final = 60  # activities starting this close may be the same one
PG_MIGRATION_LOCK: Final = 0x6261636B  # "back": pg_advisory_lock key for migrating


class EpisodeInfo(NamedTuple):
    id: int
    started_on: date


class StoredAssessment(NamedTuple):
    id: int
    case: Case
    result: dict[str, Any]
    taken_at: datetime


class StoredPlan(NamedTuple):
    id: int
    assessment_id: int
    starts: date
    options: dict[str, Any]


class Store:
    """One person's record. Every method that writes is one transaction: all of it
    happens, or none. Reads see what was committed (see :meth:`atomic`).

    ``person_id`` None means the local person: the one person of a local database,
    created on first write.
    """

    def __init__(self, person_id: int | None = None) -> None:
        self._person_id = person_id

    # --- transactions -----------------------------------------------------------------

    @contextlib.contextmanager
    def atomic(self, where: str = "saving") -> Iterator[None]:
        """One transaction for a whole use case; database errors become StoreError.

        A read ("reading") outside a use case's transaction runs without one: each query
        sees what was committed, and on SQLite it neither waits for a writer nor holds
        one up. A transaction here would take the write lock at once (BEGIN IMMEDIATE),
        so that a report would queue behind an import, and two reports behind each other.
        """
        from django.db import connection, transaction

        if where == "reading" and not connection.in_atomic_block:
            with database_errors(where):
                yield
            return
        with database_errors(where), transaction.atomic():
            yield

    def person_id(self, *, create: bool = True) -> int:
        """The person whose record this is. The local person is created on the first
        write; a read before then gets an id no row has (-1), so it finds nothing."""
        if self._person_id is None:
            from backcoach.storage.models import Person

            with self.atomic("reading"):
                person = Person.objects.order_by("id").first()
            if person is None:
                if not create:
                    return -1
                with self.atomic():  # the first write: find or make, under the lock
                    person = Person.objects.order_by("id").first() or Person.objects.create()
            self._person_id = int(person.id)
        return self._person_id

    def _episode_row(self) -> Any:
        from backcoach.storage.models import Episode

        return (
            Episode.objects.filter(person_id=self.person_id(create=False))
            .order_by("-started_on", "-id")
            .first()
        )

    # --- assessments ------------------------------------------------------------------

    def add_assessment(self, case: Case, result: Mapping[str, Any], taken_at: datetime) -> int:
        """Record an assessment in the current episode (a new one if there is none yet,
        starting on the day the pain began: ``duration_days`` before this assessment, or
        its day when unknown). Returns the record's id."""
        from backcoach.storage.models import AssessmentRecord, Episode

        if taken_at.tzinfo is None:
            raise StoreError("taken_at must include a time zone")
        triage = result.get("triage")
        level = triage.get("level") if isinstance(triage, Mapping) else None
        if not isinstance(level, str):
            raise StoreError("result: no triage level (result['triage']['level'])")
        conditions = result.get("conditions") or []
        top = conditions[0].get("id", "") if conditions else ""
        with self.atomic():
            episode = self._episode_row()
            if episode is None:
                began = taken_at.date() - timedelta(days=case.duration_days or 0)
                episode = Episode.objects.create(person_id=self.person_id(), started_on=began)
            record = AssessmentRecord.objects.create(
                episode=episode,
                taken_at=taken_at,
                case=case_to_dict(case),
                result=dict(result),
                triage_level=level,
                top_condition=top,
            )
            fault_point("assessment")
        return int(record.id)

    def latest_stored_assessment(self) -> StoredAssessment | None:
        from backcoach.storage.models import AssessmentRecord

        with self.atomic("reading"):
            record = (
                AssessmentRecord.objects.filter(episode__person_id=self.person_id(create=False))
                .order_by("-taken_at", "-id")
                .first()
            )
        if record is None:
            return None
        return StoredAssessment(
            int(record.id), case_from_row(record.case), dict(record.result), record.taken_at
        )

    def episode(self) -> EpisodeInfo | None:
        with self.atomic("reading"):
            row = self._episode_row()
        return None if row is None else EpisodeInfo(int(row.id), row.started_on)

    # --- the plan ---------------------------------------------------------------------

    def plan(self) -> StoredPlan | None:
        """The plan of the current episode, if one was started."""
        from backcoach.storage.models import PlanRecord

        with self.atomic("reading"):
            episode = self._episode_row()
            row = (
                PlanRecord.objects.filter(episode=episode).order_by("-id").first()
                if episode
                else None
            )
        if row is None:
            return None
        return StoredPlan(int(row.id), int(row.assessment_id), row.starts, dict(row.options))

    def start_plan(self, starts: date, options: Mapping[str, Any], now: datetime) -> StoredPlan:
        """Start the plan for the latest assessment (keeping the existing one if the
        current episode has a plan already)."""
        from backcoach.storage.models import AssessmentRecord, PlanRecord

        with self.atomic():
            episode = self._episode_row()
            if episode is None:
                raise StoreError("no assessment yet: run backcoach assess first")
            existing = PlanRecord.objects.filter(episode=episode).order_by("-id").first()
            if existing is None:
                assessment = (
                    AssessmentRecord.objects.filter(episode=episode).order_by("-taken_at").first()
                )
                existing = PlanRecord.objects.create(
                    person_id=self.person_id(),
                    episode=episode,
                    assessment=assessment,
                    starts=starts,
                    options=dict(options),
                    created_at=now,
                )
        return StoredPlan(
            int(existing.id), int(existing.assessment_id), existing.starts, dict(existing.options)
        )

    def adaptations(self) -> list[Adaptation]:
        from backcoach.storage.models import AdaptationRecord

        plan = self.plan()
        if plan is None:
            return []
        with self.atomic("reading"):
            rows = list(AdaptationRecord.objects.filter(plan_id=plan.id).order_by("week_start"))
        return [adaptation_from_row(row) for row in rows]

    def latest_adaptation(self) -> Adaptation | None:
        """The plan's latest weekly change (its step is the routine's dose now), or None."""
        from backcoach.storage.models import AdaptationRecord

        plan = self.plan()
        if plan is None:
            return None
        with self.atomic("reading"):
            row = AdaptationRecord.objects.filter(plan_id=plan.id).order_by("-week_start").first()
        return None if row is None else adaptation_from_row(row)

    def has_adaptation(self, plan_id: int, week_start: date) -> bool:
        """Whether the plan's change for the week starting ``week_start`` is decided (one
        indexed lookup: asked on every check-in, where adaptations() would read them all)."""
        from backcoach.storage.models import AdaptationRecord

        with self.atomic("reading"):
            return bool(
                AdaptationRecord.objects.filter(plan_id=plan_id, week_start=week_start).exists()
            )

    def save_adaptation(self, adaptation: Adaptation, now: datetime) -> bool:
        """Record the plan change for a week; False if that week has one already."""
        from backcoach.storage.models import AdaptationRecord

        plan = self.plan()
        if plan is None:
            raise StoreError("no plan yet: run backcoach plan first")
        with self.atomic():
            _, created = AdaptationRecord.objects.get_or_create(
                plan_id=plan.id,
                week_start=adaptation.week_start,
                defaults={
                    "person_id": self.person_id(),
                    "rule": adaptation.rule,
                    "action": adaptation.action,
                    "step": adaptation.step,
                    "message": adaptation.message,
                    "sources": list(adaptation.sources),
                    "decided_at": now,
                },
            )
        return bool(created)

    # --- check-ins --------------------------------------------------------------------

    def save_checkin(self, checkin: CheckIn, now: datetime, *, replace: bool = False) -> str:
        """Add the day's check-in ("added"), or replace it when ``replace`` ("updated").
        :class:`DuplicateCheckInError` if the day has one and ``replace`` is false."""
        from backcoach.storage.models import CheckInRecord

        with self.atomic():
            episode = self._episode_row()
            if episode is None:
                raise StoreError("no assessment yet: run backcoach assess first")
            fields = checkin_fields(checkin)
            person = self.person_id()
            row = CheckInRecord.objects.filter(person_id=person, day=checkin.day).first()
            if row is not None and not replace:
                raise DuplicateCheckInError(f"there is already a check-in for {checkin.day}")
            if row is None:
                CheckInRecord.objects.create(
                    person_id=person, episode=episode, created_at=now, updated_at=now, **fields
                )
                status = "added"
            else:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = now
                row.save()
                status = "updated"
            fault_point("checkin")
        return status

    def progress_checkins(self) -> list[CheckIn]:
        """The check-ins with only what progress reads (day, pain, sleep, routine, PEG,
        Roland-Morris), in day order: the query ``backcoach progress`` makes, kept narrow
        because decoding each JSON column is most of its time."""
        from backcoach.storage.models import CheckInRecord

        with self.atomic("reading"):
            rows = list(
                CheckInRecord.objects.filter(person_id=self.person_id(create=False))
                .order_by("day")
                .values_list("day", "pain", "sleep_hours", "routine_done", "peg", "rmdq")
            )
        return [
            CheckIn(
                day=day,
                pain=pain,
                sleep_hours=sleep,
                routine_done=done,
                peg=(int(peg[0]), int(peg[1]), int(peg[2])) if peg else None,
                rmdq=tuple(sorted(rmdq.items())),
            )
            for day, pain, sleep, done, peg, rmdq in rows
        ]

    def questionnaire_days(self) -> dict[str, list[date]]:
        """The days each weekly or monthly questionnaire was answered ("peg", "startback",
        "rmdq"): a small query, so that a check-in need not read the whole record."""
        from backcoach.storage.models import CheckInRecord

        person = self.person_id(create=False)
        rows = CheckInRecord.objects.filter(person_id=person)
        with self.atomic("reading"):
            return {
                "peg": list(rows.filter(peg__isnull=False).values_list("day", flat=True)),
                "startback": list(rows.exclude(startback={}).values_list("day", flat=True)),
                "rmdq": list(rows.exclude(rmdq={}).values_list("day", flat=True)),
            }

    def checkin(self, day: date) -> CheckIn | None:
        from backcoach.storage.models import CheckInRecord

        with self.atomic("reading"):
            row = CheckInRecord.objects.filter(
                person_id=self.person_id(create=False), day=day
            ).first()
        return None if row is None else checkin_from_row(row)

    def delete_checkin(self, day: date) -> bool:
        from backcoach.storage.models import CheckInRecord

        with self.atomic():
            deleted, _ = CheckInRecord.objects.filter(
                person_id=self.person_id(create=False), day=day
            ).delete()
        return bool(deleted)

    def checkins(self, since: date | None = None) -> list[CheckIn]:
        """The person's check-ins in day order (since ``since``, when given)."""
        from backcoach.storage.models import CheckInRecord

        query = CheckInRecord.objects.filter(person_id=self.person_id(create=False))
        if since is not None:
            query = query.filter(day__gte=since)
        with self.atomic("reading"):
            rows = list(query.order_by("day").values_list(*CHECKIN_COLUMNS))
        return [checkin_from_values(row) for row in rows]

    # --- activities -------------------------------------------------------------------

    def add_activity(
        self, activity: ActivitySummary, source_file: str, now: datetime
    ) -> int | None:
        """Keep an imported activity; None (nothing written) when it is kept already: the
        same source id, or the same sport starting within a minute with an elapsed time
        within 5% (the same run from the watch and from Strava)."""
        from backcoach.storage.models import ActivityRecord

        person = self.person_id()
        window = timedelta(seconds=DUPLICATE_START_S)
        with self.atomic():
            near = ActivityRecord.objects.filter(
                person_id=person,
                start__gte=activity.start - window,
                start__lte=activity.start + window,
            )
            for other in near.values("sport", "elapsed_s"):
                tolerance = max(60.0, 0.05 * max(other["elapsed_s"], activity.elapsed_s))
                similar = abs(other["elapsed_s"] - activity.elapsed_s) <= tolerance
                if other["sport"] == activity.sport and similar:
                    return None
            if (
                activity.source_id
                and ActivityRecord.objects.filter(
                    person_id=person, source_id=activity.source_id
                ).exists()
            ):
                return None
            row = ActivityRecord.objects.create(
                person_id=person,
                source_file=source_file[:500],
                imported_at=now,
                **activity_fields(activity),
            )
            fault_point("activity")
        return int(row.id)

    def activities(self) -> list[tuple[int, ActivitySummary, str]]:
        """Every activity kept, oldest first: (id, summary, source file)."""
        from backcoach.storage.models import ActivityRecord

        with self.atomic("reading"):
            rows = list(
                ActivityRecord.objects.filter(person_id=self.person_id(create=False)).order_by(
                    "start", "id"
                )
            )
        return [(int(r.id), activity_from_row(r), r.source_file) for r in rows]

    # --- routine sessions -------------------------------------------------------------

    def add_routine_session(self, session: Mapping[str, Any]) -> bool:
        """Record one guided routine (the JSON ``backcoach routine`` makes); False when
        the very same session was recorded before."""
        from backcoach.storage.models import RoutineSessionRecord

        try:
            fields = _session_fields(dict(session))
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"routine session: {_problem(exc)}") from None
        with self.atomic():
            _, created = RoutineSessionRecord.objects.get_or_create(
                source_key=fields.pop("source_key"),
                defaults={**fields, "person_id": self.person_id()},
            )
        return bool(created)

    def routine_days(self) -> set[date]:
        from backcoach.storage.models import RoutineSessionRecord

        with self.atomic("reading"):
            days = RoutineSessionRecord.objects.filter(
                person_id=self.person_id(create=False), quit_early=False
            ).values_list("date", flat=True)
            return set(days)

    def import_sessions_jsonl(self, path: str | Path) -> int:
        """Import the routine sessions of ``sessions.jsonl`` (as ``backcoach routine`` wrote
        it before the database): all lines or none, and a line already imported is
        skipped. Returns how many were new. StoreError names the first bad line."""
        from backcoach.storage.models import RoutineSessionRecord

        rows = list(_read_sessions(Path(path)))
        person = self.person_id()
        with self.atomic():
            keys = [row.source_key for row in rows]
            known = set(
                RoutineSessionRecord.objects.filter(source_key__in=keys).values_list(
                    "source_key", flat=True
                )
            )
            new: dict[str, Any] = {}
            for row in rows:
                if row.source_key not in known:
                    row.person_id = person
                    new.setdefault(row.source_key, row)
            RoutineSessionRecord.objects.bulk_create(new.values())
        return len(new)


def open_store(database_url: str | None = None, person_id: int | None = None) -> Store:
    """Configure Django, check and migrate the database if this process has not yet, and
    give the store. StoreError when the database cannot be used, saying why."""
    from backcoach.storage.settings import database_settings

    try:
        database = database_settings(database_url)
    except PermissionError as exc:
        raise StoreError(f"opening the database: {_permission_text(exc)}") from None
    sqlite_file = database["NAME"] if database["ENGINE"].endswith("sqlite3") else None
    with database_errors("opening the database", sqlite_file):
        configure_django(database)
        identity = tuple(str(database.get(k, "")) for k in ("ENGINE", "HOST", "PORT", "NAME"))
        if identity not in _migrated:
            _check_and_migrate(database)
            _migrated.add(identity)
    return Store(person_id)


def _permission_text(exc: PermissionError) -> str:
    from backcoach.storage.errors import READ_ONLY

    if exc.errno == 30:  # EROFS: a read-only disk
        return READ_ONLY
    return f"cannot use the database folder ({exc.strerror}). Check that it is yours."


def forget_migrations() -> None:
    """Make the next :func:`open_store` check migrations again (tests drop databases)."""
    _migrated.clear()


def known_migrations() -> set[str]:
    """The migrations this version of backcoach ships, by name."""
    return {p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")}


def applied_migrations() -> set[str] | None:
    """The migrations the database has applied (None when it has no migration table)."""
    from django.db import connection

    if "django_migrations" not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = %s", [APP_LABEL])
        return {name for (name,) in cursor.fetchall()}


def _check_and_migrate(database: Mapping[str, Any]) -> None:
    known = known_migrations()
    applied = applied_migrations()
    if applied is not None:
        _refuse_newer(applied, known)
        if applied == known:
            return  # up to date: no need to load Django's migration machinery
    from django.core.management import call_command

    with _migration_lock(database):
        applied = applied_migrations()
        if applied is not None:
            _refuse_newer(applied, known)
        call_command("migrate", APP_LABEL, verbosity=0, interactive=False)


def _refuse_newer(applied: set[str], known: set[str]) -> None:
    newer = sorted(applied - known)
    if newer:
        raise StoreError(
            "this database was written by a newer version of backcoach (it has "
            f"{', '.join(newer)}). Update backcoach to open it. Nothing was changed."
        )


@contextlib.contextmanager
def _migration_lock(database: Mapping[str, Any]) -> Iterator[None]:
    """One process migrates at a time: a file lock next to a SQLite file, a
    session-level advisory lock on PostgreSQL."""
    if database["ENGINE"] == "django.db.backends.postgresql":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [PG_MIGRATION_LOCK])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PG_MIGRATION_LOCK])
        return
    with sqlite_file_lock(Path(database["NAME"])):
        yield


# --- routine sessions, as backcoach routine records them ---------------------------------------


def _read_sessions(path: Path) -> Iterator[Any]:
    from backcoach.storage.models import RoutineSessionRecord

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: cannot read: {exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fields = _session_fields(json.loads(line))
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{path}, line {number}: {_problem(exc)}") from None
        yield RoutineSessionRecord(**fields)


def _session_fields(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    if raw.get("kind") != SESSION_KIND:
        raise ValueError(f"kind must be {SESSION_KIND!r}")
    week = raw["plan_week"]
    if not isinstance(week, int) or isinstance(week, bool) or week < 1:
        raise ValueError("plan_week must be a whole number from 1")
    seconds = raw["seconds"]
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise ValueError("seconds must be a number from 0")
    starts = raw.get("plan_starts")
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {
        "date": date.fromisoformat(raw["date"]),
        "plan_starts": date.fromisoformat(starts) if starts is not None else None,
        "plan_week": week,
        "exercises_planned": _names(raw, "exercises_planned"),
        "exercises_done": _names(raw, "exercises_done"),
        "exercises_skipped": _names(raw, "exercises_skipped"),
        "quit_early": bool(raw.get("quit_early", False)),
        "seconds": float(seconds),
        "source_key": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    }


def _names(raw: Mapping[str, Any], field: str) -> list[str]:
    value = raw.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{field} must be a list of exercise ids")
    return list(value)


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg}"
    return str(exc)
