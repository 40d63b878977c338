"""Errors the CLI reports in one line, without a traceback."""

from __future__ import annotations

EXIT_OK = 0
EXIT_SOME_BAD_LINES = 1
EXIT_INVALID_INPUT = 2


class UserError(Exception):
    """Bad input from the person or script running the command (exit status 2)."""

    exit_status = EXIT_INVALID_INPUT
