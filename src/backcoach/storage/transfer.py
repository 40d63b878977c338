"""Your data is yours: export everything, import it back exactly, erase it, back it up.

The export is one JSON document: a format tag and version, the schema (latest migration)
it was written with, and one list of rows per table, each row with every column (ids
kept, so that an import into an empty record and a second export give the same document).
CSV is the same tables as one file each, for spreadsheets. Import is one transaction:
a foreign or damaged file is refused with the table, row and field named, and nothing is
written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from backcoach.storage.errors import BadExportError, NotEmptyError, StoreError, fault_point
from backcoach.storage.store import Store, known_migrations

FORMAT: Final = "backcoach-export"
VERSION: Final = 1
# Tables in the order rows may refer to each other.
TABLES: Final = (
    "people",
    "episodes",
    "assessments",
    "plans",
    "adaptations",
    "checkins",
    "routine_sessions",
    "activities",
)
RowCheck = Callable[[str, Mapping[str, Any]], None]


class RowError(ValueError):
    """A row a :data:`RowCheck` refuses, naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")


def _models() -> dict[str, Any]:
    from backcoach.storage import models

    return {
        "people": models.Person,
        "episodes": models.Episode,
        "assessments": models.AssessmentRecord,
        "plans": models.PlanRecord,
        "adaptations": models.AdaptationRecord,
        "checkins": models.CheckInRecord,
        "routine_sessions": models.RoutineSessionRecord,
        "activities": models.ActivityRecord,
    }


def _table_of(model: Any) -> str | None:
    """The export's table name for a model (what a foreign key refers to)."""
    return next((t for t, m in _models().items() if m is model), None)


def _person_rows(table: str, model: Any, person: int) -> Any:
    if table == "people":
        return model.objects.filter(id=person)
    if table == "assessments":
        return model.objects.filter(episode__person_id=person)
    return model.objects.filter(person_id=person)


def _columns(model: Any) -> list[Any]:
    return list(model._meta.concrete_fields)


# --- export ---------------------------------------------------------------------------------


def export_record(store: Store, now: datetime) -> dict[str, Any]:
    """The person's whole record as one JSON-able document."""
    person = store.person_id(create=False)
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "schema": max(known_migrations()),
        "exported_at": now.isoformat(),
    }
    with store.atomic("exporting"):
        for table, model in _models().items():
            fields = _columns(model)
            rows = _person_rows(table, model, person).order_by("id")
            document[table] = [
                {f.attname: _to_json(getattr(row, f.attname)) for f in fields} for row in rows
            ]
    return document


def _to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value  # datetimes too


def write_csv_folder(document: Mapping[str, Any], folder: Path) -> list[Path]:
    """One CSV per table (JSON columns as JSON text), written privately."""
    from backcoach.adapters.paths import private_folder, write_atomically

    private_folder(folder)
    written = []
    for table, model in _models().items():
        names = [f.attname for f in _columns(model)]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        for row in document[table]:
            writer.writerow([_cell(row[name]) for name in names])
        path = folder / f"{table}.csv"
        write_atomically(path, buffer.getvalue().encode("utf-8"), mode=0o600)
        written.append(path)
    return written


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list | bool):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- import ---------------------------------------------------------------------------------


def import_record(store: Store, document: Any, check_row: RowCheck | None = None) -> dict[str, int]:
    """Restore an export into an empty record, exactly: all of it or, on any problem,
    nothing. Returns the number of rows per table. BadExportError names the file's
    problem; other StoreErrors are the database's."""
    from django.db import connection

    rows = _parse_document(document)
    with store.atomic("importing"):
        models = _models()
        if any(model.objects.exists() for table, model in models.items() if table != "people"):
            raise NotEmptyError(
                "your record is not empty: import restores into an empty record only. "
                "Make a backup, then `backcoach delete --all`, then import. Nothing was changed."
            )
        for table, objects in rows.items():
            if check_row is not None:
                for index, row in enumerate(document[table]):
                    try:
                        check_row(table, row)
                    except RowError as exc:
                        raise BadExportError(
                            f"{table}[{index}].{exc.field}: {exc.problem}"
                        ) from None
            if table == "people":
                models[table].objects.all().delete()  # a person with no record yet
            models[table].objects.bulk_create(objects)
        if connection.vendor == "postgresql":
            _reset_sequences(list(models.values()))
        fault_point("import")
    store._person_id = None  # the restored person is now the local one
    return {table: len(objects) for table, objects in rows.items()}


def _parse_document(document: Any) -> dict[str, list[Any]]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BadExportError(f'not a backcoach export (no "format": "{FORMAT}")')
    if document.get("version") != VERSION:
        raise BadExportError(
            f"export version {document.get('version')!r} is not one this backcoach reads "
            f"({VERSION})"
        )
    schema = document.get("schema")
    if not isinstance(schema, str) or schema not in known_migrations():
        raise BadExportError(
            f"the export was written by another version of backcoach (schema {schema!r}); "
            "update backcoach to import it"
        )
    parsed: dict[str, list[Any]] = {}
    ids: dict[str, set[int]] = {}
    for table, model in _models().items():
        raw = document.get(table)
        if not isinstance(raw, list):
            raise BadExportError(f"{table}: missing, or not a list of rows")
        parsed[table] = [_row(model, table, index, row, ids) for index, row in enumerate(raw)]
        ids[table] = {obj.id for obj in parsed[table]}
    return parsed


def _row(model: Any, table: str, index: int, row: Any, ids: Mapping[str, set[int]]) -> Any:
    from django.core.exceptions import ValidationError

    where = f"{table}[{index}]"
    if not isinstance(row, dict):
        raise BadExportError(f"{where}: not an object")
    fields = _columns(model)
    names = {f.attname for f in fields}
    unknown = sorted(set(row) - names)
    if unknown:
        raise BadExportError(f"{where}: unknown field {unknown[0]!r}")
    values: dict[str, Any] = {}
    for field in fields:
        name = field.attname
        if name not in row:
            raise BadExportError(f"{where}.{name}: missing")
        try:
            values[name] = _from_json(field, row[name])
        except (ValueError, TypeError) as exc:
            raise BadExportError(f"{where}.{name}: {exc}") from None
        target = _table_of(field.related_model) if field.is_relation else None
        if target and values[name] is not None and values[name] not in ids.get(target, set()):
            raise BadExportError(
                f"{where}.{name}: refers to {target} id {values[name]}, not exported"
            )
    obj = model(**values)
    # References were checked above, against the file (the rows are not in the database
    # yet); JSON columns may hold any JSON, an empty list or object included.
    # Nulls were checked above too (Django's "blank" is a form rule, not a column's).
    unchecked = [
        f.name
        for f in fields
        if f.is_relation or f.get_internal_type() == "JSONField" or values[f.attname] is None
    ]
    try:
        obj.clean_fields(exclude=unchecked)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise BadExportError(f"{where}.{name}: {messages[0]}") from None
    return obj


def _from_json(field: Any, value: Any) -> Any:
    kind = field.get_internal_type()
    if value is None:
        if not field.null:
            raise ValueError("must not be null")
        return None
    if kind == "DateField":
        if not isinstance(value, str):
            raise TypeError("must be a date like 2026-11-30")
        return date.fromisoformat(value)
    if kind == "DateTimeField":
        if not isinstance(value, str):
            raise TypeError("must be a date and time")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("must include a time zone")
        return moment
    if kind == "JSONField":
        return value
    if kind == "BooleanField":
        if not isinstance(value, bool):
            raise TypeError("must be true or false")
        return value
    if kind == "FloatField":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("must be a number")
        return float(value)
    if kind in ("CharField", "TextField"):
        if not isinstance(value, str):
            raise TypeError("must be text")
        return value
    # ids, foreign keys and counts
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be a whole number")
    return value


def _reset_sequences(models: list[Any]) -> None:
    """PostgreSQL hands out ids from sequences; after rows came with their own ids, move
    the sequences past them."""
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


# --- delete and backup ------------------------------------------------------------------------


def delete_everything(store: Store) -> dict[str, int]:
    """Erase every row of every table in one transaction; on SQLite also rewrite the file
    (VACUUM) and empty the write-ahead log, so deleted answers do not linger on disk."""
    from django.db import connection

    counts: dict[str, int] = {}
    with store.atomic("deleting"):
        for table, model in reversed(list(_models().items())):
            _, deleted = model.objects.all().delete()
            counts[table] = deleted.get(model._meta.label, 0)
    store._person_id = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return counts


def backup_sqlite(store: Store, target: Path) -> Path:
    """A consistent copy of the live SQLite database (SQLite's online backup), written
    privately and atomically. StoreError on PostgreSQL: use pg_dump there."""
    from django.db import connection

    if connection.vendor != "sqlite":
        raise StoreError(
            "backup copies the SQLite file; this record is on a database server. Use the "
            "server's own backup (pg_dump), or `backcoach export`."
        )
    source = connection.settings_dict["NAME"]
    target = target.resolve()
    if target == Path(source).resolve():
        raise StoreError("the backup cannot overwrite the database itself")
    partial = target.with_name(f".{target.name}.partial")
    fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target
