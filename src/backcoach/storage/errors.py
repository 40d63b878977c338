"""What the storage layer says when the database itself is the problem, and the one test seam.

Django raises the driver's errors (``database is locked``, ``attempt to write a readonly
database``, a refused connection); :func:`database_errors` turns them into a
:class:`StoreError` that says in plain words what happened, and that nothing was changed:
every use case is one transaction, so a failure rolls all of it back.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Final

FAULT_ENV: Final = "BACKCOACH_FAULT"  # test seam: see fault_point()
UNCHANGED: Final = "Nothing was changed."


class StoreError(ValueError):
    """Input or a database state the store refuses; the message says what and where."""


class DuplicateCheckInError(StoreError):
    """A check-in for that day exists already."""


class NotEmptyError(StoreError):
    """An import into a database that already holds a record."""


class BadExportError(StoreError):
    """An import file that is not a whole, valid backcoach export; the message says where
    (``table[index].field``). The file's fault, unlike the database's errors."""


@contextlib.contextmanager
def database_errors(where: str, path: str | None = None) -> Iterator[None]:
    """Translate the database's own errors into a :class:`StoreError` naming ``where``;
    ``path`` is the SQLite file, when there is one."""
    from django.db import DatabaseError

    try:
        yield
    except PermissionError as exc:
        raise StoreError(
            f"{where}: cannot open the database file ({exc.strerror}). "
            f"Check that you own the folder and may write to it. {UNCHANGED}"
        ) from None
    except DatabaseError as exc:
        raise StoreError(f"{where}: {explain(exc, path)}") from None


READ_ONLY = (
    "the database is read-only here, so nothing can be saved. Check the file's "
    f"permissions (or the disk) and try again. {UNCHANGED}"
)


def explain(exc: BaseException, path: str | None = None) -> str:
    text = str(exc).strip()
    lowered = text.lower()
    if path and "unable to open" in lowered and not os.access(os.path.dirname(path), os.W_OK):
        return READ_ONLY  # SQLite cannot make its journal files beside the database
    if "database is locked" in lowered or "database table is locked" in lowered:
        return (
            "the database is busy: another program has kept it locked for too long. "
            f"Close other backcoach windows and try again. {UNCHANGED}"
        )
    if "readonly database" in lowered or "read-only" in lowered:
        return READ_ONLY
    if "unable to open database" in lowered:
        return f"cannot open the database file. Check the folder exists and is yours. {UNCHANGED}"
    if "not a database" in lowered or "malformed" in lowered:
        return (
            "the database file is damaged or is not a backcoach database. Restore it from a "
            f"backup (backcoach backup) or move it away to start afresh. {UNCHANGED}"
        )
    if "connection" in lowered and ("refused" in lowered or "failed" in lowered):
        return f"cannot reach the database server ({text.splitlines()[0]}). {UNCHANGED}"
    return f"the database refused the change ({text.splitlines()[0] if text else exc}). {UNCHANGED}"


def fault_point(name: str) -> None:
    """A test seam for the kill-in-the-middle tests: when ``BACKCOACH_FAULT`` is ``name``,
    say so on stderr and wait, inside the open transaction, to be killed."""
    if os.environ.get(FAULT_ENV) != name:
        return
    print(f"backcoach-fault: paused at {name}", file=sys.stderr, flush=True)
    time.sleep(120)
