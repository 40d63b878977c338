"""The plan builder, on hand-made exercises and advice (no content files)."""

from __future__ import annotations

from datetime import date

from backcoach.domain.advice import AdviceItem, Selector
from backcoach.domain.exercises import Dose, Exercise
from backcoach.domain.model import Assessment, Case, Level, RankedCondition, TriageResult
from backcoach.domain.plan import build_plan, cautions_for, progress, seconds, walking_minutes
from backcoach.domain.preferences import make_preferences

START = date(2026, 11, 30)


def exercise(
    eid: str,
    area: str = "lower_back",
    kind: str = "mobility",
    cautions: tuple[str, ...] = (),
    equipment: tuple[str, ...] = ("mat",),
    dose: Dose | None = None,
) -> Exercise:
    return Exercise(
        id=eid,
        name=eid.replace("_", " "),
        purpose="p",
        area=area,
        kind=kind,
        position="lying_back",
        equipment=equipment,
        steps=("a",),
        dose=dose or Dose(8, None, 1, 1, False, None, 10, 1),
        progression="more",
        regression="less",
        cautions=cautions,
        stop_if="it hurts more",
        sources=("nhs-low-back-exercises",),
        drawing=f"{eid}.svg",
    )


EXERCISES = (
    exercise("knee_rolls"),
    exercise("press_up", cautions=("extension", "pregnancy_prone")),
    exercise("bridge", area="trunk", kind="strength", cautions=("pregnancy_supine",)),
    exercise("bird_dog", area="trunk", kind="strength", cautions=("wrist_knee",)),
    exercise(
        "hamstring_stretch", area="hips_hamstrings", kind="stretch", cautions=("nerve_tension",)
    ),
    exercise("hip_flexor", area="hips_hamstrings", kind="stretch"),
    exercise("chin_tucks", area="upper_back_neck", equipment=("none",)),
    exercise("wall_angels", area="upper_back_neck", equipment=("wall",)),
    exercise("walk", area="whole_body", kind="aerobic", dose=Dose(None, None, 1, 1, False, 10)),
)
ADVICE = (
    AdviceItem("stay_active", "education", "Keep moving", "t", "moderate", "n", ("nice-ng59",)),
    AdviceItem(
        "nsaids",
        "pain_relief",
        "Anti-inflammatory tablets",
        "t",
        "moderate",
        "n",
        ("nice-ng59",),
        not_if=Selector(findings_any=("pregnant",)),
    ),
    AdviceItem(
        "single_run_rule",
        "running",
        "Build runs slowly",
        "t",
        "moderate",
        "n",
        ("frandsen-2025",),
        when=Selector(findings_any=("runner",)),
    ),
    AdviceItem(
        "desk_breaks",
        "workstation",
        "Move often",
        "t",
        "low",
        "n",
        ("nice-ng59",),
        when=Selector(findings_any=("desk_work_long_hours",)),
    ),
    AdviceItem(
        "warning_signs",
        "safety_net",
        "Stop and get help",
        "t",
        "expert_opinion",
        "n",
        ("nhs-back-pain",),
    ),
)


def assessment(
    level: Level = Level.SELF_CARE,
    top: str = "nonspecific_low_back_pain",
    pain: int | None = 4,
    **findings: str,
) -> Assessment:
    case = Case(age=40, sex="female", findings=dict(findings), pain_intensity=pain)
    triage = TriageResult(level, (), (), False)
    return Assessment(
        case, triage, (RankedCondition(top, 0.8), RankedCondition("muscle_strain", 0.2))
    )


def plan_for(a: Assessment, **prefs: object):  # type: ignore[no-untyped-def]
    return build_plan(a, make_preferences(**prefs), EXERCISES, ADVICE, START)  # type: ignore[arg-type]


def routine_ids(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.exercise.id for item in plan.weeks[0].routine]


def test_self_care_gets_six_weeks_that_progress() -> None:
    plan = plan_for(assessment(runner="present"))
    assert plan.kind == "full"
    assert [w.number for w in plan.weeks] == [1, 2, 3, 4, 5, 6]
    assert plan.weeks[1].starts == date(2026, 12, 7)
    first, last = plan.weeks[0].routine[0].dose, plan.weeks[-1].routine[0].dose
    assert (last.reps or 0) > (first.reps or 0)
    assert plan.weeks[-1].walking_minutes > plan.weeks[0].walking_minutes
    assert "walk" not in routine_ids(plan)  # walking is its own goal


def test_emergency_gets_no_plan() -> None:
    plan = plan_for(assessment(Level.EMERGENCY))
    assert plan.kind == "none" and plan.weeks == () and plan.advice == ()


def test_needing_a_clinician_gets_a_gentle_plan_while_waiting() -> None:
    plan = plan_for(assessment(Level.CONSULTATION, runner="present"))
    assert plan.kind == "while_you_wait"
    assert len(plan.weeks) == 1
    assert {item.exercise.kind for item in plan.weeks[0].routine} <= {"mobility", "stretch"}
    assert {a.way for a in plan.advice} <= {
        "education",
        "pain_relief",
        "sleep",
        "breathing",
        "safety_net",
    }


def test_pregnancy_excludes_prone_and_supine_exercises_and_nsaids() -> None:
    plan = plan_for(assessment(pregnant="present"))
    assert not {"press_up", "bridge"} & set(routine_ids(plan))
    assert dict(plan.left_out)["press_up"] == ("pregnancy_prone",)
    assert "nsaids" not in [a.id for a in plan.advice]


def test_sciatica_avoids_nerve_tension_and_extension_sensitivity_avoids_press_ups() -> None:
    sciatica = plan_for(assessment(top="lumbar_radiculopathy", pain_leg_below_knee="present"))
    assert "hamstring_stretch" not in routine_ids(sciatica)
    arching = plan_for(assessment(pain_worse_extension="present"))
    assert "press_up" not in routine_ids(arching)


def test_advice_is_chosen_for_the_person_and_ordered_by_way() -> None:
    runner = plan_for(assessment(runner="present"))
    ids = [a.id for a in runner.advice]
    assert ids == ["stay_active", "nsaids", "single_run_rule", "warning_signs"]
    desk = plan_for(assessment(desk_work_long_hours="present", pain_neck="present"))
    assert "desk_breaks" in [a.id for a in desk.advice]
    assert routine_ids(desk)[0] in {"chin_tucks", "wall_angels"}


def test_equipment_and_minutes_limit_the_routine() -> None:
    bare = plan_for(assessment(), equipment="none")
    assert {e for item in bare.weeks[0].routine for e in item.exercise.equipment} <= {"none"}
    short = plan_for(assessment(), minutes_per_day=5)
    longer = plan_for(assessment(), minutes_per_day=60)
    assert 1 <= len(routine_ids(short)) <= len(routine_ids(longer))
    assert (
        sum(seconds(i.dose) for i in short.weeks[-1].routine) <= 5 * 60
        or len(routine_ids(short)) == 1
    )


def test_the_same_input_gives_the_same_plan() -> None:
    assert plan_for(assessment(runner="present")) == plan_for(assessment(runner="present"))


def test_cautions_from_findings_and_conditions() -> None:
    assert cautions_for({"osteoporosis"}, ()) == {"osteoporosis_flexion", "osteoporosis_twist"}
    assert cautions_for((), {"spinal_stenosis"}) == {"extension"}
    assert cautions_for((), ()) == frozenset()


def test_progress_and_walking_rules() -> None:
    dose = Dose(8, None, 1, 1, False, None, 10, 1)
    assert progress(dose, 1) == dose
    assert progress(dose, 2).reps == 10
    assert progress(dose, 6).reps == 12 and progress(dose, 6).sets == 2
    walk = Dose(None, None, 1, 1, False, 10)
    assert progress(walk, 5) == walk
    profile = plan_for(assessment(pain=8)).profile
    assert walking_minutes(profile, 1) == 5
    assert walking_minutes(plan_for(assessment(pain=2)).profile, 6) == 16


def test_no_routine_before_a_clinician_when_it_is_urgent_or_serious() -> None:
    urgent = plan_for(assessment(Level.CONSULTATION_24))
    assert urgent.kind == "while_you_wait" and urgent.weeks[0].routine == ()
    serious = build_plan(
        assessment(Level.CONSULTATION, top="spinal_fracture"),
        make_preferences(),
        EXERCISES,
        ADVICE,
        START,
        serious_conditions={"spinal_fracture"},
    )
    assert serious.weeks[0].routine == ()
    assert plan_for(assessment(Level.CONSULTATION)).weeks[0].routine != ()


def test_a_custom_routine_is_used_and_checked() -> None:
    import pytest

    from backcoach.domain.preferences import PreferenceError

    plan = plan_for(assessment(), exercises="hip_flexor, knee_rolls")
    assert routine_ids(plan) == ["hip_flexor", "knee_rolls"]
    with pytest.raises(
        PreferenceError, match="unknown exercise id 'knee_rols'; did you mean 'knee_rolls'"
    ):
        plan_for(assessment(), exercises="knee_rols")
    with pytest.raises(PreferenceError) as err:
        plan_for(assessment(pregnant="present"), exercises="press_up")
    assert err.value.field == "exercises"
    assert "lying on the front" in err.value.problem
