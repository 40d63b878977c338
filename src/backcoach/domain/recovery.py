"""The recovery record's rules: check-ins, progress you can trust, and the weekly plan change.

Pure Python; ``today`` and every date are passed in. The numbers (the 7-day average, the
flare threshold, when to suggest or recommend help) come from ``content/data/recovery.yaml``
as a :class:`RecoveryRules`, each with its source; the minimal important change for pain
(2 points or 30%, Ostelo 2008) is :func:`backcoach.domain.questionnaires.pain_change`.

Sleep is recorded at a check-in as last night's sleep, so one check-in holds a night and the
pain of the day after it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final, NamedTuple

from backcoach.domain.model import ABSENT, PRESENT, UNKNOWN
from backcoach.domain.questionnaires import Change, pain_change, rmdq_change

NOT_ASKED: Final = "not_asked"
SCREEN_ANSWERS: Final = (PRESENT, ABSENT, UNKNOWN, NOT_ASKED)
AREAS: Final = (
    "lower_back",
    "middle_back",
    "upper_back",
    "neck",
    "buttocks",
    "hips",
    "left_leg",
    "right_leg",
    "other",
)
ACTIONS: Final = ("see_doctor_now", "see_physio", "suggest_help", "step_back", "progress", "hold")
VERDICTS: Final = ("real_improvement", "some_improvement", "no_change", "worse", "not_enough_data")
STARTBACK_ORDER: Final = {"low": 0, "medium": 1, "high": 2}
HIGHEST_STEP: Final = 6  # the plan's last week of dose progression
LONGEST_NOTE: Final = 2000


class AdaptationRule(NamedTuple):
    id: str
    action: str
    message: str  # may hold {placeholders}
    sources: tuple[str, ...]


class RecoveryRules(NamedTuple):
    rescreen: tuple[str, ...]  # finding ids asked at every check-in
    average_days: int
    fewest_days_for_average: int
    fell_points: float
    flare_rise_points: float
    good_adherence_percent: float
    suggest_help_after_weeks: int
    recommend_help_after_weeks: int
    peg_every_days: int
    rmdq_every_days: int
    startback_weeks: tuple[int, ...]
    fewest_nights_for_sleep: int
    short_sleep_hours: float
    adaptation: tuple[AdaptationRule, ...]
    verdicts: Mapping[str, str]

    def rule(self, rule_id: str) -> AdaptationRule:
        for rule in self.adaptation:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class CheckInError(ValueError):
    """A check-in value that cannot be recorded; names the field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")


class CheckIn(NamedTuple):
    """One day's check-in. Only ``day`` and ``pain`` are required."""

    day: date
    pain: int  # now, 0-10
    pain_worst: int | None = None  # worst today, 0-10
    areas: tuple[str, ...] = ()
    sleep_hours: float | None = None  # last night
    sleep_quality: int | None = None  # 0 very poor - 10 very good
    stress: int | None = None  # 0-10
    activity_minutes: int | None = None
    routine_done: bool | None = None
    medicines: tuple[str, ...] = ()
    note: str = ""
    screen: tuple[tuple[str, str], ...] = ()  # re-screen finding id, answer (SCREEN_ANSWERS)
    peg: tuple[int, int, int] | None = None  # weekly: pain, enjoyment, general activity
    startback: tuple[tuple[str, int], ...] = ()  # item id, answer, when asked
    rmdq: tuple[tuple[str, int], ...] = ()  # Roland-Morris item id, 0 or 1, when asked

    def new_red_flags(self) -> tuple[str, ...]:
        return tuple(fid for fid, answer in self.screen if answer == PRESENT)

    def screen_not_answered(self) -> tuple[str, ...]:
        return tuple(fid for fid, answer in self.screen if answer in (UNKNOWN, NOT_ASKED))


def check_checkin(
    checkin: CheckIn, *, today: date, episode_start: date | None, rules: RecoveryRules
) -> None:
    """Raise :class:`CheckInError` naming the first field that cannot be recorded."""
    if checkin.day > today:
        raise CheckInError("date", f"{checkin.day} is in the future (today is {today})")
    if episode_start is not None and checkin.day < episode_start:
        raise CheckInError(
            "date", f"{checkin.day} is before this episode of back pain began ({episode_start})"
        )
    _score("pain", checkin.pain, required=True)
    _score("pain_worst", checkin.pain_worst)
    if checkin.pain_worst is not None and checkin.pain_worst < checkin.pain:
        raise CheckInError("pain_worst", "the worst pain today cannot be less than pain now")
    _score("sleep_quality", checkin.sleep_quality)
    _score("stress", checkin.stress)
    if checkin.sleep_hours is not None and not (
        _is_number(checkin.sleep_hours) and 0 <= checkin.sleep_hours <= 24
    ):
        raise CheckInError("sleep_hours", "must be a number of hours from 0 to 24")
    minutes = checkin.activity_minutes
    if minutes is not None and not (_is_whole(minutes) and 0 <= minutes <= 24 * 60):
        raise CheckInError("activity_minutes", "must be whole minutes from 0 to 1440")
    for area in checkin.areas:
        if area not in AREAS:
            raise CheckInError("areas", f"unknown area {area!r} (use: {', '.join(AREAS)})")
    if len(checkin.note) > LONGEST_NOTE:
        raise CheckInError("note", f"is longer than {LONGEST_NOTE} characters")
    for field, texts in (("note", (checkin.note,)), ("medicines", checkin.medicines)):
        if any("\x00" in text for text in texts):
            raise CheckInError(field, "contains a NUL character")
    for fid, answer in checkin.screen:
        if fid not in rules.rescreen:
            raise CheckInError("screen", f"{fid!r} is not a re-screen question")
        if answer not in SCREEN_ANSWERS:
            raise CheckInError(
                "screen", f"{fid}: answer must be one of {', '.join(SCREEN_ANSWERS)}"
            )
    for item, value in checkin.rmdq:
        if value not in (0, 1) or isinstance(value, bool):
            raise CheckInError("rmdq", f"{item}: answer 0 (not ticked) or 1 (ticked)")
    if checkin.peg is not None:
        if len(checkin.peg) != 3:
            raise CheckInError("peg", "needs three answers: pain, enjoyment, general activity")
        for value in checkin.peg:
            _score("peg", value, required=True)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _score(field: str, value: object, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not (_is_whole(value) and 0 <= value <= 10):  # type: ignore[operator]
        raise CheckInError(field, f"must be a whole number from 0 to 10, got {value!r}")


# --- progress ---------------------------------------------------------------------------


class DayPoint(NamedTuple):
    day: date
    pain: int
    average: float | None  # pain averaged over the days up to and including this one
    routine_done: bool
    flare: bool


class Flare(NamedTuple):
    start: date
    end: date  # last flare day
    peak: int
    before: float  # the average it rose from


class Adherence(NamedTuple):
    done: int
    days: int

    @property
    def percent(self) -> float | None:
        return 100 * self.done / self.days if self.days else None


NONE_YET: Final = Adherence(0, 0)


class SleepPain(NamedTuple):
    nights: int  # check-ins with both sleep and pain
    correlation: float | None  # Pearson r of hours against pain, when there are enough nights
    short_nights: int
    short_pain: float | None  # average pain after short nights
    enough_nights: int
    enough_pain: float | None  # average pain after nights of enough sleep
    enough_data: bool


class Progress(NamedTuple):
    today: date
    first_day: date | None
    days_recorded: int
    points: tuple[DayPoint, ...]
    baseline: float | None  # average pain in the first days recorded
    current: float | None  # average pain in the last days up to today
    change: Change | None
    verdict: str  # one of VERDICTS
    flares: tuple[Flare, ...]
    peg_change: Change | None  # first weekly PEG score against the latest
    rmdq_change: Change | None  # first Roland-Morris score against the latest
    adherence_week: Adherence  # the last 7 days
    adherence_all: Adherence  # since the first check-in
    sleep: SleepPain


def pain_by_day(checkins: Iterable[CheckIn]) -> dict[date, int]:
    return {c.day: c.pain for c in checkins}


def average(pain: Mapping[date, int], last_day: date, rules: RecoveryRules) -> float | None:
    """Average pain over ``rules.average_days`` days ending on ``last_day``, or None when
    fewer than ``rules.fewest_days_for_average`` of them have a check-in."""
    values = [
        pain[d]
        for offset in range(rules.average_days)
        if (d := last_day - timedelta(days=offset)) in pain
    ]
    if len(values) < rules.fewest_days_for_average:
        return None
    return sum(values) / len(values)


def find_flares(pain: Mapping[date, int], rules: RecoveryRules) -> tuple[Flare, ...]:
    """Days whose pain is at least ``flare_rise_points`` above the average of the week
    before them; flare days with at most one day between them make one flare-up."""
    flares: list[Flare] = []
    for day in sorted(pain):
        before = average(pain, day - timedelta(days=1), rules)
        if before is None or pain[day] < before + rules.flare_rise_points:
            continue
        if flares and (day - flares[-1].end).days <= 2:
            last = flares[-1]
            flares[-1] = last._replace(end=day, peak=max(last.peak, pain[day]))
        else:
            flares.append(Flare(start=day, end=day, peak=pain[day], before=before))
    return tuple(flares)


def adherence(routine_days: Iterable[date], first: date, last: date) -> Adherence:
    if last < first:
        return Adherence(0, 0)
    done = {d for d in routine_days if first <= d <= last}
    return Adherence(done=len(done), days=(last - first).days + 1)


def sleep_against_pain(checkins: Iterable[CheckIn], rules: RecoveryRules) -> SleepPain:
    pairs = [(c.sleep_hours, c.pain) for c in checkins if c.sleep_hours is not None]
    short = [p for h, p in pairs if h < rules.short_sleep_hours]
    enough = [p for h, p in pairs if h >= rules.short_sleep_hours]
    enough_data = (
        len(pairs) >= rules.fewest_nights_for_sleep and len(short) >= 3 and len(enough) >= 3
    )
    return SleepPain(
        nights=len(pairs),
        correlation=_pearson(pairs) if len(pairs) >= rules.fewest_nights_for_sleep else None,
        short_nights=len(short),
        short_pain=_mean(short),
        enough_nights=len(enough),
        enough_pain=_mean(enough),
        enough_data=enough_data,
    )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pearson(pairs: Sequence[tuple[float, float]]) -> float | None:
    n = len(pairs)
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    if sxx == 0 or syy == 0:
        return None  # no spread: no correlation to speak of
    return sxy / math.sqrt(sxx * syy)


def summarise(
    checkins: Sequence[CheckIn],
    routine_days: Iterable[date],
    *,
    today: date,
    rules: RecoveryRules,
) -> Progress:
    """The person's progress up to ``today`` from their check-ins and routine days (days
    a check-in said the routine was done, plus days the guided routine logged)."""
    checkins = sorted((c for c in checkins if c.day <= today), key=lambda c: c.day)
    routine = {d for d in routine_days if d <= today}
    routine.update(c.day for c in checkins if c.routine_done)
    pain = pain_by_day(checkins)
    flares = find_flares(pain, rules)
    flare_days = {
        f.start + timedelta(days=i) for f in flares for i in range((f.end - f.start).days + 1)
    }
    points = tuple(
        DayPoint(
            day=c.day,
            pain=c.pain,
            average=average(pain, c.day, rules),
            routine_done=c.day in routine,
            flare=c.day in flare_days,
        )
        for c in checkins
    )
    first = checkins[0].day if checkins else None
    baseline = current = None
    change = None
    if first is not None and (today - first).days >= rules.average_days:
        baseline = average(pain, first + timedelta(days=rules.average_days - 1), rules)
        current = average(pain, today, rules)
        if baseline is not None and current is not None:
            change = pain_change(baseline, current)
    week_start = today - timedelta(days=rules.average_days - 1)
    return Progress(
        today=today,
        first_day=first,
        days_recorded=len(checkins),
        points=points,
        baseline=baseline,
        current=current,
        change=change,
        verdict=verdict(change, rules),
        flares=flares,
        peg_change=_first_to_last(
            [sum(c.peg) / 3 for c in checkins if c.peg is not None], pain_change
        ),
        rmdq_change=_first_to_last(
            [sum(v for _, v in c.rmdq) for c in checkins if c.rmdq], rmdq_change
        ),
        adherence_week=adherence(routine, max(week_start, first), today) if first else NONE_YET,
        adherence_all=adherence(routine, first, today) if first else NONE_YET,
        sleep=sleep_against_pain(checkins, rules),
    )


def _first_to_last(scores: Sequence[float], compare: Any) -> Change | None:
    """The change from the first score to the latest, once there are two."""
    if len(scores) < 2:
        return None
    result: Change = compare(scores[0], scores[-1])
    return result


def verdict(change: Change | None, rules: RecoveryRules) -> str:
    if change is None:
        return "not_enough_data"
    if change.important_improvement:
        return "real_improvement"
    if change.important_worsening:
        return "worse"
    if change.improvement >= rules.fell_points:
        return "some_improvement"
    return "no_change"


# --- what to ask when -----------------------------------------------------------------------


def peg_due(last_asked: date | None, today: date, rules: RecoveryRules) -> bool:
    return last_asked is None or (today - last_asked).days >= rules.peg_every_days


def rmdq_due(last_asked: date | None, today: date, rules: RecoveryRules) -> bool:
    return last_asked is None or (today - last_asked).days >= rules.rmdq_every_days


def startback_due(
    self_care_start: date, today: date, asked: Iterable[date], rules: RecoveryRules
) -> int | None:
    """The STarT Back week (2 or 4) now due and not yet asked since it fell due, if any."""
    asked = list(asked)
    due: int | None = None
    for week in rules.startback_weeks:
        due_day = self_care_start + timedelta(weeks=week)
        if today >= due_day and not any(d >= due_day for d in asked):
            due = week
    return due


# --- the weekly plan change -------------------------------------------------------------


class Adaptation(NamedTuple):
    week_start: date  # the first day of the week this change is for
    rule: str  # AdaptationRule id
    action: str  # one of ACTIONS
    step: int  # the routine's dose step for the week (1 = the plan's first week)
    message: str  # the rule's words, filled in
    sources: tuple[str, ...]


class WeekFacts(NamedTuple):
    """What the weekly decision looks at, for the 7 days before ``week_start``."""

    week_start: date
    self_care_start: date
    step: int  # the dose step in use during the week that ended
    red_flag: bool  # a re-screen answered "yes" in the week
    startback_before: str | None
    startback_after: str | None


def adapt(
    checkins: Sequence[CheckIn],
    routine_days: Iterable[date],
    facts: WeekFacts,
    rules: RecoveryRules,
) -> Adaptation:
    """Decide the routine for the week starting ``facts.week_start``; the first rule of
    ``rules.adaptation`` (in file order) that applies wins, and its words say why."""
    last_day = facts.week_start - timedelta(days=1)
    pain = pain_by_day(c for c in checkins if c.day <= last_day)
    this_week = average(pain, last_day, rules)
    last_week = average(pain, last_day - timedelta(days=7), rules)
    weeks = (facts.week_start - facts.self_care_start).days // 7
    first = min(pain) if pain else None
    baseline = (
        average(pain, first + timedelta(days=rules.average_days - 1), rules) if first else None
    )
    improved = (
        pain_change(baseline, this_week).important_improvement
        if baseline is not None and this_week is not None
        else None
    )
    week_flares = [
        f for f in find_flares(pain, rules) if f.end >= facts.week_start - timedelta(days=7)
    ]
    done_days = set(routine_days) | {c.day for c in checkins if c.routine_done}
    kept = adherence(done_days, facts.week_start - timedelta(days=7), last_day)

    def decide(rule_id: str, step: int, **values: object) -> Adaptation:
        rule = rules.rule(rule_id)
        return Adaptation(
            week_start=facts.week_start,
            rule=rule.id,
            action=rule.action,
            step=max(1, min(HIGHEST_STEP, step)),
            message=rule.message.format(**values),
            sources=rule.sources,
        )

    if facts.red_flag:
        return decide("red_flag", facts.step)
    before, after = facts.startback_before, facts.startback_after
    if before and after and STARTBACK_ORDER[after] > STARTBACK_ORDER[before]:
        return decide("startback_higher", facts.step, before=before, after=after)
    if improved is False and weeks >= rules.recommend_help_after_weeks:
        return decide("not_better_after_6_weeks", facts.step, weeks=weeks)
    if week_flares:
        return decide("flare", facts.step - 1)
    if improved is False and weeks >= rules.suggest_help_after_weeks:
        return decide("not_better_after_2_weeks", facts.step, weeks=weeks)
    if this_week is None:
        return decide("not_enough_data", facts.step, fewest=rules.fewest_days_for_average)
    kept_up = kept.percent is not None and kept.percent >= rules.good_adherence_percent
    if last_week is None:  # the first week of the plan (or after a gap): no trend yet
        if kept_up:
            return decide("kept_up_no_trend", facts.step + 1, done=kept.done, days=kept.days)
        return decide("routine_not_kept", facts.step, done=kept.done, days=kept.days)
    if last_week - this_week >= rules.fell_points and kept_up:
        return decide("better_and_kept_up", facts.step + 1, done=kept.done, days=kept.days)
    if not kept_up:
        return decide("routine_not_kept", facts.step, done=kept.done, days=kept.days)
    return decide("steady", facts.step)
