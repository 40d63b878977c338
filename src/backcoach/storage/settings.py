"""Django settings for backcoach, built explicitly when asked for, never at import time.

SQLite in the data folder is the default: ``backcoach.sqlite3`` in ``data_dir()``, the folder
private (0700) and the file private (0600), with WAL mode, ``synchronous=NORMAL`` and a busy
timeout on every connection, and write transactions that take the lock at once
(``BEGIN IMMEDIATE``) so that two writers wait for each other instead of failing.
``DATABASE_URL`` (argument, else environment variable) of the form
``postgresql://user:password@host:port/name`` points it at PostgreSQL instead.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from backcoach.adapters.paths import data_dir, private_folder

DATABASE_URL_ENV: Final = "DATABASE_URL"
SQLITE_FILE: Final = "backcoach.sqlite3"
BUSY_TIMEOUT_SECONDS: Final = 30
BUSY_TIMEOUT_ENV: Final = "BACKCOACH_DB_TIMEOUT"  # seconds to wait for a locked database
_POSTGRES_SCHEMES: Final = ("postgresql", "postgres")
INSTALLED_APPS: Final = ["backcoach.storage"]
# Modules the ORM imports but a command that only reads and writes rows never runs:
# django.forms (for Field.formfield(); it pulls in the template engine) and
# django.core.checks (the system checks). Loaded lazily, on first use, they take about
# 20 ms off every command's start (issue 4: a check-in under 200 ms). Only modules that
# Django imports with ``from package import module`` stay lazy: a plain ``import module``
# asks the module for its ``__spec__``, which loads it at once.
LAZY_DJANGO_MODULES: Final = ("django.forms", "django.core.checks")

# The database settings last configured, as built here: Django fills in its defaults in
# settings.DATABASES itself, so that dict cannot tell whether the database changed.
_configured: dict[str, Any] | None = None


class DatabaseUrlError(ValueError):
    """A ``DATABASE_URL`` that backcoach cannot use; the message says why."""


def database_url(explicit: str | None = None) -> str | None:
    """The URL given, else ``$DATABASE_URL``; None (or empty) means the SQLite default."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or None


def database_settings(url: str | None = None) -> dict[str, Any]:
    """Django's ``DATABASES["default"]`` for ``url``, or for SQLite in the data folder."""
    url = database_url(url)
    return postgres_settings(url) if url else sqlite_settings(data_dir() / SQLITE_FILE)


def busy_timeout() -> float:
    """How long a writer waits for another to finish: ``$BACKCOACH_DB_TIMEOUT`` seconds,
    else 30."""
    text = os.environ.get(BUSY_TIMEOUT_ENV)
    try:
        return float(text) if text else BUSY_TIMEOUT_SECONDS
    except ValueError:
        return BUSY_TIMEOUT_SECONDS


def sqlite_settings(path: Path) -> dict[str, Any]:
    """Creates the private folder and the empty private file, so that no other user can
    ever read the database, even for the moment before SQLite first writes it."""
    private_folder(path.parent)
    if not path.exists():
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            os.fchmod(fd, 0o600)
            os.close(fd)
    timeout = busy_timeout()
    _ensure_wal(path, timeout)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL again (a no-op once the file is in WAL), in case another tool switched
            # it back; the busy timeout is sqlite3's own "timeout" below.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": timeout,
        },
    }


@contextlib.contextmanager
def sqlite_file_lock(path: Path) -> Iterator[None]:
    """One process at a time, across processes: a file lock on ``PATH.migrate-lock`` beside
    the database (none on Windows, which has no flock)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    fd = os.open(f"{path}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _ensure_wal(path: Path, timeout: float) -> None:
    """Switch a database file to WAL once, when it is new, under the file lock: two first
    opens at once would each switch it, and SQLite refuses the second at once (busy,
    without waiting). WAL is kept in the file, so every later open finds it set."""
    if _is_wal(path):
        return
    import sqlite3

    try:
        with sqlite_file_lock(path):
            if _is_wal(path):
                return
            connection = sqlite3.connect(path, timeout=timeout)
            try:
                connection.execute("PRAGMA journal_mode=WAL")
            finally:
                connection.close()
    except (OSError, sqlite3.Error):
        pass  # a read-only or damaged file: Django's connection meets it and says why


def _is_wal(path: Path) -> bool:
    """Whether the file's header says WAL (bytes 18 and 19, the format versions, are 2)."""
    try:
        with path.open("rb") as file:
            header = file.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == 2 and header[19] == 2


def postgres_settings(url: str) -> dict[str, Any]:
    """``postgresql://user:password@host:port/name?sslmode=require`` as Django settings."""
    parts = urlsplit(url)
    if parts.scheme not in _POSTGRES_SCHEMES:
        raise DatabaseUrlError(
            f"{DATABASE_URL_ENV}: unsupported scheme {parts.scheme!r} "
            "(use postgresql://user:password@host:port/name)"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise DatabaseUrlError(f"{DATABASE_URL_ENV}: no database name after the host")
    try:
        port = parts.port
    except ValueError:
        raise DatabaseUrlError(f"{DATABASE_URL_ENV}: the port is not a number") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
    }


def configure_django(database: dict[str, Any]) -> dict[str, Any]:
    """Configure Django for backcoach with ``database`` (from :func:`database_settings`)
    and return it.

    Idempotent within a process: a second call for the same database does nothing. A call
    for another database (another ``BACKCOACH_HOME`` or ``DATABASE_URL``, as in tests)
    closes the open connections and switches the default database.
    """
    global _configured
    from django.conf import settings

    if database == _configured:
        return database
    if not settings.configured:
        load_lazily(LAZY_DJANGO_MODULES)
        settings.configure(
            DATABASES={"default": copy.deepcopy(database)},
            INSTALLED_APPS=INSTALLED_APPS,
            USE_TZ=True,
            TIME_ZONE="UTC",
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
            LOGGING_CONFIG=None,
        )
        # Only the app registry: django.setup() would also configure logging and import
        # the URL machinery (django.urls, http, templates), about 60 ms of start-up that
        # a command using only the ORM does not need. The web app calls django.setup().
        from django.apps import apps

        apps.populate(INSTALLED_APPS)
    else:
        _switch_default_database(database)
    _configured = copy.deepcopy(database)
    return database


def load_lazily(names: tuple[str, ...]) -> None:
    """Put each module not yet imported in ``sys.modules`` as a lazy module: importing it
    is free, and it runs on the first use of one of its names (importlib's LazyLoader
    recipe). Before Python 3.12 that first use is not thread-safe: a server answering from
    several threads should import these modules itself before it starts serving."""
    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)


def close_connections() -> None:
    """Close every open database connection (between tests, before dropping a database)."""
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()


def _switch_default_database(database: dict[str, Any]) -> None:
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"] = copy.deepcopy(database)
    # Forget the cached connection objects and their settings: the next use of
    # connections["default"] builds a new connection from the new settings.
    for conn in connections.all(initialized_only=True):
        del connections[conn.alias]
    connections._settings = None
    connections.__dict__.pop("settings", None)
