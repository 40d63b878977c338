"""Django settings for backcoach, built explicitly when asked for, never at import time.

SQLite in the data folder is the default: ``backcoach.sqlite3`` in ``data_dir()``, the folder
private (0700) and the file private (0600), with WAL mode, ``synchronous=NORMAL`` and a busy
timeout on every connection, and write transactions that take the lock at once
(``BEGIN IMMEDIATE``) so that two writers wait for each other instead of failing.
``DATABASE_URL`` (argument, else environment variable) of the form
``postgresql://user:password@host:port/name`` points it at PostgreSQL instead.
"""

from __future__ import annotations

import copy
import os
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
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA busy_timeout={int(timeout * 1000)}"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": timeout,
        },
    }


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


def configure_django(database_url: str | None = None) -> dict[str, Any]:
    """Configure Django for backcoach and return the database settings in use.

    Idempotent within a process: a second call for the same database does nothing. A call
    for another database (another ``BACKCOACH_HOME`` or ``DATABASE_URL``, as in tests)
    closes the open connections and switches the default database.
    """
    global _configured
    from django.conf import settings

    database = database_settings(database_url)
    if database == _configured:
        return database
    if not settings.configured:
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
