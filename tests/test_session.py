"""The guided session as data: steps, the session log, and the breathing pace (no time)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from backcoach.domain.exercises import Dose
from backcoach.domain.session import (
    BREATHE_IN,
    BREATHE_OUT,
    GET_READY,
    GET_READY_SECONDS,
    MOVE_SECONDS,
    REP,
    REST,
    REST_SECONDS,
    SECONDS_PER_BREATH,
    SWITCH_SIDES,
    TIMED,
    SessionLog,
    Step,
    bar_length,
    breath_cue,
    breath_phases,
    duration_text,
    exercise_steps,
    guided_reps,
    hold_seconds,
    session_steps,
    summary_text,
    total_seconds,
)


def dose(**changes: object) -> Dose:
    base = Dose(reps=5, hold_seconds=None, sets=1, times_per_day=1, per_side=False, minutes=None)
    return base._replace(**changes)


def kinds(steps: Sequence[Step]) -> list[str]:
    return [s.kind for s in steps]


# --- steps ---------------------------------------------------------------------------------


def test_plain_reps_are_counted_at_three_seconds_each_after_a_get_ready() -> None:
    steps = exercise_steps(dose(reps=5))
    assert kinds(steps) == [GET_READY] + [REP] * 5
    assert steps[0].seconds == GET_READY_SECONDS == 5
    reps = steps[1:]
    assert [s.rep for s in reps] == [1, 2, 3, 4, 5]
    assert {s.reps for s in reps} == {5}
    assert {s.seconds for s in reps} == {MOVE_SECONDS} == {3}
    assert {s.hold for s in reps} == {0}
    # no hold: the bell rings at the end of the set only
    assert [s.bell for s in reps] == [False, False, False, False, True]
    assert total_seconds(steps) == 5 + 5 * 3


def test_a_hold_in_seconds_is_timed_on_every_rep_and_rings_each_time() -> None:
    steps = exercise_steps(dose(reps=3, hold_seconds=10))
    reps = [s for s in steps if s.kind == REP]
    assert len(reps) == 3
    assert {s.hold for s in reps} == {10}
    assert {s.seconds for s in reps} == {MOVE_SECONDS + 10}
    assert all(s.bell for s in reps)


def test_a_hold_in_breaths_is_about_five_seconds_a_breath() -> None:
    assert SECONDS_PER_BREATH == 5
    assert hold_seconds(dose(hold_breaths=1)) == 5
    assert hold_seconds(dose(hold_breaths=2)) == 10
    assert hold_seconds(dose()) == 0
    steps = exercise_steps(dose(reps=8, reps_max=10, hold_breaths=1))
    reps = [s for s in steps if s.kind == REP]
    assert len(reps) == 8  # the low end of "8 to 10 times"
    assert {s.hold for s in reps} == {5}


def test_a_range_of_reps_is_guided_at_its_low_end_and_a_bare_hold_is_one_rep() -> None:
    assert guided_reps(dose(reps=6, reps_max=10)) == 6
    assert guided_reps(dose(reps=None, hold_seconds=30)) == 1
    steps = exercise_steps(dose(reps=None, hold_seconds=30))
    assert kinds(steps) == [GET_READY, REP]
    assert steps[1].hold == 30
    assert steps[1].bell


def test_per_side_doubles_the_reps_with_a_change_of_sides_between() -> None:
    one = exercise_steps(dose(reps=6, hold_seconds=5))
    both = exercise_steps(dose(reps=6, hold_seconds=5, per_side=True))
    one_reps = [s for s in one if s.kind == REP]
    both_reps = [s for s in both if s.kind == REP]
    assert len(both_reps) == 2 * len(one_reps) == 12
    assert kinds(both) == [GET_READY] + [REP] * 6 + [SWITCH_SIDES] + [REP] * 6
    assert [s.side for s in both_reps] == [1] * 6 + [2] * 6
    assert {s.sides for s in both_reps} == {2}
    assert {s.sides for s in one_reps} == {0}


def test_sets_have_twenty_seconds_of_rest_between_them_not_after() -> None:
    steps = exercise_steps(dose(reps=8, hold_seconds=3, sets=2))
    assert kinds(steps) == [GET_READY] + [REP] * 8 + [REST] + [REP] * 8
    rest = steps[9]
    assert rest.seconds == REST_SECONDS == 20
    assert (rest.set, rest.sets) == (2, 2)  # the rest before set 2
    assert [s.set for s in steps if s.kind == REP] == [1] * 8 + [2] * 8
    ends = [s for s in steps if s.ends_set]
    assert [(s.set, s.rep) for s in ends] == [(1, 8), (2, 8)]


def test_sets_on_each_side_rest_within_a_side_and_change_sides_once() -> None:
    steps = exercise_steps(dose(reps=2, sets=2, per_side=True))
    assert kinds(steps) == [
        GET_READY,
        REP, REP, REST, REP, REP,
        SWITCH_SIDES,
        REP, REP, REST, REP, REP,
    ]  # fmt: skip
    reps = [(s.side, s.set, s.rep) for s in steps if s.kind == REP]
    assert reps == [
        (1, 1, 1), (1, 1, 2), (1, 2, 1), (1, 2, 2),
        (2, 1, 1), (2, 1, 2), (2, 2, 1), (2, 2, 2),
    ]  # fmt: skip


def test_a_timed_item_is_one_step_of_its_minutes() -> None:
    steps = exercise_steps(dose(reps=None, minutes=10))
    assert kinds(steps) == [GET_READY, TIMED]
    assert steps[1].seconds == 600
    assert steps[1].bell and steps[1].ends_set


def test_a_session_numbers_its_exercises_in_order() -> None:
    doses = [dose(reps=2), dose(reps=1, hold_seconds=20, per_side=True)]
    steps = session_steps(doses)
    assert [s.item for s in steps] == [0, 0, 0, 1, 1, 1, 1]
    assert sum(1 for s in steps if s.kind == GET_READY) == 2
    assert total_seconds(steps) == (5 + 2 * 3) + (5 + 23 + 5 + 23)
    assert session_steps([]) == ()


# --- the log and the summary ---------------------------------------------------------------


def test_the_log_keeps_what_was_done_skipped_and_not_reached() -> None:
    log = SessionLog(planned=("a", "b", "c", "d", "e"))
    log = log.with_done("a").with_skipped("b").with_done("c").with_quit().with_seconds(299.6)
    assert log.done == ("a", "c")
    assert log.skipped == ("b",)
    assert log.not_reached == ("d", "e")
    assert log.quit_early
    assert log.seconds == 300
    assert SessionLog(planned=()).with_seconds(-3).seconds == 0


def test_the_summary_counts_exercises_and_minutes() -> None:
    log = SessionLog(planned=("a", "b", "c", "d", "e"), done=("a", "b", "c", "d"), seconds=540)
    log = log._replace(skipped=("e",))
    text = summary_text(log, {"e": "Bird dog"})
    assert text.startswith("You did 4 of 5 exercises in 9 minutes.")
    assert "Skipped: Bird dog." in text
    full = summary_text(SessionLog(planned=("a",), done=("a",), seconds=61))
    assert full == "You did 1 of 1 exercise in 1 minute. Well done."
    stopped = summary_text(SessionLog(planned=("a", "b"), quit_early=True, seconds=10))
    assert stopped.startswith("You did 0 of 2 exercises in under a minute.")
    assert "stopped early" in stopped


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "under a minute"), (59, "under a minute"), (60, "1 minute"), (89, "1 minute"),
     (90, "2 minutes"), (540, "9 minutes")],
)  # fmt: skip
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


# --- breathing -----------------------------------------------------------------------------


def test_a_breath_is_forty_percent_in_and_sixty_percent_out() -> None:
    breathe_in, breathe_out = breath_phases(10)
    assert breathe_in == (BREATHE_IN, 0.0, 4.0)
    assert breathe_out.name == BREATHE_OUT
    assert breathe_out.start == pytest.approx(4.0)
    assert breathe_out.seconds == pytest.approx(6.0)
    assert sum(p.seconds for p in breath_phases(7.5)) == pytest.approx(7.5)
    with pytest.raises(ValueError):
        breath_phases(0)


@pytest.mark.parametrize(
    ("offset", "bar"),
    [(0.0, 0), (1.0, 5), (2.0, 10), (3.0, 15), (3.99, 20), (4.0, 20), (5.5, 15), (7.0, 10),
     (8.5, 5), (9.99, 0), (10.0, 0), (12.0, 10), (14.0, 20)],
)  # fmt: skip
def test_the_bar_grows_while_breathing_in_and_shrinks_while_out(offset: float, bar: int) -> None:
    assert bar_length(10, offset, 20) == bar


def test_the_cue_names_the_breath_and_the_phase() -> None:
    assert breath_cue(10, 0, 20)[:2] == (0, BREATHE_IN)
    assert breath_cue(10, 4.5, 20)[:2] == (0, BREATHE_OUT)
    assert breath_cue(10, 10.5, 20)[:2] == (1, BREATHE_IN)
    assert breath_cue(10, 95, 20)[:2] == (9, BREATHE_OUT)
    assert breath_cue(10, 1, 20).left == pytest.approx(3.0)
    assert breath_cue(10, 7, 20).left == pytest.approx(3.0)
    assert breath_cue(4, -1, 20).bar == 0  # before the start: an empty bar


def test_the_bar_never_leaves_its_width() -> None:
    for pace in (4.0, 7.3, 10.0, 20.0):
        for tenth in range(0, int(pace * 30)):
            assert 0 <= bar_length(pace, tenth / 10, 30) <= 30
