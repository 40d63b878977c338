"""The interview's domain logic: which question comes next, and when it stops.

Two kinds of tests: the shipped catalog (safety order, emergencies, gating of the real
questions) and a small hand-made catalog (the "can this answer change the result" rules,
independent of how the content evolves).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from backcoach.content.loader import load_catalog
from backcoach.domain import interview
from backcoach.domain.assessment import Assessor
from backcoach.domain.catalog import (
    AtLeast,
    Catalog,
    Condition,
    ConditionModel,
    Evidence,
    Finding,
    LevelAdvice,
    TriageRule,
)
from backcoach.domain.interview import Ask, AskNumbers, Done, InterviewState
from backcoach.domain.model import ABSENT, PRESENT, UNKNOWN, Answer, Level, Sex

Policy = Callable[[Finding], Answer]


@pytest.fixture(scope="module")
def assessor() -> Assessor:
    return Assessor(load_catalog())


def run(
    assessor: Assessor,
    age: int = 35,
    sex: Sex = "male",
    answers: Mapping[str, Answer] | Policy | None = None,
    *,
    pain: int | None = 3,
    duration: int | None = 5,
) -> tuple[list[Ask], Done, InterviewState]:
    """Play a whole interview; findings not in ``answers`` are answered "no"."""
    if answers is None:
        answers = {}
    policy: Policy = answers if callable(answers) else (lambda f: answers.get(f.id, ABSENT))
    state = interview.start(age, sex)
    asked: list[Ask] = []
    for _ in range(500):
        step = interview.next_step(assessor, state)
        if isinstance(step, Done):
            return asked, step, state
        if isinstance(step, AskNumbers):
            state = state.with_numbers(pain, duration)
            continue
        assert not state.asked(step.finding.id), f"{step.finding.id} asked twice"
        asked.append(step)
        state = state.with_answer(step.finding.id, policy(step.finding))
    raise AssertionError("the interview did not end")


def ids(steps: list[Ask]) -> list[str]:
    return [s.finding.id for s in steps]


# --- the shipped catalog ------------------------------------------------------------------


def test_danger_questions_come_first_in_catalog_order(assessor: Assessor) -> None:
    catalog = assessor.catalog
    asked, done, _ = run(assessor, 40, "male")
    danger = [f.id for f in catalog.findings if f.phase == "danger"]
    n = sum(1 for s in asked if s.is_safety)
    assert ids(asked)[:n] == [fid for fid in danger if fid in ids(asked)[:n]]
    assert all(s.is_safety for s in asked[:n]) and not any(s.is_safety for s in asked[n:])
    # Ungated danger questions are all asked: none is skipped as "not useful".
    ungated = [
        f.id
        for f in catalog.findings
        if f.phase == "danger"
        and not (f.ask_if_any or f.ask_if_sex)
        and f.ask_if_age_min is None
        and f.ask_if_age_max is None
    ]
    assert set(ungated) <= set(ids(asked))
    assert [s.number for s in asked[:n]] == list(range(1, n + 1))
    assert asked[0].total == n
    assert not done.emergency


def test_pain_and_duration_come_after_the_danger_questions(assessor: Assessor) -> None:
    state = interview.start(30, "male")
    while isinstance(step := interview.next_step(assessor, state), Ask) and step.is_safety:
        state = state.with_answer(step.finding.id, ABSENT)
    assert isinstance(step, AskNumbers)
    assert all(
        f.phase != "danger" or state.asked(f.id) or not interview.is_askable(f, state)
        for f in assessor.catalog.findings
    )


def test_saddle_numbness_yes_stops_at_once(assessor: Assessor) -> None:
    asked, done, state = run(assessor, 45, "male", {"saddle_numbness": PRESENT})
    assert ids(asked)[-1] == "saddle_numbness"
    assert done.emergency
    assert interview.is_emergency(done.assessment)
    assert done.assessment.triage.level >= Level.EMERGENCY
    assert not state.numbers_asked  # nothing after it, not even the pain score
    assert interview.next_question(assessor, state) is None


@pytest.mark.parametrize(
    "fid", ["saddle_numbness", "chest_pain", "pain_tearing", "urinary_retention"]
)
def test_any_emergency_answer_ends_the_interview_there(assessor: Assessor, fid: str) -> None:
    asked, done, _ = run(assessor, 60, "male", {fid: PRESENT})
    assert ids(asked)[-1] == fid
    assert done.emergency
    assert all(s.is_safety for s in asked)


def test_emergency_found_later_also_stops(assessor: Assessor) -> None:
    # Every safety question "no": whatever follows must still stop on an emergency level.
    state = interview.start(30, "male")
    saddle = state.with_answer("saddle_numbness", PRESENT)
    step = interview.next_step(assessor, saddle)
    assert isinstance(step, Done) and step.emergency


def _leg_gate(catalog: Catalog) -> tuple[str, ...]:
    return catalog.finding("pain_leg_below_knee").ask_if_any


def test_below_knee_question_only_when_leg_pain(assessor: Assessor) -> None:
    catalog = assessor.catalog
    gate = _leg_gate(catalog)
    if not gate:
        pytest.skip("pain_leg_below_knee has no gate in this catalog")
    below = catalog.finding("pain_leg_below_knee")
    state = interview.start(35, "male")
    assert not interview.is_askable(below, state)
    for fid in gate:
        assert not interview.is_askable(below, state.with_answer(fid, ABSENT))
        assert not interview.is_askable(below, state.with_answer(fid, UNKNOWN))  # not a red flag
        assert interview.is_askable(below, state.with_answer(fid, PRESENT))

    asked, _, _ = run(assessor, 35, "male", dict.fromkeys(gate, ABSENT))
    assert "pain_leg_below_knee" not in ids(asked)

    # With leg pain, below-knee pain is asked (it separates sciatica from the rest).
    def leg_pain(f: Finding) -> Answer:
        return PRESENT if f.id in gate or f.id == "pain_lower_back" else ABSENT

    asked, _, _ = run(assessor, 35, "male", leg_pain)
    if "pain_leg" in gate:
        assert ids(asked).index("pain_leg") < ids(asked).index("pain_leg_below_knee")


def test_dont_know_stays_unknown(assessor: Assessor) -> None:
    def dont_know_fever(f: Finding) -> Answer:
        return UNKNOWN if f.id == "fever" else ABSENT

    asked, done, state = run(assessor, 40, "female", dont_know_fever)
    assert "fever" in ids(asked)
    assert state.answer("fever") == UNKNOWN
    assert state.findings["fever"] == UNKNOWN
    assert "fever" not in state.case().findings  # left out of the case, never "absent"
    assert ids(asked).count("fever") == 1  # not asked again
    triage = done.assessment.triage
    if "fever" in triage.unanswered_red_flags:
        assert triage.provisional


def test_unknown_in_danger_question_does_not_count_as_no(assessor: Assessor) -> None:
    state = interview.start(40, "male").with_answer("saddle_numbness", UNKNOWN)
    result = assessor.assess(state.case()).triage
    assert "saddle_numbness" in result.unanswered_red_flags
    assert result.provisional
    assert not interview.is_emergency(result)


def test_pregnancy_questions_only_for_women_of_childbearing_age(assessor: Assessor) -> None:
    catalog = assessor.catalog
    pregnant = catalog.finding("pregnant")
    if not (pregnant.ask_if_sex or pregnant.ask_if_age_min or pregnant.ask_if_age_max):
        pytest.skip("the pregnancy question has no gate in this catalog")
    pregnancy = {"pregnant", "pregnancy_bleeding_contractions"}
    for sex, age in (("male", 30), ("female", 75), ("female", 8)):
        asked, _, _ = run(assessor, age, sex)  # type: ignore[arg-type]
        assert not pregnancy & set(ids(asked)), (sex, age)

    asked, _, _ = run(assessor, 30, "female")
    assert "pregnant" in ids(asked)
    assert "pregnancy_bleeding_contractions" not in ids(asked)  # not pregnant: not asked

    asked, _, _ = run(assessor, 30, "female", {"pregnant": PRESENT})
    order = ids(asked)
    assert order.index("pregnant") < order.index("pregnancy_bleeding_contractions")


def test_gate_answered_dont_know_still_opens_a_red_flag(assessor: Assessor) -> None:
    bleeding = assessor.catalog.finding("pregnancy_bleeding_contractions")
    if "pregnant" not in bleeding.ask_if_any:
        pytest.skip("pregnancy_bleeding_contractions is not gated by pregnant")
    state = interview.start(30, "female")
    assert interview.is_askable(bleeding, state.with_answer("pregnant", UNKNOWN))
    assert not interview.is_askable(bleeding, state.with_answer("pregnant", ABSENT))


def test_the_same_answers_give_the_same_questions(assessor: Assessor) -> None:
    first = run(assessor, 29, "female", {"pain_lower_back": PRESENT})
    second = run(assessor, 29, "female", {"pain_lower_back": PRESENT})
    assert ids(first[0]) == ids(second[0])
    assert first[1].assessment == second[1].assessment


def test_state_is_immutable_and_keeps_order() -> None:
    state = interview.start(50, "other")
    after = state.with_answer("a", PRESENT).with_answer("b", UNKNOWN).with_answer("a", ABSENT)
    assert state.answers == ()
    assert after.answers == (("b", UNKNOWN), ("a", ABSENT))
    with pytest.raises(ValueError):
        state.with_answer("a", "maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        interview.start(121, "male")
    with pytest.raises(ValueError):
        state.with_numbers(11, None)


# --- a small hand-made catalog: which questions can change the result -----------------------


def finding(fid: str, phase: str = "main", red_flag: bool = False, **gates: object) -> Finding:
    return Finding(fid, "g", f"{fid}?", f"help for {fid}", red_flag, phase, **gates)  # type: ignore[arg-type]


def condition(cid: str) -> Condition:
    return Condition(cid, "mechanical", cid, "x" * 20, "x" * 20, "x" * 20, "x" * 20, ("s",))


def toy_catalog(
    findings: list[Finding],
    rules: list[TriageRule],
    evidence: list[Evidence],
    priors: Mapping[str, float],
) -> Catalog:
    return Catalog(
        findings=tuple(findings),
        conditions=tuple(condition(c) for c in priors),
        rules=tuple(rules),
        condition_models=tuple(ConditionModel(c, p) for c, p in priors.items()),
        evidence=tuple(evidence),
        levels=tuple(LevelAdvice(level, level.id, level.id, ()) for level in Level),
    )


def rule(rid: str, level: Level, **when: object) -> TriageRule:
    return TriageRule(rid, level, f"{rid} message", ("s",), **when)  # type: ignore[arg-type]


PRIORS = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1, "rare": 0.001}


def toy() -> Assessor:
    return Assessor(
        toy_catalog(
            findings=[
                finding("flag", "danger", red_flag=True),
                finding("flag2", "danger", red_flag=True),
                finding("idle"),  # no rule, no evidence: never worth asking
                finding("strong"),  # evidence that reorders the top causes
                finding("tiny"),  # evidence too weak to change the order
                finding("rare_only"),  # evidence only for a condition below 2%
                finding("with_flag2"),  # raises the level only together with flag2
                finding("gate"),  # opens the gated danger question below
                finding("gated_flag", "danger", red_flag=True, ask_if_any=("gate",)),
                finding("ctx", "context"),
                finding("leg"),  # no evidence itself, but opens "below"
                finding("below", ask_if_any=("leg",)),
                finding("dull_gate"),  # opens only a question that changes nothing
                finding("dull", ask_if_any=("dull_gate",)),
                finding("women_only", ask_if_sex=("female",)),
                finding("over_50", ask_if_age_min=50),
            ],
            rules=[
                rule("flag-emergency", Level.EMERGENCY, present=("flag",)),
                rule(
                    "pair",
                    Level.CONSULTATION_24,
                    present=("with_flag2",),
                    at_least=(AtLeast(1, ("flag2",)),),
                ),
                rule("gated", Level.CONSULTATION, present=("gated_flag",)),
                rule("women", Level.CONSULTATION, present=("women_only",), sexes=("female",)),
                rule("older", Level.CONSULTATION, present=("over_50",), age_min=50),
            ],
            evidence=[
                Evidence("d", "strong", 20.0, 1.0),
                Evidence("a", "tiny", 1.01, 1.0),
                Evidence("rare", "rare_only", 3.0, 0.5),
                Evidence("c", "ctx", 5.0, 1.0),
                Evidence("c", "below", 30.0, 1.0),
            ],
            priors=PRIORS,
        )
    )


def after_danger(
    assessor: Assessor, age: int = 40, sex: Sex = "male", **answers: Answer
) -> InterviewState:
    state = interview.start(age, sex).with_numbers(None, None)
    for fid in ("flag", "flag2"):
        state = state.with_answer(fid, answers.pop(fid, ABSENT))
    for fid, answer in answers.items():
        state = state.with_answer(fid, answer)
    return state


def useful(assessor: Assessor, state: InterviewState) -> list[str]:
    return [f.id for f in interview.useful_questions(assessor, state)]


def test_toy_only_questions_that_can_change_the_result() -> None:
    assessor = toy()
    state = after_danger(assessor)
    got = useful(assessor, state)
    assert "idle" not in got
    assert "tiny" not in got  # cannot reorder the top three
    assert "rare_only" not in got  # its condition is below 2%
    assert "strong" in got  # a "yes" puts d on top
    assert "gate" in got  # opens a safety question
    assert "ctx" in got  # context questions count too, after the main ones
    assert got.index("strong") < got.index("ctx")


def test_toy_gate_of_a_useful_question_is_asked() -> None:
    assessor = toy()
    state = after_danger(assessor)
    got = useful(assessor, state)
    assert "leg" in got and "below" not in got  # below is gated until leg is "yes"
    assert "dull_gate" not in got
    with_leg = state.with_answer("leg", PRESENT)
    assert "below" in useful(assessor, with_leg)
    assert "below" not in useful(assessor, state.with_answer("leg", ABSENT))


def test_toy_rule_that_can_no_longer_fire_is_not_a_reason_to_ask() -> None:
    assessor = toy()
    assert "with_flag2" not in useful(assessor, after_danger(assessor, flag2=ABSENT))
    assert "with_flag2" in useful(assessor, after_danger(assessor, flag2=UNKNOWN))


def test_toy_rule_bounds_decide_too() -> None:
    assessor = toy()
    assert "over_50" not in useful(assessor, after_danger(assessor, age=40))
    assert "over_50" in useful(assessor, after_danger(assessor, age=60))
    assert "women_only" not in useful(assessor, after_danger(assessor, sex="male"))
    assert "women_only" in useful(assessor, after_danger(assessor, sex="female"))


def test_toy_gated_safety_question_comes_right_after_its_gate() -> None:
    assessor = toy()
    state = after_danger(assessor, gate=PRESENT)
    step = interview.next_step(assessor, state)
    assert isinstance(step, Ask) and step.finding.id == "gated_flag" and step.is_safety
    closed = after_danger(assessor, gate=ABSENT)
    assert interview.next_danger_question(assessor.catalog, closed) is None


def test_toy_emergency_stops_before_numbers() -> None:
    assessor = toy()
    state = interview.start(40, "male").with_answer("flag", PRESENT)
    step = interview.next_step(assessor, state)
    assert isinstance(step, Done) and step.emergency


def test_toy_interview_ends_when_nothing_can_change() -> None:
    assessor = toy()
    asked, done, state = run(assessor, 40, "male")
    assert not done.emergency
    assert "idle" not in ids(asked) and "tiny" not in ids(asked)
    assert interview.useful_questions(assessor, state) == []


def test_is_emergency_levels() -> None:
    assessor = toy()
    calm = assessor.assess(interview.start(40, "male").case())
    assert not interview.is_emergency(calm)
    urgent = assessor.assess(interview.start(40, "male").with_answer("flag", PRESENT).case())
    assert interview.is_emergency(urgent) and interview.is_emergency(urgent.triage)
