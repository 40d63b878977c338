"""Semantics of the triage engine, on a small hand-made catalog (no content files)."""

from __future__ import annotations

from backcoach.domain.catalog import AtLeast, Finding, TriageRule
from backcoach.domain.model import Case, Level
from backcoach.domain.triage import TriageEngine


def finding(fid: str, red_flag: bool = False) -> Finding:
    return Finding(fid, "g", f"{fid}?", "help", red_flag, "danger" if red_flag else "main")


FINDINGS = (
    finding("saddle", red_flag=True),
    finding("fever", red_flag=True),
    finding("ivdu", red_flag=True),
    finding("lifting"),
    finding("prior_episodes"),
)
RULES = (
    TriageRule("ces", Level.EMERGENCY, "go now", ("s",), present=("saddle",)),
    TriageRule("fever", Level.CONSULTATION_24, "today", ("s",), present=("fever",)),
    TriageRule(
        "fever-ivdu",
        Level.EMERGENCY,
        "go now",
        ("s",),
        present=("fever",),
        at_least=(AtLeast(1, ("ivdu",)),),
    ),
    TriageRule(
        "older-first",
        Level.CONSULTATION,
        "gp",
        ("s",),
        age_min=50,
        absent=("prior_episodes",),
        duration_min=28,
    ),
    TriageRule("long", Level.CONSULTATION, "gp", ("s",), duration_min=42),
)
ENGINE = TriageEngine(FINDINGS, RULES)


def case(age: int = 30, duration: int | None = 3, **answers: str) -> Case:
    return Case(age=age, sex="female", findings=dict(answers), duration_days=duration)


def test_no_findings_is_self_care_but_provisional() -> None:
    result = ENGINE.assess(case())
    assert result.level == Level.SELF_CARE
    assert result.provisional
    assert result.unanswered_red_flags == ("saddle", "fever", "ivdu")
    assert result.could_raise_to == Level.EMERGENCY


def test_all_red_flags_denied_is_final() -> None:
    result = ENGINE.assess(case(saddle="absent", fever="absent", ivdu="absent"))
    assert result.level == Level.SELF_CARE
    assert not result.provisional
    assert result.unanswered_red_flags == ()


def test_highest_level_wins_and_every_fired_rule_is_named() -> None:
    result = ENGINE.assess(case(saddle="present", fever="present", ivdu="absent"))
    assert result.level == Level.EMERGENCY
    assert [r.rule for r in result.reasons] == ["ces", "fever"]
    assert result.reasons[0].findings == ("saddle",)


def test_combination_rule_needs_both() -> None:
    assert ENGINE.assess(case(fever="present", ivdu="absent", saddle="absent")).level == (
        Level.CONSULTATION_24
    )
    assert ENGINE.assess(case(fever="present", ivdu="present", saddle="absent")).level == (
        Level.EMERGENCY
    )


def test_unanswered_partner_of_a_present_flag_makes_it_provisional() -> None:
    result = ENGINE.assess(case(fever="present", saddle="absent"))
    assert result.level == Level.CONSULTATION_24
    assert result.provisional
    assert result.unanswered_red_flags == ("ivdu",)


def test_red_flags_that_cannot_raise_the_level_are_not_listed() -> None:
    result = ENGINE.assess(case(saddle="present"))
    assert result.level == Level.EMERGENCY
    assert result.unanswered_red_flags == ()
    assert not result.provisional


def test_age_alone_does_not_escalate() -> None:
    older = case(age=80, duration=3, saddle="absent", fever="absent", ivdu="absent")
    assert ENGINE.assess(older).level == Level.SELF_CARE


def test_weak_flags_combined_escalate_and_unknown_counts_as_absent_there() -> None:
    # The "absent" clause: an unanswered non-red-flag finding counts as absent, so not
    # answering can only make the rule fire more readily.
    base = {"saddle": "absent", "fever": "absent", "ivdu": "absent"}
    assert ENGINE.assess(case(age=60, duration=30, **base)).level == Level.CONSULTATION
    assert ENGINE.assess(case(age=60, duration=30, prior_episodes="absent", **base)).level == (
        Level.CONSULTATION
    )
    assert ENGINE.assess(case(age=60, duration=30, prior_episodes="present", **base)).level == (
        Level.SELF_CARE
    )


def test_a_bound_on_an_unknown_number_does_not_fire() -> None:
    result = ENGINE.assess(case(duration=None, saddle="absent", fever="absent", ivdu="absent"))
    assert result.level == Level.SELF_CARE
    assert ENGINE.assess(
        case(duration=50, saddle="absent", fever="absent", ivdu="absent")
    ).level == (Level.CONSULTATION)


def test_open_findings_that_could_raise_include_non_red_flags_above_the_level() -> None:
    # Fever alone is consultation_24; only the drug-use question could raise it.
    assert ENGINE.open_findings_that_could_raise(case(fever="present", saddle="absent")) == (
        "ivdu",
    )
    # At 60 with a month of pain, the weak-flag rule is still open: its finding counts too.
    older = case(age=60, duration=30, saddle="absent", fever="absent", ivdu="absent")
    assert ENGINE.open_findings_that_could_raise(older) == ()  # prior_episodes only blocks
    assert ENGINE.open_findings_that_could_raise(case()) == ("saddle", "fever", "ivdu")
