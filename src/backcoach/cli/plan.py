"""``backcoach plan``: this week's self-care plan, in the terminal or as JSON."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from typing import IO, Any, NamedTuple

from backcoach.cli.engine import assessor, catalog
from backcoach.cli.errors import EXIT_OK, UserError
from backcoach.cli.render import wrap
from backcoach.domain.advice import WAY_TITLES, AdviceItem
from backcoach.domain.exercises import CAUTION_MEANINGS, dose_text
from backcoach.domain.model import Assessment
from backcoach.domain.plan import WALKING_SOURCES, Plan, Week, build_plan, seconds
from backcoach.domain.preferences import PreferenceError, Preferences, make_preferences

_FLAGS = {"minutes_per_day": "minutes", "time": "time", "days": "days"}  # field -> option
NO_CASE = "no assessment yet. Run `backcoach assess` first (or give a case file with --case FILE)."


class PlanSource(NamedTuple):
    """What a plan is built from: the assessment, the first day, and the dose step the
    weekly plan changes chose (None: follow the calendar week)."""

    assessment: Assessment
    starts: date
    step: int | None


def plan_source(case_path: str | None, start: str | None, today: date) -> PlanSource:
    """A case file given with --case, else the person's latest assessment and their plan's
    start from the record on this computer."""
    if case_path is not None:
        return PlanSource(_assess(case_path), _start(start, today), None)
    from backcoach.cli.store import open_user_store

    store = open_user_store()
    stored = store.latest_stored_assessment()
    if stored is None:
        raise UserError(NO_CASE)
    plan = store.plan()
    starts = _start(start, plan.starts if plan else today)
    latest = store.latest_adaptation()  # the routine's dose step, once a week has passed
    step = latest.step if latest else None
    return PlanSource(assessor().assess(stored.case), starts, step)


def run(
    *,
    case_path: str | None,
    out: IO[str],
    as_json: bool,
    start: str | None,
    html: str | None = None,
    ics: str | None = None,
    week: int | None,
    startback: str | None,
    minutes: int,
    equipment: str | None,
    time_of_day: str,
    days: str,
    timezone: str,
    today: date,
    exercises: str | None = None,
) -> int:
    try:
        preferences = make_preferences(
            minutes_per_day=minutes,
            equipment=equipment,
            time_of_day=time_of_day,
            days=days,
            timezone=timezone,
            exercises=exercises,
        )
        source = plan_source(case_path, start, today)
        plan = make_plan(source.assessment, preferences, source.starts, startback)
    except PreferenceError as exc:
        raise UserError(f"--{_FLAGS.get(exc.field, exc.field)}: {exc.problem}") from None
    _write_files(plan, ics=ics, html=html, out=out)
    if as_json:
        out.write(json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write(render_plan(plan, week or _week_number(plan, today, source.step)))
    return EXIT_OK


def _write_files(plan: Plan, *, ics: str | None, html: str | None, out: IO[str]) -> None:
    """The calendar and the handout; a file that cannot be written is the user's error."""
    from datetime import UTC, datetime

    if plan.kind == "none" and (ics or html):
        raise UserError("no plan to write: your answers need urgent care first")
    for flag, path in (("--ics", ics), ("--html", html)):
        if path is None:
            continue
        try:
            if flag == "--ics":
                from backcoach.adapters.calendar_ics import write_ics

                write_ics(plan, path, now=datetime.now(UTC))
            else:
                from backcoach.adapters.handout_html import write_html

                write_html(plan, path)
        except OSError as exc:
            raise UserError(f"{flag} {path}: cannot write ({exc.strerror})") from None
        print(f"Wrote {path}", file=sys.stderr)


def make_plan(
    assessment: Assessment, preferences: Preferences, starts: date, startback: str | None
) -> Plan:
    from backcoach.content.advice import load_advice
    from backcoach.content.exercises import load_exercises
    from backcoach.content.loader import ContentError

    try:
        exercises, advice = load_exercises(), load_advice()
    except ContentError as exc:  # a broken install, not the user's input
        raise UserError(f"content files are invalid: {exc}") from None
    startback = startback or _startback_of(assessment)
    serious = [c.id for c in catalog().conditions if c.kind == "serious"]
    return build_plan(
        assessment,
        preferences,
        exercises,
        advice,
        starts,
        startback=startback,
        serious_conditions=serious,
    )


def _assess(case_path: str) -> Assessment:
    from backcoach.cli.assess_files import read_case

    return assessor().assess(read_case(case_path))


def _startback_of(assessment: Assessment) -> str | None:
    answers = assessment.case.questionnaires.get("startback")
    if not answers:
        return None
    from backcoach.services.recovery import startback_category

    return startback_category(answers)


def _start(text: str | None, today: date) -> date:
    from backcoach.cli.clock import parse_date

    return today if text is None else parse_date(text, "--start")


def _week_number(plan: Plan, today: date, step: int | None = None) -> int:
    """The week to show: the dose step the weekly changes chose, else this week."""
    if step is not None and plan.weeks:
        return min(step, len(plan.weeks))
    current = plan.week(today)
    return current.number if current else 1


# --- text ------------------------------------------------------------------------------------


def render_plan(plan: Plan, week_number: int) -> str:
    advice_for_level = catalog().advice(plan.profile.level)
    if plan.kind == "none":
        return (
            "NO SELF-CARE PLAN: your answers need urgent care first.\n\n"
            + wrap(advice_for_level.action, "")
            + "\nRun `backcoach assess` again after you have been seen.\n"
        )
    if not 1 <= week_number <= len(plan.weeks):
        raise UserError(f"--week: this plan has weeks 1 to {len(plan.weeks)}")
    week = plan.weeks[week_number - 1]
    text = _heading(plan, week)
    if plan.kind == "while_you_wait":
        text += wrap(advice_for_level.action, "") + "\n"
    text += _routine(plan, week)
    text += _advice(plan)
    if plan.left_out:
        text += "\nLEFT OUT TO KEEP YOU SAFE\n"
        for exercise_id, tags in plan.left_out:
            why = "; ".join(CAUTION_MEANINGS[t] for t in tags)
            text += wrap(f"{_exercise_name(exercise_id)}: involves {why}.", "  - ", hanging="    ")
    return text


def _heading(plan: Plan, week: Week) -> str:
    top = catalog().condition(plan.profile.conditions[0]).name
    if plan.kind == "while_you_wait":
        title = "WHILE YOU WAIT TO BE SEEN: a gentle plan"
    else:
        title = f"YOUR SELF-CARE PLAN: week {week.number} of {len(plan.weeks)}"
    return (
        f"{title}\n"
        f"From {week.starts:%a %d %b %Y}. Most likely cause: {top.lower()}.\n"
        "Not a diagnosis. Stop anything that makes pain spread down your leg.\n\n"
    )


def _routine(plan: Plan, week: Week) -> str:
    hour, minute = plan.preferences.time_of_day
    minutes = max(1, round(sum(seconds(item.dose) for item in week.routine) / 60))
    if not week.routine:
        return (
            "EXERCISES: wait until a doctor or physiotherapist has seen you; they will\n"
            "tell you which movements are safe. Until then, move gently as comfort allows.\n"
        )
    text = f"YOUR ROUTINE: about {minutes} minutes, at {hour:02d}:{minute:02d} on {_days(plan)}\n"
    for n, item in enumerate(week.routine, start=1):
        text += wrap(f"{n}. {item.exercise.name}: {dose_text(item.dose)}.", "  ", hanging="     ")
        text += wrap(f"{item.exercise.purpose} ({cite(item.exercise.sources)})", "     ")
    text += "\n" + wrap(
        f"WALK: {week.walking_minutes} minutes a day this week, at an easy pace, adding a"
        f" little each week ({cite(WALKING_SOURCES)}).",
        "",
    )
    return text


def _days(plan: Plan) -> str:
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    chosen = plan.preferences.days
    return "every day" if len(chosen) == 7 else ", ".join(names[d] for d in chosen)


SHOWN_PER_WAY = 2
GRADE_ORDER = {"high": 0, "moderate": 1, "low": 2, "very_low": 3, "expert_opinion": 4}


def _advice(plan: Plan) -> str:
    """Per way, the best-supported items (safety-netting in full); the rest are counted."""
    by_way: dict[str, list[AdviceItem]] = {}
    for item in plan.advice:
        by_way.setdefault(item.way, []).append(item)
    text = ""
    for way, items in by_way.items():
        text += f"\n{WAY_TITLES[way].upper()}\n"
        advised = [i for i in items if not i.id.startswith("do_not_")]
        not_advised = [i for i in items if i.id.startswith("do_not_")]
        limit = len(advised) if way == "safety_net" else SHOWN_PER_WAY
        shown = sorted(advised, key=lambda i: GRADE_ORDER[i.evidence])[:limit]
        for item in shown:
            text += wrap(f"{item.title}. {item.text}", "  - ", hanging="    ")
            grade = item.evidence.replace("_", " ")
            text += wrap(
                f"Evidence: {grade}. {item.evidence_note} Source: {cite(item.sources)}.", "    "
            )
            for caution in item.cautions:
                text += wrap(f"Take care: {caution}", "    ")
        if not_advised:
            names = ", ".join(i.title.removeprefix("Not advised: ") for i in not_advised)
            text += wrap(f"Not advised by NICE: {names}.", "  - ", hanging="    ")
        if len(advised) > len(shown):
            more = len(advised) - len(shown)
            text += f"    (+{more} more in `backcoach plan --json`)\n"
    return text


def cite(source_ids: tuple[str, ...]) -> str:
    """Short names for sources: "NICE 2016", "Kovacs 2003", "NHS inform 2023"."""
    by_id = {s.id: s for s in catalog().sources}
    names = []
    for source_id in source_ids[:2]:
        source = by_id[source_id]
        acronym = re.search(r"\(([A-Z]{2,})\)", source.by)
        who = acronym.group(1) if acronym else re.split(r",| et al|\.", source.by)[0]
        names.append(f"{who.strip()} {source.year}")
    return "; ".join(names)


def _exercise_name(exercise_id: str) -> str:
    from backcoach.content.exercises import load_exercise

    return load_exercise(exercise_id).name


# --- JSON ------------------------------------------------------------------------------------


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    profile = plan.profile
    prefs = plan.preferences
    return {
        "kind": plan.kind,
        "level": profile.level.id,
        "starts": plan.starts.isoformat(),
        "likely_conditions": list(profile.conditions),
        "startback": profile.startback,
        "avoid": sorted(profile.avoid),
        "preferences": {
            "minutes_per_day": prefs.minutes_per_day,
            "equipment": sorted(prefs.equipment),
            "time_of_day": "{:02d}:{:02d}".format(*prefs.time_of_day),
            "days": list(prefs.days),
            "timezone": prefs.timezone,
        },
        "weeks": [
            {
                "number": week.number,
                "starts": week.starts.isoformat(),
                "walking_minutes": week.walking_minutes,
                "routine": [
                    {
                        "exercise": item.exercise.id,
                        "name": item.exercise.name,
                        "dose": item.dose._asdict(),
                        "dose_text": dose_text(item.dose),
                        "stop_if": item.exercise.stop_if,
                        "sources": list(item.exercise.sources),
                    }
                    for item in week.routine
                ],
            }
            for week in plan.weeks
        ],
        "advice": [
            {
                "id": item.id,
                "way": item.way,
                "title": item.title,
                "text": item.text,
                "evidence": item.evidence,
                "evidence_note": item.evidence_note,
                "cautions": list(item.cautions),
                "sources": list(item.sources),
            }
            for item in plan.advice
        ],
        "left_out": [{"exercise": e, "cautions": list(tags)} for e, tags in plan.left_out],
    }
