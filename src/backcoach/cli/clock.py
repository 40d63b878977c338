"""Today and now, for the commands. Read once per command and passed in, never read deep
inside: the domain and services take them as arguments.

``BACKCOACH_TODAY=YYYY-MM-DD`` sets the day (at noon UTC) for tests and demonstrations,
so that weeks of check-ins can be replayed in seconds.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, tzinfo

from backcoach.cli.errors import UserError

TODAY_ENV = "BACKCOACH_TODAY"


def today() -> date:
    text = os.environ.get(TODAY_ENV)
    return parse_date(text, TODAY_ENV) if text else date.today()


def parse_date(text: str, where: str) -> date:
    """``2026-11-30`` as a date; UserError naming ``where`` (a flag, a variable) else."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{where}: use a date like 2026-11-30 (got {text!r})") from None


def now() -> datetime:
    if os.environ.get(TODAY_ENV):
        return datetime.combine(today(), time(12, 0), tzinfo=UTC)
    return datetime.now(UTC)


def local_timezone() -> tzinfo:
    """This computer's time zone: which day a run belongs to is the person's local day."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC
