"""Translation between domain values and rows: the only place that knows both."""

from __future__ import annotations

from typing import Any

from backcoach.adapters.caseio import case_from_dict
from backcoach.domain.model import Case
from backcoach.domain.recovery import Adaptation, CheckIn
from backcoach.domain.running import ActivitySummary


def case_to_dict(case: Case) -> dict[str, Any]:
    """A Case as the JSON of a case file (with the questionnaires extension)."""
    data: dict[str, Any] = {"age": case.age, "sex": case.sex, "findings": dict(case.findings)}
    for field in ("pain_intensity", "duration_days", "id", "text"):
        value = getattr(case, field)
        if value is not None:
            data[field] = value
    if case.questionnaires:
        data["questionnaires"] = {q: dict(items) for q, items in case.questionnaires.items()}
    return data


def case_from_row(data: Any) -> Case:
    """The Case back from its stored JSON. Findings are checked against those stored, not
    today's catalog: the record keeps what was answered then."""
    findings = data.get("findings") if isinstance(data, dict) else None
    return case_from_dict(data, set(findings) if isinstance(findings, dict) else set())


CHECKIN_FIELDS = (
    "pain",
    "pain_worst",
    "sleep_hours",
    "sleep_quality",
    "stress",
    "activity_minutes",
    "routine_done",
    "note",
)


def checkin_fields(checkin: CheckIn) -> dict[str, Any]:
    """The row's fields for a check-in (without person, episode and times)."""
    fields: dict[str, Any] = {name: getattr(checkin, name) for name in CHECKIN_FIELDS}
    fields.update(
        day=checkin.day,
        areas=list(checkin.areas),
        medicines=list(checkin.medicines),
        screen=dict(checkin.screen),
        peg=list(checkin.peg) if checkin.peg is not None else None,
        startback=dict(checkin.startback),
        rmdq=dict(checkin.rmdq),
    )
    return fields


def checkin_from_row(row: Any) -> CheckIn:
    return checkin_from_values(tuple(getattr(row, name) for name in CHECKIN_COLUMNS))


def checkin_from_values(values: tuple[Any, ...]) -> CheckIn:
    """A check-in from a ``values_list`` row in :data:`CHECKIN_COLUMNS` order: the
    progress query reads plain tuples, which is much faster than model instances."""
    row = dict(zip(CHECKIN_COLUMNS, values, strict=True))
    peg = row["peg"]
    return CheckIn(
        day=row["day"],
        pain=row["pain"],
        pain_worst=row["pain_worst"],
        areas=tuple(row["areas"]),
        sleep_hours=row["sleep_hours"],
        sleep_quality=row["sleep_quality"],
        stress=row["stress"],
        activity_minutes=row["activity_minutes"],
        routine_done=row["routine_done"],
        medicines=tuple(row["medicines"]),
        note=row["note"],
        screen=tuple(sorted(row["screen"].items())),
        peg=(int(peg[0]), int(peg[1]), int(peg[2])) if peg else None,
        startback=tuple(sorted(row["startback"].items())),
        rmdq=tuple(sorted(row["rmdq"].items())),
    )


CHECKIN_COLUMNS = (
    "day",
    *CHECKIN_FIELDS,
    "areas",
    "medicines",
    "screen",
    "peg",
    "startback",
    "rmdq",
)


def adaptation_from_row(row: Any) -> Adaptation:
    return Adaptation(
        week_start=row.week_start,
        rule=row.rule,
        action=row.action,
        step=row.step,
        message=row.message,
        sources=tuple(row.sources),
    )


ACTIVITY_FIELDS = (
    "sport",
    "start",
    "elapsed_s",
    "moving_s",
    "distance_m",
    "elevation_gain_m",
    "avg_hr",
    "max_hr",
    "avg_cadence",
    "points",
    "has_positions",
    "truncated",
    "perceived_exertion",
)


def activity_fields(activity: ActivitySummary) -> dict[str, Any]:
    fields: dict[str, Any] = {name: getattr(activity, name) for name in ACTIVITY_FIELDS}
    fields.update(
        device=(activity.device or "")[:120],
        name=(activity.name or "")[:300],
        source_id=activity.source_id or "",
    )
    return fields


def activity_from_row(row: Any) -> ActivitySummary:
    values = {name: getattr(row, name) for name in ACTIVITY_FIELDS}
    return ActivitySummary(
        **values,
        device=row.device or None,
        name=row.name or None,
        source_id=row.source_id or None,
    )
