"""Errors the CLI reports in one line, without a traceback."""

from __future__ import annotations

EXIT_OK = 0
EXIT_SOME_BAD_LINES = 1
EXIT_INVALID_INPUT = 2


class UserError(Exception):
    """Bad input from the person or script running the command (exit status 2)."""

    exit_status = EXIT_INVALID_INPUT


class RecordError(UserError):
    """The person's record cannot be used as asked (a newer, locked or read-only
    database, an import into a record that is not empty): exit status 1."""

    exit_status = 1
