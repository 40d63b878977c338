"""The recovery record: domain values in, domain values out, one transaction per use case.

:func:`open_store` configures Django, migrates the database on first use in this process
and returns a :class:`Store`. Its methods take and give plain values (:class:`Case`,
dicts, datetimes); the rows stay inside this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from backcoach.adapters.caseio import case_from_dict
from backcoach.domain.model import Case
from backcoach.storage.settings import configure_django

# Databases migrated by this process, by engine, host, port and name.
_migrated: set[tuple[str, str, str, str]] = set()

SESSION_KIND: Final = "routine"


class StoreError(ValueError):
    """Input the store refuses; the message says what and where."""


class Store:
    """The person's record. Every method is one transaction: all of it happens, or none."""

    def add_assessment(self, case: Case, result: Mapping[str, Any], taken_at: datetime) -> int:
        """Record an assessment in the current episode (a new one, started on the day of
        this assessment, if there is none yet). Returns the record's id."""
        from django.db import transaction

        from backcoach.storage.models import AssessmentRecord, Episode

        if taken_at.tzinfo is None:
            raise StoreError("taken_at must include a time zone")
        triage = result.get("triage")
        level = triage.get("level") if isinstance(triage, Mapping) else None
        if not isinstance(level, str):
            raise StoreError("result: no triage level (result['triage']['level'])")
        conditions = result.get("conditions") or []
        top = conditions[0].get("id", "") if conditions else ""
        with transaction.atomic():
            episode = Episode.objects.order_by("-started_on", "-id").first()
            if episode is None:
                episode = Episode.objects.create(started_on=taken_at.date())
            record = AssessmentRecord.objects.create(
                episode=episode,
                taken_at=taken_at,
                case=case_to_dict(case),
                result=dict(result),
                triage_level=level,
                top_condition=top,
            )
        return int(record.id)

    def latest_assessment(self) -> tuple[Case, datetime] | None:
        """The answers of the latest assessment and when it was taken, or None."""
        from django.db import transaction

        from backcoach.storage.models import AssessmentRecord

        with transaction.atomic():
            record = AssessmentRecord.objects.order_by("-taken_at", "-id").first()
        if record is None:
            return None
        return case_from_row(record.case), record.taken_at

    def import_sessions_jsonl(self, path: str | Path) -> int:
        """Import the routine sessions of ``sessions.jsonl`` (as ``backcoach routine`` writes
        it): all lines or none, and a line already imported is skipped. Returns how many
        were new. StoreError names the first bad line."""
        from django.db import transaction

        from backcoach.storage.models import RoutineSessionRecord

        rows = list(_read_sessions(Path(path)))
        with transaction.atomic():
            keys = [row.source_key for row in rows]
            known = set(
                RoutineSessionRecord.objects.filter(source_key__in=keys).values_list(
                    "source_key", flat=True
                )
            )
            new: dict[str, Any] = {}
            for row in rows:
                if row.source_key not in known:
                    new.setdefault(row.source_key, row)
            RoutineSessionRecord.objects.bulk_create(new.values())
        return len(new)


def open_store(database_url: str | None = None) -> Store:
    """Configure Django, migrate the database if this process has not yet, give the store."""
    database = configure_django(database_url)
    identity = tuple(str(database.get(k, "")) for k in ("ENGINE", "HOST", "PORT", "NAME"))
    if identity not in _migrated:
        _migrate(database)
        _migrated.add(identity)  # type: ignore[arg-type]
    return Store()


def forget_migrations() -> None:
    """Make the next :func:`open_store` check migrations again (tests drop databases)."""
    _migrated.clear()


def _migrate(database: Mapping[str, Any]) -> None:
    from django.core.management import call_command

    with _migration_lock(database):
        call_command("migrate", verbosity=0, interactive=False)


@contextlib.contextmanager
def _migration_lock(database: Mapping[str, Any]) -> Iterator[None]:
    """One process migrates at a time: a file lock next to a SQLite file (PostgreSQL's
    migrations run in a transaction, and a second migrator fails rather than corrupts)."""
    if database["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    try:
        import fcntl
    except ImportError:  # Windows: no locking
        yield
        return
    fd = os.open(f"{database['NAME']}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --- translation between domain values and rows ------------------------------------------------


def case_to_dict(case: Case) -> dict[str, Any]:
    """A Case as the JSON of a case file (with the questionnaires extension)."""
    data: dict[str, Any] = {"age": case.age, "sex": case.sex, "findings": dict(case.findings)}
    for field in ("pain_intensity", "duration_days", "id", "text"):
        value = getattr(case, field)
        if value is not None:
            data[field] = value
    if case.questionnaires:
        data["questionnaires"] = {q: dict(items) for q, items in case.questionnaires.items()}
    return data


def case_from_row(data: Any) -> Case:
    """The Case back from its stored JSON. Findings are checked against those stored, not
    today's catalog: the record keeps what was answered then."""
    findings = data.get("findings", {}) if isinstance(data, dict) else {}
    return case_from_dict(data, set(findings))


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
