"""The plan as an RFC 5545 calendar (.ics), for importing into a phone or desktop calendar.

Built with ``icalendar``. What the file holds:

- ``VERSION:2.0``, ``PRODID``, ``CALSCALE:GREGORIAN``, a name (``NAME`` and
  ``X-WR-CALNAME``), a description, and a ``VTIMEZONE`` for the person's time zone
  (``add_missing_timezones``; none for UTC, which is written with ``Z``);
- for each week of the plan, one routine event that repeats on the chosen days of that
  week only (``RRULE:FREQ=WEEKLY;BYDAY=...;COUNT=<chosen days>``, starting on the first
  chosen day of the week) with that week's exercises and doses; one RRULE per week
  because the doses change from week to week;
- for each week, a daily walk reminder of that week's walking minutes
  (``FREQ=DAILY;COUNT=7``), at 12:00, or 17:30 when the routine starts between 11:00 and
  12:59; none in a "while you wait" plan whose routine the builder held back (exercise
  waits until a clinician has seen the person);
- a daily 5-minute breathing break at 15:00 for the whole plan;
- for desk workers only, three short movement breaks on workdays (10:30, 12:30, 15:30);
- a weekly check-in at 19:00 on the start's weekday, from one week after the start (after
  week 1, ..., and the last one just after the plan ends).

Every event has ``DTSTAMP`` (the export time, UTC), a ``UID`` that depends only on the
plan's kind, start date, event type and week (so exporting the same plan again and
re-importing updates the events rather than duplicating them), ``SEQUENCE:0``, and a
display alarm 10 minutes before. Some calendar apps (Google Calendar among them) ignore
alarms in imported files; the calendar says so in its description.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vText

from backcoach import __version__
from backcoach.adapters.paths import write_atomically
from backcoach.domain.exercises import dose_text
from backcoach.domain.plan import Plan, Week, seconds

CALENDAR_NAME: Final = "backcoach plan"
PRODID: Final = f"-//backcoach//backcoach {__version__}//EN"
ALARM_NOTE: Final = (
    "Some calendar apps (for example Google Calendar) ignore alarms in imported files; "
    "set reminders in the app if you need them."
)
ALARM_BEFORE: Final = timedelta(minutes=10)
BYDAY: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # Monday = 0, as in Preferences
WORKDAYS: Final = (0, 1, 2, 3, 4)

BREATHING_AT: Final = time(15, 0)
BREATHING_MINUTES: Final = 5
WALK_AT: Final = time(12, 0)
WALK_AT_IF_ROUTINE_MIDDAY: Final = time(17, 30)
MOVEMENT_BREAKS_AT: Final = (time(10, 30), time(12, 30), time(15, 30))
MOVEMENT_BREAK_MINUTES: Final = 5
CHECK_IN_AT: Final = time(19, 0)
CHECK_IN_MINUTES: Final = 10

STOP_RULE: Final = (
    "Stop any movement that sends pain further down your leg. "
    "Run `backcoach routine` to be guided through it."
)
CHECK_IN_TEXT: Final = (
    "How is your back? Run `backcoach assess` again if anything new appears; see a GP or "
    "physiotherapist if it is not better after 2 weeks."
)


class _Item(NamedTuple):
    """One (usually recurring) event before it becomes a VEVENT."""

    key: str  # event type and week: the part of the UID that is not the plan's
    summary: str
    description: str
    start: datetime
    minutes: int
    rrule: Mapping[str, object]
    busy: bool = True


def plan_calendar(plan: Plan, now: datetime) -> Calendar:
    """The plan as a calendar. ``now`` (time zone aware) becomes every event's DTSTAMP.

    Raises ValueError for a plan of kind "none" (urgent care, no self-care plan) and for a
    naive ``now``.
    """
    if plan.kind == "none" or not plan.weeks:
        raise ValueError("no calendar for this result: it needs urgent care, not a plan")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be time zone aware")
    stamp = now.astimezone(UTC)
    zone = ZoneInfo(plan.preferences.timezone)

    cal = Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", PRODID)
    cal.add("calscale", "GREGORIAN")
    # icalendar types NAME and X- properties as unknown (no escaping); say they are text.
    cal.add("name", vText(CALENDAR_NAME))
    cal.add("x-wr-calname", vText(CALENDAR_NAME))
    description = _calendar_description(plan)
    cal.add("description", description)
    cal.add("x-wr-caldesc", vText(description))
    cal.add("x-backcoach-note", vText(ALARM_NOTE))
    for item in _items(plan, zone):
        cal.add_component(_event(plan, item, stamp))
    # Only the transitions the events need (and a year more, for events moved later):
    # a short VTIMEZONE instead of every change since 1970.
    last = plan.starts + timedelta(weeks=len(plan.weeks) + 1, days=366)
    cal.add_missing_timezones(first_date=plan.starts, last_date=last)
    return cal


def write_ics(plan: Plan, path: str, now: datetime) -> None:
    """Write the plan's calendar to ``path`` atomically (a temporary file in the same
    folder, then a rename). OSError when the folder is missing or not writable."""
    data = plan_calendar(plan, now).to_ical()
    write_atomically(path, data)


# --- what goes in -----------------------------------------------------------------------


def _items(plan: Plan, zone: ZoneInfo) -> list[_Item]:
    prefs = plan.preferences
    total_weeks = len(plan.weeks)
    waiting = plan.kind == "while_you_wait"
    hour, minute = prefs.time_of_day
    routine_at = time(hour, minute)
    walk_at = WALK_AT_IF_ROUTINE_MIDDAY if 11 <= hour <= 12 else WALK_AT
    # A while-you-wait plan with no routine holds exercise until a clinician has seen the
    # person (the plan builder decides); the calendar then sets no walking goal either.
    exercise_held = waiting and not any(week.routine for week in plan.weeks)

    items: list[_Item] = []
    for week in plan.weeks:
        first = _first_on_or_after(week.starts, prefs.days)
        if week.routine:
            items.append(
                _Item(
                    key=f"routine|week-{week.number}",
                    summary=(
                        "Gentle back routine"
                        if waiting
                        else f"Back routine (week {week.number} of {total_weeks})"
                    ),
                    description=_routine_description(plan, week),
                    start=_at(first, routine_at, zone),
                    minutes=_routine_minutes(week),
                    rrule={
                        "freq": "weekly",
                        "byday": [BYDAY[d] for d in prefs.days],
                        "count": len(prefs.days),  # each chosen weekday once in 7 days
                    },
                )
            )
        if exercise_held:
            continue
        items.append(
            _Item(
                key=f"walk|week-{week.number}",
                summary=f"Walk: {week.walking_minutes} minutes",
                description=_walk_description(plan, week),
                start=_at(week.starts, walk_at, zone),
                minutes=week.walking_minutes,
                rrule={"freq": "daily", "count": 7},
            )
        )
    items.append(
        _Item(
            key="breathing",
            summary="Breathing break: 10 slow breaths",
            description=_breathing_description(plan),
            start=_at(plan.starts, BREATHING_AT, zone),
            minutes=BREATHING_MINUTES,
            rrule={"freq": "daily", "count": 7 * total_weeks},
            busy=False,
        )
    )
    if "desk_work_long_hours" in plan.profile.present:
        first_workday = _first_on_or_after(plan.starts, WORKDAYS)
        for at in MOVEMENT_BREAKS_AT:
            items.append(
                _Item(
                    key=f"movement-break|{at:%H%M}",
                    summary="Movement break: stand up and move",
                    description=_movement_description(plan),
                    start=_at(first_workday, at, zone),
                    minutes=MOVEMENT_BREAK_MINUTES,
                    rrule={
                        "freq": "weekly",
                        "byday": [BYDAY[d] for d in WORKDAYS],
                        "count": len(WORKDAYS) * total_weeks,
                    },
                    busy=False,
                )
            )
    items.append(
        _Item(
            key="check-in",
            summary="Back check-in",
            description=_check_in_description(plan),
            start=_at(plan.starts + timedelta(days=7), CHECK_IN_AT, zone),
            minutes=CHECK_IN_MINUTES,
            rrule={"freq": "weekly", "count": total_weeks},
            busy=False,
        )
    )
    return items


def _event(plan: Plan, item: _Item, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", event_uid(plan, item.key))
    event.add("dtstamp", stamp)
    event.add("sequence", 0)
    event.add("summary", item.summary)
    event.add("description", item.description)
    event.add("dtstart", item.start)
    event.add("dtend", item.start + timedelta(minutes=item.minutes))
    event.add("rrule", dict(item.rrule))
    if not item.busy:
        event.add("transp", "TRANSPARENT")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -ALARM_BEFORE)
    alarm.add("description", item.summary)
    event.add_component(alarm)
    return event


def event_uid(plan: Plan, key: str) -> str:
    """A UID from the plan's content only: kind, start date and the event's key."""
    digest = hashlib.sha256(f"{plan.kind}|{plan.starts.isoformat()}|{key}".encode()).hexdigest()
    return f"{digest[:32]}@backcoach"


# --- plain words ------------------------------------------------------------------------


def _calendar_description(plan: Plan) -> str:
    weeks = len(plan.weeks)
    lines = [
        f"Your backcoach self-care plan from {plan.starts:%d %B %Y}, "
        f"{weeks} week{'s' if weeks != 1 else ''}. Not a diagnosis."
    ]
    if plan.kind == "while_you_wait":
        lines.append(_see_someone(plan))
    lines.append(ALARM_NOTE)
    return "\n".join(lines)


def _routine_description(plan: Plan, week: Week) -> str:
    minutes = _routine_minutes(week)
    if plan.kind == "while_you_wait":
        lines = [
            _see_someone(plan),
            "",
            f"A gentle routine while you wait, about {minutes} minutes:",
        ]
    else:
        lines = [
            f"Week {week.number} of {len(plan.weeks)}: your back routine, about {minutes} minutes:"
        ]
    lines += [
        f"{n}. {item.exercise.name}: {dose_text(item.dose)}."
        for n, item in enumerate(week.routine, start=1)
    ]
    lines += ["", STOP_RULE]
    return "\n".join(lines)


def _walk_description(plan: Plan, week: Week) -> str:
    return _with_advice(
        f"Walk for {week.walking_minutes} minutes today, at an easy pace.",
        plan,
        ("exercise_walking_goal",),
    )


def _breathing_description(plan: Plan) -> str:
    return _with_advice(
        "Take 10 slow breaths: in through your nose for a count of 4, out through your "
        "mouth for a count of 6. Run `backcoach breathe` to be paced.",
        plan,
        ("breathing_short_meditation",),
    )


def _movement_description(plan: Plan) -> str:
    return _with_advice(
        "Stand up, walk or stretch for a minute or two.", plan, ("desk_setup_for_comfort",)
    )


def _check_in_description(plan: Plan) -> str:
    if plan.kind == "while_you_wait":
        return (
            "How is your back? Have you been seen yet? "
            + _see_someone(plan)
            + " Run `backcoach assess` again if anything new appears."
        )
    return CHECK_IN_TEXT


def _with_advice(text: str, plan: Plan, advice_ids: Sequence[str]) -> str:
    """``text``, then the plan's own advice on the same topic when the plan has it."""
    extra = [f"{a.title}: {a.text}" for a in plan.advice if a.id in advice_ids]
    return "\n\n".join([text, *extra])


def _see_someone(plan: Plan) -> str:
    from backcoach.content.loader import load_catalog

    advice = load_catalog().advice(plan.profile.level)
    return f"{advice.headline}. {advice.action}"


# --- dates ------------------------------------------------------------------------------


def _routine_minutes(week: Week) -> int:
    """The routine's length as the terminal view shows it (seconds rounded to minutes)."""
    return max(1, round(sum(seconds(item.dose) for item in week.routine) / 60))


def _first_on_or_after(day: date, weekdays: Sequence[int]) -> date:
    """The first day from ``day`` (within a week) whose weekday is in ``weekdays``."""
    return min(day + timedelta(days=(w - day.weekday()) % 7) for w in weekdays)


def _at(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)
