"""The person's record, opened for a command: storage problems become plain user errors."""

from __future__ import annotations

from backcoach.cli.errors import RecordError
from backcoach.storage.errors import StoreError
from backcoach.storage.settings import DatabaseUrlError
from backcoach.storage.store import Store, open_store


def open_user_store() -> Store:
    """The record in BACKCOACH_HOME (or at DATABASE_URL), created on first use."""
    try:
        return open_store()
    except (StoreError, DatabaseUrlError) as exc:
        raise RecordError(str(exc)) from None
