"""The recovery record's use cases: each one a single transaction over the store.

The command line (and later the web app) calls these; they tie the domain rules
(:mod:`backcoach.domain.recovery`), the content and the store together. Time is passed in:
``today`` for dates, ``now`` for timestamps.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from backcoach.domain.catalog import Catalog
from backcoach.domain.model import ABSENT, PRESENT, UNKNOWN, Assessment, Case, Level
from backcoach.domain.recovery import (
    Adaptation,
    CheckIn,
    CheckInError,
    Progress,
    RecoveryRules,
    WeekFacts,
    adapt,
    check_checkin,
    peg_due,
    rmdq_due,
    startback_due,
    summarise,
)
from backcoach.storage.errors import StoreError
from backcoach.storage.store import Store, StoredPlan


class Assesses(Protocol):
    """Anything that assesses a case: the :class:`Assessor`, or one built when needed."""

    def assess(self, case: Case) -> Assessment: ...


class NoAssessmentError(StoreError):
    """A use case that needs an assessment first (the safety screen runs before advice)."""

    def __init__(self) -> None:
        super().__init__("no assessment yet. Run `backcoach assess` first.")


class Retriage(NamedTuple):
    """The triage run again because a check-in reported a new warning sign."""

    assessment_id: int
    assessment: Assessment
    result: dict[str, Any]
    red_flags: tuple[str, ...]

    @property
    def level(self) -> Level:
        return self.assessment.triage.level


class CheckInOutcome(NamedTuple):
    status: str  # "added" or "updated"
    checkin: CheckIn
    retriage: Retriage | None
    not_answered: tuple[str, ...]  # re-screen questions unanswered or not asked
    adaptation: Adaptation | None  # the plan change decided at this check-in, if any


class Due(NamedTuple):
    peg: bool
    startback_week: int | None
    rmdq: bool


# --- assessments and the plan ---------------------------------------------------------


def record_assessment(store: Store, case: Case, result: Mapping[str, Any], *, now: datetime) -> int:
    """Keep an assessment; the first one of an episode also starts its plan today."""
    with store.atomic():
        assessment_id = store.add_assessment(case, result, now)
        if store.plan() is None:
            store.start_plan(now.date(), {}, now)
    return assessment_id


# --- check-ins --------------------------------------------------------------------------


def record_checkin(
    store: Store,
    checkin: CheckIn,
    *,
    today: date,
    now: datetime,
    replace: bool,
    rules: RecoveryRules,
    assessor: Assesses,
    result_json: Any,
) -> CheckInOutcome:
    """Validate and keep a check-in. A re-screen answer of "yes" runs the triage again at
    once, on the latest answers with the new ones; the new assessment is kept too. On the
    first check-in of a plan week, the week's plan change is decided. One transaction."""
    with store.atomic():
        episode = store.episode()  # made with the first assessment
        if episode is None:
            raise NoAssessmentError()
        check_checkin(checkin, today=today, episode_start=episode.started_on, rules=rules)
        check_questionnaires(checkin)
        earlier = store.checkin(checkin.day) if replace else None
        status = store.save_checkin(checkin, now, replace=replace)
        # A warning sign already reported for this day was triaged then: an edit of the
        # pain alone does not run it again.
        already = set(earlier.new_red_flags()) if earlier else set()
        new_flags = tuple(f for f in checkin.new_red_flags() if f not in already)
        retriage = None
        if new_flags:
            latest = store.latest_stored_assessment()
            if latest is None:
                raise NoAssessmentError()
            case = rescreened_case(latest.case, checkin)
            assessment = assessor.assess(case)
            result = result_json(assessment)
            assessment_id = store.add_assessment(case, result, now)
            retriage = Retriage(assessment_id, assessment, result, new_flags)
        adaptation = decide_week(store, today=today, now=now, rules=rules)
    return CheckInOutcome(status, checkin, retriage, checkin.screen_not_answered(), adaptation)


def check_questionnaires(checkin: CheckIn) -> None:
    """STarT Back and Roland-Morris answers, when given, must answer every item of the
    shipped questionnaire with one of its values. CheckInError names the questionnaire."""
    from backcoach.content.questionnaires import load_questionnaire
    from backcoach.domain.questionnaires import AnswerError, validate_answers

    for field in ("startback", "rmdq"):
        answers = dict(getattr(checkin, field))
        if not answers:
            continue
        try:
            validate_answers(load_questionnaire(field), answers)
        except AnswerError as exc:
            raise CheckInError(field, f"item {exc.item_id}: {exc.problem}") from None


def rescreened_case(case: Case, checkin: CheckIn) -> Case:
    """The latest answers with today's re-screen: "yes" and "no" replace the old answer;
    a question not answered today is "don't know", never "no"."""
    findings = dict(case.findings)
    for fid, answer in checkin.screen:
        findings[fid] = PRESENT if answer == PRESENT else ABSENT if answer == ABSENT else UNKNOWN
    return case._replace(findings=findings, id=None)


def check_imported_row(table: str, row: Mapping[str, Any]) -> None:
    """Imported rows obey the rules typed ones do: a check-in's ranges, areas, re-screen
    answers and the shape of its JSON columns; an assessment's case; a session's lists.
    :class:`RowError` names the field."""
    from backcoach.storage.transfer import RowError

    if table == "checkins":
        checkin = _imported_checkin(row, RowError)
        from backcoach.content.recovery import load_recovery_rules

        try:
            check_checkin(checkin, today=date.max, episode_start=None, rules=load_recovery_rules())
            check_questionnaires(checkin)
        except CheckInError as exc:
            raise RowError(exc.field, exc.problem) from None
    elif table == "assessments":
        from backcoach.adapters.caseio import CaseError
        from backcoach.storage.records import case_from_row

        try:
            case_from_row(row["case"])
        except CaseError as exc:
            raise RowError("case", str(exc)) from None
        if not isinstance(row["result"], dict):
            raise RowError("result", "must be an object")
    elif table == "routine_sessions":
        for field in ("exercises_planned", "exercises_done", "exercises_skipped"):
            _texts(row[field], field, RowError)


def _imported_checkin(row: Mapping[str, Any], error: Any) -> CheckIn:
    peg = row["peg"]
    if peg is not None and not (
        isinstance(peg, list) and len(peg) == 3 and all(type(v) is int for v in peg)
    ):
        raise error("peg", "must be null or three whole numbers")
    screen, startback, rmdq = row["screen"], row["startback"], row["rmdq"]
    if not isinstance(rmdq, dict) or not all(type(v) is int for v in rmdq.values()):
        raise error("rmdq", "must be an object of item id to 0 or 1")
    if not isinstance(screen, dict) or not all(isinstance(v, str) for v in screen.values()):
        raise error("screen", "must be an object of question id to answer")
    if not isinstance(startback, dict) or not all(type(v) is int for v in startback.values()):
        raise error("startback", "must be an object of item id to answer number")
    return CheckIn(
        day=date.fromisoformat(row["day"]),
        pain=row["pain"],
        pain_worst=row["pain_worst"],
        areas=_texts(row["areas"], "areas", error),
        sleep_hours=row["sleep_hours"],
        sleep_quality=row["sleep_quality"],
        stress=row["stress"],
        activity_minutes=row["activity_minutes"],
        routine_done=row["routine_done"],
        medicines=_texts(row["medicines"], "medicines", error),
        note=row["note"],
        screen=tuple(sorted(screen.items())),
        peg=(peg[0], peg[1], peg[2]) if peg is not None else None,
        startback=tuple(sorted(startback.items())),
        rmdq=tuple(sorted(rmdq.items())),
    )


def _texts(value: Any, field: str, error: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise error(field, "must be a list of text")
    return tuple(value)


def due(store: Store, *, today: date, rules: RecoveryRules) -> Due:
    """Which questionnaires are due at today's check-in."""
    answered = store.questionnaire_days()
    pegs = [d for d in answered["peg"] if d < today]
    rmdqs = [d for d in answered["rmdq"] if d < today]
    plan = store.plan()
    week = (
        startback_due(plan.starts, today, answered["startback"], rules)
        if plan is not None
        else None
    )
    return Due(
        peg=peg_due(max(pegs, default=None), today, rules),
        startback_week=week,
        rmdq=rmdq_due(max(rmdqs, default=None), today, rules),
    )


# --- the weekly plan change ---------------------------------------------------------------


def week_start(plan: StoredPlan, today: date) -> date | None:
    """The first day of the plan week ``today`` falls in, from the second week on."""
    weeks = (today - plan.starts).days // 7
    return plan.starts + timedelta(weeks=weeks) if weeks >= 1 else None


def decide_week(
    store: Store, *, today: date, now: datetime, rules: RecoveryRules
) -> Adaptation | None:
    """Decide and keep this plan week's change, if it has none yet."""
    plan = store.plan()
    if plan is None:
        return None
    start = week_start(plan, today)
    if start is None:
        return None
    if store.has_adaptation(plan.id, start):
        return None
    latest = store.latest_adaptation()
    # The pain and routine of every day so far (the narrow query progress makes), and the
    # whole check-ins of the last week only: the week's warning signs and STarT Back.
    history = [c for c in store.progress_checkins() if c.day < start]
    last_week = [c for c in store.checkins(since=start - timedelta(days=7)) if c.day < start]
    facts = WeekFacts(
        week_start=start,
        self_care_start=plan.starts,
        step=latest.step if latest else 1,
        red_flag=any(c.new_red_flags() for c in last_week),
        startback_before=_startback_before(store, start),
        startback_after=_startback_of([c for c in last_week if c.startback]),
    )
    adaptation = adapt(history, store.routine_days(), facts, rules)
    with store.atomic():
        store.save_adaptation(adaptation, now)
    return adaptation


def _startback_before(store: Store, start: date) -> str | None:
    """The STarT Back category before the last week: the latest check-in's that answered
    it, else the assessment's."""
    days = [d for d in store.questionnaire_days()["startback"] if d < start - timedelta(days=7)]
    earlier = store.checkin(max(days)) if days else None
    if earlier is not None:
        return _startback_of([earlier])
    stored = store.latest_stored_assessment()
    answers = stored.case.questionnaires.get("startback") if stored else None
    return startback_category(answers) if answers else None


def _startback_of(checkins: list[CheckIn]) -> str | None:
    if not checkins:
        return None
    return startback_category(dict(checkins[-1].startback))


def startback_category(answers: Mapping[str, int]) -> str:
    from backcoach.content.questionnaires import load_questionnaire
    from backcoach.domain.questionnaires import score

    return str(score(load_questionnaire("startback"), answers).category)


# --- progress -----------------------------------------------------------------------------


class ProgressReport(NamedTuple):
    progress: Progress
    checkins: list[CheckIn]  # what progress read (day, pain, sleep, routine, PEG, RMDQ)
    adaptation: Adaptation | None  # the latest weekly change
    step: int
    plan_starts: date | None


def progress_report(store: Store, *, today: date, rules: RecoveryRules) -> ProgressReport:
    with store.atomic("reading"):
        if store.episode() is None:
            raise NoAssessmentError()
        checkins = store.progress_checkins()
        routine = store.routine_days()
        latest = store.latest_adaptation()
        plan = store.plan()
    progress = summarise(checkins, routine, today=today, rules=rules)
    return ProgressReport(
        progress=progress,
        checkins=checkins,
        adaptation=latest,
        step=latest.step if latest else 1,
        plan_starts=plan.starts if plan else None,
    )


def rescreen_questions(catalog: Catalog, rules: RecoveryRules) -> list[tuple[str, str, str]]:
    """The re-screen as (finding id, question, short label), in the content file's order."""
    by_id = {f.id: f for f in catalog.findings}
    return [(fid, by_id[fid].question, by_id[fid].label or fid) for fid in rules.rescreen]
