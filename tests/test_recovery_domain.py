"""The recovery record's rules as plain unit tests: today is passed in, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backcoach.content.recovery import load_recovery_rules
from backcoach.domain.recovery import (
    NOT_ASKED,
    CheckIn,
    CheckInError,
    RecoveryRules,
    WeekFacts,
    adapt,
    adherence,
    average,
    check_checkin,
    find_flares,
    peg_due,
    rmdq_due,
    sleep_against_pain,
    startback_due,
    summarise,
)

START = date(2026, 3, 2)  # a Monday


@pytest.fixture(scope="module")
def rules() -> RecoveryRules:
    return load_recovery_rules()


def day(n: int) -> date:
    return START + timedelta(days=n)


def series(pains: list[int | None], **fields: object) -> list[CheckIn]:
    """One check-in a day from START; None is a day without one."""
    return [CheckIn(day=day(i), pain=p, **fields) for i, p in enumerate(pains) if p is not None]  # type: ignore[arg-type]


# --- the rules come from the content file ---------------------------------------------------


def test_the_thresholds_are_the_published_ones(rules: RecoveryRules) -> None:
    assert rules.average_days == 7
    assert rules.flare_rise_points == 2  # Ostelo 2008's minimal important change
    assert rules.suggest_help_after_weeks == 2
    assert rules.recommend_help_after_weeks == 6
    assert rules.startback_weeks == (2, 4)
    assert rules.peg_every_days == 7
    assert "saddle_numbness" in rules.rescreen


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pain": 11}, "pain"),
        ({"pain": -1}, "pain"),
        ({"pain": 2.5}, "pain"),
        ({"pain": True}, "pain"),
        ({"pain": 6, "pain_worst": 4}, "pain_worst"),
        ({"sleep_hours": 25.0}, "sleep_hours"),
        ({"sleep_hours": float("nan")}, "sleep_hours"),
        ({"stress": 12}, "stress"),
        ({"sleep_quality": -2}, "sleep_quality"),
        ({"activity_minutes": 2000}, "activity_minutes"),
        ({"areas": ("kneecap",)}, "areas"),
        ({"note": "x" * 2001}, "note"),
        ({"screen": (("not_a_rescreen_question", "present"),)}, "screen"),
        ({"screen": (("fever", "maybe"),)}, "screen"),
        ({"peg": (1, 2, 11)}, "peg"),
        ({"day": date(2026, 3, 20)}, "date"),
        ({"day": date(2026, 2, 1)}, "date"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    rules: RecoveryRules, changes: dict[str, object], field: str
) -> None:
    checkin = CheckIn(day=day(5), pain=4)._replace(**changes)
    with pytest.raises(CheckInError) as err:
        check_checkin(checkin, today=day(10), episode_start=START, rules=rules)
    assert err.value.field == field


def test_a_good_checkin_passes(rules: RecoveryRules) -> None:
    checkin = CheckIn(
        day=day(10),
        pain=4,
        pain_worst=6,
        areas=("lower_back", "left_leg"),
        sleep_hours=6.5,
        sleep_quality=7,
        stress=3,
        activity_minutes=40,
        routine_done=True,
        medicines=("ibuprofen",),
        note="Long drive.",
        screen=tuple((fid, NOT_ASKED) for fid in rules.rescreen),
        peg=(4, 3, 5),
    )
    check_checkin(checkin, today=day(10), episode_start=START, rules=rules)
    assert checkin.new_red_flags() == ()
    assert set(checkin.screen_not_answered()) == set(rules.rescreen)


def test_a_yes_is_a_new_red_flag_and_not_asked_is_never_no() -> None:
    checkin = CheckIn(
        day=day(1), pain=3, screen=(("fever", "present"), ("saddle_numbness", NOT_ASKED))
    )
    assert checkin.new_red_flags() == ("fever",)
    assert checkin.screen_not_answered() == ("saddle_numbness",)


# --- averages, change and flares ----------------------------------------------------------------


def test_the_average_needs_three_of_seven_days(rules: RecoveryRules) -> None:
    pain = {day(0): 6, day(3): 4}
    assert average(pain, day(6), rules) is None
    pain[day(6)] = 2
    assert average(pain, day(6), rules) == 4
    assert average(pain, day(13), rules) is None  # the window has moved past them


def test_a_fall_of_two_points_is_a_real_improvement(rules: RecoveryRules) -> None:
    checkins = series([6] * 7 + [5] * 7 + [4] * 7)
    progress = summarise(checkins, [], today=day(20), rules=rules)
    assert progress.baseline == 6 and progress.current == 4
    assert progress.change is not None and progress.change.important_improvement
    assert progress.verdict == "real_improvement"


def test_a_fall_of_thirty_percent_is_real_even_under_two_points(rules: RecoveryRules) -> None:
    checkins = series([3] * 14 + [2] * 7)  # 3 -> 2: one point, but 33%
    progress = summarise(checkins, [], today=day(20), rules=rules)
    assert progress.baseline == 3 and progress.current == 2  # under the 2 points
    assert progress.verdict == "real_improvement"
    small = series([5] * 7 + [4] * 14)  # one point and 20%: not yet
    assert summarise(small, [], today=day(20), rules=rules).verdict == "some_improvement"


def test_a_rise_of_two_points_is_worse_and_no_change_is_no_change(rules: RecoveryRules) -> None:
    worse = series([3] * 7 + [5] * 14)
    assert summarise(worse, [], today=day(20), rules=rules).verdict == "worse"
    flat = series([5] * 21)
    assert summarise(flat, [], today=day(20), rules=rules).verdict == "no_change"


def test_too_few_days_is_not_enough_data(rules: RecoveryRules) -> None:
    assert summarise(series([6, 5, 4]), [], today=day(2), rules=rules).verdict == (
        "not_enough_data"
    )
    gaps = series([6, None, None, None, None, None, 5] + [None] * 13 + [2])
    assert summarise(gaps, [], today=day(20), rules=rules).verdict == "not_enough_data"


def test_a_jump_of_two_above_the_week_is_a_flare_and_close_days_merge(
    rules: RecoveryRules,
) -> None:
    pain = {c.day: c.pain for c in series([4] * 7 + [7, 4, 8] + [4] * 9 + [5, 9])}
    flares = find_flares(pain, rules)
    assert [(f.start, f.end, f.peak) for f in flares] == [
        (day(7), day(9), 8),  # 7, a normal day, then 8: one flare-up
        (day(20), day(20), 9),
    ]
    assert flares[0].before == 4


def test_a_first_bad_day_without_a_week_before_is_not_a_flare(rules: RecoveryRules) -> None:
    pain = {c.day: c.pain for c in series([2, 9])}
    assert find_flares(pain, rules) == ()


def test_adherence_counts_check_ins_and_logged_sessions(rules: RecoveryRules) -> None:
    checkins = series([4] * 7, routine_done=False)
    checkins[1] = checkins[1]._replace(routine_done=True)
    progress = summarise(checkins, [day(3), day(4), day(30)], today=day(6), rules=rules)
    assert progress.adherence_week == adherence([day(1), day(3), day(4)], day(0), day(6))
    assert (progress.adherence_week.done, progress.adherence_week.days) == (3, 7)
    assert [p.routine_done for p in progress.points] == [
        False, True, False, True, True, False, False,
    ]  # fmt: skip


def test_sleep_against_next_day_pain(rules: RecoveryRules) -> None:
    nights = [(5.0, 7), (5.5, 6), (4.0, 8), (8.0, 3), (7.5, 4), (7.0, 3), (9.0, 2), (8.0, 3)]
    checkins = [CheckIn(day=day(i), pain=p, sleep_hours=h) for i, (h, p) in enumerate(nights)]
    few = sleep_against_pain(checkins, rules)
    assert not few.enough_data and few.correlation is None
    checkins += [CheckIn(day=day(8 + i), pain=3, sleep_hours=8.0) for i in range(2)]
    sleep = sleep_against_pain(checkins, rules)
    assert sleep.enough_data
    assert sleep.short_nights == 3 and sleep.short_pain == 7
    assert sleep.enough_nights == 7 and sleep.enough_pain == pytest.approx(3)
    assert sleep.correlation is not None and sleep.correlation < -0.9


# --- what is due ------------------------------------------------------------------------------


def test_peg_is_weekly_and_startback_at_weeks_two_and_four(rules: RecoveryRules) -> None:
    assert peg_due(None, day(0), rules)
    assert not peg_due(day(0), day(6), rules)
    assert peg_due(day(0), day(7), rules)
    assert startback_due(START, day(13), [], rules) is None
    assert startback_due(START, day(14), [], rules) == 2
    assert startback_due(START, day(15), [day(14)], rules) is None
    assert startback_due(START, day(28), [day(14)], rules) == 4
    assert startback_due(START, day(40), [day(14), day(29)], rules) is None


# --- the weekly plan change -------------------------------------------------------------------


def facts(week: int, step: int = 2, **changes: object) -> WeekFacts:
    base = WeekFacts(
        week_start=day(7 * week),
        self_care_start=START,
        step=step,
        red_flag=False,
        startback_before="low",
        startback_after=None,
    )
    return base._replace(**changes)


def test_falling_pain_and_a_kept_routine_moves_up_a_step(rules: RecoveryRules) -> None:
    checkins = series([6] * 7 + [4] * 7, routine_done=True)
    change = adapt(checkins, [], facts(2), rules)
    assert (change.rule, change.action, change.step) == ("better_and_kept_up", "progress", 3)
    assert "7 of 7 days" in change.message
    assert change.sources


def test_falling_pain_without_the_routine_holds(rules: RecoveryRules) -> None:
    checkins = series([6] * 7 + [4] * 7, routine_done=False)
    change = adapt(checkins, [day(8)], facts(2), rules)
    assert (change.rule, change.step) == ("routine_not_kept", 2)
    assert "1 of 7 days" in change.message


def test_a_flare_steps_back(rules: RecoveryRules) -> None:
    checkins = series([4] * 7 + [4, 4, 8, 5, 4, 4, 4], routine_done=True)
    change = adapt(checkins, [], facts(2, step=3), rules)
    assert (change.rule, change.action, change.step) == ("flare", "step_back", 2)
    assert adapt(checkins, [], facts(2, step=1), rules).step == 1  # never below the first


def test_no_real_change_after_two_weeks_suggests_help(rules: RecoveryRules) -> None:
    checkins = series([6] * 14, routine_done=True)
    change = adapt(checkins, [], facts(2), rules)
    assert (change.rule, change.action) == ("not_better_after_2_weeks", "suggest_help")
    assert "2 weeks" in change.message


def test_no_real_change_after_six_weeks_recommends_help(rules: RecoveryRules) -> None:
    checkins = series([6] * 42, routine_done=True)
    change = adapt(checkins, [], facts(6), rules)
    assert (change.rule, change.action) == ("not_better_after_6_weeks", "see_physio")
    assert "We recommend" in change.message


def test_a_higher_startback_risk_means_a_physiotherapist(rules: RecoveryRules) -> None:
    checkins = series([6] * 7 + [4] * 7, routine_done=True)
    change = adapt(checkins, [], facts(2, startback_before="low", startback_after="high"), rules)
    assert (change.rule, change.action) == ("startback_higher", "see_physio")
    assert "low risk, now high" in change.message


def test_a_red_flag_wins_over_everything(rules: RecoveryRules) -> None:
    checkins = series([6] * 7 + [4] * 7, routine_done=True)
    change = adapt(checkins, [], facts(2, red_flag=True, startback_after="high"), rules)
    assert (change.rule, change.action, change.step) == ("red_flag", "see_doctor_now", 2)


def test_the_first_week_kept_up_moves_up_without_a_trend(rules: RecoveryRules) -> None:
    change = adapt(series([5] * 7, routine_done=True), [], facts(1, step=1), rules)
    assert (change.rule, change.action, change.step) == ("kept_up_no_trend", "progress", 2)
    lazy = adapt(series([5] * 7), [], facts(1, step=1), rules)
    assert (lazy.rule, lazy.step) == ("routine_not_kept", 1)


def test_too_few_check_ins_hold(rules: RecoveryRules) -> None:
    change = adapt(series([5, None, None, None, None, None, 4]), [], facts(1, step=1), rules)
    assert (change.rule, change.action, change.step) == ("not_enough_data", "hold", 1)


def test_every_rule_in_the_file_can_be_reached_and_every_message_fills(
    rules: RecoveryRules,
) -> None:
    """Each rule's placeholders are filled (no stray braces), for every rule the program has."""
    cases = {
        "red_flag": (series([6] * 14), facts(2, red_flag=True)),
        "startback_higher": (series([6] * 14), facts(2, startback_after="medium")),
        "not_better_after_6_weeks": (series([6] * 42), facts(6)),
        "flare": (series([4] * 10 + [8, 4, 4, 4]), facts(2)),
        "not_better_after_2_weeks": (series([6] * 14), facts(2)),
        "better_and_kept_up": (series([6] * 7 + [4] * 7, routine_done=True), facts(2)),
        "routine_not_kept": (series([6] * 7 + [4] * 7), facts(2)),
        "steady": (series([8] * 7 + [4] * 14, routine_done=True), facts(3)),
        "kept_up_no_trend": (series([5] * 7, routine_done=True), facts(1, step=1)),
        "not_enough_data": (series([4]), facts(1)),
    }
    assert set(cases) == {rule.id for rule in rules.adaptation}
    for rule_id, (checkins, week) in cases.items():
        change = adapt(checkins, [], week, rules)
        assert change.rule == rule_id
        assert "{" not in change.message and "}" not in change.message


def rmdq_answers(ticked: int) -> tuple[tuple[str, int], ...]:
    return tuple((f"rmdq{n}", int(n <= ticked)) for n in range(1, 25))


def test_peg_and_roland_morris_change_from_the_first_score_to_the_latest(
    rules: RecoveryRules,
) -> None:
    checkins = [
        CheckIn(day=day(0), pain=6, peg=(6, 6, 6), rmdq=rmdq_answers(12)),
        CheckIn(day=day(7), pain=5, peg=(5, 5, 5)),
        CheckIn(day=day(14), pain=4, peg=(4, 3, 2)),
        CheckIn(day=day(28), pain=3, rmdq=rmdq_answers(8)),
    ]
    progress = summarise(checkins, [], today=day(28), rules=rules)
    assert progress.peg_change is not None
    assert (progress.peg_change.baseline, progress.peg_change.latest) == (6, 3)
    assert progress.peg_change.important_improvement
    assert progress.rmdq_change is not None
    assert (progress.rmdq_change.baseline, progress.rmdq_change.latest) == (12, 8)
    assert progress.rmdq_change.important_improvement  # 4 points, but 33%: real (Ostelo)
    one = summarise(checkins[:1], [], today=day(0), rules=rules)
    assert one.peg_change is None and one.rmdq_change is None


def test_roland_morris_is_monthly_and_answers_are_ticks(rules: RecoveryRules) -> None:
    assert rmdq_due(None, day(0), rules)
    assert not rmdq_due(day(0), day(27), rules)
    assert rmdq_due(day(0), day(28), rules)
    bad = CheckIn(day=day(0), pain=3, rmdq=(("rmdq1", 2),))
    with pytest.raises(CheckInError) as err:
        check_checkin(bad, today=day(0), episode_start=None, rules=rules)
    assert err.value.field == "rmdq"
