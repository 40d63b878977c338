"""The plan as an .ics calendar: built from real content, exported, parsed back with icalendar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Component

from backcoach.adapters.calendar_ics import ALARM_NOTE, plan_calendar, write_ics
from backcoach.content.advice import load_advice
from backcoach.content.exercises import load_exercises
from backcoach.content.loader import load_catalog
from backcoach.domain.assessment import Assessor
from backcoach.domain.exercises import dose_text
from backcoach.domain.model import Case
from backcoach.domain.plan import Plan, build_plan
from backcoach.domain.preferences import make_preferences

START = date(2026, 11, 30)  # a Monday
NOW = datetime(2026, 11, 29, 18, 45, 12, tzinfo=UTC)
LATER = datetime(2027, 1, 3, 7, 5, tzinfo=ZoneInfo("Europe/Berlin"))
LONDON = "Europe/London"

ALL_CLEAR = dict.fromkeys(
    (
        "pain_both_legs",
        "leg_weakness",
        "saddle_numbness",
        "urinary_retention",
        "urinary_incontinence_new",
        "bowel_incontinence_new",
        "trauma_major",
        "pain_constant_night",
        "fever",
        "unexplained_weight_loss",
        "history_of_cancer",
        "immunosuppressed",
        "iv_drug_use",
        "long_term_steroids",
        "osteoporosis",
    ),
    "absent",
)
DESK_WORKER = {
    **ALL_CLEAR,
    "pain_lower_back": "present",
    "desk_work_long_hours": "present",
    "pain_mechanical": "present",
}
RUNNER = {  # shared/spec/examples/runner-doms.json
    **ALL_CLEAR,
    "pain_lower_back": "present",
    "onset_delayed_after_exercise": "present",
    "runner": "present",
    "recent_training_increase": "present",
    "muscles_tender_sore": "present",
    "pain_mechanical": "present",
    "pain_leg_below_knee": "absent",
    "numbness_tingling_leg": "absent",
}
INFLAMMATORY = {  # a routine GP referral (NICE NG65): a "while you wait" plan
    **ALL_CLEAR,
    "pain_lower_back": "present",
    "pain_buttock": "present",
    "morning_stiffness_long": "present",
    "better_with_exercise_not_rest": "present",
    "night_waking_second_half": "present",
    "pain_mechanical": "absent",
}
CAUDA_EQUINA = {  # shared/spec/examples/cauda-equina.json
    "pain_lower_back": "present",
    "pain_both_legs": "present",
    "pain_leg_below_knee": "present",
    "saddle_numbness": "present",
    "urinary_retention": "present",
}


@cache
def assessor() -> Assessor:
    return Assessor(load_catalog())


def make_plan(
    findings: Mapping[str, str],
    *,
    starts: date = START,
    days: str = "mon,wed,fri",
    time_of_day: str = "07:30",
    timezone: str = LONDON,
    age: int = 35,
    duration_days: int | None = None,
) -> Plan:
    case = Case(
        age=age,
        sex="female",
        findings=dict(findings),  # type: ignore[arg-type]
        pain_intensity=4,
        duration_days=duration_days,
    )
    preferences = make_preferences(days=days, time_of_day=time_of_day, timezone=timezone)
    return build_plan(assessor().assess(case), preferences, load_exercises(), load_advice(), starts)


def exported(plan: Plan, now: datetime = NOW) -> Calendar:
    """Export to text and parse it back, as a calendar app would."""
    return Calendar.from_ical(plan_calendar(plan, now).to_ical())


def events(cal: Calendar) -> list[Component]:
    return list(cal.walk("VEVENT"))


def by_summary(cal: Calendar, start: str) -> list[Component]:
    return [e for e in events(cal) if str(e["SUMMARY"]).startswith(start)]


def occurrences(event: Component) -> list[datetime]:
    rule = event["RRULE"].to_ical().decode()
    return list(rrulestr(rule, dtstart=event.decoded("DTSTART")))


def minutes(event: Component) -> float:
    length: timedelta = event.decoded("DTEND") - event.decoded("DTSTART")
    return length.total_seconds() / 60


def text(component: Component, name: str) -> str:
    value: Any = component.decoded(name)
    return value.decode() if isinstance(value, bytes) else str(value)


# --- the calendar --------------------------------------------------------------------------


def test_calendar_header_and_time_zone() -> None:
    cal = exported(make_plan(DESK_WORKER))
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).startswith("-//backcoach//")
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["X-WR-CALNAME"]) == "backcoach plan"
    assert ALARM_NOTE in text(cal, "DESCRIPTION")
    note = str(cal["X-BACKCOACH-NOTE"])  # the parser leaves X- properties escaped
    assert note.replace("\\;", ";").replace("\\,", ",") == ALARM_NOTE
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [LONDON]


def test_every_event_is_complete_with_an_alarm() -> None:
    cal = exported(make_plan(DESK_WORKER))
    assert events(cal)
    for event in events(cal):
        assert event.decoded("DTSTAMP") == NOW
        assert str(event["UID"]).endswith("@backcoach")
        assert event["DTSTART"].params["TZID"] == LONDON
        assert event["DTEND"].params["TZID"] == LONDON
        assert event.decoded("DTSTART").tzinfo is not None
        assert minutes(event) > 0
        assert str(event["SUMMARY"])
        assert text(event, "DESCRIPTION")
        assert int(event["SEQUENCE"]) == 0
        alarms = event.walk("VALARM")
        assert len(alarms) == 1
        assert str(alarms[0]["ACTION"]) == "DISPLAY"
        assert alarms[0].decoded("TRIGGER") == timedelta(minutes=-10)
        assert text(alarms[0], "DESCRIPTION")


def test_the_file_text_follows_rfc_5545() -> None:
    raw = plan_calendar(make_plan(DESK_WORKER), NOW).to_ical()
    lines = raw.split(b"\r\n")
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-2] == b"END:VCALENDAR"
    assert all(len(line) <= 75 for line in lines)
    assert b"VERSION:2.0\r\n" in raw
    assert b"DTSTAMP:20261129T184512Z\r\n" in raw
    assert b"DTSTART;TZID=Europe/London:20261130T073000\r\n" in raw
    assert b"TRIGGER:-PT10M\r\n" in raw


# --- the events ----------------------------------------------------------------------------


def test_routine_recurs_on_the_chosen_days_week_by_week() -> None:
    plan = make_plan(DESK_WORKER, starts=date(2026, 12, 2), days="mon,wed,fri")  # a Wednesday
    cal = exported(plan)
    routines = by_summary(cal, "Back routine")
    assert len(routines) == len(plan.weeks) == 6
    seen: list[datetime] = []
    for week, event in zip(plan.weeks, routines, strict=True):
        rule = event["RRULE"]
        assert rule["FREQ"] == ["WEEKLY"]
        assert rule["BYDAY"] == ["MO", "WE", "FR"]
        assert rule["COUNT"] == [3]
        days = occurrences(event)
        assert [d.weekday() for d in days] == [2, 4, 0]  # Wed, Fri, then Monday
        for day in days:
            assert week.starts <= day.date() < week.starts + timedelta(days=7)
            assert day.time() == time(7, 30)
        description = text(event, "DESCRIPTION")
        assert f"Week {week.number} of 6" in description
        for item in week.routine:
            assert f"{item.exercise.name}: {dose_text(item.dose)}." in description
        seen += days
    # Together: every chosen day of the 6 weeks, once.
    span = [plan.starts + timedelta(days=n) for n in range(42)]
    assert [d.date() for d in seen] == [d for d in span if d.weekday() in (0, 2, 4)]


def test_routine_every_day_at_the_chosen_time() -> None:
    plan = make_plan(DESK_WORKER, days="mon,tue,wed,thu,fri,sat,sun", time_of_day="18:15")
    for event in by_summary(exported(plan), "Back routine"):
        assert event["RRULE"]["COUNT"] == [7]
        assert event["RRULE"]["BYDAY"] == ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        assert {d.time() for d in occurrences(event)} == {time(18, 15)}


def test_walk_breathing_and_check_in() -> None:
    plan = make_plan(DESK_WORKER)
    cal = exported(plan)
    walks = by_summary(cal, "Walk")
    assert [minutes(w) for w in walks] == [w.walking_minutes for w in plan.weeks]
    for week, walk in zip(plan.weeks, walks, strict=True):
        assert walk["RRULE"]["FREQ"] == ["DAILY"] and walk["RRULE"]["COUNT"] == [7]
        assert occurrences(walk)[0].date() == week.starts
        assert f"{week.walking_minutes} minutes" in text(walk, "DESCRIPTION")

    (breathing,) = by_summary(cal, "Breathing break")
    assert "10 slow breaths" in str(breathing["SUMMARY"])
    assert minutes(breathing) == 5
    days = occurrences(breathing)
    assert len(days) == 42 and {d.time() for d in days} == {time(15, 0)}

    (check_in,) = by_summary(cal, "Back check-in")
    assert minutes(check_in) == 10
    days = occurrences(check_in)
    assert [d.date() for d in days] == [START + timedelta(weeks=n) for n in range(1, 7)]
    assert {d.time() for d in days} == {time(19, 0)}
    description = text(check_in, "DESCRIPTION")
    assert "How is your back?" in description
    assert "backcoach assess" in description
    assert "GP or physiotherapist" in description and "2 weeks" in description


def test_desk_worker_gets_movement_breaks_and_runner_does_not() -> None:
    desk = exported(make_plan(DESK_WORKER, starts=date(2026, 12, 5)))  # a Saturday
    breaks = by_summary(desk, "Movement break")
    assert len(breaks) == 3
    times = set()
    for event in breaks:
        assert event["RRULE"]["BYDAY"] == ["MO", "TU", "WE", "TH", "FR"]
        days = occurrences(event)
        assert len(days) == 30  # 5 workdays x 6 weeks
        assert {d.weekday() for d in days} == {0, 1, 2, 3, 4}
        assert days[0].date() == date(2026, 12, 7)  # the first Monday
        assert days[-1].date() < date(2026, 12, 5) + timedelta(weeks=6)
        times |= {d.time() for d in days}
    assert times == {time(10, 30), time(12, 30), time(15, 30)}

    runner = exported(make_plan(RUNNER))
    assert by_summary(runner, "Movement break") == []
    assert by_summary(runner, "Back routine")


def test_while_you_wait_exports_one_week_and_says_to_get_seen() -> None:
    plan = make_plan(INFLAMMATORY, age=27, duration_days=150)
    assert plan.kind == "while_you_wait" and len(plan.weeks) == 1
    cal = exported(plan)
    routines = by_summary(cal, "Gentle back routine")
    assert len(routines) == len(by_summary(cal, "Walk")) == 1
    assert by_summary(cal, "Back routine") == []
    assert routines[0]["RRULE"]["COUNT"] == [3]
    (breathing,) = by_summary(cal, "Breathing break")
    assert len(occurrences(breathing)) == 7
    (check_in,) = by_summary(cal, "Back check-in")
    assert len(occurrences(check_in)) == 1
    assert "GP" in text(check_in, "DESCRIPTION")
    assert "GP or physiotherapist" in text(routines[0], "DESCRIPTION")


def test_while_you_wait_without_a_routine_sets_no_exercise() -> None:
    # The builder holds the routine back when a serious cause leads or the doctor is
    # needed today; the calendar then has no routine and no walking goal either.
    plan = make_plan(INFLAMMATORY, age=27, duration_days=150)
    held = plan._replace(weeks=tuple(w._replace(routine=()) for w in plan.weeks))
    cal = exported(held)
    assert by_summary(cal, "Gentle back routine") == by_summary(cal, "Walk") == []
    assert by_summary(cal, "Breathing break") and by_summary(cal, "Back check-in")


def test_walk_moves_to_the_evening_when_the_routine_is_at_midday() -> None:
    cal = exported(make_plan(DESK_WORKER, time_of_day="12:00"))
    assert {w.decoded("DTSTART").time() for w in by_summary(cal, "Walk")} == {time(17, 30)}


def test_emergency_plan_is_never_exported(tmp_path: Path) -> None:
    plan = make_plan(CAUDA_EQUINA, age=41)
    assert plan.kind == "none"
    with pytest.raises(ValueError, match="urgent care"):
        plan_calendar(plan, NOW)
    with pytest.raises(ValueError):
        write_ics(plan, str(tmp_path / "plan.ics"), now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        plan_calendar(make_plan(DESK_WORKER), datetime(2026, 11, 29, 18, 0))


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "Australia/Sydney"])
def test_time_zones(zone: str) -> None:
    cal = exported(make_plan(DESK_WORKER, timezone=zone))
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [zone]
    assert {e["DTSTART"].params["TZID"] for e in events(cal)} == {zone}


def test_wall_time_is_kept_across_a_clock_change() -> None:
    plan = make_plan(DESK_WORKER, starts=date(2027, 3, 15), days="mon,tue,wed,thu,fri,sat,sun")
    cal = exported(plan)
    days = [d for e in by_summary(cal, "Back routine") for d in occurrences(e)]
    assert {d.time() for d in days} == {time(7, 30)}
    assert {d.utcoffset() for d in days} == {timedelta(0), timedelta(hours=1)}  # GMT, then BST


# --- stable UIDs ---------------------------------------------------------------------------


def test_uids_are_stable_across_exports_and_unique_within_a_file() -> None:
    plan = make_plan(DESK_WORKER)
    first, second = exported(plan, NOW), exported(plan, LATER)
    uids = [str(e["UID"]) for e in events(first)]
    assert uids == [str(e["UID"]) for e in events(second)]
    assert len(set(uids)) == len(uids)
    assert {e.decoded("DTSTAMP") for e in events(second)} == {LATER.astimezone(UTC)}


def test_only_dtstamp_changes_between_exports() -> None:
    plan = make_plan(DESK_WORKER)

    def without_stamps(now: datetime) -> list[bytes]:
        raw = plan_calendar(plan, now).to_ical().split(b"\r\n")
        return [line for line in raw if not line.startswith(b"DTSTAMP:")]

    assert without_stamps(NOW) == without_stamps(LATER)


def test_a_different_plan_gets_different_uids() -> None:
    one = {str(e["UID"]) for e in events(exported(make_plan(DESK_WORKER)))}
    later_start = make_plan(DESK_WORKER, starts=START + timedelta(days=7))
    other = {str(e["UID"]) for e in events(exported(later_start))}
    assert one.isdisjoint(other)


def test_same_plan_at_another_time_keeps_its_uids() -> None:
    # Moving the routine to the evening updates the events instead of adding new ones.
    morning = [str(e["UID"]) for e in events(exported(make_plan(DESK_WORKER)))]
    evening = make_plan(DESK_WORKER, time_of_day="19:45")
    assert [str(e["UID"]) for e in events(exported(evening))] == morning


# --- the file ------------------------------------------------------------------------------


def test_write_ics_replaces_the_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "plan.ics"
    path.write_text("old")
    write_ics(make_plan(DESK_WORKER), str(path), now=NOW)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.ics"]
    assert Calendar.from_ical(path.read_bytes())["VERSION"] == "2.0"


def test_write_ics_to_a_missing_folder_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_ics(make_plan(DESK_WORKER), str(tmp_path / "no-such-folder" / "plan.ics"), NOW)
    assert list(tmp_path.iterdir()) == []


# --- through the command -------------------------------------------------------------------


def run_plan(
    tmp_path: Path, findings: Mapping[str, str], ics: Path
) -> subprocess.CompletedProcess[str]:
    case = tmp_path / "case.json"
    case.write_text(
        json.dumps({"age": 35, "sex": "female", "pain_intensity": 4, "findings": findings})
    )
    env = {**os.environ, "BACKCOACH_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "backcoach", "plan", "--case", str(case), "--ics", str(ics)]
    command += ["--start", "2026-11-30", "--timezone", LONDON]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_plan_command_writes_a_calendar(tmp_path: Path) -> None:
    out = tmp_path / "out.ics"
    result = run_plan(tmp_path, DESK_WORKER, out)
    assert result.returncode == 0, result.stderr
    cal = Calendar.from_ical(out.read_bytes())
    assert str(cal["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == [LONDON]
    assert by_summary(cal, "Back routine") and by_summary(cal, "Movement break")
    assert by_summary(cal, "Back routine")[0].decoded("DTSTART").date() == START


def test_plan_command_names_the_flag_when_it_cannot_write(tmp_path: Path) -> None:
    result = run_plan(tmp_path, DESK_WORKER, tmp_path / "missing" / "out.ics")
    assert result.returncode == 2
    assert "--ics" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "missing").exists()


def test_plan_command_refuses_a_calendar_for_an_emergency(tmp_path: Path) -> None:
    out = tmp_path / "out.ics"
    result = run_plan(tmp_path, CAUDA_EQUINA, out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert not out.exists()
