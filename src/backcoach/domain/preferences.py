"""What the person wants from a plan: time, equipment, when and on which days.

Checked here, in the domain, so every entry point (CLI flags, a web form, a stored
profile) refuses the same impossible values with the same field-naming message.
"""

from __future__ import annotations

from typing import Final, NamedTuple

EQUIPMENT: Final = ("none", "mat", "chair", "towel", "wall", "pillow")
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_MINUTES: Final = 5
MAX_MINUTES: Final = 120  # a daily back routine longer than two hours is not a plan we write


class PreferenceError(ValueError):
    """An impossible preference. ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class Preferences(NamedTuple):
    minutes_per_day: int = 15
    equipment: frozenset[str] = frozenset({"none", "mat", "chair", "towel", "wall", "pillow"})
    time_of_day: tuple[int, int] = (8, 0)  # hour, minute: when the routine is done
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # weekdays, Monday = 0
    timezone: str = "UTC"
    exercises: tuple[str, ...] = ()  # a custom routine, by exercise id; empty: chosen for you


def make_preferences(
    *,
    minutes_per_day: int = 15,
    equipment: str | None = None,
    time_of_day: str = "08:00",
    days: str = "mon,tue,wed,thu,fri,sat,sun",
    timezone: str = "UTC",
    exercises: str | None = None,
) -> Preferences:
    """Preferences from the plain strings a person types; raises PreferenceError."""
    if not MIN_MINUTES <= minutes_per_day <= MAX_MINUTES:
        raise PreferenceError(
            "minutes_per_day",
            f"must be from {MIN_MINUTES} to {MAX_MINUTES} minutes (got {minutes_per_day})",
        )
    kit = frozenset(EQUIPMENT) if equipment is None else _equipment(equipment)
    return Preferences(
        minutes_per_day=minutes_per_day,
        equipment=kit | {"none"},
        time_of_day=_time(time_of_day),
        days=_days(days),
        timezone=_timezone(timezone),
        exercises=_exercise_ids(exercises),
    )


def _exercise_ids(text: str | None) -> tuple[str, ...]:
    """The ids only; the plan builder checks them against the library and the person."""
    if text is None:
        return ()
    ids = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    if not ids:
        raise PreferenceError("exercises", "list at least one exercise id, e.g. knee_rolls")
    return ids


def _equipment(text: str) -> frozenset[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in EQUIPMENT:
            raise PreferenceError(
                "equipment", f"unknown equipment {name!r} (choose from {', '.join(EQUIPMENT)})"
            )
    return frozenset(names)


def _time(text: str) -> tuple[int, int]:
    hours, _, minutes = text.strip().partition(":")
    try:
        hour, minute = int(hours), int(minutes or "0")
    except ValueError:
        raise PreferenceError("time", f"use HH:MM, like 07:30 (got {text!r})") from None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise PreferenceError("time", f"use a time of day from 00:00 to 23:59 (got {text!r})")
    return hour, minute


def _days(text: str) -> tuple[int, ...]:
    chosen = []
    for name in (n.strip().lower()[:3] for n in text.split(",") if n.strip()):
        if name not in WEEKDAYS:
            raise PreferenceError("days", f"unknown day {name!r} (use mon, tue, ... sun)")
        chosen.append(WEEKDAYS.index(name))
    if not chosen:
        raise PreferenceError("days", "choose at least one day")
    return tuple(sorted(set(chosen)))


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PreferenceError(
            "timezone", f"unknown time zone {name!r}, e.g. Europe/London"
        ) from None
    return name
