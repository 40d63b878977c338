"""A guided session, as data: the steps of a routine, the record of what was done, and
the pace of slow breathing.

Pure Python: no clock, no sleeping, no terminal. The terminal adapters
(``backcoach.cli.routine`` and ``backcoach.cli.breathe``) walk through these steps with a
clock they are given, so everything here is testable without time passing.

The timings follow :func:`backcoach.domain.plan.seconds`: about 3 seconds to make one
move, holds as the dose says (a deep breath counts as about 5 seconds), 20 seconds of
rest between sets. A guided session does the low end of a range of repetitions ("8 to 10
times" is 8): the gentle start the plan asks for, and the plan adds more week by week.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

from backcoach.domain.exercises import Dose

GET_READY_SECONDS: Final = 5
MOVE_SECONDS: Final = 3  # one repetition's movement, before any hold
REST_SECONDS: Final = 20  # between sets
SWITCH_SIDES_SECONDS: Final = 5
SECONDS_PER_BREATH: Final = 5  # a held "deep breath"

# Step kinds.
GET_READY: Final = "get_ready"
REP: Final = "rep"
REST: Final = "rest"
SWITCH_SIDES: Final = "switch_sides"
TIMED: Final = "timed"


class Step(NamedTuple):
    """One timed step of a session.

    ``item`` is the index of the routine item (exercise) the step belongs to. A ``rep``
    step is ``seconds`` long: the movement first, then ``hold`` seconds of holding.
    ``rep``/``reps``, ``set``/``sets`` and ``side``/``sides`` count from 1; 0 means the
    count does not apply (``sides`` is 0 unless the dose is per side). ``bell``: ring
    the sound cue when the step ends (after each hold and at the end of each set).
    """

    kind: str
    item: int
    seconds: int
    hold: int = 0
    rep: int = 0
    reps: int = 0
    set: int = 0
    sets: int = 0
    side: int = 0
    sides: int = 0
    bell: bool = False

    @property
    def ends_set(self) -> bool:
        """The last repetition of a set (on one side), or a timed step."""
        return (self.kind == REP and self.rep == self.reps) or self.kind == TIMED


def hold_seconds(dose: Dose) -> int:
    """How long each repetition is held, in seconds (0: no hold)."""
    if dose.hold_seconds:
        return dose.hold_seconds
    if dose.hold_breaths:
        return dose.hold_breaths * SECONDS_PER_BREATH
    return 0


def guided_reps(dose: Dose) -> int:
    """Repetitions in one set of a guided session: the low end of the range; a dose with
    only a hold ("hold for 30 seconds") is one repetition."""
    return max(1, dose.reps or 1)


def exercise_steps(dose: Dose, item: int = 0) -> tuple[Step, ...]:
    """The steps of one exercise: get ready, then each side and each set of it."""
    steps = [Step(GET_READY, item, GET_READY_SECONDS)]
    sides = 2 if dose.per_side else 0
    sets = max(1, dose.sets)
    for side in range(1, max(1, sides) + 1):
        if side > 1:
            steps.append(Step(SWITCH_SIDES, item, SWITCH_SIDES_SECONDS, side=side, sides=sides))
        for set_number in range(1, sets + 1):
            if set_number > 1:
                steps.append(
                    Step(
                        REST, item, REST_SECONDS, set=set_number, sets=sets, side=side, sides=sides
                    )
                )
            steps.extend(_set_steps(dose, item, set_number, sets, side, sides))
    return tuple(steps)


def _set_steps(
    dose: Dose, item: int, set_number: int, sets: int, side: int, sides: int
) -> list[Step]:
    counts = Step(REP, item, 0, set=set_number, sets=sets, side=side, sides=sides)
    if dose.minutes:
        return [counts._replace(kind=TIMED, seconds=dose.minutes * 60, bell=True)]
    hold = hold_seconds(dose)
    reps = guided_reps(dose)
    return [
        counts._replace(
            seconds=MOVE_SECONDS + hold,
            hold=hold,
            rep=rep,
            reps=reps,
            bell=bool(hold) or rep == reps,
        )
        for rep in range(1, reps + 1)
    ]


def session_steps(doses: Sequence[Dose]) -> tuple[Step, ...]:
    """All the steps of a routine, exercise after exercise (``item`` is the index)."""
    return tuple(step for n, dose in enumerate(doses) for step in exercise_steps(dose, n))


def total_seconds(steps: Sequence[Step]) -> int:
    return sum(step.seconds for step in steps)


# --- what was done --------------------------------------------------------------------------


class SessionLog(NamedTuple):
    """What happened in one session: exercise ids planned, done and skipped, whether the
    person quit before the end, and the active time (pauses not counted), in seconds."""

    planned: tuple[str, ...]
    done: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    quit_early: bool = False
    seconds: int = 0

    def with_done(self, exercise_id: str) -> SessionLog:
        return self._replace(done=(*self.done, exercise_id))

    def with_skipped(self, exercise_id: str) -> SessionLog:
        return self._replace(skipped=(*self.skipped, exercise_id))

    def with_quit(self) -> SessionLog:
        return self._replace(quit_early=True)

    def with_seconds(self, seconds: float) -> SessionLog:
        return self._replace(seconds=max(0, round(seconds)))

    @property
    def not_reached(self) -> tuple[str, ...]:
        """Planned exercises neither done nor skipped (the session stopped before them)."""
        seen = set(self.done) | set(self.skipped)
        return tuple(e for e in self.planned if e not in seen)


def duration_text(seconds: int) -> str:
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def summary_text(log: SessionLog, names: Mapping[str, str] | None = None) -> str:
    """For example "You did 4 of 5 exercises in 9 minutes." and what was skipped
    (by name when ``names`` maps exercise ids to names)."""
    planned = len(log.planned)
    noun = "exercise" if planned == 1 else "exercises"
    text = f"You did {len(log.done)} of {planned} {noun} in {duration_text(log.seconds)}."
    if log.skipped:
        text += " Skipped: " + ", ".join((names or {}).get(e, e) for e in log.skipped) + "."
    if log.quit_early:
        text += " You stopped early, and that is fine: every bit of movement helps."
    elif log.done and not log.skipped:
        text += " Well done."
    return text


# --- slow breathing -------------------------------------------------------------------------

MIN_BREATHS: Final = 1
MAX_BREATHS: Final = 60
MIN_PACE: Final = 4.0  # seconds per breath
MAX_PACE: Final = 20.0
BREATHE_IN_SHARE: Final = 0.4  # in for 40% of the breath, out for 60%

BREATHE_IN: Final = "in"
BREATHE_OUT: Final = "out"


class BreathPhase(NamedTuple):
    name: str  # BREATHE_IN or BREATHE_OUT
    start: float  # seconds from the start of the breath
    seconds: float


class BreathCue(NamedTuple):
    breath: int  # 0-based number of the breath
    phase: str  # BREATHE_IN or BREATHE_OUT
    bar: int  # 0..width
    left: float  # seconds left in this phase


def breath_phases(pace: float) -> tuple[BreathPhase, BreathPhase]:
    """Breathing in, then out, for a breath of ``pace`` seconds."""
    if not pace > 0:
        raise ValueError(f"pace must be more than 0 seconds (got {pace})")
    breathe_in = pace * BREATHE_IN_SHARE
    return (
        BreathPhase(BREATHE_IN, 0.0, breathe_in),
        BreathPhase(BREATHE_OUT, breathe_in, pace - breathe_in),
    )


def breath_cue(pace: float, offset: float, width: int) -> BreathCue:
    """Where a person is ``offset`` seconds into slow breathing: which breath, in or out,
    and the bar (0 to ``width``) that grows while breathing in and shrinks while out."""
    breathe_in, breathe_out = breath_phases(pace)
    offset = max(0.0, offset)
    breath = math.floor(offset / pace)
    within = offset - breath * pace
    if within < breathe_in.seconds:
        fraction = within / breathe_in.seconds
        left = breathe_in.seconds - within
        phase = BREATHE_IN
    else:
        fraction = 1.0 - (within - breathe_out.start) / breathe_out.seconds
        left = pace - within
        phase = BREATHE_OUT
    bar = min(width, max(0, round(fraction * width)))
    return BreathCue(breath, phase, bar, left)


def bar_length(pace: float, offset: float, width: int) -> int:
    """The length of the breathing bar, 0 to ``width``, ``offset`` seconds in."""
    return breath_cue(pace, offset, width).bar
