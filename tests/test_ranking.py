"""Sanity of the likely-cause ranking, through the real content files.

Each case is a typical presentation a clinician would recognise. The tests check the top
condition (or that the top two hold the expected pair), that the result is a proper
distribution over every condition, and that the "why" of the top condition names the answers
that should drive it. They guard the numbers in likelihoods.yaml against drift.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import pytest
from support import SPEC, needs_shared

from backcoach.content.loader import load_catalog
from backcoach.domain.assessment import Assessor
from backcoach.domain.model import (
    ABSENT,
    PRESENT,
    Answer,
    Assessment,
    Case,
    RankedCondition,
    Sex,
)

P, A = PRESENT, ABSENT


@pytest.fixture(scope="module")
def assessor() -> Assessor:
    return Assessor(load_catalog())


def rank(assessor: Assessor, case: Case) -> tuple[RankedCondition, ...]:
    return assessor.assess(case).conditions


def make_case(
    age: int,
    sex: str,
    findings: Mapping[str, str],
    duration_days: int | None = None,
    name: str | None = None,
) -> Case:
    return Case(
        age=age,
        sex=cast(Sex, sex),
        findings=cast(dict[str, Answer], dict(findings)),
        duration_days=duration_days,
        id=name,
    )


def describe(ranked: tuple[RankedCondition, ...], n: int = 4) -> str:
    return ", ".join(f"{r.id}={r.probability:.3f}" for r in ranked[:n])


@dataclass(frozen=True)
class Scenario:
    name: str
    age: int
    sex: str
    findings: dict[str, str]
    duration_days: int | None = None
    top: str | None = None  # expected first condition
    top_two: frozenset[str] = field(default_factory=frozenset)  # expected first two, any order
    raised_by: tuple[str, ...] = ()  # findings that must appear in the top condition's why

    def case(self) -> Case:
        return make_case(self.age, self.sex, self.findings, self.duration_days, self.name)


SCENARIOS = (
    Scenario(
        "sore-after-long-run",
        34,
        "male",
        {
            "pain_lower_back": P,
            "onset_delayed_after_exercise": P,
            "runner": P,
            "muscles_tender_sore": P,
            "pain_mechanical": P,
            "pain_leg_below_knee": A,
            "dark_urine": A,
        },
        duration_days=1,
        top="exercise_muscle_soreness",
        raised_by=("onset_delayed_after_exercise", "muscles_tender_sore"),
    ),
    Scenario(
        # Pain came on during a long hilly run, after a jump in mileage: soreness or a strain.
        "pain-during-long-hilly-run",
        27,
        "female",
        {
            "pain_lower_back": P,
            "onset_during_or_after_running": P,
            "runner": P,
            "recent_training_increase": P,
            "pain_mechanical": P,
        },
        duration_days=1,
        top_two=frozenset({"exercise_muscle_soreness", "muscle_strain"}),
    ),
    Scenario(
        "twinge-twisting-during-run",
        31,
        "male",
        {
            "pain_lower_back": P,
            "onset_during_or_after_running": P,
            "onset_after_lifting_or_twisting": P,
            "runner": P,
            "onset_delayed_after_exercise": A,
            "muscles_tender_sore": A,
            "pain_mechanical": P,
        },
        duration_days=1,
        top="muscle_strain",
        raised_by=("onset_after_lifting_or_twisting",),
    ),
    Scenario(
        "lifted-a-box-at-work",
        38,
        "male",
        {
            "pain_lower_back": P,
            "onset_after_lifting_or_twisting": P,
            "heavy_lifting_work": P,
            "pain_mechanical": P,
            "pain_leg_below_knee": A,
            "numbness_tingling_leg": A,
        },
        duration_days=2,
        top="muscle_strain",
        raised_by=("onset_after_lifting_or_twisting", "heavy_lifting_work"),
    ),
    Scenario(
        "ordinary-low-back-pain",
        45,
        "female",
        {
            "pain_lower_back": P,
            "pain_mechanical": P,
            "history_of_back_pain": P,
            "pain_leg_below_knee": A,
            "fever": A,
        },
        duration_days=10,
        top="nonspecific_low_back_pain",
        raised_by=("pain_mechanical",),
    ),
    Scenario(
        "day-at-the-desk",
        32,
        "female",
        {
            "pain_neck": P,
            "pain_upper_back": P,
            "pain_lower_back": A,
            "desk_work_long_hours": P,
            "looks_down_at_phone": P,
            "pain_mechanical": P,
            "chest_pain": A,
        },
        duration_days=20,
        top="postural_back_neck_pain",
        raised_by=("pain_neck", "desk_work_long_hours"),
    ),
    Scenario(
        "sciatica-one-leg",
        42,
        "male",
        {
            "pain_lower_back": P,
            "pain_leg_below_knee": P,
            "numbness_tingling_leg": P,
            "pain_worse_cough_sneeze": P,
            "pain_both_legs": A,
            "saddle_numbness": A,
            "urinary_retention": A,
        },
        duration_days=14,
        top="lumbar_radiculopathy",
        raised_by=("pain_leg_below_knee", "numbness_tingling_leg"),
    ),
    Scenario(
        "stenosis-at-72",
        72,
        "male",
        {
            "pain_lower_back": P,
            "leg_pain_walking_relieved_sitting": P,
            "pain_both_legs": P,
            "pain_buttock": P,
            "numbness_tingling_leg": P,
            "saddle_numbness": A,
            "urinary_retention": A,
        },
        duration_days=200,
        top="spinal_stenosis",
        raised_by=("leg_pain_walking_relieved_sitting",),
    ),
    Scenario(
        "inflammatory-back-pain-at-28",
        28,
        "male",
        {
            "pain_lower_back": P,
            "morning_stiffness_long": P,
            "better_with_exercise_not_rest": P,
            "night_waking_second_half": P,
            "pain_buttock": P,
            "pain_mechanical": A,
        },
        duration_days=240,
        top="axial_spondyloarthritis",
        raised_by=("night_waking_second_half", "morning_stiffness_long"),
    ),
    Scenario(
        "kidney-infection",
        31,
        "female",
        {
            "pain_flank": P,
            "fever": P,
            "urinary_burning_frequency": P,
            "sweating_nausea": P,
            "pain_mechanical": A,
        },
        duration_days=2,
        top="kidney_infection",
        raised_by=("fever", "urinary_burning_frequency", "pain_flank"),
    ),
    Scenario(
        "kidney-stone",
        45,
        "male",
        {
            "pain_flank": P,
            "pain_colicky": P,
            "blood_in_urine": P,
            "sweating_nausea": P,
            "pain_mechanical": A,
            "fever": A,
        },
        duration_days=0,
        top="kidney_stone",
        raised_by=("pain_colicky", "blood_in_urine"),
    ),
    Scenario(
        "dark-urine-after-marathon",
        35,
        "male",
        {
            "pain_lower_back": P,
            "runner": P,
            "onset_delayed_after_exercise": P,
            "recent_training_increase": P,
            "muscles_tender_sore": P,
            "dark_urine": P,
            "leg_weakness": P,
        },
        duration_days=2,
        top="rhabdomyolysis",
        raised_by=("dark_urine",),
    ),
    Scenario(
        "shingles",
        68,
        "female",
        {
            "pain_upper_back": P,
            "pain_band_one_side": P,
            "rash_blisters_one_side": P,
            "pain_mechanical": A,
        },
        duration_days=3,
        top="shingles",
        raised_by=("rash_blisters_one_side", "pain_band_one_side"),
    ),
    Scenario(
        "pregnant",
        30,
        "female",
        {"pain_lower_back": P, "pain_buttock": P, "pregnant": P, "pain_mechanical": P},
        duration_days=21,
        top="pregnancy_related",
        raised_by=("pregnant",),
    ),
    Scenario(
        "fall-at-75-on-steroids",
        75,
        "female",
        {
            "pain_lower_back": P,
            "trauma_minor": P,
            "long_term_steroids": P,
            "osteoporosis": P,
            "onset_sudden_severe": P,
        },
        duration_days=2,
        top="spinal_fracture",
        raised_by=("long_term_steroids", "osteoporosis", "trauma_minor"),
    ),
    Scenario(
        "cancer-history-night-pain",
        66,
        "male",
        {
            "pain_lower_back": P,
            "history_of_cancer": P,
            "unexplained_weight_loss": P,
            "pain_constant_night": P,
            "pain_progressive": P,
        },
        duration_days=42,
        top="spinal_malignancy",
        raised_by=("history_of_cancer",),
    ),
    Scenario(
        "tearing-pain-and-fainting",
        71,
        "male",
        {
            "pain_lower_back": P,
            "onset_sudden_severe": P,
            "pain_tearing": P,
            "abdominal_pain": P,
            "fainting_dizziness": P,
            "smoker": P,
        },
        duration_days=0,
        top="abdominal_aortic_aneurysm",
        raised_by=("pain_tearing", "onset_sudden_severe"),
    ),
    Scenario(
        "upper-back-and-chest-pain-on-effort",
        62,
        "male",
        {
            "pain_upper_back": P,
            "chest_pain": P,
            "pain_radiates_arm_jaw": P,
            "sweating_nausea": P,
            "exertional_chest_back_pain": P,
            "pain_mechanical": A,
        },
        duration_days=0,
        top="acute_coronary_syndrome",
        raised_by=("chest_pain", "exertional_chest_back_pain"),
    ),
    Scenario(
        "fever-and-injecting-drugs",
        40,
        "male",
        {
            "pain_lower_back": P,
            "fever": P,
            "iv_drug_use": P,
            "pain_constant_night": P,
            "feeling_very_unwell": P,
            "urinary_burning_frequency": A,
            "pain_flank": A,
        },
        duration_days=10,
        top="spinal_infection",
        raised_by=("iv_drug_use", "fever"),
    ),
    Scenario(
        "young-runner-arching-hurts",
        16,
        "male",
        {
            "pain_lower_back": P,
            "runner": P,
            "pain_worse_extension": P,
            "recent_training_increase": P,
            "pain_mechanical": P,
            "onset_delayed_after_exercise": A,
        },
        duration_days=30,
        top="spondylolysis",
        raised_by=("pain_worse_extension",),
    ),
    Scenario(
        "pelvic-pain-and-discharge",
        23,
        "female",
        {
            "pain_lower_back": P,
            "pelvic_pain_discharge": P,
            "abdominal_pain": P,
            "fever": P,
        },
        duration_days=4,
        top="pelvic_inflammatory_disease",
        raised_by=("pelvic_pain_discharge",),
    ),
    Scenario(
        "widespread-pain-for-a-year",
        45,
        "female",
        {
            "pain_widespread": P,
            "pain_lower_back": P,
            "pain_neck": P,
            "pain_upper_back": P,
            "poor_sleep": P,
            "high_stress": P,
            "muscles_tender_sore": P,
        },
        duration_days=400,
        top="fibromyalgia",
        raised_by=("pain_widespread",),
    ),
    Scenario(
        "stiff-aching-back-at-68",
        68,
        "female",
        {
            "pain_lower_back": P,
            "pain_mechanical": P,
            "history_of_back_pain": P,
            "pain_worse_extension": P,
            "pain_leg_below_knee": A,
            "leg_pain_walking_relieved_sitting": A,
        },
        duration_days=365,
        # Wear and tear and common back pain overlap at this age; both must lead.
        top_two=frozenset({"degenerative_spine", "nonspecific_low_back_pain"}),
    ),
    Scenario(
        "numb-bottom-and-leaking-urine",
        50,
        "female",
        {
            "pain_lower_back": P,
            "saddle_numbness": P,
            "urinary_incontinence_new": P,
            "numbness_tingling_leg": P,
            "pain_leg_below_knee": P,
        },
        duration_days=3,
        top="cauda_equina_syndrome",
        raised_by=("saddle_numbness", "urinary_incontinence_new"),
    ),
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_typical_presentation_ranks_as_expected(assessor: Assessor, scenario: Scenario) -> None:
    ranked = rank(assessor, scenario.case())
    if scenario.top is not None:
        assert ranked[0].id == scenario.top, describe(ranked)
    if scenario.top_two:
        assert {r.id for r in ranked[:2]} == scenario.top_two, describe(ranked)


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.raised_by], ids=lambda s: s.name)
def test_why_names_the_driving_answers(assessor: Assessor, scenario: Scenario) -> None:
    top = rank(assessor, scenario.case())[0]
    raised = {f.finding for f in top.raised_by}
    assert set(scenario.raised_by) <= raised, (top.id, sorted(raised))
    assert all(f.likelihood_ratio > 1 for f in top.raised_by)
    assert all(f.likelihood_ratio < 1 for f in top.lowered_by)


def test_every_condition_is_the_top_of_some_scenario(assessor: Assessor) -> None:
    tops = {s.top for s in SCENARIOS if s.top} | {c for s in SCENARIOS for c in s.top_two}
    assert tops == set(assessor.ranking.condition_ids)


# --- the shared spec examples --------------------------------------------------------------


def spec_case(name: str) -> Case:
    raw = json.loads((SPEC / "examples" / f"{name}.json").read_text())
    findings = {k: v for k, v in raw["findings"].items() if v != "unknown"}
    return Case(
        age=raw["age"],
        sex=raw["sex"],
        findings=findings,
        pain_intensity=raw.get("pain_intensity"),
        duration_days=raw.get("duration_days"),
        id=raw.get("id"),
    )


def expected_tops() -> dict[str, str]:
    lines = (SPEC / "examples" / "expected.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:] if line]
    return {row["case"]: row["top_condition"] for row in rows}


@needs_shared()
@pytest.mark.parametrize("name", ["runner-doms", "cauda-equina"])
def test_spec_example_top_condition(assessor: Assessor, name: str) -> None:
    ranked = rank(assessor, spec_case(name))
    assert ranked[0].id == expected_tops()[name], describe(ranked)


@needs_shared()
def test_runner_doms_example_explains_itself(assessor: Assessor) -> None:
    top = rank(assessor, spec_case("runner-doms"))[0]
    raised = {f.finding for f in top.raised_by}
    assert {"onset_delayed_after_exercise", "muscles_tender_sore", "runner"} <= raised
    assert top.probability > 0.5


@needs_shared()
def test_cauda_equina_example_explains_itself(assessor: Assessor) -> None:
    top = rank(assessor, spec_case("cauda-equina"))[0]
    raised = [f.finding for f in top.raised_by]
    assert {"saddle_numbness", "urinary_retention", "pain_both_legs"} <= set(raised)
    # The strongest single reason is listed first.
    assert raised[0] == "saddle_numbness"


# --- the distribution ----------------------------------------------------------------------


def all_cases() -> list[Case]:
    return [s.case() for s in SCENARIOS] + [
        make_case(40, "other", {}),
        make_case(90, "male", {}, 36500),
        make_case(0, "female", {}, 0),
    ]


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.id or f"{c.age}-{c.sex}")
def test_probabilities_form_a_distribution(assessor: Assessor, case: Case) -> None:
    ranked = rank(assessor, case)
    ids = [r.id for r in ranked]
    assert sorted(ids) == sorted(assessor.ranking.condition_ids)
    assert len(set(ids)) == len(ids) == 22
    assert sum(r.probability for r in ranked) == pytest.approx(1.0, abs=1e-9)
    assert all(0.0 <= r.probability <= 1.0 for r in ranked)
    probabilities = [r.probability for r in ranked]
    assert probabilities == sorted(probabilities, reverse=True)


def test_no_answers_ranks_common_back_pain_first(assessor: Assessor) -> None:
    ranked = rank(assessor, make_case(40, "female", {}))
    assert ranked[0].id == "nonspecific_low_back_pain"
    assert ranked[0].raised_by == () and ranked[0].lowered_by == ()


def test_same_case_same_result(assessor: Assessor) -> None:
    case = SCENARIOS[0].case()
    assert rank(assessor, case) == rank(assessor, case)


# --- priors and modifiers ------------------------------------------------------------------


def probability(assessment: Assessment | tuple[RankedCondition, ...], cid: str) -> float:
    ranked = assessment.conditions if isinstance(assessment, Assessment) else assessment
    return next(r.probability for r in ranked if r.id == cid)


def test_pid_and_pregnancy_are_near_impossible_for_males(assessor: Assessor) -> None:
    findings = {"pelvic_pain_discharge": P, "abdominal_pain": P, "pain_lower_back": P}
    male = rank(assessor, make_case(25, "male", findings))
    female = rank(assessor, make_case(25, "female", findings))
    assert probability(male, "pelvic_inflammatory_disease") < 0.01
    assert female[0].id == "pelvic_inflammatory_disease"
    assert probability(male, "pregnancy_related") < 0.001


def test_soreness_fades_with_duration(assessor: Assessor) -> None:
    def doms(days: int) -> float:
        case = SCENARIOS[0].case()
        return probability(
            rank(assessor, make_case(34, "male", case.findings, days)),
            "exercise_muscle_soreness",
        )

    assert doms(2) > doms(10) > doms(30)
    assert doms(30) < 0.2


def test_stenosis_and_wear_rise_with_age(assessor: Assessor) -> None:
    findings = {"pain_lower_back": P, "leg_pain_walking_relieved_sitting": P}
    young = rank(assessor, make_case(35, "male", findings, 120))
    old = rank(assessor, make_case(75, "male", findings, 120))
    assert probability(old, "spinal_stenosis") > 5 * probability(young, "spinal_stenosis")
    assert probability(old, "degenerative_spine") > probability(young, "degenerative_spine")


def test_axial_spa_needs_three_months(assessor: Assessor) -> None:
    scenario = next(s for s in SCENARIOS if s.name == "inflammatory-back-pain-at-28")
    short = rank(assessor, make_case(28, "male", scenario.findings, 20))
    assert short[0].id != "axial_spondyloarthritis"


def test_red_flags_lower_the_common_mechanical_causes(assessor: Assessor) -> None:
    base = {"pain_lower_back": P, "pain_mechanical": P}
    calm = rank(assessor, make_case(50, "male", base))
    flagged = rank(assessor, make_case(50, "male", {**base, "fever": P, "pain_constant_night": P}))
    assert probability(flagged, "nonspecific_low_back_pain") < probability(
        calm, "nonspecific_low_back_pain"
    )
    top = flagged[0]
    lowered = {
        f.finding
        for f in next(r for r in flagged if r.id == "nonspecific_low_back_pain").lowered_by
    }
    assert {"fever", "pain_constant_night"} <= lowered
    assert top.id != "nonspecific_low_back_pain" or top.probability < calm[0].probability
