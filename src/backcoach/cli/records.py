"""``backcoach export``, ``import``, ``delete --all`` and ``backup``: your data is yours."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

from backcoach.cli.errors import EXIT_OK, UserError

CONFIRM_WORD = "delete"


def export(file: str, *, as_csv: bool, out: IO[str]) -> int:
    from backcoach.cli import clock
    from backcoach.cli.store import open_user_store
    from backcoach.storage.transfer import export_record, write_csv_folder

    document = export_record(open_user_store(), clock.now())
    if as_csv:
        if file == "-":
            raise UserError("--csv writes a folder of files: give a folder name, not -")
        try:
            written = write_csv_folder(document, Path(file))
        except OSError as exc:
            raise UserError(f"{file}: cannot write ({exc.strerror})") from None
        print(f"Wrote {len(written)} CSV files to {file}", file=sys.stderr)
        return EXIT_OK
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if file == "-":
        out.write(text)
        return EXIT_OK
    from backcoach.adapters.paths import write_atomically

    try:
        write_atomically(file, text.encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise UserError(f"{file}: cannot write ({exc.strerror})") from None
    counts = ", ".join(f"{len(document[t])} {t}" for t in ("assessments", "checkins"))
    print(f"Wrote {file} ({counts})", file=sys.stderr)
    return EXIT_OK


def import_(file: str, *, out: IO[str]) -> int:
    from backcoach.cli.store import open_user_store
    from backcoach.services.recovery import check_imported_row
    from backcoach.storage.errors import BadExportError
    from backcoach.storage.transfer import import_record

    document = _read_json(file)
    try:
        counts = import_record(open_user_store(), document, check_imported_row)
    except BadExportError as exc:  # the file's fault; the database's errors are its own
        raise UserError(f"{file}: {exc}. Nothing was imported.") from None
    summary = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
    out.write(f"Imported {file}: {summary or 'an empty record'}.\n")
    return EXIT_OK


def _read_json(file: str) -> Any:
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise UserError(f"{file}: cannot read ({exc.strerror})") from None
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{file}: not UTF-8 text, so not a backcoach export") from None
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def delete_all(*, confirmed: bool, inp: IO[str], out: IO[str]) -> int:
    from backcoach.cli.store import open_user_store
    from backcoach.storage.transfer import delete_everything

    store = open_user_store()
    if not confirmed:
        out.write(
            "This erases your whole record on this computer: assessments, answers, plans, "
            "check-ins and routines. It cannot be undone (make a copy first with `backcoach "
            f"export FILE`).\nType {CONFIRM_WORD} to erase everything: "
        )
        out.flush()
        answer = inp.readline() if inp is not None and not inp.closed else ""
        if answer.strip().lower() != CONFIRM_WORD:
            out.write("\nNothing was deleted.\n")
            return 1
    counts = delete_everything(store)
    _remove_old_files()
    out.write(f"Erased your record ({sum(counts.values())} rows).\n")
    return EXIT_OK


def _remove_old_files() -> None:
    """Files older versions kept beside the database."""
    from backcoach.adapters.paths import data_dir

    for name in ("latest-case.json", "sessions.jsonl"):
        (data_dir() / name).unlink(missing_ok=True)


def backup(file: str, *, out: IO[str]) -> int:
    from backcoach.cli.store import open_user_store
    from backcoach.storage.transfer import backup_sqlite

    try:
        path = backup_sqlite(open_user_store(), Path(file))
    except OSError as exc:
        raise UserError(f"{file}: cannot write ({exc.strerror})") from None
    out.write(f"Backed up your record to {path}.\n")
    return EXIT_OK
