"""The self-care plan: the seven ways made personal, week by week.

Pure Python. :func:`build_plan` takes an assessment, the person's preferences and the
curated exercises and advice, and returns a :class:`Plan`. The same input always gives
the same plan; the start date is passed in, never read from the clock.

Safety, built in here and not left to content:
- an emergency result gets no plan, only what to do now;
- a result that needs a clinician gets a short, gentle "while you wait" plan, with no
  exercise routine when the doctor is needed today or a serious cause leads the list
  (a suspected fracture or infection is examined before it is exercised);
- no exercise whose caution tags match the person is ever chosen, and the plan lists
  what it left out and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Final, NamedTuple

from backcoach.domain.advice import WAYS, AdviceItem, select
from backcoach.domain.exercises import Dose, Exercise
from backcoach.domain.model import PRESENT, Assessment, Level
from backcoach.domain.preferences import PreferenceError, Preferences

FULL_WEEKS: Final = 6
WAITING_WEEKS: Final = 1
LIKELY: Final = 0.10  # conditions at least this likely shape the plan (and always the top one)

# Sources for what the builder decides itself (the walking goal and the weekly progression).
WALKING_SOURCES: Final = ("nhs-low-back-exercises", "nhs-inform-back-exercises", "nice-ng59")
PROGRESSION_SOURCES: Final = ("nhs-inform-back-exercises",)

# While waiting to see a clinician, only these ways: gentle, and nothing that needs a plan.
WAITING_WAYS: Final = ("education", "pain_relief", "sleep", "breathing", "safety_net")
# When the doctor is needed today or a serious cause leads, reassurance such as "back
# pain is rarely serious" would contradict the triage: no education, no routine.
URGENT_WAYS: Final = ("pain_relief", "sleep", "breathing", "safety_net")


class PersonProfile(NamedTuple):
    """What the plan needs to know about the person, taken from the assessment."""

    level: Level
    conditions: tuple[str, ...]  # likely conditions, most likely first
    present: frozenset[str]  # findings answered "present"
    startback: str | None  # "low", "medium" or "high", when answered
    avoid: frozenset[str]  # caution tags that must not appear in the routine
    pain: int | None


class RoutineItem(NamedTuple):
    exercise: Exercise
    dose: Dose


class Week(NamedTuple):
    number: int  # 1-based
    starts: date
    routine: tuple[RoutineItem, ...]
    walking_minutes: int


class Plan(NamedTuple):
    kind: str  # "full", "while_you_wait" or "none"
    profile: PersonProfile
    starts: date
    weeks: tuple[Week, ...]
    advice: tuple[AdviceItem, ...]  # in the order of the ways (WAYS)
    left_out: tuple[tuple[str, tuple[str, ...]], ...]  # exercise id, matching caution tags
    preferences: Preferences

    def week(self, day: date) -> Week | None:
        """The week of the plan that ``day`` falls in, if any."""
        for week in self.weeks:
            if week.starts <= day < week.starts + timedelta(days=7):
                return week
        return None


def cautions_for(present: Iterable[str], conditions: Iterable[str]) -> frozenset[str]:
    """Caution tags to avoid for this person (see domain.exercises.CAUTION_MEANINGS)."""
    found, likely = frozenset(present), frozenset(conditions)
    avoid: set[str] = set()
    if "pregnant" in found or "pregnancy_related" in likely:
        avoid |= {"pregnancy_prone", "pregnancy_supine"}
    if found & {"osteoporosis", "long_term_steroids"} or "spinal_fracture" in likely:
        avoid |= {"osteoporosis_flexion", "osteoporosis_twist"}
    if "pain_worse_extension" in found or likely & {"spondylolysis", "spinal_stenosis"}:
        avoid.add("extension")
    if (
        found & {"pain_leg_below_knee", "numbness_tingling_leg", "pain_both_legs"}
        or "lumbar_radiculopathy" in likely
    ):
        avoid.add("nerve_tension")
    return frozenset(avoid)


def profile_of(assessment: Assessment, startback: str | None = None) -> PersonProfile:
    ranked = assessment.conditions
    likely = tuple(c.id for n, c in enumerate(ranked) if n == 0 or c.probability >= LIKELY)
    present = frozenset(f for f, a in assessment.case.findings.items() if a == PRESENT)
    return PersonProfile(
        level=assessment.triage.level,
        conditions=likely,
        present=present,
        startback=startback,
        avoid=cautions_for(present, likely),
        pain=assessment.case.pain_intensity,
    )


def build_plan(
    assessment: Assessment,
    preferences: Preferences,
    exercises: Sequence[Exercise],
    advice: Sequence[AdviceItem],
    starts: date,
    startback: str | None = None,
    serious_conditions: Iterable[str] = (),
) -> Plan:
    """``serious_conditions``: condition ids (kind "serious" in the catalog) that, when
    most likely, mean no exercise routine until a clinician has seen the person."""
    profile = profile_of(assessment, startback)
    if profile.level >= Level.EMERGENCY:
        return Plan("none", profile, starts, (), (), (), preferences)
    waiting = profile.level >= Level.CONSULTATION
    hold_exercise = profile.level >= Level.CONSULTATION_24 or (
        profile.conditions[0] in set(serious_conditions)
    )
    ways = URGENT_WAYS if hold_exercise else WAITING_WAYS if waiting else WAYS
    chosen_advice = _advice(profile, advice, ways)
    left_out = tuple(
        (e.id, e.matching_cautions(profile.avoid))
        for e in exercises
        if not e.is_safe_for(profile.avoid)
    )
    if preferences.exercises:
        custom = custom_routine(profile, preferences.exercises, exercises)
    routine = (
        ()
        if hold_exercise
        else custom
        if preferences.exercises
        else choose_routine(profile, preferences, exercises, gentle=waiting)
    )
    weeks = tuple(
        Week(
            number=n,
            starts=starts + timedelta(weeks=n - 1),
            routine=tuple(RoutineItem(e, progress(e.dose, n)) for e in routine),
            walking_minutes=walking_minutes(profile, n),
        )
        for n in range(1, (WAITING_WEEKS if waiting else FULL_WEEKS) + 1)
    )
    kind = "while_you_wait" if waiting else "full"
    return Plan(kind, profile, starts, weeks, chosen_advice, left_out, preferences)


def _advice(
    profile: PersonProfile, advice: Sequence[AdviceItem], ways: Sequence[str]
) -> tuple[AdviceItem, ...]:
    chosen = select(advice, profile.conditions, profile.present, profile.level, profile.startback)
    chosen = tuple(item for item in chosen if item.way in ways)
    order = {way: n for n, way in enumerate(WAYS)}
    return tuple(sorted(chosen, key=lambda item: order[item.way]))  # stable within a way


def custom_routine(
    profile: PersonProfile, wanted: Sequence[str], exercises: Sequence[Exercise]
) -> tuple[Exercise, ...]:
    """The person's own choice of exercises, refused (naming the exercise) when an id is
    unknown or an exercise is not safe for them."""
    from backcoach.domain.exercises import CAUTION_MEANINGS

    by_id = {e.id: e for e in exercises}
    chosen = []
    for exercise_id in wanted:
        exercise = by_id.get(exercise_id)
        if exercise is None:
            import difflib

            close = difflib.get_close_matches(exercise_id, list(by_id), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise PreferenceError("exercises", f"unknown exercise id {exercise_id!r}{hint}")
        unsafe = exercise.matching_cautions(profile.avoid)
        if unsafe:
            why = "; ".join(CAUTION_MEANINGS[tag] for tag in unsafe)
            raise PreferenceError(
                "exercises", f"{exercise.name} is not safe for you now: it involves {why}"
            )
        chosen.append(exercise)
    return tuple(chosen)


def focus_areas(profile: PersonProfile) -> tuple[str, ...]:
    """Which body areas the routine works on, in order of priority."""
    upper = "postural_back_neck_pain" in profile.conditions or bool(
        profile.present & {"pain_neck", "pain_upper_back", "desk_work_long_hours"}
    )
    runner = bool(profile.present & {"runner", "onset_during_or_after_running"}) or (
        "exercise_muscle_soreness" in profile.conditions
    )
    if upper and not profile.present & {"pain_lower_back"}:
        return ("upper_back_neck", "upper_back_neck", "trunk", "lower_back", "upper_back_neck")
    if runner:
        return ("lower_back", "hips_hamstrings", "trunk", "hips_hamstrings", "trunk")
    if upper:
        return ("lower_back", "upper_back_neck", "trunk", "upper_back_neck", "hips_hamstrings")
    return ("lower_back", "lower_back", "trunk", "hips_hamstrings", "trunk")


def choose_routine(
    profile: PersonProfile,
    preferences: Preferences,
    exercises: Sequence[Exercise],
    *,
    gentle: bool = False,
) -> tuple[Exercise, ...]:
    """A daily routine that fits the minutes, from safe exercises the person has kit for.

    Mobility and stretches first; strength work joins when not ``gentle``. Walking is a
    separate goal (see :func:`walking_minutes`), so aerobic entries are not chosen here.
    """
    kinds = ("mobility", "stretch") if gentle else ("mobility", "stretch", "strength")
    usable = [
        e
        for e in exercises
        if e.kind in kinds
        and e.is_safe_for(profile.avoid)
        and set(e.equipment) <= preferences.equipment
    ]
    budget = preferences.minutes_per_day * 60
    chosen: list[Exercise] = []
    used = 0
    for area in focus_areas(profile):
        # Take the first unused exercise for this area, preferring a kind not yet in.
        candidates = [e for e in usable if e.area == area and e not in chosen]
        have = {e.kind for e in chosen}
        candidates.sort(key=lambda e: e.kind in have)  # stable: file order otherwise
        for exercise in candidates[:1]:
            cost = seconds(progress(exercise.dose, FULL_WEEKS))
            if chosen and used + cost > budget:
                continue
            chosen.append(exercise)
            used += cost
    return tuple(chosen)


def seconds(dose: Dose) -> int:
    """A fair estimate of one session of this dose, in seconds (3 s a move, 20 s rests)."""
    if dose.minutes:
        return dose.minutes * 60
    reps = dose.reps_max or dose.reps or 1
    hold = dose.hold_seconds or (5 * dose.hold_breaths if dose.hold_breaths else 0)
    one_set = reps * (3 + hold) * (2 if dose.per_side else 1)
    return dose.sets * one_set + (dose.sets - 1) * 20


def progress(dose: Dose, week: int) -> Dose:
    """The dose for a week of the plan: NHS inform's "add 1 or 2 repetitions every few
    days if comfortable", as about two more a week up to the top of the range (or four
    more), then a second set from week 4."""
    if week <= 1 or dose.minutes:
        return dose
    reps = dose.reps
    if reps is not None:
        ceiling = max(dose.reps_max or 0, reps + 4)
        reps = min(reps + 2 * (week - 1), ceiling)
    sets = dose.sets + 1 if week >= 4 and dose.sets < 3 else dose.sets
    return dose._replace(reps=reps, reps_max=None, sets=sets)


def walking_minutes(profile: PersonProfile, week: int) -> int:
    """A daily walk that starts easy and grows about a tenth a week (a graded-activity
    convention; NHS: combine exercises with regular walking)."""
    start = 5 if (profile.pain or 0) >= 7 else 10
    minutes = start * 1.1 ** (week - 1)
    return min(30, round(minutes))
