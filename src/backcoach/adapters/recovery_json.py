"""The recovery record's values as plain JSON-able dicts (``--json`` output)."""

from __future__ import annotations

from typing import Any

from backcoach.domain.questionnaires import Change
from backcoach.domain.recovery import Adaptation, CheckIn, Progress


def checkin_to_dict(checkin: CheckIn) -> dict[str, Any]:
    return {
        "date": checkin.day.isoformat(),
        "pain": checkin.pain,
        "pain_worst": checkin.pain_worst,
        "areas": list(checkin.areas),
        "sleep_hours": checkin.sleep_hours,
        "sleep_quality": checkin.sleep_quality,
        "stress": checkin.stress,
        "activity_minutes": checkin.activity_minutes,
        "routine_done": checkin.routine_done,
        "medicines": list(checkin.medicines),
        "note": checkin.note,
        "screen": dict(checkin.screen),
        "peg": list(checkin.peg) if checkin.peg is not None else None,
        "startback": dict(checkin.startback),
        "rmdq": dict(checkin.rmdq),
    }


def adaptation_to_dict(adaptation: Adaptation) -> dict[str, Any]:
    return {
        "week_start": adaptation.week_start.isoformat(),
        "rule": adaptation.rule,
        "action": adaptation.action,
        "step": adaptation.step,
        "message": adaptation.message,
        "sources": list(adaptation.sources),
    }


def change_to_dict(change: Change | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "baseline": round(change.baseline, 2),
        "latest": round(change.latest, 2),
        "improvement": round(change.improvement, 2),
        "improvement_percent": None
        if change.improvement_percent is None
        else round(change.improvement_percent, 1),
        "important_improvement": change.important_improvement,
        "important_worsening": change.important_worsening,
    }


def progress_to_dict(progress: Progress) -> dict[str, Any]:
    sleep = progress.sleep
    return {
        "today": progress.today.isoformat(),
        "first_day": progress.first_day.isoformat() if progress.first_day else None,
        "days_recorded": progress.days_recorded,
        "verdict": progress.verdict,
        "pain_change": change_to_dict(progress.change),
        "peg_change": change_to_dict(progress.peg_change),
        "rmdq_change": change_to_dict(progress.rmdq_change),
        "flares": [
            {
                "start": f.start.isoformat(),
                "end": f.end.isoformat(),
                "peak": f.peak,
                "rose_from": round(f.before, 2),
            }
            for f in progress.flares
        ],
        "adherence": {
            "last_7_days": {
                "done": progress.adherence_week.done,
                "days": progress.adherence_week.days,
            },
            "all": {"done": progress.adherence_all.done, "days": progress.adherence_all.days},
        },
        "sleep": {
            "nights": sleep.nights,
            "correlation": None if sleep.correlation is None else round(sleep.correlation, 3),
            "short_nights": sleep.short_nights,
            "pain_after_short_nights": _round(sleep.short_pain),
            "enough_nights": sleep.enough_nights,
            "pain_after_enough_sleep": _round(sleep.enough_pain),
            "enough_data": sleep.enough_data,
        },
        "days": [
            {
                "date": p.day.isoformat(),
                "pain": p.pain,
                "average": _round(p.average),
                "routine_done": p.routine_done,
                "flare": p.flare,
            }
            for p in progress.points
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
